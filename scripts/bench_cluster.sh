#!/usr/bin/env bash
# chaintrail's multi-input clustering against GraphSense's own (gs_clustering, PyPI
# graphsense-clustering), both fed the same input-set file; results in docs/benchmarks.md,
# "Clustering against GraphSense".
#
#   scripts/bench_cluster.sh STORE_DIR [RUNS]
#
# STORE_DIR: a store holding the Bitcoin chain to cluster, e.g. from
#   chaintrail sim --into-store --scale 24000000 --data-dir STORE_DIR   (≈ 10.7M inputs)
# Uses target/release/chaintrail (cargo build --release -p chaintrail) and the venv of
# crates/cluster/tests/setup-graphsense.sh (run here). Writes STORE_DIR/../inputs.bin and
# deletes it at the end. Per step, RUNS runs (default 3), the median, and per run the wall
# seconds, user CPU seconds and peak RSS of `/usr/bin/time -v`:
#   a) chaintrail cluster partition-inputs FILE   (reads the file, union-find in memory)
#   b) partition.py FILE                           (gs_clustering over the same file; the script
#      times reading the file into Arrow lists and gs_clustering's feed + mapping apart)
#   c) chaintrail cluster build --multi-input-only (from the store, end to end, saved)
# Prints one JSON object.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${1:?usage: scripts/bench_cluster.sh STORE_DIR [RUNS]}
RUNS=${2:-3}
CHAIN=${CHAIN:-bitcoin-regtest}
BIN=target/release/chaintrail
PY=.tools/venv-graphsense/bin/python
bash crates/cluster/tests/setup-graphsense.sh >/dev/null
INPUTS="$(dirname "$STORE")/inputs.bin"
trap 'rm -f "$INPUTS"' EXIT

"$BIN" --data-dir "$STORE" --format json cluster export-inputs --chain "$CHAIN" --out "$INPUTS" >/dev/null

"$PY" - "$BIN" "$PY" "$STORE" "$INPUTS" "$RUNS" "$CHAIN" <<'PYEOF'
import json, os, re, statistics, subprocess, sys, time

bin_, py, store, inputs, runs, chain = sys.argv[1:]
runs = int(runs)

def timed(cmd):
    """Run cmd under /usr/bin/time -v: (stdout, wall s, user s, peak RSS MiB)."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{cmd} failed:\n{done.stderr}")
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", done.stderr).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", done.stderr).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return done.stdout, {"wall": wall, "user": user, "sys": sys_, "rss_mib": rss / 1024}

def json_line(text):
    return json.loads([l for l in text.splitlines() if l.startswith("{")][-1])

steps = {
    "a_chaintrail_file": [bin_, "cluster", "partition-inputs", inputs],
    "b_graphsense_file": [py, "crates/cluster/tests/graphsense/partition.py", inputs],
    "c_chaintrail_build": [bin_, "--data-dir", store, "--format", "json", "cluster", "build", "--multi-input-only"],
}
results = {"load_before": os.getloadavg()}
for name, cmd in steps.items():
    samples = []
    for _ in range(runs):
        out, t = timed(cmd)
        if name != "c_chaintrail_build":
            t.update({k: v for k, v in json_line(out).items()})
        else:
            report = [r for r in json.loads(out) if r["chain"] == chain][0]
            t.update({"txs": report["txs"], "seconds": report["seconds"],
                      "multi_address_clusters": report["manifest"]["clusters"]})
        samples.append(t)
    median = {k: statistics.median(s[k] for s in samples)
              for k in samples[0] if isinstance(samples[0][k], (int, float))}
    results[name] = {"runs": samples, "median": median}

a, b = results["a_chaintrail_file"]["median"], results["b_graphsense_file"]["median"]
results["ratio_cluster_gs_over_chaintrail"] = b["cluster_seconds"] / a["cluster_seconds"]
results["ratio_read_plus_cluster"] = (b["read_seconds"] + b["cluster_seconds"]) / (a["read_seconds"] + a["cluster_seconds"])
results["ratio_wall"] = b["wall"] / a["wall"]
results["same_cluster_count"] = a["multi_address_clusters"] == b["multi_address_clusters"] == results["c_chaintrail_build"]["median"]["multi_address_clusters"]
print(json.dumps(results, indent=1))
PYEOF
