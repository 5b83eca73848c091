//! The language server driven over JSON-RPC as an editor drives it: on in-memory channels for
//! the features, and once as the real `kubenudge lsp` process on stdio.

use std::path::Path;
use std::time::Duration;

use clap::Parser;
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::{Diagnostic, DiagnosticSeverity, Position, PublishDiagnosticsParams, TextEdit};
use serde_json::{Value, json};

/// Protects the tests from a server that never answers; not a timing assertion.
const PATIENCE: Duration = Duration::from_secs(60);

/// A Deployment whose second container, written in flow style after non-ASCII text, allows
/// privilege escalation: one finding, with a safe fix, at a column where UTF-8 bytes,
/// characters and UTF-16 units all differ.
const ONE_FINDING: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: web
          image: nginx:1.27
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
        - {name: \"café-𝄞\", image: x, securityContext: {readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}, allowPrivilegeEscalation: true}}
";

/// An editor's side of the connection.
struct Client {
    connection: Connection,
    next_id: i32,
    /// Notifications that arrived while a request waited for its response.
    early: std::collections::VecDeque<Notification>,
    server: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl Client {
    /// Starts a server on in-memory channels and initialises it with `root` as the workspace.
    fn start(root: &Path) -> Client {
        Client::start_with(root, json!({}))
    }

    fn start_with(root: &Path, capabilities: Value) -> Client {
        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || kubenudge::lsp::serve(server_side));
        let mut client = Client {
            connection: client_side,
            next_id: 0,
            early: std::collections::VecDeque::new(),
            server: Some(server),
        };
        let result = client.request(
            "initialize",
            json!({
                "capabilities": capabilities,
                "rootUri": uri(root),
                "workspaceFolders": [{"uri": uri(root), "name": "repo"}],
            }),
        );
        assert!(result["capabilities"]["codeActionProvider"].is_object());
        assert_eq!(result["capabilities"]["hoverProvider"], true);
        client.notify("initialized", json!({}));
        client
    }

    fn send(&self, message: Message) {
        self.connection
            .sender
            .send(message)
            .expect("the server is listening");
    }

    fn notify(&self, method: &str, params: Value) {
        self.send(Notification::new(method.to_string(), params).into());
    }

    fn recv(&self) -> Message {
        self.connection
            .receiver
            .recv_timeout(PATIENCE)
            .expect("the server answers")
    }

    /// Sends a request and returns its result; notifications that arrive first are kept for
    /// [`Client::diagnostics`].
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send(Request::new(id.clone(), method.to_string(), params).into());
        loop {
            match self.recv() {
                Message::Response(Response {
                    id: got,
                    response_result,
                }) if got == id => {
                    return response_result
                        .unwrap_or_else(|e| panic!("{method} failed: {}", e.message));
                }
                Message::Notification(n) => self.early.push_back(n),
                Message::Request(r) => panic!("unexpected request from the server: {r:?}"),
                Message::Response(_) => {}
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> PublishDiagnosticsParams {
        loop {
            let next = match self.early.pop_front() {
                Some(n) => Message::Notification(n),
                None => self.recv(),
            };
            if let Message::Notification(n) = next
                && n.method == "textDocument/publishDiagnostics"
            {
                let p: PublishDiagnosticsParams = serde_json::from_value(n.params).unwrap();
                if p.uri.as_str() == uri {
                    return p;
                }
            }
        }
    }

    fn open(&self, uri: &str, text: &str) {
        self.open_as(uri, "yaml", text);
    }

    fn open_as(&self, uri: &str, language: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
    }

    fn change(&self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    fn code_actions(&mut self, uri: &str, range: Value) -> Vec<Value> {
        let result = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
        );
        result.as_array().cloned().unwrap_or_default()
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let server = self.server.take().unwrap();
        server.join().unwrap().expect("the server ends cleanly");
    }
}

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// Applies LSP text edits (UTF-16 positions) the way an editor does.
fn apply(text: &str, edits: &[TextEdit]) -> String {
    let offset = |p: Position| -> usize {
        let start: usize = text
            .split_inclusive('\n')
            .take(p.line as usize)
            .map(str::len)
            .sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units == p.character as usize {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut edits: Vec<&TextEdit> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse((e.range.start.line, e.range.start.character)));
    let mut out = text.to_string();
    for e in edits {
        out.replace_range(offset(e.range.start)..offset(e.range.end), &e.new_text);
    }
    out
}

fn edits_of(action: &Value, uri: &str) -> Vec<TextEdit> {
    serde_json::from_value(action["edit"]["changes"][uri].clone()).expect("the action edits")
}

/// What `kubenudge check --format json` reports for `path`: (rule, line, column).
fn check_json(path: &Path) -> Vec<(String, u64, u64)> {
    let cli = kubenudge::cli::Cli::try_parse_from([
        "kubenudge",
        "check",
        "--format",
        "json",
        path.to_str().unwrap(),
    ])
    .unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    kubenudge::cli::run(cli, &mut out, &mut err);
    let v: Value = serde_json::from_slice(&out).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn code(d: &Diagnostic) -> String {
    match &d.code {
        Some(lsp_types::NumberOrString::String(s)) => s.clone(),
        other => panic!("diagnostic without a rule id: {other:?}"),
    }
}

#[test]
fn diagnostics_sit_where_check_reports_and_a_code_action_clears_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("web.yaml");
    std::fs::write(&path, ONE_FINDING).unwrap();
    let doc = uri(&path);
    let mut client = Client::start(dir.path());
    client.open(&doc, ONE_FINDING);
    let published = client.diagnostics(&doc);
    assert_eq!(published.version, Some(1));
    let diagnostics = published.diagnostics;

    // The same findings as `check`, at the same places.
    let expected = check_json(&path);
    assert_eq!(expected.len(), 1, "{expected:?}");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let (rule, line, column) = &expected[0];
    let d = &diagnostics[0];
    assert_eq!(&code(d), rule);
    assert_eq!(rule, "pod-security/allow-privilege-escalation");
    assert_eq!(d.range.start.line as u64, line - 1);
    // `check` counts characters; the protocol counts UTF-16 units ("𝄞" is two).
    let line_text = ONE_FINDING.lines().nth(*line as usize - 1).unwrap();
    let before: String = line_text.chars().take(*column as usize - 1).collect();
    assert!(before.contains('𝄞'));
    assert_eq!(
        d.range.start.character as usize,
        before.encode_utf16().count()
    );
    assert_eq!(
        d.range.end.character - d.range.start.character,
        "allowPrivilegeEscalation".len() as u32
    );
    assert_eq!(d.severity, Some(DiagnosticSeverity::ERROR));
    assert_eq!(d.source.as_deref(), Some("kubenudge"));
    assert!(
        d.code_description
            .as_ref()
            .unwrap()
            .href
            .as_str()
            .ends_with("/docs/rules/pod-security/allow-privilege-escalation.md")
    );

    // A code action at the cursor names the fix and carries its edit.
    let cursor = json!({"start": d.range.start, "end": d.range.start});
    let actions = client.code_actions(&doc, cursor);
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Set allowPrivilegeEscalation: false on container \"café-𝄞\""),
        "{titles:?}"
    );
    assert!(titles.contains(&"Fix all kubenudge findings"), "{titles:?}");
    let fix = actions
        .iter()
        .find(|a| a["kind"] == "quickfix")
        .expect("a quick fix");
    assert_eq!(fix["isPreferred"], true);
    assert_eq!(fix["diagnostics"][0]["code"], rule.as_str());
    let fixed = apply(ONE_FINDING, &edits_of(fix, &doc));
    assert!(
        fixed.contains("allowPrivilegeEscalation: false}}"),
        "{fixed}"
    );

    // The editor applies it: after the debounce, no diagnostics remain.
    client.change(&doc, 2, &fixed);
    let published = client.diagnostics(&doc);
    assert_eq!(published.version, Some(2));
    assert_eq!(published.diagnostics, Vec::new());
    assert!(
        client
            .code_actions(
                &doc,
                json!({"start": {"line": 0, "character": 0}, "end": {"line": 30, "character": 0}})
            )
            .is_empty()
    );
    client.shutdown();
}

#[test]
fn fix_all_applies_the_safe_fixes_and_on_request_those_that_need_review() {
    let dir = tempfile::tempdir().unwrap();
    let doc = uri(&dir.path().join("web.yaml"));
    // A removed API version (its fix needs review) and two containers without
    // allowPrivilegeEscalation: false (a safe fix).
    let text = ONE_FINDING
        .replace("apps/v1", "extensions/v1beta1")
        .replace("            allowPrivilegeEscalation: false\n", "");
    let mut client = Client::start(dir.path());
    client.open(&doc, &text);
    let rules = |d: &[Diagnostic]| d.iter().map(code).collect::<Vec<_>>();
    assert_eq!(
        rules(&client.diagnostics(&doc).diagnostics),
        vec![
            "deprecations/removed-api",
            "pod-security/allow-privilege-escalation"
        ]
    );
    let nowhere = json!({"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 0}});
    let actions = client.code_actions(&doc, nowhere.clone());
    // Away from any finding only the file-wide actions apply.
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec![
            "Fix all kubenudge findings",
            "Fix all kubenudge findings, including fixes that need review"
        ]
    );
    assert!(
        actions
            .iter()
            .all(|a| a["kind"] == "source.fixAll.kubenudge")
    );
    let safe = apply(&text, &edits_of(&actions[0], &doc));
    client.change(&doc, 2, &safe);
    assert_eq!(
        rules(&client.diagnostics(&doc).diagnostics),
        vec!["deprecations/removed-api"]
    );
    let actions = client.code_actions(&doc, nowhere);
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(
        actions[0]["title"],
        "Fix all kubenudge findings, including fixes that need review"
    );
    let all = apply(&safe, &edits_of(&actions[0], &doc));
    client.change(&doc, 3, &all);
    assert_eq!(client.diagnostics(&doc).diagnostics, Vec::new());
    client.shutdown();
}

#[test]
fn a_client_that_resolves_gets_fix_all_computed_only_when_picked() {
    let dir = tempfile::tempdir().unwrap();
    let doc = uri(&dir.path().join("web.yaml"));
    let text = ONE_FINDING
        .replace("apps/v1", "extensions/v1beta1")
        .replace("            allowPrivilegeEscalation: false\n", "");
    let mut client = Client::start_with(
        dir.path(),
        json!({"textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}}),
    );
    client.open(&doc, &text);
    assert_eq!(client.diagnostics(&doc).diagnostics.len(), 2);
    let nowhere = json!({"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 0}});
    let actions = client.code_actions(&doc, nowhere);
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert!(
        actions
            .iter()
            .all(|a| a.get("edit").is_none() && a["data"].is_object())
    );
    let resolved = client.request("codeAction/resolve", actions[0].clone());
    assert_eq!(resolved["title"], "Fix all kubenudge findings");
    let safe = apply(&text, &edits_of(&resolved, &doc));
    client.change(&doc, 2, &safe);
    let left: Vec<String> = client
        .diagnostics(&doc)
        .diagnostics
        .iter()
        .map(code)
        .collect();
    assert_eq!(left, vec!["deprecations/removed-api"]);
    client.shutdown();
}

#[test]
fn quick_changes_end_with_the_diagnostics_of_the_last_version() {
    let dir = tempfile::tempdir().unwrap();
    let doc = uri(&dir.path().join("web.yaml"));
    let mut client = Client::start(dir.path());
    client.open(&doc, ONE_FINDING);
    assert_eq!(client.diagnostics(&doc).version, Some(1));
    // Changes in a row are linted once typing pauses (usually once, for the last version;
    // a slow machine may publish an earlier one first, never out of order).
    client.change(&doc, 2, &ONE_FINDING.replace("web", "web2"));
    client.change(&doc, 3, &ONE_FINDING.replace("web", "web3"));
    client.change(&doc, 4, &ONE_FINDING.replace(": true}}", ": false}}"));
    let mut last = 1;
    let published = loop {
        let p = client.diagnostics(&doc);
        let version = p.version.unwrap();
        assert!(version > last, "version {version} after {last}");
        last = version;
        if version == 4 {
            break p;
        }
        assert_eq!(p.diagnostics.len(), 1);
    };
    assert!(published.diagnostics.is_empty());
    client.shutdown();
}

#[test]
fn a_request_during_the_debounce_answers_on_the_new_text_and_diagnostics_still_follow() {
    let dir = tempfile::tempdir().unwrap();
    let doc = uri(&dir.path().join("web.yaml"));
    let mut client = Client::start(dir.path());
    client.open(&doc, ONE_FINDING);
    assert_eq!(client.diagnostics(&doc).diagnostics.len(), 1);
    // A malformed notification is logged, not fatal.
    client.notify("textDocument/didChange", json!({"textDocument": 42}));
    let fixed = ONE_FINDING.replace(": true}}", ": false}}");
    client.change(&doc, 2, &fixed);
    let everywhere =
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 30, "character": 0}});
    assert!(client.code_actions(&doc, everywhere).is_empty());
    // Messages are handled in order: the log came before the answer.
    assert!(
        client.early.iter().any(|n| n.method == "window/logMessage"
            && n.params["message"]
                .as_str()
                .unwrap()
                .starts_with("kubenudge: cannot handle textDocument/didChange")),
        "{:?}",
        client.early
    );
    let published = client.diagnostics(&doc);
    assert_eq!(published.version, Some(2));
    assert!(published.diagnostics.is_empty());
    client.shutdown();
}

#[test]
fn hover_on_a_finding_shows_its_guidance() {
    let dir = tempfile::tempdir().unwrap();
    let doc = uri(&dir.path().join("web.yaml"));
    let mut client = Client::start(dir.path());
    client.open(&doc, ONE_FINDING);
    let d = client.diagnostics(&doc).diagnostics.remove(0);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": doc}, "position": d.range.start}),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert_eq!(hover["contents"]["kind"], "markdown");
    assert!(
        md.starts_with("**pod-security/allow-privilege-escalation** — "),
        "{md}"
    );
    assert!(md.contains("no_new_privs"), "the rule's why: {md}");
    assert!(
        md.contains("(https://github.com/kubenudge/kubenudge/blob/main/docs/rules/pod-security/allow-privilege-escalation.md)"),
        "{md}"
    );
    insta::assert_snapshot!(md);
    // Not a manifest: not checked, so nothing to hover either.
    let notes = uri(&dir.path().join("NOTES.md"));
    client.open_as(&notes, "markdown", "# kind: Pod\n- [broken\n");
    let nothing = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": notes}, "position": {"line": 1, "character": 2}}),
    );
    assert!(nothing.is_null());
    // Messages are handled in order: diagnostics for it would have come before the answer.
    assert!(
        !client
            .early
            .iter()
            .any(|n| n.params["uri"].as_str() == Some(notes.as_str())),
        "{:?}",
        client.early
    );
    // Nowhere near a finding: nothing.
    let nothing = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": doc}, "position": {"line": 0, "character": 0}}),
    );
    assert!(nothing.is_null());
    client.shutdown();
}

#[test]
fn the_actions_on_a_typical_manifest_read_well() {
    let dir = tempfile::tempdir().unwrap();
    let doc = uri(&dir.path().join("deploy.yaml"));
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/insecure-deployment.yaml"),
    )
    .unwrap();
    let mut client = Client::start(dir.path());
    client.open(&doc, &text);
    let diagnostics = client.diagnostics(&doc).diagnostics;
    let everywhere =
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 999, "character": 0}});
    let actions = client.code_actions(&doc, everywhere);
    let mut listing = String::new();
    for d in &diagnostics {
        listing.push_str(&format!(
            "{}:{}-{}:{} {:?} {} {}\n",
            d.range.start.line,
            d.range.start.character,
            d.range.end.line,
            d.range.end.character,
            d.severity.unwrap(),
            code(d),
            d.message
        ));
    }
    listing.push('\n');
    for a in &actions {
        listing.push_str(&format!(
            "[{}] {}\n",
            a["kind"].as_str().unwrap(),
            a["title"].as_str().unwrap()
        ));
    }
    insta::assert_snapshot!(listing);
    client.shutdown();
}

