//! The platform's charts: server-rendered SVG drawn with the `plotters`
//! crate, each with a text alternative that carries the same figures.
//!
//! One home for every chart the platform draws (the FRM report, the NPWS
//! analyst's pages, the supervisor's pattern comparison), so they share
//! one look, one accessible wrapper and one rule for withheld figures:
//! a value the small-number rule suppresses is passed as `None` and drawn
//! as a gap (lines) or the word "withheld" (bars), never as zero, and the
//! text alternative says "withheld" in its place. Suppression itself is the
//! caller's (the tables' rules in [`crate::suppression`]): a chart never
//! shows a figure its table does not.
//!
//! `plotters` rather than hand-written SVG: axes with nice tick values,
//! legends, gaps and scaling are its job, and it is widely used and kept.
//! Only its SVG backend is built; text is written as `<text>` elements and
//! laid out by the browser, so no font files are needed on the server.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use crate::AnalyticsError;

/// One chart: the SVG (an `<svg role="img">` with a `<title>`) and its
/// text alternative, for a caption or `<details>` beside it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Chart {
    /// The SVG element, ready to embed in HTML.
    pub svg: String,
    /// Every figure the chart shows, in words.
    pub alt: String,
}

/// One bar: its label and value (`None`: withheld by the small-number rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The bar's label.
    pub label: String,
    /// The value, or `None` when withheld.
    pub value: Option<f64>,
}

/// One line: its name and one value per x label (`None`: withheld, or no
/// data; drawn as a gap).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend's name for the line.
    pub name: String,
    /// One value per x label.
    pub points: Vec<Option<f64>>,
}

/// Colours that stay distinct to the common colour-vision deficiencies
/// (Okabe and Ito, "Color Universal Design", 2008).
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
];
const WIDTH: u32 = 640;
const FONT: &str = "sans-serif";

fn render_error<E: std::fmt::Debug>(e: E) -> AnalyticsError {
    AnalyticsError::Render(format!("chart: {e:?}"))
}

