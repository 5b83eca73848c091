//! Every integration test, linked into one test binary.
//!
//! Each `tests/<name>.rs` is a module here rather than a test target of its own: 38 targets
//! each linked the whole crate and its dependencies (175 MB apiece, 9.2 GB of `target/` on a
//! fresh build, which filled CI's disk once), while one binary links it once. Run one file's
//! tests with `cargo test --test suite <name>::`, for example `cargo test --test suite cli_docs::`.
//! The shared helpers are `support` (the fake GitHub and the App harness), `common` (the fix
//! tests' inputs) and `cli_run` (the CLI in-process).

mod cli_run;
mod common;
mod support;

mod action;
mod browser;
mod cli;
mod cli_base;
mod cli_docs;
mod cli_fix;
mod deprecations;
mod docs_pages;
mod durability;
mod fix_convergence;
mod fix_properties;
mod fix_snapshots;
mod formats;
mod fuzz;
mod github_app;
mod github_connectivity;
mod github_helm;
mod github_overlays;
mod github_review_defects;
mod github_rollout;
mod helm_check;
mod helm_conformance;
mod kustomize_conformance;
mod lsp;
mod netpol_cli;
mod netpol_conformance;
mod network_policy_rules;
mod observability;
mod overlays_cli;
mod pre_commit;
mod pss_cli;
mod pss_conformance;
mod pss_snapshots;
mod render_cli;
mod rollout;
mod rollout_plan;
mod scaling;
mod setup_mode;
