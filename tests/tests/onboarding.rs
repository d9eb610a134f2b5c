//! Onboarding from the force's HR file (docs/onboarding.md), through the
//! force admin's dashboard form as a force admin meets it: a thousand
//! people get codes in one upload, on a sheet with a QR code each; rows with
//! an address are emailed their code through a real SMTP server; a bad file
//! names its lines and changes nothing; a leavers file closes accounts; an
//! enrolled staff number gets no code; other roles and forces are refused;
//! and the employment type the file gives splits the FRM report under the
//! small-number rule.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use e2e_tests::*;
use serde_json::json;
use server::enrolment::hr_file::{qr_payload, qr_svg};

const HEADER: &str = "staff_number,employment_type,team,function,email,status\n";

/// POSTs `text` as the HR file (a file part named `name.csv` when `file`,
/// else the pasted-text field) with the session's CSRF token: status and
/// body.
fn upload(server: &TestServer, dash: &Dashboard, text: &str, file: bool) -> (u16, String) {
    let csrf = dash.csrf("/dashboard/admin");
    upload_with_csrf(server, dash, text, file, &csrf)
}

fn upload_with_csrf(
    server: &TestServer,
    dash: &Dashboard,
    text: &str,
    file: bool,
    csrf: &str,
) -> (u16, String) {
    let b = "----onboarding-boundary-7MA4YWxkTrZu0gW";
    let mut body =
        format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n");
    if file {
        body.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"hr_file\"; filename=\"hr.csv\"\r\nContent-Type: text/csv\r\n\r\n{text}\r\n"
        ));
    } else {
        body.push_str(&format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"hr\"\r\n\r\n{text}\r\n"
        ));
    }
    body.push_str(&format!("--{b}--\r\n"));
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(StdDuration::from_secs(120))
        .build();
    let r = agent
        .post(&format!("{}/dashboard/admin/hr-file", server.url))
        .set("Cookie", &dash.cookie)
        .set(
            "Content-Type",
            &format!("multipart/form-data; boundary={b}"),
        )
        .send_bytes(body.as_bytes());
    let r = match r {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = r.status();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut r.into_reader(), &mut text).unwrap();
    (status, text)
}

/// The sheet's cards: (staff number, code), in order.
fn cards(sheet: &str) -> Vec<(String, String)> {
    sheet
        .split("<li class=\"card\">")
        .skip(1)
        .map(|card| {
            let staff = card
                .split("<strong class=\"staff\">")
                .nth(1)
                .and_then(|r| r.split('<').next())
                .unwrap()
                .to_owned();
            let code = card
                .split("<code class=\"code\">")
                .nth(1)
                .and_then(|r| r.split('<').next())
                .unwrap()
                .to_owned();
            (staff, code)
        })
        .collect()
}

fn pool(server: &TestServer) -> server::db::DbPool {
    server::db::pool(&cluster().cluster.app_url(&server.database), 2, 3000)
}

