//! `kubenudge render DIR`: builds a kustomization as `kustomize build DIR` does and prints the
//! YAML stream; what the build could not check (remote bases, Helm charts) goes to stderr.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::cli::{EXIT_CLEAN, EXIT_ERROR};
use crate::render::{BuildLimits, Disk, build_kustomization, to_yaml_stream};

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// A directory holding kustomization.yaml (or .yml, or Kustomization).
    pub dir: PathBuf,
}

pub(crate) fn render(args: &RenderArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let limits = BuildLimits::default();
    let build = match build_kustomization(&Disk, &args.dir, &limits) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(err, "{e}");
            return EXIT_ERROR;
        }
    };
    for note in &build.notes {
        let _ = writeln!(err, "note: {note}");
    }
    let text = to_yaml_stream(&build.objects);
    if text.len() > limits.max_output_bytes {
        let _ = writeln!(
            err,
            "error: the build of {} is {} MiB, above the {} MiB output limit",
            crate::render::display_path(&args.dir),
            text.len() / (1024 * 1024),
            limits.max_output_bytes / (1024 * 1024)
        );
        return EXIT_ERROR;
    }
    let _ = out.write_all(text.as_bytes());
    EXIT_CLEAN
}
