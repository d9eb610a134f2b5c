//! NPWS cohorts: anonymised groups of people with similar shift and sleep
//! patterns across forces, and comparisons across forces and roles.
//!
//! 1. **Features** per pseudonymous person over the period ([`FEATURES`]):
//!    shift pattern mix, night share, quick returns, hours, mean sleep,
//!    sleep regularity, recovery trend and mean KSS. People with no shift
//!    starting in the period are left out (counted). A feature a person has
//!    no data for (no consent, too few days) is missing: it is left out of
//!    that feature's means and set to the feature's mean (0 after
//!    standardising) for clustering, so it pulls them towards no cohort.
//! 2. **Standardise**: each column to mean 0, SD 1 (population SD; a
//!    constant column stays 0).
//! 3. **Choose k** on a random sample of [`CohortRequest::sample_size`]
//!    people drawn with the recorded seed: for each k in `k_min..=k_max`,
//!    fit k-means on the sample and take the mean silhouette (Rousseeuw
//!    1987: `s(i) = (b - a) / max(a, b)`, `a` the mean distance to the own
//!    cluster, `b` to the nearest other); the k with the highest wins, the
//!    smaller k on a tie.
//! 4. **Fit** k-means (linfa, k-means++ init, the same seed) on everyone.
//! 5. **Protect**: a cohort under `min_cohort_people` is merged into the
//!    cohort with the nearest centre until none is; each cohort is then
//!    described by its size and centre (per-feature means over members who
//!    have the feature, withheld where fewer than 5 do).
//! 6. **Compare** cohorts by force and by role, and feature means by force
//!    and role, as [`Table`]s with the report's suppression.

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use rayon::iter::{IntoParallelIterator, ParallelIterator};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::AnalyticsError;
use crate::indicators::{kss_counts, roster_figures, wellbeing_figures};
use crate::input::{Period, PersonRecords, Rejections, clean_all, parse_zone};
use crate::round::{Percentage, ratio};
use crate::suppression::{MIN_PEOPLE, publishable};
use crate::table::{ColumnSpec, Hierarchy, Partition, RawTable, Table, TableSpec, publish};
use mobile_core::roster::limits::RosterLimits;

/// Feature names and units, in matrix column order.
pub const FEATURES: [&str; 9] = [
    "share of shifts that are early (0-1)",
    "share of shifts that are late (0-1)",
    "share of shifts that are nights by the WTR rule (0-1)",
    "quick returns (rest under 12 h) per 10 shifts",
    "hours worked per 7 days",
    "mean sleep per night (h)",
    "sleep timing irregularity: circular SD of main-sleep midpoint (h)",
    "recovery score trend (points per week)",
    "mean KSS check-in",
];

/// Fixed-point scale for feature sums in comparison tables (3 decimals kept before rounding).
const FIXED: f64 = 1000.0;
/// Fewest summaries for the sleep regularity and recovery trend features.
const MIN_DAYS_FOR_PATTERN: usize = 3;

/// What a cohort run is asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CohortRequest {
    /// The period features are computed over.
    pub period: Period,
    /// Zone in which the period's days are taken.
    pub zone: String,
    /// Seed for the sample and k-means (recorded in the output).
    pub seed: u64,
    /// Smallest k tried (at least 2).
    pub k_min: usize,
    /// Largest k tried.
    pub k_max: usize,
    /// People in the sample k is chosen on.
    pub sample_size: usize,
    /// Smallest cohort described (at least 5).
    pub min_cohort_people: usize,
}

impl CohortRequest {
    /// Defaults: k 2..=8, a sample of 2,000, cohorts of at least 20 people.
    pub fn new(period: Period, seed: u64) -> Self {
        Self {
            period,
            zone: "Europe/London".into(),
            seed,
            k_min: 2,
            k_max: 8,
            sample_size: 2000,
            min_cohort_people: 20,
        }
    }
}

