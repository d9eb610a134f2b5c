//! A small `multipart/form-data` reader (RFC 7578) for the dashboard's
//! upload forms (rosters, drafts, HR files), and [`signed_form`], the one
//! way a page handler reads one. Each form has a few short fields and one file, so
//! the whole body (bounded by the route's payload limit) is read and split
//! here rather than streamed through a further crate.

/// One part of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file name, for a file input.
    pub filename: Option<String>,
    /// The part's `Content-Type`, when sent.
    pub content_type: Option<String>,
    /// The bytes.
    pub data: Vec<u8>,
}

/// Why a body is not a form this reader accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    /// The content type names no boundary.
    #[error("the form has no multipart boundary")]
    NoBoundary,
    /// The body does not follow the multipart layout.
    #[error("the form is malformed: {0}")]
    Malformed(&'static str),
}

/// The boundary of a `multipart/form-data; boundary=...` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn param(header: &str, name: &str) -> Option<String> {
    header
        .split(';')
        .skip(1)
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
}

/// Splits a body into its parts.
///
/// # Errors
/// [`MultipartError::Malformed`] for a body without the opening boundary,
/// a part without headers or a name, or one without the closing boundary.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let opening = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    let start =
        find(body, opening.as_bytes()).ok_or(MultipartError::Malformed("no opening boundary"))?;
    let mut rest = &body[start + opening.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or(MultipartError::Malformed(
            "a boundary is not followed by a line break",
        ))?;
        let head_end =
            find(rest, b"\r\n\r\n").ok_or(MultipartError::Malformed("a part has no headers"))?;
        let head = std::str::from_utf8(&rest[..head_end])
            .map_err(|_| MultipartError::Malformed("part headers are not UTF-8"))?;
        let body_start = head_end + 4;
        let end = find(&rest[body_start..], delimiter.as_bytes())
            .ok_or(MultipartError::Malformed("the closing boundary is missing"))?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                name = param(v, "name");
                filename = param(v, "filename");
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_owned());
            }
        }
        parts.push(Part {
            name: name.ok_or(MultipartError::Malformed("a part has no name"))?,
            filename,
            content_type,
            data: rest[body_start..body_start + end].to_vec(),
        });
        rest = &rest[body_start + end + delimiter.len()..];
    }
}

/// A multipart form from a signed-in dashboard user with one of `roles`,
/// checked in the order that keeps a large body cheap to refuse: the
/// session and role first (nobody without one gets a body split), then the
/// body split off the async workers, then the form's CSRF token.
///
/// # Errors
/// Not signed in, the wrong role, a body that is not a form
/// (`invalid_form`), or a bad CSRF token.
pub async fn signed_form(
    state: &crate::app::State,
    req: &actix_web::HttpRequest,
    body: actix_web::web::Bytes,
    roles: &[crate::auth::Role],
) -> Result<(super::Session, Form), super::DashError> {
    let invalid =
        |m: String| super::DashError::App(crate::error::AppError::invalid("invalid_form", m));
    let s = super::Session::from_request(state, req).await?;
    s.who.require(roles)?;
    let boundary = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(boundary)
        .ok_or_else(|| invalid(MultipartError::NoBoundary.to_string()))?;
    let parts = actix_web::web::block(move || parse(&body, &boundary))
        .await
        .map_err(crate::error::AppError::from)?
        .map_err(|e| invalid(e.to_string()))?;
    let form = Form { parts };
    s.check_csrf(&form.text("csrf"))?;
    Ok((s, form))
}

/// A parsed form's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The parts, in the order sent.
    pub parts: Vec<Part>,
}

impl Form {
    /// A field's value as trimmed text (lossy UTF-8); empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.parts
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.data).trim().to_owned())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"roster_file\"; filename=\"week.ics\"\r\n\
Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\r\n--XyZ\r\n\
Content-Disposition: form-data; name=\"roster\"\r\n\r\n\r\n--XyZ--\r\n";

    #[test]
    fn reads_fields_and_a_file() {
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let parts = parse(BODY.as_bytes(), &b).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].name, "csrf");
        assert_eq!(parts[0].data, b"abc");
        assert_eq!(parts[1].filename.as_deref(), Some("week.ics"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/calendar"));
        assert_eq!(parts[1].data, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
        assert!(parts[2].data.is_empty());
    }

    #[test]
    fn bad_forms_are_typed_errors() {
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(boundary("multipart/form-data"), None);
        assert_eq!(boundary("multipart/form-data; boundary=\"\""), None);
        assert!(matches!(
            parse(b"nothing", "XyZ"),
            Err(MultipartError::Malformed(_))
        ));
        // Cut inside the file's data: the part never ends.
        let truncated = &BODY[..BODY.find("END:VCALENDAR").unwrap()];
        assert_eq!(
            parse(truncated.as_bytes(), "XyZ"),
            Err(MultipartError::Malformed("the closing boundary is missing"))
        );
        let nameless = "--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--";
        assert_eq!(
            parse(nameless.as_bytes(), "XyZ"),
            Err(MultipartError::Malformed("a part has no name"))
        );
    }
}
