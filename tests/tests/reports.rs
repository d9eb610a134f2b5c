//! Scheduled FRM reports against the real database with a controlled clock:
//! each slot runs once, a run missed while down runs once on start, two
//! concurrent runners never both run a slot, and `server report` gives the
//! same figures as the stored run for the same period.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Datelike, Duration, Utc};
use e2e_tests::*;
use server::reports::scheduler::run_due;
use server::reports::service::ReportSchedule;
use server::reports::service::{Visit, visit_force};
use server::reports::store::RunSummary;
use uuid::Uuid;

/// A force with six officers on a day/night rota from three weeks ago to
/// five weeks ahead, and a runtime-role pool on its database.
fn setup(slug: &str) -> (TestServer, server::db::DbPool, Uuid) {
    let server = TestServer::start();
    let force = setup_force(&server, slug, 6);
    upload_rota(&force, &force.team, &force.members);
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 4, 3000);
    let mut c = pool.get().unwrap();
    let forces = server::accounts::store::Force::all_ids(&mut c).unwrap();
    assert_eq!(forces.len(), 1);
    (server, pool, forces[0])
}

/// Two days 07:00-17:00, two nights 22:00-08:00, two off (UTC), staggered
/// by member, from three weeks ago to five weeks ahead.
fn upload_rota(force: &Force, team: &str, members: &[String]) {
    let today = Utc::now().date_naive();
    let shifts = members.iter().enumerate().flat_map(|(i, staff)| {
        (-21i64..35).filter_map(move |d| {
            let (h, len) = match (d + i as i64).rem_euclid(6) {
                0 | 1 => (7, 10),
                2 | 3 => (22, 10),
                _ => return None,
            };
            Some((staff.as_str(), today + Duration::days(d), h, len))
        })
    });
    post_shifts(force, team, shifts);
}

/// Uploads `(staff, date, start hour UTC, hours)` shifts to `team` as CSV.
fn post_shifts<'a>(
    force: &Force,
    team: &str,
    shifts: impl IntoIterator<Item = (&'a str, chrono::NaiveDate, u32, i64)>,
) {
    let mut csv = String::from("staff_id,start,end\n");
    for (staff, date, hour, hours) in shifts {
        let start = date.and_hms_opt(hour, 0, 0).unwrap().and_utc();
        let end = start + Duration::hours(hours);
        csv.push_str(&format!(
            "{staff},{},{}\n",
            start.to_rfc3339(),
            end.to_rfc3339()
        ));
    }
    let r = force.admin.post_raw(
        &format!("/v1/teams/{team}/roster"),
        &[("content-type", "text/csv")],
        csv.as_bytes(),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
}

fn created(pool: &server::db::DbPool, force: Uuid) -> DateTime<Utc> {
    let mut c = pool.get().unwrap();
    in_force(&mut c, force, |c| RunSummary::last_slot(c, force)).unwrap()
}

fn runs(pool: &server::db::DbPool, force: Uuid) -> Vec<RunSummary> {
    let mut c = pool.get().unwrap();
    in_force(&mut c, force, |c| RunSummary::list(c, force, 100)).unwrap()
}

fn visits(pool: &server::db::DbPool, now: DateTime<Utc>) -> Vec<Visit> {
    run_due(pool, None, now)
        .unwrap()
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn each_slot_runs_once_and_a_missed_run_runs_once_on_start() {
    let (_server, pool, force) = setup("devon");
    let schedule = ReportSchedule::default().validate().unwrap();
    let start = created(&pool, force);
    let s1 = schedule.next_after(start).unwrap();

    assert_eq!(
        visits(&pool, s1 - Duration::minutes(1)),
        vec![Visit::NotDue]
    );
    let v = visits(&pool, s1 + Duration::seconds(30));
    assert!(
        matches!(v[..], [Visit::Ran { slot, slots_due: 1, .. }] if slot == s1),
        "{v:?}"
    );
    // The next tick, and a restart within the same slot, do nothing.
    assert_eq!(
        visits(&pool, s1 + Duration::minutes(1)),
        vec![Visit::NotDue]
    );
    assert_eq!(visits(&pool, s1 + Duration::hours(5)), vec![Visit::NotDue]);

    // Down for three weekly slots: one run, for the latest, on start.
    let s2 = schedule.next_after(s1).unwrap();
    let s3 = schedule.next_after(s2).unwrap();
    let s4 = schedule.next_after(s3).unwrap();
    let v = visits(&pool, s4 + Duration::hours(2));
    assert!(
        matches!(v[..], [Visit::Ran { slot, slots_due: 3, .. }] if slot == s4),
        "{v:?}"
    );
    assert_eq!(visits(&pool, s4 + Duration::hours(3)), vec![Visit::NotDue]);

    let recorded = runs(&pool, force);
    assert_eq!(recorded.len(), 2);
    assert!(recorded.iter().all(|r| r.trigger == "scheduled"));
    let first = recorded.iter().find(|r| r.slot == Some(s1)).unwrap();
    assert_eq!(
        (first.period_to - first.period_from).num_days(),
        6,
        "7 whole days"
    );
    assert!(
        first.period_to < s1.date_naive(),
        "the period ends before the run's day"
    );
    assert_eq!(
        recorded
            .iter()
            .find(|r| r.slot == Some(s4))
            .unwrap()
            .slots_due,
        3
    );
}

#[test]
fn two_concurrent_runners_never_both_run_a_slot() {
    let (_server, pool, force) = setup("essex");
    let schedule = ReportSchedule::default().validate().unwrap();
    let mut slot = schedule.next_after(created(&pool, force)).unwrap();
    let rounds = 4;
    for _ in 0..rounds {
        let now = slot + Duration::minutes(1);
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let pool = pool.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let mut c = pool.get().unwrap();
                    barrier.wait();
                    visit_force(&mut c, force, now).unwrap()
                })
            })
            .collect();
        let outcomes: Vec<Visit> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let ran = outcomes
            .iter()
            .filter(|v| matches!(v, Visit::Ran { .. }))
            .count();
        assert_eq!(ran, 1, "exactly one runner ran slot {slot}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .all(|v| matches!(v, Visit::Ran { .. } | Visit::Locked | Visit::NotDue))
        );
        slot = schedule.next_after(slot).unwrap();
    }
    assert_eq!(runs(&pool, force).len(), rounds);
}

