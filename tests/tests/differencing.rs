//! The differencing attack on a team's wellbeing (issue 16), through HTTP:
//! read a week, take one person out of the team, read the same week again
//! and subtract. Each week's figures are frozen at the first read after the
//! week closed, so the second read gives the same answer, as do a late sync
//! and an erasure; and a period is published only when every week in it
//! has five people, so two allowed periods cannot be differenced down to
//! one week of fewer (analytics::wellbeing, docs/security.md).

#![allow(clippy::unwrap_used)]

use chrono::{Datelike, Duration, NaiveDate, Utc};
use e2e_tests::*;
use serde_json::{Value, json};

/// The Monday of the ISO week `weeks` before the current one.
fn monday(weeks: i64) -> NaiveDate {
    let today = Utc::now().date_naive();
    today - Duration::days(i64::from(today.weekday().num_days_from_monday()) + 7 * weeks)
}

fn share(d: &Device, key: &str, seq: u64, records: Vec<Value>) {
    let r = d.client.post("/v1/sync", &batch(d, key, seq, records));
    assert_eq!(r.status, 200, "{:?}", r.body);
    for result in r.body["results"].as_array().unwrap() {
        assert_eq!(result["status"], "stored", "{:?}", r.body);
    }
}

fn path(team: &str, from: NaiveDate, to: NaiveDate) -> String {
    format!("/v1/teams/{team}/wellbeing?from={from}&to={to}")
}

