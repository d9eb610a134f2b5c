//! Peer-support rules (docs/peer-support.md): who may do what, what a
//! directory entry and a request must be, the request's state machine, the
//! audit of every read of a request by a member of staff, and the report's
//! small-number rule.
//!
//! A request is visible to exactly three parties: the officer who made it,
//! the supporter it is assigned to, and the force's peer-support coordinator
//! while it is unassigned ("the next available supporter") or after it has
//! waited unacknowledged longer than the escalation time. Supervisors, FRM
//! leads and NPWS never see a request.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::PgConnection;
use mobile_core::period::Period;
use models::support::{
    self as wire, ContactMethod, NATIONAL_SERVICES, NewCallback, PeerSupporter, SupportDirectory,
    SupportService,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::store::{
    self, Actor, Callback, Service, ServiceEntry, Supporter, SupporterEntry, Transition,
};
use crate::app::AppState;
use crate::audit;
use crate::auth::{Identity, Role};
use crate::db;
use crate::error::{AppError, AppResult};

/// Open requests one officer may have at a time.
pub const MAX_OPEN_PER_OFFICER: i64 = 3;
/// Longest report period, whole ISO weeks.
pub const MAX_REPORT_WEEKS: i64 = 53;
/// Roles that work requests.
pub const STAFF: [Role; 2] = [Role::PeerSupporter, Role::PeerSupportCoordinator];

/// Kinds of support service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// The force's occupational health unit.
    OccupationalHealth,
    /// Trauma Risk Management.
    Trim,
    /// The force's employee assistance programme.
    AssistanceProgramme,
    /// A national police charity's line.
    PoliceCharity,
    /// A crisis line: always shown on the support screen.
    CrisisLine,
    /// Anything else.
    Other,
}

impl ServiceKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::OccupationalHealth => "occupational_health",
            ServiceKind::Trim => "trim",
            ServiceKind::AssistanceProgramme => "assistance_programme",
            ServiceKind::PoliceCharity => "police_charity",
            ServiceKind::CrisisLine => "crisis_line",
            ServiceKind::Other => "other",
        }
    }
}

/// A supporter's directory details, as a force admin sets them.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupporterDetails {
    /// The name they choose to be known by, 1 to 100 characters.
    pub display_name: String,
    /// When they can usually be reached, 1 to 200 characters.
    pub contact_hours: String,
    /// At least one channel.
    pub channels: Vec<ContactMethod>,
    /// Listed to officers; default true.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Checks a text field's length in characters.
///
/// # Errors
/// `code` with the field's name and limits.
pub fn check_text(code: &'static str, field: &str, value: &str, max: usize) -> AppResult<()> {
    let n = value.trim().chars().count();
    if (1..=max).contains(&n) {
        Ok(())
    } else {
        Err(AppError::invalid(
            code,
            format!("{field}: 1 to {max} characters"),
        ))
    }
}

impl SupporterDetails {
    /// Validates lengths and channels.
    ///
    /// # Errors
    /// `invalid_supporter`.
    pub fn check(&self) -> AppResult<()> {
        check_text("invalid_supporter", "display_name", &self.display_name, 100)?;
        check_text(
            "invalid_supporter",
            "contact_hours",
            &self.contact_hours,
            200,
        )?;
        if self.channels.is_empty() {
            return Err(AppError::invalid(
                "invalid_supporter",
                "channels: at least one",
            ));
        }
        Ok(())
    }

    fn entry(&self) -> SupporterEntry<'_> {
        let mut channels: Vec<&str> = self.channels.iter().map(|m| m.as_str()).collect();
        channels.sort_unstable();
        channels.dedup();
        SupporterEntry {
            display_name: self.display_name.trim(),
            contact_hours: self.contact_hours.trim(),
            channels,
            active: self.active,
        }
    }
}

/// A service as a force admin describes it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceDetails {
    /// Kind.
    pub kind: ServiceKind,
    /// Name, 1 to 200 characters.
    pub name: String,
    /// How to reach it, 1 to 300 characters.
    pub contact: String,
    /// When it is open, 1 to 200 characters.
    pub hours: String,
    /// When to use it, 1 to 1000 characters.
    pub when_to_use: String,
}