/// A figure as the alternative text writes it: up to one decimal place.
fn words(v: Option<f64>, unit: &str) -> String {
    match v {
        Some(v) => {
            let s = format!("{v:.1}");
            let s = s.strip_suffix(".0").unwrap_or(&s).to_owned();
            format!("{s}{unit}")
        }
        None => "withheld".to_owned(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Makes plotters' `<svg>` an accessible image: `role="img"`, an
/// `aria-label` and a `<title>`; the width scales down on narrow screens.
fn accessible(svg: String, title: &str) -> String {
    let t = escape(title);
    let open =
        format!("<svg role=\"img\" aria-label=\"{t}\" style=\"max-width:100%;height:auto\" ");
    match svg.find("<svg") {
        Some(at) => {
            let after_tag = svg[at..].find('>').map(|e| at + e + 1);
            let mut out = String::with_capacity(svg.len() + t.len() * 2 + 64);
            out.push_str(&svg[..at]);
            out.push_str(&open);
            match after_tag {
                Some(end) => {
                    out.push_str(svg[at + 4..end].trim_start());
                    out.push_str(&format!("<title>{t}</title>"));
                    out.push_str(&svg[end..]);
                }
                None => out.push_str(svg[at + 4..].trim_start()),
            }
            out
        }
        None => svg,
    }
}

/// A horizontal bar chart on one scale from 0 to `max` (or the largest
/// value), `unit` appended to each value ("%", " h").
///
/// # Errors
/// [`AnalyticsError::Render`] if plotters fails to draw.
pub fn bar_chart(
    title: &str,
    unit: &str,
    max: Option<f64>,
    bars: &[Bar],
) -> Result<Chart, AnalyticsError> {
    let n = bars.len().max(1);
    let top = max
        .or_else(|| bars.iter().filter_map(|b| b.value).reduce(f64::max))
        .filter(|m| m.is_finite() && *m > 0.0)
        .unwrap_or(1.0);
    let height = 60 + 26 * u32::try_from(n).unwrap_or(40).min(200);
    let label_width = bars
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 40);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(render_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 16))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(u32::try_from(label_width * 7 + 10).unwrap_or(290))
            .build_cartesian_2d(0.0..top * 1.15, (0..n).into_segmented())
            .map_err(render_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => n
                    .checked_sub(1 + *i)
                    .and_then(|row| bars.get(row))
                    .map(|b| b.label.clone())
                    .unwrap_or_default(),
                SegmentValue::Exact(_) | SegmentValue::Last => String::new(),
            })
            .x_label_formatter(&|x| words(Some(*x), unit))
            .label_style((FONT, 12))
            .draw()
            .map_err(render_error)?;
        // The first bar at the top, as a table reads.
        for (k, bar) in bars.iter().enumerate() {
            let row = n - 1 - k;
            match bar.value {
                Some(v) => {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [
                                (0.0, SegmentValue::Exact(row)),
                                (v.max(0.0), SegmentValue::Exact(row + 1)),
                            ],
                            PALETTE[0].filled(),
                        )))
                        .map_err(render_error)?;
                    chart
                        .draw_series(std::iter::once(Text::new(
                            words(Some(v), unit),
                            (v.max(0.0) + top * 0.01, SegmentValue::CenterOf(row)),
                            (FONT, 12),
                        )))
                        .map_err(render_error)?;
                }
                None => {
                    chart
                        .draw_series(std::iter::once(Text::new(
                            "withheld",
                            (top * 0.01, SegmentValue::CenterOf(row)),
                            (FONT, 12).into_font().color(&RGBColor(0x3d, 0x3d, 0x3d)),
                        )))
                        .map_err(render_error)?;
                }
            }
        }
        root.present().map_err(render_error)?;
    }
    let figures: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, words(b.value, unit)))
        .collect();
    Ok(Chart {
        svg: accessible(svg, title),
        alt: format!("{title}. {}.", figures.join("; ")),
    })
}

