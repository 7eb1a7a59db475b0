//! Real mainnet blocks (ethereum-etl's own fixtures): the Multichain decoder on a real mainnet `LogAnySwapIn` (Ethereum block 17,173,050 as
//! ethereum-etl exports it, in its own test fixtures): the source transaction it names is on
//! Cronos (chain 25). Without Cronos in the store the swap is decoded and left unmatched; with a
//! Cronos export holding that transaction and its `LogAnySwapOut`, the two are joined exactly
//! and the value crosses to the recipient in a trace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chaintrail_core::{Address, Chain};
use chaintrail_evm::EthereumEtl;
use chaintrail_ingest::{ImportOptions, Importer};
use chaintrail_labels::Category;
use chaintrail_links::{Services, build};
use chaintrail_store::{ChainReader, Store};
use chaintrail_trace::{EndpointKind, NoAttribution, Policy, Prices, TraceRequest};
use serde_json::json;

struct NoServices;

impl Services for NoServices {
    fn service(&self, _: Chain, _: &Address) -> Option<(Category, String)> {
        None
    }
    fn addresses(&self, _: Chain) -> Vec<(Address, Category, String)> {
        Vec::new()
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/data/chain_fixtures/ethereum_etl/test_stream/blocks_17173049_17173050",
    )
}

const SWAP_IN_TX: &str = "0x38bdf78d419889896e529a90c0072dcb79271f4ca731fc743ca5d9f82bb95951";
const SOURCE_TX: &str = "0x7f33e9eac16fe821ff43994f5285753499e9d91211605ca55e19b35394979568";
const FUNDING_TX: &str = "0x2525252525252525252525252525252525252525252525252525252525252525";
const RECIPIENT: &str = "0x02d10f41f3A88614C63f718272C60Da7Bf37A53e";

fn ethereum_store(dir: &Path) -> Store {
    let export = tempfile::tempdir().expect("tmp");
    for table in ["blocks", "transactions", "logs", "token_transfers"] {
        std::fs::copy(
            fixtures().join(format!("expected_{table}.json")),
            export.path().join(format!("{table}.json")),
        )
        .expect("copy");
    }
    let store = Store::init(dir).expect("store");
    EthereumEtl
        .import(&store, export.path(), &ImportOptions::default())
        .expect("import");
    store
}

