//! The wallet truth: who controls every address on chain, and the wallet habits that make
//! clustering worth scoring against it.

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};

use chaintrail_sim::*;
use common::{run, small};

#[test]
fn every_address_on_chain_has_one_owner_and_the_habits_show() {
    let (c, truth) = run(&small());
    let rows = &truth.wallets.addresses;
    let owner: HashMap<(chaintrail_core::Chain, &str), &AddressOwner> = rows
        .iter()
        .map(|r| ((r.chain, r.address.as_str()), r))
        .collect();
    assert_eq!(owner.len(), rows.len(), "one row per address");
    let btc_owner = |a: &chaintrail_core::Address| {
        owner
            .get(&(BTC_CHAIN, a.to_string().as_str()))
            .map(|r| r.owner())
            .unwrap_or_else(|| panic!("{a} has no owner"))
    };

    // Bitcoin: exactly the addresses paid on chain are listed.
    let paid: HashSet<String> = c
        .btc
        .iter()
        .flat_map(|t| &t.flow.outputs)
        .filter(|o| o.data.is_none())
        .map(|o| o.address.to_string())
        .collect();
    let listed: HashSet<String> = rows
        .iter()
        .filter(|r| r.chain == BTC_CHAIN)
        .map(|r| r.address.clone())
        .collect();
    assert_eq!(listed, paid);
    // EVM: every sender and receiver of a transfer is listed.
    for t in c.evm.iter().flat_map(|t| &t.transfers) {
        for a in t.from.iter().chain(&t.to) {
            assert!(
                owner.contains_key(&(EVM_CHAIN, a.to_string().as_str())),
                "{a}"
            );
        }
    }
    // Entity addresses are owned by their entity.
    for e in &truth.entities {
        for a in &e.addresses {
            if let Some(r) = owner.get(&(a.chain, a.address.as_str())) {
                assert_eq!(r.entity, Some(e.id), "{} of {}", a.address, e.name);
            }
        }
    }

    // The multi-input heuristic holds on every transaction but the CoinJoins: the simulated
    // wallets neither PayJoin nor share a transaction otherwise.
    let coinjoins: HashMap<_, _> = truth.coinjoins.iter().map(|cj| (cj.txid, cj)).collect();
    let mut consolidations = 0;
    let mut self_sends = 0;
    for tx in c.btc.iter().filter(|t| t.flow.inputs[0].prevout.is_some()) {
        let inputs: BTreeSet<TrueOwner> = tx
            .flow
            .inputs
            .iter()
            .filter_map(|i| i.address.as_ref())
            .map(btc_owner)
            .collect();
        let Some(cj) = coinjoins.get(&tx.flow.hash) else {
            assert_eq!(inputs.len(), 1, "{} has inputs of {inputs:?}", tx.flow.hash);
            let outputs: BTreeSet<TrueOwner> = tx
                .flow
                .outputs
                .iter()
                .filter(|o| o.data.is_none())
                .map(|o| btc_owner(&o.address))
                .collect();
            if outputs == inputs && matches!(inputs.first(), Some(TrueOwner::Wallet(..))) {
                if tx.flow.inputs.len() >= 3 && tx.flow.outputs.len() == 1 {
                    consolidations += 1;
                } else if tx.flow.outputs.len() == 2 {
                    self_sends += 1;
                }
            }
            continue;
        };
        let outputs: Vec<TrueOwner> = tx
            .flow
            .outputs
            .iter()
            .map(|o| btc_owner(&o.address))
            .collect();
        match cj.kind {
            "whirlpool" => {
                // Each mixed coin goes back to an owner of an input, one for one.
                let mut ins: Vec<TrueOwner> = tx
                    .flow
                    .inputs
                    .iter()
                    .filter_map(|i| i.address.as_ref())
                    .map(btc_owner)
                    .collect();
                let mut outs = outputs.clone();
                ins.sort();
                outs.sort();
                assert_eq!(ins, outs);
            }
            "wasabi2" => {
                assert!(inputs.len() >= 10, "{inputs:?}");
                let values: Vec<u64> = tx.flow.outputs.iter().map(|o| o.value).collect();
                assert!(values.windows(2).all(|w| w[0] >= w[1]), "largest first");
                assert_eq!(
                    values.iter().filter(|&&v| v == cj.denomination).count(),
                    cj.equal_outputs
                );
                assert!(cj.equal_outputs >= 2);
                let output_owners: BTreeSet<TrueOwner> = outputs.into_iter().collect();
                assert_eq!(output_owners, inputs, "every participant is paid back");
            }
            _ => assert!(inputs.len() >= 5),
        }
    }
    assert!(consolidations > 20, "{consolidations} consolidations");
    assert!(self_sends >= 10, "{self_sends} payments to self");
    assert!(truth.coinjoins.iter().any(|c| c.kind == "wasabi2"));

    // Some private wallets receive at one address again and again.
    let mut receipts: HashMap<String, HashSet<chaintrail_core::TxHash>> = HashMap::new();
    for tx in &c.btc {
        for o in &tx.flow.outputs {
            receipts
                .entry(o.address.to_string())
                .or_default()
                .insert(tx.flow.hash);
        }
    }
    let reused = rows
        .iter()
        .filter(|r| r.chain == BTC_CHAIN && r.entity.is_none())
        .filter(|r| {
            receipts
                .get(r.address.as_str())
                .is_some_and(|t| t.len() >= 3)
        })
        .count();
    assert!(
        reused > 20,
        "{reused} private addresses paid three times or more"
    );

    // EVM users with two EOAs pay into one exchange deposit address from both.
    let deposits: HashSet<&str> = truth
        .entities
        .iter()
        .filter(|e| e.category == Category::Exchange)
        .flat_map(|e| &e.addresses)
        .filter(|a| a.role == Role::Deposit && a.chain == EVM_CHAIN)
        .map(|a| a.address.as_str())
        .collect();
    let mut payers: HashMap<String, HashSet<String>> = HashMap::new();
    for t in c.evm.iter().flat_map(|t| &t.transfers) {
        if let (Some(from), Some(to)) = (&t.from, &t.to)
            && deposits.contains(to.to_string().as_str())
        {
            payers
                .entry(to.to_string())
                .or_default()
                .insert(from.to_string());
        }
    }
    let shared = payers
        .values()
        .filter(|from| {
            let wallets: HashSet<u32> = from
                .iter()
                .filter_map(|a| owner.get(&(EVM_CHAIN, a.as_str())))
                .filter(|r| r.entity.is_none())
                .map(|r| r.wallet)
                .collect();
            let users = from
                .iter()
                .filter(|a| {
                    owner
                        .get(&(EVM_CHAIN, a.as_str()))
                        .is_some_and(|r| r.entity.is_none())
                })
                .count();
            wallets.len() == 1 && users >= 2
        })
        .count();
    assert!(
        shared > 5,
        "{shared} deposit addresses paid by two EOAs of one user"
    );
}

#[test]
fn the_wallet_truth_is_written_beside_the_truth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = SimConfig {
        seed: 3,
        scale: 2_000,
        days: 1,
    };
    let summary = write_dir(&cfg, dir.path()).expect("world");
    assert!(summary.files.contains(&WalletTruth::FILE.to_string()));
    let read = WalletTruth::read(&dir.path().join(WalletTruth::FILE)).expect("read");
    assert_eq!(read, summary.truth.wallets);
    assert!(read.addresses.len() > 1_000, "{}", read.addresses.len());
    let json = std::fs::read_to_string(dir.path().join("ground_truth.json")).expect("json");
    assert!(
        !json.contains("\"wallets\""),
        "the JSON truth stays as it was"
    );
}