/// A line chart over the periods in `x_labels`, one line per series, with a
/// legend; `None` values leave a gap.
///
/// # Errors
/// [`AnalyticsError::Render`] if plotters fails to draw, or
/// [`AnalyticsError::InvalidSetting`] when a series' length differs from
/// the labels'.
pub fn line_chart(
    title: &str,
    y_label: &str,
    x_labels: &[String],
    series: &[Series],
) -> Result<Chart, AnalyticsError> {
    if let Some(s) = series.iter().find(|s| s.points.len() != x_labels.len()) {
        return Err(AnalyticsError::InvalidSetting {
            name: "chart series",
            reason: format!(
                "{:?} has {} points for {} periods",
                s.name,
                s.points.len(),
                x_labels.len()
            ),
        });
    }
    let values = series.iter().flat_map(|s| s.points.iter().flatten());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(*v), hi.max(*v))
    });
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        let pad = ((hi - lo) * 0.1).max(1.0);
        ((lo - pad).min(0.0_f64.max(lo - pad)), hi + pad)
    } else {
        (0.0, 1.0)
    };
    let n = x_labels.len().max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(render_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 16))
            .margin(10)
            .x_label_area_size(32)
            .y_label_area_size(52)
            .build_cartesian_2d(0..n - 1, lo..hi)
            .map_err(render_error)?;
        chart
            .configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&|i| x_labels.get(*i).cloned().unwrap_or_default())
            .y_desc(y_label)
            .label_style((FONT, 12))
            .draw()
            .map_err(render_error)?;
        for (k, s) in series.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            // Each unbroken run of values is its own line: no line is drawn
            // across a withheld period.
            let mut runs: Vec<Vec<(usize, f64)>> = vec![Vec::new()];
            for (i, p) in s.points.iter().enumerate() {
                match p {
                    Some(v) => {
                        if let Some(run) = runs.last_mut() {
                            run.push((i, *v));
                        }
                    }
                    None => runs.push(Vec::new()),
                }
            }
            let mut labelled = false;
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                let line = chart
                    .draw_series(LineSeries::new(run.clone(), colour.stroke_width(2)))
                    .map_err(render_error)?;
                if !labelled {
                    line.label(s.name.clone()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                    });
                    labelled = true;
                }
                chart
                    .draw_series(run.into_iter().map(|p| Circle::new(p, 3, colour.filled())))
                    .map_err(render_error)?;
            }
        }
        if series.len() > 1 || series.iter().any(|s| !s.name.is_empty()) {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font((FONT, 12))
                .draw()
                .map_err(render_error)?;
        }
        root.present().map_err(render_error)?;
    }
    let lines: Vec<String> = series
        .iter()
        .map(|s| {
            let points: Vec<String> = x_labels
                .iter()
                .zip(&s.points)
                .map(|(x, v)| format!("{x} {}", words(*v, "")))
                .collect();
            format!("{}: {}", s.name, points.join(", "))
        })
        .collect();
    Ok(Chart {
        svg: accessible(svg, title),
        alt: format!("{title} ({y_label}). {}.", lines.join("; ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<Bar> {
        vec![
            Bar {
                label: "Quick returns".into(),
                value: Some(12.5),
            },
            Bar {
                label: "Nights in a row".into(),
                value: None,
            },
        ]
    }

    #[test]
    fn a_bar_chart_is_an_accessible_svg_with_its_figures_in_words() {
        let c = bar_chart("Indicators", "%", Some(100.0), &bars()).unwrap();
        assert!(
            c.svg
                .starts_with("<svg role=\"img\" aria-label=\"Indicators\"")
        );
        assert!(c.svg.contains("<title>Indicators</title>"));
        assert!(c.svg.trim_end().ends_with("</svg>"));
        // One filled bar for the one value; the withheld one is words only.
        assert_eq!(c.svg.matches("<rect").count() - 1, 1, "{}", c.svg);
        // plotters writes a text element's content on its own line.
        assert!(c.svg.contains("\nwithheld\n</text>"), "{}", c.svg);
        assert!(c.svg.contains("\n12.5%\n</text>"));
        assert_eq!(
            c.alt,
            "Indicators. Quick returns: 12.5%; Nights in a row: withheld."
        );
    }

    #[test]
    fn a_withheld_point_breaks_the_line_and_is_named_in_the_text() {
        let x: Vec<String> = ["Jan", "Feb", "Mar", "Apr"].map(String::from).to_vec();
        let s = Series {
            name: "Live forces".into(),
            points: vec![Some(6.5), Some(6.75), None, Some(7.0)],
        };
        let c = line_chart("Sleep", "hours", &x, &[s]).unwrap();
        // Two runs (Jan-Feb, Apr): two polylines in the series' colour plus
        // the legend's sample line (axes and ticks are black), three points.
        let line = "stroke=\"#0072B2\" stroke-width=\"2\"";
        assert_eq!(c.svg.matches(line).count(), 2 + 1, "{}", c.svg);
        assert_eq!(c.svg.matches("<circle").count(), 3);
        assert_eq!(
            c.alt,
            "Sleep (hours). Live forces: Jan 6.5, Feb 6.8, Mar withheld, Apr 7."
        );
    }

    #[test]
    fn titles_are_escaped() {
        let c = bar_chart("A <b> & \"c\"", "", None, &bars()).unwrap();
        assert!(
            c.svg
                .contains("<title>A &lt;b&gt; &amp; &quot;c&quot;</title>")
        );
        assert!(!c.svg.contains("<b>"));
    }

    #[test]
    fn a_series_of_the_wrong_length_is_refused() {
        let x: Vec<String> = vec!["Jan".into()];
        let s = Series {
            name: "a".into(),
            points: vec![Some(1.0), Some(2.0)],
        };
        assert!(matches!(
            line_chart("t", "y", &x, &[s]),
            Err(AnalyticsError::InvalidSetting { .. })
        ));
    }
}