impl ServiceDetails {
    /// Validates lengths.
    ///
    /// # Errors
    /// `invalid_service`.
    pub fn check(&self) -> AppResult<()> {
        check_text("invalid_service", "name", &self.name, 200)?;
        check_text("invalid_service", "contact", &self.contact, 300)?;
        check_text("invalid_service", "hours", &self.hours, 200)?;
        check_text("invalid_service", "when_to_use", &self.when_to_use, 1000)
    }

    fn entry(&self) -> ServiceEntry<'_> {
        ServiceEntry {
            kind: self.kind.as_str(),
            name: self.name.trim(),
            contact: self.contact.trim(),
            hours: self.hours.trim(),
            when_to_use: self.when_to_use.trim(),
        }
    }
}

impl From<Supporter> for PeerSupporter {
    fn from(s: Supporter) -> Self {
        PeerSupporter {
            id: s.id,
            display_name: s.display_name,
            contact_hours: s.contact_hours,
            // The column's CHECK admits only the methods' names.
            channels: s
                .channels
                .iter()
                .filter_map(|c| wire::ContactMethod::parse(c))
                .collect(),
            active: s.active,
        }
    }
}

impl From<Service> for SupportService {
    fn from(s: Service) -> Self {
        SupportService {
            id: s.id,
            kind: s.kind,
            name: s.name,
            contact: s.contact,
            hours: s.hours,
            when_to_use: s.when_to_use,
            force_specific: s.force_specific,
        }
    }
}

/// The directory: supporters (inactive ones too for force admins) and the
/// force's services, then the national ones (any signed-in member of the
/// force).
///
/// # Errors
/// Forbidden for national roles; database errors.
pub async fn directory(state: &AppState, who: &Identity) -> AppResult<SupportDirectory> {
    let force = who.force()?;
    let all = who.0.role == Role::ForceAdmin;
    db::with_force(&state.pool, force, move |c| {
        // The force's own services, then the national entries every force
        // shows (crisis lines first; the list the phone also has offline).
        let services = Service::of_force(c, force)?
            .into_iter()
            .map(Into::into)
            .chain(NATIONAL_SERVICES.iter().map(Into::into))
            .collect();
        Ok(SupportDirectory {
            supporters: Supporter::list(c, force, all)?
                .into_iter()
                .map(Into::into)
                .collect(),
            services,
        })
    })
    .await
}

fn force_admin(who: &Identity) -> AppResult<Uuid> {
    who.require(&[Role::ForceAdmin])?;
    who.force()
}

/// Lists or updates a peer supporter (force admin). The account must have
/// the `peer_supporter` or `peer_support_coordinator` role.
///
/// # Errors
/// Forbidden; `invalid_supporter`; not found for an unknown account.
pub async fn put_supporter(
    state: &AppState,
    who: &Identity,
    account: Uuid,
    details: SupporterDetails,
) -> AppResult<Supporter> {
    let force = force_admin(who)?;
    details.check()?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        let role = store::account_role(c, force, account)?.ok_or(AppError::NotFound)?;
        if !["peer_supporter", "peer_support_coordinator"].contains(&role.as_str()) {
            return Err(AppError::invalid(
                "invalid_supporter",
                "the account must have the peer_supporter or peer_support_coordinator role",
            ));
        }
        let s = Supporter::put(c, force, account, &details.entry())?;
        audit::record(
            c,
            Some(force),
            &who,
            "put_supporter",
            &format!("account:{account}"),
        )?;
        Ok(s)
    })
    .await
}

/// Removes a peer supporter from the directory (force admin); their open
/// requests go back to the coordinator's queue.
///
/// # Errors
/// Forbidden; not found when not listed.
pub async fn remove_supporter(state: &AppState, who: &Identity, account: Uuid) -> AppResult<()> {
    let force = force_admin(who)?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        Supporter::remove(c, force, account, Utc::now())?;
        Ok(audit::record(
            c,
            Some(force),
            &who,
            "remove_supporter",
            &format!("account:{account}"),
        )?)
    })
    .await
}

