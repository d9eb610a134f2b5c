//! A draft roster beside the published one for the same team and period:
//! per officer the engine's assessment (Fatigue Index, hourly risk, flags)
//! and the report's indicators (quick returns, runs of nights, weekly
//! rest, the 17-week average), for both, and the team's Risk Index. Pure
//! computation: the server loads the shifts and keeps the draft.
//!
//! The figures are those of the rest of the platform: the assessment is
//! `mobile_core::roster::assess::assess_roster` with the force's limits
//! (as the team view), the indicators are [`crate::indicators`]'
//! functions (as the FRM report), and the team's Risk Index is
//! [`team_risk_index`]. Nothing here re-derives a limit.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mobile_core::LocalClock;
use mobile_core::hourly_risk::HourlyRiskParams;
use mobile_core::roster::assess::{
    AssessmentParams, RosterAssessment, Severity, assess_roster, team_risk_index,
};
use mobile_core::roster::limits::RosterLimits;
use models::Shift;
use serde::Serialize;

use crate::AnalyticsError;
use crate::indicators::{
    LOOKBACK_DAYS, Level, LocalDuties, REFERENCE_WEEKS, roster_figures, schedule_figures,
    working_time_figures,
};
use crate::input::{Absence, Duty, Period, ShiftRecord, parse_zone};

/// One officer's roster, published and drafted.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficerRosters {
    /// Staff number.
    pub staff_number: String,
    /// Published duties from [`history_start`] to the period's end, any
    /// order.
    pub published: Vec<Shift>,
    /// The draft's duties (starting in the period), any order.
    pub draft: Vec<Shift>,
    /// Days absent from [`history_start`] to the period's end (the 17-week
    /// average makes them up), the same on both sides.
    pub absences: Vec<Absence>,
}

/// The first local day whose duties a comparison reads: the 17-week
/// reference period ending on the period's last day (WTR reg. 4(6)), or
/// [`LOOKBACK_DAYS`] before the period, whichever is earlier.
pub fn history_start(period: &Period) -> chrono::NaiveDate {
    let reference = period.to + Duration::days(1) - Duration::weeks(REFERENCE_WEEKS);
    reference.min(period.from - Duration::days(LOOKBACK_DAYS))
}

/// A draft replaces the published roster inside its period only: the
/// published duties starting before the period (context for quick returns,
/// runs and the 17-week average) and the draft's duties. Sorted.
pub fn draft_side(
    published: &[Shift],
    draft: &[Shift],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Shift> {
    let mut out: Vec<Shift> = published
        .iter()
        .filter(|s| s.start() < from || s.start() >= to)
        .chain(draft.iter())
        .copied()
        .collect();
    out.sort();
    out.dedup();
    out
}

/// One side's figures for one officer over the period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideFigures {
    /// The engine's assessment of the shifts starting in the period.
    pub assessment: RosterAssessment,
    /// Highest Fatigue Index over its threshold among those shifts (1.0 is
    /// at the threshold); `None` without shifts. Officers sort by it.
    pub highest_fi_ratio: Option<f64>,
    /// Red flags on those shifts.
    pub red_flags: u32,
    /// Amber flags on those shifts.
    pub amber_flags: u32,
    /// Returns under the amber rest level (red ones included).
    pub quick_returns: u32,
    /// Returns under the red rest level.
    pub quick_returns_red: u32,
    /// Worst quick-return level.
    pub quick_return_level: Level,
    /// Longest run of nights reaching into the period.
    pub longest_night_run: u32,
    /// Its level.
    pub night_run_level: Level,
    /// Fixed 7-day periods without a weekly rest (WTR reg. 11).
    pub weeks_without_weekly_rest: u32,
    /// 14-day periods without a fortnightly rest.
    pub fortnights_without_rest: u32,
    /// Weekly-rest level.
    pub weekly_rest_level: Level,
    /// Average weekly hours over the 17 weeks ending on the period's last
    /// day, the draft's weeks included (`(A + B) / C`,
    /// [`working_time_figures`]).
    pub average_week_hours: f64,
    /// Its level.
    pub average_week_level: Level,
}

/// One officer, published and drafted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficerComparison {
    /// Staff number.
    pub staff_number: String,
    /// The published roster's figures.
    pub published: SideFigures,
    /// The draft's figures.
    pub draft: SideFigures,
    /// Starts of the draft's duties in the period that the published roster
    /// does not have (same start and end), UTC: what the draft adds or moves.
    pub added: Vec<DateTime<Utc>>,
    /// Starts of published duties in the period the draft does not keep.
    pub removed: Vec<DateTime<Utc>>,
}

impl OfficerComparison {
    /// True when the draft changes this officer's duties in the period.
    pub fn changed(&self) -> bool {
        !self.added.is_empty() || !self.removed.is_empty()
    }
}