/// A feature of a cohort's centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentreFeature {
    /// Feature name.
    pub feature: String,
    /// Mean over members who have it, rounded; `None` when fewer than 5 do.
    pub mean: Option<Decimal>,
    /// Members who have it (withheld with the mean when under 5).
    pub people_with_data: Option<u64>,
    /// The k-means centre in standard deviations from the all-people mean.
    pub standardised: Decimal,
}

/// One cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cohort {
    /// 1-based label, largest cohort first.
    pub label: usize,
    /// People in it.
    pub size: u64,
    /// Share of the people clustered.
    pub share: Option<Percentage>,
    /// Centre.
    pub centre: Vec<CentreFeature>,
}

/// How the run went, so it can be repeated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortMeta {
    /// The request.
    pub period: Period,
    /// Seed used for the sample and the fits.
    pub seed: u64,
    /// Sample size used to choose k.
    pub sample_size: usize,
    /// Silhouette of each k tried on the sample (3 dp).
    pub silhouettes: Vec<(usize, Decimal)>,
    /// The k chosen.
    pub chosen_k: usize,
    /// Cohorts merged into a neighbour for being too small.
    pub merged: usize,
    /// People clustered.
    pub people_clustered: usize,
    /// People left out for having no shift in the period.
    pub people_without_shifts: usize,
    /// People missing each feature (imputed for clustering).
    pub missing: Vec<(String, usize)>,
    /// Records left out in cleaning.
    pub rejections: Rejections,
}

/// The result of a cohort run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRun {
    /// How it was made.
    pub meta: CohortMeta,
    /// Cohorts, largest first.
    pub cohorts: Vec<Cohort>,
    /// Comparisons: cohorts by force, by role; feature means by force and
    /// role. Empty (and left out of JSON) in what the server serves NPWS,
    /// whose comparisons come from [`crate::comparisons`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
}

/// The feature matrix (NaN where missing) and who each row is.
pub struct Features {
    /// `people × FEATURES`, NaN for missing.
    pub raw: Array2<f64>,
    /// Index into the cleaned people for each row.
    pub rows: Vec<usize>,
    /// People with no shift in the period.
    pub without_shifts: usize,
}

/// Circular SD of clock times (hours), and their count.
fn circular_sd_hours(times: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut s, mut c, mut n) = (0.0, 0.0, 0usize);
    for h in times {
        let a = h / 24.0 * std::f64::consts::TAU;
        s += a.sin();
        c += a.cos();
        n += 1;
    }
    if n < MIN_DAYS_FOR_PATTERN {
        return None;
    }
    let r = ((s / n as f64).powi(2) + (c / n as f64).powi(2))
        .sqrt()
        .clamp(1e-12, 1.0);
    Some((-2.0 * r.ln()).sqrt() * 24.0 / std::f64::consts::TAU)
}

/// Least-squares slope of `(x, y)`, or `None` with fewer than 3 points or no spread in x.
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < MIN_DAYS_FOR_PATTERN {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// What one person's features are made of, with no id: the force, the
/// group compared (role or policing function) and integer sums, plus the two
/// pattern features that are not sums. The server reads these from
/// PostgreSQL (`npws_person_features`, with the same definitions);
/// [`PersonSums::from_records`] makes them from analytics' own input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonSums {
    /// Force (slug or name).
    pub force: String,
    /// Role or policing function.
    pub group: String,
    /// Shifts starting in the period.
    pub shifts: u32,
    /// Of which early (local start 04:00–08:59).
    pub early_shifts: u32,
    /// Of which late (local start 14:00–19:59).
    pub late_shifts: u32,
    /// Of which nights by the WTR rule (≥ 3 h in 23:00–06:00 local).
    pub night_shifts: u32,
    /// Of which started under 12 h after the previous shift ended.
    pub quick_returns: u32,
    /// Minutes of any shift inside the period.
    pub minutes_worked: i64,
    /// Consented daily summaries dated in the period.
    pub sleep_nights: u32,
    /// Their sleep obtained, minutes.
    pub sleep_minutes: i64,
    /// Circular SD of the main sleep's local midpoint, hours (≥ 3 nights).
    pub regularity_hours: Option<f64>,
    /// Least-squares slope of the recovery score, points per week (≥ 3 scores).
    pub recovery_slope_per_week: Option<f64>,
    /// Summaries with a recovery band.
    pub recovery_mornings: u32,
    /// Of which red.
    pub red_mornings: u32,
    /// Consented KSS check-ins dated in the period.
    pub kss_check_ins: u32,
    /// Their sum.
    pub kss_sum: i64,
}

