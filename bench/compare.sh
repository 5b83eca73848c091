#!/usr/bin/env bash
# kubenudge against Checkov and the YAML parse floor, as whole commands on the same files.
#
#   bench/compare.sh            # RUNS=5 rounds; writes bench/RESULTS.md
#   RUNS=9 bench/compare.sh     # more rounds
#   NO_CHECKOV=1 bench/compare.sh
#
# Generates the corpora (bench/gen_corpus.py: 300 and 3,000 files of a realistic mix, and one
# file of 2,500 and one of 20,000 insecure Pods), installs Checkov into a throwaway virtualenv
# when pip can reach it (otherwise it says so and times the rest), then runs, alternating
# within each round: `kubenudge check`, `checkov -d DIR --framework kubernetes
# --skip-download`, and `parse_floor` (saphyr's span-keeping event parser over the same bytes,
# keeping nothing: the least any position-aware tool must do). Prints the median wall time
# and peak RSS (GNU time) of each, and every ratio. Needs python3 and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
# Checkov takes minutes on the 3,000-file corpus: fewer rounds there.
CHECKOV_BIG_RUNS=${CHECKOV_BIG_RUNS:-1}
CHECKOV_VERSION=${CHECKOV_VERSION:-3.3.30}
WORK=${WORK:-$(mktemp -d /tmp/kubenudge-bench.XXXXXX)}
OUT=${OUT:-bench/RESULTS.md}

if [ ! -x /usr/bin/time ]; then
  echo "bench: /usr/bin/time (GNU time) is needed: apt-get install time" >&2
  exit 2
fi

echo "bench: building kubenudge and the parse floor (release)" >&2
cargo build --release --locked --quiet --bin kubenudge --example parse_floor
KUBENUDGE=$PWD/target/release/kubenudge
FLOOR=$PWD/target/release/examples/parse_floor

echo "bench: corpora in $WORK" >&2
[ -d "$WORK/c300" ] || python3 bench/gen_corpus.py corpus 300 "$WORK/c300"
[ -d "$WORK/c3000" ] || python3 bench/gen_corpus.py corpus 3000 "$WORK/c3000"
[ -f "$WORK/pods-2500.yaml" ] || python3 bench/gen_corpus.py pods 2500 "$WORK/pods-2500.yaml"
[ -f "$WORK/pods-20000.yaml" ] || python3 bench/gen_corpus.py pods 20000 "$WORK/pods-20000.yaml"

CHECKOV=""
if [ -z "${NO_CHECKOV:-}" ]; then
  if [ ! -x "$WORK/venv/bin/checkov" ]; then
    echo "bench: installing checkov $CHECKOV_VERSION into $WORK/venv" >&2
    if python3 -m venv "$WORK/venv" >/dev/null 2>&1 &&
      "$WORK/venv/bin/pip" install --quiet "checkov==$CHECKOV_VERSION" >"$WORK/pip.log" 2>&1; then
      :
    else
      echo "bench: pip could not install checkov (see $WORK/pip.log); timing the rest" >&2
    fi
  fi
  [ -x "$WORK/venv/bin/checkov" ] && CHECKOV="$WORK/venv/bin/checkov"
fi

# measure NAME RUNS CMD...: appends "NAME seconds kib" per run to $WORK/times. The peak RSS
# comes from GNU time (a small C program: a child it forks carries nothing of its parent's
# memory into the measure, where one forked by Python carries Python's 14 MiB). The wall time
# is taken by Python around GNU time, in nanoseconds: `date` around it counted the start of a
# `date` process too (about 5 ms, as long as a run of the parse floor on the small corpus).
# What remains is spawning GNU time and the command; `true` under the same harness is
# measured and reported (`baseline`).
measure() {
  local name=$1 runs=$2 i secs
  shift 2
  for ((i = 0; i < runs; i++)); do
    secs=$(python3 -c '
import subprocess, sys, time
start = time.perf_counter_ns()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(f"{(time.perf_counter_ns() - start) / 1e9:.4f}")
' /usr/bin/time -f "%M" -o "$WORK/one" "$@")
    echo "$name $secs $(tail -1 "$WORK/one")" >>"$WORK/times"
  done
}

: >"$WORK/times"
for ((round = 0; round < RUNS; round++)); do
  echo "bench: round $((round + 1))/$RUNS" >&2
  measure "baseline:true" 1 true
  for corpus in c300 c3000 pods-2500.yaml pods-20000.yaml; do
    measure "kubenudge:$corpus" 1 "$KUBENUDGE" check --exit-zero "$WORK/$corpus"
    measure "floor:$corpus" 1 "$FLOOR" "$WORK/$corpus"
    if [ -n "$CHECKOV" ]; then
      case $corpus in
        c300) measure "checkov:$corpus" 1 "$CHECKOV" -d "$WORK/$corpus" --framework kubernetes --skip-download --quiet --compact ;;
        c3000) if ((round < CHECKOV_BIG_RUNS)); then
            measure "checkov:$corpus" 1 "$CHECKOV" -d "$WORK/$corpus" --framework kubernetes --skip-download --quiet --compact
          fi ;;
      esac
    fi
  done
