//! Byte offsets (the engine's positions) ↔ LSP positions (0-based line, UTF-16 code units, the
//! protocol's default encoding), on the document text exactly as the editor holds it — a BOM
//! included, which the engine's offsets leave out.

use lsp_types::{Position, Range};

/// A document's text with its line starts, for converting positions both ways.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
    /// Bytes before the engine's offset 0 (3 for a UTF-8 BOM).
    bom: usize,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex {
            text,
            line_starts,
            bom: if text.starts_with('\u{feff}') { 3 } else { 0 },
        }
    }

    /// The position of an engine byte offset (BOM excluded). Offsets past the end or inside a
    /// character are clamped to the nearest character boundary before them.
    pub fn position(&self, engine_byte: usize) -> Position {
        let mut byte = (engine_byte + self.bom).min(self.text.len());
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        let line = match self.line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let character = self.text[start..byte].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    /// The engine byte offset of a position; a column past the line's end means its end, a
    /// line past the last means the end of the text.
    pub fn engine_byte(&self, position: Position) -> usize {
        let Some(&start) = self.line_starts.get(position.line as usize) else {
            return self.text.len().saturating_sub(self.bom);
        };
        let line = &self.text[start..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let mut units = 0usize;
        let mut byte = line.len();
        for (i, c) in line.char_indices() {
            if units >= position.character as usize {
                byte = i;
                break;
            }
            units += c.len_utf16();
        }
        (start + byte).saturating_sub(self.bom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // "é" is 2 bytes and 1 unit; "𝄞" is 4 bytes and 2 units.
        let text = "a: é\nb: 𝄞x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(x), Position::new(1, 5));
        assert_eq!(index.engine_byte(Position::new(1, 5)), x);
        assert_eq!(
            index.position(text.find('é').unwrap() + 2),
            Position::new(0, 4)
        );
    }

    #[test]
    fn a_bom_is_not_in_engine_offsets_but_is_in_the_editor() {
        let text = "\u{feff}kind: Pod\n";
        let index = LineIndex::new(text);
        // Engine offset 0 is the `k`, the editor's character 1 (the BOM is one unit).
        assert_eq!(index.position(0), Position::new(0, 1));
        assert_eq!(index.engine_byte(Position::new(0, 1)), 0);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let index = LineIndex::new("ab\ncd");
        assert_eq!(index.engine_byte(Position::new(0, 99)), 2);
        assert_eq!(index.engine_byte(Position::new(9, 0)), 5);
        assert_eq!(index.position(99), Position::new(1, 2));
    }
}
