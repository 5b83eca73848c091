use super::*;
use crate::manifest::read_manifest;

/// Documents with the shapes that make insertion points tricky: nested and same-indent
/// sequences, block scalars (clipped, kept, folded), multi-line plain and flow values (with
/// go-yaml's closing bracket at the key's column), comments, empty values, quoted keys,
/// anchors and merge keys.
const DOCUMENTS: &[&str] = &[
    "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.25
          resources:
            limits:
              memory: 256Mi
        - name: sidecar
          image: busybox
      volumes:
      - name: data
        emptyDir: {}
",
    "apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations:
    note: |
      first line

      third line
    kept: |+
      kept text


    folded: >-
      folded
      text
spec:
  containers:
  - name: app
    args: [
      \"--a\",
      \"--b\",
    ]
    command:
    - sh
    - -c
    - |
      echo hi
    env:
    - name: LONG
      value: a plain value
        continued here
    # a comment between keys
    image: nginx
  nodeSelector:
  restartPolicy: Always  # trailing comment
",
    "apiVersion: v1
kind: ConfigMap
metadata:
  name: c
  \"quoted\": x
  'single': y
data:
  base: &base
    a: 1
  other:
    <<: *base
    b: 2
",
    // An explicit key first (found by tests/fuzz.rs): its key sits two columns right of the
    // mapping's other keys.
    "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      ? complex
      containers:
        - name: app
          image: nginx
        - name: sidecar
          image: proxy
          securityContext:
            readOnlyRootFilesystem: true
",
    // The object in a second document, between markers; an item mapping after extra spaces;
    // a block scalar with an indentation indicator; a quoted value over two lines; an
    // anchor no alias uses; a tag.
    "kind: ConfigMap
apiVersion: v1
metadata: {name: first}
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: &labels
    app: p
spec:
  containers:
  -   name: app
      image: \"nginx
        :1.25\"
      args:
      - |2
          indented
  hostname: !!str web
...
",
    "apiVersion: v1
kind: Service
metadata:
  name: s
spec:
  ports:
  -
    port: 80
    targetPort: 8080
  selector: {app: web,
    tier: front}
",
];

/// Blocks inserted at every column: new keys, a key every document has, nested values, a
/// sequence at the key's indentation, a block scalar, a flow value, a null; new sequence
/// items (a word, a flow mapping, a mapping, a nested sequence, two items).
const BLOCKS: &[&str] = &[
    "fresh: 1\n",
    "name: dup\n",
    "image: dup\n",
    "fresh:\n  inner: true\n  more:\n    deep: x\n",
    "fresh:\n- a\n- b\n",
    "fresh: |\n  text\n",
    "fresh: [a, b]\n",
    "fresh:\n",
    "fresh: 1\nsecond: 2\n",
    "- item\n",
    "- {to: [{port: 53}], ports: [53]}\n",
    "- name: x\n  value: y\n",
    "- - nested\n",
    "- a\n- b\n",
];

fn indent(block: &str, column: usize) -> String {
    block
        .lines()
        .map(|l| format!("{}{l}\n", " ".repeat(column)))
        .collect()
}

fn check(text: &str, edits: &[Edit]) -> (bool, bool) {
    let file = read_manifest("doc.yaml", text.as_bytes(), &Limits::default()).unwrap();
    assert!(file.errors.is_empty(), "{:?}", file.errors);
    let local = file
        .objects
        .iter()
        .any(|object| insertions_keep_document_valid(&file, object, edits));
    let reparsed = super::super::verify(text, edits).is_ok();
    (local, reparsed)
}

