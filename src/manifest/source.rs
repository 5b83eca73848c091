//! The text of one file, with the tables that turn parser positions into bytes and lines.

/// A file's text with its BOM removed, plus a line table. Byte offsets everywhere in the engine
/// are offsets into [`SourceText::text`]; the BOM, if any, is re-added when a file is written.
#[derive(Debug, Clone)]
pub struct SourceText {
    text: String,
    line_starts: Vec<usize>,
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
        let mut line_starts = vec![0];
        let bytes = text.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        let crlf_count = text.matches("\r\n").count();
        Self {
            crlf: crlf_count > 0 && crlf_count * 2 >= line_starts.len() - 1,
            ascii: text.is_ascii(),
            text: text.to_string(),
            line_starts,
            bom,
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
        let line = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
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
