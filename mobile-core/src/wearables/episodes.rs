//! From sleep-stage samples to sleep episodes, one main sleep per local day.
//!
//! 1. **Per source**, the asleep stages (asleep, light/core, deep, REM) are
//!    merged into episodes: two stretches of sleep less than
//!    [`EPISODE_GAP_MINUTES`] apart belong to one episode (a night's brief
//!    awakenings), further apart they are two (a nap, a split sleep). Time
//!    awake inside an episode is its span less the time asleep.
//! 2. **Across sources** (a watch and a phone both recording), episodes that
//!    overlap in time describe one sleep: the source kept is the one with
//!    sleep stages, unless it saw under 75 % of the sleep another source saw
//!    (a watch that went flat mid-night), in which case the source that saw
//!    the most sleep is kept. The others are dropped and counted.
//! 3. An episode's **local date** is the date its end falls on in the zone it
//!    was recorded in; the longest episode of a local date is that date's
//!    **main sleep**, the others are naps. A sleep across midnight therefore
//!    belongs to the morning it ended, a night-shift worker's day sleep to the
//!    day it ended, and a traveller's night to the zone they slept in.
//!    Lengths come from UTC instants, so a DST night is counted as the hours
//!    actually slept (7 h on the night the clocks go forward, not 8).
//!
//! The 60-minute gap and the 75 % rule are heuristics (Fitbit and Health
//! Connect group sessions the same way: a sleep log ends after about an hour
//! awake); tests pin their behaviour.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use models::{SleepPeriod, ValidationError, sleep::MAX_SLEEP_HOURS};
use serde::{Deserialize, Serialize};

use super::{Sample, SampleValue, SleepStage, Source};

/// Stretches of sleep closer than this belong to one episode.
pub const EPISODE_GAP_MINUTES: i64 = 60;
/// A staged source is kept unless it saw less than this share of the sleep
/// the fullest overlapping source saw.
pub const STAGED_SOURCE_MIN_SHARE: f64 = 0.75;

/// Minutes of each asleep stage in an episode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMinutes {
    /// Light (core) sleep.
    pub light: u32,
    /// Deep sleep.
    pub deep: u32,
    /// REM sleep.
    pub rem: u32,
    /// Asleep, stage not recorded.
    pub unspecified: u32,
}

impl StageMinutes {
    /// True when the source recorded any stage beyond "asleep".
    pub fn is_staged(&self) -> bool {
        self.light + self.deep + self.rem > 0
    }
}

/// One sleep episode: UTC instants plus the zone it was recorded in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SleepEpisode {
    /// Sleep onset (start of the first asleep stage).
    pub start: DateTime<Utc>,
    /// Final awakening (end of the last asleep stage).
    pub end: DateTime<Utc>,
    /// The IANA zone it was recorded in.
    pub zone: Tz,
    /// The local date its end falls on, in `zone`.
    pub local_date: NaiveDate,
    /// Minutes asleep.
    pub asleep_minutes: u32,
    /// Minutes awake between onset and final awakening.
    pub awake_minutes: u32,
    /// Minutes per stage.
    pub stages: StageMinutes,
    /// The source kept for it.
    pub source: Source,
    /// True for the main sleep of its local date, false for a nap.
    pub is_main: bool,
}

impl SleepEpisode {
    /// Hours asleep.
    pub fn asleep_hours(&self) -> f64 {
        f64::from(self.asleep_minutes) / 60.0
    }

    /// The episode as a sleep period for the fatigue models.
    ///
    /// # Errors
    /// As [`SleepPeriod::new`] (not reached for episodes built here).
    pub fn period(&self) -> Result<SleepPeriod, ValidationError> {
        SleepPeriod::new(self.start, self.end)
    }
}

/// Episodes built from an import, with what was dropped.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EpisodeSet {
    /// Episodes in time order.
    pub episodes: Vec<SleepEpisode>,
    /// Episodes dropped because another source recorded the same sleep.
    pub duplicates_dropped: usize,
    /// Merged episodes longer than 24 h, dropped (a device left recording).
    pub too_long_dropped: usize,
}

impl EpisodeSet {
    /// The main sleep of a local date.
    pub fn main_sleep(&self, date: NaiveDate) -> Option<&SleepEpisode> {
        self.episodes
            .iter()
            .find(|e| e.is_main && e.local_date == date)
    }
}

struct Stretch {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    stage: SleepStage,
    zone: Tz,
}

fn minutes(d: Duration) -> u32 {
    u32::try_from(d.num_minutes().max(0)).unwrap_or(u32::MAX)
}

/// Builds episodes from the sleep-stage samples among `samples` (others are ignored).
pub fn build_episodes(samples: &[Sample]) -> EpisodeSet {
    let mut by_source: BTreeMap<&Source, Vec<Stretch>> = BTreeMap::new();
    for s in samples {
        if let SampleValue::Sleep { stage } = s.value
            && stage.is_asleep()
            && s.end > s.start
        {
            {
                by_source.entry(&s.source).or_default().push(Stretch {
                    start: s.start,
                    end: s.end,
                    stage,
                    zone: s.zone,
                });
            }
        }
    }
    let mut set = EpisodeSet::default();
    let mut candidates = Vec::new();
    for (source, mut stretches) in by_source {
        stretches.sort_by_key(|s| (s.start, s.end));
        for group in group_by_gap(&stretches) {
            let episode = episode_of(source, group);
            if episode.end - episode.start > Duration::hours(i64::from(MAX_SLEEP_HOURS)) {
                set.too_long_dropped += 1;
            } else {
                candidates.push(episode);
            }
        }
    }
    candidates.sort_by(|a, b| (a.start, &a.source).cmp(&(b.start, &b.source)));
    let (kept, dropped) = dedupe_sources(candidates);
    set.duplicates_dropped = dropped;
    set.episodes = mark_main(kept);
    set
}

