//! The routes of the HTML pages: `/rules`, `/rules/<rule-id>` (with the help text of the
//! repository named by `?repo=`, as its latest review read it) and `/setup` once the App is
//! configured (refused). Rendering is `crate::web`'s; this file only picks the data.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::config::Help;
use crate::web;

/// A repository's `help:` by `owner/name`, as far as this process knows it.
pub type HelpLookup = Arc<dyn Fn(&str) -> Option<Help> + Send + Sync>;

/// Routes serving the rule pages; `help` knows each reviewed repository's help text.
pub fn rule_routes<S: Clone + Send + Sync + 'static>(help: Option<HelpLookup>) -> Router<S> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/rules") }))
        .route("/rules", get(|| async { Html(web::rules_index()) }))
        .route("/rules/", get(|| async { Redirect::permanent("/rules") }))
        .route(
            "/rules/{*rule}",
            get(move |path, query| rule_page(help.clone(), path, query)),
        )
}

/// The help texts the reviews of this service have read.
pub fn help_of(review: Arc<super::ReviewContext>) -> HelpLookup {
    Arc::new(move |repo: &str| review.configs.repository_help(repo))
}

async fn rule_page(
    help: Option<HelpLookup>,
    Path(rule): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let rule = rule.trim_end_matches('/');
    let repo_help = query.get("repo").and_then(|repo| {
        let help = help.as_ref()?(repo)?;
        Some(web::RepoHelp {
            repository: repo.clone(),
            contact: help.contact,
            exceptions: help.exceptions,
        })
    });
    match web::rule_page(rule, repo_help.as_ref()) {
        Some(html) => Html(html).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Html(web::not_found(&format!(
                "There is no rule {rule:?}. The rules page lists every rule."
            ))),
        )
            .into_response(),
    }
}

/// `/setup` on a configured service.
pub fn setup_closed<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let refused = || async { (StatusCode::FORBIDDEN, Html(web::setup_refused())) };
    Router::new()
        .route("/setup", get(refused).post(refused))
        .route("/setup/callback", get(refused))
}
