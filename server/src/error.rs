//! Errors as the API shows them.
//!
//! Two layers, as in crates.io: internal failures (`diesel::result::Error`,
//! pool errors, a blocked task) convert into [`AppError`], whose variants map
//! one-to-one onto a stable snake_case `code` and an HTTP status. The body is
//! `application/problem+json` (RFC 9457). An internal cause is logged with
//! `tracing` and never returned to the caller.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Every error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No or an unusable bearer token.
    #[error("authentication required")]
    Unauthenticated,
    /// Wrong credentials (sign-in, enrolment code, refresh token).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Authenticated but the role or scope does not allow this.
    #[error("not allowed")]
    Forbidden,
    /// Nothing by that id in the caller's force (also what another force's id gives).
    #[error("not found")]
    NotFound,
    /// The request's content is well-formed but not acceptable.
    #[error("{message}")]
    Invalid {
        /// Stable code, e.g. `invalid_body`, `unsupported_schema_version`.
        code: &'static str,
        /// Explanation without personal data.
        message: String,
    },
    /// A file was refused line by line (422 `invalid_roster`); nothing of
    /// it was stored. The problem body lists every bad line.
    #[error("{} problem(s) in the roster; nothing was stored", .0.len())]
    InvalidRoster(Vec<mobile_core::roster::RosterLineError>),
    /// An HR file was refused line by line (422 `invalid_hr_file`); nothing
    /// of it was applied. The problem body lists every bad line.
    #[error("{} problem(s) in the HR file; nothing was applied", .0.len())]
    InvalidHrFile(Vec<mobile_core::roster::RosterLineError>),
    /// A unique thing already exists.
    #[error("{0}")]
    Conflict(String),
    /// The member of staff has enrolled already: an enrolment code is for a
    /// first phone only.
    #[error("this member of staff has enrolled already; a second phone is paired from the first")]
    AlreadyEnrolled,
    /// The body is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// Too many attempts; retry later.
    #[error("too many attempts")]
    RateLimited,
    /// The database cannot be reached; retry later.
    #[error("database unavailable")]
    DatabaseUnavailable,
    /// Anything else; the cause is logged only.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// Shorthand for [`AppError::Invalid`].
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// Wraps an internal cause: logs it, keeps only a generic message.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    /// The stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden => "forbidden",
            AppError::NotFound => "not_found",
            AppError::Invalid { code, .. } => code,
            AppError::InvalidRoster(_) => "invalid_roster",
            AppError::InvalidHrFile(_) => "invalid_hr_file",
            AppError::Conflict(_) => "conflict",
            AppError::AlreadyEnrolled => "already_enrolled",
            AppError::TooLarge(_) => "payload_too_large",
            AppError::RateLimited => "rate_limited",
            AppError::DatabaseUnavailable => "database_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }
}

/// The problem-details body (RFC 9457) with our `code` member.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type (`about:blank` style, under our docs).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Stable snake_case code.
    pub code: String,
    /// Explanation for this occurrence, without personal data.
    pub detail: String,
    /// For `invalid_roster` and `invalid_hr_file`: every bad line,
    /// `{line, column, message}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub errors: Option<Vec<mobile_core::roster::RosterLineError>>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } | AppError::InvalidRoster(_) | AppError::InvalidHrFile(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Conflict(_) | AppError::AlreadyEnrolled => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            AppError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let detail = match self {
            AppError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let body = Problem {
            kind: format!("https://fatigue.invalid/problems/{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: self.code().to_owned(),
            detail,
            errors: match self {
                AppError::InvalidRoster(errors) | AppError::InvalidHrFile(errors) => {
                    Some(errors.clone())
                }
                _ => None,
            },
        };
        let mut resp = HttpResponse::build(status);
        resp.content_type("application/problem+json");
        if matches!(self, AppError::RateLimited | AppError::DatabaseUnavailable) {
            resp.insert_header(("Retry-After", "5"));
        }
        resp.json(body)
    }
}

/// A request body that `models` refused: its stable code, and its message,
/// which names the field and the rule and never the value.
impl From<models::ValidationError> for AppError {
    fn from(e: models::ValidationError) -> Self {
        use models::ValidationError as V;
        let code = match e {
            V::InvalidContact { .. } => "invalid_contact",
            V::InvalidWindow { .. } => "invalid_window",
            _ => "invalid_body",
        };
        AppError::invalid(code, e.to_string())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                AppError::Conflict("already exists".to_owned())
            }
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                AppError::DatabaseUnavailable
            }
            Error::DatabaseError(_, info) if is_connection_loss(info.message()) => {
                AppError::DatabaseUnavailable
            }
            // PostgreSQL text cannot hold a NUL (U+0000); JSON can. Every
            // text a body carries reaches a column, so this is the one place
            // that answers it as the caller's mistake (the API fuzzer sent
            // "\u0000" in a staff number and a service's description: 500).
            Error::DatabaseError(_, info)
                if info.message().contains("invalid byte sequence")
                    && info.message().contains("0x00") =>
            {
                AppError::invalid(
                    "invalid_text",
                    "text may not contain a NUL character (\\u0000)",
                )
            }
            other => AppError::internal(other),
        }
    }
}

fn is_connection_loss(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("terminating connection")
        || m.contains("server closed the connection")
        || m.contains("connection refused")
        || m.contains("no connection to the server")
        || m.contains("could not receive data")
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %e, "database pool: no connection");
        AppError::DatabaseUnavailable
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::internal(e)
    }
}

/// Handler result.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_wire_bodies_keep_their_stable_codes() {
        let contact = models::ValidationError::InvalidContact {
            expected: "a phone number",
        };
        let e = AppError::from(contact);
        assert_eq!(
            (e.code(), e.to_string().as_str()),
            ("invalid_contact", "contact_detail: a phone number")
        );
        let window = AppError::from(models::ValidationError::InvalidWindow { reason: "late" });
        assert_eq!(window.code(), "invalid_window");
        let blank = AppError::from(models::ValidationError::Required { field: "code" });
        assert_eq!(blank.code(), "invalid_body");
        assert_eq!(blank.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
