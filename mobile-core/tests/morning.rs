//! The morning update (`mobile_core::morning`) on the synthetic morning the
//! bench times: what it imports, scores, forecasts and queues; that it
//! equals its steps run one by one; that the score still sees the next
//! shift when the forecast's horizon is shorter; and how unreadable data
//! is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use mobile_core::morning::synthetic::SyntheticMorning;
use mobile_core::morning::{self, HORIZON_HOURS, MorningError};
use mobile_core::recovery::{Reason, Status};
use mobile_core::roster::assess::SleepBasis;
use mobile_core::store::{QueueCounts, Store};
use mobile_core::wearables::Format;

fn filled(m: &SyntheticMorning) -> Store {
    let mut store = Store::open_in_memory().unwrap();
    m.fill(&mut store).unwrap();
    store
}

#[test]
fn the_synthetic_morning_imports_scores_forecasts_and_queues() {
    let m = SyntheticMorning::new().unwrap();
    let mut store = filled(&m);
    let before = store.queue_counts().unwrap();
    let u = m.update(&mut store).unwrap();

    let import = u.wearable_import.as_ref().unwrap();
    assert_eq!(import.rejected, 0);
    assert!(import.rejected_by_reason.is_empty());
    assert_eq!(import.duplicates, 0, "the night was not stored before");
    // Sleep stages, two SDNN readings, a resting rate and 1,440 minute
    // heart-rate readings.
    assert!(import.accepted > 1_440, "accepted {}", import.accepted);
    assert!(import.sleep_episodes >= 1);

    let score = &u.recovery.score;
    assert_eq!(score.date, m.today);
    assert_eq!(score.status, Status::Scored);
    assert!(score.score.is_some_and(|s| s <= 100));
    assert!(
        score.sleep_minutes > 6 * 60 && score.sleep_minutes < 9 * 60,
        "slept {} min",
        score.sleep_minutes
    );
    assert!(u.recovery.summary_queued, "consent covers sleep summaries");
    assert!(
        score
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::NextShiftFatigue { threshold, .. } if *threshold == 45.0)),
        "the evening's night shift is the next shift: {:?}",
        score.reasons
    );

    assert_eq!(u.forecast.len(), 1);
    let shift = &u.forecast[0].assessment;
    assert_eq!(
        u.forecast[0].personal, None,
        "no check-ins: not personalised"
    );
    assert_eq!(shift.start.with_timezone(&Utc), m.shift.start());
    assert!(shift.night, "19:00-05:00 is a night shift");
    assert_eq!(shift.fatigue_index_threshold, 45.0);
    assert_eq!(shift.sleep_basis, SleepBasis::Mixed);

    assert_eq!(
        u.queue,
        QueueCounts {
            pending: before.pending + 1,
            ..before
        },
        "one daily summary queued"
    );
    assert_eq!(u.sync_cursor, 0);
    assert_eq!(store.recovery_score(m.today).unwrap().as_ref(), Some(score));
}

#[test]
fn the_update_equals_its_steps_run_one_by_one() {
    let m = SyntheticMorning::new().unwrap();
    let mut one = filled(&m);
    let update = m.update(&mut one).unwrap();

    let mut steps = filled(&m);
    let night =
        morning::read(Format::HealthKitJson, m.tonight.as_bytes(), &m.clock, m.now).unwrap();
    let import = morning::import(&mut steps, &night, m.now).unwrap();
    let assessment = morning::assess(&steps, &m.clock, m.now, HORIZON_HOURS).unwrap();
    let score = morning::score(&mut steps, &m.clock, m.now, &assessment).unwrap();
    let coaching = morning::coaching(&steps, &m.clock, &m.pack, m.now, &assessment).unwrap();
    let forecast = morning::forecast(&steps, &m.clock, m.now, HORIZON_HOURS).unwrap();

    assert_eq!(update.wearable_import, Some(import));
    assert_eq!(update.recovery, score);
    assert_eq!(update.forecast, forecast.shifts);
    let plain: Vec<_> = update
        .forecast
        .iter()
        .map(|f| f.assessment.clone())
        .collect();
    assert_eq!(plain, morning::upcoming(&assessment, m.now));
    assert_eq!(update.coaching, coaching);
    assert_eq!(update.queue, steps.queue_counts().unwrap());
}

#[test]
fn a_short_forecast_horizon_still_scores_against_the_next_shift() {
    let m = SyntheticMorning::new().unwrap();
    let mut store = filled(&m);
    let u = morning::update(&mut store, &m.clock, &m.pack, m.now, None, 6).unwrap();
    assert!(u.wearable_import.is_none());
    assert!(
        u.forecast.is_empty(),
        "the 19:00 shift starts 10 h after now, beyond 6 h"
    );
    assert!(
        u.recovery
            .score
            .reasons
            .iter()
            .any(|r| matches!(r, Reason::NextShiftFatigue { .. })),
        "the score looks 48 h ahead whatever the forecast shows"
    );
    // Without last night's data there is no sleep ending today: no summary.
    assert!(!u.recovery.summary_queued);
    assert_ne!(u.recovery.score.status, Status::Scored);
}

#[test]
fn unreadable_night_data_is_refused_as_such() {
    let m = SyntheticMorning::new().unwrap();
    let err = morning::read(Format::HealthKitJson, &b"{not json"[..], &m.clock, m.now);
    assert!(matches!(
        err.map_err(MorningError::from),
        Err(MorningError::Wearable(_))
    ));
}

#[test]
fn red_mornings_and_the_weeks_debt_reach_the_phones_coaching() {
    use mobile_core::coaching::Trigger;
    use models::sync::RecoveryBand;
    let m = SyntheticMorning::new().unwrap();
    let fired = |store: &mut Store| -> Vec<Trigger> {
        m.update(store)
            .unwrap()
            .coaching
            .iter()
            .map(|c| c.trigger)
            .collect()
    };
    // The ordinary synthetic morning: no run of red mornings.
    let mut plain = filled(&m);
    let ordinary = fired(&mut plain);
    assert!(
        !ordinary.contains(&Trigger::PersistentRedRecovery),
        "{ordinary:?}"
    );
    // Two red mornings stored before today, and today's scored red: three in a row.
    let mut store = filled(&m);
    let today = m.update(&mut store).unwrap().recovery.score;
    assert!(today.score.is_some());
    for days_back in [1, 2] {
        let mut red = today.clone();
        red.date = today.date - chrono::Duration::days(days_back);
        red.band = Some(RecoveryBand::Red);
        store.record_morning(&red, None, Utc::now()).unwrap();
    }
    let mut red_today = today.clone();
    red_today.band = Some(RecoveryBand::Red);
    // A week's debt past the trigger's 300 minutes.
    red_today.sleep_debt_minutes = 360;
    store.record_morning(&red_today, None, Utc::now()).unwrap();
    let ctx = mobile_core::morning::coaching_context(&store, &m.clock, m.now, &[]).unwrap();
    assert_eq!(ctx.recovery_bands.len(), 3, "{:?}", ctx.recovery_bands);
    assert_eq!(ctx.sleep_debt_minutes, Some(360));
    let triggers: Vec<Trigger> = mobile_core::coaching::fired_triggers(&ctx, &Default::default())
        .iter()
        .map(|f| f.trigger)
        .collect();
    assert!(
        triggers.contains(&Trigger::PersistentRedRecovery),
        "{triggers:?}"
    );
    assert!(triggers.contains(&Trigger::SleepDebt), "{triggers:?}");
}
