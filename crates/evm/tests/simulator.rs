//! Cross-check with the scenario simulator: its ethereum-etl CSV export, imported through the
//! `ethereum-etl` importer, must give the flows the simulator writes straight into a store.

use std::collections::BTreeMap;

use chaintrail_core::Chain;
use chaintrail_evm::EthereumEtl;
use chaintrail_evm::block_credits_hash;
use chaintrail_evm::events::{KEPT_TOPICS, read_kept_logs};
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_sim::{EVM_CHAIN, SimConfig, write_dir, write_store};
use chaintrail_store::Store;

/// Every stored transaction: hash → its transfers (from, to, asset, amount, kind, success).
fn flows(store: &Store, chain: Chain) -> BTreeMap<String, Vec<String>> {
    let reader = store.reader(chain).expect("reader");
    let mut out = BTreeMap::new();
    for tx in 0..reader.tx_count() {
        let transfers = reader
            .tx_transfers(tx)
            .map(|row| {
                let t = reader.transfer(row).expect("row");
                let asset = reader
                    .asset(t.asset)
                    .map(|a| format!("{:?}", a.kind))
                    .unwrap_or_default();
                format!(
                    "{:?} -> {:?} {asset} {} {} {}",
                    reader.address(t.from).map(|a| a.to_string()),
                    reader.address(t.to).map(|a| a.to_string()),
                    t.amount,
                    t.kind,
                    t.success
                )
            })
            .collect::<Vec<String>>();
        // The simulator lists gas after the value transfers, chaintrail-evm before them (gas is
        // bought before execution): compare the transfers as sets.
        let mut transfers = transfers;
        transfers.sort();
        out.insert(reader.tx_hash(tx).to_hex(), transfers);
    }
    out
}

#[test]
fn simulator_export_imports_to_the_simulators_own_flows() {
    let config = SimConfig::new(3, 3_000);
    let export = tempfile::tempdir().expect("tempdir");
    let summary = write_dir(&config, export.path()).expect("simulate to files");
    let eth = export.path().join("ethereum");
    let Chain::Evm(chain_id) = EVM_CHAIN else {
        panic!("EVM chain")
    };
    std::fs::write(eth.join("chain_id"), chain_id.to_string()).expect("chain id");

    let imported = tempfile::tempdir().expect("tempdir");
    let imported = Store::init(imported.path()).expect("store");
    let report = EthereumEtl
        .import(&imported, &eth, &ImportOptions::default())
        .expect("import");
    assert_eq!(report.chain, EVM_CHAIN);

    // Every bridge deposit of the world is kept as its router `Deposit` log, memo included.
    let kept = read_kept_logs(&imported, EVM_CHAIN).expect("kept logs");
    let deposits: Vec<_> = summary
        .truth
        .bridge_links
        .iter()
        .filter(|link| link.in_chain == EVM_CHAIN)
        .collect();
    assert!(!deposits.is_empty(), "the world bridges to Bitcoin");
    for link in deposits {
        let log = kept
            .iter()
            .find(|log| log.tx == link.in_tx)
            .unwrap_or_else(|| panic!("no kept log for bridge deposit {}", link.in_tx));
        assert_eq!(log.topics[0], KEPT_TOPICS[0].0, "THORChain router Deposit");
        let memo = link
            .in_memo
            .as_deref()
            .expect("a router deposit has a memo")
            .as_bytes();
        assert_eq!(&log.data[96..96 + memo.len()], memo);
    }

    let direct_dir = tempfile::tempdir().expect("tempdir");
    let direct = Store::init(&direct_dir.path().join("store")).expect("store");
    write_store(&config, &direct, &direct_dir.path().join("side")).expect("simulate to store");

    let (got, want) = (flows(&imported, EVM_CHAIN), flows(&direct, EVM_CHAIN));
    assert!(want.len() > 500, "a world of {} transactions", want.len());
    // The genesis allocations: the simulator files them under its own pseudo-hash, the
    // importer under the block-credits hash of block 0. Same transfers.
    let credits = block_credits_hash(chain_id, 0).to_hex();
    let (sim_genesis, _) = want
        .iter()
        .find(|(_, t)| !t.is_empty() && t.iter().all(|t| t.starts_with("None -> ")))
        .expect("the simulator's genesis");
    assert_eq!(
        got.get(&credits),
        want.get(sim_genesis),
        "genesis allocations"
    );
    let want: BTreeMap<_, _> = want.iter().filter(|(h, _)| *h != sim_genesis).collect();
    let mut differing = Vec::new();
    for (hash, transfers) in &want {
        if got.get(hash.as_str()) != Some(transfers) {
            differing.push(format!(
                "{hash}:\n  sim:    {transfers:?}\n  import: {:?}",
                got.get(hash.as_str())
            ));
        }
    }
    let extra: Vec<_> = got
        .keys()
        .filter(|h| !want.contains_key(h) && **h != credits)
        .collect();
    assert!(
        differing.is_empty() && extra.is_empty(),
        "{} of {} transactions differ, {} extra; first:\n{}",
        differing.len(),
        want.len(),
        extra.len(),
        differing
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