impl PersonSums {
    /// The sums of a cleaned person over `period` (days in `zone`); `group`
    /// is the person's role. Shifts are those [`roster_figures`] counts.
    pub fn from_records(p: &PersonRecords, period: &Period, zone: chrono_tz::Tz) -> Self {
        let (from, to) = period.instants(zone);
        // National cohorts compare forces on one yardstick: the default
        // limits, never a force's own settings.
        let r = roster_figures(&p.shifts, from, to, &RosterLimits::default());
        let (mut early, mut late) = (0, 0);
        for s in p.shifts.iter().filter(|s| s.start >= from && s.start < to) {
            match s.shift_type {
                models::ShiftType::Early => early += 1,
                models::ShiftType::Late => late += 1,
                _ => {}
            }
        }
        let w = wellbeing_figures(&p.summaries, &p.checkins, &p.shifts, period, zone);
        // Every KSS check-in, whatever its context, as the server's
        // `npws_person_features` counts them (the report's indicator #15
        // counts only those before a shift or a drive).
        let (kss_low, kss_high, kss_sum) = kss_counts(&p.checkins, period, None);
        let summaries: Vec<_> = p
            .summaries
            .iter()
            .filter(|s| period.contains(s.local_date))
            .collect();
        let midpoints = summaries.iter().filter_map(|s| {
            let (a, b) = (s.main_sleep_start?, s.main_sleep_end?);
            let mid = a + (b - a) / 2;
            let local = mid.with_timezone(&zone);
            Some(f64::from(chrono::Timelike::num_seconds_from_midnight(&local.time())) / 3600.0)
        });
        let scores: Vec<(f64, f64)> = summaries
            .iter()
            .filter_map(|s| {
                let day = (s.local_date - period.from).num_days() as f64;
                s.recovery_score.map(|v| (day / 7.0, f64::from(v)))
            })
            .collect();
        Self {
            force: p.person.force.clone(),
            group: p.person.role.clone(),
            shifts: r.shifts,
            early_shifts: early,
            late_shifts: late,
            night_shifts: r.night_below + r.night_over,
            quick_returns: r.quick_returns,
            minutes_worked: r.minutes_in_period,
            sleep_nights: w.nights,
            sleep_minutes: w.sleep_minutes,
            regularity_hours: circular_sd_hours(midpoints),
            recovery_slope_per_week: slope(&scores),
            recovery_mornings: w.bands.iter().sum(),
            red_mornings: w.bands[2],
            kss_check_ins: kss_low + kss_high,
            kss_sum,
        }
    }

    /// The [`FEATURES`] of this person over a period of `period_days` days,
    /// NaN where missing; `None` when they have no shift in the period.
    pub fn features(&self, period_days: i64) -> Option<[f64; FEATURES.len()]> {
        if self.shifts == 0 || period_days <= 0 {
            return None;
        }
        let n = f64::from(self.shifts);
        let nan = f64::NAN;
        let mean_sleep = (self.sleep_nights > 0)
            .then(|| self.sleep_minutes as f64 / f64::from(self.sleep_nights) / 60.0);
        let kss =
            (self.kss_check_ins > 0).then(|| self.kss_sum as f64 / f64::from(self.kss_check_ins));
        Some([
            f64::from(self.early_shifts) / n,
            f64::from(self.late_shifts) / n,
            f64::from(self.night_shifts) / n,
            f64::from(self.quick_returns) * 10.0 / n,
            self.minutes_worked as f64 / 60.0 * 7.0 / period_days as f64,
            mean_sleep.unwrap_or(nan),
            self.regularity_hours.unwrap_or(nan),
            self.recovery_slope_per_week.unwrap_or(nan),
            kss.unwrap_or(nan),
        ])
    }
}

