//! The set-up pages of GitHub's App-manifest flow: the form that sends
//! `app-manifest/kubenudge.json` (with this service's URL filled in) to GitHub, the page that
//! says what to do once the App exists, and the refusals. Pure: the code exchange and the
//! credential files live in `crate::server`.

use serde_json::Value;

use super::layout::{escape, page};

/// The App manifest shipped with kubenudge.
const MANIFEST: &str = include_str!("../../app-manifest/kubenudge.json");

/// `app-manifest/kubenudge.json` with this service's public URL as webhook, callback and
/// homepage.
pub fn app_manifest(public_url: &str) -> Value {
    let base = public_url.trim_end_matches('/');
    let mut manifest: Value =
        serde_json::from_str(MANIFEST).expect("app-manifest/kubenudge.json is JSON");
    manifest["url"] = Value::String(format!("{base}/rules"));
    manifest["hook_attributes"]["url"] = Value::String(format!("{base}/webhook"));
    manifest["redirect_url"] = Value::String(format!("{base}/setup/callback"));
    manifest
}

/// What the set-up form needs.
pub struct SetupForm<'a> {
    /// This service, as GitHub will reach it (`https://kubenudge.example.com`).
    pub public_url: &'a str,
    /// GitHub's web address (`https://github.com`, or a GitHub Enterprise Server).
    pub github_url: &'a str,
    /// Create the App for this organization; `None`: the signed-in user's account.
    pub organization: Option<&'a str>,
    /// Anti-forgery value GitHub sends back to the callback.
    pub state: &'a str,
}

/// Where the form posts the manifest.
pub fn new_app_url(form: &SetupForm<'_>) -> String {
    let web = form.github_url.trim_end_matches('/');
    match form.organization {
        Some(org) => format!(
            "{web}/organizations/{}/settings/apps/new?state={}",
            url_segment(org),
            url_segment(form.state)
        ),
        None => format!("{web}/settings/apps/new?state={}", url_segment(form.state)),
    }
}

/// True for a GitHub account or organization login.
pub fn is_login(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 39
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.starts_with('-')
}

fn url_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `GET /setup`: one button that registers the App on GitHub.
pub fn setup_form(form: &SetupForm<'_>) -> String {
    let manifest = app_manifest(form.public_url);
    let manifest_text = serde_json::to_string(&manifest).expect("manifest serializes");
    let owner = match form.organization {
        Some(org) => format!("the organization <strong>{}</strong>", escape(org)),
        None => "your personal account".to_string(),
    };
    let permissions = manifest["default_permissions"]
        .as_object()
        .map(|p| {
            p.iter()
                .map(|(k, v)| {
                    format!(
                        "<tr><td>{}</td><td>{}</td></tr>",
                        escape(&k.replace('_', " ")),
                        escape(v.as_str().unwrap_or(""))
                    )
                })
                .collect::<String>()
        })
        .unwrap_or_default();
    let body = format!(
        r#"<h1>Set up kubenudge</h1>
<p class="lead">Register kubenudge as a GitHub App. GitHub shows you the App before creating it, then sends you back here.</p>
<div class="callout">
<h2>This service</h2>
<p>Webhooks will be sent to <code>{webhook}</code>.</p>
</div>
<h2>Create the App</h2>
<form id="create-app" action="{action}" method="post">
<input type="hidden" name="manifest" value="{manifest}">
<p>The App will belong to {owner}.</p>
<button type="submit" id="create">Create GitHub App</button>
</form>
<form id="choose-owner" class="aside" action="/setup" method="get">
<label for="org">Create it for an organization instead (its login):</label>
<input type="text" id="org" name="org" value="{org}" placeholder="my-org" autocomplete="off">
<button type="submit" class="secondary" id="use-org">Use this organization</button>
</form>
<h2>What the App may do</h2>
<table><thead><tr><th>Permission</th><th>Access</th></tr></thead><tbody>{permissions}</tbody></table>
<p>Events: pull request, check run, check suite.</p>
"#,
        webhook = escape(manifest["hook_attributes"]["url"].as_str().unwrap_or("")),
        action = escape(&new_app_url(form)),
        manifest = escape(&manifest_text),
        org = escape(form.organization.unwrap_or("")),
    );
    page("Set up", &body)
}

