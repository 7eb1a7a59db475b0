//! Every layout ethereum-etl writes imports to the same store as the plain one-file-per-table
//! export of the same blocks: `export_all` partitions (with the out-of-order batches of a
//! parallel export, CRLF line ends as Python writes them, and the empty files of ranges without
//! rows), and `stream` output captured to a file.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chaintrail_core::Chain;
use chaintrail_evm::EthereumEtl;
use chaintrail_evm::events::events_dir;
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_sim::{EVM_CHAIN, EtlLayout, SimConfig, write_dir, write_dir_as};
use chaintrail_store::Store;

/// What an import stored: the store's content digest and the events files, byte for byte.
fn stored(source: &Path, chain: Chain) -> (u32, u64, BTreeMap<String, Vec<u8>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(dir.path()).expect("store");
    EthereumEtl
        .import(&store, source, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("import {}: {e}", source.display()));
    let reader = store.reader(chain).expect("reader");
    let mut events = BTreeMap::new();
    for entry in std::fs::read_dir(events_dir(&store, chain)).expect("events") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        events.insert(name, std::fs::read(&path).expect("read"));
    }
    (reader.content_checksum(), reader.tx_count(), events)
}

fn csv_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            csv_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "csv") {
            out.push(path);
        }
    }
}

/// Rewrite a table file as a parallel exporter leaves it: batches of 10 blocks, every second
/// batch written before the one it follows; lines end in CRLF.
fn shuffle_batches(path: &Path) {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let header = reader.headers().expect("header").clone();
    let column = if header.iter().any(|h| h == "block_number") {
        "block_number"
    } else {
        "number"
    };
    let at = header
        .iter()
        .position(|h| h == column)
        .expect("block column");
    let mut batches: BTreeMap<u64, Vec<csv::StringRecord>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.expect("row");
        let block: u64 = record[at].parse().expect("block number");
        batches.entry(block / 10).or_default().push(record);
    }
    let mut order: Vec<u64> = batches.keys().copied().collect();
    for pair in order.chunks_mut(2) {
        pair.reverse();
    }
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_path(path)
        .expect("write");
    writer.write_record(&header).expect("header");
    for batch in order {
        for record in &batches[&batch] {
            writer.write_record(record).expect("row");
        }
    }
    writer.flush().expect("flush");
}

#[test]
fn export_all_partitions_out_of_order_import_like_the_plain_export() {
    let config = SimConfig::new(11, 4_000);
    let plain = tempfile::tempdir().expect("tempdir");
    write_dir(&config, plain.path()).expect("plain export");
    let partitioned = tempfile::tempdir().expect("tempdir");
    write_dir_as(
        &config,
        partitioned.path(),
        EtlLayout::Partitioned { blocks: 2_000 },
    )
    .expect("partitioned export");
    let eth = partitioned.path().join("ethereum");
    let mut files = Vec::new();
    csv_files(&eth, &mut files);
    let ranges = files
        .iter()
        .filter(|f| f.to_string_lossy().contains("/blocks/"))
        .count();
    assert!(ranges >= 3, "{ranges} block ranges");
    for file in files
        .iter()
        .filter(|f| !f.ends_with("tokens_00000000_00001999.csv"))
    {
        shuffle_batches(file);
    }
    let blocks = std::fs::read_to_string(
        eth.join("blocks/start_block=00000000/end_block=00001999/blocks_00000000_00001999.csv"),
    )
    .expect("blocks");
    assert!(
        blocks.starts_with("number,") && blocks.contains("\r\n10,"),
        "batches reordered with CRLF ends"
    );

    // ethereum-etl writes a CSV header with the first row: a range without rows leaves an
    // empty file.
    for table in ["traces", "token_transfers"] {
        let range = eth
            .join(table)
            .join("start_block=09000000")
            .join("end_block=09001999");
        std::fs::create_dir_all(&range).expect("dir");
        std::fs::write(range.join(format!("{table}_09000000_09001999.csv")), "").expect("write");
    }

    let want = stored(&plain.path().join("ethereum"), EVM_CHAIN);
    assert!(want.1 > 1_000, "{} transactions", want.1);
    assert_eq!(stored(&eth, EVM_CHAIN), want);
}

/// `ethereumetl stream` writes each batch of blocks as all its blocks, then all its
/// transactions (with receipt fields), logs and token transfers, every item with its `type`.
#[test]
fn stream_output_imports_like_the_tables_it_holds() {
    let source = common::fixtures().join("test_stream/blocks_17173049_17173050");
    let tables = ["blocks", "transactions", "logs", "token_transfers"];
    let split = tempfile::tempdir().expect("tempdir");
    let mut items: Vec<(u64, usize, String)> = Vec::new();
    for (rank, table) in tables.iter().enumerate() {
        let path = source.join(format!("expected_{table}.json"));
        std::fs::copy(&path, split.path().join(format!("{table}.json"))).expect("copy");
        for line in std::fs::read_to_string(&path).expect("read").lines() {
            let value: serde_json::Value = serde_json::from_str(line).expect("json");
            assert!(value["type"].is_string(), "stream items carry their type");
            let block = value["block_number"]
                .as_u64()
                .or(value["number"].as_u64())
                .expect("block");
            items.push((block, rank, line.to_string()));
        }
    }
    // One batch per block.
    items.sort_by_key(|(block, rank, _)| (*block, *rank));
    let capture = tempfile::tempdir().expect("tempdir");
    let stream = capture.path().join("stream_output.json");
    let text: Vec<&str> = items.iter().map(|(_, _, line)| line.as_str()).collect();
    std::fs::write(&stream, text.join("\n") + "\n").expect("write");

    let want = stored(split.path(), Chain::Evm(1));
    assert_eq!(want.1, 116 + 182 + 2);
    assert_eq!(stored(&stream, Chain::Evm(1)), want, "the file itself");
    assert_eq!(stored(capture.path(), Chain::Evm(1)), want, "its directory");
}
