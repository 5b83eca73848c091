//! Hidden HTML comments that let kubenudge recognise what it said before: the fingerprints of
//! the findings an inline comment is about (one comment can carry the merged suggestion of
//! several), a marker on the summary comment, the head commit the summary describes.

pub const SUMMARY_MARKER: &str = "<!-- kubenudge:summary -->";
/// Ends the body of the review that carries the inline comments, so a review whose answer was
/// lost can be found and adopted.
pub const REVIEW_MARKER: &str = "<!-- kubenudge:review -->";
pub const FIXED_MARKER: &str = "<!-- kubenudge:fixed -->";
const FINGERPRINT_PREFIX: &str = "<!-- kubenudge:fingerprint=";
pub(crate) const HEAD_PREFIX: &str = "<!-- kubenudge:head=";

/// Where an earlier comment sits in the pull request's current diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentAnchor {
    pub path: String,
    pub line: usize,
    pub start_line: Option<usize>,
}

/// An inline comment kubenudge posted on an earlier push.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreviousComment {
    pub id: u64,
    /// The findings the comment is about (one for comments written before suggestions were
    /// merged).
    pub fingerprints: Vec<String>,
    /// Already edited to say the finding was fixed.
    pub fixed: bool,
    pub body: String,
    /// Its place in the current diff; `None` when GitHub calls it outdated (or it is unknown),
    /// and then its text is never refreshed.
    pub anchor: Option<CommentAnchor>,
}

/// The ```suggestion block of a comment body, if any.
pub(crate) fn suggestion_block(body: &str) -> Option<&str> {
    let start = body.find("```suggestion")?;
    let rest = &body[start..];
    let end = rest[3..].find("```").map_or(rest.len(), |e| e + 6);
    Some(&rest[..end.min(rest.len())])
}

/// `<!-- kubenudge:fingerprint=a1b2,c3d4 -->`: comma-separated, so a comment written for one
/// finding reads the same as before.
pub(crate) fn fingerprint_marker<S: AsRef<str>>(fingerprints: &[S]) -> String {
    let list: Vec<&str> = fingerprints.iter().map(AsRef::as_ref).collect();
    format!("{FINGERPRINT_PREFIX}{} -->", list.join(","))
}

pub(crate) fn head_marker(sha: &str) -> String {
    format!("{HEAD_PREFIX}{sha} -->")
}

fn marker_value<'a>(body: &'a str, prefix: &str) -> Option<&'a str> {
    let at = body.find(prefix)? + prefix.len();
    let rest = &body[at..];
    let end = rest.find(" -->")?;
    let value = &rest[..end];
    (!value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric())).then_some(value)
}

fn marker_list(body: &str, prefix: &str) -> Option<Vec<String>> {
    let at = body.find(prefix)? + prefix.len();
    let rest = &body[at..];
    let value = &rest[..rest.find(" -->")?];
    let list: Vec<String> = value.split(',').map(str::to_string).collect();
    list.iter()
        .all(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(list)
}

/// Recognises a review comment kubenudge wrote; `None` for anyone else's.
pub fn parse_previous_comment(id: u64, body: &str) -> Option<PreviousComment> {
    let fingerprints = marker_list(body, FINGERPRINT_PREFIX)?;
    Some(PreviousComment {
        id,
        fingerprints,
        fixed: body.contains(FIXED_MARKER),
        body: body.to_string(),
        anchor: None,
    })
}

/// The head commit a summary comment was written for.
pub fn summary_head_sha(body: &str) -> Option<&str> {
    if !body.contains(SUMMARY_MARKER) {
        return None;
    }
    marker_value(body, HEAD_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        let body = format!("text\n{}\n", fingerprint_marker(&["abc123"]));
        let p = parse_previous_comment(7, &body).unwrap();
        assert_eq!(
            (p.id, p.fingerprints.clone(), p.fixed),
            (7, vec!["abc123".into()], false)
        );
        let body = fingerprint_marker(&["abc123", "def456"]);
        let p = parse_previous_comment(8, &body).unwrap();
        assert_eq!(p.fingerprints, vec!["abc123", "def456"]);
        assert!(parse_previous_comment(1, "<!-- kubenudge:fingerprint=a,,b -->").is_none());
        let summary = format!("{SUMMARY_MARKER}\nx\n{}", head_marker("deadbeef"));
        assert_eq!(summary_head_sha(&summary), Some("deadbeef"));
        assert_eq!(summary_head_sha("no marker"), None);
        assert!(parse_previous_comment(1, "<!-- kubenudge:fingerprint=a b -->").is_none());
    }
}
