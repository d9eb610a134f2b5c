//! The national evaluation through the real server: forces in waves, HR
//! sickness counts uploaded by the forces, roll-out plans set by NPWS; the
//! NPWS analyst's page and CSV show the before/after and live/not-yet-live
//! comparisons with intervals (the injected fall in sickness recovered);
//! the partner dataset downloads with its dictionary and its release is
//! audited; every other role is refused; a force of fewer than 5 people is
//! withheld and so is the force that would give it away; the same people
//! by employment type (from an HR file sent through the API), a small type
//! withheld.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use analytics::evaluation::{last_complete_month, month_label, reporting_months};
use chrono::Utc;
use diesel::prelude::*;
use e2e_tests::*;
use serde_json::json;

const FORCES: [&str; 5] = ["ev-a", "ev-b", "ev-c", "ev-d", "ev-e"];
const MONTHS: u32 = 8;

fn get_with(token_cookie: Option<&str>, url: &str) -> (u16, String) {
    // Redirects not followed: a refused session is sent to the sign-in page.
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let mut r = agent.get(url);
    if let Some(c) = token_cookie {
        r = r.set("Cookie", c);
    }
    match r.call() {
        Ok(resp) | Err(ureq::Error::Status(_, resp)) => {
            (resp.status(), resp.into_string().unwrap_or_default())
        }
        Err(e) => panic!("{e}"),
    }
}

fn count(c: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(c).unwrap().n
}

