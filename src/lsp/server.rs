//! The server's state and its handlers: documents by URI, pending (debounced) analyses, the
//! workspace policy, and the answers to code-action and hover requests.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::NaiveDate;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, LogMessage, Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{
    CodeActionRequest, CodeActionResolveRequest, HoverRequest, RegisterCapability, Request as _,
};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOptions, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, Diagnostic, DiagnosticSeverity, HoverContents, HoverParams,
    HoverProviderCapability, InitializeParams, LogMessageParams, MarkupContent, MarkupKind,
    MessageType, Position, PublishDiagnosticsParams, Range, ServerCapabilities, ShowMessageParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, Uri, WorkspaceEdit,
};

use super::analysis::{self, Analysis};
use super::position::LineIndex;
use crate::config::{CONFIG_PATH, Config, ConfigError, parse_config};
use crate::finding::FixSafety;

/// How long typing must pause before a changed document is linted again.
const DEBOUNCE: Duration = Duration::from_millis(200);

/// The title of the action that applies every safe fix of a file.
pub(crate) const FIX_ALL_TITLE: &str = "Fix all kubenudge findings";
/// The title of the action that also applies the fixes that need review.
pub(crate) const FIX_ALL_REVIEW_TITLE: &str =
    "Fix all kubenudge findings, including fixes that need review";

fn fix_all_title(include_review: bool) -> &'static str {
    if include_review {
        FIX_ALL_REVIEW_TITLE
    } else {
        FIX_ALL_TITLE
    }
}

fn fix_all_kind() -> CodeActionKind {
    CodeActionKind::new("source.fixAll.kubenudge")
}

struct Document {
    text: String,
    version: i32,
    /// The analysis of `text`; `None` while a change waits for the debounce.
    analysis: Option<Analysis>,
}

struct Server<'c, T> {
    connection: &'c Connection,
    today: T,
    root: Option<PathBuf>,
    /// The workspace's `.github/kubenudge.yml`, when present and valid.
    config: Option<Config>,
    /// The configuration file is open in the editor: its text there is the policy.
    config_open: bool,
    /// The client resolves a code action's edit when it is picked (`codeAction/resolve`).
    resolve_edits: bool,
    documents: HashMap<Uri, Document>,
    /// Documents to lint again once their deadline passes.
    pending: HashMap<Uri, Instant>,
}

pub(crate) fn serve(connection: Connection, today: impl Fn() -> NaiveDate) -> anyhow::Result<()> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, fix_all_kind()]),
            resolve_provider: Some(true),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    };
    let params = connection
        .initialize(serde_json::to_value(capabilities)?)
        .context("the initialize handshake")?;
    let params: InitializeParams =
        serde_json::from_value(params).context("reading the initialize parameters")?;
    let mut server = Server {
        connection: &connection,
        today,
        root: workspace_root(&params),
        config: None,
        config_open: false,
        resolve_edits: client_resolves_edits(&params),
        documents: HashMap::new(),
        pending: HashMap::new(),
    };
    server.load_config_from_disk();
    server.watch_config(&params)?;
    server.run()
}

/// True when the client can fetch a code action's edit once the action is picked.
fn client_resolves_edits(params: &InitializeParams) -> bool {
    params
        .capabilities
        .text_document
        .as_ref()
        .and_then(|t| t.code_action.as_ref())
        .and_then(|c| c.resolve_support.as_ref())
        .is_some_and(|r| r.properties.iter().any(|p| p == "edit"))
}

/// The first workspace folder, else the (deprecated) root URI.
#[allow(deprecated)]
fn workspace_root(params: &InitializeParams) -> Option<PathBuf> {
    params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .and_then(|f| file_path(&f.uri))
        .or_else(|| params.root_uri.as_ref().and_then(file_path))
        .or_else(|| params.root_path.as_ref().map(PathBuf::from))
}

