#!/usr/bin/env bash
# Latency of `chaintrail follow` from a block mined on the node to its alert delivered at a
# webhook; results in docs/benchmarks.md, "Follow: block to alert".
#
#   scripts/bench_follow.sh [BLOCKS] [POLL_INTERVAL]
#
# Starts anvil (crates/evm/tests/setup-anvil.sh) on a free loopback port, watches one address
# (`chaintrail watch add address`), and runs `chaintrail follow --chain anvil --webhook …` against
# a webhook receiver in this script (Python, stdlib only, HMAC checked). Then BLOCKS times
# (default 120): wait a random time in [0, POLL_INTERVAL) so that blocks arrive at any phase of
# the follower's poll, send a payment from the watched address (anvil mines its block before
# answering), and time from that answer to the alert's arrival at the receiver. Prints one JSON
# object: p50, p90, p99, max, mean (ms), the load average before and after, and the cores.
# POLL_INTERVAL defaults to 250ms. Uses $BIN (default target/release/chaintrail; build it with
# `cargo build --release -p chaintrail`). With INDEX=1 an exposure index is built once the
# follower has caught up, so that every block also updates it (docs/follow.md). Everything is
# written to a temporary directory that is deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BLOCKS=${1:-120}
POLL=${2:-250ms}
BIN=${BIN:-target/release/chaintrail}
[ -x "$BIN" ] || { echo "no $BIN: cargo build --release -p chaintrail (or set BIN)" >&2; exit 2; }
ANVIL=$(sh crates/evm/tests/setup-anvil.sh)
WORK=$(mktemp -d)
ANVIL_PID=
cleanup() {
  [ -n "$ANVIL_PID" ] && kill "$ANVIL_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ANVIL" --host 127.0.0.1 --port "$PORT" --silent >/dev/null 2>&1 &
ANVIL_PID=$!

python3 - "$BIN" "http://127.0.0.1:$PORT" "$WORK/data" "$BLOCKS" "$POLL" "${INDEX:-0}" <<'PYEOF'
import hashlib, hmac, http.server, json, os, random, re, statistics, subprocess, sys, threading
import time, urllib.request

bin_, rpc_url, data_dir, blocks, poll, index = sys.argv[1:]
blocks = int(blocks)
unit = {"ms": 0.001, "s": 1.0, "m": 60.0}
number, suffix = re.fullmatch(r"(\d+)(ms|s|m)?", poll).groups()
poll_seconds = int(number) * unit[suffix or "s"]
secret = b"bench-follow"

def rpc(method, params):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(rpc_url, body, {"Content-Type": "application/json"})
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                reply = json.load(answer)
            if "error" in reply:
                sys.exit(f"{method}: {reply['error']}")
            return reply["result"]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)

arrived = {}
bad_signatures = 0
lock = threading.Condition()

class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global bad_signatures
        body = self.rfile.read(int(self.headers["Content-Length"]))
        now = time.monotonic()
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        alert = json.loads(body)
        with lock:
            if not hmac.compare_digest(expected, self.headers.get("X-Chaintrail-Signature", "")):
                bad_signatures += 1
            arrived.setdefault(alert["tx"], now)
            lock.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=server.serve_forever, daemon=True).start()
hook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"

accounts = rpc("eth_accounts", [])
thief, mule = accounts[1], accounts[2]
subprocess.run([bin_, "--data-dir", data_dir, "watch", "add", "address", f"anvil:{thief}"],
               check=True, capture_output=True)
follower = subprocess.Popen(
    [bin_, "--data-dir", data_dir, "follow", "--chain", "anvil", "--rpc", rpc_url,
     "--poll-interval", poll, "--webhook", hook_url, "--webhook-secret", secret.decode()],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def pay(wei):
    """Send a payment; anvil answers once its block is mined. Returns (tx hash, mined at)."""
    tx = rpc("eth_sendTransaction", [{"from": thief, "to": mule, "value": hex(wei)}])
    return tx, time.monotonic()

def wait_alert(tx):
    with lock:
        if not lock.wait_for(lambda: tx in arrived, timeout=60):
            follower.kill()
            sys.exit(f"no alert for {tx} within 60 s")
        return arrived[tx]

try:
    load_before = os.getloadavg()
    wait_alert(pay(1)[0])  # the follower has caught up with the node
    if index == "1":
        subprocess.run([bin_, "--data-dir", data_dir, "screen", "build-index"],
                       check=True, capture_output=True)
    latencies = []
    for i in range(blocks):
        time.sleep(random.uniform(0, poll_seconds))
        tx, mined = pay(10**15 + i)
        latencies.append((wait_alert(tx) - mined) * 1000)
    load_after = os.getloadavg()
finally:
    follower.kill()
    follower.wait()

latencies.sort()
def pct(p):
    return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 1)
print(json.dumps({
    "blocks": len(latencies), "poll_interval": poll, "exposure_index": index == "1",
    "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
    "max_ms": round(latencies[-1], 1), "mean_ms": round(statistics.mean(latencies), 1),
    "bad_signatures": bad_signatures, "cores": os.cpu_count(),
    "load_before": load_before, "load_after": load_after,
}))
PYEOF
