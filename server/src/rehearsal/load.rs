//! Writing the plan: `COPY ... FROM STDIN` (diesel's `copy_from`, text
//! format) as the tables' owner, force by force in that force's scope (the
//! owner is bound by row-level security too), a few thousand people at a
//! time so memory stays bounded; then the sampled phones through the sync service on the
//! runtime role's pool.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::{Connection, ExecuteCopyFromDsl, PgConnection, RunQueryDsl};
use models::sync::{RecordOutcome, RecordResult, SyncAck, SyncBatch};
use uuid::Uuid;

use super::tables;
use super::{DayEntry, ForcePlan, IdKind, Plan, id, person_batches, person_roster_days};
use crate::db::DbPool;
use crate::sync::service::{SyncJob, process};

/// People written per round of COPY statements.
const CHUNK: usize = 2_000;

/// Rows written per table, for the summary line.
#[derive(Debug, Default, Clone)]
pub struct Written {
    /// Table name to rows.
    pub rows: BTreeMap<&'static str, u64>,
    /// Batches sent through the sync service.
    pub synced_batches: u64,
}

/// Text-format COPY buffers, one per table.
#[derive(Default)]
struct Buffers {
    tables: BTreeMap<&'static str, (String, u64)>,
}

impl Buffers {
    fn row(&mut self, table: &'static str, fields: &[&dyn std::fmt::Display]) {
        let (buf, n) = self.tables.entry(table).or_default();
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                buf.push('\t');
            }
            // Nothing generated holds a tab, newline or backslash.
            let _ = write!(buf, "{f}");
        }
        buf.push('\n');
        *n += 1;
    }
}

struct Ts(DateTime<Utc>);
impl std::fmt::Display for Ts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d %H:%M:%S+00"))
    }
}

/// Copies one table's buffer.
fn copy(c: &mut PgConnection, table: &str, data: &str) -> anyhow::Result<usize> {
    macro_rules! go {
        ($t:ident) => {
            diesel::copy_from(tables::$t::table)
                .from_raw_data(tables::$t::table, |w: &mut dyn std::io::Write| {
                    w.write_all(data.as_bytes())
                        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
                })
                .execute(c)?
        };
    }
    Ok(match table {
        "forces" => go!(forces),
        "accounts" => go!(accounts),
        "teams" => go!(teams),
        "team_supervisors" => go!(team_supervisors),
        "team_members" => go!(team_members),
        "enrolment_codes" => go!(enrolment_codes),
        "persons" => go!(persons),
        "staff_links" => go!(staff_links),
        "devices" => go!(devices),
        "roster_uploads" => go!(roster_uploads),
        "shifts" => go!(shifts),
        "rest_days" => go!(rest_days),
        "absence_days" => go!(absence_days),
        "roster_changes" => go!(roster_changes),
        "sync_records" => go!(sync_records),
        "sync_batches" => go!(sync_batches),
        "audit_log" => go!(audit_log),
        other => anyhow::bail!("no COPY target for {other}"),
    })
}

/// Tables in the order their foreign keys need.
const ORDER: [&str; 17] = [
    "forces",
    "accounts",
    "teams",
    "team_supervisors",
    "team_members",
    "enrolment_codes",
    "persons",
    "staff_links",
    "devices",
    "roster_uploads",
    "shifts",
    "rest_days",
    "absence_days",
    "roster_changes",
    "sync_records",
    "sync_batches",
    "audit_log",
];

/// Copies the buffers, every row of them `force`'s, in one transaction
/// scoped to `force`: the owner is bound by row-level security too (the
/// policies are forced), so the rows must be of the force it names.
fn flush(
    c: &mut PgConnection,
    force: Uuid,
    b: Buffers,
    written: &mut Written,
) -> anyhow::Result<()> {
    let mut tables = b.tables;
    crate::db::transaction(c, crate::db::Scope::Force(force), |c| {
        for t in ORDER {
            if let Some((data, n)) = tables.remove(t) {
                copy(c, t, &data)?;
                *written.rows.entry(t).or_default() += n;
            }
        }
        Ok(())
    })
}