done

python3 - "$WORK" "$OUT" "$RUNS" "$CHECKOV_BIG_RUNS" "${CHECKOV:+$CHECKOV_VERSION}" <<'PY'
import collections, datetime, os, platform, statistics, subprocess, sys
work, out, runs, big_runs, checkov = sys.argv[1:6]
rows = collections.defaultdict(list)
for line in open(os.path.join(work, "times")):
    name, secs, kib = line.split()
    rows[name].append((float(secs), int(kib)))
def med(name):
    v = rows.get(name)
    if not v:
        return None
    return statistics.median(s for s, _ in v), statistics.median(k for _, k in v) / 1024, len(v)
def size(corpus):
    p = os.path.join(work, corpus)
    if os.path.isfile(p):
        return os.path.getsize(p), 1
    total = files = 0
    for root, _, names in os.walk(p):
        for n in names:
            total += os.path.getsize(os.path.join(root, n)); files += 1
    return total, files
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
lines = [
    "# Benchmark: kubenudge, Checkov and the parse floor",
    "",
    f"- date: {datetime.date.today()}; commit {commit}",
    f"- machine: {os.cpu_count()} cores ({cpu}), {mem} MiB memory, {platform.system()} {platform.release()}",
    f"- rounds: {runs} (Checkov on 3,000 files: {big_runs}); Checkov: {checkov or 'not installed (pip could not reach it)'}",
    "- commands, alternating in each round: `kubenudge check --exit-zero DIR`,",
    "  `checkov -d DIR --framework kubernetes --skip-download --quiet --compact`,",
    "  `parse_floor DIR` (`cargo build --release --example parse_floor`)",
    "- reproduce: `bench/compare.sh` (corpora from `bench/gen_corpus.py`)",
    "",
    "| corpus | bytes | kubenudge s | MiB | floor s | MiB | Checkov s | MiB | kubenudge / floor | Checkov / kubenudge (time) | Checkov / kubenudge (memory) | kubenudge MiB / input MiB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
]
for corpus in ["c300", "c3000", "pods-2500.yaml", "pods-20000.yaml"]:
    k, f, c = med("kubenudge:" + corpus), med("floor:" + corpus), med("checkov:" + corpus)
    b, files = size(corpus)
    label = f"{corpus} ({files} files)" if files > 1 else corpus
    cell = lambda x, i, fmt: (fmt % x[i]) if x else "–"
    lines.append("| " + " | ".join([
        label, f"{b:,}",
        cell(k, 0, "%.4f"), cell(k, 1, "%.0f"),
        cell(f, 0, "%.4f"), cell(f, 1, "%.0f"),
        cell(c, 0, "%.2f"), cell(c, 1, "%.0f"),
        f"{k[0] / f[0]:.1f}×" if k and f and f[0] else "–",
        f"{c[0] / k[0]:.0f}×" if k and c and k[0] else "–",
        f"{c[1] / k[1]:.1f}×" if k and c and k[1] else "–",
        f"{k[1] / (b / 1048576):.0f}×" if k else "–",
    ]) + " |")
k1, k8 = med("kubenudge:pods-2500.yaml"), med("kubenudge:pods-20000.yaml")
if k1 and k8:
    lines += ["", f"Scaling: 8× the documents in one file ({'2,500 → 20,000'} Pods) costs {k8[0] / k1[0]:.1f}× the time."]
base = med("baseline:true")
lines += ["", "Wall times (Python's nanosecond clock around GNU time running the command) and peak RSS (GNU time `%M`) are medians over the rounds."
          + (f" The harness itself (spawning GNU time and the command) costs {base[0] * 1000:.1f} ms: the median for `true` under it; it is not subtracted." if base else "")
          + " The machine is shared and noisy: compare ratios from one run, not figures across runs."]
text = "\n".join(lines) + "\n"
# The other benchmarks' sections (`## …`, written by hand from `cargo bench`) are kept.
kept = ""
if os.path.exists(out):
    old = open(out).read()
    at = old.find("\n## ")
    kept = old[at:] if at >= 0 else ""
open(out, "w").write(text + kept)
print(text)
PY
