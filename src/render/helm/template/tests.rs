//! Template language tests: Go text/template semantics as charts rely on them.

use std::time::Duration;

use super::exec::{Exec, ExecLimits, TemplateFile, TemplateSet, TextSource};
use super::value::Value;
use crate::manifest::SourceText;
use crate::render::origin::FileId;

/// Runs on a big stack, as `render_chart` does.
fn run_with(files: &[(&str, &str)], data: &str, limits: ExecLimits) -> Result<String, String> {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(256 * 1024 * 1024)
            .spawn_scoped(s, || run_here(files, data, limits))
            .unwrap()
            .join()
            .unwrap()
    })
}

fn run_here(files: &[(&str, &str)], data: &str, limits: ExecLimits) -> Result<String, String> {
    let mut set = TemplateSet::default();
    for (i, (name, text)) in files.iter().enumerate() {
        set.add_file(TemplateFile {
            name: name.to_string(),
            text: SourceText::new(text),
            source: TextSource::File(FileId(i as u32)),
        })
        .map_err(|e| e.to_string())?;
    }
    let dot = crate::render::helm::yaml::parse_value(data, None).unwrap();
    let mut ex = Exec::new(&set, limits);
    match ex.execute(files[0].0, dot) {
        Some(Ok(t)) => Ok(t.s),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("no template".into()),
    }
}

