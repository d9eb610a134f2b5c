//! NPWS cohort runs on small synthetic forces.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use analytics::cohorts::{CohortRequest, render_cohorts_csv, run_cohorts};
use analytics::input::{Period, PersonRecords};
use analytics::synthetic::{SyntheticForce, generate};
use chrono::NaiveDate;

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 2, d).unwrap()
}

fn forces() -> Vec<PersonRecords> {
    ["Northshire", "Southshire", "Westshire"]
        .iter()
        .enumerate()
        .flat_map(|(i, f)| generate(&SyntheticForce::new(f, 100, date(1), 28, i as u64)))
        .collect()
}

fn request() -> CohortRequest {
    let mut r = CohortRequest::new(Period::new(date(8), date(28)).unwrap(), 42);
    r.zone = "UTC".into();
    r.sample_size = 150;
    r.k_max = 4;
    r.min_cohort_people = 20;
    r
}

#[test]
fn cohorts_are_big_enough_cover_everyone_and_repeat_with_the_seed() {
    let run = run_cohorts(&request(), forces()).unwrap();
    assert_eq!(run.meta.people_clustered, 300);
    assert!(!run.cohorts.is_empty() && run.cohorts.len() <= run.meta.chosen_k);
    assert!(run.cohorts.iter().all(|c| c.size >= 20));
    assert_eq!(run.cohorts.iter().map(|c| c.size).sum::<u64>(), 300);
    assert!(run.cohorts.windows(2).all(|w| w[0].size >= w[1].size));
    let best = run
        .meta
        .silhouettes
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        .unwrap();
    assert_eq!(best.0, run.meta.chosen_k);
    let again = run_cohorts(&request(), forces()).unwrap();
    assert_eq!(
        serde_json::to_string(&run).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
}

#[test]
fn comparisons_suppress_small_groups() {
    let mut people = forces();
    // A force with 3 people: its rows must be withheld.
    people.extend(generate(&SyntheticForce::new(
        "Tinyshire",
        3,
        date(1),
        28,
        9,
    )));
    let run = run_cohorts(&request(), people).unwrap();
    let t = run
        .tables
        .iter()
        .find(|t| t.id == "cohort_by_force")
        .unwrap();
    let tiny = t.rows.iter().find(|r| r.label == "Tinyshire").unwrap();
    assert!(tiny.cells.iter().all(|c| c.suppressed));
    let features = run
        .tables
        .iter()
        .find(|t| t.id == "features_by_force_and_role")
        .unwrap();
    for r in features
        .rows
        .iter()
        .filter(|r| r.path.first().is_some_and(|f| f == "Tinyshire"))
    {
        assert!(r.cells.iter().all(|c| c.value.is_none()));
    }
    let csv = render_cohorts_csv(&run).unwrap();
    assert!(
        csv.lines().nth(1).unwrap().contains(",42,"),
        "every line records the seed"
    );
}

#[test]
fn settings_and_tiny_inputs_are_typed_errors() {
    let mut r = request();
    r.k_min = 1;
    assert!(run_cohorts(&r, forces()).is_err());
    let mut r = request();
    r.min_cohort_people = 3;
    assert!(run_cohorts(&r, forces()).is_err());
    let few = generate(&SyntheticForce::new("Few", 10, date(1), 28, 1));
    assert!(run_cohorts(&request(), few).is_err());
}