/// Adds a support service (force admin).
///
/// # Errors
/// Forbidden; `invalid_service`.
pub async fn create_service(
    state: &AppState,
    who: &Identity,
    details: ServiceDetails,
) -> AppResult<Service> {
    let force = force_admin(who)?;
    details.check()?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        let s = Service::create(c, force, &details.entry())?;
        let target = format!("service:{}", s.id.unwrap_or_default());
        audit::record(c, Some(force), &who, "create_service", &target)?;
        Ok(s)
    })
    .await
}

/// Replaces a support service's details (force admin).
///
/// # Errors
/// Forbidden; `invalid_service`; not found.
pub async fn update_service(
    state: &AppState,
    who: &Identity,
    id: Uuid,
    details: ServiceDetails,
) -> AppResult<Service> {
    let force = force_admin(who)?;
    details.check()?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        let s = Service::update(c, force, id, &details.entry())?;
        audit::record(
            c,
            Some(force),
            &who,
            "update_service",
            &format!("service:{id}"),
        )?;
        Ok(s)
    })
    .await
}

/// Removes a support service (force admin).
///
/// # Errors
/// Forbidden; not found.
pub async fn delete_service(state: &AppState, who: &Identity, id: Uuid) -> AppResult<()> {
    let force = force_admin(who)?;
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        Service::delete(c, force, id)?;
        Ok(audit::record(
            c,
            Some(force),
            &who,
            "delete_service",
            &format!("service:{id}"),
        )?)
    })
    .await
}

/// The caller as an actor on requests, with their force.
fn actor(who: &Identity) -> AppResult<(Uuid, Actor)> {
    let force = who.force()?;
    let id = who.0.sub;
    match who.0.role {
        Role::Officer => Ok((force, Actor::Officer(id))),
        Role::PeerSupporter => Ok((force, Actor::Supporter(id))),
        Role::PeerSupportCoordinator => Ok((force, Actor::Coordinator(id))),
        _ => Err(AppError::Forbidden),
    }
}

/// Runs `f` for `who`, whose role must be one of `roles`, and audits every
/// request in its answer as read by a member of staff. `f` gets the
/// escalation cutoff (open requests assigned before it are escalated).
async fn with_requests<T, F>(state: &AppState, who: &Identity, roles: &[Role], f: F) -> AppResult<T>
where
    T: Send + 'static + AsRef<[Callback]>,
    F: FnOnce(&mut PgConnection, Uuid, Actor, DateTime<Utc>) -> AppResult<T> + Send + 'static,
{
    who.require(roles)?;
    let (force, actor) = actor(who)?;
    let cutoff = Utc::now() - state.config.peer_support.escalate_after();
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        let out = f(c, force, actor, cutoff)?;
        // An officer reading their own requests is not audited: the force
        // admin reads the log, and an entry would tell them which
        // pseudonym asked for support.
        let staff_reads = if matches!(actor, Actor::Officer(_)) {
            &[][..]
        } else {
            out.as_ref()
        };
        for cb in staff_reads {
            audit::record(
                c,
                Some(force),
                &who,
                "read_callback",
                &format!("callback:{}", cb.id),
            )?;
        }
        Ok(out)
    })
    .await
}

