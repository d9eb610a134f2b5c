//! NPWS cohorts and comparisons across forces, through the real server: the
//! analyst gets cohort sizes and centres and suppressed comparisons with no
//! id and no cell under 5 people; every other role gets 403; a small force
//! is withheld and cannot be recovered from the totals; the CSV says what
//! the JSON says; and the SQL function behind it follows its definitions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use e2e_tests::*;
use serde_json::{Value, json};

/// How the people of one team work and sleep.
#[derive(Clone, Copy)]
struct Pattern {
    /// `(local start hour, hours)` per day of an 8-day cycle, or rest.
    cycle: [Option<(u32, i64)>; 8],
    /// Sleep obtained each night, minutes.
    sleep: u32,
    /// Every `red_every`-th morning is red (0: none).
    red_every: i64,
    /// KSS given each morning.
    kss: u8,
}

const RESPONSE: Pattern = Pattern {
    cycle: [
        Some((7, 10)),
        Some((7, 10)),
        Some((22, 10)),
        Some((22, 10)),
        None,
        None,
        None,
        None,
    ],
    sleep: 420,
    red_every: 4,
    kss: 5,
};
/// Office days, and a late then an early: 8 hours' rest, a quick return.
const CID: Pattern = Pattern {
    cycle: [
        Some((8, 8)),
        Some((8, 8)),
        Some((8, 8)),
        Some((14, 8)),
        Some((6, 8)),
        None,
        None,
        Some((8, 8)),
    ],
    sleep: 450,
    red_every: 0,
    kss: 3,
};
const CONTROL: Pattern = Pattern {
    cycle: [
        Some((7, 12)),
        Some((7, 12)),
        Some((19, 12)),
        Some((19, 12)),
        None,
        None,
        None,
        None,
    ],
    sleep: 360,
    red_every: 2,
    kss: 7,
};

/// Days of the period: the 14 days before today.
const PERIOD_DAYS: i64 = 14;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn period_query() -> String {
    format!("from={}&to={}", days_ago(PERIOD_DAYS), days_ago(1))
}

/// Local shift starts and lengths of person `i` with `p` from 30 days ago
/// to 10 days ahead.
fn shifts(p: &Pattern, i: usize) -> Vec<(chrono::NaiveDateTime, i64)> {
    (-30i64..10)
        .filter_map(|d| {
            let (h, len) = p.cycle[(d + i as i64).rem_euclid(8) as usize]?;
            Some(((today() + Duration::days(d)).and_hms_opt(h, 0, 0)?, len))
        })
        .collect()
}

fn record(date: NaiveDate, p: &Pattern, day: i64) -> Vec<Value> {
    let end = date.and_hms_opt(6, 45, 0).unwrap().and_utc();
    let start = end - Duration::minutes(i64::from(p.sleep));
    let red = p.red_every > 0 && day % p.red_every == 0;
    let (score, band) = if red { (30, "red") } else { (75, "green") };
    vec![
        json!({
            "kind": "daily_summary", "local_date": date.to_string(),
            "main_sleep_start": start, "main_sleep_end": end,
            "sleep_minutes": p.sleep, "sleep_debt_minutes": 0,
            "recovery_score": score + day, "recovery_band": band,
            "hrv_deviation_sd": 0.0, "resting_hr_deviation_bpm": 0.0
        }),
        json!({ "kind": "check_in", "local_date": date.to_string(),
                "taken_at": format!("{date}T07:00:00Z"), "scale": "kss",
                "value": p.kss, "context": "before_shift" }),
    ]
}

/// Expected figures of one group, computed from the same patterns.
#[derive(Default, Clone, Copy)]
struct Expect {
    people: i64,
    shifts: i64,
    nights: i64,
    quick: i64,
    sleep_people: i64,
    sleep_minutes: i64,
    nights_slept: i64,
    red: i64,
    kss_people: i64,
    kss_sum: i64,
    kss_n: i64,
}

/// `num / den` to 1 dp, halves up (all figures here are positive).
fn dp1(num: i64, den: i64) -> String {
    let tenths = (num * 10 * 2 + den) / (den * 2);
    format!("{}.{}", tenths / 10, tenths % 10)
}

