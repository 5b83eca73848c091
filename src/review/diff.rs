//! Unified-diff `patch` text (as `GET /pulls/{n}/files` returns it) -> the RIGHT-side lines a
//! review comment may target. GitHub refuses (422) comments on lines outside every hunk and
//! multi-line comments whose range spans two hunks; this module is how the planner avoids both.

use std::collections::BTreeSet;

/// One hunk, by its new-file (RIGHT side) line range, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hunk {
    pub start: usize,
    pub end: usize,
}

/// The RIGHT side of one file's diff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDiff {
    pub hunks: Vec<Hunk>,
    /// Lines added (`+`) by the pull request, 1-based in the new file.
    pub added: BTreeSet<usize>,
}

impl FileDiff {
    /// Parses a `patch`. Text that is not a unified diff yields no hunks (nothing commentable),
    /// never an error: the findings then go to the summary and the check run only.
    pub fn parse(patch: &str) -> FileDiff {
        let mut diff = FileDiff::default();
        let mut next_line = 0usize;
        let mut in_hunk = false;
        for raw in patch.split('\n') {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if let Some(header) = line.strip_prefix("@@ ") {
                in_hunk = false;
                if let Some((start, len)) = parse_new_range(header) {
                    if len > 0 {
                        diff.hunks.push(Hunk {
                            start,
                            end: start + len - 1,
                        });
                        in_hunk = true;
                    }
                    next_line = start;
                }
                continue;
            }
            if !in_hunk {
                continue;
            }
            match line.as_bytes().first() {
                Some(b'+') => {
                    diff.added.insert(next_line);
                    next_line += 1;
                }
                Some(b' ') => next_line += 1,
                // `-` lines and "\ No newline at end of file" do not exist on the RIGHT side.
                _ => {}
            }
        }
        diff
    }

    /// The hunk holding `line`, if any.
    pub fn hunk_of(&self, line: usize) -> Option<Hunk> {
        self.hunks
            .iter()
            .copied()
            .find(|h| h.start <= line && line <= h.end)
    }

    /// True when `start..=end` lies inside one hunk.
    pub fn range_in_one_hunk(&self, start: usize, end: usize) -> bool {
        start <= end && self.hunk_of(start).is_some_and(|h| end <= h.end)
    }
}

/// `-a,b +c,d @@ ...` -> (c, d); `d` defaults to 1 as in the unified format.
fn parse_new_range(header: &str) -> Option<(usize, usize)> {
    let plus = header.split(' ').find(|p| p.starts_with('+'))?;
    let plus = &plus[1..];
    let (start, len) = match plus.split_once(',') {
        Some((s, l)) => (s.parse().ok()?, l.parse().ok()?),
        None => (plus.parse().ok()?, 1),
    };
    Some((start, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_file_is_one_hunk_of_added_lines() {
        let d = FileDiff::parse("@@ -0,0 +1,3 @@\n+a\n+b\n+c");
        assert_eq!(d.hunks, vec![Hunk { start: 1, end: 3 }]);
        assert_eq!(d.added.iter().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
    }

    #[test]
    fn context_and_removed_lines_are_counted_right() {
        let patch = "@@ -10,4 +10,4 @@ spec:\n ctx\n-old\n+new\n ctx\n ctx\n@@ -40 +40,2 @@\n x\n+y\n\\ No newline at end of file";
        let d = FileDiff::parse(patch);
        assert_eq!(
            d.hunks,
            vec![Hunk { start: 10, end: 13 }, Hunk { start: 40, end: 41 }]
        );
        assert_eq!(d.added.iter().copied().collect::<Vec<_>>(), vec![11, 41]);
        assert!(d.range_in_one_hunk(10, 13));
        assert!(!d.range_in_one_hunk(12, 40));
        assert!(d.hunk_of(20).is_none());
    }

    #[test]
    fn deleted_file_and_garbage_have_no_right_side() {
        assert!(FileDiff::parse("@@ -1,2 +0,0 @@\n-a\n-b").hunks.is_empty());
        assert!(FileDiff::parse("Binary files differ").hunks.is_empty());
        assert!(FileDiff::parse("@@ -1 +x,y @@\n+a").hunks.is_empty());
    }
}
