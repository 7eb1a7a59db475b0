#!/usr/bin/env python3
"""The forward trace of `chaintrail bench trace` as a recursive SQL query in DuckDB, for the ratio.

Usage (after `chaintrail export --format parquet --out EXPORT` and
`chaintrail bench trace --seeds-out seeds.json`):

    .tools/venv/bin/python scripts/bench_trace_sql.py EXPORT/anvil DATA_DIR/labels/labels.jsonl seeds.json [HOPS]

The SQL computes less than chaintrail does: the set of (address, asset) holders reachable from
the seed transaction within HOPS hops, following only transfers at or after the block at which
value arrived and stopping at labelled services, converters and miners — reachability, the
skeleton of a trace. chaintrail additionally prices every hop with the taint policy, keeps lots
and paths. The ratio therefore understates the difference.

Prints one JSON object: per-seed query times and their median.
"""

import json
import statistics
import sys
import time

import duckdb

STOP_CATEGORIES = {
    "exchange", "wallet_service", "otc", "market", "gambling", "service", "miner", "darknet",
    "dex", "bridge", "mixer",
}


def main() -> None:
    export_dir, labels_path, seeds_path = sys.argv[1], sys.argv[2], sys.argv[3]
    hops = int(sys.argv[4]) if len(sys.argv) > 4 else 10
    seeds = json.load(open(seeds_path))
    stops = set()
    with open(labels_path) as f:
        for line in f:
            label = json.loads(line)
            if label.get("category") in STOP_CATEGORIES:
                stops.add(label["address"].lower())
    con = duckdb.connect()
    con.execute("SET threads TO 1")
    load_started = time.perf_counter()
    con.execute(
        f"""CREATE TABLE t AS
            SELECT block_number, transaction_hash, lower(from_address) AS src,
                   lower(to_address) AS dst, coalesce(token_address, 'native') AS asset
            FROM read_parquet('{export_dir}/transfers.parquet')
            WHERE success AND kind NOT IN ('fee', 'burn') AND to_address IS NOT NULL
                  AND from_address IS NOT NULL"""
    )
    con.execute("CREATE TABLE stops(address VARCHAR PRIMARY KEY)")
    con.executemany("INSERT INTO stops VALUES (?)", [(s,) for s in sorted(stops)])
    con.execute("CREATE INDEX t_src ON t(src)")
    load_seconds = time.perf_counter() - load_started
    query = """
        WITH RECURSIVE reach(address, asset, block, hop) USING KEY (address, asset) AS (
            SELECT dst, asset, block_number, 1 FROM t WHERE transaction_hash = $seed
            UNION
            SELECT t.dst, t.asset, t.block_number, r.hop + 1
            FROM reach r JOIN t ON t.src = r.address AND t.asset = r.asset
                                AND t.block_number >= r.block
            WHERE r.hop < $hops AND r.address NOT IN (SELECT address FROM stops)
        )
        SELECT count(*) FROM reach
    """
    times = []
    reached = []
    for seed in seeds:
        started = time.perf_counter()
        count = con.execute(query, {"seed": seed["tx"], "hops": hops}).fetchone()[0]
        times.append((time.perf_counter() - started) * 1e3)
        reached.append(count)
    print(json.dumps({
        "duckdb": duckdb.__version__,
        "threads": 1,
        "hops": hops,
        "seeds": len(seeds),
        "load_seconds": round(load_seconds, 2),
        "p50_ms": round(statistics.median(times), 2),
        "p90_ms": round(sorted(times)[int(0.9 * (len(times) - 1))], 2),
        "mean_reached": round(statistics.mean(reached), 1),
        "chaintrail_p50_ms": round(statistics.median(s["ms"] for s in seeds), 3),
    }))


if __name__ == "__main__":
    main()