struct Seeded {
    server: TestServer,
    forces: Vec<Force>,
    analyst: Client,
    /// Expected figures by force and by function.
    by_force: BTreeMap<String, Expect>,
    by_function: BTreeMap<String, Expect>,
}

/// Adds a team with `function` and members to a force.
fn team(force: &Force, name: &str, function: &str, members: &[String]) -> String {
    let r = force.admin.post(
        "/v1/force/teams",
        &json!({ "name": name, "command": "HQ", "policing_function": function }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = force.admin.send(
        "PUT",
        &format!("/v1/teams/{id}/members"),
        &json!({ "staff_numbers": members }),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    id
}

/// Three forces: `north` (30: 20 response, 10 CID), `west` (24: 12
/// response, 12 control room) and `tiny` (3 response), everyone enrolled;
/// consent varies so some people share nothing.
fn seed() -> Seeded {
    let server = TestServer::start_with(&[("FATIGUE_ENROL_PER_MINUTE", "1000")]);
    let mut forces = Vec::new();
    let mut by_force: BTreeMap<String, Expect> = BTreeMap::new();
    let mut by_function: BTreeMap<String, Expect> = BTreeMap::new();
    let (from, to) = (today() - Duration::days(PERIOD_DAYS), today());
    for (slug, n, split, other, other_fn) in [
        ("north", 30, 10, CID, "investigation"),
        ("west", 24, 12, CONTROL, "control_room"),
        ("tiny", 3, 0, RESPONSE, "response"),
    ] {
        let force = setup_force(&server, slug, n);
        // "CID"/"Control room" sort before "Response A": their members take
        // that team's function.
        if split > 0 {
            let name = if other_fn == "investigation" {
                "CID"
            } else {
                "Control room"
            };
            team(&force, name, other_fn, &force.members[..split]);
        }
        let mut csv = String::from("staff_id,start,end\n");
        for (i, staff) in force.members.iter().enumerate() {
            let (p, function) = if i < split {
                (other, other_fn)
            } else {
                (RESPONSE, "response")
            };
            let all = shifts(&p, i);
            let mut prev_end: Option<chrono::NaiveDateTime> = None;
            let (mut e_shifts, mut e_nights, mut e_quick) = (0, 0, 0);
            for &(start, len) in &all {
                let end = start + Duration::hours(len);
                csv.push_str(&format!(
                    "{staff},{},{}\n",
                    start.format("%Y-%m-%dT%H:%M"),
                    end.format("%Y-%m-%dT%H:%M")
                ));
                if start.date() >= from && start.date() < to {
                    e_shifts += 1;
                    // Hours inside 23:00-06:00 (local wall clock).
                    let night_hours = (0..len)
                        .filter(|h| {
                            let hour = (start + Duration::hours(*h))
                                .time()
                                .format("%H")
                                .to_string();
                            !(6..23).contains(&hour.parse::<u32>().unwrap())
                        })
                        .count();
                    if night_hours >= 3 {
                        e_nights += 1;
                    }
                    if prev_end.is_some_and(|p| start - p < Duration::hours(12)) {
                        e_quick += 1;
                    }
                }
                prev_end = Some(end);
            }
            // Consent: every third person shares nothing; of the rest, half
            // share check-ins too. tiny: everyone shares everything.
            let level = match (slug, i % 3, i % 2) {
                ("tiny", _, _) => "sleep_and_check_ins",
                (_, 0, _) => "roster_only",
                (_, _, 0) => "sleep",
                _ => "sleep_and_check_ins",
            };
            let device = enrol(&server, &force, staff);
            let r = device
                .client
                .send("PUT", "/v1/me/consent", &json!({ "level": level }));
            assert_eq!(r.status, 200, "{:?}", r.body);
            let mut records = Vec::new();
            for d in 1..=PERIOD_DAYS + 3 {
                records.extend(record(today() - Duration::days(d), &p, d));
            }
            let r = device.client.post(
                "/v1/sync",
                &batch(&device, &format!("k-{staff}"), 1, records),
            );
            assert_eq!(r.status, 200, "{:?}", r.body);
            for e in [
                by_force.entry(slug.to_owned()).or_default(),
                by_function.entry(function.to_owned()).or_default(),
            ] {
                e.people += 1;
                e.shifts += e_shifts;
                e.nights += e_nights;
                e.quick += e_quick;
                if level != "roster_only" {
                    e.sleep_people += 1;
                    e.nights_slept += PERIOD_DAYS;
                    e.sleep_minutes += PERIOD_DAYS * i64::from(p.sleep);
                    e.red += (1..=PERIOD_DAYS)
                        .filter(|d| p.red_every > 0 && d % p.red_every == 0)
                        .count() as i64;
                }
                if level == "sleep_and_check_ins" {
                    e.kss_people += 1;
                    e.kss_n += PERIOD_DAYS;
                    e.kss_sum += PERIOD_DAYS * i64::from(p.kss);
                }
            }
        }
        let r = force.admin.post_raw(
            &format!("/v1/teams/{}/roster", force.team),
            &[("content-type", "text/csv")],
            csv.as_bytes(),
        );
        assert_eq!(r.status, 201, "{:?}", r.body);
        forces.push(force);
    }
    let r = server.admin().post(
        "/v1/admin/analysts",
        &json!({ "username": "analyst", "password": PASSWORD }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let analyst = server.client().login(None, "analyst", PASSWORD);
    Seeded {
        server,
        forces,
        analyst,
        by_force,
        by_function,
    }
}

fn get_text(client: &Client, path: &str) -> (u16, String, String) {
    let mut r = ureq::get(&format!("{}{}", client.base, path));
    if let Some(t) = &client.token {
        r = r.set("Authorization", &format!("Bearer {t}"));
    }
    match r.call() {
        Ok(resp) | Err(ureq::Error::Status(_, resp)) => (
            resp.status(),
            resp.header("content-type").unwrap_or("").to_owned(),
            resp.into_string().unwrap(),
        ),
        Err(e) => panic!("{e}"),
    }
}

/// Nothing that identifies anyone: no UUID, no staff number, no team name.
fn assert_no_ids(text: &str, s: &Seeded) {
    let uuid = text
        .split(|c: char| !c.is_ascii_hexdigit() && c != '-')
        .any(|w| w.len() == 36 && w.chars().filter(|&c| c == '-').count() == 4);
    assert!(!uuid, "a UUID in {text}");
    for f in &s.forces {
        for m in &f.members {
            assert!(!text.contains(m.as_str()), "staff number {m}");
        }
    }
    for team in ["Response A", "CID", "Control room", "HQ"] {
        assert!(!text.contains(team), "team {team}");
    }
}

/// Cell of a table by row path and column.
fn cell<'a>(table: &'a Value, path: &[&str], column: &str) -> &'a Value {
    let c = table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|x| x == column)
        .unwrap_or_else(|| panic!("column {column}"));
    let row = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().unwrap())
                .eq(path.iter().copied())
        })
        .unwrap_or_else(|| panic!("row {path:?}"));
    &row["cells"][c]
}