#[test]
fn the_workspace_policy_applies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".github")).unwrap();
    // `baseline` does not require allowPrivilegeEscalation; audit mode makes the rest notes.
    std::fs::write(
        dir.path().join(".github/kubenudge.yml"),
        "level: baseline\nmode: audit\n",
    )
    .unwrap();
    let doc = uri(&dir.path().join("web.yaml"));
    let privileged = ONE_FINDING.replace(
        "allowPrivilegeEscalation: true}}",
        "allowPrivilegeEscalation: true, privileged: true}}",
    );
    let mut client = Client::start(dir.path());
    client.open(&doc, &privileged);
    let diagnostics = client.diagnostics(&doc).diagnostics;
    let rules: Vec<String> = diagnostics.iter().map(code).collect();
    assert_eq!(rules, vec!["pod-security/privileged"]);
    assert_eq!(
        diagnostics[0].severity,
        Some(DiagnosticSeverity::INFORMATION)
    );

    // Editing the policy in the editor: its mistakes show on it, and the defaults apply.
    let config = uri(&dir.path().join(".github/kubenudge.yml"));
    client.open(&config, "level: strictest\n");
    let on_config = client.diagnostics(&config).diagnostics;
    assert_eq!(on_config.len(), 1, "{on_config:?}");
    assert_eq!(on_config[0].range.start, Position::new(0, 7));
    let relinted = client.diagnostics(&doc).diagnostics;
    assert_eq!(relinted.len(), 2, "restricted again: {relinted:?}");
    client.shutdown();
}

