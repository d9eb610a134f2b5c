//! The officer's peer-support call-back requests: what they typed and the
//! server's answer, nothing else (no name, no staff number). The server is
//! the record; this copy lets the app show a request offline, and
//! [`Store::erase_all`] removes it with everything else.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, StoreError, instant, secs};

/// A call-back request as the phone keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCallback {
    /// The server's id.
    pub id: String,
    /// The supporter asked for; `None` for the next available one.
    pub supporter_id: Option<String>,
    /// `phone`, `text`, `email` or `app`.
    pub contact_method: String,
    /// What the officer typed (erased when the request is cancelled).
    pub contact_detail: Option<String>,
    /// The window the officer gave.
    pub window_start: DateTime<Utc>,
    /// Its end.
    pub window_end: DateTime<Utc>,
    /// The server's status (`open`, `acknowledged`, `contacted`, `cancelled`).
    pub status: String,
    /// When the server took it.
    pub created_at: DateTime<Utc>,
}

impl Store {
    /// Saves (or updates, by id) a call-back request.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a write failure.
    pub fn put_callback(&mut self, c: &StoredCallback) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO support_callbacks (id, supporter_id, contact_method, contact_detail,
                 window_start_s, window_end_s, status, created_at_s)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET supporter_id = excluded.supporter_id,
                 contact_method = excluded.contact_method, contact_detail = excluded.contact_detail,
                 window_start_s = excluded.window_start_s, window_end_s = excluded.window_end_s,
                 status = excluded.status",
            params![
                c.id,
                c.supporter_id,
                c.contact_method,
                c.contact_detail,
                secs(c.window_start),
                secs(c.window_end),
                c.status,
                secs(c.created_at)
            ],
        )?;
        Ok(())
    }

    /// The call-back requests kept, newest first.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] on a read failure.
    pub fn callbacks(&self) -> Result<Vec<StoredCallback>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, supporter_id, contact_method, contact_detail, window_start_s,
                    window_end_s, status, created_at_s
             FROM support_callbacks ORDER BY created_at_s DESC, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, supporter_id, contact_method, contact_detail, ws, we, status, created) = row?;
            out.push(StoredCallback {
                id,
                supporter_id,
                contact_method,
                contact_detail,
                window_start: instant(ws)?,
                window_end: instant(we)?,
                status,
                created_at: instant(created)?,
            });
        }
        Ok(out)
    }
}