/// An officer asks for a confidential call-back. Without a supporter the
/// request goes to the next available one (the coordinator's queue).
///
/// # Errors
/// Forbidden but for officers; `invalid_contact`, `invalid_window`;
/// `unknown_supporter` when the named supporter is not an active supporter
/// of the force; conflict past [`MAX_OPEN_PER_OFFICER`] open requests.
pub async fn request_callback(
    state: &AppState,
    who: &Identity,
    new: NewCallback,
) -> AppResult<Callback> {
    let now = Utc::now();
    new.check(now)?;
    let [cb] = with_requests(
        state,
        who,
        &[Role::Officer],
        move |c, force, actor, cutoff| {
            let person = actor.id();
            // A withdrawn officer's token outlives their record by minutes:
            // their request is for no one (found by the API fuzzer: the
            // insert failed its foreign key, a 500).
            crate::accounts::store::consent(c, force, person)?;
            if let Some(s) = new.supporter_id
                && !Supporter::is_active(c, force, s)?
            {
                return Err(AppError::invalid(
                    "unknown_supporter",
                    "supporter_id is not a supporter in the directory",
                ));
            }
            if Callback::open_count(c, force, person)? >= MAX_OPEN_PER_OFFICER {
                return Err(AppError::Conflict(format!(
                    "at most {MAX_OPEN_PER_OFFICER} open requests; cancel one first"
                )));
            }
            let id = Callback::insert(c, force, person, &new, now)?;
            // Escalated only if the escalation time is zero (the answer used to
            // take `now` as the cutoff, so every new request read as escalated).
            Ok([Callback::by_id(c, force, id, cutoff)?])
        },
    )
    .await?;
    Ok(cb)
}

/// The requests `who` (one of `roles`) may see: an officer's own, a
/// supporter's assigned ones, the coordinator's queue. Staff reads are
/// audited. The API's lists and the dashboard's support page both use it.
///
/// # Errors
/// Forbidden for other roles; database errors.
pub async fn visible_requests(
    state: &AppState,
    who: &Identity,
    roles: &[Role],
) -> AppResult<Vec<Callback>> {
    with_requests(state, who, roles, move |c, force, actor, cutoff| {
        Ok(Callback::visible_to(c, force, actor, None, cutoff, false)?)
    })
    .await
}

/// Applies `t` to request `id` as `who`: the officer may only cancel, and
/// supporters and the coordinator do the rest. An acknowledgement needs an
/// open request; contact, hand-over and cancellation an open or
/// acknowledged one; a hand-over names another active supporter (the
/// coordinator) or none (a supporter, back to the queue).
///
/// # Errors
/// Forbidden for other roles or moves; not found when `who` may not see
/// the request; conflict when its state does not allow `t`;
/// `unknown_supporter` for a bad hand-over.
pub async fn apply_transition(
    state: &AppState,
    who: &Identity,
    id: Uuid,
    t: Transition,
) -> AppResult<Callback> {
    let now = Utc::now();
    let roles = match t {
        Transition::Cancel => &[Role::Officer][..],
        _ => &STAFF[..],
    };
    let [cb] = with_requests(state, who, roles, move |c, force, actor, cutoff| {
        let current = Callback::visible_to(c, force, actor, Some(id), cutoff, true)?
            .pop()
            .ok_or(AppError::NotFound)?;
        if matches!(actor, Actor::Officer(_)) != (t == Transition::Cancel) {
            return Err(AppError::Forbidden);
        }
        let allowed_from: &[&str] = match t {
            Transition::Acknowledge => &["open"],
            _ => &["open", "acknowledged"],
        };
        if !allowed_from.contains(&current.status.as_str()) {
            return Err(AppError::Conflict(format!(
                "the request is {}",
                current.status
            )));
        }
        if let Transition::Handover(target) = t {
            let valid = match target {
                Some(s) => Some(s) != current.supporter_id && Supporter::is_active(c, force, s)?,
                // The coordinator hands over to someone; a supporter may hand back to the queue.
                None => matches!(actor, Actor::Supporter(_)) || current.supporter_id.is_some(),
            };
            if !valid {
                return Err(AppError::invalid(
                    "unknown_supporter",
                    "supporter_id must be another supporter in the directory",
                ));
            }
        }
        Callback::update(c, force, id, t, now)?;
        // The actor acted on what they could see; the answer is the request as it is now.
        Ok([Callback::by_id(c, force, id, cutoff)?])
    })
    .await?;
    Ok(cb)
}