/// A Cronos export: the user receives anyETH (a mint, the seed), then the source transaction
/// burns it through the router, which logs `LogAnySwapOut(token, from, to, amount, 25, 1)`.
fn import_cronos_source(store: &Store) {
    let export = tempfile::tempdir().expect("tmp");
    std::fs::write(export.path().join("chain_id"), "25").expect("chain id");
    let router = "0x0615dbba33fe61a31c7ed131bda6655ed76748b1";
    let any_eth = "0x2a038e100f8b85df21e4d44121bdbfe0c288a869";
    let user = "0x02d10f41f3a88614c63f718272c60da7bf37a53e";
    let block = json!({"type": "block", "number": 8_000_000u64, "hash": format!("0x{}", "25".repeat(32)),
        "parent_hash": format!("0x{}", "00".repeat(32)), "timestamp": 1_683_029_000u64,
        "miner": "0x0000000000000000000000000000000000000000", "transaction_count": 1,
        "gas_limit": 30000000, "gas_used": 60000, "base_fee_per_gas": 1000u64});
    let funding = json!({"type": "transaction", "hash": FUNDING_TX, "nonce": 0, "transaction_index": 0,
        "from_address": router, "to_address": any_eth, "value": 0, "gas": 100000, "gas_price": 1000u64,
        "input": "0x", "block_timestamp": 1_683_029_000u64, "block_number": 8_000_000u64,
        "block_hash": format!("0x{}", "25".repeat(32)), "transaction_type": 2,
        "receipt_cumulative_gas_used": 60000, "receipt_gas_used": 60000, "receipt_contract_address": null,
        "receipt_root": null, "receipt_status": 1, "receipt_effective_gas_price": 1000u64});
    let tx = json!({"type": "transaction", "hash": SOURCE_TX, "nonce": 0, "transaction_index": 1,
        "from_address": user, "to_address": router, "value": 0, "gas": 100000, "gas_price": 1000u64,
        "input": "0x", "block_timestamp": 1_683_029_000u64, "block_number": 8_000_000u64,
        "block_hash": format!("0x{}", "25".repeat(32)), "transaction_type": 2,
        "receipt_cumulative_gas_used": 60000, "receipt_gas_used": 60000, "receipt_contract_address": null,
        "receipt_root": null, "receipt_status": 1, "receipt_effective_gas_price": 1000u64});
    let word = |hex: &str| format!("{:0>64}", hex.trim_start_matches("0x"));
    let amount = "04dd5444b0791000"; // 0.350529 anyETH, what the real LogAnySwapIn minted
    let mint = json!({"type": "log", "log_index": 0, "transaction_hash": FUNDING_TX, "transaction_index": 0,
        "address": any_eth, "data": format!("0x{}", word(amount)),
        "topics": ["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
                   format!("0x{}", word("0")), format!("0x{}", word(user))],
        "block_number": 8_000_000u64, "block_timestamp": 1_683_029_000u64,
        "block_hash": format!("0x{}", "25".repeat(32))});
    let burn = json!({"type": "log", "log_index": 1, "transaction_hash": SOURCE_TX, "transaction_index": 1,
        "address": any_eth, "data": format!("0x{}", word(amount)),
        "topics": ["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
                   format!("0x{}", word(user)), format!("0x{}", word("0"))],
        "block_number": 8_000_000u64, "block_timestamp": 1_683_029_000u64,
        "block_hash": format!("0x{}", "25".repeat(32))});
    let swap_out = json!({"type": "log", "log_index": 2, "transaction_hash": SOURCE_TX, "transaction_index": 1,
        "address": router, "data": format!("0x{}{}{}", word(amount), word("19"), word("1")),
        "topics": ["0x97116cf6cd4f6412bb47914d6db18da9e16ab2142f543b86e207c24fbd16b23a",
                   format!("0x{}", word(any_eth)), format!("0x{}", word(user)), format!("0x{}", word(user))],
        "block_number": 8_000_000u64, "block_timestamp": 1_683_029_000u64,
        "block_hash": format!("0x{}", "25".repeat(32))});
    std::fs::write(export.path().join("blocks.json"), format!("{block}\n")).expect("write");
    std::fs::write(
        export.path().join("transactions.json"),
        format!("{funding}\n{tx}\n"),
    )
    .expect("write");
    std::fs::write(
        export.path().join("logs.json"),
        format!("{mint}\n{burn}\n{swap_out}\n"),
    )
    .expect("write");
    EthereumEtl
        .import(store, export.path(), &ImportOptions::default())
        .expect("import cronos");
}

#[test]
fn a_real_swap_in_without_its_source_chain_is_decoded_and_unmatched() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = ethereum_store(dir.path());
    let built = build(&store, &NoServices).expect("links");
    let stats = &built.manifest.decoders["multichain"];
    assert_eq!((stats.decoded, stats.links, stats.unmatched), (1, 0, 1));
    let derived: Vec<&str> = built
        .attributions
        .iter()
        .filter(|a| a.detector == "multichain")
        .map(|a| a.address.as_str())
        .collect();
    // The router that emitted it and the anyToken it minted.
    assert_eq!(
        derived,
        [
            "0x0615Dbba33Fe61a31c7eD131BDA6655Ed76748B1",
            "0xBa8Da9dcF11B50B03fd5284f164Ef5cdEF910705"
        ]
    );
}

