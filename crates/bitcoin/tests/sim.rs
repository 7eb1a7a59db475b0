//! The scenario simulator's bitcoin-etl export, imported with `bitcoin-etl`, gives the same
//! Bitcoin chain, OP_RETURN payloads included, as the simulator writing its value flows straight
//! into a store.

use std::collections::BTreeMap;

use chaintrail_bitcoin::BitcoinEtl;
use chaintrail_core::BitcoinNetwork;
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_sim::{
    BTC_CHAIN, EtlLayout, SimConfig, replicate_export, write_dir, write_dir_as, write_store,
};
use chaintrail_store::Store;

#[test]
fn simulated_export_imports_to_the_simulated_flows() {
    let config = SimConfig::new(5, 20_000);
    let tmp = tempfile::tempdir().expect("tmp");
    write_dir(&config, &tmp.path().join("export")).expect("export");
    let direct = Store::init(&tmp.path().join("direct")).expect("store");
    write_store(&config, &direct, &tmp.path().join("side")).expect("direct");

    let imported = Store::init(&tmp.path().join("imported")).expect("store");
    let importer = BitcoinEtl {
        network: BitcoinNetwork::Regtest,
    };
    let report = importer
        .import(
            &imported,
            &tmp.path().join("export/bitcoin"),
            &ImportOptions::default(),
        )
        .expect("import");
    let (a, b) = (
        direct.reader(BTC_CHAIN).expect("direct"),
        imported.reader(BTC_CHAIN).expect("imported"),
    );
    assert!(report.txs_read > 100, "a real world: {}", report.txs_read);
    assert_eq!(b.tx_count(), a.tx_count());
    assert_eq!(b.block_count(), a.block_count());
    let mut fees = 0u64;
    // Wallet software: (version, nLockTime set, RBF) → transactions.
    let mut software: BTreeMap<(i32, bool, bool), u64> = BTreeMap::new();
    for tx in 0..a.tx_count() {
        let hash = a.tx_hash(tx);
        let other = b
            .tx_id(&hash)
            .unwrap_or_else(|| panic!("{hash} not imported"));
        assert_eq!(a.tx_block(tx), b.tx_block(other), "{hash}");
        assert_eq!(a.tx_fee(tx), b.tx_fee(other), "{hash}");
        fees += a.tx_fee(tx).unwrap_or(0);
        let fingerprint = a
            .tx_fingerprint(tx)
            .expect("every simulated transaction has one");
        assert_eq!(b.tx_fingerprint(other), Some(fingerprint), "{hash}");
        if fingerprint.lock_time != 0 {
            // Anti-fee-sniping: the tip height, or up to 100 blocks less.
            let tip = a.tx_block(tx).height - 1;
            let lock_time = u64::from(fingerprint.lock_time);
            assert!(lock_time <= tip && lock_time + 100 > tip, "{hash}");
        }
        *software
            .entry((
                fingerprint.version,
                fingerprint.lock_time != 0,
                fingerprint.rbf,
            ))
            .or_default() += 1;
        let (ours, theirs): (Vec<_>, Vec<_>) =
            (a.tx_outputs(tx).collect(), b.tx_outputs(other).collect());
        assert_eq!(ours.len(), theirs.len(), "{hash}");
        for (x, y) in ours.into_iter().zip(theirs) {
            let (x, y) = (a.output(x).expect("x"), b.output(y).expect("y"));
            assert_eq!(x.value, y.value, "{hash}");
            assert_eq!(a.address(x.address), b.address(y.address), "{hash}");
            assert_eq!(a.output_data(x.row), b.output_data(y.row), "{hash}");
            assert_eq!(
                x.spent_by.map(|t| a.tx_hash(t)),
                y.spent_by.map(|t| b.tx_hash(t))
            );
        }
        assert_eq!(
            a.tx_inputs(tx).count(),
            b.tx_inputs(other).count(),
            "{hash}"
        );
    }
    assert!(fees > 0);
    // Bitcoin Core / Electrum, mobile, legacy and services' version 1 (together), services'
    // version 2; nothing else.
    let kinds: Vec<(i32, bool, bool)> = software.keys().copied().collect();
    assert_eq!(
        kinds,
        [
            (1, false, false),
            (2, false, false),
            (2, false, true),
            (2, true, true)
        ],
        "{software:?}"
    );
    assert!(software.values().all(|&n| n > 10), "{software:?}");
    // The bridge's outbound memos (`OUT:<inbound hash>`) are kept both ways.
    let memos = a
        .null_data()
        .filter(|(_, data)| data.starts_with(b"OUT:"))
        .count();
    assert!(memos > 0, "the world bridges to Bitcoin");
    assert_eq!(a.null_data().count(), b.null_data().count());
    assert_eq!(b.stats().unlinked_inputs, a.stats().unlinked_inputs);
}

