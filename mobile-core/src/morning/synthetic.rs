//! A synthetic morning for the `morning` bench, the `morning_cpu` example
//! and the morning tests: a store as the phone holds it before the officer
//! wakes, and the night's HealthKit hand-off. Deterministic; not science
//! (the nights come from [`crate::wearables::synthetic`]).

use std::error::Error;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use super::{MorningError, MorningUpdate, read, update};
use crate::LocalClock;
use crate::coaching::content::ContentPack;
use crate::store::{ConsentLevel, Store};
use crate::synthetic::Rng;
use crate::wearables::synthetic::{day, healthkit_json};
use crate::wearables::{Format, Ingest, IngestOptions};

/// Nights already imported before the morning: enough for the HRV baseline
/// (15 nights before the rolling week, 14 needed), so the morning is fully
/// scored.
const STORED_NIGHTS: i64 = 21;

/// The morning of 22 January 2025 in Europe/London: 21 nights imported
/// (consent covers sleep summaries), a night shift rostered that evening
/// (19:00-05:00 UTC), and the ninth night's HealthKit JSON still to import
/// (1,440 minute heart-rate readings included).
#[derive(Debug, Clone)]
pub struct SyntheticMorning {
    /// The stored nights' HealthKit JSON, oldest first.
    stored: Vec<String>,
    /// The night's HealthKit JSON, handed over this morning.
    pub tonight: String,
    /// When the officer opens the app: 09:00 UTC on the scored date.
    pub now: DateTime<Utc>,
    /// The date being scored.
    pub today: NaiveDate,
    /// The officer's clock.
    pub clock: LocalClock,
    /// The rostered shift that evening.
    pub shift: models::Shift,
    /// The shipped coaching content.
    pub pack: ContentPack,
}

impl SyntheticMorning {
    /// Builds the morning's data.
    ///
    /// # Errors
    /// Never for the built-in dates and content; typed rather than panicking.
    pub fn new() -> Result<Self, Box<dyn Error + Send + Sync>> {
        let first = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("built-in date")?;
        let mut rng = Rng::new(11);
        let mut nights: Vec<String> = (0..=STORED_NIGHTS)
            .map(|d| healthkit_json(&day(first + Duration::days(d), &mut rng)))
            .collect();
        let tonight = nights.pop().ok_or("built-in nights")?;
        let today = first + Duration::days(STORED_NIGHTS);
        let midnight = today.and_time(NaiveTime::MIN).and_utc();
        let shift_start = midnight + Duration::hours(19);
        Ok(Self {
            stored: nights,
            tonight,
            now: midnight + Duration::hours(9),
            today,
            clock: LocalClock::new(chrono_tz::Tz::Europe__London),
            shift: models::Shift::new(shift_start, shift_start + Duration::hours(10))?,
            pack: ContentPack::shipped()?,
        })
    }

    /// Fills `store` as the phone holds it before the morning: consent to
    /// share sleep summaries, the roster, the stored nights imported.
    ///
    /// # Errors
    /// [`MorningError`] when a write fails.
    pub fn fill(&self, store: &mut Store) -> Result<(), MorningError> {
        store.set_consent(ConsentLevel::SleepSummaries)?;
        store.replace_roster(&[(self.shift.start(), self.shift.end())], self.now)?;
        let mut nights = Ingest::new(IngestOptions {
            now: self.now,
            zone: self.clock.zone(),
        });
        for night in &self.stored {
            nights.read(Format::HealthKitJson, night.as_bytes())?;
        }
        super::import(store, &nights.finish(), self.now)?;
        Ok(())
    }

    /// Writes the filled store to a new file at `path` and closes it, so it
    /// can be copied for each run.
    ///
    /// # Errors
    /// [`MorningError`] when the file cannot be created or written.
    pub fn write_store(&self, path: &Path) -> Result<(), MorningError> {
        let mut store = Store::open(path)?;
        self.fill(&mut store)
    }

    /// The morning update as the phone library runs it: read the night's
    /// HealthKit JSON, then [`update`] with the 48-hour forecast the app
    /// shows.
    ///
    /// # Errors
    /// As [`update`].
    pub fn update(&self, store: &mut Store) -> Result<MorningUpdate, MorningError> {
        let night = read(
            Format::HealthKitJson,
            self.tonight.as_bytes(),
            &self.clock,
            self.now,
        )?;
        update(
            store,
            &self.clock,
            &self.pack,
            self.now,
            Some(&night),
            super::HORIZON_HOURS,
        )
    }
}