fn group_by_gap(stretches: &[Stretch]) -> Vec<&[Stretch]> {
    let mut groups = Vec::new();
    let mut first = 0;
    let mut end = match stretches.first() {
        Some(s) => s.end,
        None => return groups,
    };
    for (i, s) in stretches.iter().enumerate().skip(1) {
        if s.start - end > Duration::minutes(EPISODE_GAP_MINUTES) {
            groups.push(&stretches[first..i]);
            first = i;
        }
        end = end.max(s.end);
    }
    groups.push(&stretches[first..]);
    groups
}

fn episode_of(source: &Source, group: &[Stretch]) -> SleepEpisode {
    let start = group.iter().map(|s| s.start).min().unwrap_or_default();
    let end = group.iter().map(|s| s.end).max().unwrap_or_default();
    // Time asleep is the union of the stretches (a source may record
    // "asleep" and a stage over the same minutes).
    let mut asleep = Duration::zero();
    let mut covered_to = start;
    for s in group {
        if s.end > covered_to {
            asleep += s.end - s.start.max(covered_to);
            covered_to = s.end;
        }
    }
    let mut stages = StageMinutes::default();
    for s in group {
        let m = minutes(s.end - s.start);
        let slot = match s.stage {
            SleepStage::Light => &mut stages.light,
            SleepStage::Deep => &mut stages.deep,
            SleepStage::Rem => &mut stages.rem,
            _ => &mut stages.unspecified,
        };
        *slot = slot.saturating_add(m);
    }
    let zone = group.first().map_or(Tz::UTC, |s| s.zone);
    SleepEpisode {
        start,
        end,
        zone,
        local_date: end.with_timezone(&zone).date_naive(),
        asleep_minutes: minutes(asleep),
        awake_minutes: minutes(end - start - asleep),
        stages,
        source: source.clone(),
        is_main: false,
    }
}

/// Clusters episodes that overlap in time and keeps one source per cluster.
fn dedupe_sources(sorted: Vec<SleepEpisode>) -> (Vec<SleepEpisode>, usize) {
    let mut kept = Vec::with_capacity(sorted.len());
    let mut dropped = 0;
    let mut cluster: Vec<SleepEpisode> = Vec::new();
    let mut cluster_end = DateTime::<Utc>::MIN_UTC;
    for e in sorted {
        if !cluster.is_empty() && e.start >= cluster_end {
            dropped += keep_one_source(std::mem::take(&mut cluster), &mut kept);
        }
        cluster_end = if cluster.is_empty() {
            e.end
        } else {
            cluster_end.max(e.end)
        };
        cluster.push(e);
    }
    if !cluster.is_empty() {
        dropped += keep_one_source(cluster, &mut kept);
    }
    (kept, dropped)
}

fn keep_one_source(cluster: Vec<SleepEpisode>, kept: &mut Vec<SleepEpisode>) -> usize {
    let mut per_source: BTreeMap<&Source, (u32, bool)> = BTreeMap::new();
    for e in &cluster {
        let entry = per_source.entry(&e.source).or_insert((0, false));
        entry.0 += e.asleep_minutes;
        entry.1 |= e.stages.is_staged();
    }
    let most = per_source.values().map(|v| v.0).max().unwrap_or(0);
    let rank = |(asleep, staged): (u32, bool)| {
        let staged_enough =
            staged && f64::from(asleep) >= STAGED_SOURCE_MIN_SHARE * f64::from(most);
        (staged_enough, asleep)
    };
    // BTreeMap order makes ties go to the first source by name: deterministic.
    let winner = per_source
        .iter()
        .rev()
        .max_by_key(|(_, v)| rank(**v))
        .map(|(s, _)| (*s).clone());
    let (keep, drop): (Vec<_>, Vec<_>) = cluster
        .into_iter()
        .partition(|e| Some(&e.source) == winner.as_ref());
    kept.extend(keep);
    drop.len()
}

/// Marks the longest episode of each local date as its main sleep and every
/// other one as a nap (a first-seen tie stays main). Used by
/// [`build_episodes`] and again by the store, which merges episodes built at
/// different imports.
pub fn mark_main(mut episodes: Vec<SleepEpisode>) -> Vec<SleepEpisode> {
    for e in &mut episodes {
        e.is_main = false;
    }
    let mut main_of: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for (i, e) in episodes.iter().enumerate() {
        let best = main_of.entry(e.local_date).or_insert(i);
        if e.asleep_minutes > episodes[*best].asleep_minutes {
            *best = i;
        }
    }
    for i in main_of.into_values() {
        episodes[i].is_main = true;
    }
    episodes
}