fn run(text: &str, data: &str) -> String {
    run_with(&[("t.yaml", text)], data, ExecLimits::default())
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn fails(text: &str, data: &str) -> String {
    match run_with(&[("t.yaml", text)], data, ExecLimits::default()) {
        Ok(out) => panic!("{text:?} rendered {out:?}"),
        Err(e) => e,
    }
}

#[test]
fn truthiness_is_gos() {
    let data =
        "zero: 0\nfzero: 0.0\nempty: ''\nlist: []\nmap: {}\nf: false\ns: '0'\none: 1\nnull: ~";
    for (expr, want) in [
        (".zero", "F"),
        (".fzero", "F"),
        (".empty", "F"),
        (".list", "F"),
        (".map", "F"),
        (".f", "F"),
        (".missing", "F"),
        (".null", "F"),
        (".s", "T"),
        (".one", "T"),
        ("(list 0)", "T"),
    ] {
        assert_eq!(
            run(&format!("{{{{if {expr}}}}}T{{{{else}}}}F{{{{end}}}}"), data),
            want,
            "{expr}"
        );
    }
}

#[test]
fn nil_prints_as_nothing_and_fields_of_nil_fail_as_in_helm() {
    assert_eq!(run("a{{ .missing }}b", "x: 1"), "ab");
    let e = fails("line1\n  {{ .missing.deeper }}", "x: 1");
    assert!(e.contains("t.yaml:2:5"), "{e}");
    assert!(
        e.contains("nil pointer evaluating interface {}.deeper"),
        "{e}"
    );
    assert_eq!(run("{{ .missing | default \"d\" }}", "x: 1"), "d");
    // `and` stops at the first false value, so the guard works.
    assert_eq!(
        run("{{ if and .a .a.b }}y{{ else }}n{{ end }}", "x: 1"),
        "n"
    );
    assert_eq!(run("{{ printf \"%v\" .missing }}", "x: 1"), "<nil>");
}

#[test]
fn maps_range_in_key_order_and_lists_by_index() {
    let data = "m: {b: 2, a: 1, c: 3}\nl: [x, z]";
    assert_eq!(
        run("{{ range $k, $v := .m }}{{ $k }}={{ $v }};{{ end }}", data),
        "a=1;b=2;c=3;"
    );
    assert_eq!(run("{{ range .m }}{{ . }}{{ end }}", data), "123");
    assert_eq!(
        run("{{ range $i, $e := .l }}{{ $i }}{{ $e }}{{ end }}", data),
        "0x1z"
    );
    assert_eq!(
        run("{{ range .none }}x{{ else }}empty{{ end }}", data),
        "empty"
    );
    assert_eq!(run("{{ range 3 }}{{ . }}{{ end }}", data), "012");
    assert!(fails("{{ range .s }}{{ end }}", "s: str").contains("range can't iterate over str"));
}

#[test]
fn printf_and_printing_follow_go() {
    let data = "m: {b: [x, z], a: 1}\nbig: 1000000\nf: 1.5\nport: 80\nname: web";
    assert_eq!(run("{{ printf \"%v\" .m }}", data), "map[a:1 b:[x z]]");
    assert_eq!(run("{{ .big }}", data), "1e+06");
    assert_eq!(run("{{ .f }} {{ .port }}", data), "1.5 80");
    assert_eq!(run("{{ printf \"%d\" .port }}", data), "%!d(float64=80)");
    assert_eq!(run("{{ printf \"%d\" (int .port) }}", data), "80");
    assert_eq!(run("{{ printf \"%s-%s\" .name \"x\" }}", data), "web-x");
    assert_eq!(run("{{ .m }}", data), "map[a:1 b:[x z]]");
    assert_eq!(run("{{ list 1 \"a\" nil }}", data), "[1 a <nil>]");
    assert_eq!(run("{{ print 1 2 \"a\" 3 }}", data), "1 2a3");
}

#[test]
fn whitespace_trim_markers_eat_spaces_and_newlines() {
    let t = "a:\n  {{- if true }}\n  b: 1\n  {{- end }}\nc: {{- \" x\" -}}  \n  d";
    assert_eq!(run(t, "x: 1"), "a:\n  b: 1\nc: xd");
    assert_eq!(run("x {{/* comment */}} y", "x: 1"), "x  y");
    assert_eq!(run("x {{- /* comment */ -}} y", "x: 1"), "xy");
}

#[test]
fn variables_have_scopes_and_assignment_reaches_out() {
    let t = "{{ $x := 1 }}{{ range list 1 2 3 }}{{ $x = . }}{{ end }}{{ $x }}";
    assert_eq!(run(t, "a: 1"), "3");
    let t = "{{ with .a }}{{ $y := . }}{{ $y }}{{ end }}";
    assert_eq!(run(t, "a: v"), "v");
    assert!(
        fails("{{ with .a }}{{ $y := . }}{{ end }}{{ $y }}", "a: v").contains("undefined variable")
    );
    assert_eq!(
        run("{{ range .l }}{{ $.top }}{{ end }}", "l: [1, 2]\ntop: T"),
        "TT"
    );
}

#[test]
fn break_and_continue_leave_the_innermost_range() {
    let t = "{{ range $i, $e := until 10 }}{{ if eq $e 2 }}{{ continue }}{{ end }}{{ if gt $e 4 }}{{ break }}{{ end }}{{ $e }}{{ end }}";
    assert_eq!(run(t, "a: 1"), "0134");
}

#[test]
fn define_template_include_and_nindent_compose() {
    let helpers = r#"{{- define "labels" -}}
app: {{ .name }}
tier: web
{{- end -}}"#;
    let main = "metadata:\n  labels:\n    {{- include \"labels\" . | nindent 4 }}\n{{ template \"labels\" . }}";
    let out = run_with(
        &[("main.yaml", main), ("_helpers.tpl", helpers)],
        "name: shop",
        ExecLimits::default(),
    )
    .unwrap();
    assert_eq!(
        out,
        "metadata:\n  labels:\n    app: shop\n    tier: web\napp: shop\ntier: web"
    );
    let e = run_with(
        &[("main.yaml", "{{ include \"nope\" . }}")],
        "a: 1",
        ExecLimits::default(),
    )
    .unwrap_err();
    assert!(e.contains("no template \"nope\""), "{e}");
}

#[test]
fn yaml_1_1_values_read_as_helm_reads_them() {
    // `y` is true in YAML 1.1, as a value and as a key, so Go refuses to compare it with a
    // string, as Helm does.
    assert_eq!(
        run("{{ .a }} {{ index . \"true\" }}", "a: y\ny: 1"),
        "true 1"
    );
    assert!(fails("{{ eq .a \"y\" }}", "a: y").contains("incompatible types for comparison"));
}

#[test]
fn comparison_and_logic_functions() {
    assert_eq!(
        run(
            "{{ eq .a \"x\" \"z\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ ge .num 3 }}",
            "a: z\nnum: 3"
        ),
        "true true true true"
    );
    assert_eq!(
        run(
            "{{ or .none \"fallback\" }} {{ and 1 0 }} {{ not .none }}",
            "a: 1"
        ),
        "fallback 0 true"
    );
    assert_eq!(run("{{ eq .missing nil }}", "a: 1"), "true");
    assert_eq!(
        run(
            "{{ ternary \"a\" \"b\" true }} {{ coalesce .none \"\" \"c\" }}",
            "a: 1"
        ),
        "a c"
    );
}

#[test]
fn sprig_functions_charts_use() {
    let data = "name: My-App-Name-That-Is-Rather-Long-For-Kubernetes-Names-Really-Too-Long\nlist: [b, a, b]\nm: {x: 1}";
    assert_eq!(
        run("{{ .name | lower | trunc 20 | trimSuffix \"-\" }}", data),
        "my-app-name-that-is"
    );
    assert_eq!(
        run(
            "{{ \"a b\" | quote }} {{ 5 | quote }} {{ \"x\" | squote }}",
            data
        ),
        "\"a b\" \"5\" 'x'"
    );
    assert_eq!(
        run("{{ .list | uniq | sortAlpha | join \",\" }}", data),
        "a,b"
    );
    assert_eq!(run("{{ toYaml .m | indent 2 }}", data), "  x: 1");
    assert_eq!(
        run("{{ dict \"k\" \"v\" | toJson }}", data),
        "{\"k\":\"v\"}"
    );
    assert_eq!(
        run(
            "{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"b\" 2 }}{{ keys $d | sortAlpha }}",
            data
        ),
        "[a b]"
    );
    assert_eq!(
        run(
            "{{ merge (dict \"a\" 1) (dict \"a\" 2 \"b\" 3) | toJson }}",
            data
        ),
        "{\"a\":1,\"b\":3}"
    );
    assert_eq!(
        run(
            "{{ mergeOverwrite (dict \"a\" 1) (dict \"a\" 2) | toJson }}",
            data
        ),
        "{\"a\":2}"
    );
    assert_eq!(
        run("{{ \"hello\" | b64enc }} {{ \"aGVsbG8=\" | b64dec }}", data),
        "aGVsbG8= hello"
    );
    assert_eq!(run("{{ \"abc\" | sha256sum | trunc 8 }}", data), "ba7816bf");
    assert_eq!(
        run(
            "{{ regexReplaceAll \"[^a-z]\" \"a1b2\" \"-\" }} {{ regexMatch \"^v[0-9]\" \"v1\" }}",
            data
        ),
        "a-b- true"
    );
    assert_eq!(
        run(
            "{{ add 1 2 }} {{ sub 5 3 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }} {{ max 1 5 3 }}",
            data
        ),
        "3 2 6 3 1 5"
    );
    assert_eq!(
        run(
            "{{ splitList \",\" \"a,b\" | last }} {{ (split \":\" \"h:p\")._1 }}",
            data
        ),
        "b p"
    );
    assert_eq!(
        run("{{ semverCompare \">=1.19-0\" \"v1.20.0\" }}", data),
        "true"
    );
    assert_eq!(run("{{ (fromYaml \"a: {b: 2}\").a.b }}", data), "2");
    assert_eq!(
        run(
            "{{ \"x\" | repeat 3 }} {{ substr 1 3 \"hello\" }} {{ title \"hello world\" }}",
            data
        ),
        "xxx el Hello World"
    );
    assert_eq!(run("{{ tpl \"{{ .name | trunc 2 }}\" . }}", data), "My");
    assert_eq!(
        run(
            "{{ hasKey .m \"x\" }} {{ get .m \"x\" }} {{ pick .m \"x\" | toJson }}",
            data
        ),
        "true 1 {\"x\":1}"
    );
    assert_eq!(run("{{ randAlphaNum 5 | len }}", data), "5");
}

#[test]
fn errors_say_where_and_why_as_helm_does() {
    let e = fails("a: 1\nb: {{ required \"b is required\" .b }}", "x: 1");
    assert!(e.starts_with("t.yaml:2:6\n"), "{e}");
    assert!(e.contains("error calling required: b is required"), "{e}");
    let e = fails("x\n  - name: {{ .missing | b64enc }}", "x: 1");
    assert!(e.starts_with("t.yaml:2:24"), "{e}");
    assert!(e.ends_with("invalid value; expected string"), "{e}");
    let e = fails("{{ fail \"no\" }}", "x: 1");
    assert!(e.contains("error calling fail: no"), "{e}");
    let e = run_with(
        &[("t.yaml", "a\n{{ nosuch 1 }}")],
        "x: 1",
        ExecLimits::default(),
    )
    .unwrap_err();
    assert_eq!(
        e,
        "parse error at (t.yaml:2): function \"nosuch\" not defined"
    );
}

#[test]
fn a_template_that_includes_itself_stops_with_an_error() {
    let t = r#"{{- define "loop" -}}{{ include "loop" . }}{{- end -}}{{ include "loop" . }}"#;
    let e = fails(t, "a: 1");
    assert!(e.contains("nesting deeper than 100 levels"), "{e}");
    let t = r#"{{- define "loop" -}}{{ template "loop" . }}{{- end -}}{{ template "loop" . }}"#;
    assert!(fails(t, "a: 1").contains("nesting deeper"));
    let t = r#"{{ tpl "{{ tpl .s . }}" . }}"#;
    assert!(fails(t, "s: '{{ tpl .s . }}'").contains("nesting deeper"));
}

#[test]
fn huge_loops_and_outputs_hit_limits_not_the_machine() {
    let limits = ExecLimits {
        max_steps: 100_000,
        max_output: 1024 * 1024,
        max_time: Duration::from_secs(5),
        ..ExecLimits::default()
    };
    let e = run_with(
        &[("t.yaml", "{{ range until 1000000 }}x{{ end }}")],
        "a: 1",
        limits.clone(),
    )
    .unwrap_err();
    assert!(e.contains("steps"), "{e}");
    let e = run_with(
        &[("t.yaml", "{{ range 1000000000000 }}x{{ end }}")],
        "a: 1",
        limits.clone(),
    )
    .unwrap_err();
    assert!(e.contains("step limit") || e.contains("steps"), "{e}");
    let e = run_with(
        &[("t.yaml", "{{ \"x\" | repeat 100000000 }}")],
        "a: 1",
        limits.clone(),
    )
    .unwrap_err();
    assert!(e.contains("output larger"), "{e}");
    let e = run_with(
        &[("t.yaml", "{{ until 100000000 }}")],
        "a: 1",
        limits.clone(),
    )
    .unwrap_err();
    assert!(e.contains("above the limit"), "{e}");
    // Doubling a string in a loop is caught by the output limit.
    let t = "{{ $s := \"xxxxxxxx\" }}{{ range until 40 }}{{ $s = printf \"%s%s\" $s $s }}{{ end }}{{ $s | len }}";
    let e = run_with(&[("t.yaml", t)], "a: 1", limits).unwrap_err();
    assert!(e.contains("larger"), "{e}");
}

#[test]
fn deep_nesting_is_a_parse_error() {
    let deep = "{{ if 1 }}".repeat(500) + &"{{ end }}".repeat(500);
    let e = run_with(&[("t.yaml", &deep)], "a: 1", ExecLimits::default()).unwrap_err();
    assert!(e.contains("nesting deeper"), "{e}");
    let parens = "{{ ".to_string() + &"(".repeat(5000) + "1" + &")".repeat(5000) + " }}";
    assert!(run_with(&[("t.yaml", &parens)], "a: 1", ExecLimits::default()).is_err());
}

#[test]
fn values_keep_their_origins_through_lookups() {
    let v = Value::str("x");
    assert!(v.segs_for(1).is_empty());
}

#[test]
fn path_functions_follow_gos_path_package() {
    assert_eq!(
        run(
            "{{ base \"a/b.yaml\" }} {{ dir \"a/b/c\" }} {{ ext \"x.tar.gz\" }} {{ clean \"a//b/../c/\" }}",
            "a: 1"
        ),
        "b.yaml a/b .gz a/c"
    );
    assert_eq!(
        run(
            "{{ (urlParse \"https://u@h:8080/p?q=1#f\").hostname }}",
            "a: 1"
        ),
        "h"
    );
}

#[test]
fn checksum_of_another_template_by_its_path() {
    let cm = "kind: ConfigMap\ndata:\n  k: {{ .k }}\n";
    let main = "checksum: {{ include (print \"c/templates/cm.yaml\") . | sha256sum | trunc 12 }}";
    let out = run_with(
        &[("c/templates/main.yaml", main), ("c/templates/cm.yaml", cm)],
        "k: v",
        ExecLimits::default(),
    )
    .unwrap();
    assert_eq!(out.len(), "checksum: ".len() + 12);
}

#[test]
fn a_map_cannot_be_made_to_contain_itself() {
    let e = fails(
        "{{ $d := dict }}{{ $_ := set $d \"x\" $d }}{{ toJson $d }}",
        "a: 1",
    );
    assert!(e.contains("a map cannot contain itself"), "{e}");
    // merge skips what would close a cycle.
    assert_eq!(
        run(
            "{{ $d := dict \"a\" 1 }}{{ $_ := merge $d (dict \"self\" $d) }}{{ toJson $d }}",
            "a: 1"
        ),
        "{\"a\":1}"
    );
    // Sharing one map at every level is small in memory and huge in print: refused.
    let t = "{{ $m := dict }}{{ range until 40 }}{{ $m = dict \"l\" $m \"r\" $m }}{{ end }}{{ toYaml $m }}";
    assert!(fails(t, "a: 1").contains("more than 2000000 nodes"));
}

#[test]
fn printing_a_huge_shared_value_stops_at_the_output_limit() {
    let t = "{{ $m := dict \"k\" \"v\" }}{{ range until 40 }}{{ $m = dict \"l\" $m \"r\" $m }}{{ end }}{{ $m }}";
    let e = fails(t, "a: 1");
    assert!(e.contains("output larger"), "{e}");
}

#[test]
fn a_field_of_a_nil_pipeline_or_variable_is_nil_as_in_go() {
    // The safe-navigation idiom of many charts.
    assert_eq!(
        run(
            "{{ if (((.Values.global).compat).openshift) }}y{{ else }}n{{ end }}",
            "Values: {}"
        ),
        "n"
    );
    assert_eq!(
        run("{{ $g := .Values.global }}[{{ $g.x }}]", "Values: {}"),
        "[]"
    );
    assert_eq!(
        run(
            "{{ template \"t\" .Values.missing }}{{ define \"t\" }}[{{ .x }}]{{ end }}",
            "Values: {}"
        ),
        "[]"
    );
    // A nil met inside a chain is still an error.
    assert!(
        fails("{{ .Values.global.x }}", "Values: {}")
            .contains("nil pointer evaluating interface {}.x")
    );
}

#[test]
fn common_library_idioms_render() {
    let helpers = r#"{{- define "lib.tplvalues" -}}
{{- $value := typeIs "string" .value | ternary .value (.value | toYaml) }}
{{- if contains "{{" (toJson .value) }}
  {{- if .scope }}
      {{- tpl (cat "{{- with $.RelativeScope -}}" $value "{{- end }}") (merge (dict "RelativeScope" .scope) .context) }}
  {{- else }}
    {{- tpl $value .context }}
  {{- end }}
{{- else }}
    {{- $value }}
{{- end }}
{{- end -}}
{{- define "lib.preset" -}}
{{- $presets := dict
  "nano" (dict
      "requests" (dict "cpu" "100m" "memory" "128Mi")
   )
 }}
{{- if hasKey $presets .type -}}
{{- index $presets .type | toYaml -}}
{{- else -}}
{{- printf "ERROR: preset '%s' invalid, allowed: %s" .type (join "," (keys $presets)) | fail -}}
{{- end -}}
{{- end -}}"#;
    let main = r#"labels: {{- include "lib.tplvalues" (dict "value" .Values.labels "context" $) | nindent 2 }}
name: {{ include "lib.tplvalues" (dict "value" .Values.name "context" $) }}
scoped: {{ include "lib.tplvalues" (dict "value" "{{ .k }}" "context" $ "scope" .Values.sub) }}
resources: {{- include "lib.preset" (dict "type" "nano") | nindent 2 }}"#;
    let data = "Values:\n  labels: {team: \"{{ .Release.Name }}\"}\n  name: plain\n  sub: {k: inner}\nRelease: {Name: rel}";
    let out = run_with(
        &[("main.yaml", main), ("_h.tpl", helpers)],
        data,
        ExecLimits::default(),
    )
    .unwrap();
    assert_eq!(
        out,
        "labels:\n  team: 'rel'\nname: plain\nscoped: inner\nresources:\n  requests:\n    cpu: 100m\n    memory: 128Mi"
    );
    let bad = "{{ include \"lib.preset\" (dict \"type\" \"huge\") }}";
    let e = run_with(
        &[("main.yaml", bad), ("_h.tpl", helpers)],
        data,
        ExecLimits::default(),
    )
    .unwrap_err();
    assert!(
        e.contains("ERROR: preset 'huge' invalid, allowed: nano"),
        "{e}"
    );
}

/// Random templates from the language's pieces never panic: they render or fail.
#[test]
fn random_templates_render_or_fail_but_never_panic() {
    const PIECES: &[&str] = &[
        "{{", "}}", "{{-", "-}}", " ", "\n", "if", "else", "end", "range", "with", "define",
        "\"x\"", "template", "include", ".", ".a", ".a.b", "$", "$x", ":=", "=", "|", "(", ")",
        "1", "-2", "3.5", "nil", "true", "toYaml", "nindent", "quote", "default", "index",
        "printf", "\"%v\"", "tpl", "dict", "list", "set", "break", "continue", "/*", "*/", "é",
        "`raw`", "'c'", ",", "len", "slice", "trunc", "substr", "eq", "and", "or", "not", "fail",
        "required", "keys",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let limits = ExecLimits {
        max_steps: 20_000,
        max_output: 1 << 20,
        ..ExecLimits::default()
    };
    for _ in 0..3000 {
        let n = (next() % 40) as usize;
        let text: String = (0..n)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let _ = run_with(&[("t.yaml", &text)], "a: {b: [1, x]}\nc: 2", limits.clone());
    }
}

#[test]
fn a_render_past_its_time_limit_stops() {
    let limits = ExecLimits {
        max_time: Duration::from_secs(0),
        ..ExecLimits::default()
    };
    let e = run_with(
        &[("t.yaml", "{{ range until 100000 }}x{{ end }}")],
        "a: 1",
        limits,
    )
    .unwrap_err();
    assert!(e.contains("longer than 0 s"), "{e}");
}