#[test]
fn local_check_agrees_with_reparsing() {
    let (mut shown, mut valid, mut tried) = (0, 0, 0);
    for doc in DOCUMENTS {
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(doc.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        for &at in &line_starts {
            for column in 0..=14 {
                for block in BLOCKS {
                    let edit = Edit {
                        start: at,
                        end: at,
                        replacement: indent(block, column),
                    };
                    let (local, reparsed) = check(doc, std::slice::from_ref(&edit));
                    assert!(
                        !local || reparsed,
                        "passed without re-parsing but invalid: {:?} at byte {at}:\n{}",
                        edit.replacement,
                        super::super::apply_edits(doc, std::slice::from_ref(&edit)).unwrap()
                    );
                    tried += 1;
                    shown += usize::from(local);
                    valid += usize::from(reparsed);
                }
            }
        }
    }
    // The shortcut must carry weight: hundreds of the places (every key line and mapping end
    // of these documents, at its column) are shown valid without a re-parse.
    assert!(tried > 5_000, "{tried}");
    assert!(shown > 400, "{shown} of {valid} valid shown");
}

#[test]
fn two_insertions_at_one_place_pass_deepest_first_only() {
    let doc = DOCUMENTS[0];
    // The line after the last container (`image: busybox`): the end of that container's
    // mapping (column 10) and of... nothing else; the `volumes` key follows at column 6.
    let at = doc.find("      volumes:").unwrap();
    let deep = indent("securityContext:\n  privileged: false\n", 10);
    let shallow = indent("hostNetwork: false\n", 6);
    let edits = |a: &str, b: &str| {
        vec![
            Edit {
                start: at,
                end: at,
                replacement: a.into(),
            },
            Edit {
                start: at,
                end: at,
                replacement: b.into(),
            },
        ]
    };
    // Sorted as `apply_edits` sorts them, the deeper block (more leading spaces) comes first.
    assert_eq!(check(doc, &edits(&deep, &shallow)), (true, true));
    // The realiser writes both as one edit: the same.
    let mut one = edits(&format!("{deep}{shallow}"), "");
    one.pop();
    assert_eq!(check(doc, &one), (true, true));
    // A deeper block after a shallower one would join the shallower one's mapping: whatever
    // the re-parse says, the shortcut does not vouch for it.
    let mut e = edits(&shallow, &deep);
    e[1].replacement = indent("privileged: false\n", 8);
    e[0].replacement = indent("hostNetwork:\n", 6);
    assert!(!check(doc, &e).0);
}

#[test]
fn replacements_aliases_and_tabs_are_left_to_the_reparse() {
    let doc = DOCUMENTS[0];
    let at = doc.find("      volumes:").unwrap();
    let replace = Edit {
        start: at,
        end: at + 2,
        replacement: "  ".into(),
    };
    assert_eq!(check(doc, &[replace]), (false, true));
    let tab = Edit {
        start: at,
        end: at,
        replacement: "      hostPID:\tfalse\n".into(),
    };
    assert!(!check(doc, &[tab]).0);
    // A document with an anchor and an alias (and a merge key) is re-parsed whole.
    let doc = DOCUMENTS[2];
    let at = doc.find("\ndata:").unwrap() + 1;
    let edit = Edit {
        start: at,
        end: at,
        replacement: "immutable: true\n".into(),
    };
    assert_eq!(check(doc, &[edit]), (false, true));
}

/// Every block of up to four lines built from the shapes the realiser writes (and some it
/// does not), at four indentations: what the line-by-line reading accepts, the parser reads
/// as one block mapping with the same top-level keys.
#[test]
fn simple_blocks_read_as_the_parser_reads_them() {
    const SHAPES: &[&str] = &[
        "drop:",
        "drop: true",
        "type: RuntimeDefault",
        "- ALL",
        "name: 'x y'",
        "- \"quoted\"",
        "type: a b",
        "true: 1",
    ];
    let lines: Vec<String> = SHAPES
        .iter()
        .flat_map(|s| (0..4).map(move |i| format!("{}{s}\n", " ".repeat(2 * i))))
        .collect();
    let (mut accepted, mut tried) = (0, 0);
    let mut block = Vec::new();
    fn each(lines: &[String], block: &mut Vec<usize>, f: &mut dyn FnMut(&[usize])) {
        if !block.is_empty() {
            f(block);
        }
        if block.len() == 4 {
            return;
        }
        for i in 0..lines.len() {
            block.push(i);
            each(lines, block, f);
            block.pop();
        }
    }
    each(&lines, &mut block, &mut |b| {
        let text: String = b.iter().map(|&i| lines[i].as_str()).collect();
        let column = indentation(&text);
        if text.lines().any(|l| indentation(l) < column) {
            return;
        }
        tried += 1;
        let Some(read) = InsertedBlock::read_simple(&text, column) else {
            return;
        };
        accepted += 1;
        let (tree, docs) = parse_stream(&SourceText::new(&text), &Limits::default())
            .unwrap_or_else(|e| panic!("read line by line, refused by the parser ({e}):\n{text}"));
        let flow = tree.node(docs[0].root).flow;
        let NodeKind::Mapping { entries } = &tree.node(docs[0].root).kind else {
            panic!("not a mapping:\n{text}");
        };
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        assert!(!flow && docs.len() == 1, "{text}");
        assert_eq!(keys, read.keys, "{text}");
        assert!(tree.height(docs[0].root) as usize <= read.height, "{text}");
    });
    assert!(tried > 100_000 && accepted > 1_000, "{accepted} of {tried}");
}

/// What the realiser writes for the commonest fixes (a container's and a pod's
/// `securityContext`, a NetworkPolicy's DNS egress rule) is shown valid without a re-parse.
#[test]
fn the_realisers_common_fixes_need_no_reparse() {
    let text = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress, Egress]
  egress:
    - to:
        - namespaceSelector: {}
      ports:
        - port: 5432
";
    let result = crate::engine::lint(
        &[("app.yaml".to_string(), text.as_bytes().to_vec())],
        &Default::default(),
    );
    let file = &result.files[0];
    for object in &file.objects {
        let fixes: Vec<&crate::finding::Fix> = result
            .findings
            .iter()
            .filter(|f| f.object.name == object.name && f.object.kind == object.kind)
            .filter_map(|f| f.fix.as_deref())
            .collect();
        assert!(!fixes.is_empty(), "{} has no fixes", object.kind);
        let edits = super::super::merge_fixes(file, &fixes).unwrap();
        assert!(
            insertions_keep_document_valid(file, object, &edits),
            "{}: {edits:?}",
            object.kind
        );
    }
}
