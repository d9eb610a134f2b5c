//! SQL that must agree with a Rust rule it cannot import (habit 12): the
//! night-duty rule in `npws_person_features` (and its month-by-month copy
//! in `npws_roster_months`) against
//! `mobile_core::night_time`, and the small-number threshold in
//! `npws_force_overview` against `analytics::suppression::MIN_PEOPLE`.
//! Each test owns a fresh database copied from the migrated template and
//! works in it as the owner (past row-level security).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text};
use e2e_tests::cluster;

fn fresh_connection() -> PgConnection {
    let c = cluster();
    let db = c.fresh_database();
    PgConnection::establish(&c.cluster.owner_url(&db)).unwrap()
}

/// A duty starting at a local time in `zone` and lasting `minutes`.
fn duty(
    zone: Tz,
    date: NaiveDate,
    hour: u32,
    minute: u32,
    minutes: i64,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = zone
        .from_local_datetime(&date.and_hms_opt(hour, minute, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc);
    (start, start + Duration::minutes(minutes))
}

/// Duties around the 2026 clock changes and on ordinary days, starting and
/// ending exactly at 23:00 and 06:00 and one minute either side of three
/// hours of night time.
fn duties() -> Vec<(Tz, DateTime<Utc>, DateTime<Utc>)> {
    let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
    let london = chrono_tz::Europe::London;
    let new_york = chrono_tz::America::New_York;
    let mut out = Vec::new();
    let days = [
        (london, d(1, 14)),
        (london, d(3, 28)), // the night the clocks go forward (29 March, 01:00 GMT)
        (london, d(3, 29)),
        (london, d(6, 10)),
        (london, d(10, 24)), // the night the clocks go back (25 October, 02:00 BST)
        (london, d(10, 25)),
        (new_york, d(3, 7)),   // 8 March 2026, 02:00 EST
        (new_york, d(10, 31)), // 1 November 2026, 02:00 EDT
    ];
    let starts = [
        (15, 0),
        (16, 0),
        (20, 0),
        (21, 0),
        (22, 0),
        (23, 0),
        (0, 0),
        (3, 0),
        (3, 1),
        (6, 0),
    ];
    let lengths = [179, 180, 181, 420, 600, 720];
    for (zone, date) in days {
        for (h, m) in starts {
            for len in lengths {
                let (s, e) = duty(zone, date, h, m, len);
                out.push((zone, s, e));
            }
        }
    }
    // Wall-clock 23:00 to 06:00 across each change (7 h of clock, 6 or 8 of time).
    for (zone, date) in [(london, d(3, 28)), (london, d(10, 24))] {
        let (s, _) = duty(zone, date, 23, 0, 0);
        let (e, _) = duty(zone, date + Duration::days(1), 6, 0, 0);
        out.push((zone, s, e));
    }
    out
}

#[test]
fn the_sql_night_duty_count_equals_the_rust_rule_on_the_same_duties() {
    let mut conn = fresh_connection();
    let duties = duties();
    // One force per duty, one person with one shift in each: the feature
    // row of force `n-i` is duty i's.
    let mut sql = String::new();
    for (i, (zone, start, end)) in duties.iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO forces (id, slug, name, time_zone) VALUES (gen_random_uuid(), 'n-{i}', 'n', '{}');\n\
             INSERT INTO shifts (force_id, staff_number, start_at, end_at, upload_id) \
               SELECT id, 's', '{}', '{}', gen_random_uuid() FROM forces WHERE slug = 'n-{i}';\n",
            zone.name(),
            start.to_rfc3339(),
            end.to_rfc3339(),
        ));
    }
    sql.push_str(
        "INSERT INTO persons (force_id, id) SELECT id, gen_random_uuid() FROM forces;\n\
         INSERT INTO staff_links (force_id, staff_number, person_id) SELECT force_id, 's', id FROM persons;\n",
    );
    conn.batch_execute(&sql).unwrap();

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        force_slug: String,
        #[diesel(sql_type = Integer)]
        shifts: i32,
        #[diesel(sql_type = Integer)]
        night_shifts: i32,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT force_slug, shifts, night_shifts FROM npws_person_features($1, $2)",
    )
    .bind::<Date, _>(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
    .bind::<Date, _>(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap())
    .load(&mut conn)
    .unwrap();
    let sql_nights: BTreeMap<String, (i32, i32)> = rows
        .into_iter()
        .map(|r| (r.force_slug, (r.shifts, r.night_shifts)))
        .collect();
    assert_eq!(sql_nights.len(), duties.len());
    let mut nights = 0;
    for (i, (zone, start, end)) in duties.iter().enumerate() {
        let rust = mobile_core::night_time::is_night_duty(*start, *end, *zone);
        nights += i32::from(rust);
        assert_eq!(
            sql_nights[&format!("n-{i}")],
            (1, i32::from(rust)),
            "duty {start} to {end} in {zone}: {} night minutes by the Rust rule",
            mobile_core::night_time::night_minutes(*start, *end, *zone)
        );
    }
    // Both answers occur, so agreement is not vacuous.
    assert!(nights > 0 && (nights as usize) < duties.len());

    // The evaluation's month-by-month copy of the rule
    // (`npws_roster_months`) gives each duty the same answer, over the
    // year's calendar months.
    #[derive(QueryableByName)]
    struct MonthRow {
        #[diesel(sql_type = Text)]
        force_slug: String,
        #[diesel(sql_type = Integer)]
        shifts: i32,
        #[diesel(sql_type = Integer)]
        night_shifts: i32,
    }
    let firsts: Vec<NaiveDate> = (1..=12)
        .map(|m| NaiveDate::from_ymd_opt(2026, m, 1).unwrap())
        .collect();
    let lasts: Vec<NaiveDate> = firsts
        .iter()
        .map(|d| d.checked_add_months(chrono::Months::new(1)).unwrap() - Duration::days(1))
        .collect();
    let monthly: Vec<MonthRow> = diesel::sql_query(
        "SELECT force_slug, shifts, night_shifts FROM npws_roster_months($1, $2)",
    )
    .bind::<diesel::sql_types::Array<Date>, _>(firsts)
    .bind::<diesel::sql_types::Array<Date>, _>(lasts)
    .load(&mut conn)
    .unwrap();
    let mut by_force: BTreeMap<String, (i32, i32)> = BTreeMap::new();
    for r in monthly {
        let e = by_force.entry(r.force_slug).or_default();
        e.0 += r.shifts;
        e.1 += r.night_shifts;
    }
    assert_eq!(by_force, sql_nights);
}