fn cli_report(server: &TestServer, slug: &str, from: &str, to: &str, format: &str) -> String {
    let c = cluster();
    let out = Command::new(server_binary())
        .args([
            "report", "--force", slug, "--from", from, "--to", to, "--format", format,
        ])
        .env("DATABASE_URL", c.cluster.app_url(&server.database))
        .env(
            "MIGRATE_DATABASE_URL",
            c.cluster.owner_url(&server.database),
        )
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn report_command_is_reproducible_and_matches_the_stored_run() {
    let (server, pool, force) = setup("dorset");
    let schedule = ReportSchedule::default().validate().unwrap();
    let s1 = schedule.next_after(created(&pool, force)).unwrap();
    visits(&pool, s1 + Duration::minutes(1));
    let run = runs(&pool, force).remove(0);
    let (from, to) = (run.period_from.to_string(), run.period_to.to_string());

    let json = cli_report(&server, "dorset", &from, &to, "json");
    assert_eq!(
        json,
        cli_report(&server, "dorset", &from, &to, "json"),
        "same period, same figures"
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["meta"]["people"], 6, "{}", value["meta"]);
    let mut c = pool.get().unwrap();
    let stored = in_force(&mut c, force, |c| RunSummary::report(c, force, run.id)).unwrap();
    assert_eq!(
        analytics_json(&stored),
        json,
        "the scheduled run's figures equal the command's"
    );

    let csv = cli_report(&server, "dorset", &from, &to, "csv");
    assert!(csv.lines().count() > 2, "{csv}");
    assert!(!csv.contains("dorset-00"), "no staff numbers in a report");
    let html = cli_report(&server, "dorset", &from, &to, "html");
    assert!(html.contains("<svg") && html.contains("lang=\"en-GB\""));
}

fn analytics_json(r: &analytics::report::Report) -> String {
    server::reports::service::render(r, server::reports::service::Format::Json).unwrap()
}

#[test]
fn invalid_schedules_are_refused() {
    let (_server, pool, force) = setup("kent");
    let mut c = pool.get().unwrap();
    for bad in [
        ReportSchedule {
            cron: "every monday".into(),
            ..ReportSchedule::default()
        },
        ReportSchedule {
            time_zone: "Mars/Olympus".into(),
            ..ReportSchedule::default()
        },
        ReportSchedule {
            period_days: 0,
            ..ReportSchedule::default()
        },
        // Not whole weeks: periods would fall off the calendar grid.
        ReportSchedule {
            period_days: 10,
            ..ReportSchedule::default()
        },
    ] {
        let e = in_force(&mut c, force, |c| bad.save(c, force)).unwrap_err();
        assert_eq!(e.code(), "invalid_schedule", "{bad:?}");
    }
    let good = ReportSchedule {
        cron: "30 7 * * TUE".into(),
        time_zone: "Europe/London".into(),
        period_days: 14,
    };
    in_force(&mut c, force, |c| good.save(c, force)).unwrap();
    assert_eq!(
        in_force(&mut c, force, |c| ReportSchedule::of(c, force)).unwrap(),
        good
    );
}

#[test]
fn frm_leads_set_the_schedule_and_make_reports_through_the_api() {
    let server = TestServer::start();
    let force = setup_force(&server, "lincs", 3);
    let other = setup_force(&server, "notts", 3);
    let body = serde_json::json!({ "cron": "30 7 * * TUE", "time_zone": "Europe/London", "period_days": 14 });
    let r = force
        .frm_lead
        .send("PUT", "/v1/force/report-schedule", &body);
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(force.frm_lead.get("/v1/force/report-schedule").body, body);
    assert_eq!(
        other.frm_lead.get("/v1/force/report-schedule").body["cron"],
        "0 6 * * MON",
        "per force"
    );
    assert_eq!(
        force
            .supervisor
            .send("PUT", "/v1/force/report-schedule", &body)
            .status,
        403
    );
    let bad =
        serde_json::json!({ "cron": "sometimes", "time_zone": "Europe/London", "period_days": 7 });
    assert_eq!(
        force
            .frm_lead
            .send("PUT", "/v1/force/report-schedule", &bad)
            .code(),
        "invalid_schedule"
    );

    let r = force.frm_lead.post(
        "/v1/force/reports",
        &serde_json::json!({ "from": "2026-11-02", "to": "2026-11-08" }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap();
    let list = force.frm_lead.get("/v1/force/reports");
    assert_eq!(list.body.as_array().unwrap().len(), 1);
    assert_eq!(list.body[0]["trigger"], "manual");
    let json = force.frm_lead.get(&format!("/v1/force/reports/{id}"));
    assert_eq!(json.status, 200);
    assert_eq!(json.body["meta"]["period"]["from"], "2026-11-02");
    assert_eq!(
        other
            .frm_lead
            .get(&format!("/v1/force/reports/{id}"))
            .status,
        404,
        "another force's report"
    );
    assert_eq!(force.supervisor.get("/v1/force/reports").status, 403);
    let backwards = force.frm_lead.post(
        "/v1/force/reports",
        &serde_json::json!({ "from": "2026-11-08", "to": "2026-11-02" }),
    );
    assert_eq!(backwards.code(), "invalid_period");
    // Only grid units (docs/security.md, "Differencing"): a week shifted by
    // a day, a calendar month and two weeks are refused; a reporting month
    // (the ISO weeks whose Thursday is in November 2026) is made.
    for (from, to) in [
        ("2026-11-03", "2026-11-09"),
        ("2026-11-01", "2026-11-30"),
        ("2026-11-02", "2026-11-15"),
    ] {
        let r = force.frm_lead.post(
            "/v1/force/reports",
            &serde_json::json!({ "from": from, "to": to }),
        );
        assert_eq!(r.code(), "invalid_period", "{from} to {to}");
    }
    let month = force.frm_lead.post(
        "/v1/force/reports",
        &serde_json::json!({ "from": "2026-11-02", "to": "2026-11-29" }),
    );
    assert_eq!(month.status, 201, "{:?}", month.body);
    let doc = server.client().get("/v1/openapi.json");
    for path in [
        "/v1/force/report-schedule",
        "/v1/force/reports",
        "/v1/force/reports/{id}",
    ] {
        assert!(
            doc.body["paths"].get(path).is_some(),
            "{path} in the OpenAPI document"
        );
    }
}

/// A team in `command` with `n` members `<prefix>-01`, ..., rostered on the rota.
fn add_team(force: &Force, name: &str, command: &str, prefix: &str, n: usize) -> Vec<String> {
    let team = force.admin.post(
        "/v1/force/teams",
        &serde_json::json!({ "name": name, "command": command, "policing_function": "response" }),
    );
    assert_eq!(team.status, 201, "{:?}", team.body);
    let id = team.body["id"].as_str().unwrap().to_owned();
    let members: Vec<String> = (1..=n).map(|i| format!("{prefix}-{i:02}")).collect();
    let r = force.admin.send(
        "PUT",
        &format!("/v1/teams/{id}/members"),
        &serde_json::json!({ "staff_numbers": members }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    upload_rota(force, &id, &members);
    members
}

/// The force's report for the seven days to yesterday, built as the
/// scheduler builds it.
fn last_weeks_report(server: &TestServer) -> analytics::report::Report {
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000);
    let mut c = pool.get().unwrap();
    let id = server::accounts::store::Force::all_ids(&mut c).unwrap()[0];
    let today = Utc::now().date_naive();
    let period =
        analytics::input::Period::new(today - Duration::days(7), today - Duration::days(1))
            .unwrap();
    server::reports::service::report_now(&mut c, id, period).unwrap()
}

fn rows_at(t: &analytics::table::Table, level: usize) -> Vec<&analytics::table::Row> {
    t.rows.iter().filter(|r| r.level == level).collect()
}

#[test]
fn report_by_command_with_new_indicators_and_learning_under_the_rule() {
    let server = TestServer::start();
    // North: the setup team "Response A" (6) and CID (6); South: two teams
    // of 6 and 3. The 3-person team must be withheld, and South's subtotal
    // must not give it away.
    let force = setup_force(&server, "kent", 6);
    upload_rota(&force, &force.team, &force.members);
    add_team(&force, "CID", "North", "kent-cid", 6);
    add_team(&force, "Response B", "South", "kent-rb", 6);
    add_team(&force, "Roads", "South", "kent-rd", 3);
    // Five of Response A share learning progress: all open a module, two
    // pass it.
    for (i, staff) in force.members.iter().take(5).enumerate() {
        let device = enrol(&server, &force, staff);
        let record = serde_json::json!({ "kind": "learning_progress", "local_date": days_ago(10),
            "module_id": "officer.naps", "completed": i < 2 });
        let r = device.client.post(
            "/v1/sync",
            &batch(&device, &format!("k{i}"), 1, vec![record]),
        );
        assert_eq!(r.status, 200, "{:?}", r.body);
    }
    let report = last_weeks_report(&server);

    // Commands, then teams under them.
    let t = report.table("night_runs").unwrap();
    let commands: Vec<&str> = rows_at(t, 1).iter().map(|r| r.label.as_str()).collect();
    assert_eq!(commands, ["North", "South"]);
    let roads = t.rows.iter().find(|r| r.label == "Roads").unwrap();
    assert_eq!(roads.path, ["South", "Roads"]);
    for table in &report.tables {
        let roads = table.rows.iter().find(|r| r.label == "Roads");
        if let Some(roads) = roads {
            // Withheld, or a zero where nobody in the team is in the
            // table's population (no consented sleep, no learning).
            assert!(
                roads
                    .cells
                    .iter()
                    .all(|c| c.value.is_none_or(|v| v.is_zero())),
                "{}: {:?}",
                table.id,
                roads.cells
            );
            if table.columns.iter().any(|c| c == "people rostered") {
                assert!(roads.cells.iter().all(|c| c.suppressed), "{}", table.id);
            }
        }
        assert_eq!(
            table.single_unknowns(),
            [],
            "{}: a subtotal reveals a withheld cell",
            table.id
        );
        for parent in &table.rows {
            for c in &parent.cells {
                if let Some(v) = c.value
                    && table.unit == "people"
                {
                    let v = v.to_string().parse::<f64>().unwrap();
                    assert!(v == 0.0 || v >= 5.0, "{} {}: {v}", table.id, parent.label);
                }
            }
        }
    }

    // New indicators, worked by hand on the rota: every day->night switch
    // (17:00 to 22:00 next day) holds one 23:00-07:00 window (amber); the
    // 29 h and 47 h rests break every stretch at 34 h (not over 120 h);
    // runs of 4 work days.
    let root = |id: &str| report.table(id).unwrap().root().unwrap().clone();
    let value = |id: &str, col: usize| root(id).cells[col].value.unwrap().to_string();
    assert_eq!(value("day_night_switches", 1), "21", "all 21 people amber");
    assert_eq!(value("day_night_switches", 3), "21");
    assert_eq!(value("weekly_rest", 0), "21");
    assert_eq!(value("work_days", 0), "21");

    // Learning: 5 people opened the course, 2 completed some; the 3 and 2
    // are under 5 people, so withheld at every level; the 5 is published.
    let learning = report.table("learning").unwrap();
    let lr = learning.root().unwrap();
    assert_eq!(lr.cells[3].value.unwrap().to_string(), "5");
    assert!(lr.cells[0].suppressed && lr.cells[1].suppressed);
    assert!(
        learning
            .percent_of
            .as_deref()
            .unwrap()
            .contains("opened at least one module")
    );
    let team_a = learning
        .rows
        .iter()
        .find(|r| r.label == "Response A")
        .unwrap();
    assert_eq!(team_a.cells[3].value.unwrap().to_string(), "5");
    assert!(team_a.cells[1].value.is_none());
    // Peer support: no call-backs, so every count (0) is published as 0 or withheld.
    let ps = report.peer_support.as_ref().unwrap();
    assert!(ps.requests.value.is_none_or(|v| v.is_zero()));
}

#[test]
fn supervisor_learning_is_kept_per_account_and_force_and_never_undone() {
    use diesel::RunQueryDsl;
    use server::learning::store::{Attempt, progress, record_attempt};
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let server = TestServer::start();
    setup_force(&server, "essex", 1);
    setup_force(&server, "herts", 1);
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 4, 3000);
    let mut c = pool.get().unwrap();
    let forces = server::accounts::store::Force::all_ids(&mut c).unwrap();
    let sarge = |c: &mut diesel::PgConnection, force: Uuid| {
        in_force(c, force, |c| {
            let row: Id = diesel::sql_query("SELECT id FROM accounts WHERE username = 'sarge'")
                .get_result(c)?;
            Ok::<_, diesel::result::Error>(row.id)
        })
        .unwrap()
    };
    let (a, b) = (forces[0], forces[1]);
    let (sa, sb) = (sarge(&mut c, a), sarge(&mut c, b));
    let attempt = |correct, passed| Attempt {
        module_id: "supervisor.thresholds",
        course_version: "1.0.0",
        correct,
        questions: 3,
        passed,
    };
    let t0 = Utc::now();
    in_force(&mut c, a, |c| {
        record_attempt(c, a, sa, &attempt(1, false), t0)?;
        let p = record_attempt(c, a, sa, &attempt(3, true), t0 + Duration::minutes(5))?;
        assert_eq!((p.attempts, p.best_correct), (2, 3));
        // A later failed attempt keeps the completion and the best score.
        let p = record_attempt(c, a, sa, &attempt(0, false), t0 + Duration::minutes(9))?;
        assert_eq!((p.attempts, p.best_correct), (3, 3));
        assert_eq!(
            p.completed_at.map(|t| t.timestamp()),
            Some((t0 + Duration::minutes(5)).timestamp())
        );
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
    // Another force's supervisor has nothing, and another force's scope
    // cannot read the first force's rows even by account id (RLS).
    assert!(
        in_force(&mut c, b, |c| progress(c, b, sb))
            .unwrap()
            .is_empty()
    );
    assert!(
        in_force(&mut c, b, |c| progress(c, a, sa))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        in_force(&mut c, a, |c| progress(c, a, sa)).unwrap().len(),
        1
    );
}

#[test]
fn supervisor_training_reaches_the_report_as_counts_at_the_period_end() {
    use diesel::RunQueryDsl;
    use server::learning::service::supervisor_course;
    use server::learning::store::{Attempt, record_attempt};
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let server = TestServer::start();
    let force = setup_force(&server, "surrey", 6);
    upload_rota(&force, &force.team, &force.members);
    // With the setup's supervisor and FRM lead: 10 accounts.
    for i in 0..8 {
        let r = force.admin.post(
            "/v1/force/accounts",
            &serde_json::json!({ "username": format!("sup{i}"), "password": PASSWORD, "role": "supervisor" }),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 4, 3000);
    let mut c = pool.get().unwrap();
    let id = server::accounts::store::Force::all_ids(&mut c).unwrap()[0];
    let today = Utc::now().date_naive();
    let period = analytics::input::Period::new(today - Duration::days(6), today).unwrap();
    let course = supervisor_course().unwrap();
    let pass_all = |c: &mut diesel::PgConnection, username: &str, at: DateTime<Utc>| {
        in_force(c, id, |c| {
            let row: Id = diesel::sql_query("SELECT id FROM accounts WHERE username = $1")
                .bind::<diesel::sql_types::Text, _>(username)
                .get_result(c)?;
            for m in &course.modules {
                let attempt = Attempt {
                    module_id: &m.id,
                    course_version: &course.version,
                    correct: 3,
                    questions: 3,
                    passed: true,
                };
                record_attempt(c, id, row.id, &attempt, at)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    };
    // Five passed the whole course in the period; one only after its end
    // (the accounts were all created today, the period's last day).
    for name in ["sarge", "sup0", "sup1", "sup2", "sup3"] {
        pass_all(&mut c, name, Utc::now() - Duration::days(3));
    }
    pass_all(&mut c, "sup4", Utc::now() + Duration::days(2));

    let report = in_force(&mut c, id, |c| {
        server::reports::service::build_force_report(c, id, period)
    })
    .unwrap();
    let t = report.supervisor_training.as_ref().unwrap();
    let value = |cell: &analytics::table::Cell| cell.value.map(|v| v.to_string());
    assert_eq!(value(&t.accounts).as_deref(), Some("10"));
    assert_eq!(value(&t.completed_some).as_deref(), Some("5"));
    assert_eq!(value(&t.completed).as_deref(), Some("5"));
    let pct = t.completed.percent.as_ref().unwrap();
    assert_eq!(pct.value.to_string(), "50.0");
    // The same figures in the CSV and the HTML.
    let csv = analytics::render::render_csv(&report).unwrap();
    assert!(
        csv.lines().any(|l| l.starts_with("supervisor_training,")
            && l.contains("completed the whole course")
            && l.contains(",5,")),
        "{csv}"
    );
    let html = analytics::render::render_html(&report).unwrap();
    assert!(html.contains("Supervisor FRM training"));
}

/// Uploads `weeks` weeks (to this week) of a weekly rota for `members`:
/// `(weekday from Monday, start hour UTC, hours)` each week.
fn upload_weekly(force: &Force, members: &[String], weeks: i64, rota: &[(i64, u32, i64)]) {
    let today = Utc::now().date_naive();
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let shifts = members.iter().flat_map(|staff| {
        (-weeks..=0).flat_map(move |w| {
            rota.iter().map(move |&(day, hour, hours)| {
                let date = this_monday + Duration::weeks(w) + Duration::days(day);
                (staff.as_str(), date, hour, hours)
            })
        })
    });
    post_shifts(force, &force.team, shifts);
}

#[test]
fn working_time_over_seventeen_weeks_reaches_the_report() {
    // Five on five 12-hour nights a week (60 h: over 48 h on average, and
    // night workers over 8 h a day); five on three 12-hour days (36 h, no
    // nights). Eighteen weeks of it, so the whole reference period is
    // loaded although the engine assesses only the last few weeks.
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 10);
    let (nights, days) = force.members.split_at(5);
    upload_weekly(
        &force,
        nights,
        18,
        &[
            (0, 19, 12),
            (1, 19, 12),
            (2, 19, 12),
            (3, 19, 12),
            (4, 19, 12),
        ],
    );
    upload_weekly(&force, days, 18, &[(0, 7, 12), (1, 7, 12), (2, 7, 12)]);
    let report = last_weeks_report(&server);
    let root = |table: &str| report.table(table).unwrap().root().unwrap().clone();
    let value = |table: &str, col: usize| {
        root(table).cells[col]
            .value
            .map(|v| v.to_string())
            .unwrap_or_else(|| "withheld".into())
    };
    assert_eq!(value("average_week_17w", 0), "5", "the day workers: 36 h");
    assert_eq!(value("average_week_17w", 2), "5", "the night workers: 60 h");
    assert_eq!(value("average_week_17w", 3), "10");
    assert_eq!(value("night_workers", 0), "5");
    assert_eq!(value("night_workers", 2), "5", "over 8 h a day");
    assert_eq!(value("night_workers", 3), "10");
    // With only the engine's weeks loaded, 60 h a week would have averaged
    // well under 48 h over 17 weeks: the earlier duties were used.
    let html = analytics::render::render_html(&report).unwrap();
    assert!(
        html.contains("17 weeks to the period"),
        "the table is in the page"
    );
}

/// The report of the ISO week starting `monday`, as the scheduler builds it.
fn week_report(server: &TestServer, monday: chrono::NaiveDate) -> analytics::report::Report {
    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000);
    let mut c = pool.get().unwrap();
    let id = server::accounts::store::Force::all_ids(&mut c).unwrap()[0];
    let period = analytics::input::Period::new(monday, monday + Duration::days(6)).unwrap();
    server::reports::service::report_now(&mut c, id, period).unwrap()
}

#[test]
fn leave_in_the_seventeen_weeks_is_made_up_from_the_days_worked_after_them() {
    // WTR reg. 4(6), the worked example: 15 weeks at 52 h (four
    // 13-hour days, Monday to Thursday) and 2 weeks of annual leave on
    // those days. (A + B) / C = (15 x 52 + 8 x 13) / 17 = 884 / 17 = 52 h:
    // red. Without the make-up, 780 / 17 = 45.9 h would read amber.
    let server = TestServer::start();
    let force = setup_force(&server, "norfolk", 5);
    let today = Utc::now().date_naive();
    let this_monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    // The report's week W is 5 weeks back; the roster runs from W - 16 (the
    // reference period's first week) to W + 4; leave in W - 10 and W - 9.
    let w = this_monday - Duration::weeks(5);
    let mut csv = String::from("staff_id,start,end,team,role,activity\n");
    for staff in &force.members {
        for week in -16..=4 {
            for day in 0..4 {
                let date = w + Duration::weeks(week) + Duration::days(day);
                let start = date.and_hms_opt(7, 0, 0).unwrap().and_utc();
                let end = start + Duration::hours(13);
                let activity = if week == -10 || week == -9 {
                    "leave"
                } else {
                    ""
                };
                csv.push_str(&format!(
                    "{staff},{},{},A,response,{activity}\n",
                    start.to_rfc3339(),
                    end.to_rfc3339()
                ));
            }
        }
    }
    let r = force.admin.post_raw(
        &format!("/v1/teams/{}/roster", force.team),
        &[("content-type", "text/csv")],
        csv.as_bytes(),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let column = |report: &analytics::report::Report, col: usize| {
        report
            .table("average_week_17w")
            .unwrap()
            .root()
            .unwrap()
            .cells[col]
            .value
            .map(|v| v.to_string())
            .unwrap_or_else(|| "withheld".into())
    };
    let report = week_report(&server, w);
    assert_eq!(column(&report, 2), "5", "52 h: over 48 (red)");
    assert_eq!(column(&report, 1), "0", "not amber");
    assert_eq!(
        column(&report, 4),
        "0",
        "W + 1 to W + 4 hold the 8 make-up days"
    );
    // Three weeks later the leave is still in the reference period, but
    // only W + 4's four days follow: not enough, so provisional.
    let later = week_report(&server, w + Duration::weeks(3));
    assert_eq!(column(&later, 4), "5", "the roster does not reach 8 days");
}

#[derive(diesel::QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    jit: String,
}

fn jit(c: &mut diesel::PgConnection) -> String {
    use diesel::RunQueryDsl;
    diesel::sql_query("SHOW jit")
        .get_result::<Setting>(c)
        .unwrap()
        .jit
}

/// The report's reads run without PostgreSQL's JIT (docs/scaling.md), and
/// only they do: the setting ends with the report's transaction, so the
/// pooled connection goes back as it came.
#[test]
fn jit_is_off_for_the_reports_transaction_and_no_longer() {
    let (_server, pool, force) = setup("jit-scope");
    let mut c = pool.get().unwrap();
    assert_eq!(jit(&mut c), "on", "the cluster's default");
    let inside = server::db::transaction(&mut c, server::db::Scope::Force(force), |c| {
        server::db::without_jit(c)?;
        Ok::<_, diesel::result::Error>(jit(c))
    })
    .unwrap();
    assert_eq!(inside, "off");
    assert_eq!(jit(&mut c), "on", "after the transaction");
}
