//! The national support services every force's support directory ends with,
//! whatever the force has entered: crisis lines first, then police charities.
//!
//! One list for both sides: the server serves it in
//! `GET /v1/support/directory`, and the phone library shows the crisis lines
//! from it with no network at all (`offline_crisis_lines` in `ffi`), since the
//! moment someone needs them may be the moment the signal is gone.
//!
//! Sources, checked 2026-11: Samaritans (samaritans.org, "call 116 123 for
//! free, 24 hours a day"), Shout (giveusashout.org, "text SHOUT to 85258"),
//! NHS 111 (nhs.uk, "call 111 and select the mental health option"), Police
//! Care UK (policecare.org.uk), Oscar Kilo (oscarkilo.org.uk).

/// Kind of a crisis line (shown on the support screen always).
pub const CRISIS_LINE: &str = "crisis_line";
/// Kind of a national police charity's service.
pub const POLICE_CHARITY: &str = "police_charity";

/// One national service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NationalService {
    /// [`CRISIS_LINE`] or [`POLICE_CHARITY`].
    pub kind: &'static str,
    /// Name.
    pub name: &'static str,
    /// How to reach it.
    pub contact: &'static str,
    /// When it is open.
    pub hours: &'static str,
    /// When to use it.
    pub when_to_use: &'static str,
}

/// The national services, crisis lines first.
pub const NATIONAL_SERVICES: &[NationalService] = &[
    NationalService {
        kind: CRISIS_LINE,
        name: "Emergency services",
        contact: "999",
        hours: "Always",
        when_to_use: "If your life or someone else's is in immediate danger.",
    },
    NationalService {
        kind: CRISIS_LINE,
        name: "Samaritans",
        contact: "116 123 (free)",
        hours: "24 hours, every day",
        when_to_use: "To talk to someone, in confidence, about anything that is troubling you.",
    },
    NationalService {
        kind: CRISIS_LINE,
        name: "Shout",
        contact: "Text SHOUT to 85258",
        hours: "24 hours, every day",
        when_to_use: "If you are struggling to cope and would rather text than talk.",
    },
    NationalService {
        kind: CRISIS_LINE,
        name: "NHS 111",
        contact: "111 (option 2 for mental health crisis support in England)",
        hours: "24 hours, every day",
        when_to_use: "For urgent help that is not an emergency, including a mental health crisis.",
    },
    NationalService {
        kind: POLICE_CHARITY,
        name: "Police Care UK",
        contact: "policecare.org.uk",
        hours: "See the website",
        when_to_use: "Confidential support for serving and former officers, staff, volunteers and their families.",
    },
    NationalService {
        kind: POLICE_CHARITY,
        name: "Oscar Kilo, the National Police Wellbeing Service",
        contact: "oscarkilo.org.uk",
        hours: "See the website",
        when_to_use: "National wellbeing resources for police officers and staff.",
    },
];

/// The crisis lines of [`NATIONAL_SERVICES`], in order.
pub fn crisis_lines() -> impl Iterator<Item = &'static NationalService> {
    NATIONAL_SERVICES.iter().filter(|s| s.kind == CRISIS_LINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crisis_lines_come_first_and_include_999_and_samaritans() {
        let first_other = NATIONAL_SERVICES
            .iter()
            .position(|s| s.kind != CRISIS_LINE)
            .unwrap_or(NATIONAL_SERVICES.len());
        assert!(
            NATIONAL_SERVICES[first_other..]
                .iter()
                .all(|s| s.kind != CRISIS_LINE)
        );
        let contacts: Vec<&str> = crisis_lines().map(|s| s.contact).collect();
        assert_eq!(contacts.first(), Some(&"999"));
        assert!(contacts.iter().any(|c| c.starts_with("116 123")));
        for s in NATIONAL_SERVICES {
            assert!([CRISIS_LINE, POLICE_CHARITY].contains(&s.kind));
            assert!(!s.name.is_empty() && !s.contact.is_empty() && !s.when_to_use.is_empty());
        }
    }
}