#[test]
fn the_analyst_sees_both_comparisons_and_releases_the_partner_dataset() {
    let server = TestServer::start();
    let forces: Vec<Force> = FORCES.iter().map(|s| setup_force(&server, s, 8)).collect();
    let months = reporting_months(last_complete_month(Utc::now().date_naive()), MONTHS);
    let labels: Vec<String> = months.iter().map(month_label).collect();
    // Go-live: a and b from month 3, c from month 5, d and e after the window.
    let go_live = |f: usize| match f {
        0 | 1 => months[2].from.to_string(),
        2 => months[4].from.to_string(),
        _ => (months[MONTHS as usize - 1].to + chrono::Duration::days(60)).to_string(),
    };

    // Each force's HR uploads sickness for its one team (40 people):
    // 30 + 2f + t days, 8 fewer once live (20 per 100 people), and a
    // wobble of 0-2 days so the fit has residuals.
    for (f, slug) in FORCES.iter().enumerate() {
        let mut csv = "team,month,headcount,short_term_sickness_days\n".to_owned();
        for (t, l) in labels.iter().enumerate() {
            let live = f < 2 && t >= 2 || f == 2 && t >= 4;
            let days = 30 + 2 * f + t + (f * 7 + t * 3) % 3 - if live { 8 } else { 0 };
            csv.push_str(&format!("Response A,{l},40,{days}\n"));
        }
        let who = if f % 2 == 0 { "chief" } else { "frm" };
        let dash = Dashboard::sign_in(&server, slug, who);
        let csrf = dash.csrf("/dashboard/sickness");
        assert_eq!(
            dash.post("/dashboard/sickness", &[("csrf", &csrf), ("csv", &csv)]),
            200
        );
        let (_, page) = dash.get("/dashboard/sickness");
        assert!(page.contains(&labels[0]), "months sent are listed");
    }
    // A supervisor may not upload; a bad file is named by line and stores nothing.
    let sup = Dashboard::sign_in(&server, "ev-a", "sarge");
    let csrf = sup.csrf("/dashboard/teams");
    let bad = format!(
        "team,month,headcount,short_term_sickness_days\nResponse A,{},40,1\n",
        labels[0]
    );
    assert_eq!(
        sup.post("/dashboard/sickness", &[("csrf", &csrf), ("csv", &bad)]),
        403
    );

    // Enrolment: 6 people in ev-a, 3 in ev-b, enrolled before the window.
    for (f, n) in [(0usize, 6usize), (1, 3)] {
        for staff in forces[f].members.iter().take(n) {
            enrol(&server, &forces[f], staff);
        }
    }
    // ev-a's HR file: five of its six police officers, one a volunteer
    // (through the API, as an HR system sends it); ev-b has none, so its
    // three are `not_known`.
    let mut hr = "staff_number,employment_type,team,status\n".to_owned();
    for (i, staff) in forces[0].members.iter().take(6).enumerate() {
        let kind = if i < 5 { "police_officer" } else { "volunteer" };
        hr.push_str(&format!("{staff},{kind},Response A,joiner\n"));
    }
    let r = forces[0].admin.post_raw(
        "/v1/force/hr-file",
        &[("Content-Type", "text/csv")],
        hr.as_bytes(),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["already_enrolled"], 6);
    let owner = cluster().cluster.owner_url(&server.database);
    let mut c = PgConnection::establish(&owner).unwrap();
    diesel::sql_query("UPDATE persons SET created_at = now() - interval '400 days'")
        .execute(&mut c)
        .unwrap();

    // NPWS sets the plans.
    let r = server.admin().post(
        "/v1/admin/analysts",
        &json!({ "username": "analyst", "password": PASSWORD }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
    let analyst = Dashboard::sign_in(&server, "", "analyst");
    let csrf = analyst.csrf("/dashboard/npws/evaluation");
    for (f, slug) in FORCES.iter().enumerate() {
        let wave = if f < 2 {
            "1"
        } else if f == 2 {
            "2"
        } else {
            "3"
        };
        let status = analyst.post(
            "/dashboard/npws/rollout",
            &[
                ("csrf", &csrf),
                ("force", slug),
                ("wave", wave),
                ("go_live", &go_live(f)),
                ("target", "10"),
            ],
        );
        assert_eq!(status, 303);
    }

    let q = format!("to={}&months={MONTHS}", labels[MONTHS as usize - 1]);
    let (status, page) = analyst.get(&format!("/dashboard/npws/evaluation?{q}"));
    assert_eq!(status, 200);
    for text in [
        "Difference in differences",
        "Before and after go-live",
        "Live against not-yet-live forces",
        "95&nbsp;% interval",
        "<svg role=\"img\"",
        "The figures in words",
    ] {
        assert!(page.contains(text), "page lacks {text}");
    }

    let (status, csv) = analyst.get(&format!("/dashboard/npws/evaluation.csv?{q}"));
    assert_eq!(status, 200);
    let estimates: Vec<Vec<String>> = csv
        .lines()
        .take_while(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    assert_eq!(
        estimates[0][..6],
        [
            "measure",
            "unit",
            "comparison",
            "estimate",
            "ci_low",
            "ci_high"
        ]
    );
    let row = |comparison: &str| {
        estimates
            .iter()
            .find(|r| r[0] == "sickness_days_per_100" && r[2] == comparison)
            .unwrap_or_else(|| panic!("no {comparison} row"))
            .clone()
    };
    let num = |s: &str| {
        s.parse::<f64>()
            .unwrap_or_else(|_| panic!("not a number: {s:?}"))
    };
    // DiD: 8 days fewer per 40 people = -20 per 100, recovered within its
    // interval, which excludes 0 (published values are rounded to 0.1).
    let did = row("difference_in_differences");
    let (b, lo, hi) = (num(&did[3]), num(&did[4]), num(&did[5]));
    assert!((b + 20.0).abs() < 2.0, "DiD {b}");
    assert!(lo <= -20.0 && (-20.0..0.0).contains(&hi), "[{lo}, {hi}]");
    assert_eq!(did[6], "5", "five forces");
    // Before/after and live/not-yet-live are published with intervals too.
    for cmp in ["before_after", "live_vs_not_yet_live"] {
        let r = row(cmp);
        assert!(
            num(&r[3]).is_finite() && num(&r[4]) <= num(&r[5]),
            "{cmp}: {r:?}"
        );
    }

    // Uptake in the last month: ev-b's 3 people withheld, and ev-a's 6 with
    // them (all forces = the sum of the forces); all forces' 9 published.
    let last = &labels[MONTHS as usize - 1];
    let cell = |row: &str, column: &str| {
        csv.lines()
            .find(|l| {
                l.starts_with(&format!("{last},"))
                    && l.contains(",uptake,")
                    && l.contains(&format!(",{row},{column},"))
            })
            .unwrap_or_else(|| panic!("no {row} {column}"))
            .to_owned()
    };
    assert!(cell("ev-b", "enrolled").ends_with(",enrolled,,true"));
    assert!(cell("ev-a", "enrolled").ends_with(",enrolled,,true"));
    assert!(cell("All forces", "enrolled").ends_with(",enrolled,9,false"));
    // By employment type, all forces: the 5 police officers published;
    // the volunteer (1) and the 3 without an HR record withheld.
    let typed = |row: &str| {
        csv.lines()
            .find(|l| {
                l.starts_with(&format!("{last},"))
                    && l.contains(",uptake_by_employment_type,")
                    && l.contains(&format!(",{row},enrolled,"))
            })
            .unwrap_or_else(|| panic!("no {row} type row"))
            .to_owned()
    };
    assert!(typed("police_officer").ends_with(",enrolled,5,false"));
    assert!(typed("volunteer").ends_with(",enrolled,,true"));
    assert!(typed("not_known").ends_with(",enrolled,,true"));
    assert!(typed("All forces").ends_with(",enrolled,9,false"));
    assert!(page.contains("id=\"uptake_by_employment_type\""));

    // The partner dataset and its dictionary.
    let (status, partner) = analyst.get(&format!("/dashboard/npws/partner.csv?{q}"));
    assert_eq!(status, 200);
    let header = partner.lines().next().unwrap();
    assert!(header.starts_with("schema_version,reporting_month,period_from,period_to,force,"));
    assert!(partner.lines().any(|l| l.starts_with(&format!("1,{last},"))
        && l.contains(",ev-b,")
        && l.contains(",enrolled,,people,true")));
    let (status, dict) = analyst.get("/dashboard/npws/partner-dictionary.csv");
    assert_eq!(status, 200);
    for column in header.split(',') {
        assert!(
            dict.contains(&format!("column,{column},")),
            "dictionary lacks {column}"
        );
    }
    assert!(dict.contains("measure,sickness_days_per_100,"));
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM audit_log WHERE force_id IS NULL AND action = 'release_partner_dataset'"
        ),
        1
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM audit_log WHERE force_id IS NULL AND action = 'set_rollout_plan'"
        ),
        5
    );
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'upload_sickness_absence'"
        ),
        5
    );

    // Everyone else is refused: force admin, FRM lead, supervisor (403),
    // and an officer's token opens no page.
    let paths = [
        format!("/dashboard/npws/evaluation?{q}"),
        format!("/dashboard/npws/evaluation.csv?{q}"),
        format!("/dashboard/npws/partner.csv?{q}"),
        "/dashboard/npws/partner-dictionary.csv".to_owned(),
    ];
    for who in ["chief", "frm", "sarge"] {
        let d = Dashboard::sign_in(&server, "ev-a", who);
        for p in &paths {
            assert_eq!(d.get(p).0, 403, "{who} {p}");
        }
    }
    let officer = enrol(&server, &forces[2], &forces[2].members[0]);
    let cookie = format!(
        "fatigue_session={}",
        officer.client.token.as_deref().unwrap()
    );
    for p in &paths {
        let (status, body) = get_with(Some(&cookie), &format!("{}{p}", server.url));
        assert_ne!(status, 200, "{p}");
        assert!(!body.contains("schema_version") && !body.contains("Difference in differences"));
    }
    assert_eq!(
        count(
            &mut c,
            "SELECT count(*) AS n FROM audit_log WHERE action = 'release_partner_dataset'"
        ),
        1,
        "a refused release is not a release"
    );
}