/// The feature matrix (NaN where missing) of everyone with a shift in the
/// period, and the index of each row in `people`.
pub fn feature_matrix(people: &[PersonSums], period_days: i64) -> (Array2<f64>, Vec<usize>) {
    let mut data = Vec::with_capacity(people.len() * FEATURES.len());
    let mut rows = Vec::with_capacity(people.len());
    for (i, p) in people.iter().enumerate() {
        if let Some(f) = p.features(period_days) {
            data.extend_from_slice(&f);
            rows.push(i);
        }
    }
    let raw = Array2::from_shape_vec((rows.len(), FEATURES.len()), data)
        .unwrap_or_else(|_| Array2::zeros((0, FEATURES.len())));
    (raw, rows)
}

/// Builds the feature matrix over cleaned people.
pub fn features(people: &[PersonRecords], period: &Period, zone: chrono_tz::Tz) -> Features {
    let sums: Vec<PersonSums> = people
        .iter()
        .map(|p| PersonSums::from_records(p, period, zone))
        .collect();
    let (raw, rows) = feature_matrix(&sums, period.days());
    Features {
        without_shifts: people.len() - rows.len(),
        raw,
        rows,
    }
}

/// Standardises columns to mean 0 and SD 1 over present values; missing → 0.
pub fn standardise(raw: &Array2<f64>) -> Array2<f64> {
    let mut z = raw.clone();
    for mut col in z.axis_iter_mut(Axis(1)) {
        let present: Vec<f64> = col.iter().copied().filter(|v| v.is_finite()).collect();
        let n = present.len() as f64;
        let mean = if n > 0.0 {
            present.iter().sum::<f64>() / n
        } else {
            0.0
        };
        let sd = if n > 0.0 {
            (present.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt()
        } else {
            0.0
        };
        col.mapv_inplace(|v| {
            if v.is_finite() && sd > 0.0 {
                (v - mean) / sd
            } else {
                0.0
            }
        });
    }
    z
}

/// Fits k-means on `x` and returns each row's cluster and the centres.
fn fit(
    x: &Array2<f64>,
    k: usize,
    seed: u64,
) -> Result<(Array1<usize>, Array2<f64>), AnalyticsError> {
    let ds = DatasetBase::from(x.clone());
    let model = KMeans::params_with_rng(k, Xoshiro256Plus::seed_from_u64(seed))
        .n_runs(3)
        .max_n_iterations(300)
        .tolerance(1e-6)
        .fit(&ds)
        .map_err(|e| AnalyticsError::Clustering(e.to_string()))?;
    Ok((model.predict(x), model.centroids().clone()))
}

/// Mean silhouette of each k on a seeded sample; returns `(k, score)` pairs.
///
/// # Errors
/// [`AnalyticsError::Clustering`] when a fit fails.
pub fn silhouettes(
    z: &Array2<f64>,
    request: &CohortRequest,
) -> Result<Vec<(usize, f64)>, AnalyticsError> {
    let mut rng = Xoshiro256Plus::seed_from_u64(request.seed);
    let m = request.sample_size.min(z.nrows());
    let mut idx = rand::seq::index::sample(&mut rng, z.nrows(), m).into_vec();
    idx.sort_unstable();
    let sample = z.select(Axis(0), &idx);
    // Each k's fit is seeded on its own, so the k are scored in parallel
    // (rayon) with the same scores as one after another, in k's order.
    (request.k_min..=request.k_max.min(m.saturating_sub(1)))
        .into_par_iter()
        .map(|k| {
            let (labels, _) = fit(&sample, k, request.seed)?;
            let ds = DatasetBase::new(sample.clone(), labels);
            let s = ds
                .silhouette_score()
                .map_err(|e| AnalyticsError::Clustering(e.to_string()))?;
            Ok((k, s))
        })
        .collect()
}

/// Merges clusters smaller than `min` into the one with the nearest centre
/// (size-weighted centres); returns new labels `0..k'` and the merge count.
fn merge_small(labels: &mut Array1<usize>, centres: &Array2<f64>, min: usize) -> usize {
    let k = centres.nrows();
    let mut size = vec![0usize; k];
    for &l in labels.iter() {
        size[l] += 1;
    }
    let mut centre: Vec<Array1<f64>> = centres.outer_iter().map(|r| r.to_owned()).collect();
    let mut alive: Vec<bool> = size.iter().map(|&s| s > 0).collect();
    let mut target: Vec<usize> = (0..k).collect();
    let mut merged = 0;
    loop {
        let live: Vec<usize> = (0..k).filter(|&c| alive[c]).collect();
        if live.len() < 2 {
            break;
        }
        let Some(&small) = live
            .iter()
            .filter(|&&c| size[c] < min)
            .min_by_key(|&&c| (size[c], c))
        else {
            break;
        };
        let dist = |a: usize, b: usize| (&centre[a] - &centre[b]).mapv(|v| v * v).sum();
        let Some(&into) = live
            .iter()
            .filter(|&&c| c != small)
            .min_by(|&&a, &&b| dist(small, a).total_cmp(&dist(small, b)).then(a.cmp(&b)))
        else {
            break;
        };
        let (ws, wi) = (size[small] as f64, size[into] as f64);
        centre[into] = (&centre[into] * wi + &centre[small] * ws) / (wi + ws);
        size[into] += size[small];
        size[small] = 0;
        alive[small] = false;
        for t in target.iter_mut() {
            if *t == small {
                *t = into;
            }
        }
        merged += 1;
    }
    // Relabel: largest first, ties by old label.
    let mut order: Vec<usize> = (0..k).filter(|&c| alive[c]).collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(size[c]), c));
    let mut new = vec![0usize; k];
    for (i, &c) in order.iter().enumerate() {
        new[c] = i;
    }
    labels.mapv_inplace(|l| new[target[l]]);
    merged
}

