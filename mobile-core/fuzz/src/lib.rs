//! What every fuzz target does: ingest the bytes in one format, then build
//! episodes and score a morning from whatever was accepted. Nothing may panic.

use chrono::{Duration, TimeZone, Utc};
use chrono_tz::Tz;
use mobile_core::recovery::{History, score_morning};
use mobile_core::regularity::sleep_regularity_index;
use mobile_core::wearables::episodes::build_episodes;
use mobile_core::wearables::{Format, IngestOptions, ingest};

/// Runs the whole pipeline on `data` read as `format`.
pub fn run(format: Format, data: &[u8]) {
    let Some(now) = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single() else {
        return;
    };
    let options = IngestOptions {
        now,
        zone: Tz::Europe__London,
    };
    let Ok(report) = ingest(format, data, options) else {
        return;
    };
    let set = build_episodes(&report.samples);
    for e in &set.episodes {
        assert!(e.end > e.start, "an episode must end after it starts");
    }
    let Some(last) = set.episodes.last().map(|e| e.local_date) else {
        return;
    };
    let _ = sleep_regularity_index(
        &set.episodes,
        last - Duration::days(7),
        7,
        Tz::Europe__London,
    );
    if let Ok(history) = History::new(set.episodes, &report.samples, 8.0) {
        let score = score_morning(&history, last, None);
        assert!(score.score.is_none_or(|s| s <= 100));
    }
}