#[test]
fn a_kustomization_names_the_namespace_whose_stage_applies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".github")).unwrap();
    std::fs::create_dir_all(root.join("apps/payments")).unwrap();
    std::fs::write(
        root.join(".github/kubenudge.yml"),
        "mode: audit\nrollout:\n  - namespaces: [payments]\n    mode: enforce\n",
    )
    .unwrap();
    std::fs::write(
        root.join("apps/payments/kustomization.yaml"),
        "namespace: payments\nresources: [web.yaml]\n",
    )
    .unwrap();
    let mut client = Client::start(root);
    // The manifest names no namespace: the kustomization's applies, and its stage enforces.
    let in_payments = uri(&root.join("apps/payments/web.yaml"));
    client.open(&in_payments, ONE_FINDING);
    let d = client.diagnostics(&in_payments).diagnostics;
    assert_eq!(d[0].severity, Some(DiagnosticSeverity::ERROR), "{d:?}");
    // The same text elsewhere is in `default`, at the top-level `audit` stage.
    let elsewhere = uri(&root.join("web.yaml"));
    client.open(&elsewhere, ONE_FINDING);
    let d = client.diagnostics(&elsewhere).diagnostics;
    assert_eq!(
        d[0].severity,
        Some(DiagnosticSeverity::INFORMATION),
        "{d:?}"
    );
    client.shutdown();
}