/// The acknowledgement the server stores for a batch of `n` new records.
fn ack(key: &str, n: usize, cursor: u64) -> anyhow::Result<String> {
    Ok(serde_json::to_string(&SyncAck {
        idempotency_key: key.to_owned(),
        results: (0..n)
            .map(|index| RecordResult {
                index,
                outcome: RecordOutcome::Stored,
            })
            .collect(),
        cursor,
        replayed: false,
        newer_devices: 0,
    })?)
}

/// When a phone sent the batch for `date`: 07:30 UTC that morning.
fn sent_at(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(7, 30, 0).unwrap_or_default().and_utc()
}

/// Writes the whole plan as the owner (`owner_url`), then sends the sampled
/// phones' batches through the sync service on `pool` (the runtime role).
/// Refuses a database that already holds a rehearsal.
///
/// # Errors
/// Database errors; a sampled batch the sync service did not store.
pub fn load(
    plan: &Plan,
    owner_url: &str,
    pool: &DbPool,
    password_hash: &str,
) -> anyhow::Result<Written> {
    let mut c = PgConnection::establish(owner_url)?;
    let found: crate::db::Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM forces WHERE slug LIKE 'rehearsal-%') AS found",
    )
    .get_result(&mut c)?;
    if found.found {
        anyhow::bail!(
            "this database already holds a rehearsal: use a fresh one (FATIGUE_DATA_DIR or DATABASE_URL)"
        );
    }
    let s = plan.sizes;
    let mut written = Written::default();
    let created = Ts(super::local(plan.roster_first() - Duration::days(30), 9));
    let mut sample = Vec::new();
    let started = Instant::now();
    for f in &plan.forces {
        let mut b = Buffers::default();
        b.row(
            "forces",
            &[
                &f.id,
                &f.slug,
                &format!("Rehearsal Force {:02}", f.index + 1),
                &super::ZONE.name(),
                &created,
            ],
        );
        b.row(
            "accounts",
            &[
                &f.id,
                &f.admin,
                &"force-admin",
                &password_hash,
                &"force_admin",
                &created,
            ],
        );
        b.row(
            "accounts",
            &[
                &f.id,
                &f.frm_lead,
                &"frm-lead",
                &password_hash,
                &"frm_lead",
                &created,
            ],
        );
        for t in &f.teams {
            b.row(
                "accounts",
                &[
                    &f.id,
                    &t.supervisor,
                    &t.supervisor_name,
                    &password_hash,
                    &"supervisor",
                    &created,
                ],
            );
            b.row(
                "teams",
                &[
                    &f.id,
                    &t.id,
                    &t.name,
                    &t.command,
                    &t.function.as_str(),
                    &created,
                ],
            );
            b.row("team_supervisors", &[&f.id, &t.id, &t.supervisor]);
            // Each supervisor reads their team's risk every morning.
            for d in 1..=s.days {
                let at = Ts(sent_at(s.today - Duration::days(d)) + Duration::minutes(30));
                b.row(
                    "audit_log",
                    &[
                        &f.id,
                        &"supervisor",
                        &t.supervisor,
                        &"read_team_risk",
                        &format!("team:{}", t.id),
                        &at,
                    ],
                );
            }
        }
        flush(&mut c, f.id, b, &mut written)?;
        let mut stored: BTreeMap<i64, i64> = BTreeMap::new();
        for chunk_start in (0..f.people).step_by(CHUNK) {
            let mut b = Buffers::default();
            for local in chunk_start..(chunk_start + CHUNK).min(f.people) {
                person_rows(
                    plan,
                    f,
                    local,
                    password_hash,
                    &mut b,
                    &mut stored,
                    &mut sample,
                )?;
            }
            flush(&mut c, f.id, b, &mut written)?;
        }
        let mut b = Buffers::default();
        for n in 0..=plan.change_weeks() {
            b.row(
                "roster_uploads",
                &[
                    &f.id,
                    &plan.upload(f, n),
                    &f.frm_lead,
                    &"csv",
                    &stored.get(&n).copied().unwrap_or(0),
                    &0,
                    &Ts(plan.upload_at(n)),
                ],
            );
        }
        flush(&mut c, f.id, b, &mut written)?;
        tracing::info!(force = %f.slug, people = f.people, elapsed_s = started.elapsed().as_secs(), "force loaded");
    }
    if crate::accounts::store::platform_credential(&mut c, super::ANALYST)?.is_none() {
        crate::accounts::store::create_platform_account(
            &mut c,
            super::ANALYST,
            password_hash,
            "npws_analyst",
        )?;
    }
    written.synced_batches = sync_sample(pool, sample)?;
    diesel::sql_query("ANALYZE").execute(&mut c)?;
    Ok(written)
}

