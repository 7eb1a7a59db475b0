//! The bridges' records on both chains say what the ground truth says: THORChain in both
//! directions (memos, refunds, streaming payouts, pending inbounds, the vault churn) and BTC.b
//! mints, decoded from the emitted logs and OP_RETURNs with the real ABI.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use alloy_primitives::{Address as Abi, B256, Log};
use alloy_sol_types::SolEvent;
use chaintrail_core::{Address, TxHash};
use chaintrail_sim::*;

mod common;

use common::{Collect, run, small};

mod thorchain {
    alloy_sol_types::sol! {
        event Deposit(address indexed to, address indexed asset, uint256 amount, string memo);
        event TransferOut(
            address indexed vault,
            address indexed to,
            address asset,
            uint256 amount,
            string memo
        );
    }
}

mod btcb {
    alloy_sol_types::sol! {
        event Mint(
            address to,
            uint256 amount,
            address feeAddress,
            uint256 feeAmount,
            bytes32 originTxId,
            uint256 originOutputIndex
        );
        event Transfer(address indexed from, address indexed to, uint256 value);
    }
}

fn world() -> &'static (Collect, GroundTruth) {
    static WORLD: OnceLock<(Collect, GroundTruth)> = OnceLock::new();
    WORLD.get_or_init(|| run(&small()))
}

fn log_at<'a>(c: &'a Collect, tx: &TxHash, index: u64) -> &'a EvmLog {
    let view = &c.evm_txs[tx];
    &view
        .logs
        .iter()
        .find(|(i, _)| *i == index)
        .unwrap_or_else(|| panic!("no log {index} in {tx}"))
        .1
}

fn decode<E: SolEvent>(log: &EvmLog) -> E {
    let topics: Vec<B256> = log.topics.iter().map(|t| B256::from(*t)).collect();
    let raw = Log::new_unchecked(Abi::from(log.address), topics, log.data.clone().into());
    E::decode_log(&raw).unwrap_or_else(|e| panic!("{e}")).data
}

fn evm_text(raw: Abi) -> String {
    Address::Evm(raw.0.0).to_string()
}

fn entity_address(
    truth: &GroundTruth,
    name: &str,
    role: Role,
    chain: chaintrail_core::Chain,
) -> Vec<String> {
    truth
        .entities
        .iter()
        .filter(|e| e.name == name)
        .flat_map(|e| &e.addresses)
        .filter(|a| a.role == role && a.chain == chain)
        .map(|a| a.address.clone())
        .collect()
}

/// The OP_RETURN payload of a simulated Bitcoin transaction.
fn op_return(tx: &chaintrail_sim::BtcTx) -> Option<&[u8]> {
    tx.flow.outputs.iter().find_map(|o| o.data.as_deref())
}

