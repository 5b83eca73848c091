//! kubenudge: reviews Kubernetes manifests in pull requests.
//!
//! The engine (`manifest`, `rules`, `engine`, `report`) is pure: files in, findings out.
//! GitHub lives at the edges. See ARCHITECTURE.md.

pub mod cli;
mod cli_base;
mod cli_batches;
mod cli_connectivity;
mod cli_docs;
mod cli_progress;
mod cli_render;
mod cli_rollout;
mod cli_walk;
pub mod config;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod github;
pub mod lsp;
pub mod manifest;
pub mod netpol;
pub mod overlays;
pub mod policy;
pub mod render;
mod repo_files;
pub mod report;
pub mod review;
pub mod rollout;
pub mod rules;
pub mod server;
pub mod store;
pub mod web;
