//! Go's `text/template`, written here rather than taken from a crate.
//!
//! Why by hand: the `gtmpl` crate (last release 2021) has no `break`/`continue`, an unstable
//! `printf`, and, decisively, no way to learn which template bytes or which value produced a
//! piece of output: it writes plain text. kubenudge needs exactly that — each output byte's
//! template span, and for `{{ .Values.a.b }}` the values line — so findings on rendered
//! objects can point at the line a developer should edit. This engine records it as it
//! writes ([`value::Text`]: text plus origin segments), and keeps Go's semantics where charts
//! depend on them: truthiness, nil handling (`missingkey=zero`, printed as nothing by Helm),
//! map iteration in key order, `printf` as Go formats, whitespace trim markers, and error
//! messages with `file:line:column` and the failing node.
//!
//! `parse` (lexer and parser) → `exec` (executor, limits) → `funcs` (Go builtins, sprig,
//! Helm's functions), with `value` (the data model and Go's printing), `printf` and `semver`.

pub mod exec;
pub mod funcs;
pub mod parse;
pub mod printf;
pub mod semver;
pub mod value;

#[cfg(test)]
mod tests;
