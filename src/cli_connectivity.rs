//! The `connectivity` command: reads manifests from disk and prints who can reach whom
//! (`netpol::connectivity`), the change against `--base`, or why one pair can or cannot talk
//! (`--explain`). Only reading files and printing live here; the model is `crate::netpol`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::cli::{EXIT_CLEAN, EXIT_ERROR, collect_files, display_path};
use crate::manifest::{Limits, ManifestFile, read_manifest};
use crate::netpol::{self, Format};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ConnectivityFormat {
    /// np-guard's lines: `src => dst : TCP 8080`.
    Txt,
    Md,
    Json,
    Mermaid,
    Dot,
}

#[derive(Args, Debug)]
pub struct ConnectivityArgs {
    /// Files or directories (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// Compare with the manifests at this path (the base; PATH is the head) and print the
    /// connections added, removed and changed.
    #[arg(long, value_name = "PATH")]
    pub base: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ConnectivityFormat::Txt)]
    pub format: ConnectivityFormat,
    /// Say which policy rules allow or deny SRC → DST, with file:line (names as printed:
    /// ns/name[Kind], an IPv4 address or range, {ingress-controller}).
    #[arg(long, num_args = 2, value_names = ["SRC", "DST"])]
    pub explain: Option<Vec<String>>,
}

#[derive(Subcommand, Debug)]
pub enum NetpolCommand {
    /// Propose a least-privilege NetworkPolicy for each workload no policy selects (YAML on
    /// stdout, with the connections it would leave open as comments).
    Suggest {
        /// Files or directories (default: the current directory).
        paths: Vec<PathBuf>,
    },
}

pub fn netpol(command: &NetpolCommand, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let NetpolCommand::Suggest { paths } = command;
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.clone()
    };
    let files = match read(&paths, err) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let suggestions = netpol::suggest(&files);
    if suggestions.is_empty() {
        let _ = writeln!(
            err,
            "Every labelled workload is already selected by a NetworkPolicy."
        );
        return EXIT_CLEAN;
    }
    for s in &suggestions {
        let _ = writeln!(out, "---");
        let _ = out.write_all(s.yaml.as_bytes());
        let _ = writeln!(out, "# With this policy, {} keeps:", s.workload);
        if s.allows.is_empty() {
            let _ = writeln!(out, "#   no connections");
        }
        for line in &s.allows {
            let _ = writeln!(out, "#   {line}");
        }
    }
    EXIT_CLEAN
}

pub fn connectivity(args: &ConnectivityArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let format = match args.format {
        ConnectivityFormat::Txt => Format::Txt,
        ConnectivityFormat::Md => Format::Md,
        ConnectivityFormat::Json => Format::Json,
        ConnectivityFormat::Mermaid => Format::Mermaid,
        ConnectivityFormat::Dot => Format::Dot,
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let head = match read(&paths, err) {
        Ok(files) => files,
        Err(code) => return code,
    };
    let head_model = netpol::model(&head);
    for w in &head_model.warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    if let Some(pair) = &args.explain {
        let (src, dst) = (&pair[0], &pair[1]);
        return match netpol::explain(&head_model, src, dst) {
            Ok(e) => {
                let _ = out.write_all(netpol::render_explanation(&e).as_bytes());
                EXIT_CLEAN
            }
            Err(message) => {
                let _ = writeln!(err, "error: {message}");
                EXIT_ERROR
            }
        };
    }
    let head_conns = netpol::connectivity_of(&head_model);
    let rendered = match &args.base {
        None => netpol::render_connectivity(&head_conns, format),
        Some(base) => {
            let base_files = match read(std::slice::from_ref(base), err) {
                Ok(files) => files,
                Err(code) => return code,
            };
            let base_model = netpol::model(&base_files);
            for w in &base_model.warnings {
                let _ = writeln!(err, "warning: base: {w}");
            }
            let diff = netpol::diff_of(&netpol::connectivity_of(&base_model), &head_conns);
            netpol::render_diff(&diff, format)
        }
    };
    let _ = out.write_all(rendered.as_bytes());
    EXIT_CLEAN
}

/// Reads and parses every manifest under `paths`; unreadable files are reported and left
/// out (the rest still counts), a missing path is an error.
fn read(paths: &[PathBuf], err: &mut dyn Write) -> Result<Vec<ManifestFile>, i32> {
    let files = collect_files(paths).map_err(|e| {
        let _ = writeln!(err, "error: {e}");
        EXIT_ERROR
    })?;
    let limits = Limits::default();
    let mut parsed = Vec::with_capacity(files.len());
    for path in files {
        let shown = display_path(&path);
        let bytes = std::fs::read(&path).map_err(|e| {
            let _ = writeln!(err, "error: cannot read {shown}: {e}");
            EXIT_ERROR
        })?;
        match read_manifest(&shown, &bytes, &limits) {
            Ok(file) => {
                for e in &file.errors {
                    let _ = writeln!(err, "warning: {e}");
                }
                parsed.push(file);
            }
            Err(e) => {
                let _ = writeln!(err, "warning: {e}");
            }
        }
    }
    Ok(parsed)
}
