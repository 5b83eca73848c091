//! Template language tests: Go text/template semantics as charts rely on them.