/// Call-back figures for one force and period, with the small-number rule:
/// any count under [`analytics::suppression::MIN_PEOPLE`] is withheld (null),
/// and the median only describes at least that many responses.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SupportReport {
    /// First day (the force's local date the request was made).
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Requests made.
    pub requests: Option<i64>,
    /// Requests acknowledged by a supporter.
    pub acknowledged: Option<i64>,
    /// Requests where the officer was contacted.
    pub contacted: Option<i64>,
    /// Median minutes from request to first acknowledgement.
    pub median_response_minutes: Option<f64>,
    /// True when anything was withheld.
    pub suppressed: bool,
}

/// The small-number rule: `n` itself when
/// [`analytics::suppression::publishable`], else withheld.
pub fn small_number_rule(n: i64) -> Option<i64> {
    usize::try_from(n)
        .is_ok_and(analytics::suppression::publishable)
        .then_some(n)
}

/// The call-back counts as published: each at least
/// [`analytics::suppression::MIN_PEOPLE`], and no count published when its
/// complement (requests not acknowledged, acknowledged not contacted) would
/// then be 1 to 4: a count and its total give the complement away.
/// Contacted requests are among the acknowledged ones, which are among all.
pub fn support_counts(
    requests: i64,
    acknowledged: i64,
    contacted: i64,
) -> (Option<i64>, Option<i64>, Option<i64>) {
    let part = |total: Option<i64>, n: i64| {
        total.and_then(|t| {
            let rest = t - n;
            (rest == 0 || small_number_rule(rest).is_some())
                .then(|| small_number_rule(n))
                .flatten()
        })
    };
    let requests = small_number_rule(requests);
    let acknowledged = part(requests, acknowledged);
    let contacted = part(acknowledged, contacted);
    (requests, acknowledged, contacted)
}

/// Counts published for a period of whole weeks: each of the period's
/// figures only when every week with a request publishes that figure on its
/// own ([`support_counts`]). Two allowed periods differ by whole weeks, so
/// a figure in both answers differs only by weeks whose own figure would be
/// published: no difference of two reports gives a count under 5 (a week
/// with no request at all tells nothing of anyone and does not withhold).
pub fn per_week_rule(
    period: (Option<i64>, Option<i64>, Option<i64>),
    weeks: impl IntoIterator<Item = (Option<i64>, Option<i64>, Option<i64>)>,
) -> (Option<i64>, Option<i64>, Option<i64>) {
    weeks.into_iter().fold(period, |(r, a, c), (wr, wa, wc)| {
        (
            r.filter(|_| wr.is_some()),
            a.filter(|_| wa.is_some()),
            c.filter(|_| wc.is_some()),
        )
    })
}

