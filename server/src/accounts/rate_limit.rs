//! Rate limits kept in the database, so every server instance counts the
//! same attempts (DESIGN.md: no in-process shared state). Counted per
//! minute, and read as a sliding window: the previous minute's hits count in
//! proportion to how much of it the last 60 seconds still cover, so a burst
//! across a minute boundary is not let through twice (and a test that makes
//! its attempts across one sees the same answer as within one).

use diesel::prelude::*;
use diesel::sql_types::{Double, Text};

/// Counts a hit on `bucket` in the current minute; returns the hits of the
/// last 60 seconds, this one included: this minute's, plus the previous
/// minute's weighted by the share of it still inside the 60 seconds.
///
/// # Errors
/// Database errors.
pub fn hit(c: &mut PgConnection, bucket: &str) -> QueryResult<f64> {
    #[derive(QueryableByName)]
    struct Hits {
        #[diesel(sql_type = Double)]
        hits: f64,
    }
    let h: Hits = diesel::sql_query(
        "WITH cur AS ( \
           INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, date_trunc('minute', now()), 1) \
           ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits) \
         SELECT cur.hits + coalesce((SELECT p.hits FROM rate_limits p WHERE p.bucket = $1 \
             AND p.window_start = date_trunc('minute', now()) - interval '1 minute'), 0) \
           * (1 - extract(epoch FROM now() - date_trunc('minute', now()))::float8 / 60) AS hits \
         FROM cur",
    )
    .bind::<Text, _>(bucket)
    .get_result(c)?;
    Ok(h.hits)
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