fn value(cell: &Value) -> Option<String> {
    cell["value"].as_str().map(str::to_owned)
}

/// For each column, total and parts of every published relation in a view.
fn relations(table: &Value) -> Vec<Vec<bool>> {
    let rows = table["rows"].as_array().unwrap();
    let cols = table["columns"].as_array().unwrap().len();
    let mut out = Vec::new();
    for col in 0..cols {
        for (i, r) in rows.iter().enumerate() {
            let level = r["level"].as_u64().unwrap();
            let kids: Vec<bool> = rows[i + 1..]
                .iter()
                .take_while(|k| k["level"].as_u64().unwrap() > level)
                .filter(|k| k["level"].as_u64().unwrap() == level + 1)
                .map(|k| k["cells"][col]["suppressed"].as_bool().unwrap())
                .collect();
            if !kids.is_empty() {
                let mut rel = vec![r["cells"][col]["suppressed"].as_bool().unwrap()];
                rel.extend(kids);
                out.push(rel);
            }
        }
    }
    out
}

#[test]
fn the_analyst_gets_cohorts_and_comparisons_with_no_ids_and_no_small_cells() {
    let s = seed();
    let q = period_query();

    // Cohorts: sizes and centres only.
    let r = s.analyst.get(&format!("/v1/npws/cohorts?{q}"));
    assert_eq!(r.status, 200, "{:?}", r.body);
    let run = &r.body;
    assert_eq!(run["meta"]["people_clustered"], 57);
    assert!(
        run.get("tables").is_none(),
        "no cross-tabulations in the cohort answer"
    );
    let cohorts = run["cohorts"].as_array().unwrap();
    assert!(!cohorts.is_empty());
    let sizes: Vec<u64> = cohorts
        .iter()
        .map(|c| c["size"].as_u64().unwrap())
        .collect();
    assert!(sizes.iter().all(|&n| n >= 20), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<u64>(), 57);
    for c in cohorts {
        for f in c["centre"].as_array().unwrap() {
            match f["people_with_data"].as_u64() {
                Some(n) => assert!(n >= 5 && f["mean"].is_string()),
                None => assert!(f["mean"].is_null()),
            }
        }
    }
    assert_no_ids(&serde_json::to_string(run).unwrap(), &s);
    // The same period gives the same cohorts (seeded).
    assert_eq!(s.analyst.get(&format!("/v1/npws/cohorts?{q}")).body, r.body);

    // The cohort CSV says what the JSON says.
    let (status, ct, csv) = get_text(&s.analyst, &format!("/v1/npws/cohorts.csv?{q}"));
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    assert_no_ids(&csv, &s);
    let mut rd = csv::Reader::from_reader(csv.as_bytes());
    let mut from_csv: BTreeMap<(String, String), String> = BTreeMap::new();
    for rec in rd.records() {
        let rec = rec.unwrap();
        from_csv.insert((rec[2].to_owned(), rec[3].to_owned()), rec[4].to_owned());
    }
    for c in cohorts {
        let label = format!("cohort {}", c["label"]);
        assert_eq!(
            from_csv[&(label.clone(), "size".into())],
            c["size"].to_string()
        );
        for f in c["centre"].as_array().unwrap() {
            let key = (label.clone(), f["feature"].as_str().unwrap().to_owned());
            assert_eq!(from_csv[&key], f["mean"].as_str().unwrap_or(""));
        }
    }
    assert_eq!(from_csv.len(), cohorts.len() * 10);

    // Comparisons, every view.
    let mut views = BTreeMap::new();
    for by in ["force", "function", "force_function"] {
        let r = s.analyst.get(&format!("/v1/npws/comparisons?{q}&by={by}"));
        assert_eq!(r.status, 200, "{by}: {:?}", r.body);
        assert_eq!(r.body["by"], by);
        assert_no_ids(&serde_json::to_string(&r.body).unwrap(), &s);
        let table = r.body["table"].clone();
        // No published count under 5 (0 is published: it describes nobody).
        for row in table["rows"].as_array().unwrap() {
            for (col, c) in table["columns"]
                .as_array()
                .unwrap()
                .iter()
                .zip(row["cells"].as_array().unwrap())
            {
                if col.as_str().unwrap().starts_with("people")
                    && let Some(v) = value(c)
                {
                    let n: i64 = v.parse().unwrap();
                    assert!(n == 0 || n >= 5, "{by} {col}: {n}");
                }
                if c["suppressed"] == true {
                    assert!(c["value"].is_null(), "a withheld cell has no value");
                }
            }
        }
        // No relation (a total and its parts) has a single withheld cell.
        for rel in relations(&table) {
            assert_ne!(rel.iter().filter(|&&x| x).count(), 1, "{by}: {rel:?}");
        }
        // The CSV says what the JSON says.
        let (status, _, csv) =
            get_text(&s.analyst, &format!("/v1/npws/comparisons.csv?{q}&by={by}"));
        assert_eq!(status, 200);
        let mut rd = csv::Reader::from_reader(csv.as_bytes());
        let mut lines = 0;
        for rec in rd.records() {
            let rec = rec.unwrap();
            let path: Vec<&str> = if rec[1] == *"0" {
                vec![]
            } else {
                rec[2].split(" / ").collect()
            };
            let c = cell(&table, &path, &rec[3]);
            assert_eq!(rec[4], value(c).unwrap_or_default(), "{by} {:?}", &rec);
            assert_eq!(rec[5], c["suppressed"].as_bool().unwrap().to_string());
            lines += 1;
        }
        let rows = table["rows"].as_array().unwrap().len();
        assert_eq!(lines, rows * table["columns"].as_array().unwrap().len());
        views.insert(by, table);
    }

    // tiny (3 people) is withheld everywhere, and another force with it.
    let by_force = &views["force"];
    let tiny_row = by_force["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["label"] == "tiny")
        .unwrap();
    assert!(
        tiny_row["cells"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["suppressed"] == true && c["value"].is_null())
    );
    assert_eq!(value(cell(by_force, &[], "people")).as_deref(), Some("57"));
    let withheld_forces = ["north", "west"]
        .iter()
        .filter(|f| cell(by_force, &[f], "people")["suppressed"] == true)
        .count();
    assert!(withheld_forces >= 1, "another force covers tiny");
    let both = &views["force_function"];
    assert_eq!(
        cell(both, &["tiny", "response"], "people")["suppressed"],
        true
    );
    // The response total cannot give tiny's response cell by subtraction.
    let response_parts: Vec<bool> = ["north", "west", "tiny"]
        .iter()
        .map(|f| cell(both, &[f, "response"], "people")["suppressed"] == true)
        .collect();
    assert!(
        response_parts.iter().filter(|&&x| x).count() >= 2,
        "{response_parts:?}"
    );

    // Published figures follow their definitions (withheld ones are
    // checked for being withheld above; enough are published to matter).
    assert!(
        s.by_function["investigation"].quick > 0,
        "the data has quick returns"
    );
    let mut checked = 0;
    for (view, expected) in [("function", &s.by_function), ("force", &s.by_force)] {
        let t = &views[view];
        for (name, e) in expected {
            let figures = [
                ("people", e.people.to_string()),
                ("night shifts (% of shifts)", dp1(e.nights * 100, e.shifts)),
                (
                    "quick returns (rest under 12 h) per person",
                    dp1(e.quick, e.people),
                ),
                (
                    "mean sleep per night (h)",
                    dp1(e.sleep_minutes, e.nights_slept * 60),
                ),
                (
                    "red recovery mornings (% of mornings with a recovery band)",
                    dp1(e.red * 100, e.nights_slept),
                ),
                ("mean KSS check-in", dp1(e.kss_sum, e.kss_n.max(1))),
            ];
            for (column, want) in figures {
                let c = cell(t, &[name], column);
                let has_data = match column {
                    "mean KSS check-in" => e.kss_n > 0,
                    "mean sleep per night (h)"
                    | "red recovery mornings (% of mornings with a recovery band)" => {
                        e.nights_slept > 0
                    }
                    _ => true,
                };
                if !has_data {
                    assert!(c["value"].is_null(), "{view} {name} {column}");
                } else if c["suppressed"] == false {
                    assert_eq!(value(c), Some(want), "{view} {name} {column}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 12, "only {checked} figures published");

    // Every read is audited (national entries, read as the owner).
    let owner = cluster().cluster.owner_url(&s.server.database);
    let mut c = PgConnection::establish(&owner).unwrap();
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::sql_query(
        "SELECT count(*) AS n FROM audit_log WHERE force_id IS NULL AND action IN ('read_npws_cohorts', 'read_npws_comparisons')",
    )
    .get_result(&mut c)
    .unwrap();
    assert_eq!(n.n, 9, "3 cohort reads and 6 comparison reads");
}

#[test]
fn every_other_role_is_refused_and_bad_periods_are_problems() {
    let s = seed_small();
    let q = period_query();
    let paths = [
        format!("/v1/npws/cohorts?{q}"),
        format!("/v1/npws/cohorts.csv?{q}"),
        format!("/v1/npws/comparisons?{q}&by=force"),
        format!("/v1/npws/comparisons.csv?{q}&by=function"),
    ];
    let f = &s.0;
    let platform = s.2.admin();
    for (who, client) in [
        ("supervisor", &f.supervisor),
        ("frm lead", &f.frm_lead),
        ("force admin", &f.admin),
        ("officer", &s.1.client),
        ("platform admin", &platform),
    ] {
        for p in &paths {
            let r = client.get(p);
            assert_eq!(r.status, 403, "{who} {p}");
            assert_eq!(r.code(), "forbidden");
        }
    }
    for p in &paths {
        assert_eq!(s.2.client().get(p).status, 401, "{p}");
    }
    let analyst = &s.3;
    for (path, code) in [
        ("/v1/npws/cohorts".to_owned(), "invalid_period"),
        (
            "/v1/npws/cohorts?from=2026-01-01".to_owned(),
            "invalid_period",
        ),
        (
            "/v1/npws/cohorts?from=2026-13-01&to=2026-12-01".to_owned(),
            "invalid_period",
        ),
        (
            "/v1/npws/comparisons?from=2026-03-02&to=2026-03-01".to_owned(),
            "invalid_period",
        ),
        (
            "/v1/npws/comparisons?from=2024-01-01&to=2026-01-01".to_owned(),
            "invalid_period",
        ),
        (format!("/v1/npws/comparisons?{q}&by=team"), "invalid_group"),
        (format!("/v1/npws/cohorts?{q}&k=1"), "invalid_k"),
        (format!("/v1/npws/cohorts?{q}&k=x"), "invalid_k"),
        // Six people cannot make two cohorts of 20; the count is not told.
        (format!("/v1/npws/cohorts?{q}"), "too_few_people"),
    ] {
        let r = analyst.get(&path);
        assert_eq!(r.status, 422, "{path}: {:?}", r.body);
        assert_eq!(r.code(), code, "{path}");
        assert!(r.content_type.starts_with("application/problem+json"));
        assert!(
            !r.body["detail"].as_str().unwrap().contains(" 6 "),
            "{:?}",
            r.body
        );
    }
}

/// One force of six with a roster, an officer device, and an analyst.
fn seed_small() -> (Force, Device, TestServer, Client) {
    let server = TestServer::start();
    let force = setup_force(&server, "kent", 6);
    let mut csv = String::from("staff_id,start,end\n");
    for (i, staff) in force.members.iter().enumerate() {
        for (start, len) in shifts(&RESPONSE, i) {
            let end = start + Duration::hours(len);
            csv.push_str(&format!(
                "{staff},{},{}\n",
                start.format("%Y-%m-%dT%H:%M"),
                end.format("%Y-%m-%dT%H:%M")
            ));
        }
    }
    let r = force.admin.post_raw(
        &format!("/v1/teams/{}/roster", force.team),
        &[("content-type", "text/csv")],
        csv.as_bytes(),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let mut device = None;
    for staff in &force.members {
        device = Some(enrol(&server, &force, staff));
    }
    let r = server.admin().post(
        "/v1/admin/analysts",
        &json!({ "username": "analyst", "password": PASSWORD }),
    );
    assert_eq!(r.status, 201);
    let analyst = server.client().login(None, "analyst", PASSWORD);
    (force, device.unwrap(), server, analyst)
}

#[derive(Debug, QueryableByName)]
struct FeatureRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    force_slug: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    policing_function: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    shifts: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    early_shifts: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    late_shifts: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    night_shifts: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    quick_returns: i32,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    minutes_worked: i64,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    sleep_nights: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    regularity_hours: Option<f64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    recovery_slope_per_week: Option<f64>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    kss_check_ins: i32,
}

#[test]
fn the_feature_function_follows_its_definitions_and_stays_national() {
    let server = TestServer::start_with(&[("FATIGUE_ENROL_PER_MINUTE", "1000")]);
    let force = setup_force(&server, "dyfed", 2);
    // Local times in Europe/London; a fixed winter fortnight (no DST).
    let shifts = [
        ("2026-01-05T04:30", "2026-01-05T12:30"), // early; 2.5 h after the shift before: quick return
        ("2026-01-05T21:00", "2026-01-06T01:00"), // 2 h in 23-06: not a night; 8.5 h rest: quick return
        ("2026-01-07T14:00", "2026-01-07T22:00"), // late
        ("2026-01-08T02:00", "2026-01-08T10:00"), // 4 h in 23-06: a night; 4 h rest: quick return
        ("2026-01-10T20:00", "2026-01-11T08:00"), // a night; starts in the period
        ("2026-01-12T20:00", "2026-01-13T04:00"), // after the period: not counted
        ("2026-01-04T20:00", "2026-01-05T02:00"), // before the period; 2 h run into it
    ];
    let mut csv = String::from("staff_id,start,end\n");
    for (a, b) in shifts {
        csv.push_str(&format!("{},{a},{b}\n", force.members[0]));
    }
    let r = force.admin.post_raw(
        &format!("/v1/teams/{}/roster", force.team),
        &[("content-type", "text/csv")],
        csv.as_bytes(),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let device = enrol(&server, &force, &force.members[0]);
    device
        .client
        .send("PUT", "/v1/me/consent", &json!({ "level": "sleep" }));
    // Sleep midpoints 23:00, 01:00, 03:00 UTC (= London in winter); scores
    // 60, 67, 74 a day apart: a slope of 49 points per week.
    let mut records = Vec::new();
    for (i, (date, start, end)) in [
        ("2026-01-06", "2026-01-05T19:00:00Z", "2026-01-06T03:00:00Z"),
        ("2026-01-07", "2026-01-06T21:00:00Z", "2026-01-07T05:00:00Z"),
        ("2026-01-08", "2026-01-07T23:00:00Z", "2026-01-08T07:00:00Z"),
    ]
    .into_iter()
    .enumerate()
    {
        records.push(json!({
            "kind": "daily_summary", "local_date": date,
            "main_sleep_start": start, "main_sleep_end": end,
            "sleep_minutes": 480, "sleep_debt_minutes": 0,
            "recovery_score": 60 + 7 * i, "recovery_band": "amber",
            "hrv_deviation_sd": null, "resting_hr_deviation_bpm": null
        }));
    }
    let r = device
        .client
        .post("/v1/sync", &batch(&device, "k1", 1, records));
    assert_eq!(r.status, 200, "{:?}", r.body);
    // The second member is enrolled with no shift: not a row.
    enrol(&server, &force, &force.members[1]);

    let pool = server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000);
    let mut c = pool.get().unwrap();
    let rows: Vec<FeatureRow> =
        diesel::sql_query("SELECT * FROM npws_person_features('2026-01-05', '2026-01-11')")
            .load(&mut c)
            .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(
        (r.force_slug.as_str(), r.policing_function.as_str()),
        ("dyfed", "response")
    );
    assert_eq!(r.shifts, 5);
    assert_eq!((r.early_shifts, r.late_shifts, r.night_shifts), (1, 1, 2));
    assert_eq!(r.quick_returns, 3);
    // 8 + 4 + 8 + 8 + 12 hours, and 2 h of the shift before the period.
    assert_eq!(r.minutes_worked, (8 + 4 + 8 + 8 + 12 + 2) * 60);
    assert_eq!(r.sleep_nights, 3);
    // Midpoints 23:00, 01:00, 03:00: R = (1 + 2cos 30°)/3.
    let rr: f64 = (1.0 + 2.0 * (std::f64::consts::PI / 6.0).cos()) / 3.0;
    let sd = (-2.0 * rr.ln()).sqrt() * 24.0 / std::f64::consts::TAU;
    assert!(
        (r.regularity_hours.unwrap() - sd).abs() < 1e-9,
        "{:?} vs {sd}",
        r.regularity_hours
    );
    assert!((r.recovery_slope_per_week.unwrap() - 49.0).abs() < 1e-9);
    assert_eq!(r.kss_check_ins, 0, "consent `sleep` shares no check-ins");

    // Refused inside a force scope, and it has no id column at all.
    let err = c.transaction::<_, diesel::result::Error, _>(|c| {
        diesel::sql_query("SELECT set_config('app.force_id', gen_random_uuid()::text, true)")
            .execute(c)?;
        diesel::sql_query("SELECT * FROM npws_person_features('2026-01-05', '2026-01-11')")
            .execute(c)
    });
    assert!(err.is_err());
    #[derive(QueryableByName)]
    struct B {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        b: bool,
    }
    let no_uuid: B = diesel::sql_query(
        "SELECT NOT EXISTS (SELECT 1 FROM pg_proc p, unnest(p.proallargtypes, p.proargmodes) a (t, m) \
         WHERE p.proname = 'npws_person_features' AND m = 't' \
           AND t IN ('uuid'::regtype, 'uuid[]'::regtype)) AS b",
    )
    .get_result(&mut c)
    .unwrap();
    assert!(no_uuid.b);
    let not_public: B = diesel::sql_query(
        "SELECT NOT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a \
         WHERE p.proname = 'npws_person_features' AND a.grantee = 0) AS b",
    )
    .get_result(&mut c)
    .unwrap();
    assert!(not_public.b, "PUBLIC cannot execute it");
}
