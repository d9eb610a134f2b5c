//! The officer's planned bedtime: a local clock time they choose, kept as a
//! setting on the device. Coaching's caffeine cut-off counts back from it
//! (`crate::morning::planned_sleep_start`); without it, from the sleep the
//! roster rules predict.

use chrono::NaiveTime;

use super::{Store, StoreError, put_setting};

const SETTING_PLANNED_BEDTIME: &str = "planned_bedtime";
const FORMAT: &str = "%H:%M";

impl Store {
    /// The officer's planned bedtime, local clock time, if they set one.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure; [`StoreError::Corrupt`] for
    /// a stored value that is not `HH:MM`.
    pub fn planned_bedtime(&self) -> Result<Option<NaiveTime>, StoreError> {
        self.setting(SETTING_PLANNED_BEDTIME)?
            .map(|text| {
                NaiveTime::parse_from_str(&text, FORMAT).map_err(|_| StoreError::Corrupt {
                    what: "planned bedtime setting",
                })
            })
            .transpose()
    }

    /// Keeps the officer's planned bedtime (to the minute), or forgets it
    /// with `None`.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn set_planned_bedtime(&mut self, bedtime: Option<NaiveTime>) -> Result<(), StoreError> {
        self.write(|tx| match bedtime {
            Some(t) => put_setting(tx, SETTING_PLANNED_BEDTIME, &t.format(FORMAT).to_string()),
            None => {
                tx.execute(
                    "DELETE FROM settings WHERE key = ?1",
                    [SETTING_PLANNED_BEDTIME],
                )?;
                Ok(())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bedtime_is_kept_to_the_minute_and_forgotten() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.planned_bedtime().unwrap(), None);
        let t = NaiveTime::from_hms_opt(22, 30, 45).unwrap();
        store.set_planned_bedtime(Some(t)).unwrap();
        assert_eq!(
            store.planned_bedtime().unwrap(),
            NaiveTime::from_hms_opt(22, 30, 0)
        );
        store.set_planned_bedtime(None).unwrap();
        assert_eq!(store.planned_bedtime().unwrap(), None);
    }
}
