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

#[cfg(test)]
mod tests {
    use super::*;

    /// What is inside `<main>`: the page's own words, without the shared shell.
    fn main_of(html: &str) -> &str {
        let start = html.find("<main>").expect("<main>") + "<main>".len();
        let end = html.find("</main>").expect("</main>");
        html[start..end].trim()
    }

    #[test]
    fn pages_read_as_a_person_sees_them() {
        let help = RepoHelp {
            repository: "acme/shop".into(),
            contact: Some("#platform-security".into()),
            exceptions: Some("https://wiki.example.com/psa-exceptions".into()),
        };
        insta::assert_snapshot!(
            "rule_page_with_help",
            main_of(&rule_page("pod-security/run-as-non-root", Some(&help)).unwrap())
        );
        insta::assert_snapshot!(
            "setup_form",
            main_of(&setup_form(&SetupForm {
                public_url: "https://kubenudge.example.com",
                github_url: "https://github.com",
                organization: None,
                state: "5794197b578108d89a15ae95125e8b33",
            }))
        );
        insta::assert_snapshot!(
            "setup_done",
            main_of(&setup_done(&CreatedApp {
                id: 90210,
                name: "kubenudge",
                html_url: "https://github.com/apps/kubenudge",
                stored_in: "/srv/kubenudge/kubenudge-app",
            }))
        );
    }
}