/// The local path of a `file:` URI.
fn file_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file:///x` has an empty authority; `file://host/x` is not a local file.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(path)?;
    // `file:///C:/x` on Windows.
    let decoded = match decoded.as_bytes() {
        [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => decoded[1..].to_string(),
        _ => decoded,
    };
    Some(PathBuf::from(decoded))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl<T: Fn() -> NaiveDate> Server<'_, T> {
    fn run(&mut self) -> anyhow::Result<()> {
        loop {
            let next = self.pending.values().min().copied();
            let message = match next {
                Some(deadline) => match self.connection.receiver.recv_deadline(deadline) {
                    Ok(m) => Some(m),
                    Err(e) if e.is_timeout() => None,
                    Err(_) => return Ok(()),
                },
                None => match self.connection.receiver.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return Ok(()),
                },
            };
            match message {
                None => self.flush_due(),
                Some(Message::Request(request)) => {
                    if self.connection.handle_shutdown(&request)? {
                        return Ok(());
                    }
                    self.request(request)?;
                }
                Some(Message::Notification(n)) => {
                    let method = n.method.clone();
                    // A malformed notification is the client's bug: say so, keep serving.
                    if let Err(e) = self.notification(n) {
                        self.notify::<LogMessage>(LogMessageParams {
                            typ: MessageType::ERROR,
                            message: format!("kubenudge: cannot handle {method}: {e:#}"),
                        })?;
                    }
                }
                Some(Message::Response(_)) => {}
            }
        }
    }

    fn send(&self, message: impl Into<Message>) -> anyhow::Result<()> {
        self.connection
            .sender
            .send(message.into())
            .context("the client went away")
    }

    fn notify<N: lsp_types::notification::Notification>(
        &self,
        params: N::Params,
    ) -> anyhow::Result<()> {
        self.send(Notification::new(N::METHOD.to_string(), params))
    }

    // ---- the policy ----

    fn config_path(&self) -> Option<PathBuf> {
        self.root.as_ref().map(|r| r.join(CONFIG_PATH))
    }

    fn load_config_from_disk(&mut self) {
        let Some(path) = self.config_path() else {
            return;
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            return;
        };
        if let Err(errors) = self.set_config(&text) {
            let mut message = format!(
                "kubenudge: {CONFIG_PATH} has errors; the defaults (restricted, latest) apply:"
            );
            for e in errors.iter().take(5) {
                message.push_str(&format!("\n{e}"));
            }
            let _ = self.notify::<ShowMessage>(ShowMessageParams {
                typ: MessageType::WARNING,
                message,
            });
        }
    }

    /// Applies a configuration text; a broken one means the defaults, as in the App.
    fn set_config(&mut self, text: &str) -> Result<(), Vec<ConfigError>> {
        match parse_config(CONFIG_PATH, text) {
            Ok(config) => {
                self.config = Some(config);
                Ok(())
            }
            Err(errors) => {
                self.config = None;
                Err(errors)
            }
        }
    }

    fn is_config(&self, uri: &Uri) -> bool {
        self.config_path()
            .zip(file_path(uri))
            .is_some_and(|(config, path)| config == path)
    }

    /// The configuration file open in the editor: its mistakes become its diagnostics, and
    /// every other open document is linted again under the new policy.
    fn config_changed(&mut self, uri: &Uri, text: &str, version: i32) -> anyhow::Result<()> {
        let errors = self.set_config(text).err().unwrap_or_default();
        let index = LineIndex::new(text);
        let diagnostics = errors
            .iter()
            .map(|e| {
                let at = index.engine_byte(Position::new(
                    e.line.saturating_sub(1) as u32,
                    e.column.saturating_sub(1) as u32,
                ));
                Diagnostic {
                    range: index.range(at, at),
                    severity: Some(DiagnosticSeverity::ERROR),
                    source: Some(analysis::SOURCE.to_string()),
                    message: e.message.clone(),
                    ..Diagnostic::default()
                }
            })
            .collect();
        self.notify::<PublishDiagnostics>(PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics,
            version: Some(version),
        })?;
        self.relint_all()
    }

    /// Lints every open document again (the policy changed).
    fn relint_all(&mut self) -> anyhow::Result<()> {
        let open: Vec<Uri> = self.documents.keys().cloned().collect();
        for uri in open {
            if let Some(doc) = self.documents.get_mut(&uri) {
                doc.analysis = None;
            }
            self.publish(&uri)?;
        }
        Ok(())
    }

    /// Asks the client to report changes of the configuration file on disk (a branch switch,
    /// a pull), when it can watch files for a server.
    fn watch_config(&self, params: &InitializeParams) -> anyhow::Result<()> {
        let can_watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        if !can_watch || self.root.is_none() {
            return Ok(());
        }
        let registration = serde_json::json!({
            "registrations": [{
                "id": "kubenudge-config",
                "method": DidChangeWatchedFiles::METHOD,
                "registerOptions": {"watchers": [{"globPattern": format!("**/{CONFIG_PATH}")}]},
            }]
        });
        self.send(Request::new(
            RequestId::from("kubenudge-watch-config".to_string()),
            RegisterCapability::METHOD.to_string(),
            registration,
        ))
    }

    // ---- documents ----

    /// The file name findings carry: the path relative to the workspace root (so the
    /// policy's path globs match), else the full path, else the URI.
    fn display_name(&self, uri: &Uri) -> String {
        match file_path(uri) {
            Some(path) => self
                .root
                .as_deref()
                .and_then(|root| path.strip_prefix(root).ok())
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/"),
            None => uri.as_str().to_string(),
        }
    }

    /// Lints the document if its analysis is out of date.
    fn analysed(&mut self, uri: &Uri) -> Option<&Document> {
        let name = self.display_name(uri);
        let today = (self.today)();
        let config = self.config.as_ref();
        let root = self.root.as_deref();
        let doc = self.documents.get_mut(uri)?;
        // A pending change stays pending: its diagnostics are still published when the
        // debounce ends, from this analysis.
        if doc.analysis.is_none() {
            // Only with a policy does the namespace matter; only inside the workspace is
            // there a kustomization to find.
            let kustomizations = match (config, root) {
                (Some(_), Some(root)) if file_path(uri).is_some_and(|p| p.starts_with(root)) => {
                    crate::repo_files::kustomizations_for(root, [name.as_str()])
                }
                _ => Vec::new(),
            };
            doc.analysis = Some(analysis::analyse(
                &name,
                &doc.text,
                config,
                today,
                &kustomizations,
            ));
        }
        Some(doc)
    }

    fn publish(&mut self, uri: &Uri) -> anyhow::Result<()> {
        let config = self.config.clone();
        let Some(doc) = self.analysed(uri) else {
            return Ok(());
        };
        let index = LineIndex::new(&doc.text);
        let diagnostics = doc
            .analysis
            .as_ref()
            .map(|a| a.diagnostics(&index, config.as_ref()))
            .unwrap_or_default();
        let params = PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics,
            version: Some(doc.version),
        };
        self.notify::<PublishDiagnostics>(params)
    }

    fn flush_due(&mut self) {
        let now = Instant::now();
        let due: Vec<Uri> = self
            .pending
            .iter()
            .filter(|(_, deadline)| **deadline <= now)
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in due {
            self.pending.remove(&uri);
            let _ = self.publish(&uri);
        }
    }

    fn notification(&mut self, n: Notification) -> anyhow::Result<()> {
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let p: lsp_types::DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
                let uri = p.text_document.uri;
                let (text, version) = (p.text_document.text, p.text_document.version);
                if self.is_config(&uri) {
                    self.config_open = true;
                    return self.config_changed(&uri, &text, version);
                }
                // Clients that start one server for every file (or a Markdown buffer) would
                // otherwise get "invalid YAML" on prose.
                let language = p.text_document.language_id.as_str();
                let manifest_name =
                    uri.as_str().rsplit('/').next().is_some_and(|name| {
                        crate::cli::is_manifest_name(std::path::Path::new(name))
                    });
                if !matches!(language, "yaml" | "json" | "jsonc" | "helm") && !manifest_name {
                    return Ok(());
                }
                self.documents.insert(
                    uri.clone(),
                    Document {
                        text,
                        version,
                        analysis: None,
                    },
                );
                self.publish(&uri)
            }
            DidChangeTextDocument::METHOD => {
                let p: lsp_types::DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
                let uri = p.text_document.uri;
                // Full synchronisation: the last change holds the whole text.
                let Some(change) = p.content_changes.into_iter().next_back() else {
                    return Ok(());
                };
                if self.is_config(&uri) {
                    return self.config_changed(&uri, &change.text, p.text_document.version);
                }
                if let Some(doc) = self.documents.get_mut(&uri) {
                    doc.text = change.text;
                    doc.version = p.text_document.version;
                    doc.analysis = None;
                    self.pending.insert(uri, Instant::now() + DEBOUNCE);
                }
                Ok(())
            }
            DidSaveTextDocument::METHOD => Ok(()),
            DidChangeWatchedFiles::METHOD => {
                let p: lsp_types::DidChangeWatchedFilesParams = serde_json::from_value(n.params)?;
                // While the file is open in the editor, its text there is the policy.
                if self.config_open || !p.changes.iter().any(|c| self.is_config(&c.uri)) {
                    return Ok(());
                }
                self.config = None;
                self.load_config_from_disk();
                self.relint_all()
            }
            DidCloseTextDocument::METHOD => {
                let p: lsp_types::DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
                let uri = p.text_document.uri;
                self.documents.remove(&uri);
                self.pending.remove(&uri);
                if self.is_config(&uri) {
                    // Back to what is on disk.
                    self.config_open = false;
                    self.config = None;
                    self.load_config_from_disk();
                    self.relint_all()?;
                }
                self.notify::<PublishDiagnostics>(PublishDiagnosticsParams {
                    uri,
                    diagnostics: Vec::new(),
                    version: None,
                })
            }
            _ => Ok(()),
        }
    }

    fn request(&mut self, request: Request) -> anyhow::Result<()> {
        let id = request.id.clone();
        let response = match request.method.as_str() {
            CodeActionRequest::METHOD => match serde_json::from_value(request.params) {
                Ok(params) => Response::new_ok(id, self.code_actions(&params)),
                Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
            },
            CodeActionResolveRequest::METHOD => match serde_json::from_value(request.params) {
                Ok(action) => Response::new_ok(id, self.resolve_code_action(action)),
                Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
            },
            HoverRequest::METHOD => match serde_json::from_value(request.params) {
                Ok(params) => Response::new_ok(id, self.hover(&params)),
                Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string()),
            },
            other => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("kubenudge does not handle {other}"),
            ),
        };
        self.send(response)
    }

    // ---- features ----

    fn code_actions(&mut self, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let uri = &params.text_document.uri;
        let wanted = |kind: &CodeActionKind| {
            params.context.only.as_ref().is_none_or(|only| {
                only.iter().any(|o| {
                    kind.as_str() == o.as_str()
                        || kind.as_str().starts_with(&format!("{}.", o.as_str()))
                })
            })
        };
        let config = self.config.clone();
        let name = self.display_name(uri);
        let self_resolves = self.resolve_edits;
        let Some(doc) = self.analysed(uri) else {
            return Vec::new();
        };
        let Some(analysis) = doc.analysis.as_ref() else {
            return Vec::new();
        };
        let index = LineIndex::new(&doc.text);
        let diagnostics = analysis.diagnostics(&index, config.as_ref());
        let mut actions = Vec::new();
        if wanted(&CodeActionKind::QUICKFIX) {
            for ((finding, range), diagnostic) in analysis
                .result
                .findings
                .iter()
                .zip(analysis.ranges(&index))
                .zip(&diagnostics)
            {
                let Some(fix) = &finding.fix else { continue };
                if !overlaps(range, params.range) {
                    continue;
                }
                let mut title = fix.title.replace('`', "");
                if fix.safety == FixSafety::Review {
                    title.push_str(" (needs review)");
                }
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(workspace_edit(
                        uri,
                        analysis::text_edits(&index, &fix.edits),
                    )),
                    is_preferred: Some(fix.safety == FixSafety::Safe),
                    ..CodeAction::default()
                }));
            }
        }
        if wanted(&fix_all_kind()) && self_resolves {
            // Listed now, computed when picked (`codeAction/resolve`): a fix run re-lints the
            // file, too slow for every cursor move on a big one.
            for include_review in analysis.fix_all_kinds() {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix_all_title(include_review).to_string(),
                    kind: Some(fix_all_kind()),
                    data: Some(serde_json::json!({"uri": uri, "includeReview": include_review})),
                    ..CodeAction::default()
                }));
            }
        } else if wanted(&fix_all_kind()) {
            let fixes = analysis.fix_all(&name, &doc.text, config.as_ref());
            for (include_review, edit) in fixes {
                actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix_all_title(*include_review).to_string(),
                    kind: Some(fix_all_kind()),
                    edit: Some(workspace_edit(
                        uri,
                        analysis::text_edits(&index, std::slice::from_ref(edit)),
                    )),
                    ..CodeAction::default()
                }));
            }
        }
        actions
    }

    /// Fills in the edit of a "fix all" action listed without one.
    fn resolve_code_action(&mut self, mut action: CodeAction) -> CodeAction {
        let data = action.data.clone().unwrap_or_default();
        let include_review = data["includeReview"].as_bool().unwrap_or(false);
        let Some(uri) = data["uri"].as_str().and_then(|u| u.parse::<Uri>().ok()) else {
            return action;
        };
        let config = self.config.clone();
        let name = self.display_name(&uri);
        let Some(doc) = self.analysed(&uri) else {
            return action;
        };
        let Some(analysis) = doc.analysis.as_ref() else {
            return action;
        };
        let index = LineIndex::new(&doc.text);
        let edits = analysis
            .fix_all(&name, &doc.text, config.as_ref())
            .iter()
            .filter(|(review, _)| *review == include_review)
            .flat_map(|(_, edit)| analysis::text_edits(&index, std::slice::from_ref(edit)))
            .collect();
        action.edit = Some(workspace_edit(&uri, edits));
        action
    }

    fn hover(&mut self, params: &HoverParams) -> Option<lsp_types::Hover> {
        let uri = &params.text_document_position_params.text_document.uri;
        let at = params.text_document_position_params.position;
        let config = self.config.clone();
        let doc = self.analysed(uri)?;
        let analysis = doc.analysis.as_ref()?;
        let index = LineIndex::new(&doc.text);
        let mut sections = Vec::new();
        let mut range = None;
        for (finding, r) in analysis.result.findings.iter().zip(analysis.ranges(&index)) {
            if !(r.start <= at && at <= r.end) {
                continue;
            }
            range.get_or_insert(r);
            let rule = crate::rules::find(finding.rule);
            let mut md = format!("**{}**", finding.rule);
            if let Some(rule) = rule {
                md.push_str(&format!(" — {}", rule.summary()));
            }
            md.push_str(&format!("\n\n{}", finding.message));
            if let Some(why) = crate::rollout::impact::doc_section(finding.rule, "Why it matters") {
                md.push_str(&format!("\n\n{why}"));
            }
            if let Some(fix) = &finding.fix {
                md.push_str(&format!("\n\nFix: {}", fix.title));
                if fix.safety == FixSafety::Review {
                    md.push_str(&format!(" — needs review: {}", fix.caveat));
                }
            }
            md.push_str(&format!(
                "\n\n[Guidance: how to comply or ask for an exception]({})",
                analysis::guidance_link(config.as_ref(), finding.rule)
            ));
            sections.push(md);
        }
        if sections.is_empty() {
            return None;
        }
        Some(lsp_types::Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: sections.join("\n\n---\n\n"),
            }),
            range,
        })
    }
}

/// True when two ranges share a position (an empty request range is the cursor).
fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

fn workspace_edit(uri: &Uri, edits: Vec<lsp_types::TextEdit>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_become_paths() {
        let uri: Uri = "file:///work/my%20repo/app.yaml".parse().unwrap();
        assert_eq!(
            file_path(&uri),
            Some(PathBuf::from("/work/my repo/app.yaml"))
        );
        let untitled: Uri = "untitled:Untitled-1".parse().unwrap();
        assert_eq!(file_path(&untitled), None);
        assert_eq!(percent_decode("%zz"), None);
    }
}