fn dec3(v: f64) -> Decimal {
    let mut d = Decimal::from_f64_retain(v)
        .unwrap_or_default()
        .round_dp_with_strategy(3, crate::round::ROUNDING);
    // Always three places, so 0 prints as 0.000 like its neighbours.
    d.rescale(3);
    d
}

/// Cohorts of a feature matrix, before any comparison table.
#[derive(Debug, Clone)]
pub struct Clustering {
    /// How it was made (`people_without_shifts` 0 and `rejections` empty:
    /// the caller fills them when it knows them).
    pub meta: CohortMeta,
    /// Cohorts, largest first.
    pub cohorts: Vec<Cohort>,
    /// Each row's cohort (0-based: cohort `label - 1`).
    pub labels: Array1<usize>,
}

fn check_request(request: &CohortRequest) -> Result<(), AnalyticsError> {
    if request.k_min < 2 || request.k_max < request.k_min || request.k_max > 20 {
        return Err(AnalyticsError::InvalidSetting {
            name: "k",
            reason: format!(
                "{}..={} must lie within 2..=20",
                request.k_min, request.k_max
            ),
        });
    }
    if request.min_cohort_people < MIN_PEOPLE as usize {
        return Err(AnalyticsError::InvalidSetting {
            name: "min_cohort_people",
            reason: format!("must be at least {MIN_PEOPLE}"),
        });
    }
    if request.sample_size < 10 * request.k_max {
        return Err(AnalyticsError::InvalidSetting {
            name: "sample_size",
            reason: "needs at least 10 people per k tried".into(),
        });
    }
    Ok(())
}

