//! The HTML pages people open in a browser: the rule guidance pages and the set-up flow.
//! Pure rendering: data in, a complete HTML document out. It never reads files, the network
//! or the clock; the routes that serve these pages live in `crate::server`.

mod layout;
mod rules;
mod setup;

pub use layout::escape;
pub use rules::{RepoHelp, markdown_to_html, rule_page, rules_index};
pub use setup::{
    CreatedApp, SetupForm, app_manifest, is_login, new_app_url, setup_done, setup_failed,
    setup_form, setup_refused,
};

/// The page for a path nothing serves.
pub fn not_found(what: &str) -> String {
    layout::page(
        "Not found",
        &format!(
            "<h1>Not found</h1>\n<p>{}</p>\n<p><a href=\"/rules\">Browse the rules</a></p>",
            escape(what)
        ),
    )
}
