//! The regular epoch grid a simulation runs on.

use chrono::{DateTime, Duration, Utc};

use crate::EngineError;

/// Shortest epoch accepted: one minute.
pub const MIN_EPOCH_SECONDS: i64 = 60;
/// Longest epoch accepted: one hour.
pub const MAX_EPOCH_SECONDS: i64 = 3600;

/// A regular grid of instants from `start` to `end` inclusive, one every `epoch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochGrid {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    epoch: Duration,
}

impl EpochGrid {
    /// A validated grid.
    ///
    /// # Errors
    /// [`EngineError::EpochOutOfRange`] unless 1 min <= epoch <= 60 min in whole
    /// seconds; [`EngineError::SeriesReversed`] when `end < start`;
    /// [`EngineError::EpochDoesNotDivideSpan`] when `end - start` is not a whole
    /// number of epochs.
    pub fn new(
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        epoch: Duration,
    ) -> Result<Self, EngineError> {
        let seconds = epoch.num_seconds();
        if !(MIN_EPOCH_SECONDS..=MAX_EPOCH_SECONDS).contains(&seconds) || epoch.subsec_nanos() != 0
        {
            return Err(EngineError::EpochOutOfRange { seconds });
        }
        if end < start {
            return Err(EngineError::SeriesReversed { start, end });
        }
        let span = end - start;
        if span.subsec_nanos() != 0 || span.num_seconds() % seconds != 0 {
            return Err(EngineError::EpochDoesNotDivideSpan {
                start,
                end,
                epoch_seconds: seconds,
            });
        }
        Ok(Self { start, end, epoch })
    }

    /// First instant.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// Last instant (inclusive).
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// The epoch length.
    pub fn epoch(&self) -> Duration {
        self.epoch
    }

    /// Number of instants on the grid (both ends included).
    pub fn len(&self) -> usize {
        ((self.end - self.start).num_seconds() / self.epoch.num_seconds()) as usize + 1
    }

    /// Never empty: a grid holds at least its start.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The instants, in order.
    pub fn instants(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        (0..self.len() as i32).map(move |i| self.start + self.epoch * i)
    }
}

/// Reads an epoch length: `30s`, `5m`, `1h`, or a bare number of minutes.
///
/// # Errors
/// [`EngineError::EpochUnreadable`] for text that is none of these;
/// [`EngineError::EpochOutOfRange`] outside 1 to 60 minutes.
pub fn parse_epoch(text: &str) -> Result<Duration, EngineError> {
    let trimmed = text.trim();
    let unreadable = || EngineError::EpochUnreadable {
        text: text.to_string(),
    };
    let (number, unit_seconds) = match trimmed.char_indices().last() {
        Some((i, 's')) => (&trimmed[..i], 1),
        Some((i, 'm')) => (&trimmed[..i], 60),
        Some((i, 'h')) => (&trimmed[..i], 3600),
        Some(_) => (trimmed, 60),
        None => return Err(unreadable()),
    };
    let value: i64 = number.trim().parse().map_err(|_| unreadable())?;
    let seconds = value.checked_mul(unit_seconds).ok_or_else(unreadable)?;
    if !(MIN_EPOCH_SECONDS..=MAX_EPOCH_SECONDS).contains(&seconds) {
        return Err(EngineError::EpochOutOfRange { seconds });
    }
    Ok(Duration::seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, h, m, 0).unwrap()
    }

    #[test]
    fn grid_is_inclusive_of_both_ends() {
        let g = EpochGrid::new(at(0, 0), at(1, 0), Duration::minutes(5)).unwrap();
        assert_eq!(g.len(), 13);
        assert_eq!(g.instants().last(), Some(at(1, 0)));
    }

    #[test]
    fn epoch_that_does_not_divide_span_is_refused() {
        let e = EpochGrid::new(at(0, 0), at(1, 2), Duration::minutes(5)).unwrap_err();
        assert!(matches!(e, EngineError::EpochDoesNotDivideSpan { .. }));
    }

    #[test]
    fn reversed_series_and_bad_epochs_are_refused() {
        assert!(matches!(
            EpochGrid::new(at(1, 0), at(0, 0), Duration::minutes(5)),
            Err(EngineError::SeriesReversed { .. })
        ));
        assert!(matches!(
            EpochGrid::new(at(0, 0), at(1, 0), Duration::seconds(30)),
            Err(EngineError::EpochOutOfRange { seconds: 30 })
        ));
        assert!(matches!(
            EpochGrid::new(at(0, 0), at(2, 0), Duration::minutes(61)),
            Err(EngineError::EpochOutOfRange { .. })
        ));
    }

    #[test]
    fn epoch_text_forms() {
        assert_eq!(parse_epoch("5m").unwrap(), Duration::minutes(5));
        assert_eq!(parse_epoch("300s").unwrap(), Duration::minutes(5));
        assert_eq!(parse_epoch("1h").unwrap(), Duration::hours(1));
        assert_eq!(parse_epoch("15").unwrap(), Duration::minutes(15));
        assert!(matches!(
            parse_epoch("30s"),
            Err(EngineError::EpochOutOfRange { seconds: 30 })
        ));
        assert!(matches!(
            parse_epoch("2h"),
            Err(EngineError::EpochOutOfRange { .. })
        ));
        for bad in ["", "m", "five", "5x", "-5m", "99999999999999999999h"] {
            assert!(parse_epoch(bad).is_err(), "{bad} should be refused");
        }
    }
}
