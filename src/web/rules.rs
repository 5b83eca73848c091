//! The rule pages: `/rules` (every rule by family) and `/rules/<rule-id>` (the guidance page
//! `kubenudge explain` prints, as HTML, plus the repository's own help text when known).

use std::collections::BTreeMap;

use pulldown_cmark::{Event, Options, Parser, html};

use super::layout::{escape, page};

/// What a repository's `.github/kubenudge.yml` says about asking for help (`help:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoHelp {
    /// `owner/name`.
    pub repository: String,
    /// Who to ask (free text: a team, a channel, an address).
    pub contact: Option<String>,
    /// Link to the exception process.
    pub exceptions: Option<String>,
}

/// Markdown → HTML. Raw HTML in the source is shown as text: rule docs are ours, but the
/// page must stay safe if one ever quotes a tag.
pub fn markdown_to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// One line of Markdown (a rule summary's `code` spans) as inline HTML.
fn inline_markdown(text: &str) -> String {
    let html = markdown_to_html(text);
    let html = html.trim_end();
    html.strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .unwrap_or(html)
        .to_string()
}

/// `/rules`: every rule, grouped by family, with its one-line summary.
pub fn rules_index() -> String {
    let mut families: BTreeMap<&str, Vec<&dyn crate::rules::Rule>> = BTreeMap::new();
    for rule in crate::rules::all() {
        families
            .entry(crate::rules::family(rule.id()))
            .or_default()
            .push(rule);
    }
    let mut body = String::from(
        "<h1>Rules</h1>\n<p class=\"lead\">Each page says what the rule checks, why it matters, \
         what to change, the edge cases, how safe its fix is and what to do if you cannot comply. \
         <code>kubenudge explain &lt;rule&gt;</code> prints the same page.</p>\n",
    );
    for (family, rules) in families {
        body.push_str(&format!(
            "<section class=\"family\">\n<h2>{}</h2>\n<table class=\"rules\">\n<thead><tr><th>Rule</th><th>Summary</th></tr></thead>\n<tbody>\n",
            escape(family)
        ));
        for rule in rules {
            let id = escape(rule.id());
            body.push_str(&format!(
                "<tr><td><a href=\"/rules/{id}\"><code>{id}</code></a></td><td>{}</td></tr>\n",
                inline_markdown(rule.summary())
            ));
        }
        body.push_str("</tbody>\n</table>\n</section>\n");
    }
    page("Rules", &body)
}

/// `/rules/<rule-id>`; `None` for an unknown rule.
pub fn rule_page(rule_id: &str, help: Option<&RepoHelp>) -> Option<String> {
    let rule = crate::rules::find(rule_id)?;
    let doc = crate::rules::doc(rule_id)?;
    let mut body = format!(
        "<p><span class=\"badge\">{family}</span></p>\n<h1><code>{id}</code></h1>\n<p class=\"lead\">{summary}</p>\n",
        family = escape(crate::rules::family(rule_id)),
        id = escape(rule_id),
        summary = inline_markdown(rule.summary()),
    );
    if let Some(help) = help.filter(|h| h.contact.is_some() || h.exceptions.is_some()) {
        body.push_str(&repo_help(help));
    }
    body.push_str(&markdown_to_html(doc));
    body.push_str("<p><a href=\"/rules\">← All rules</a></p>\n");
    Some(page(rule_id, &body))
}

/// The repository's own contact and exception process. Both come from a file anyone with
/// write access to the repository can edit: text is escaped, and only an http(s) URL
/// becomes a link.
fn repo_help(help: &RepoHelp) -> String {
    let mut out = format!(
        "<aside class=\"callout\" id=\"repository-help\">\n<h2>Help in {}</h2>\n<ul>\n",
        escape(&help.repository)
    );
    if let Some(contact) = &help.contact {
        out.push_str(&format!("<li>Questions: {}</li>\n", link_or_text(contact)));
    }
    if let Some(exceptions) = &help.exceptions {
        out.push_str(&format!(
            "<li>Cannot comply? Ask for an exception: {}</li>\n",
            link_or_text(exceptions)
        ));
    }
    out.push_str("</ul>\n</aside>\n");
    out
}

fn link_or_text(value: &str) -> String {
    let v = value.trim();
    if (v.starts_with("https://") || v.starts_with("http://")) && !v.contains(char::is_whitespace) {
        format!("<a href=\"{0}\">{0}</a>", escape(v))
    } else {
        escape(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_page_with_its_sections() {
        for rule in crate::rules::all() {
            let html = rule_page(rule.id(), None).expect("page");
            assert!(html.contains("<h2>Why it matters</h2>"), "{}", rule.id());
            assert!(html.contains("<h2>Fix safety</h2>"), "{}", rule.id());
            assert!(!html.contains("repository-help"));
        }
        assert!(rule_page("pod-security/nope", None).is_none());
    }

    #[test]
    fn the_index_links_every_rule() {
        let html = rules_index();
        for rule in crate::rules::all() {
            assert!(html.contains(&format!("href=\"/rules/{}\"", rule.id())));
        }
        // Summaries' `code` spans are code, not backticks.
        assert!(
            html.contains("<code>ignore.kubenudge.io/&lt;rule-name&gt;</code>"),
            "{html}"
        );
        assert!(!html.contains('`'));
    }

    #[test]
    fn repository_help_is_escaped_and_links_only_urls() {
        let help = RepoHelp {
            repository: "acme/shop".into(),
            contact: Some("<script>alert(1)</script> #platform".into()),
            exceptions: Some("javascript:alert(1)".into()),
        };
        let html = rule_page("pod-security/privileged", Some(&help)).unwrap();
        assert!(html.contains("Help in acme/shop"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; #platform"));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("href=\"javascript"));
        let help = RepoHelp {
            exceptions: Some("https://wiki.example.com/psa-exceptions".into()),
            ..help
        };
        let html = rule_page("pod-security/privileged", Some(&help)).unwrap();
        assert!(html.contains(
            "<a href=\"https://wiki.example.com/psa-exceptions\">https://wiki.example.com/psa-exceptions</a>"
        ));
    }

    #[test]
    fn raw_html_in_markdown_is_text() {
        let html = markdown_to_html("a <img src=x onerror=alert(1)> b\n\n```yaml\nk: v\n```\n");
        assert!(html.contains("&lt;img"), "{html}");
        assert!(
            html.contains("<pre><code class=\"language-yaml\">"),
            "{html}"
        );
    }
}
