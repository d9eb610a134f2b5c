//! The personal plan on the device: the officer's plan preferences (a
//! setting) and the planned days, one row per local date. Re-planning
//! replaces today and the days after it; a day already lived keeps what was
//! planned for it, so the app can show plan against actual.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;

use super::{Store, StoreError, put_setting, secs};
use crate::plan::{PlanDay, PlanPreferences};

const SETTING_PLAN_PREFERENCES: &str = "plan_preferences";

impl Store {
    /// The officer's plan preferences (defaults until they set any).
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored value that does not read back.
    pub fn plan_preferences(&self) -> Result<PlanPreferences, StoreError> {
        match self.setting(SETTING_PLAN_PREFERENCES)? {
            None => Ok(PlanPreferences::default()),
            Some(text) => serde_json::from_str(&text).map_err(|_| StoreError::Corrupt {
                what: "plan preferences setting",
            }),
        }
    }

    /// Keeps the officer's plan preferences.
    ///
    /// # Errors
    /// [`StoreError::Plan`] for a value out of range (nothing is kept);
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn set_plan_preferences(&mut self, prefs: &PlanPreferences) -> Result<(), StoreError> {
        prefs.validate()?;
        let text = serde_json::to_string(prefs)?;
        self.write(|tx| put_setting(tx, SETTING_PLAN_PREFERENCES, &text))
    }

    /// Keeps a plan's days: those from `today` on replace what was planned
    /// before; an earlier day is kept only if nothing was planned for it
    /// yet (a lived day keeps its plan). Returns the days written.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure (nothing is kept).
    pub fn keep_plan_days(
        &mut self,
        days: &[PlanDay],
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let rows: Vec<(String, String, bool)> = days
            .iter()
            .map(|d| {
                Ok((
                    d.date.to_string(),
                    serde_json::to_string(d)?,
                    d.date >= today,
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        self.write(|tx| {
            let mut written = 0;
            for (date, json, replace) in &rows {
                let sql = if *replace {
                    "INSERT INTO plan_days (local_date, day, planned_at_s) VALUES (?1, ?2, ?3)
                     ON CONFLICT (local_date) DO UPDATE
                        SET day = excluded.day, planned_at_s = excluded.planned_at_s"
                } else {
                    "INSERT INTO plan_days (local_date, day, planned_at_s) VALUES (?1, ?2, ?3)
                     ON CONFLICT (local_date) DO NOTHING"
                };
                written += tx.execute(sql, params![date, json, secs(now)])?;
            }
            Ok(written)
        })
    }

    /// The planned days from `from` to `to` (local dates, inclusive), in
    /// order; days never planned are absent.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a row that does not read back.
    pub fn planned_days(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<PlanDay>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT day FROM plan_days WHERE local_date BETWEEN ?1 AND ?2 ORDER BY local_date",
        )?;
        let rows = stmt.query_map(params![from.to_string(), to.to_string()], |r| {
            r.get::<_, String>(0)
        })?;
        rows.map(|r| {
            serde_json::from_str(&r?).map_err(|_| StoreError::Corrupt {
                what: "planned day",
            })
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanWindow, WindowKind};
    use chrono::TimeZone;

    fn day(d: u32, hour: u32) -> PlanDay {
        let t = Utc.with_ymd_and_hms(2025, 1, d, hour, 0, 0).unwrap();
        PlanDay {
            date: NaiveDate::from_ymd_opt(2025, 1, d).unwrap(),
            windows: vec![PlanWindow {
                kind: WindowKind::MainSleep,
                start: t,
                end: t + chrono::Duration::hours(7),
                reason: "r".into(),
                source: "s".into(),
            }],
        }
    }

    #[test]
    fn a_lived_day_keeps_its_plan_and_coming_days_are_replaced() {
        let mut store = Store::open_in_memory().unwrap();
        let now = Utc.with_ymd_and_hms(2025, 1, 10, 8, 0, 0).unwrap();
        let today = NaiveDate::from_ymd_opt(2025, 1, 10).unwrap();
        assert_eq!(
            store
                .keep_plan_days(&[day(9, 23), day(10, 23)], today, now)
                .unwrap(),
            2
        );
        // The next day, a re-plan moves both nights to 22:00: the 10th is
        // now lived and keeps 23:00; the 11th is new.
        let today = NaiveDate::from_ymd_opt(2025, 1, 11).unwrap();
        let written = store
            .keep_plan_days(&[day(10, 22), day(11, 22)], today, now)
            .unwrap();
        assert_eq!(written, 1);
        let kept = store
            .planned_days(
                NaiveDate::from_ymd_opt(2025, 1, 9).unwrap(),
                NaiveDate::from_ymd_opt(2025, 1, 11).unwrap(),
            )
            .unwrap();
        assert_eq!(kept, vec![day(9, 23), day(10, 23), day(11, 22)]);
        // Today is replaced by a later re-plan the same day.
        store.keep_plan_days(&[day(11, 21)], today, now).unwrap();
        assert_eq!(store.planned_days(today, today).unwrap(), vec![day(11, 21)]);
    }

    #[test]
    fn preferences_round_trip_and_out_of_range_ones_are_refused() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(
            store.plan_preferences().unwrap(),
            PlanPreferences::default()
        );
        let prefs = PlanPreferences {
            commute_hours: Some(0.75),
            chronotype: Some(crate::plan::Chronotype::Late),
            ..PlanPreferences::default()
        };
        store.set_plan_preferences(&prefs).unwrap();
        assert_eq!(store.plan_preferences().unwrap(), prefs);
        let bad = PlanPreferences {
            commute_hours: Some(4.5),
            ..PlanPreferences::default()
        };
        assert!(matches!(
            store.set_plan_preferences(&bad),
            Err(StoreError::Plan(crate::plan::PlanError::Commute))
        ));
        assert_eq!(store.plan_preferences().unwrap(), prefs);
    }
}