/// Steps 2–6 on a ready feature matrix (`people × FEATURES`, NaN where
/// missing, rows in a reproducible order): standardise, choose k, fit,
/// merge small cohorts and describe each by its size and centre.
///
/// # Errors
/// As [`run_cohorts`].
pub fn cluster(request: &CohortRequest, raw: &Array2<f64>) -> Result<Clustering, AnalyticsError> {
    check_request(request)?;
    if raw.ncols() != FEATURES.len() {
        return Err(AnalyticsError::InvalidSetting {
            name: "features",
            reason: format!("{} columns, not {}", raw.ncols(), FEATURES.len()),
        });
    }
    let people = raw.nrows();
    let needed = request.k_min * request.min_cohort_people;
    if people < needed {
        return Err(AnalyticsError::TooFewPeople { people, needed });
    }
    let z = standardise(raw);
    let scores = silhouettes(&z, request)?;
    let chosen_k = scores
        .iter()
        .fold(None::<(usize, f64)>, |best, &(k, s)| match best {
            Some((_, bs)) if bs >= s => best,
            _ => Some((k, s)),
        })
        .map_or(request.k_min, |(k, _)| k);
    let (mut labels, centres) = fit(&z, chosen_k, request.seed)?;
    let merged = merge_small(&mut labels, &centres, request.min_cohort_people);
    let n_cohorts = labels.iter().max().map_or(0, |m| m + 1);

    let cohorts = (0..n_cohorts)
        .map(|c| {
            let members: Vec<usize> = labels
                .iter()
                .enumerate()
                .filter(|&(_, &l)| l == c)
                .map(|(i, _)| i)
                .collect();
            let centre = FEATURES
                .iter()
                .enumerate()
                .map(|(j, name)| {
                    let vals: Vec<f64> = members
                        .iter()
                        .map(|&i| raw[[i, j]])
                        .filter(|v| v.is_finite())
                        .collect();
                    let zc = members.iter().map(|&i| z[[i, j]]).sum::<f64>()
                        / members.len().max(1) as f64;
                    let ok = publishable(vals.len());
                    let sum: i64 = vals.iter().map(|v| (v * FIXED).round() as i64).sum();
                    CentreFeature {
                        feature: (*name).to_owned(),
                        mean: if ok {
                            ratio(sum, vals.len() as i64, FIXED as i64)
                        } else {
                            None
                        },
                        people_with_data: ok.then_some(vals.len() as u64),
                        standardised: dec3(zc),
                    }
                })
                .collect();
            Cohort {
                label: c + 1,
                size: members.len() as u64,
                share: Percentage::new(
                    members.len() as i64,
                    people as i64,
                    "people clustered (at least one shift in the period)",
                ),
                centre,
            }
        })
        .collect();
    let missing = FEATURES
        .iter()
        .enumerate()
        .map(|(j, n)| {
            (
                (*n).to_owned(),
                raw.column(j).iter().filter(|v| !v.is_finite()).count(),
            )
        })
        .collect();
    Ok(Clustering {
        meta: CohortMeta {
            period: request.period,
            seed: request.seed,
            sample_size: request.sample_size.min(people),
            silhouettes: scores.iter().map(|&(k, s)| (k, dec3(s))).collect(),
            chosen_k,
            merged,
            people_clustered: people,
            people_without_shifts: 0,
            missing,
            rejections: Rejections::new(),
        },
        cohorts,
        labels,
    })
}

/// Runs the cohort analysis.
///
/// # Errors
/// [`AnalyticsError::InvalidSetting`] for a k range or sizes out of range;
/// [`AnalyticsError::TooFewPeople`] when fewer than `max(k_min, 2) × min_cohort_people`
/// people qualify; [`AnalyticsError::Clustering`] when linfa fails.
pub fn run_cohorts(
    request: &CohortRequest,
    people: Vec<PersonRecords>,
) -> Result<CohortRun, AnalyticsError> {
    let zone = parse_zone(&request.zone)?;
    check_request(request)?;
    let mut rejections = Rejections::new();
    let people = clean_all(people, &mut rejections);
    let f = features(&people, &request.period, zone);
    let mut c = cluster(request, &f.raw)?;
    c.meta.people_without_shifts = f.without_shifts;
    c.meta.rejections = rejections;
    let n_cohorts = c.cohorts.len();
    let tables = comparison_tables(&people, &f, &c.labels, n_cohorts);
    Ok(CohortRun {
        meta: c.meta,
        cohorts: c.cohorts,
        tables,
    })
}