/// The team's draft beside its published roster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftComparison {
    /// The period.
    pub period: Period,
    /// Officers, highest draft risk first ([`SideFigures::highest_fi_ratio`],
    /// then red flags, then staff number).
    pub officers: Vec<OfficerComparison>,
    /// The team's Risk Index on the published roster ([`team_risk_index`]).
    pub published_risk_index: Option<f64>,
    /// The team's Risk Index on the draft.
    pub draft_risk_index: Option<f64>,
    /// Red flags on the published roster's shifts in the period.
    pub published_red_flags: u32,
    /// Red flags on the draft's: a draft with any publishes only with a reason.
    pub draft_red_flags: u32,
    /// Assessments run (an officer whose draft equals the published roster
    /// is assessed once).
    pub assessments: usize,
}

/// The engine's assessment and the report's indicators of one roster
/// (`shifts`: every duty from [`history_start`], sorted).
fn side(
    shifts: &[Shift],
    absences: &[Absence],
    period: &Period,
    zone: Tz,
    clock: &LocalClock,
    params: &AssessmentParams,
) -> Result<SideFigures, AnalyticsError> {
    let (from, to) = period.instants(zone);
    let context_from = from - Duration::days(LOOKBACK_DAYS);
    let assessed_shifts: Vec<Shift> = shifts
        .iter()
        .filter(|s| s.start() >= context_from && s.start() < to)
        .copied()
        .collect();
    let mut assessment = assess_roster(&assessed_shifts, &[], &[], clock, params).map_err(|e| {
        AnalyticsError::InvalidSetting {
            name: "limits",
            reason: e.to_string(),
        }
    })?;
    let records: Vec<ShiftRecord> = assessment.shifts.iter().map(ShiftRecord::from).collect();
    let duties: Vec<Duty> = shifts
        .iter()
        .filter(|s| s.start() < to)
        .map(|s| Duty {
            start: s.start(),
            end: s.end(),
        })
        .collect();
    let limits = &params.limits;
    let roster = roster_figures(&records, from, to, limits);
    let schedule = schedule_figures(&records, &duties, from, to, zone, limits, to);
    let working = working_time_figures(
        &LocalDuties::in_zone(&duties, zone),
        absences,
        period,
        limits,
        to,
    );
    // Earlier shifts were context only.
    assessment
        .shifts
        .retain(|s| s.start.with_timezone(&Utc) >= from);
    let flags = |severity: Severity| {
        let n = assessment
            .shifts
            .iter()
            .flat_map(|s| &s.flags)
            .filter(|f| f.severity == severity)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let highest_fi_ratio = assessment
        .shifts
        .iter()
        .map(|s| s.fatigue_index / s.fatigue_index_threshold)
        .reduce(f64::max);
    Ok(SideFigures {
        highest_fi_ratio,
        red_flags: flags(Severity::Red),
        amber_flags: flags(Severity::Amber),
        quick_returns: roster.quick_returns,
        quick_returns_red: roster.quick_returns_red,
        quick_return_level: roster.quick_return_level,
        longest_night_run: roster.longest_night_run,
        night_run_level: roster.night_run_level,
        weeks_without_weekly_rest: schedule.weekly_rest.weeks_without,
        fortnights_without_rest: schedule.weekly_rest.fortnights_without,
        weekly_rest_level: schedule.weekly_rest_level,
        average_week_hours: (working.minutes + working.make_up_minutes) as f64
            / 60.0
            / REFERENCE_WEEKS as f64,
        average_week_level: working.average_week_level,
        assessment,
    })
}

/// The draft beside the published roster, officer by officer, in `zone`
/// (IANA) with the force's `limits`.
///
/// # Errors
/// [`AnalyticsError::UnknownZone`]; [`AnalyticsError::InvalidSetting`] for
/// limits the engine refuses.
pub fn compare(
    zone: &str,
    limits: &RosterLimits,
    period: &Period,
    officers: &[OfficerRosters],
) -> Result<DraftComparison, AnalyticsError> {
    let tz = parse_zone(zone)?;
    let clock =
        LocalClock::from_name(zone).map_err(|_| AnalyticsError::UnknownZone(zone.into()))?;
    let params = AssessmentParams {
        limits: *limits,
        ..AssessmentParams::default()
    };
    let (from, to) = period.instants(tz);
    let mut assessments = 0;
    let mut out = Vec::with_capacity(officers.len());
    for o in officers {
        let mut published = o.published.clone();
        published.sort();
        published.dedup();
        let drafted = draft_side(&published, &o.draft, from, to);
        let published_figures = side(&published, &o.absences, period, tz, &clock, &params)?;
        assessments += 1;
        // Same duties, same figures: an unchanged officer is assessed once.
        let draft_figures = if drafted == published {
            published_figures.clone()
        } else {
            assessments += 1;
            side(&drafted, &o.absences, period, tz, &clock, &params)?
        };
        let in_period = |s: &&Shift| s.start() >= from && s.start() < to;
        let added = drafted
            .iter()
            .filter(in_period)
            .filter(|s| !published.contains(s))
            .map(Shift::start)
            .collect();
        let removed = published
            .iter()
            .filter(in_period)
            .filter(|s| !drafted.contains(s))
            .map(Shift::start)
            .collect();
        out.push(OfficerComparison {
            staff_number: o.staff_number.clone(),
            published: published_figures,
            draft: draft_figures,
            added,
            removed,
        });
    }
    out.sort_by(|a, b| {
        let key = |o: &OfficerComparison| o.draft.highest_fi_ratio.unwrap_or(f64::MIN);
        key(b)
            .total_cmp(&key(a))
            .then(b.draft.red_flags.cmp(&a.draft.red_flags))
            .then(a.staff_number.cmp(&b.staff_number))
    });
    let hourly = HourlyRiskParams::default();
    let team = |draft: bool| {
        team_risk_index(
            out.iter().flat_map(|o| {
                let s = if draft { &o.draft } else { &o.published };
                &s.assessment.shifts
            }),
            &hourly,
        )
    };
    let red = |draft: bool| {
        out.iter()
            .map(|o| {
                if draft {
                    o.draft.red_flags
                } else {
                    o.published.red_flags
                }
            })
            .sum()
    };
    Ok(DraftComparison {
        period: *period,
        published_risk_index: team(false),
        draft_risk_index: team(true),
        published_red_flags: red(false),
        draft_red_flags: red(true),
        officers: out,
        assessments,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn shift(day: u32, hour: u32, hours: i64) -> Shift {
        // June 2026 in UTC (the zone of these tests).
        let start = Utc.with_ymd_and_hms(2026, 6, day, hour, 0, 0).unwrap();
        Shift::new(start, start + Duration::hours(hours)).unwrap()
    }

    fn period() -> Period {
        Period::new(
            NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 6, 7).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_swap_clears_the_quick_return_and_only_changed_officers_are_reassessed() {
        // A: late 1 Jun 15:00-23:00 then early 2 Jun 07:00-15:00: 8 h of
        // rest, under the 11 h red level (WTR reg. 10). B: late 2 Jun.
        // C: one day shift, the same in both.
        let a = vec![shift(1, 15, 8), shift(2, 7, 8)];
        let b = vec![shift(2, 15, 8)];
        let c = vec![shift(3, 9, 8)];
        // The draft swaps A's early for B's late: A has 16 h of rest.
        let officers = vec![
            OfficerRosters {
                staff_number: "a".into(),
                published: a.clone(),
                draft: vec![shift(1, 15, 8), shift(2, 15, 8)],
                absences: vec![],
            },
            OfficerRosters {
                staff_number: "b".into(),
                published: b,
                draft: vec![shift(2, 7, 8)],
                absences: vec![],
            },
            OfficerRosters {
                staff_number: "c".into(),
                published: c.clone(),
                draft: c,
                absences: vec![],
            },
        ];
        let r = compare("UTC", &RosterLimits::default(), &period(), &officers).unwrap();
        // 3 published + 2 changed drafts.
        assert_eq!(r.assessments, 5);
        let a = r.officers.iter().find(|o| o.staff_number == "a").unwrap();
        assert_eq!(a.published.quick_returns_red, 1);
        assert_eq!(a.published.quick_return_level, Level::Red);
        assert!(a.published.red_flags >= 1);
        assert_eq!(a.draft.quick_returns, 0);
        assert_eq!(a.added, vec![shift(2, 15, 8).start()]);
        assert_eq!(a.removed, vec![shift(2, 7, 8).start()]);
        let c = r.officers.iter().find(|o| o.staff_number == "c").unwrap();
        assert!(!c.changed());
        assert_eq!(c.draft, c.published);
        assert!(r.published_red_flags > r.draft_red_flags);
        // A works two 8 h shifts in the 17 weeks: 16 h / 17 weeks.
        assert!((a.draft.average_week_hours - 16.0 / 17.0).abs() < 1e-9);
        assert!(r.draft_risk_index.is_some() && r.published_risk_index.is_some());
    }

    #[test]
    fn published_duties_outside_the_period_are_kept_on_the_draft_side() {
        let (from, to) = period().instants(chrono_tz::UTC);
        let before = shift(1, 0, 1);
        let published = vec![
            Shift::new(
                before.start() - Duration::days(2),
                before.start() - Duration::days(2) + Duration::hours(8),
            )
            .unwrap(),
            shift(3, 9, 8),
        ];
        let side = draft_side(&published, &[shift(4, 9, 8)], from, to);
        // The 30 May duty stays; the 3 June duty is replaced by the draft's.
        assert_eq!(side, vec![published[0], shift(4, 9, 8)]);
    }
}
