//! Outcomes of simulated worlds: determinism, conservation, ground-truth consistency, exact
//! ETL columns.

use std::collections::{BTreeMap, HashMap, HashSet};

use chaintrail_core::{Address, AssetKind, OutPoint, TransferKind};
use chaintrail_sim::*;

mod common;

use common::{run, small};

fn hash_dir(dir: &std::path::Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).expect("readable file");
                let h = alloy_like_hash(&bytes);
                out.insert(
                    p.strip_prefix(dir).expect("prefix").display().to_string(),
                    h,
                );
            }
        }
    }
    out
}

fn alloy_like_hash(bytes: &[u8]) -> u64 {
    // FNV-1a: enough to compare files.
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[test]
fn same_seed_same_bytes_different_seed_different_bytes() {
    let cfg = SimConfig {
        seed: 3,
        scale: 8_000,
        days: 1,
    };
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let c = tempfile::tempdir().expect("tempdir");
    write_dir(&cfg, a.path()).expect("write a");
    write_dir(&cfg, b.path()).expect("write b");
    write_dir(&SimConfig { seed: 4, ..cfg }, c.path()).expect("write c");
    let (ha, hb, hc) = (hash_dir(a.path()), hash_dir(b.path()), hash_dir(c.path()));
    assert_eq!(ha.len(), 13, "{ha:?}");
    assert_eq!(ha, hb);
    // Everything but the chain id file, which names the world's chain, depends on the seed.
    for (file, h) in ha.iter().filter(|(file, _)| !file.ends_with("chain_id")) {
        assert_ne!(Some(h), hc.get(file), "{file} did not change with the seed");
    }
}

#[test]
fn value_is_conserved_on_both_chains() {
    let (c, truth) = run(&small());
    assert!(c.evm_heights.windows(2).all(|w| w[0] < w[1]));
    assert!(c.btc_heights.windows(2).all(|w| w[0] < w[1]));
    // EVM: replay every transfer; no balance ever goes negative.
    let mut bal: HashMap<(Address, AssetKind), i128> = HashMap::new();
    let mut transfers = 0u64;
    let mut fee_txs = 0;
    for tx in &c.evm {
        let kinds: Vec<TransferKind> = tx.transfers.iter().map(|t| t.kind).collect();
        if kinds.contains(&TransferKind::Fee) {
            fee_txs += 1;
            assert!(
                kinds.contains(&TransferKind::Burn),
                "every fee payer burns the base fee"
            );
        }
        for t in &tx.transfers {
            transfers += 1;
            let v = t.amount.to_u128().expect("fits") as i128;
            if let Some(from) = &t.from {
                let e = bal.entry((from.clone(), t.asset.clone())).or_default();
                *e -= v;
                assert!(
                    *e >= 0,
                    "{from} goes negative in {} at {}",
                    t.asset_symbol(),
                    tx.hash
                );
            } else {
                assert_eq!(t.kind, TransferKind::Mint);
            }
            if let Some(to) = &t.to {
                *bal.entry((to.clone(), t.asset.clone())).or_default() += v;
            } else {
                assert_eq!(t.kind, TransferKind::Burn);
            }
        }
    }
    assert_eq!(
        fee_txs,
        c.evm.len() - 1,
        "every transaction but the genesis pays gas"
    );
    assert_eq!(transfers, truth.stats.evm_transfers);
    assert!(transfers as f64 > 0.9 * small().scale as f64);
    // Bitcoin: every input spends an existing unspent output with the recorded value.
    let mut utxo: HashMap<OutPoint, (u64, Address)> = HashMap::new();
    for tx in &c.btc {
        let out_sum: u64 = tx.flow.outputs.iter().map(|o| o.value).sum();
        if tx.flow.is_coinbase() {
            assert!(out_sum > 0);
        } else {
            let mut in_sum = 0;
            for i in &tx.flow.inputs {
                let prev = i.prevout.expect("non-coinbase input spends an outpoint");
                let (v, a) = utxo.remove(&prev).expect("spends an unspent output once");
                assert_eq!(Some(v), i.value);
                assert_eq!(Some(&a), i.address.as_ref());
                in_sum += v;
            }
            assert!(
                in_sum >= out_sum,
                "fee is never negative in {}",
                tx.flow.hash
            );
        }
        for (vout, o) in tx.flow.outputs.iter().enumerate() {
            utxo.insert(
                OutPoint {
                    tx: tx.flow.hash,
                    vout: vout as u32,
                },
                (o.value, o.address.clone()),
            );
        }
    }
    // Every script type appears, and regtest addresses print as such.
    let types: HashSet<&str> = c
        .btc
        .iter()
        .flat_map(|t| t.flow.outputs.iter().map(|o| o.address.type_name()))
        .collect();
    for t in ["p2wpkh", "p2pkh", "p2sh", "p2tr", "nulldata"] {
        assert!(types.contains(t), "no {t} output");
    }
    assert!(
        c.btc[1].flow.outputs[0]
            .address
            .to_string()
            .starts_with("bcrt1")
    );
}

trait Symbol {
    fn asset_symbol(&self) -> String;
}
impl Symbol for chaintrail_core::AccountTransfer {
    fn asset_symbol(&self) -> String {
        match &self.asset {
            AssetKind::Native => "ETH".into(),
            AssetKind::Token(a) => a.to_string(),
        }
    }
}

#[test]
fn ground_truth_accounts_for_every_stolen_unit() {
    let (c, truth) = run(&small());
    assert_eq!(truth.heists.len(), 3);
    // Final balances recomputed from the records.
    let mut evm_bal: HashMap<(String, String), u128> = HashMap::new();
    for tx in &c.evm {
        for t in &tx.transfers {
            let key = |a: &Address| {
                (
                    a.to_string(),
                    serde_json::to_string(&t.asset).expect("json"),
                )
            };
            let v = t.amount.to_u128().expect("fits");
            if let Some(f) = &t.from {
                *evm_bal.entry(key(f)).or_default() -= v;
            }
            if let Some(to) = &t.to {
                *evm_bal.entry(key(to)).or_default() += v;
            }
        }
    }
    let mut btc_unspent: HashMap<String, u128> = HashMap::new();
    let mut spent = HashSet::new();
    for tx in &c.btc {
        for i in &tx.flow.inputs {
            if let Some(p) = i.prevout {
                spent.insert(p);
            }
        }
    }
    for tx in &c.btc {
        for (v, o) in tx.flow.outputs.iter().enumerate() {
            if !spent.contains(&OutPoint {
                tx: tx.flow.hash,
                vout: v as u32,
            }) {
                *btc_unspent.entry(o.address.to_string()).or_default() += u128::from(o.value);
            }
        }
    }
    for h in &truth.heists {
        let key = |chain: chaintrail_core::Chain, asset: &AssetKind| {
            format!("{chain}/{}", serde_json::to_string(asset).expect("json"))
        };
        let mut book: BTreeMap<String, i128> = BTreeMap::new();
        for s in &h.stolen {
            *book.entry(key(s.chain, &s.asset)).or_default() +=
                s.amount.to_u128().expect("fits") as i128;
        }
        for cv in &h.conversions {
            *book.entry(key(cv.from.chain, &cv.from.asset)).or_default() -=
                cv.from.amount.to_u128().expect("fits") as i128;
            *book.entry(key(cv.to.chain, &cv.to.asset)).or_default() +=
                cv.to.amount.to_u128().expect("fits") as i128;
        }
        for f in &h.fees {
            *book.entry(key(f.paid.chain, &f.paid.asset)).or_default() -=
                f.paid.amount.to_u128().expect("fits") as i128;
        }
        let mut ends: BTreeMap<String, i128> = BTreeMap::new();
        for e in &h.endpoints {
            *ends.entry(key(e.chain, &e.asset)).or_default() +=
                e.amount.to_u128().expect("fits") as i128;
        }
        book.retain(|_, v| *v != 0);
        assert_eq!(
            book, ends,
            "{}: stolen − fees ± conversions = endpoints, per asset",
            h.name
        );
        // Thief-held stolen endpoints plus the clean value the merge rule leaves there are
        // exactly what the chain says the address holds.
        let mut thief_held: BTreeMap<(String, String), u128> = BTreeMap::new();
        for e in h
            .endpoints
            .iter()
            .chain(h.clean_held.iter())
            .filter(|e| e.category == Category::Thief)
        {
            assert!(e.chain == EVM_CHAIN || e.chain == BTC_CHAIN);
            *thief_held
                .entry((
                    e.address.clone(),
                    serde_json::to_string(&e.asset).expect("json"),
                ))
                .or_default() += e.amount.to_u128().expect("fits");
        }
        for ((address, asset), amount) in &thief_held {
            let actual = evm_bal
                .get(&(address.clone(), asset.clone()))
                .copied()
                .or_else(|| btc_unspent.get(address).copied())
                .unwrap_or(0);
            assert_eq!(actual, *amount, "{} at {address}", h.name);
        }
        // Unrelated clean value reached the thieves: top-ups, dust on both chains, a merge.
        for kind in ["gas_topup", "dust", "merge"] {
            assert!(
                h.clean_inflows.iter().any(|c| c.kind == kind),
                "{}: no {kind} inflow",
                h.name
            );
        }
        assert!(
            h.clean_inflows
                .iter()
                .any(|c| c.kind == "dust" && c.symbol == "USDC"),
            "{}: no USDC dust",
            h.name
        );
        assert!(
            h.endpoints.iter().any(|e| e.status == "at_service"),
            "{} reaches services",
            h.name
        );
        assert!(!h.laundering_addresses.is_empty());
    }
    let bybit = &truth.heists[2];
    assert!(bybit.endpoints.iter().any(|e| e.status == "frozen"));
    assert_eq!(truth.merge_rule, "fifo");
    assert!(
        bybit
            .clean_inflows
            .iter()
            .any(|c| c.chain == BTC_CHAIN && c.kind == "merge"),
        "a Bybit-like peel chain starts from stolen and clean coins"
    );
    assert!(
        truth
            .heists
            .iter()
            .flat_map(|h| &h.clean_inflows)
            .any(|c| c.chain == BTC_CHAIN && c.kind == "dust")
    );
    assert!(
        bybit.endpoints.iter().any(|e| e.chain == BTC_CHAIN),
        "Bybit-like funds reach Bitcoin"
    );
    assert!(
        truth
            .peel_chains
            .iter()
            .any(|p| p.heist.is_some() && p.txs.len() >= 3)
    );
    let ronin = &truth.heists[0];
    assert!(
        truth
            .mixer_links
            .iter()
            .filter(|l| l.heist.as_deref() == Some(ronin.name.as_str()))
            .count()
            > 1_000
    );
    let by_txid: HashMap<_, _> = c.btc.iter().map(|t| (t.flow.hash, t)).collect();
    // CoinJoins have their real shapes.
    for cj in &truth.coinjoins {
        let tx = by_txid[&cj.txid];
        let equal = tx
            .flow
            .outputs
            .iter()
            .filter(|o| o.value == cj.denomination)
            .count();
        match cj.kind {
            "whirlpool" => {
                assert_eq!(
                    (tx.flow.inputs.len(), tx.flow.outputs.len(), equal),
                    (5, 5, 5)
                );
            }
            "wasabi1" => {
                assert!(equal >= 5 && tx.flow.inputs.len() >= 5);
                assert!((8_000_000..12_000_000).contains(&cj.denomination));
            }
            kind => {
                assert_eq!(kind, "wasabi2");
                assert_eq!(equal, cj.equal_outputs);
                assert!(tx.flow.inputs.len() >= 10 && tx.flow.outputs.len() >= 10);
            }
        }
    }
    assert!(truth.coinjoins.iter().any(|c| c.kind == "whirlpool"));
    assert!(truth.coinjoins.iter().any(|c| c.kind == "wasabi1"));
}

fn header(path: &std::path::Path) -> String {
    std::fs::read_to_string(path)
        .expect("readable")
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn exports_carry_exactly_the_etl_columns() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/chain_fixtures");
    let eth = fixtures.join("ethereum_etl");
    let dir = tempfile::tempdir().expect("tempdir");
    write_dir(
        &SimConfig {
            seed: 1,
            scale: 5_000,
            days: 1,
        },
        dir.path(),
    )
    .expect("write");
    let out = dir.path().join("ethereum");
    for (ours, theirs) in [
        (
            "blocks.csv",
            "test_export_blocks_job/blocks_with_transactions_and_withdrawals/expected_blocks.csv",
        ),
        (
            "transactions.csv",
            "test_export_blocks_job/blocks_with_transactions_and_withdrawals/expected_transactions.csv",
        ),
        (
            "receipts.csv",
            "test_export_receipts_job/receipts_with_logs/expected_receipts.csv",
        ),
        (
            "logs.csv",
            "test_export_receipts_job/receipts_with_logs/expected_logs.csv",
        ),
        (
            "token_transfers.csv",
            "test_export_token_transfers_job/block_with_transfers/expected_token_transfers.csv",
        ),
        (
            "traces.csv",
            "test_export_traces_job/block_with_subtraces/expected_traces.csv",
        ),
        (
            "tokens.csv",
            "test_export_tokens_job/token_with_invalid_data/expected_tokens.csv",
        ),
    ] {
        assert_eq!(header(&out.join(ours)), header(&eth.join(theirs)), "{ours}");
    }
    let btc = fixtures.join("bitcoin_etl/test_export_blocks_job/bitcoin/block_with_transactions");
    let keys = |path: &std::path::Path| -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(path).expect("readable");
        let line = text
            .lines()
            .find(|l| l.contains("\"is_coinbase\":false") || l.contains("\"is_coinbase\": false"))
            .or_else(|| text.lines().next())
            .unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let obj_keys = |v: &serde_json::Value| {
            v.as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let mut out = vec![obj_keys(&v)];
        for part in ["inputs", "outputs"] {
            if let Some(first) = v.get(part).and_then(|a| a.get(0)) {
                out.push(obj_keys(first));
            }
        }
        out
    };
    // serde_json (without preserve_order) sorts keys, so compare sets; the order is fixed by
    // the BITCOIN_* constants, checked against the raw text below.
    assert_eq!(
        keys(&dir.path().join("bitcoin/blocks.json")),
        keys(&btc.join("expected_blocks.json"))
    );
    assert_eq!(
        keys(&dir.path().join("bitcoin/transactions.json")),
        keys(&btc.join("expected_transactions.json"))
    );
    let ours =
        std::fs::read_to_string(dir.path().join("bitcoin/transactions.json")).expect("readable");
    let line = ours
        .lines()
        .find(|l| l.contains("\"is_coinbase\":false"))
        .expect("a non-coinbase transaction");
    let mut last = 0;
    for k in BITCOIN_TRANSACTION_KEYS {
        let at = line.find(&format!("\"{k}\":")).expect("key present");
        assert!(at >= last, "{k} out of order");
        last = at;
    }
    // OP_RETURN outputs as bitcoin-etl writes them: Bitcoin Core's `nulldata` has no address,
    // so bitcoin-etl makes the output `nonstandard` with `nonstandard<sha256(script)[..40]>`.
    let memo_output = ours
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .flat_map(|tx| tx["outputs"].as_array().cloned().unwrap_or_default())
        .find(|o| {
            o["script_asm"]
                .as_str()
                .is_some_and(|a| a.starts_with("OP_RETURN 4f55543a"))
        })
        .expect("a THORChain outbound's OP_RETURN");
    let script = memo_output["script_hex"].as_str().expect("hex");
    let payload = &script[4..];
    assert_eq!(&script[..4], format!("6a{:02x}", payload.len() / 2));
    assert_eq!(memo_output["script_asm"], format!("OP_RETURN {payload}"));
    assert_eq!(memo_output["type"], "nonstandard");
    assert_eq!(memo_output["value"], 0);
    assert_eq!(memo_output["required_signatures"], serde_json::Value::Null);
    let digest = {
        use bitcoin::hashes::{Hash, sha256};
        sha256::Hash::hash(&hex::decode(script).expect("hex")).to_byte_array()
    };
    assert_eq!(
        memo_output["addresses"],
        serde_json::json!([format!("nonstandard{}", &hex::encode(digest)[..40])])
    );
    let memo = String::from_utf8(hex::decode(payload).expect("hex")).expect("utf-8");
    assert!(memo.starts_with("OUT:") && memo.len() == 68, "{memo}");
    let tags =
        std::fs::read_to_string(dir.path().join("tagpacks/chaintrail-sim.yaml")).expect("tagpack");
    assert!(tags.starts_with("title: "));
    assert!(
        tags.contains("category: mixing_service")
            && tags.contains("category: defi_bridge")
            && tags.contains("abuse: service_hack")
    );
}

#[test]
fn world_goes_into_a_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = chaintrail_store::Store::init(&dir.path().join("data")).expect("store");
    let summary = write_store(
        &SimConfig {
            seed: 2,
            scale: 5_000,
            days: 1,
        },
        &store,
        dir.path(),
    )
    .expect("write");
    let evm = store.reader(EVM_CHAIN).expect("evm chain");
    assert_eq!(evm.transfer_count(), summary.truth.stats.evm_transfers);
    let btc = store.reader(BTC_CHAIN).expect("btc chain");
    assert_eq!(btc.tx_count() as u64, summary.truth.stats.btc_txs);
    assert!(
        evm.assets()
            .iter()
            .any(|a| a.symbol == "USDC" && a.decimals == 6)
    );
}