/// `bitcoinetl export_all` partitions (per range of 25 blocks, with parallel-export disorder:
/// every second file's lines reversed) import to the same chain as the one-file export.
#[test]
fn partitioned_export_imports_like_the_single_files() {
    let config = SimConfig::new(6, 6_000);
    let tmp = tempfile::tempdir().expect("tmp");
    let single = tmp.path().join("single");
    write_dir(&config, &single).expect("export");
    let partitioned = tmp.path().join("partitioned");
    write_dir_as(&config, &partitioned, EtlLayout::Partitioned { blocks: 25 }).expect("export");
    let mut files = Vec::new();
    let mut dirs = vec![partitioned.join("bitcoin")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 8, "{} files", files.len());
    for file in files.iter().step_by(2) {
        let text = std::fs::read_to_string(file).expect("read");
        let mut lines: Vec<&str> = text.lines().collect();
        lines.reverse();
        std::fs::write(file, lines.join("\n") + "\n").expect("write");
    }
    let importer = BitcoinEtl {
        network: BitcoinNetwork::Regtest,
    };
    let mut checksums = Vec::new();
    for source in [single.join("bitcoin"), partitioned.join("bitcoin")] {
        let store =
            Store::init(&tmp.path().join(format!("store{}", checksums.len()))).expect("store");
        let report = importer
            .import(&store, &source, &ImportOptions::default())
            .expect("import");
        let reader = store.reader(BTC_CHAIN).expect("reader");
        checksums.push((
            report.txs_read,
            reader.tx_count(),
            reader.content_checksum(),
        ));
    }
    assert!(checksums[0].0 > 100, "{:?}", checksums[0]);
    assert_eq!(checksums[0], checksums[1]);
}

/// `replicate_export` (`chaintrail sim --copies`) writes the world again after itself with its
/// own hashes: every spend stays within its copy (no more unlinked inputs than one copy's,
/// twice), and the copies share the world's addresses.
#[test]
fn a_replicated_world_imports_as_that_many_copies() {
    let config = SimConfig::new(7, 4_000);
    let tmp = tempfile::tempdir().expect("tmp");
    let once = tmp.path().join("once");
    write_dir(&config, &once).expect("export");
    let twice = tmp.path().join("twice");
    write_dir(&config, &twice).expect("export");
    replicate_export(&twice, 2).expect("replicate");
    let importer = BitcoinEtl {
        network: BitcoinNetwork::Regtest,
    };
    let mut stats = Vec::new();
    for source in [&once, &twice] {
        let store = Store::init(&tmp.path().join(format!("store{}", stats.len()))).expect("store");
        importer
            .import(&store, &source.join("bitcoin"), &ImportOptions::default())
            .expect("import");
        let reader = store.reader(BTC_CHAIN).expect("reader");
        let s = reader.stats();
        stats.push((
            reader.tx_count(),
            reader.block_count(),
            s.addresses,
            s.unlinked_inputs,
        ));
    }
    let (one, two) = (stats[0], stats[1]);
    assert!(one.0 > 100, "{one:?}");
    assert_eq!(two, (one.0 * 2, one.1 * 2, one.2, one.3 * 2));
}
