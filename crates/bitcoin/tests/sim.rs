//! The scenario simulator's bitcoin-etl export, imported with `bitcoin-etl`, gives the same
//! Bitcoin chain, OP_RETURN payloads included, as the simulator writing its value flows straight
//! into a store.

use chaintrail_bitcoin::BitcoinEtl;
use chaintrail_core::BitcoinNetwork;
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_sim::{BTC_CHAIN, SimConfig, write_dir, write_store};
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
    for tx in 0..a.tx_count() as u32 {
        let hash = a.tx_hash(tx);
        let other = b
            .tx_id(&hash)
            .unwrap_or_else(|| panic!("{hash} not imported"));
        assert_eq!(a.tx_block(tx), b.tx_block(other), "{hash}");
        assert_eq!(a.tx_fee(tx), b.tx_fee(other), "{hash}");
        fees += a.tx_fee(tx).unwrap_or(0);
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
    // The bridge's outbound memos (`OUT:<inbound hash>`) are kept both ways.
    let memos = a
        .null_data()
        .filter(|(_, data)| data.starts_with(b"OUT:"))
        .count();
    assert!(memos > 0, "the world bridges to Bitcoin");
    assert_eq!(a.null_data().count(), b.null_data().count());
    assert_eq!(b.stats().unlinked_inputs, a.stats().unlinked_inputs);
}