#[test]
fn thorchain_records_join_exactly_in_both_directions() {
    let (c, truth) = world();
    let btc: HashMap<TxHash, &BtcTx> = c.btc.iter().map(|t| (t.flow.hash, t)).collect();
    let router = entity_address(truth, "Thornet Bridge", Role::Router, EVM_CHAIN);
    assert_eq!(router.len(), 1);
    let mut seen: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for l in truth
        .bridge_links
        .iter()
        .filter(|l| l.protocol == "thorchain")
    {
        *seen.entry((l.direction, l.kind, l.status)).or_default() += 1;
        let in_memo = l
            .in_memo
            .as_deref()
            .expect("THORChain inbounds carry a memo");
        // The inbound as the chain has it.
        if l.in_chain == EVM_CHAIN {
            let d: thorchain::Deposit = decode(log_at(c, &l.in_tx, l.in_index));
            assert_eq!(evm_text(d.to), l.vault);
            assert_eq!(d.asset, Abi::ZERO);
            assert_eq!(d.amount.to_string(), l.in_amount.to_string());
            assert_eq!(d.memo, in_memo);
            assert_eq!(
                evm_text(Abi::from(c.evm_txs[&l.in_tx].from)),
                l.in_from,
                "the sender"
            );
            assert_eq!(
                log_at(c, &l.in_tx, l.in_index).address.to_vec(),
                hex::decode(&router[0][2..]).expect("hex")
            );
        } else {
            let tx = btc[&l.in_tx];
            assert_eq!(op_return(tx), Some(in_memo.as_bytes()));
            assert!(in_memo.len() <= 80, "{in_memo}");
            let paid = &tx.flow.outputs[l.in_index as usize];
            assert_eq!(paid.address.to_string(), l.vault);
            assert_eq!(u128::from(paid.value).to_string(), l.in_amount.to_string());
            let vin0 = tx.flow.inputs[0].address.as_ref().expect("input address");
            assert_eq!(vin0.to_string(), l.in_from);
        }
        // The memo names the destination (a refund goes back to the sender or refund address).
        let dest = in_memo.split(':').nth(2).expect("destination field");
        let (to, refund_to) = dest.split_once('/').unwrap_or((dest, ""));
        if l.kind == "swap" {
            assert!(
                to.eq_ignore_ascii_case(&l.out_address),
                "{in_memo} vs {}",
                l.out_address
            );
        } else if refund_to.is_empty() {
            assert!(l.in_from.eq_ignore_ascii_case(&l.out_address));
        } else {
            assert!(refund_to.eq_ignore_ascii_case(&l.out_address));
        }
        let Some(out_tx) = l.out_tx else {
            assert_eq!(l.status, "pending");
            assert!(l.out_memo.is_none() && l.out_index.is_none());
            continue;
        };
        let prefix = if l.kind == "refund" { "REFUND" } else { "OUT" };
        let memo = format!("{prefix}:{}", l.in_tx.to_hex().to_uppercase());
        assert_eq!(l.out_memo.as_deref(), Some(memo.as_str()));
        let out_index = l.out_index.expect("a paid row has its index");
        let amount = l.out_amount.expect("a paid row has its amount").to_string();
        assert_eq!(l.out_chain == l.in_chain, l.kind == "refund");
        if l.out_chain == EVM_CHAIN {
            let t: thorchain::TransferOut = decode(log_at(c, &out_tx, out_index));
            assert_eq!(t.memo, memo);
            assert_eq!(t.amount.to_string(), amount);
            assert_eq!(evm_text(t.to), l.out_address);
            assert_eq!(t.asset, Abi::ZERO);
            // THORChain pays ETH in whole 1e8 units.
            assert_eq!(
                t.amount % alloy_primitives::U256::from(10_000_000_000u64),
                alloy_primitives::U256::ZERO
            );
            assert_eq!(
                evm_text(Abi::from(c.evm_txs[&out_tx].from)),
                evm_text(t.vault)
            );
        } else {
            let tx = btc[&out_tx];
            assert_eq!(op_return(tx), Some(memo.as_bytes()));
            let out = &tx.flow.outputs[out_index as usize];
            assert_eq!(out.address.to_string(), l.out_address);
            assert_eq!(u128::from(out.value).to_string(), amount);
        }
    }
    for key in [
        ("evm_to_btc", "swap", "completed"),
        ("evm_to_btc", "refund", "completed"),
        ("btc_to_evm", "swap", "completed"),
        ("btc_to_evm", "refund", "completed"),
        ("evm_to_btc", "swap", "pending"),
        ("btc_to_evm", "swap", "pending"),
    ] {
        assert!(
            seen.get(&key).is_some_and(|&n| n > 0),
            "no {key:?}: {seen:?}"
        );
    }
    // Streaming swaps paid in several outbounds with the same memo.
    let mut parts: HashMap<TxHash, BTreeSet<String>> = HashMap::new();
    let mut rows: HashMap<TxHash, usize> = HashMap::new();
    for l in truth.bridge_links.iter().filter(|l| l.out_tx.is_some()) {
        *rows.entry(l.in_tx).or_default() += 1;
        parts
            .entry(l.in_tx)
            .or_default()
            .insert(l.out_memo.clone().unwrap_or_default());
    }
    let split = rows.iter().filter(|(_, n)| **n > 1).count();
    assert!(split > 5, "{split} streaming swaps paid in parts");
    assert!(rows.iter().all(|(tx, n)| *n == 1 || parts[tx].len() == 1));
    // Users and heists use both directions.
    for direction in ["evm_to_btc", "btc_to_evm"] {
        for heist in [false, true] {
            assert!(
                truth.bridge_links.iter().any(|l| l.protocol == "thorchain"
                    && l.direction == direction
                    && l.heist.is_some() == heist),
                "{direction}, heist {heist}"
            );
        }
    }
}

