//! A fix as GitHub shows it: replace lines `start_line..=end_line` of the file with `text`.

use crate::finding::Edit;
use crate::manifest::SourceText;

/// The content of a ```suggestion block and the lines (1-based, inclusive, of the file as it
/// is now) it replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub start_line: usize,
    pub end_line: usize,
    /// Replacement lines, joined by `\n`, without a trailing line break.
    pub text: String,
}

/// The lines (1-based, inclusive) a suggestion for edits spanning bytes `first..last` replaces.
/// A pure insertion at the start of a line is anchored on the line before it, because a
/// suggestion must replace at least one existing line.
fn line_range(source: &SourceText, first: usize, last: usize) -> (usize, usize) {
    let (mut start_line, start_col) = source.line_col(first);
    let (mut end_line, end_col) = source.line_col(last);
    if end_col == 1 && last > first {
        // The edit ends exactly at a line start: that line is untouched.
        end_line -= 1;
    }
    if start_col == 1 && first == last && start_line > 1 {
        // Insertion before a line: anchor it on the previous line.
        start_line -= 1;
        end_line = start_line;
    }
    if end_line < start_line {
        end_line = start_line;
    }
    (start_line, end_line)
}

/// Turns edits into one whole-line replacement covering all of them. Returns `None` when
/// there are no edits or they overlap.
pub fn render_suggestion(source: &SourceText, edits: &[Edit]) -> Option<Suggestion> {
    let text = source.text();
    let first = edits.iter().map(|e| e.start).min()?;
    let last = edits.iter().map(|e| e.end).max()?;
    let (start_line, end_line) = line_range(source, first, last);
    let range_start = source.line_start(start_line);
    let range_end = (source.line_start(end_line + 1)).min(text.len());
    let region = &text[range_start..range_end];
    let local: Vec<Edit> = edits
        .iter()
        .map(|e| Edit {
            start: e.start - range_start,
            end: e.end.min(range_end) - range_start,
            replacement: e.replacement.clone(),
        })
        .collect();
    let mut body = super::apply_edits(region, &local).ok()?;
    // Copied again only for the rare CRLF file: a report renders one suggestion per fix.
    if body.contains('\r') {
        body = body.replace("\r\n", "\n");
    }
    if body.ends_with('\n') {
        body.pop();
    }
    Some(Suggestion {
        start_line,
        end_line,
        text: body,
    })
}

/// One suggestion per contiguous region: edits whose line ranges overlap or touch are shown
/// together, so that the suggestions of one review never overlap (GitHub rejects a batch
/// that holds overlapping suggestions). Sorted by line.
pub fn suggestions(source: &SourceText, edits: &[Edit]) -> Vec<Suggestion> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort();
    let mut groups: Vec<(usize, Vec<Edit>)> = Vec::new();
    for e in sorted {
        let (start, end) = line_range(source, e.start, e.end);
        match groups.last_mut() {
            Some((last_end, group)) if start <= *last_end + 1 => {
                group.push(e.clone());
                *last_end = (*last_end).max(end);
            }
            _ => groups.push((end, vec![e.clone()])),
        }
    }
    groups
        .iter()
        .filter_map(|(_, g)| render_suggestion(source, g))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize, r: &str) -> Edit {
        Edit {
            start,
            end,
            replacement: r.into(),
        }
    }

    #[test]
    fn replacement_inside_a_line_covers_that_line() {
        let src = SourceText::new("a: 1\nb: true\nc: 3\n");
        let s = render_suggestion(&src, &[edit(8, 12, "false")]).unwrap();
        assert_eq!((s.start_line, s.end_line), (2, 2));
        assert_eq!(s.text, "b: false");
    }

    #[test]
    fn insertion_at_line_start_is_anchored_on_the_line_before() {
        let src = SourceText::new("a: 1\nb: 2\n");
        let s = render_suggestion(&src, &[edit(5, 5, "x: 9\n")]).unwrap();
        assert_eq!((s.start_line, s.end_line), (1, 1));
        assert_eq!(s.text, "a: 1\nx: 9");
    }

    #[test]
    fn crlf_lines_are_rendered_with_plain_newlines() {
        let src = SourceText::new("a: 1\r\nb: 2\r\n");
        let s = render_suggestion(&src, &[edit(6, 6, "x: 9\r\n")]).unwrap();
        assert_eq!((s.start_line, s.end_line), (1, 1));
        assert_eq!(s.text, "a: 1\nx: 9");
    }
}