/// The report's figures for a period in the caller's transaction (the
/// support report and the FRM report).
///
/// # Errors
/// Database errors.
pub fn report_figures(
    c: &mut PgConnection,
    force: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<SupportReport> {
    let row = store::report_counts(c, force, from, to)?;
    let weeks = store::report_week_counts(c, force, from, to)?;
    let published = |c: store::Counts| support_counts(c.requests, c.acknowledged, c.contacted);
    let (requests, acknowledged, contacted) = per_week_rule(
        published(row.counts),
        weeks.iter().map(|w| published(w.counts)),
    );
    let report = SupportReport {
        from,
        to,
        requests,
        acknowledged,
        contacted,
        median_response_minutes: acknowledged
            .and(row.median_seconds)
            .map(|s| (s / 6.0).round() / 10.0),
        suppressed: false,
    };
    let suppressed = report.requests.is_none()
        || report.acknowledged.is_none()
        || report.contacted.is_none()
        || report.median_response_minutes.is_none();
    Ok(SupportReport {
        suppressed,
        ..report
    })
}

/// Call-back counts and median response time for a period (coordinator or
/// force admin), with cells under 5 withheld. Audited.
///
/// # Errors
/// Forbidden; `invalid_period`; database errors.
pub async fn report(state: &AppState, who: &Identity, period: Period) -> AppResult<SupportReport> {
    who.require(&[Role::PeerSupportCoordinator, Role::ForceAdmin])?;
    let force = who.force()?;
    let (from, to) = (period.from, period.to);
    // On the one grid of the platform's aggregates: periods that differ by
    // a day would difference one request out.
    if period.iso_weeks().is_none_or(|w| w > MAX_REPORT_WEEKS) {
        return Err(AppError::invalid(
            "invalid_period",
            format!(
                "support reports cover whole ISO weeks, Monday to Sunday, at most {MAX_REPORT_WEEKS}"
            ),
        ));
    }
    let who = who.clone();
    db::with_force(&state.pool, force, move |c| {
        audit::record(
            c,
            Some(force),
            &who,
            "read_support_report",
            &format!("period:{from}/{to}"),
        )?;
        report_figures(c, force, from, to)
    })
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_small_number_rule_withholds_counts_under_five() {
        assert_eq!(small_number_rule(0), None);
        assert_eq!(small_number_rule(4), None);
        assert_eq!(small_number_rule(5), Some(5));
        assert_eq!(small_number_rule(120), Some(120));
    }

    #[test]
    fn no_published_count_gives_away_a_complement_under_five() {
        // 7 requests, 6 acknowledged: publishing 6 would show 1 unanswered.
        assert_eq!(support_counts(7, 6, 6), (Some(7), None, None));
        assert_eq!(support_counts(12, 6, 5), (Some(12), Some(6), None));
        assert_eq!(support_counts(12, 6, 6), (Some(12), Some(6), Some(6)));
        assert_eq!(support_counts(10, 5, 0), (Some(10), Some(5), None));
        assert_eq!(support_counts(4, 4, 4), (None, None, None));
        assert_eq!(support_counts(20, 10, 5), (Some(20), Some(10), Some(5)));
    }

    #[test]
    fn a_period_publishes_a_count_only_when_every_week_does() {
        // Weeks of 6 and 7 requests, all acknowledged and contacted.
        let weeks = [support_counts(6, 6, 6), support_counts(7, 7, 7)];
        assert_eq!(
            per_week_rule(support_counts(13, 13, 13), weeks),
            (Some(13), Some(13), Some(13))
        );
        // A third week of 3 requests: weeks 1-3 less weeks 1-2 would be 3
        // requests, so the three-week counts are withheld, though 16 >= 5.
        let three = [weeks[0], weeks[1], support_counts(3, 3, 3)];
        assert_eq!(
            per_week_rule(support_counts(16, 16, 16), three),
            (None, None, None)
        );
        // A week whose contacted complement is under 5 withholds only that.
        // (10, 10, 5) publishes all three; (8, 8, 5) leaves 3 not contacted.
        let thin = [support_counts(10, 10, 5), support_counts(8, 8, 5)];
        assert_eq!(support_counts(18, 18, 10), (Some(18), Some(18), Some(10)));
        assert_eq!(
            per_week_rule(support_counts(18, 18, 10), thin),
            (Some(18), Some(18), None)
        );
        // No weeks with requests: the period's own rule alone.
        assert_eq!(
            per_week_rule(support_counts(0, 0, 0), []),
            (None, None, None)
        );
    }

    #[test]
    fn every_national_kind_is_one_a_force_admin_could_enter_too() {
        assert!(!NATIONAL_SERVICES.is_empty());
        for s in NATIONAL_SERVICES {
            let kind: ServiceKind = serde_json::from_value(serde_json::json!(s.kind)).unwrap();
            assert_eq!(kind.as_str(), s.kind);
        }
    }

    #[test]
    fn a_supporters_channels_are_stored_sorted_once_each() {
        let d = SupporterDetails {
            display_name: "  Pat ".into(),
            contact_hours: "evenings".into(),
            channels: vec![
                ContactMethod::Text,
                ContactMethod::Phone,
                ContactMethod::Text,
            ],
            active: true,
        };
        let e = d.entry();
        assert_eq!(e.display_name, "Pat");
        assert_eq!(e.channels, ["phone", "text"]);
    }
}