#[test]
fn memos_vary_the_way_wallets_write_them() {
    let (_, truth) = world();
    let memos: Vec<&str> = truth
        .bridge_links
        .iter()
        .filter_map(|l| l.in_memo.as_deref())
        .collect();
    let has = |f: &dyn Fn(&str) -> bool, what: &str| {
        assert!(memos.iter().any(|m| f(m)), "no memo with {what}");
    };
    for prefix in ["SWAP:", "s:", "=:"] {
        has(&|m| m.starts_with(prefix), prefix);
    }
    for asset in [":BTC.BTC:", ":b:", ":ETH.ETH:", ":e:"] {
        has(&|m| m.contains(asset), asset);
    }
    let field = |m: &str, i: usize| m.split(':').nth(i).unwrap_or_default().to_string();
    has(
        &|m| field(m, 3).contains('e') && !field(m, 3).contains('/'),
        "a limit in scientific notation",
    );
    has(
        &|m| field(m, 3).chars().all(|c| c.is_ascii_digit()) && !field(m, 3).is_empty(),
        "a plain limit",
    );
    has(&|m| field(m, 3).split('/').count() == 3, "streaming fields");
    has(
        &|m| !field(m, 4).is_empty() && field(m, 5).parse::<u32>().is_ok(),
        "an affiliate",
    );
    has(&|m| field(m, 2).contains('/'), "a refund address");
    has(
        &|m| {
            field(m, 2).starts_with("0x")
                && field(m, 2)[2..].chars().any(|c| c.is_ascii_uppercase())
        },
        "a checksummed ETH address",
    );
    has(
        &|m| {
            field(m, 2).starts_with("0x")
                && !field(m, 2)[2..].chars().any(|c| c.is_ascii_uppercase())
        },
        "a lower-case ETH address",
    );
}

#[test]
fn the_vaults_churn_on_both_chains() {
    let (c, truth) = world();
    let btc: HashMap<TxHash, &BtcTx> = c.btc.iter().map(|t| (t.flow.hash, t)).collect();
    for chain in [EVM_CHAIN, BTC_CHAIN] {
        let vaults = entity_address(truth, "Thornet Bridge", Role::Vault, chain);
        assert_eq!(vaults.len(), 2, "{chain}");
        let used: BTreeSet<&str> = truth
            .bridge_links
            .iter()
            .filter(|l| l.protocol == "thorchain" && l.in_chain == chain)
            .map(|l| l.vault.as_str())
            .collect();
        assert_eq!(used.len(), 2, "inbounds reach both {chain} vaults");
        let migrations: Vec<&VaultMigration> = truth
            .vault_migrations
            .iter()
            .filter(|m| m.chain == chain)
            .collect();
        assert!(!migrations.is_empty());
        for m in migrations {
            assert!(m.memo.starts_with("MIGRATE:"));
            assert_eq!(
                (m.from.as_str(), m.to.as_str()),
                (vaults[0].as_str(), vaults[1].as_str())
            );
            if chain == BTC_CHAIN {
                assert_eq!(op_return(btc[&m.tx]), Some(m.memo.as_bytes()));
            }
        }
    }
}

