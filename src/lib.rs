//! kubenudge: reviews Kubernetes manifests in pull requests.
//!
//! The engine (`manifest`, `rules`, `engine`, `report`) is pure: files in, findings out.
//! GitHub lives at the edges. See ARCHITECTURE.md.

pub mod cli;
mod cli_rollout;
pub mod config;
pub mod engine;
pub mod finding;
pub mod fix;
pub mod github;
pub mod manifest;
pub mod policy;
pub mod report;
pub mod review;
pub mod rollout;
pub mod rules;
pub mod server;
pub mod web;
