//! The officer's rights over their data (UK GDPR arts. 15, 17 and 20): a
//! complete export as JSON, and erasure of everything.

use rusqlite::types::ValueRef;
use serde_json::{Map, Value};

use super::{Store, StoreError, instant};

/// Every table holding the officer's data, children before parents (the
/// order erasure deletes in). A new table must be added here; the
/// `export_covers_every_table` test fails otherwise.
pub const DATA_TABLES: &[&str] = &[
    "sleep_episodes",
    "wearable_samples",
    "hrv_readings",
    "resting_hr",
    "imports",
    "shifts",
    "check_ins",
    "calibration",
    "coaching_history",
    "learning_progress",
    "learning_state",
    "recovery_scores",
    "plan_days",
    "support_callbacks",
    "sync_queue",
    "sync_batches",
    "settings",
];

impl Store {
    /// Everything the store holds, as one JSON document: an object with
    /// one array per table, each row an object. Instants (columns ending in
    /// `_s`) are written as RFC 3339 UTC; stored JSON payloads are embedded
    /// as JSON.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn export_json(&self) -> Result<String, StoreError> {
        let mut doc = Map::new();
        doc.insert("schema_version".into(), self.schema_version()?.into());
        for table in DATA_TABLES {
            let mut stmt = self.conn.prepare(&format!("SELECT * FROM {table}"))?;
            let names: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let mut obj = Map::new();
                for (i, name) in names.iter().enumerate() {
                    obj.insert(name.clone(), cell(name, row.get_ref(i)?)?);
                }
                out.push(Value::Object(obj));
            }
            doc.insert((*table).to_string(), Value::Array(out));
        }
        Ok(serde_json::to_string_pretty(&Value::Object(doc))?)
    }

    /// Erases everything: every row of every table, in one transaction, then
    /// compacts the file and truncates the write-ahead log so no deleted page
    /// survives on disk (`secure_delete` zeroes them too). The store stays
    /// usable, empty, at the current schema; a new device id is made on
    /// next use.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure (then nothing is erased).
    pub fn erase_all(&mut self) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for table in DATA_TABLES {
            tx.execute(&format!("DELETE FROM {table}"), [])?;
        }
        tx.commit()?;
        self.conn.execute_batch("VACUUM")?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

fn cell(column: &str, value: ValueRef<'_>) -> Result<Value, StoreError> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(s) if column.ends_with("_s") => Value::String(instant(s)?.to_rfc3339()),
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => f.into(),
        ValueRef::Text(t) => {
            let text = String::from_utf8_lossy(t).into_owned();
            if matches!(
                column,
                "payload" | "body" | "sample" | "episode" | "score" | "progress"
            ) {
                serde_json::from_str(&text)?
            } else {
                Value::String(text)
            }
        }
        ValueRef::Blob(b) => Value::Array(b.iter().map(|x| (*x).into()).collect()),
    })
}
