//! The text of one file, with the tables that turn parser positions into bytes and lines.

/// Bytes per entry of [`SourceText`]'s block index.
const BLOCK: usize = 4096;

/// A file's text with its BOM removed, plus a line table. Byte offsets everywhere in the engine
/// are offsets into [`SourceText::text`]; the BOM, if any, is re-added when a file is written.
#[derive(Debug, Clone)]
pub struct SourceText {
    text: String,
    line_starts: Vec<usize>,
    /// For each block of [`BLOCK`] bytes, the index of the line holding its first byte:
    /// `line_col` searches only the lines of one block (a few dozen) instead of all of a big
    /// file's (a quarter of a million for 20,000 Pods, a search that misses the cache at every
    /// step, made several times per finding).
    block_lines: Vec<u32>,
    bom: bool,
    ascii: bool,
    crlf: bool,
}

impl SourceText {
    pub fn new(text: &str) -> Self {
        let (text, bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest, true),
            None => (text, false),
        };
        let bytes = text.as_bytes();
        // Counted first so that the table, which lives as long as the file, has no slack.
        let mut line_starts = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        // Most files have no carriage return at all: one SIMD search says so.
        let crlf_count = if memchr::memchr(b'\r', bytes).is_some() {
            text.matches("\r\n").count()
        } else {
            0
        };
        let mut block_lines = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let mut line = 0usize;
        for block_start in (0..=bytes.len()).step_by(BLOCK) {
            while line + 1 < line_starts.len() && line_starts[line + 1] <= block_start {
                line += 1;
            }
            block_lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        }
        Self {
            crlf: crlf_count > 0 && crlf_count * 2 >= line_starts.len() - 1,
            ascii: text.is_ascii(),
            text: text.to_string(),
            line_starts,
            block_lines,
            bom,
        }
    }

    /// 0-based index of the line holding `byte` (the last line for a byte past the end).
    fn line_index(&self, byte: usize) -> usize {
        let block = byte / BLOCK;
        // The lines that can hold `byte`: from the one holding its block's first byte to the
        // one holding the next block's first byte.
        let (low, high) = match (self.block_lines.get(block), self.block_lines.get(block + 1)) {
            // An entry saturated at `u32::MAX` (four billion lines, which the file size limit
            // keeps out) is no bound: all lines are searched.
            (Some(&low), Some(&high)) if high != u32::MAX => (low as usize, high as usize + 1),
            (Some(&low), None) if low != u32::MAX => (low as usize, self.line_starts.len()),
            _ => (0, self.line_starts.len()),
        };
        let candidates = &self.line_starts[low..high.min(self.line_starts.len())];
        low + match candidates.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn has_bom(&self) -> bool {
        self.bom
    }

    /// True when most line breaks are `\r\n`; inserted lines use the same ending.
    pub fn uses_crlf(&self) -> bool {
        self.crlf
    }

    pub fn newline(&self) -> &'static str {
        if self.uses_crlf() { "\r\n" } else { "\n" }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let line = self.line_index(byte);
        let start = self.line_starts[line];
        let end = byte.min(self.text.len());
        // In ASCII text a character is a byte: no need to count them.
        let col = if self.ascii {
            end.saturating_sub(start)
        } else {
            self.text
                .get(start..end)
                .map_or(end - start, |s| s.chars().count())
        };
        (line + 1, col + 1)
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The text of 1-based `line` without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_start(line);
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte offset of a parser marker (1-based line, 0-based character column).
    pub fn byte_of(&self, line: usize, col: usize) -> usize {
        let start = self.line_start(line);
        if self.ascii {
            return (start + col).min(self.text.len());
        }
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(col)
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    pub(crate) fn byte_span(&self, span: &saphyr_parser::Span) -> ByteSpan {
        ByteSpan {
            start: self.byte_of(span.start.line(), span.start.col()),
            end: self.byte_of(span.end.line(), span.end.col()),
        }
    }

    pub(crate) fn byte_at_char_span_start(&self, span: &saphyr_parser::Span) -> Option<u8> {
        let b = self.byte_of(span.start.line(), span.start.col());
        self.text.as_bytes().get(b).copied()
    }

    /// The leading whitespace of the line holding `byte`, as a column count.
    pub fn indent_of_line_at(&self, byte: usize) -> usize {
        let (line, _) = self.line_col(byte);
        let t = self.line_text(line);
        t.len() - t.trim_start_matches(' ').len()
    }
}

/// Byte range `[start, end)` in the parsed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByteSpan {
    pub start: usize,
    pub end: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `line_col` as it was before the block index: a search of every line start.
    fn line_col_by_full_search(text: &str, byte: usize) -> (usize, usize) {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let line = match starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let end = byte.min(text.len());
        let col = text
            .get(starts[line]..end)
            .map_or(end - starts[line], |s| s.chars().count());
        (line + 1, col + 1)
    }

    proptest! {
        /// Lines of every length, from empty to several blocks long, so that blocks start at
        /// line starts, inside lines and inside runs of empty lines; bytes up to past the end.
        #[test]
        fn block_index_finds_the_line_a_full_search_finds(
            lines in prop::collection::vec((0usize..3 * BLOCK, any::<bool>(), any::<bool>()), 0..40),
            probes in prop::collection::vec(any::<prop::sample::Index>(), 1..60),
        ) {
            let mut text = String::new();
            for (len, wide, crlf) in &lines {
                let body = if *wide { "é".repeat(len / 2) } else { "a".repeat(*len % 7 * 600 + len % 5) };
                text.push_str(&body);
                text.push_str(if *crlf { "\r\n" } else { "\n" });
            }
            let source = SourceText::new(&text);
            for probe in probes {
                let byte = probe.index(text.len() + 3);
                if !text.is_char_boundary(byte.min(text.len())) {
                    continue;
                }
                prop_assert_eq!(source.line_col(byte), line_col_by_full_search(&text, byte), "byte {}", byte);
            }
        }
    }

    #[test]
    fn block_boundaries_and_the_end_of_the_text() {
        let text = format!("{}\n{}\nlast", "x".repeat(BLOCK - 1), "y".repeat(2 * BLOCK));
        let source = SourceText::new(&text);
        for byte in [
            0,
            BLOCK - 2,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            2 * BLOCK,
            3 * BLOCK,
            text.len(),
            text.len() + 10,
        ] {
            assert_eq!(
                source.line_col(byte),
                line_col_by_full_search(&text, byte),
                "byte {byte}"
            );
        }
        assert_eq!(source.line_col(text.len()), (3, 5));
        assert!(!source.uses_crlf());
        assert!(SourceText::new("a\r\nb\r\n").uses_crlf());
    }
}
