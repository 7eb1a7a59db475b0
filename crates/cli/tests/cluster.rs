//! `chaintrail import` updates the clusters, and `cluster export|show|stats` and `address` read
//! them: the exported partition equals the library's plain multi-input partition of the same
//! store (no labels, so nothing is refused; change guesses stay evidence), and so does the
//! partition of the input sets `cluster export-inputs` writes.

use std::collections::HashMap;
use std::process::Command;

use chaintrail_core::{BitcoinNetwork, Chain};
use chaintrail_ingest::{FlowRecord, synthetic, write_flow_jsonl};
use chaintrail_store::Store;

mod common;
use common::checked as chaintrail;

const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);

#[test]
fn import_clusters_and_the_commands_read_them() {
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("btc.flow.jsonl");
    let txs: Vec<FlowRecord> = synthetic::utxo_txs(7, 20_000)
        .map(FlowRecord::Utxo)
        .collect();
    write_flow_jsonl(&file, BTC, &txs).unwrap();
    let data = work.path().join("data");
    let imported = chaintrail(&data, &["import", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&imported.stdout);
    assert!(
        text.contains("Clusters") && text.contains("first build"),
        "{text}"
    );

    let exported = chaintrail(&data, &["cluster", "export", "--chain", "bitcoin-regtest"]);
    let csv = String::from_utf8(exported.stdout).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("address,cluster_id"));
    let partition: HashMap<String, u32> = lines
        .map(|line| {
            let (address, id) = line.rsplit_once(',').unwrap();
            (address.to_string(), id.parse().unwrap())
        })
        .collect();

    let store = Store::open(&data).unwrap();
    let reader = store.reader(BTC).unwrap();
    let column = chaintrail_cluster::multi_input_partition(&reader);
    assert_eq!(partition.len(), reader.address_count() - 1);
    let mut merged = 0;
    for id in 1..reader.address_count() as u32 {
        let address = reader.address(id).unwrap().to_string();
        assert_eq!(partition[&address], column[id as usize], "{address}");
        merged += usize::from(column[id as usize] != id);
    }
    assert!(merged > 0, "the synthetic chain has co-spends");

    // The multi-input heuristic's input sets, written and clustered again from the file: the
    // same partition (`partition-inputs` needs no store).
    let sets = work.path().join("inputs.bin");
    chaintrail(
        &data,
        &[
            "cluster",
            "export-inputs",
            "--chain",
            "bitcoin-regtest",
            "--out",
            sets.to_str().unwrap(),
        ],
    );
    let report = chaintrail(
        &work.path().join("no-store"),
        &["cluster", "partition-inputs", sets.to_str().unwrap()],
    );
    let report: serde_json::Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(
        report["multi_address_clusters"].as_u64(),
        Some(chaintrail_cluster::inputs::multi_address_clusters(&column) as u64)
    );
    assert_eq!(
        report["address_count"].as_u64(),
        Some(reader.address_count() as u64)
    );
    let garbage = work.path().join("garbage.bin");
    std::fs::write(&garbage, b"address,cluster_id\n").unwrap();
    let refused = Command::new(env!("CARGO_BIN_EXE_chaintrail"))
        .args(["cluster", "partition-inputs", garbage.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is not an input-set file of chaintrail"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // The largest cluster, shown with its evidence, and in `address`.
    let mut sizes: HashMap<u32, usize> = HashMap::new();
    for id in partition.values() {
        *sizes.entry(*id).or_default() += 1;
    }
    let (&largest, &size) = sizes
        .iter()
        .max_by_key(|(id, n)| (**n, std::cmp::Reverse(**id)))
        .unwrap();
    let member = partition
        .iter()
        .find(|(_, id)| **id == largest)
        .unwrap()
        .0
        .clone();
    let shown = chaintrail(
        &data,
        &["--format", "json", "cluster", "show", &member, "--evidence"],
    );
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown[0]["cluster"], largest);
    assert_eq!(shown[0]["size"], size);
    assert_eq!(shown[0]["members"].as_array().unwrap().len(), size);
    let applied = shown[0]["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["applied"] == true && m["heuristic"] == "multi-input")
        .count();
    assert_eq!(applied, size - 1, "one applied merge per address joined");
    let address = chaintrail(&data, &["address", &member, "--chain", "bitcoin-regtest"]);
    let text = String::from_utf8_lossy(&address.stdout);
    assert!(
        text.contains(&format!("#{largest} ({size} address(es))")),
        "{text}"
    );
}