#[test]
fn the_sql_overview_withholds_exactly_the_counts_under_min_people() {
    let mut conn = fresh_connection();
    let min = i64::from(analytics::suppression::MIN_PEOPLE);
    let mut sql = String::new();
    for (slug, people) in [("under", min - 1), ("at", min)] {
        sql.push_str(&format!(
            "INSERT INTO forces (id, slug, name) VALUES (gen_random_uuid(), '{slug}', '{slug}');\n\
             INSERT INTO persons (force_id, id, consent) SELECT f.id, gen_random_uuid(), 'sleep_and_check_ins' \
               FROM forces f, generate_series(1, {people}) WHERE f.slug = '{slug}';\n"
        ));
    }
    conn.batch_execute(&sql).unwrap();

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = Text)]
        force_slug: String,
        #[diesel(sql_type = Nullable<BigInt>)]
        enrolled: Option<i64>,
        #[diesel(sql_type = Nullable<BigInt>)]
        sharing_sleep: Option<i64>,
        #[diesel(sql_type = Nullable<BigInt>)]
        sharing_check_ins: Option<i64>,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT * FROM npws_force_overview()")
        .load(&mut conn)
        .unwrap();
    let row = |slug: &str, n: Option<i64>| Row {
        force_slug: slug.to_owned(),
        enrolled: n,
        sharing_sleep: n,
        sharing_check_ins: n,
    };
    assert_eq!(rows, vec![row("at", Some(min)), row("under", None)]);
    assert!(analytics::suppression::publishable(min as usize));
    assert!(!analytics::suppression::publishable(min as usize - 1));
}