fn comparison_tables(
    people: &[PersonRecords],
    f: &Features,
    labels: &Array1<usize>,
    k: usize,
) -> Vec<Table> {
    let cohort_spec = |id: &'static str, by: &str| TableSpec {
        id,
        title: format!("People in each cohort by {by}"),
        unit: "people",
        columns: (1..=k)
            .map(|c| ColumnSpec::count(&format!("cohort {c}")))
            .chain(std::iter::once(ColumnSpec::count("people clustered")))
            .collect(),
        partition: Some(Partition {
            parts: (0..k).collect(),
            total: k,
            percent_of: format!("people clustered in this {by}"),
        }),
        link: None,
    };
    let membership = |l: usize| {
        let mut v = vec![None; k + 1];
        v[l] = Some(1);
        v[k] = Some(1);
        v
    };
    let by = |path: &dyn Fn(usize) -> Vec<String>, root: &str, spec: TableSpec| -> Vec<Table> {
        let paths: Vec<Vec<String>> = f.rows.iter().map(|&i| path(i)).collect();
        let h = Hierarchy::new(root, paths.iter().map(Vec::as_slice));
        let mut t = RawTable::new(spec, &h);
        for (row, p) in paths.iter().enumerate() {
            if let Some(leaf) = h.row(p) {
                t.add(&h, leaf, &membership(labels[row]));
            }
        }
        publish(&h, vec![t])
    };
    let mut out = by(
        &|i| vec![people[i].person.force.clone()],
        "All forces",
        cohort_spec("cohort_by_force", "force"),
    );
    out.extend(by(
        &|i| vec![people[i].person.role.clone()],
        "All roles",
        cohort_spec("cohort_by_role", "role"),
    ));

    // Feature means by force, then role within force.
    let mut columns = Vec::new();
    for name in FEATURES {
        let n = columns.len();
        columns.push(ColumnSpec::hidden(&format!("people with {name}")));
        columns.push(ColumnSpec::mean(name, n, FIXED as i64));
    }
    let spec = TableSpec {
        id: "features_by_force_and_role",
        title: "Mean of each feature by force and role (over people who have it)".into(),
        unit: "people",
        columns,
        partition: None,
        link: None,
    };
    let paths: Vec<Vec<String>> = f
        .rows
        .iter()
        .map(|&i| {
            vec![
                people[i].person.force.clone(),
                people[i].person.role.clone(),
            ]
        })
        .collect();
    let h = Hierarchy::new("All forces", paths.iter().map(Vec::as_slice));
    let mut t = RawTable::new(spec, &h);
    for (row, p) in paths.iter().enumerate() {
        let contribution: Vec<Option<i64>> = f
            .raw
            .row(row)
            .iter()
            .flat_map(|&v| {
                let present = v.is_finite();
                [
                    present.then_some(1),
                    present.then(|| (v * FIXED).round() as i64),
                ]
            })
            .collect();
        if let Some(leaf) = h.row(p) {
            t.add(&h, leaf, &contribution);
        }
    }
    out.extend(publish(&h, vec![t]));
    out
}