#[test]
fn btcb_mints_carry_their_bitcoin_origin() {
    let (c, truth) = world();
    let btc: HashMap<TxHash, &BtcTx> = c.btc.iter().map(|t| (t.flow.hash, t)).collect();
    let deposit = entity_address(truth, "Glacier Bridge", Role::Deposit, BTC_CHAIN);
    let fee_to = entity_address(truth, "Glacier Bridge", Role::Fee, EVM_CHAIN);
    let token = entity_address(truth, "Glacier Bridge", Role::Token, EVM_CHAIN);
    assert_eq!((deposit.len(), fee_to.len(), token.len()), (1, 1, 1));
    let (mut minted, mut pending, mut heist) = (0, 0, 0);
    for l in truth.bridge_links.iter().filter(|l| l.protocol == "btcb") {
        assert_eq!(
            (l.direction, l.kind, l.in_chain),
            ("btc_to_evm", "mint", BTC_CHAIN)
        );
        assert!(l.in_memo.is_none() && l.out_memo.is_none());
        assert_eq!(l.vault, deposit[0]);
        let tx = btc[&l.in_tx];
        let paid = &tx.flow.outputs[l.in_index as usize];
        assert_eq!(paid.address.to_string(), deposit[0]);
        assert_eq!(paid.value.to_string(), l.in_amount.to_string());
        heist += usize::from(l.heist.is_some());
        let Some(out_tx) = l.out_tx else {
            pending += 1;
            continue;
        };
        minted += 1;
        let log = log_at(c, &out_tx, l.out_index.expect("index"));
        assert_eq!(evm_text(Abi::from(log.address)), token[0]);
        assert_eq!(
            hex::encode(log.topics[0]),
            "c5532043e6f3d77e1c320ff59bd4157ca9075ef59f6b55ceab6c3f7d2f78c9ca"
        );
        let m: btcb::Mint = decode(log);
        // originTxId: the txid as explorers and bitcoin-etl print it.
        assert_eq!(hex::encode(m.originTxId), l.in_tx.to_hex());
        assert_eq!(m.originOutputIndex.to::<u64>(), l.in_index);
        assert_eq!(evm_text(m.to), l.out_address);
        assert_eq!(evm_text(m.feeAddress), fee_to[0]);
        assert_eq!(
            Some(m.amount.to_string()),
            l.out_amount.map(|a| a.to_string())
        );
        // Both new units come as Transfers from the zero address; together they are the deposit.
        let mints: Vec<btcb::Transfer> = c.evm_txs[&out_tx]
            .logs
            .iter()
            .filter(|(_, log)| log.topics.len() == 3)
            .map(|(_, log)| decode(log))
            .collect();
        assert_eq!(mints.len(), 2);
        assert!(mints.iter().all(|t| t.from == Abi::ZERO));
        assert_eq!(
            (mints[0].value + mints[1].value).to_string(),
            l.in_amount.to_string()
        );
        assert_eq!(m.amount + m.feeAmount, mints[0].value + mints[1].value);
    }
    assert!(
        minted > 20 && pending > 0 && heist > 0,
        "{minted} minted, {pending} pending, {heist} of heists"
    );
    // BTC.b is an asset of the world and of the Bybit-like heist's truth.
    assert!(
        truth
            .assets
            .iter()
            .any(|a| a.symbol == "BTC.b" && a.decimals == 8)
    );
}

#[test]
fn bybit_like_value_comes_back_to_the_evm_chain_through_both_bridges() {
    let (_, truth) = world();
    let bybit = &truth.heists[2];
    let back = |to: &str| {
        bybit
            .conversions
            .iter()
            .filter(|c| c.via == "bridge" && c.from.symbol == "BTC" && c.to.symbol == to)
            .count()
    };
    assert!(
        back("ETH") > 0 && back("BTC.b") > 0,
        "{} via THORChain, {} via BTC.b",
        back("ETH"),
        back("BTC.b")
    );
    for symbol in ["ETH", "BTC.b"] {
        assert!(
            bybit.endpoints.iter().any(|e| e.chain == EVM_CHAIN
                && e.symbol == symbol
                && e.status == "at_service"
                && e.category == Category::Exchange),
            "Bybit-like {symbol} reaches exchange deposit addresses"
        );
    }
}