/// The App GitHub created, as far as the next-steps page needs it.
pub struct CreatedApp<'a> {
    pub id: u64,
    pub name: &'a str,
    /// The App's page on GitHub (`https://github.com/apps/<slug>`).
    pub html_url: &'a str,
    /// The directory the credentials were written to.
    pub stored_in: &'a str,
}

/// `GET /setup/callback` after the App was created and its credentials stored.
pub fn setup_done(app: &CreatedApp<'_>) -> String {
    let install = format!("{}/installations/new", app.html_url.trim_end_matches('/'));
    let body = format!(
        r#"<h1>kubenudge is set up</h1>
<div class="callout ok"><h2>The App <strong>{name}</strong> exists (App ID {id})</h2>
<p>Its private key and webhook secret are stored in <code>{dir}</code> (readable by this user only). kubenudge now serves webhooks with them.</p></div>
<h2>Next steps</h2>
<ol class="steps">
<li><a id="install" href="{install}">Install the App</a> on the repositories it should review.</li>
<li>Open a pull request that changes a Kubernetes manifest: kubenudge adds a <code>kubenudge</code> check and comments.</li>
<li>Keep a copy of <code>{dir}</code> in your secret manager: GitHub shows the private key only once. To run kubenudge elsewhere, pass the same values as <code>GITHUB_APP_ID</code>, <code>GITHUB_APP_PRIVATE_KEY</code> and <code>GITHUB_WEBHOOK_SECRET</code>.</li>
<li>Optionally describe your rollout in each repository's <code>.github/kubenudge.yml</code>: stages per namespace, exceptions, and the help text its <a href="/rules">rule pages</a> show.</li>
</ol>
"#,
        name = escape(app.name),
        id = app.id,
        dir = escape(app.stored_in),
        install = escape(&install),
    );
    page("Set up", &body)
}

/// `/setup` once an App is configured: a second App would orphan the first one's installs.
pub fn setup_refused() -> String {
    page(
        "Already set up",
        r#"<h1>kubenudge is already set up</h1>
<div class="callout warn"><h2>Set-up is closed</h2>
<p>This service already has GitHub App credentials, so it will not create another App. To start over, stop kubenudge, remove its credentials and start it again.</p></div>
<p><a href="/rules">Browse the rules</a></p>"#,
    )
}

/// A set-up step that failed, with what to do.
pub fn setup_failed(message: &str) -> String {
    page(
        "Set-up failed",
        &format!(
            r#"<h1>Set-up did not finish</h1>
<div class="callout warn"><h2>What went wrong</h2><p id="problem">{}</p></div>
<p><a href="/setup">Start again</a></p>"#,
            escape(message)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_points_at_this_service() {
        let m = app_manifest("https://kn.example.com/");
        assert_eq!(
            m["hook_attributes"]["url"],
            "https://kn.example.com/webhook"
        );
        assert_eq!(m["redirect_url"], "https://kn.example.com/setup/callback");
        assert_eq!(m["default_permissions"]["checks"], "write");
    }

    #[test]
    fn the_form_posts_the_manifest_to_the_owner() {
        let form = SetupForm {
            public_url: "http://127.0.0.1:3000",
            github_url: "https://github.com/",
            organization: Some("acme"),
            state: "s t",
        };
        assert_eq!(
            new_app_url(&form),
            "https://github.com/organizations/acme/settings/apps/new?state=s%20t"
        );
        let html = setup_form(&form);
        assert!(html.contains(
            "action=\"https://github.com/organizations/acme/settings/apps/new?state=s%20t\""
        ));
        assert!(
            html.contains(
                "&quot;redirect_url&quot;:&quot;http://127.0.0.1:3000/setup/callback&quot;"
            ),
            "{html}"
        );
        assert!(!html.contains("<script"));
    }

    #[test]
    fn logins_are_checked() {
        assert!(is_login("acme-corp"));
        assert!(!is_login("acme/../x"));
        assert!(!is_login("-x"));
        assert!(!is_login(""));
    }
}