#[test]
fn a_bad_sickness_file_is_named_by_line_and_stores_nothing() {
    let server = TestServer::start();
    setup_force(&server, "ev-bad", 3);
    let months = reporting_months(last_complete_month(Utc::now().date_naive()), 2);
    let (m1, m2) = (month_label(&months[0]), month_label(&months[1]));
    let dash = Dashboard::sign_in(&server, "ev-bad", "chief");
    let csrf = dash.csrf("/dashboard/sickness");
    let csv = format!(
        "team,month,headcount,short_term_sickness_days\nResponse A,{m1},40,3\nNo such team,{m2},10,1\nResponse A,{m2},0,1\n"
    );
    let body = match ureq::post(&format!("{}/dashboard/sickness", server.url))
        .set("Cookie", &dash.cookie)
        .send_form(&[("csrf", &csrf), ("csv", &csv)])
    {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r.into_string().unwrap(),
        Err(e) => panic!("{e}"),
    };
    assert!(body.contains("Nothing was stored"), "{body}");
    assert!(body.contains("line 3: team"), "{body}");
    assert!(body.contains("line 4: headcount"), "{body}");
    assert!(!body.contains("line 2:"), "line 2 is good");
    assert!(
        !dash
            .get("/dashboard/sickness")
            .1
            .contains("sickness-months"),
        "nothing stored"
    );
    let owner = cluster().cluster.owner_url(&server.database);
    let mut c = PgConnection::establish(&owner).unwrap();
    assert_eq!(
        count(&mut c, "SELECT count(*) AS n FROM sickness_absence"),
        0
    );
}