/// A sampled phone: who, and its batches in order.
type Phone = (Uuid, Uuid, Uuid, Vec<SyncBatch>);

fn person_rows(
    plan: &Plan,
    f: &ForcePlan,
    local: usize,
    _password_hash: &str,
    b: &mut Buffers,
    stored: &mut BTreeMap<i64, i64>,
    sample: &mut Vec<Phone>,
) -> anyhow::Result<()> {
    let s = plan.sizes;
    let p = f.person(plan, local);
    let team = f.teams.get(p.team).map_or(Uuid::nil(), |t| t.id);
    let enrolled = Ts(p.enrolled_at);
    let code = crate::auth::secret_hash(&format!("{}-{}-{}", f.slug, p.staff, s.seed));
    b.row("team_members", &[&f.id, &team, &p.staff]);
    b.row(
        "enrolment_codes",
        &[
            &f.id,
            &code,
            &p.staff,
            &Ts(p.enrolled_at + Duration::hours(72)),
            &enrolled,
            &Ts(p.enrolled_at - Duration::days(1)),
        ],
    );
    b.row(
        "persons",
        &[&f.id, &p.id, &p.consent.as_str(), &enrolled, &enrolled],
    );
    b.row("staff_links", &[&f.id, &p.staff, &p.id]);
    let (days, changes) = person_roster_days(plan, f, &p);
    for d in days {
        match d {
            DayEntry::Shift { start, end, upload } => {
                *stored.entry(upload).or_default() += 1;
                b.row(
                    "shifts",
                    &[
                        &f.id,
                        &p.staff,
                        &Ts(start),
                        &Ts(end),
                        &plan.upload(f, upload),
                    ],
                );
            }
            DayEntry::Rest(date) => {
                b.row("rest_days", &[&f.id, &p.staff, &date, &plan.upload(f, 0)])
            }
            DayEntry::Absence(date, category) => {
                b.row(
                    "absence_days",
                    &[&f.id, &p.staff, &date, &category, &plan.upload(f, 0)],
                );
            }
        }
    }
    for ch in changes {
        b.row(
            "roster_changes",
            &[
                &f.id,
                &p.staff,
                &ch.kind,
                &Ts(ch.duty_start),
                &Ts(plan.upload_at(ch.upload)),
                &plan.upload(f, ch.upload),
            ],
        );
    }
    let batches = person_batches(plan, f, &p);
    if p.global < s.sync_sample {
        b.row("devices", &[&f.id, &p.device, &p.id, &0, &enrolled]);
        let list = batches
            .into_iter()
            .enumerate()
            .map(|(n, (date, records))| SyncBatch {
                device_id: p.device.to_string(),
                idempotency_key: id(s.seed, IdKind::Batch, p.global as u64, n as u64 + 1)
                    .to_string(),
                schema_version: models::sync::SYNC_SCHEMA_VERSION,
                sequence: n as u64 + 1,
                created_at: sent_at(date),
                records,
            })
            .collect();
        sample.push((f.id, p.id, p.device, list));
        return Ok(());
    }
    b.row(
        "devices",
        &[&f.id, &p.device, &p.id, &batches.len(), &enrolled],
    );
    for (n, (date, records)) in batches.iter().enumerate() {
        let seq = n as u64 + 1;
        let key = id(s.seed, IdKind::Batch, p.global as u64, seq).to_string();
        let at = Ts(sent_at(*date));
        for r in records {
            let disc = match r {
                models::sync::SyncRecord::DailySummary(_) => "",
                models::sync::SyncRecord::CheckIn(c) => c.context.as_str(),
                models::sync::SyncRecord::LearningProgress(l) => l.module_id.as_str(),
            };
            let payload = serde_json::to_string(r)?;
            b.row(
                "sync_records",
                &[
                    &f.id,
                    &p.id,
                    date,
                    &r.kind(),
                    &disc,
                    &payload,
                    &p.device,
                    &seq,
                    &at,
                ],
            );
        }
        b.row(
            "sync_batches",
            &[
                &f.id,
                &p.device,
                &key,
                &seq,
                &ack(&key, records.len(), seq)?,
                &at,
            ],
        );
    }
    Ok(())
}

