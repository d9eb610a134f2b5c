//! Fixed-window rate limits kept in the database, so every server instance
//! counts the same attempts (DESIGN.md: no in-process shared state).

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

/// Counts a hit on `bucket` in the current minute; returns the minute's hits
/// so far, this one included.
///
/// # Errors
/// Database errors.
pub fn hit(c: &mut PgConnection, bucket: &str) -> QueryResult<u32> {
    #[derive(QueryableByName)]
    struct Hits {
        #[diesel(sql_type = Integer)]
        hits: i32,
    }
    let h: Hits = diesel::sql_query(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, date_trunc('minute', now()), 1) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
    )
    .bind::<Text, _>(bucket)
    .get_result(c)?;
    Ok(u32::try_from(h.hits).unwrap_or(u32::MAX))
}

/// Drops windows older than an hour (called now and then at sign-in).
///
/// # Errors
/// Database errors.
pub fn prune(c: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM rate_limits WHERE window_start < now() - interval '1 hour'")
        .execute(c)?;
    Ok(())
}