fn force_id(c: &mut PgConnection, slug: &str) -> uuid::Uuid {
    server::accounts::store::Force::by_slug(c, slug).unwrap().id
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// `SELECT count(*) ...` in the force's scope.
fn count(server: &TestServer, slug: &str, sql: &str) -> i64 {
    let mut c = pool(server).get().unwrap();
    let force = force_id(&mut c, slug);
    in_force(&mut c, force, |c| diesel::sql_query(sql).get_result::<N>(c))
        .unwrap()
        .n
}

/// A team with no members.
fn add_team(force: &Force, name: &str) {
    let r = force.admin.post(
        "/v1/force/teams",
        &json!({ "name": name, "command": "HQ", "policing_function": "control_room" }),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
}

fn redeem(server: &TestServer, slug: &str, code: &str) -> Reply {
    server
        .client()
        .post("/v1/enrol", &json!({ "force": slug, "code": code }))
}

#[test]
fn a_thousand_people_enrol_in_one_upload() {
    let server = TestServer::start_with(&[("FATIGUE_ENROL_PER_MINUTE", "100")]);
    let force = setup_force(&server, "onb-big", 0);
    add_team(&force, "Control");
    add_team(&force, "Custody");
    let teams = ["Response A", "Control", "Custody"];
    let types = [
        "police_officer",
        "police_staff",
        "special_constable",
        "volunteer",
    ];
    let mut file = HEADER.to_owned();
    for i in 0..1000 {
        file.push_str(&format!(
            "B{i:04},{},{},,,joiner\n",
            types[i % 4],
            teams[i % 3]
        ));
    }
    let dash = Dashboard::sign_in(&server, "onb-big", "chief");
    let started = Instant::now();
    let (status, sheet) = upload(&server, &dash, &file, true);
    let took = started.elapsed();
    println!(
        "1,000-person HR upload: {} ms, sheet {} bytes",
        took.as_millis(),
        sheet.len()
    );
    assert_eq!(status, 200, "{}", &sheet[..sheet.len().min(2000)]);
    // Well inside any request timeout (a proxy's is typically 60 s).
    assert!(took < StdDuration::from_secs(20), "took {took:?}");

    let cards = cards(&sheet);
    assert_eq!(cards.len(), 1000);
    assert_eq!(sheet.matches("<svg").count(), 1000);
    assert!(
        sheet.contains("1000 new code(s)"),
        "the summary counts them"
    );
    assert_eq!(cards[0].0, "B0000");
    assert_eq!(cards[999].0, "B0999");
    let distinct: std::collections::HashSet<&str> = cards.iter().map(|c| c.1.as_str()).collect();
    assert_eq!(distinct.len(), 1000, "every code differs");
    // Each QR code is the force and that card's code, as the app scans it.
    for (_, code) in [&cards[0], &cards[500], &cards[999]] {
        let svg = qr_svg(&qr_payload("onb-big", code), 120).unwrap();
        assert!(sheet.contains(&svg), "the QR code of {code}");
    }
    assert_eq!(
        count(
            &server,
            "onb-big",
            "SELECT count(*) AS n FROM enrolment_codes"
        ),
        1000
    );
    assert_eq!(
        count(
            &server,
            "onb-big",
            "SELECT count(*) AS n FROM staff_records"
        ),
        1000
    );
    // 250 of each type (i % 4).
    assert_eq!(
        count(
            &server,
            "onb-big",
            "SELECT count(*) AS n FROM staff_records WHERE employment_type = 'special_constable'"
        ),
        250
    );
    assert_eq!(
        count(
            &server,
            "onb-big",
            "SELECT count(*) AS n FROM audit_log WHERE action = 'issue_enrolment_code'"
        ),
        1000
    );

    // A code from the sheet enrols a phone; the page never shows a code again.
    let r = redeem(&server, "onb-big", &cards[0].1);
    assert_eq!(r.status, 200, "{:?}", r.body);
    let (_, admin) = dash.get("/dashboard/admin");
    assert!(!admin.contains(&cards[1].1));
    // Progress by team: Response A has i % 3 == 0 of 0..1000, 334 people;
    // B0000 enrolled, 333 codes outstanding. Control and Custody 333 each.
    let progress = admin
        .split("id=\"enrolment-progress\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap();
    let row = |team: &str| -> Vec<String> {
        progress
            .split("<tr>")
            .find(|r| r.contains(&format!("<td>{team}</td>")))
            .unwrap()
            .split("<td class=\"num\">")
            .skip(1)
            .map(|c| c.split('<').next().unwrap().to_owned())
            .collect()
    };
    assert_eq!(row("Response A"), ["334", "1", "333", "0", "334"]);
    assert_eq!(row("Control"), ["333", "0", "333", "0", "333"]);
}

#[test]
fn codes_are_emailed_to_rows_with_an_address_and_the_addresses_are_not_kept() {
    let smtp = Smtp::start("onboarding");
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let server = TestServer::start_with(&[("FATIGUE_SMTP_URL", &url)]);
    let _force = setup_force(&server, "onb-mail", 0);
    let file = format!(
        "{HEADER}M1,police_officer,Response A,,m1@example.police.uk,joiner\n\
         M2,police_staff,Response A,control_room,,joiner\n\
         M3,volunteer,Response A,,m3@example.police.uk,joiner\n\
         M4,special_constable,Response A,,,joiner\n"
    );
    let dash = Dashboard::sign_in(&server, "onb-mail", "chief");
    let (status, sheet) = upload(&server, &dash, &file, false);
    assert_eq!(status, 200, "{sheet}");
    let cards = cards(&sheet);
    assert_eq!(cards.len(), 4);
    assert!(sheet.contains("2 code(s) are being emailed"), "{sheet}");
    assert_eq!(sheet.matches("(emailed)").count(), 2);

    // The two messages arrive in the background.
    let deadline = Instant::now() + StdDuration::from_secs(30);
    while smtp.messages().len() < 2 {
        assert!(Instant::now() < deadline, "{:?}", smtp.messages());
        std::thread::sleep(StdDuration::from_millis(200));
    }
    std::thread::sleep(StdDuration::from_millis(500));
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2, "only rows with an address");
    for (staff, address) in [
        ("M1", "m1@example.police.uk"),
        ("M3", "m3@example.police.uk"),
    ] {
        let code = &cards.iter().find(|c| c.0 == staff).unwrap().1;
        let m = messages
            .iter()
            .find(|m| m.contains(&format!("To: {address}")))
            .unwrap_or_else(|| panic!("a message to {address}: {messages:?}"));
        assert!(m.contains(&format!("Code: {code}")), "{m}");
        assert!(m.contains("Force: onb-mail"), "{m}");
        // Nobody else's code.
        for other in cards.iter().filter(|c| c.0 != staff) {
            assert!(!m.contains(&other.1));
        }
        // The emailed code works.
        assert_eq!(redeem(&server, "onb-mail", code).status, 200);
    }
    // No address is stored anywhere the upload wrote.
    assert_eq!(
        count(
            &server,
            "onb-mail",
            "SELECT count(*) AS n FROM audit_log WHERE target LIKE '%@%'"
        ),
        0
    );
    let mut c = pool(&server).get().unwrap();
    let force = force_id(&mut c, "onb-mail");
    #[derive(QueryableByName)]
    struct Col {
        #[diesel(sql_type = Text)]
        column_name: String,
    }
    let columns: Vec<Col> = diesel::sql_query(
        "SELECT column_name::text FROM information_schema.columns WHERE table_name IN \
         ('staff_records', 'enrolment_codes', 'team_members')",
    )
    .load(&mut c)
    .unwrap();
    assert!(columns.iter().all(|c| !c.column_name.contains("email")));
    let own_function: Vec<Col> = in_force(&mut c, force, |c| {
        diesel::sql_query(
            "SELECT policing_function AS column_name FROM staff_records WHERE staff_number = 'M2'",
        )
        .load(c)
    })
    .unwrap();
    assert_eq!(own_function[0].column_name, "control_room");
}

#[test]
fn a_bad_file_names_each_line_and_changes_nothing() {
    let server = TestServer::start();
    let force = setup_force(&server, "onb-bad", 2);
    let officer = enrol(&server, &force, &force.members[0]);
    // Line 2 good; 3 a type that is not one; 4 a good leaver (the enrolled
    // officer); 5 a team the force lacks; 6 repeats line 2's staff number.
    let file = format!(
        "{HEADER}N1,police_staff,Response A,,,joiner\n\
         N2,constable,Response A,,,joiner\n\
         {},,,,,leaver\n\
         N3,volunteer,Atlantis,,,joiner\n\
         N1,police_staff,Response A,,,joiner\n",
        force.members[0]
    );
    let dash = Dashboard::sign_in(&server, "onb-bad", "chief");
    let (status, page) = upload(&server, &dash, &file, true);
    assert_eq!(status, 200);
    let errors = page
        .split("id=\"hr-errors\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .unwrap_or_else(|| panic!("an error table: {page}"));
    // The format's problems come first, all of them: lines 3 and 6.
    assert!(
        errors.contains("<td class=\"num\">3</td><td>employment_type</td>"),
        "{errors}"
    );
    assert!(
        errors.contains("<td class=\"num\">6</td><td>staff_number</td>"),
        "{errors}"
    );
    assert!(page.contains("Nothing was changed"));
    assert!(!page.contains("class=\"card\""));
    // Nothing applied: no codes, no records, the leaver still enrolled.
    for table in ["enrolment_codes", "staff_records"] {
        let issued_by_api = i64::from(table == "enrolment_codes");
        assert_eq!(
            count(
                &server,
                "onb-bad",
                &format!("SELECT count(*) AS n FROM {table}")
            ),
            issued_by_api,
            "{table}"
        );
    }
    let r = server.client().post(
        "/v1/auth/refresh",
        &json!({ "refresh_token": officer.refresh_token }),
    );
    assert_eq!(r.status, 200, "the officer is still enrolled");

    // With the format fixed, the unknown team is named by its line (5).
    let file = format!(
        "{HEADER}N1,police_staff,Response A,,,joiner\n\
         N2,police_officer,Response A,,,joiner\n\
         {},,,,,leaver\n\
         N3,volunteer,Atlantis,,,joiner\n",
        force.members[0]
    );
    let (_, page) = upload(&server, &dash, &file, false);
    assert!(
        page.contains("<td class=\"num\">5</td><td>team</td>"),
        "{page}"
    );
    assert_eq!(
        count(
            &server,
            "onb-bad",
            "SELECT count(*) AS n FROM staff_records"
        ),
        0
    );
}

#[test]
fn a_leavers_file_closes_accounts() {
    let server = TestServer::start();
    let force = setup_force(&server, "onb-leave", 3);
    let leaver = enrol(&server, &force, &force.members[0]);
    let stayer = enrol(&server, &force, &force.members[1]);
    assert_eq!(leaver.client.get("/v1/me/export").status, 200);
    let file = format!(
        "staff_number,employment_type,team,status\n{},,,leaver\nNEVER-ENROLLED,,,leaver\n",
        force.members[0]
    );
    let dash = Dashboard::sign_in(&server, "onb-leave", "chief");
    let (status, page) = upload(&server, &dash, &file, true);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("1 leaver account(s) closed"), "{page}");
    assert!(page.contains("1 leaver(s) without an account"), "{page}");
    // The refresh token is dead and the person is gone.
    let r = server.client().post(
        "/v1/auth/refresh",
        &json!({ "refresh_token": leaver.refresh_token }),
    );
    assert_eq!(r.status, 401, "{:?}", r.body);
    assert_ne!(leaver.client.get("/v1/me/export").status, 200);
    // The other officer is untouched.
    let r = server.client().post(
        "/v1/auth/refresh",
        &json!({ "refresh_token": stayer.refresh_token }),
    );
    assert_eq!(r.status, 200);
    // Out of the team; audited by the staff number's hash only.
    let teams = force.admin.get("/v1/teams");
    let members = teams.body[0]["members"].as_array().unwrap();
    assert!(!members.contains(&json!(force.members[0])), "{members:?}");
    assert!(members.contains(&json!(force.members[1])));
    assert_eq!(
        count(
            &server,
            "onb-leave",
            "SELECT count(*) AS n FROM audit_log WHERE action = 'close_leaver' AND target LIKE 'staff:%'"
        ),
        1
    );
    assert_eq!(
        count(&server, "onb-leave", "SELECT count(*) AS n FROM persons"),
        1
    );
}

#[test]
fn an_enrolled_staff_number_gets_no_new_code_and_a_new_upload_replaces_unused_codes() {
    let server = TestServer::start_with(&[("FATIGUE_ENROL_PER_MINUTE", "100")]);
    let force = setup_force(&server, "onb-again", 2);
    enrol(&server, &force, &force.members[0]);
    let file = format!(
        "{HEADER}{},police_officer,Response A,,,joiner\n{},police_staff,Response A,,,joiner\n",
        force.members[0], force.members[1]
    );
    let dash = Dashboard::sign_in(&server, "onb-again", "chief");
    let (_, first) = upload(&server, &dash, &file, true);
    let first = cards(&first);
    assert_eq!(first.len(), 1, "only the member who has not enrolled");
    assert_eq!(first[0].0, force.members[1]);
    let (_, second) = upload(&server, &dash, &file, true);
    assert!(second.contains("1 already enrolled"), "{second}");
    let second = cards(&second);
    assert_eq!(second.len(), 1);
    assert_ne!(first[0].1, second[0].1);
    // The first sheet's code was replaced; the second one works.
    assert_eq!(redeem(&server, "onb-again", &first[0].1).status, 401);
    assert_eq!(redeem(&server, "onb-again", &second[0].1).status, 200);
    // The enrolled member's type was recorded all the same.
    assert_eq!(
        count(
            &server,
            "onb-again",
            &format!(
                "SELECT count(*) AS n FROM staff_records WHERE staff_number = '{}' AND employment_type = 'police_officer'",
                force.members[0]
            )
        ),
        1
    );
}

#[test]
fn other_roles_and_other_forces_are_refused() {
    let server = TestServer::start();
    let a = setup_force(&server, "onb-a", 1);
    let _b = setup_force(&server, "onb-b", 1);
    let file = format!(
        "{HEADER}{},police_officer,Response A,,,joiner\n",
        a.members[0]
    );
    for user in ["sarge", "frm"] {
        let dash = Dashboard::sign_in(&server, "onb-a", user);
        // Their own CSRF token: the role, not the form, is refused.
        let csrf = dash.csrf("/dashboard");
        let (status, _) = upload_with_csrf(&server, &dash, &file, true, &csrf);
        assert_eq!(status, 403, "{user}");
    }
    let chief = Dashboard::sign_in(&server, "onb-a", "chief");
    let (status, _) = upload_with_csrf(&server, &chief, &file, true, "forged");
    assert_eq!(status, 403, "a wrong CSRF token");
    assert_eq!(
        count(
            &server,
            "onb-a",
            "SELECT count(*) AS n FROM enrolment_codes"
        ),
        0
    );
    // Force B's admin acts in force B only: its codes do not enrol in A.
    let b_admin = Dashboard::sign_in(&server, "onb-b", "chief");
    let (status, sheet) = upload(&server, &b_admin, &file, true);
    assert_eq!(status, 200);
    let code = &cards(&sheet)[0].1;
    assert_eq!(
        count(&server, "onb-a", "SELECT count(*) AS n FROM staff_records"),
        0
    );
    assert_eq!(redeem(&server, "onb-a", code).status, 401);
    assert_eq!(redeem(&server, "onb-b", code).status, 200);
}

/// Two days 07:00-17:00, two nights 22:00-08:00, two off (UTC), staggered
/// by member, from three weeks ago to a week ahead.
fn upload_rota(force: &Force, team: &str, members: &[String]) {
    let today = Utc::now().date_naive();
    let mut csv = String::from("staff_id,start,end\n");
    for (i, staff) in members.iter().enumerate() {
        for d in -21i64..7 {
            let h = match (d + i as i64).rem_euclid(6) {
                0 | 1 => 7,
                2 | 3 => 22,
                _ => continue,
            };
            let start = (today + Duration::days(d))
                .and_hms_opt(h, 0, 0)
                .unwrap()
                .and_utc();
            let end = start + Duration::hours(10);
            csv.push_str(&format!(
                "{staff},{},{}\n",
                start.to_rfc3339(),
                end.to_rfc3339()
            ));
        }
    }
    let r = force.admin.post_raw(
        &format!("/v1/teams/{team}/roster"),
        &[("content-type", "text/csv")],
        csv.as_bytes(),
    );
    assert_eq!(r.status, 201, "{:?}", r.body);
}

#[test]
fn employment_type_splits_the_report_under_the_small_number_rule() {
    let server = TestServer::start();
    // Response A: 12 people, 7 officers and 5 staff. CID: 6 people, 5
    // officers and 1 volunteer, who is withheld with whatever else would
    // give them away.
    let force = setup_force(&server, "onb-split", 12);
    let cid = force.admin.post(
        "/v1/force/teams",
        &json!({ "name": "CID", "command": "North", "policing_function": "investigation" }),
    );
    assert_eq!(cid.status, 201);
    let cid_id = cid.body["id"].as_str().unwrap().to_owned();
    let cid_members: Vec<String> = (1..=6).map(|i| format!("onb-split-cid-{i}")).collect();
    let mut file = HEADER.to_owned();
    for (i, m) in force.members.iter().enumerate() {
        let t = if i < 7 {
            "police_officer"
        } else {
            "police_staff"
        };
        file.push_str(&format!("{m},{t},Response A,,,joiner\n"));
    }
    for (i, m) in cid_members.iter().enumerate() {
        let t = if i < 5 { "police_officer" } else { "volunteer" };
        file.push_str(&format!("{m},{t},CID,,,joiner\n"));
    }
    let dash = Dashboard::sign_in(&server, "onb-split", "chief");
    let (status, sheet) = upload(&server, &dash, &file, true);
    assert_eq!(status, 200);
    assert_eq!(cards(&sheet).len(), 18);
    // The upload made the CID members team members, so their roster loads.
    upload_rota(&force, &force.team, &force.members);
    upload_rota(&force, &cid_id, &cid_members);

    let pool = pool(&server);
    let mut c = pool.get().unwrap();
    let id = force_id(&mut c, "onb-split");
    let today = Utc::now().date_naive();
    let period =
        analytics::input::Period::new(today - Duration::days(7), today - Duration::days(1))
            .unwrap();
    let report = server::reports::service::report_now(&mut c, id, period).unwrap();
    let t = report.table("employment_type").unwrap();
    assert_eq!(
        t.columns,
        [
            "police officers",
            "police staff",
            "special constables",
            "volunteers",
            "not known",
            "people rostered"
        ]
    );
    let row = |label: &str| t.rows.iter().find(|r| r.label == label).unwrap();
    let value = |label: &str, col: usize| {
        row(label).cells[col]
            .value
            .map(|v| v.to_string())
            .unwrap_or_else(|| "withheld".to_owned())
    };
    // Everyone is rostered in the week (a six-day rota, four days on): the
    // force's 18, of whom 12 officers (7 + 5).
    assert_eq!(value("onb-split", 5), "18");
    assert_eq!(value("onb-split", 0), "12");
    assert_eq!(value("CID", 5), "6");
    assert_eq!(value("Response A", 5), "12");
    assert_eq!(value("Response A", 2), "0", "no special constables");
    // The lone volunteer is withheld in CID and in the force row.
    assert!(row("CID").cells[3].suppressed);
    assert!(row("onb-split").cells[3].suppressed);
    for r in &t.rows {
        // No published count describes 1 to 4 people...
        for c in &r.cells {
            if let Some(v) = c.value {
                let v: i64 = v.to_string().parse().unwrap();
                assert!(v == 0 || v >= 5, "{}: {v}", r.label);
            }
        }
        // ...and no row withholds a single cell its total would give away.
        let withheld = r.cells.iter().filter(|c| c.suppressed).count();
        assert_ne!(withheld, 1, "{}", r.label);
    }
    // Response A's staff (5) are the force's staff (CID has none): withheld
    // with the force's, or the force row would give the volunteer away.
    assert!(row("onb-split").cells[1].suppressed);
    assert!(row("Response A").cells[1].suppressed);
}