/// The cohorts and comparison tables as long-format CSV.
///
/// # Errors
/// [`AnalyticsError::Csv`].
pub fn render_cohorts_csv(run: &CohortRun) -> Result<String, AnalyticsError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "section",
        "table",
        "row",
        "column",
        "value",
        "suppressed",
        "percent",
        "percent_of",
        "seed",
        "chosen_k",
    ])?;
    let seed = run.meta.seed.to_string();
    let k = run.meta.chosen_k.to_string();
    for c in &run.cohorts {
        let label = format!("cohort {}", c.label);
        let (pct, of) = c.share.as_ref().map_or((String::new(), ""), |p| {
            (p.value.to_string(), p.of.as_str())
        });
        w.write_record([
            "cohort",
            "cohorts",
            &label,
            "size",
            &c.size.to_string(),
            "false",
            &pct,
            of,
            &seed,
            &k,
        ])?;
        for f in &c.centre {
            let v = f.mean.map(|m| m.to_string()).unwrap_or_default();
            let sup = f.mean.is_none().to_string();
            w.write_record([
                "cohort", "cohorts", &label, &f.feature, &v, &sup, "", "", &seed, &k,
            ])?;
        }
    }
    for t in &run.tables {
        for r in &t.rows {
            let row = r.csv_label(&r.label);
            for (col, c) in t.columns.iter().zip(&r.cells) {
                let (v, pct, of) = c.csv_fields();
                w.write_record([
                    "table",
                    &t.id,
                    &row,
                    col,
                    &v,
                    &c.suppressed.to_string(),
                    &pct,
                    of,
                    &seed,
                    &k,
                ])?;
            }
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AnalyticsError::Csv(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(|e| AnalyticsError::Render(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circular_sd_handles_midnight() {
        // 23:30, 00:30 are one hour apart, not 23.
        let sd = circular_sd_hours([23.5, 0.5, 23.5, 0.5].into_iter()).unwrap();
        assert!((sd - 0.5).abs() < 0.01, "{sd}");
        assert!(circular_sd_hours([1.0, 2.0].into_iter()).is_none());
    }

    #[test]
    fn slope_of_a_line() {
        let s = slope(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]).unwrap();
        assert!((s - 2.0).abs() < 1e-12);
        assert!(slope(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]).is_none());
    }

    #[test]
    fn standardise_centres_and_scales_and_zeroes_missing() {
        let raw = ndarray::array![[1.0, f64::NAN], [3.0, 2.0], [5.0, 2.0]];
        let z = standardise(&raw);
        assert!(z.column(0).sum().abs() < 1e-12);
        assert!((z[[2, 0]] - 1.224_744_871).abs() < 1e-6);
        assert_eq!(z[[0, 1]], 0.0);
        assert_eq!(z[[1, 1]], 0.0, "a constant column stays 0");
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn silhouettes_in_parallel_are_the_serial_scores_in_k_order() {
        // Three well-separated blobs of 40 points in 12 features (a
        // deterministic spread around centres 0, 5 and 10): k = 3 must score
        // best, and the scores from 4 threads must equal those from 1 bit for
        // bit, listed k = 2..=5 in order.
        let z = Array2::from_shape_fn((120, FEATURES.len()), |(i, j)| {
            (i / 40) as f64 * 5.0 + ((i * 7 + j * 3) % 11) as f64 / 20.0
        });
        let mut request = CohortRequest::new(
            Period::new(
                chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
                chrono::NaiveDate::from_ymd_opt(2026, 3, 29).unwrap(),
            )
            .unwrap(),
            7,
        );
        (request.k_min, request.k_max, request.sample_size) = (2, 5, 100);
        let on = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| silhouettes(&z, &request).unwrap())
        };
        let serial = on(1);
        assert_eq!(serial, on(4));
        let ks: Vec<usize> = serial.iter().map(|&(k, _)| k).collect();
        assert_eq!(ks, vec![2, 3, 4, 5]);
        let best = serial
            .iter()
            .fold((0, f64::MIN), |b, &(k, s)| if s > b.1 { (k, s) } else { b });
        assert_eq!(best.0, 3, "{serial:?}");
    }

    #[test]
    fn small_clusters_merge_into_the_nearest() {
        let centres = ndarray::array![[0.0], [10.0], [0.5]];
        let mut labels = Array1::from(vec![0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2]);
        let merged = merge_small(&mut labels, &centres, 5);
        assert_eq!(merged, 1);
        // Cluster 2 (2 people at 0.5) joins cluster 0 (at 0), which becomes the largest.
        assert_eq!(labels.iter().filter(|&&l| l == 0).count(), 8);
        assert_eq!(labels[12], labels[0]);
        assert_ne!(labels[6], labels[0]);
    }
}
