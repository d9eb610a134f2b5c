//! The store's schema and its migrations.
//!
//! The schema version is SQLite's `PRAGMA user_version`. Each entry of
//! [`MIGRATIONS`] takes the file from version `i` to `i + 1`, and runs in one
//! transaction together with the version bump, so a kill part-way leaves the
//! file at the old version, untouched. Migrations only ever add (tables,
//! nullable or defaulted columns) or re-key rows without dropping any: an
//! app upgrade never loses data. A file
//! from a newer build is refused rather than opened ([`StoreError::SchemaTooNew`]),
//! so a downgrade cannot damage it either.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// The schema history: entry `i` migrates version `i` to `i + 1`. Never edit
/// a released entry; append a new one.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first release.
    "
    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    -- One row per import call, so an import is visibly all-or-nothing.
    CREATE TABLE imports (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,
        at_s        INTEGER NOT NULL,
        accepted    INTEGER NOT NULL,
        duplicates  INTEGER NOT NULL,
        rejected    INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE sleep_episodes (
        start_s   INTEGER NOT NULL,
        end_s     INTEGER NOT NULL,
        import_id INTEGER NOT NULL REFERENCES imports(id),
        PRIMARY KEY (start_s, end_s)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE hrv_readings (
        at_s      INTEGER PRIMARY KEY,
        rmssd_ms  REAL NOT NULL,
        import_id INTEGER NOT NULL REFERENCES imports(id)
    ) STRICT;
    CREATE TABLE resting_hr (
        at_s      INTEGER PRIMARY KEY,
        bpm       REAL NOT NULL,
        import_id INTEGER NOT NULL REFERENCES imports(id)
    ) STRICT;
    CREATE TABLE shifts (
        start_s INTEGER PRIMARY KEY,
        end_s   INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE check_ins (
        taken_at_s INTEGER NOT NULL,
        scale      TEXT NOT NULL,
        value      INTEGER NOT NULL,
        context    TEXT NOT NULL,
        PRIMARY KEY (taken_at_s, scale)
    ) STRICT;
    -- Records waiting to sync, one per natural key (kind, local date).
    -- batch_key ties a pending record to the unacknowledged batch carrying it.
    CREATE TABLE sync_queue (
        kind         TEXT NOT NULL,
        local_date   TEXT NOT NULL,
        payload      TEXT NOT NULL,
        state        TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'rejected')),
        batch_key    TEXT,
        updated_at_s INTEGER NOT NULL,
        PRIMARY KEY (kind, local_date)
    ) STRICT;
    -- At most one unacknowledged batch, kept verbatim so a retry resends
    -- exactly the same body under the same idempotency key.
    CREATE TABLE sync_batches (
        idempotency_key TEXT PRIMARY KEY,
        sequence        INTEGER NOT NULL UNIQUE,
        body            TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_s  INTEGER NOT NULL
    ) STRICT;
    ",
    // 2: calibration, coaching history and learning progress.
    "
    CREATE TABLE calibration (
        key          TEXT PRIMARY KEY,
        value        TEXT NOT NULL,
        updated_at_s INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE coaching_history (
        message_id TEXT NOT NULL,
        shown_at_s INTEGER NOT NULL,
        PRIMARY KEY (message_id, shown_at_s)
    ) STRICT;
    CREATE TABLE learning_progress (
        module_id    TEXT PRIMARY KEY,
        completed    INTEGER NOT NULL,
        updated_at_s INTEGER NOT NULL
    ) STRICT;
    ",
    // 3: wearable samples and the episodes built from them, morning recovery
    // scores, the learning state, and the officer's peer-support call-backs.
    "
    -- Sleep-stage, HRV and resting-HR samples as the wearable parsers read
    -- them (JSON of mobile_core::wearables::Sample); the JSON is the
    -- identity, so a re-import stores nothing twice.
    CREATE TABLE wearable_samples (
        id        INTEGER PRIMARY KEY,
        kind      TEXT NOT NULL CHECK (kind IN ('sleep', 'hrv', 'resting_hr')),
        start_s   INTEGER NOT NULL,
        end_s     INTEGER NOT NULL,
        sample    TEXT NOT NULL UNIQUE,
        import_id INTEGER NOT NULL REFERENCES imports(id)
    ) STRICT;
    CREATE INDEX wearable_samples_by_time ON wearable_samples (kind, start_s);
    -- The episode built from wearable samples (JSON of
    -- wearables::episodes::SleepEpisode); NULL for an episode the app gave.
    ALTER TABLE sleep_episodes ADD COLUMN episode TEXT;
    CREATE TABLE recovery_scores (
        local_date   TEXT PRIMARY KEY,
        band         TEXT,
        score        TEXT NOT NULL,
        updated_at_s INTEGER NOT NULL
    ) STRICT;
    -- education::Progress as JSON: one row.
    CREATE TABLE learning_state (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        progress TEXT NOT NULL
    ) STRICT;
    -- Only what the officer typed and the server's answer: no name, no
    -- staff number. Erased with everything else.
    CREATE TABLE support_callbacks (
        id             TEXT PRIMARY KEY,
        supporter_id   TEXT,
        contact_method TEXT NOT NULL,
        contact_detail TEXT,
        window_start_s INTEGER NOT NULL,
        window_end_s   INTEGER NOT NULL,
        status         TEXT NOT NULL,
        created_at_s   INTEGER NOT NULL
    ) STRICT;
    ",
    // 4: queued check-ins are keyed by local date and context, as the
    // server keys them (before, one per day, so a before-drive check-in
    // replaced that morning's before-shift one). Existing rows are re-keyed;
    // there was one per date, so no two can collide.
    "
    UPDATE sync_queue
       SET local_date = local_date || '/' || json_extract(payload, '$.context')
     WHERE kind = 'check_in' AND instr(local_date, '/') = 0;
    ",
    // 5: the officer's personal plan, one row per local day (JSON of
    // plan::PlanDay), so a day already lived keeps what was planned for it.
    "
    CREATE TABLE plan_days (
        local_date   TEXT PRIMARY KEY,
        day          TEXT NOT NULL,
        planned_at_s INTEGER NOT NULL
    ) STRICT;
    ",
];

/// The schema version this build writes.
pub fn latest_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// The file's schema version.
///
/// # Errors
/// [`StoreError::Sqlite`] when the file cannot be read.
pub fn version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

/// Brings the file up to [`latest_version`], one transaction per step.
///
/// # Errors
/// [`StoreError::SchemaTooNew`] for a file from a newer build;
/// [`StoreError::Sqlite`] when a step fails (that step is rolled back).
pub fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    let found = version(conn)?;
    let latest = latest_version();
    if found > latest {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: latest,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(latest)
}
