//! Who a member of staff is at work, as the force's HR file says: their
//! employment type and, where known, their own policing function. Reports,
//! NPWS comparisons and cohorts split by these under the small-number rule;
//! the names here are the stored names (the migrations' CHECK lists) and
//! the labels those splits print.

use serde::{Deserialize, Serialize};

/// Lower case, with spaces and hyphens read as underscores: `Police staff`,
/// `police-staff` and `police_staff` are one name.
fn normalise(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}

/// How a person is employed by (or volunteers with) the force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmploymentType {
    /// A sworn police officer.
    PoliceOfficer,
    /// Police staff (civilian employees, PCSOs included).
    PoliceStaff,
    /// A special constable (volunteer warranted officer).
    SpecialConstable,
    /// A police support volunteer.
    Volunteer,
}

impl EmploymentType {
    /// Every type, in display order.
    pub const ALL: [EmploymentType; 4] = [
        Self::PoliceOfficer,
        Self::PoliceStaff,
        Self::SpecialConstable,
        Self::Volunteer,
    ];

    /// The label of a person whose HR record gives no type (enrolled before
    /// an HR file, or never in one): a group of its own in every split.
    pub const NOT_KNOWN: &'static str = "not_known";

    /// The stored name (`police_officer`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PoliceOfficer => "police_officer",
            Self::PoliceStaff => "police_staff",
            Self::SpecialConstable => "special_constable",
            Self::Volunteer => "volunteer",
        }
    }

    /// Reads a name as an HR file writes it: case, spaces and hyphens aside,
    /// one of the stored names.
    pub fn parse(s: &str) -> Option<Self> {
        let n = normalise(s);
        Self::ALL.into_iter().find(|t| t.as_str() == n)
    }
}

/// What a team (or a person) does: the grouping NPWS compares across
/// forces. A closed list so that comparisons line up between forces
/// (College of Policing functional areas, simplified).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PolicingFunction {
    /// Emergency and priority response.
    Response,
    /// Neighbourhood policing.
    Neighbourhood,
    /// CID and other investigation.
    Investigation,
    /// Contact management / control room.
    ControlRoom,
    /// Custody.
    Custody,
    /// Roads policing.
    RoadsPolicing,
    /// Firearms, dogs, public order and other specialist operations.
    SpecialistOperations,
    /// Police staff in support functions.
    StaffSupport,
    /// Anything else (the default).
    #[default]
    Other,
}

impl PolicingFunction {
    /// Every function, in display order.
    pub const ALL: [PolicingFunction; 9] = [
        Self::Response,
        Self::Neighbourhood,
        Self::Investigation,
        Self::ControlRoom,
        Self::Custody,
        Self::RoadsPolicing,
        Self::SpecialistOperations,
        Self::StaffSupport,
        Self::Other,
    ];

    /// The stored name (the migrations' CHECK list).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Response => "response",
            Self::Neighbourhood => "neighbourhood",
            Self::Investigation => "investigation",
            Self::ControlRoom => "control_room",
            Self::Custody => "custody",
            Self::RoadsPolicing => "roads_policing",
            Self::SpecialistOperations => "specialist_operations",
            Self::StaffSupport => "staff_support",
            Self::Other => "other",
        }
    }

    /// Reads a name as an HR file writes it (case, spaces and hyphens aside).
    pub fn parse(s: &str) -> Option<Self> {
        let n = normalise(s);
        Self::ALL.into_iter().find(|f| f.as_str() == n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_hr_files_write_them() {
        assert_eq!(
            EmploymentType::parse(" Police staff "),
            Some(EmploymentType::PoliceStaff)
        );
        assert_eq!(
            EmploymentType::parse("SPECIAL-CONSTABLE"),
            Some(EmploymentType::SpecialConstable)
        );
        assert_eq!(EmploymentType::parse("constable"), None);
        assert_eq!(EmploymentType::parse(""), None);
        assert_eq!(
            PolicingFunction::parse("Control room"),
            Some(PolicingFunction::ControlRoom)
        );
        assert_eq!(PolicingFunction::parse("astronauts"), None);
        // The stored name is the serde name, so JSON and SQL agree.
        for t in EmploymentType::ALL {
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::json!(t.as_str())
            );
        }
        for f in PolicingFunction::ALL {
            assert_eq!(
                serde_json::to_value(f).unwrap(),
                serde_json::json!(f.as_str())
            );
        }
    }
}
