//! `kubenudge render DIR`: builds a kustomization as `kustomize build DIR` does, or renders
//! a Helm chart (a directory with `Chart.yaml`) as `helm template` does, and prints the YAML
//! stream; what could not be checked (remote bases, dependencies not vendored) goes to stderr.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::cli::{EXIT_CLEAN, EXIT_ERROR};
use crate::render::{
    BuildLimits, ChartOptions, Disk, build_kustomization, is_chart_dir, render_chart,
    to_yaml_stream,
};

#[derive(Args, Debug)]
pub struct RenderArgs {
    /// A directory holding kustomization.yaml (or .yml, or Kustomization), or a Helm chart
    /// (Chart.yaml).
    pub dir: PathBuf,
    /// Chart only: a values file, merged over the chart's values.yaml (repeatable; later
    /// files win).
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Chart only: set a value (`a.b=c`, `list[0]=x`, comma-separated; repeatable; applied
    /// after the values files).
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Chart only: the release namespace (`.Release.Namespace`).
    #[arg(long, short = 'n', default_value = "default")]
    pub namespace: String,
    /// Chart only: the release name (`.Release.Name`).
    #[arg(long, default_value = "release-name")]
    pub release_name: String,
    /// Chart only: print only the documents of these templates (`templates/x.yaml`, globs
    /// allowed; repeatable).
    #[arg(long, short = 's', value_name = "TEMPLATE_PATH")]
    pub show_only: Vec<String>,
    /// Chart only: print the CRDs of the chart's `crds/` folders first.
    #[arg(long)]
    pub include_crds: bool,
    /// Chart only: leave out test hooks (`helm.sh/hook: test`).
    #[arg(long)]
    pub skip_tests: bool,
    /// Chart only: the Kubernetes version `.Capabilities.KubeVersion` reports (default
    /// v1.20.0, as `helm template`); also checked against Chart.yaml's `kubeVersion`.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Chart only: API versions `.Capabilities.APIVersions.Has` reports beyond the built-in
    /// ones (`group/version` or `group/version/Kind`; comma-separated; repeatable).
    #[arg(long, short = 'a', value_name = "GROUP/VERSION")]
    pub api_versions: Vec<String>,
    /// `helm template --name-template`: the release name from a template (hidden: taken so
    /// helm template command lines run unchanged).
    #[arg(long, hide = true)]
    pub name_template: Option<String>,
    /// Accepted and ignored, as `helm template --debug` only changes how errors print.
    #[arg(long, hide = true)]
    pub debug: bool,
    /// Accepted and ignored (`helm template --wait=...` changes nothing rendered).
    #[arg(long, hide = true, value_name = "STRATEGY", num_args = 0..=1, default_missing_value = "true")]
    pub wait: Option<String>,
}

impl RenderArgs {
    fn chart_flags_used(&self) -> bool {
        !self.values.is_empty()
            || !self.set.is_empty()
            || self.namespace != "default"
            || self.release_name != "release-name"
            || !self.show_only.is_empty()
            || self.include_crds
            || self.skip_tests
            || self.kube_version.is_some()
            || !self.api_versions.is_empty()
            || self.name_template.is_some()
    }
}

pub(crate) fn render(args: &RenderArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if is_chart_dir(&Disk, &args.dir) {
        return render_helm(args, out, err);
    }
    if args.chart_flags_used() {
        let _ = writeln!(
            err,
            "error: {} has no Chart.yaml; --values, --set, --namespace, --release-name, \
             --show-only, --include-crds, --skip-tests, --kube-version and --api-versions \
             apply to Helm charts",
            crate::render::display_path(&args.dir)
        );
        return EXIT_ERROR;
    }
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

fn render_helm(args: &RenderArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let release_name = match &args.name_template {
        Some(t) => match crate::render::expand_name_template(t) {
            Ok(name) => name,
            Err(e) => {
                let _ = writeln!(err, "Error: --name-template: {e}");
                return EXIT_ERROR;
            }
        },
        None => args.release_name.clone(),
    };
    let opts = ChartOptions {
        values_files: args.values.clone(),
        set: args.set.clone(),
        namespace: args.namespace.clone(),
        release_name,
        show_only: args.show_only.clone(),
        include_crds: args.include_crds,
        skip_tests: args.skip_tests,
        kube_version: args.kube_version.clone(),
        api_versions: args.api_versions.clone(),
        ..ChartOptions::default()
    };
    match render_chart(&Disk, &args.dir, &opts) {
        Ok(rendered) => {
            for note in &rendered.notes {
                let _ = writeln!(err, "note: {note}");
            }
            let _ = out.write_all(rendered.to_stream().as_bytes());
            EXIT_CLEAN
        }
        Err(e) => {
            let _ = writeln!(err, "Error: {e}");
            EXIT_ERROR
        }
    }
}