#[test]
fn a_policy_changed_on_disk_applies_when_the_client_watches_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut client = Client::start_with(
        root,
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
    );
    // The server asks to be told about its configuration file.
    let registration = match client.recv() {
        Message::Request(r) => r,
        other => panic!("expected a registration, got {other:?}"),
    };
    assert_eq!(registration.method, "client/registerCapability");
    assert_eq!(
        registration.params["registrations"][0]["registerOptions"]["watchers"][0]["globPattern"],
        "**/.github/kubenudge.yml"
    );
    client.send(Response::new_ok(registration.id, Value::Null).into());
    let doc = uri(&root.join("web.yaml"));
    client.open(&doc, ONE_FINDING);
    assert_eq!(client.diagnostics(&doc).diagnostics.len(), 1);
    // A branch switch brings a policy at `baseline`: the finding (restricted only) goes.
    std::fs::create_dir_all(root.join(".github")).unwrap();
    let config = root.join(".github/kubenudge.yml");
    std::fs::write(&config, "level: baseline\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&config), "type": 1}]}),
    );
    assert_eq!(client.diagnostics(&doc).diagnostics, Vec::new());
    client.shutdown();
}

#[test]
fn the_binary_speaks_the_protocol_on_stdio() {
    use std::io::BufReader;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubenudge"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let init: Message = Request::new(
        RequestId::from(1),
        "initialize".into(),
        json!({"capabilities": {}}),
    )
    .into();
    init.write(&mut stdin).unwrap();
    match Message::read(&mut stdout).unwrap() {
        Some(Message::Response(r)) => {
            assert!(r.response_result.unwrap()["capabilities"].is_object())
        }
        other => panic!("expected the initialize response, got {other:?}"),
    }
    let initialized: Message = Notification::new("initialized".into(), json!({})).into();
    initialized.write(&mut stdin).unwrap();
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: c, image: i, securityContext: {privileged: true}}\n";
    let open: Message = Notification::new(
        "textDocument/didOpen".into(),
        json!({"textDocument": {"uri": "untitled:pod.yaml", "languageId": "yaml", "version": 1, "text": text}}),
    )
    .into();
    open.write(&mut stdin).unwrap();
    match Message::read(&mut stdout).unwrap() {
        Some(Message::Notification(n)) => {
            assert_eq!(n.method, "textDocument/publishDiagnostics");
            let p: PublishDiagnosticsParams = serde_json::from_value(n.params).unwrap();
            assert!(
                p.diagnostics
                    .iter()
                    .any(|d| code(d) == "pod-security/privileged")
            );
        }
        other => panic!("expected diagnostics, got {other:?}"),
    }
    let shutdown: Message = Request::new(RequestId::from(2), "shutdown".into(), Value::Null).into();
    shutdown.write(&mut stdin).unwrap();
    assert!(matches!(
        Message::read(&mut stdout).unwrap(),
        Some(Message::Response(_))
    ));
    let exit: Message = Notification::new("exit".into(), Value::Null).into();
    exit.write(&mut stdin).unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