/// Sends the sampled phones' batches through the sync service, all phones'
/// n-th batches in one group (group commit), as mornings of phones would.
fn sync_sample(pool: &DbPool, phones: Vec<Phone>) -> anyhow::Result<u64> {
    let mut queues: Vec<(Uuid, Uuid, Uuid, std::vec::IntoIter<SyncBatch>)> = phones
        .into_iter()
        .map(|(f, p, d, b)| (f, p, d, b.into_iter()))
        .collect();
    let mut sent = 0;
    loop {
        let jobs: Vec<SyncJob> = queues
            .iter_mut()
            .filter_map(|(force, person, device, q)| {
                q.next().map(|batch| SyncJob {
                    force: *force,
                    person: *person,
                    device: *device,
                    batch,
                })
            })
            .collect();
        if jobs.is_empty() {
            return Ok(sent);
        }
        for group in jobs.chunks(64) {
            let group: Vec<SyncJob> = group
                .iter()
                .map(|j| SyncJob {
                    force: j.force,
                    person: j.person,
                    device: j.device,
                    batch: j.batch.clone(),
                })
                .collect();
            for answer in process(pool, group) {
                let ack =
                    answer.map_err(|e| anyhow::anyhow!("a sampled batch was refused: {e:?}"))?;
                if let Some(r) = ack
                    .results
                    .iter()
                    .find(|r| r.outcome != RecordOutcome::Stored)
                {
                    anyhow::bail!("a sampled record was not stored: {:?}", r.outcome);
                }
                sent += 1;
            }
        }
    }
}

/// Writes the sign-ins a measurement needs to `path`.
///
/// # Errors
/// File errors.
pub fn write_logins(plan: &Plan, path: &std::path::Path) -> anyhow::Result<()> {
    let mut f = std::fs::File::create(path)?;
    writeln!(
        f,
        "# Rehearsal sign-ins; every password: {}",
        super::PASSWORD
    )?;
    writeln!(f, "npws analyst (no force): {}", super::ANALYST)?;
    for force in plan.forces.iter().take(3) {
        let team = force.teams.first();
        writeln!(
            f,
            "force {} ({} people): force-admin, frm-lead, {} (team {}, {} members)",
            force.slug,
            force.people,
            team.map_or("-", |t| t.supervisor_name.as_str()),
            team.map_or(Uuid::nil(), |t| t.id),
            force.per_team.min(force.people),
        )?;
    }
    writeln!(
        f,
        "... and supervisor-N for team N of every force rehearsal-01 .. rehearsal-{:02}",
        plan.forces.len()
    )?;
    Ok(())
}
