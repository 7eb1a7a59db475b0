"""Traces from Python equal the CLI's `trace --format json`, and their tables hold its numbers."""

import json
import threading
from decimal import Decimal

import pytest

import chaintrail
from conftest import cli_json, run_cli


def without_timing(report):
    report = dict(report)
    report["stats"] = {k: v for k, v in report["stats"].items() if k != "elapsed_ms"}
    return report


@pytest.mark.parametrize("policy", ["fifo", "haircut"])
def test_trace_equals_the_cli(store, demo_dir, ronin_seed, policy):
    trace = store.trace(ronin_seed, policy=policy, max_hops=20)
    cli = cli_json(demo_dir, "trace", "--seed", ronin_seed, "--policy", policy, "--max-hops", "20")
    assert without_timing(json.loads(trace.to_json())) == without_timing(cli)

    assert trace.endpoints.num_rows == len(cli["endpoints"]) > 10
    assert trace.endpoints.column("amount").to_pylist() == [e["value"]["amount"] for e in cli["endpoints"]]
    assert trace.endpoints.column("kind").to_pylist() == [e["kind"] for e in cli["endpoints"]]
    assert trace.paths.num_rows == sum(len(e["path"]) for e in cli["endpoints"])
    assert trace.by_entity.num_rows == sum(len(t["values"]) for t in cli["by_entity"])

    # The per-entity totals sum the endpoints exactly, per asset.
    def per_asset(table):
        totals = {}
        for asset, amount in zip(table.column("asset").to_pylist(), table.column("amount").to_pylist()):
            totals[asset] = totals.get(asset, 0) + int(amount)
        return totals

    assert per_asset(trace.by_entity) == per_asset(trace.endpoints)

    frame = trace.to_pandas()
    assert list(frame["units"]) == [e["value"]["units"] for e in cli["endpoints"]]
    assert frame["units_float"].iloc[0] == float(Decimal(cli["endpoints"][0]["value"]["units"]))


def test_two_policies_differ_where_the_cli_says(store, ronin_seed):
    fifo = store.trace(ronin_seed, policy="fifo")
    haircut = store.trace(ronin_seed, policy="haircut")
    assert fifo.policy == "fifo" and haircut.policy == "haircut"
    assert fifo.endpoints.num_rows != haircut.endpoints.num_rows


def test_backward_and_until_reach_the_engine(store, demo_dir, ronin_seed, truth):
    heist = next(h for h in truth["heists"] if h["variant"] == "ronin")
    day = heist["date"]
    trace = store.trace(ronin_seed, policy="fifo", until=day)
    cli = cli_json(demo_dir, "trace", "--seed", ronin_seed, "--policy", "fifo", "--until", day)
    assert trace.report["until"] == cli["until"] is not None
    assert without_timing(trace.report) == without_timing(cli)


def test_trace_releases_the_gil(store, ronin_seed):
    ticks = 0
    worker = threading.Thread(target=lambda: store.trace(ronin_seed, policy="haircut"))
    worker.start()
    while worker.is_alive():
        ticks += 1
    worker.join()
    # Holding the GIL, the trace would let this loop run only between switch intervals.
    assert ticks > 1000


def test_bad_arguments_raise_the_cli_messages(store, demo_dir, ronin_seed):
    with pytest.raises(chaintrail.ChaintrailError, match="^unknown taint policy `greedy`: use poison"):
        store.trace(ronin_seed, policy="greedy")
    with pytest.raises(chaintrail.ChaintrailError) as bad_seed:
        store.trace("anvil:nothex")
    err = run_cli(demo_dir, "trace", "--seed", "anvil:nothex", check=False).stderr
    assert err.splitlines()[0] == f"error: {bad_seed.value}"