#[test]
fn removing_a_member_or_a_late_sync_or_an_erasure_does_not_move_a_published_week() {
    let server = TestServer::start();
    let force = setup_force(&server, "diff-a", 8);
    // Week W (two weeks back, closed whatever today is) and the week before.
    let w = monday(2);
    let before = w - Duration::days(7);
    let devices: Vec<Device> = force.members[..7]
        .iter()
        .map(|s| enrol(&server, &force, s))
        .collect();
    for d in &devices {
        let r = d
            .client
            .send("PUT", "/v1/me/consent", &json!({"level":"sleep"}));
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    // Six people sync one night of W each: five slept 6 h, the victim 9 h.
    // The week before, only two of them synced.
    let day = |d: NaiveDate| d.to_string();
    for (i, d) in devices[..6].iter().enumerate() {
        let minutes = if i == 0 { 540 } else { 360 };
        let mut records = vec![summary(&day(w + Duration::days(2)), minutes)];
        if i < 2 {
            records.push(summary(&day(before + Duration::days(2)), 420));
        }
        share(d, &format!("w-{i}"), 1, records);
    }
    let week = path(&force.team, w, w + Duration::days(6));
    let first = force.supervisor.get(&week);
    assert_eq!(first.status, 200, "{:?}", first.body);
    // (540 + 5 × 360) / 6 = 390 min = 6.5 h; six people count as 5.
    assert_eq!(first.body["suppressed"], false);
    assert_eq!(first.body["people"], 5);
    assert_eq!(first.body["mean_sleep_hours"], 6.5);

    // The force admin takes the victim (member 1) out of the team. Before
    // the cells were frozen, the second read gave 6.0 h over five people,
    // and 6 × 6.5 − 5 × 6.0 = 9 h was the victim's night.
    let rest: Vec<&String> = force.members[1..].iter().collect();
    let r = force.admin.send(
        "PUT",
        &format!("/v1/teams/{}/members", force.team),
        &json!({ "staff_numbers": rest }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    let second = force.supervisor.get(&week);
    assert_eq!(
        second.body, first.body,
        "the same week gives the same answer"
    );
    // The FRM lead reads the same frozen week.
    assert_eq!(force.frm_lead.get(&week).body, first.body);

    // A seventh member's late sync for W does not change it either.
    share(
        &devices[6],
        "late",
        1,
        vec![summary(&day(w + Duration::days(3)), 600)],
    );
    assert_eq!(force.supervisor.get(&week).body, first.body);

    // Nor does a member's erasure (their records go; the frozen aggregate
    // of at least five people stays).
    let r = devices[1].client.delete("/v1/me");
    assert!(r.status == 200 || r.status == 204, "{:?}", r.body);
    assert_eq!(force.supervisor.get(&week).body, first.body);

    // Two weeks with W: the week before had two people, so nothing is
    // published for the pair, though seven people sent summaries in it
    // (before, the period counted people over the whole period, published
    // it, and the difference from W alone was two people's nights).
    let pair = force
        .supervisor
        .get(&path(&force.team, before, w + Duration::days(6)));
    assert_eq!(pair.status, 200, "{:?}", pair.body);
    assert_eq!(pair.body["suppressed"], true);
    assert_eq!(pair.body["mean_sleep_hours"], Value::Null);
    assert_eq!(pair.body["people"], Value::Null);

    // The week still under way cannot be read (it would change).
    let now = monday(0);
    let open = force
        .supervisor
        .get(&path(&force.team, now, now + Duration::days(6)));
    assert_eq!(open.status, 422, "{:?}", open.body);
    assert_eq!(open.code(), "period_not_closed");

    // Every read is audited; the force admin still cannot read wellbeing.
    assert_eq!(force.admin.get(&week).status, 403);
}

#[test]
fn a_cell_frozen_with_fewer_than_five_people_holds_no_figures() {
    let server = TestServer::start();
    let force = setup_force(&server, "diff-b", 5);
    let w = monday(3);
    let devices: Vec<Device> = force
        .members
        .iter()
        .map(|s| enrol(&server, &force, s))
        .collect();
    for (i, d) in devices.iter().enumerate() {
        d.client
            .send("PUT", "/v1/me/consent", &json!({"level":"sleep"}));
        if i < 4 {
            share(
                d,
                &format!("b-{i}"),
                1,
                vec![summary(&(w + Duration::days(1)).to_string(), 400)],
            );
        }
    }
    let week = path(&force.team, w, w + Duration::days(6));
    let r = force.supervisor.get(&week);
    assert_eq!(r.body["suppressed"], true, "{:?}", r.body);
    // The fifth syncs later: the week stays withheld (it was frozen), so
    // the fifth person's night cannot be read off the change.
    share(
        &devices[4],
        "b-4",
        1,
        vec![summary(&(w + Duration::days(1)).to_string(), 400)],
    );
    assert_eq!(force.supervisor.get(&week).body, r.body);
    // Nothing about the four is stored in the frozen cell.
    use diesel::prelude::*;
    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
        people: Option<i32>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        sleep_minutes: Option<i64>,
    }
    let mut c = PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    let counts: Vec<(Option<i32>, Option<i64>)> =
        diesel::sql_query("SELECT people, sleep_minutes FROM wellbeing_weeks")
            .load::<Row>(&mut c)
            .unwrap()
            .into_iter()
            .map(|r| (r.people, r.sleep_minutes))
            .collect();
    assert_eq!(counts, vec![(None, None)]);
}

#[test]
fn support_reports_cannot_be_differenced_by_period_or_by_an_erasure() {
    let server = TestServer::start();
    let force = setup_force(&server, "diff-c", 8);
    let officers: Vec<Device> = force
        .members
        .iter()
        .map(|s| enrol(&server, &force, s))
        .collect();
    let now = Utc::now();
    for o in &officers {
        let r = o.client.post(
            "/v1/support/callbacks",
            &json!({ "supporter_id": null, "contact_method": "app", "contact_detail": null,
                     "window_start": now + Duration::hours(1), "window_end": now + Duration::hours(3) }),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    // Set-up as the owner: six requests were made in week 1 (three weeks
    // back), two in week 2.
    use diesel::prelude::*;
    let mut c = PgConnection::establish(&cluster().cluster.owner_url(&server.database)).unwrap();
    let (w1, w2) = (monday(3), monday(2));
    let moved = diesel::sql_query(format!(
        "UPDATE peer_callbacks b SET created_at = (CASE WHEN l.staff_number <= 'diff-c-006' \
           THEN DATE '{w1}' ELSE DATE '{w2}' END + TIME '12:00') AT TIME ZONE 'UTC', \
           assigned_at = (CASE WHEN l.staff_number <= 'diff-c-006' \
           THEN DATE '{w1}' ELSE DATE '{w2}' END + TIME '12:00') AT TIME ZONE 'UTC' \
         FROM staff_links l WHERE l.force_id = b.force_id AND l.person_id = b.person_id"
    ))
    .execute(&mut c)
    .unwrap();
    assert_eq!(moved, 8);
    let report = |from: NaiveDate, weeks: i64| {
        let r = force.admin.get(&format!(
            "/v1/support/report?from={from}&to={}",
            from + Duration::days(7 * weeks - 1)
        ));
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body
    };
    let week1 = report(w1, 1);
    assert_eq!(week1["requests"], 6, "{week1:?}");
    // Weeks 1-2 hold 8 requests, but week 2 alone has 2: publishing 8
    // beside week 1's 6 would say two people asked in week 2.
    let both = report(w1, 2);
    assert_eq!(both["requests"], Value::Null, "{both:?}");
    assert_eq!(both["suppressed"], true);
    // An officer who asked in week 1 is erased: week 1 still says 6 (the
    // request is kept as an anonymous outcome), so the erasure does not
    // tell the reader that this officer had asked.
    let r = officers[0].client.delete("/v1/me");
    assert!(r.status == 200 || r.status == 204, "{:?}", r.body);
    assert_eq!(report(w1, 1), week1);
}