#[test]
fn with_the_source_chain_the_swap_joins_exactly_and_a_trace_crosses_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = ethereum_store(dir.path());
    import_cronos_source(&store);
    let built = chaintrail_links::refresh(&store).expect("links");
    let links: Vec<_> = built
        .set
        .links()
        .iter()
        .filter(|l| l.decoder == "multichain")
        .collect();
    assert_eq!(links.len(), 1, "{links:?}");
    let link = links[0];
    assert_eq!(
        (link.from_chain, link.from_tx.to_hex_prefixed()),
        (Chain::Evm(25), SOURCE_TX.to_string())
    );
    assert_eq!(
        (link.to_chain, link.to_tx.to_hex_prefixed()),
        (Chain::ETHEREUM, SWAP_IN_TX.to_string())
    );
    assert_eq!(link.to_address.as_deref(), Some(RECIPIENT));
    // `links show` finds it by either transaction and by the recipient.
    for what in [SOURCE_TX, SWAP_IN_TX, RECIPIENT] {
        let about = chaintrail_links::derived_about(store.dir(), what).expect("show");
        assert_eq!(about.links, vec![link.clone()], "{what}");
        assert!(about.pending.is_empty(), "{what}");
    }
    assert!(
        chaintrail_links::derived_about(store.dir(), FUNDING_TX)
            .expect("show")
            .is_empty()
    );
    // The anyETH burnt on Cronos is followed to Ethereum and minted to the recipient, who
    // burns it in the same transaction to withdraw ETH — a withdrawal the export cannot show
    // (no traces), so the trail ends burnt there.
    let mut readers: BTreeMap<Chain, ChainReader> = BTreeMap::new();
    for chain in store.chains().expect("chains") {
        readers.insert(chain, store.reader(chain).expect("reader"));
    }
    let request = TraceRequest {
        seeds: vec![
            format!("{}:{FUNDING_TX}", Chain::Evm(25))
                .parse()
                .expect("seed"),
        ],
        policy: Policy::Fifo,
        ..TraceRequest::default()
    };
    let report = chaintrail_trace::trace_with(
        &readers,
        &NoAttribution,
        &Prices::bundled(),
        &[&built.set],
        &request,
    )
    .expect("trace");
    let ends: Vec<(EndpointKind, Chain, &str)> = report
        .endpoints
        .iter()
        .filter(|e| e.value.asset != "ETH")
        .map(|e| (e.kind, e.chain, e.value.amount.as_str()))
        .collect();
    assert_eq!(
        ends,
        [(EndpointKind::Burnt, Chain::ETHEREUM, "350529000000000000")],
        "{:?}",
        report.endpoints
    );
    let path = &report
        .endpoints
        .iter()
        .find(|e| e.chain == Chain::ETHEREUM)
        .expect("an endpoint on Ethereum")
        .path;
    assert!(
        path.iter()
            .any(|s| s.rule.contains("LogAnySwapIn txhash") && s.to.as_deref() == Some(RECIPIENT)),
        "{path:?}"
    );
}

#[test]
fn dex_pools_of_real_blocks_are_known_by_their_swap_events() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = ethereum_store(dir.path());
    let swaps = chaintrail_evm::events::read_swaps(&store, Chain::ETHEREUM).expect("swaps");
    let built = build(&store, &NoServices).expect("links");
    let mut pools: Vec<String> = swaps.iter().map(|s| s.pool.to_string()).collect();
    pools.sort();
    pools.dedup();
    assert!(!pools.is_empty(), "the blocks hold Uniswap swaps");
    let mut derived: Vec<String> = built
        .attributions
        .iter()
        .filter(|a| a.detector == "protocol-events")
        .inspect(|a| assert_eq!(a.role, Category::Dex, "{a:?}"))
        .map(|a| a.address.clone())
        .collect();
    derived.sort();
    assert_eq!(derived, pools);
    assert_eq!(
        built.manifest.decoders["protocol-events"].decoded,
        swaps.len() as u64
    );
}
