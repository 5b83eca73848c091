//! Printers for the command line: text with code frames (like ruff and rustc) and JSON.
//! They format; they decide nothing.

mod json;
mod text;

pub use json::render_json;
pub use text::render_text;
