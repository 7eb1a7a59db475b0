"""Store views (stats, address, tx, labels, clusters) equal the CLI's JSON; transfers stream in
batches and count what the store holds; errors carry the CLI's message and hint."""

import json

import pyarrow as pa
import pytest

import chaintrail
from conftest import cli_json, run_cli


def test_stats_equal_the_cli(store, demo_dir):
    assert store.stats() == cli_json(demo_dir, "stats")


def test_address_tx_labels_equal_the_cli(store, demo_dir, truth):
    heist = next(h for h in truth["heists"] if h["variant"] == "ronin")
    victim = heist["victim_address"]["address"]
    assert store.address(victim) == cli_json(demo_dir, "address", victim)
    tx = heist["exploit_txs"][0]
    assert store.tx(tx) == cli_json(demo_dir, "tx", tx)
    assert store.labels(victim) == cli_json(demo_dir, "labels", "show", victim)
    assert store.labels(victim)["labels"], "the victim is labelled in the demo"


def test_clusters_of_an_address(store, demo_dir, truth):
    heist = next(h for h in truth["heists"] if h["variant"] == "ronin")
    victim = heist["victim_address"]["address"]
    cli = json.loads(run_cli(demo_dir, "--format", "json", "cluster", "show", victim).stdout)
    assert store.clusters(victim) == cli
    assert cli[0]["size"] >= 1


def test_transfers_stream_every_transfer_in_batches(store):
    anvil = next(s for s in store.stats() if s["model"] == "account")
    reader = store.transfers(batch_rows=10_000)
    assert isinstance(reader, pa.RecordBatchReader)
    sizes = [batch.num_rows for batch in reader]
    assert sum(sizes) == anvil["records"]
    assert max(sizes) == 10_000 and len(sizes) == -(-anvil["records"] // 10_000)


def test_transfers_of_an_address_within_days(store, demo_dir, truth):
    heist = next(h for h in truth["heists"] if h["variant"] == "ronin")
    victim = heist["victim_address"]["address"]
    table = store.transfers(address=victim).read_all()
    (view,) = cli_json(demo_dir, "address", victim)
    ok = table.filter(table.column("success"))
    assert ok.num_rows == view["incoming"] + view["outgoing"]
    exploit = "0x" + heist["exploit_txs"][0]
    assert exploit in table.column("tx").to_pylist()
    day = store.transfers(address=victim, since=heist["date"], until=heist["date"]).read_all()
    assert exploit in day.column("tx").to_pylist()
    assert all(heist["timestamp"] - 86_400 < t < heist["timestamp"] + 86_400 for t in day.column("time").to_pylist())
    later = store.transfers(address=victim, since=heist["timestamp"] + 1).read_all()
    assert exploit not in later.column("tx").to_pylist()


def test_a_missing_store_raises_the_cli_message_and_hint(tmp_path):
    with pytest.raises(chaintrail.ChaintrailError) as err:
        chaintrail.open(tmp_path / "none")
    lines = run_cli(tmp_path / "none", "stats", check=False).stderr.splitlines()
    assert lines == [f"error: {err.value}", f"hint: {err.value.hint}"]


def test_an_unknown_transaction_raises_the_cli_message(store, demo_dir):
    missing = "ab" * 32
    with pytest.raises(chaintrail.ChaintrailError) as err:
        store.tx(missing)
    stderr = run_cli(demo_dir, "tx", missing, check=False).stderr
    assert stderr.splitlines()[0] == f"error: {err.value}"
    assert err.value.hint is None
