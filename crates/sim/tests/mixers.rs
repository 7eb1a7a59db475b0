//! The mixers as a demixing evaluation needs them: every Vortex note and Blendery deposit is in
//! the truth; innocent users fill every pool around the heists and trip the linking heuristics
//! rightly and wrongly as their behaviours say; the heists mix as DPRK did; every wallet has a
//! fee fingerprint the chain charges consistently; Blendery pays from co-spent pool coins.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use alloy_primitives::keccak256;
use chaintrail_core::{Address, AssetKind, TxHash};
use chaintrail_sim::*;

mod common;

use common::{Collect, run};

const GWEI: u64 = 1_000_000_000;
const ETHER: u128 = 1_000_000_000_000_000_000;

/// The demo's three days at the tests' scale.
fn config() -> SimConfig {
    SimConfig {
        seed: 7,
        scale: 30_000,
        days: 3,
    }
}

fn world() -> &'static (Collect, GroundTruth) {
    static WORLD: OnceLock<(Collect, GroundTruth)> = OnceLock::new();
    WORLD.get_or_init(|| run(&config()))
}

fn text(raw: [u8; 20]) -> String {
    Address::Evm(raw).to_string()
}

fn entity<'a>(truth: &'a GroundTruth, name: &str) -> &'a EntityTruth {
    truth
        .entities
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entity {name}"))
}

fn wei(a: &chaintrail_core::Amount) -> u128 {
    a.to_u128().expect("fits")
}

/// The block of an EVM transaction.
fn block(c: &Collect, tx: &TxHash) -> u64 {
    c.evm_txs[tx].block
}

/// The links of innocent notes, by behaviour.
fn behaviours(truth: &GroundTruth) -> BTreeMap<&'static str, Vec<&MixerLink>> {
    let mut out: BTreeMap<&'static str, Vec<&MixerLink>> = BTreeMap::new();
    for l in truth.mixer_links.iter().filter(|l| l.heist.is_none()) {
        out.entry(l.behaviour).or_default().push(l);
    }
    out
}

#[test]
fn every_note_is_one_mixer_link_and_the_pools_hold_the_notes_left() {
    let (c, truth) = world();
    let pools: HashMap<String, &str> = entity(truth, "Vortex Cash")
        .addresses
        .iter()
        .map(|a| (a.address.clone(), a.address.as_str()))
        .collect();
    assert_eq!(pools.len(), 4);
    let deposit_topic = keccak256("Deposit(bytes32,uint32,uint256)").0;
    let withdrawal_topic = keccak256("Withdrawal(address,bytes32,address,uint256)").0;
    let (mut deposits, mut withdrawals) = (Vec::new(), Vec::new());
    for (hash, view) in &c.evm_txs {
        for (_, log) in &view.logs {
            if pools.contains_key(&text(log.address)) {
                if log.topics[0] == deposit_topic {
                    deposits.push(*hash);
                } else if log.topics[0] == withdrawal_topic {
                    withdrawals.push(*hash);
                }
            }
        }
    }
    let links = &truth.mixer_links;
    let mut truth_deposits: Vec<TxHash> = links.iter().map(|l| l.deposit_tx).collect();
    let mut truth_withdrawals: Vec<TxHash> = links.iter().filter_map(|l| l.withdrawal_tx).collect();
    for v in [
        &mut deposits,
        &mut withdrawals,
        &mut truth_deposits,
        &mut truth_withdrawals,
    ] {
        v.sort_unstable();
    }
    assert_eq!(truth_deposits, deposits, "one link per deposit");
    assert_eq!(truth_withdrawals, withdrawals, "one link per withdrawal");
    for l in links {
        let withdrawn = l.status == "withdrawn";
        assert_eq!(withdrawn, l.withdrawal_tx.is_some(), "{l:?}");
        assert_eq!(
            withdrawn,
            l.recipient.is_some() && l.sender.is_some() && l.fee.is_some()
        );
        assert!(withdrawn || l.status == "in_pool");
        if let (Some(fee), Some(sender)) = (&l.fee, &l.sender) {
            match &l.relayer {
                Some(r) => {
                    assert_eq!(r, sender);
                    assert!(wei(fee) > 0 && wei(fee) < wei(&l.denomination) / 10 + ETHER / 50);
                }
                None => assert_eq!(wei(fee), 0),
            }
        }
    }
    // What the pools hold at the end is exactly the notes still in them.
    let mut held: HashMap<String, i128> = HashMap::new();
    for tx in &c.evm {
        for t in tx.transfers.iter().filter(|t| t.asset == AssetKind::Native) {
            let v = wei(&t.amount) as i128;
            if let Some(to) = t.to.as_ref().filter(|a| pools.contains_key(&a.to_string())) {
                *held.entry(to.to_string()).or_default() += v;
            }
            if let Some(from) = t
                .from
                .as_ref()
                .filter(|a| pools.contains_key(&a.to_string()))
            {
                *held.entry(from.to_string()).or_default() -= v;
            }
        }
    }
    let mut in_pool: HashMap<String, i128> = HashMap::new();
    for l in links.iter().filter(|l| l.status == "in_pool") {
        let deposit = &c.evm_txs[&l.deposit_tx];
        *in_pool.entry(text(deposit.to)).or_default() += wei(&l.denomination) as i128;
    }
    held.retain(|_, v| *v != 0);
    assert_eq!(held, in_pool);
}

#[test]
fn innocents_fill_every_pool_before_during_and_after_the_heists() {
    let (c, truth) = world();
    let cfg = config();
    let mut per_pool: BTreeMap<u128, Vec<&MixerLink>> = BTreeMap::new();
    for l in truth.mixer_links.iter().filter(|l| l.heist.is_none()) {
        per_pool.entry(wei(&l.denomination)).or_default().push(l);
    }
    // 150 / 100 / 60 / 40 a day at the demo's scale (200,000), here 3 days at 30,000.
    for ((denomination, daily), links) in [ETHER / 10, ETHER, 10 * ETHER, 100 * ETHER]
        .into_iter()
        .zip([150u64, 100, 60, 40])
        .zip(per_pool.values())
    {
        let planned = daily * u64::from(cfg.days) * cfg.scale / 200_000;
        let made = links.len() as u64;
        assert!(
            made * 10 >= planned * 9 && made <= planned + 8,
            "{denomination} wei: {made} innocent deposits, {planned} planned"
        );
        assert!(links.iter().any(|l| l.status == "in_pool"));
        assert!(links.iter().any(|l| l.status == "withdrawn"));
    }
    assert_eq!(per_pool.len(), 4);
    let heist_notes: Vec<&MixerLink> = truth
        .mixer_links
        .iter()
        .filter(|l| l.heist.is_some())
        .collect();
    assert!(
        heist_notes
            .iter()
            .all(|l| wei(&l.denomination) == 100 * ETHER)
    );
    assert!(heist_notes.iter().any(|l| l.status == "in_pool"));
    // The 100-ETH pool holds users' notes when the first heist's notes arrive, and some of them
    // leave during the laundering.
    let first_heist = heist_notes
        .iter()
        .map(|l| block(c, &l.deposit_tx))
        .min()
        .expect("heist notes");
    let earlier: Vec<&&MixerLink> = per_pool[&(100 * ETHER)]
        .iter()
        .filter(|l| block(c, &l.deposit_tx) < first_heist)
        .collect();
    assert!(
        earlier
            .iter()
            .any(|l| l.withdrawal_tx.is_some_and(|w| block(c, &w) > first_heist)),
        "{} users' 100-ETH notes before the heists, none withdrawn during them",
        earlier.len()
    );
}

#[test]
fn innocent_behaviours_leave_the_traces_they_should() {
    let (c, truth) = world();
    let by = behaviours(truth);
    let names: Vec<&str> = by.keys().copied().collect();
    assert_eq!(
        names,
        [
            "address_reuse",
            "careful_self_relay",
            "crowd",
            "fee_fingerprint",
            "linked_address",
            "multi_denomination",
            "plain",
            "portfolio_twin",
            "quick",
            "recipient_deposited",
            "recipient_touched_depositor",
            "whale",
        ]
    );
    let withdrawn = |name: &str| -> Vec<&MixerLink> {
        let links: Vec<&MixerLink> = by[name]
            .iter()
            .copied()
            .filter(|l| l.withdrawal_tx.is_some())
            .collect();
        assert!(!links.is_empty(), "no {name} note withdrawn");
        links
    };
    let recipient = |l: &MixerLink| l.recipient.clone().expect("withdrawn");
    let pair = |tx: &TxHash| {
        let v = &c.evm_txs[tx];
        (v.max_fee_per_gas, v.max_priority_fee_per_gas)
    };
    // Direct (non-mixer) payments between two addresses.
    let pools: HashSet<String> = entity(truth, "Vortex Cash")
        .addresses
        .iter()
        .map(|a| a.address.clone())
        .collect();
    let mut paid: HashMap<(String, String), usize> = HashMap::new();
    for v in c.evm_txs.values() {
        let (from, to) = (text(v.from), text(v.to));
        if !pools.contains(&to) {
            *paid.entry((from, to)).or_default() += 1;
        }
    }
    let innocent_depositors: HashSet<&str> = truth
        .mixer_links
        .iter()
        .filter(|l| l.heist.is_none())
        .map(|l| l.depositor.as_str())
        .collect();

    for l in withdrawn("plain") {
        assert!(l.relayer.is_some() && recipient(l) != l.depositor);
    }
    for l in withdrawn("address_reuse") {
        assert_eq!(recipient(l), l.depositor);
    }
    for l in withdrawn("careful_self_relay")
        .into_iter()
        .filter(|l| l.relayer.is_none())
    {
        assert!(l.sender == l.recipient && recipient(l) != l.depositor);
    }
    for l in withdrawn("fee_fingerprint") {
        let w = l.withdrawal_tx.expect("withdrawn");
        assert!(l.relayer.is_none() && l.sender == l.recipient && recipient(l) != l.depositor);
        let (max_fee, tip) = pair(&l.deposit_tx);
        assert_eq!(pair(&w), (max_fee, tip), "the same wallet's fees");
        assert!(
            max_fee % GWEI != 0 || tip % GWEI != 0,
            "unusual exact values"
        );
        // No other depositor uses them.
        for other in truth
            .mixer_links
            .iter()
            .filter(|o| o.depositor != l.depositor)
        {
            assert_ne!(pair(&other.deposit_tx), (max_fee, tip));
        }
    }
    for l in withdrawn("linked_address") {
        assert!(paid.contains_key(&(l.depositor.clone(), recipient(l))));
    }
    for l in withdrawn("recipient_deposited") {
        let r = recipient(l);
        assert!(r != l.depositor && innocent_depositors.contains(r.as_str()));
    }
    assert!(withdrawn("recipient_touched_depositor").iter().any(|l| {
        innocent_depositors
            .iter()
            .any(|&d| d != l.depositor && paid.contains_key(&(recipient(l), d.to_string())))
    }));
    for l in withdrawn("quick") {
        let gap = block(c, &l.withdrawal_tx.expect("withdrawn")) - block(c, &l.deposit_tx);
        assert!((1..=20).contains(&gap), "{gap}");
    }
    // Crowds: unrelated users deposit the same denomination within minutes of each other, and
    // withdraw within minutes of each other.
    for l in &by["crowd"] {
        let d = block(c, &l.deposit_tx);
        let near = by["crowd"]
            .iter()
            .filter(|o| o.depositor != l.depositor && o.denomination == l.denomination)
            .filter(|o| block(c, &o.deposit_tx).abs_diff(d) < 10)
            .count();
        assert!(near >= 2, "a crowd of {}", near + 1);
    }
    // Portfolios: one address deposits several denominations within a day; every withdrawn
    // note of one portfolio goes to one address. A twin's portfolio has a twin.
    let portfolios = |name: &str| -> BTreeMap<&str, Vec<&MixerLink>> {
        let mut out: BTreeMap<&str, Vec<&MixerLink>> = BTreeMap::new();
        for l in &by[name] {
            out.entry(l.depositor.as_str()).or_default().push(l);
        }
        out
    };
    let mut twin_shapes: BTreeMap<Vec<u128>, usize> = BTreeMap::new();
    for (name, min_notes, min_pools) in [("multi_denomination", 3, 2), ("portfolio_twin", 3, 2)] {
        for (depositor, notes) in portfolios(name) {
            let blocks: Vec<u64> = notes.iter().map(|l| block(c, &l.deposit_tx)).collect();
            let shape: BTreeSet<u128> = notes.iter().map(|l| wei(&l.denomination)).collect();
            assert!(
                notes.len() >= min_notes && shape.len() >= min_pools,
                "{depositor}"
            );
            let span = blocks.iter().max().unwrap_or(&0) - blocks.iter().min().unwrap_or(&0);
            assert!(span < 7_200, "{depositor} deposits over {span} blocks");
            let recipients: BTreeSet<String> =
                notes.iter().filter_map(|l| l.recipient.clone()).collect();
            assert!(recipients.len() <= 1, "{depositor}: {recipients:?}");
            if name == "portfolio_twin" {
                let mut amounts: Vec<u128> = notes.iter().map(|l| wei(&l.denomination)).collect();
                amounts.sort_unstable();
                *twin_shapes.entry(amounts).or_default() += 1;
            }
        }
    }
    assert!(twin_shapes.values().all(|&n| n >= 2), "{twin_shapes:?}");
    // Whales: several 100-ETH notes in a burst, withdrawn to one fresh address through one
    // relayer.
    for (depositor, notes) in portfolios("whale") {
        assert!((3..=8).contains(&notes.len()), "{depositor}");
        assert!(notes.iter().all(|l| wei(&l.denomination) == 100 * ETHER));
        let mut blocks: Vec<u64> = notes.iter().map(|l| block(c, &l.deposit_tx)).collect();
        blocks.sort_unstable();
        assert!(blocks.windows(2).all(|w| w[1] - w[0] <= 5));
        let outs: BTreeSet<(Option<String>, Option<String>)> = notes
            .iter()
            .filter(|l| l.withdrawal_tx.is_some())
            .map(|l| (l.recipient.clone(), l.relayer.clone()))
            .collect();
        assert!(outs.len() <= 1, "{depositor}: {outs:?}");
    }
    assert!(withdrawn("whale").len() >= 3);
}

#[test]
fn heists_mix_in_bursts_through_favoured_relayers() {
    let (c, truth) = world();
    let mut heists_in_pool = 0;
    for h in truth.heists.iter().filter(|h| h.variant != "bybit") {
        let notes: Vec<&MixerLink> = truth
            .mixer_links
            .iter()
            .filter(|l| l.heist.as_ref() == Some(&h.name))
            .collect();
        let laundering: HashSet<&str> = h
            .laundering_addresses
            .iter()
            .map(|a| a.address.as_str())
            .collect();
        // Many fresh depositor wallets, each with several deposits in a burst.
        let mut by_depositor: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for l in &notes {
            by_depositor
                .entry(l.depositor.as_str())
                .or_default()
                .push(block(c, &l.deposit_tx));
        }
        assert!(
            by_depositor.len() >= 50,
            "{}: {}",
            h.name,
            by_depositor.len()
        );
        for (depositor, mut blocks) in by_depositor {
            assert!(laundering.contains(depositor));
            assert!(blocks.len() >= 5, "{depositor}: {} deposits", blocks.len());
            blocks.sort_unstable();
            assert!(blocks.windows(2).all(|w| (1..=3).contains(&(w[1] - w[0]))));
        }
        // One or two relayers; recipients each withdraw several notes in one session, at least
        // an hour after each deposit.
        let relayers: BTreeSet<&str> = notes.iter().filter_map(|l| l.relayer.as_deref()).collect();
        let favoured = if h.variant == "ronin" { 2 } else { 1 };
        assert_eq!(relayers.len(), favoured, "{}", h.name);
        let mut by_recipient: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        for l in notes.iter().filter(|l| l.status == "withdrawn") {
            let w = block(c, &l.withdrawal_tx.expect("withdrawn"));
            assert!(w >= block(c, &l.deposit_tx) + 300);
            let r = l.recipient.as_deref().expect("withdrawn");
            by_recipient.entry(r).or_default().push(w);
        }
        assert!(by_recipient.len() >= 10);
        for (r, mut blocks) in by_recipient {
            assert!(laundering.contains(r));
            assert!(blocks.len() >= 2, "{r}");
            blocks.sort_unstable();
            assert!(blocks.windows(2).all(|w| (1..=4).contains(&(w[1] - w[0]))));
        }
        // Notes still in the pool are what the truth says sits in the mixer.
        let in_pool: u128 = notes
            .iter()
            .filter(|l| l.status == "in_pool")
            .map(|l| wei(&l.denomination))
            .sum();
        let in_mixer: u128 = h
            .endpoints
            .iter()
            .filter(|e| e.status == "in_mixer" && e.chain == EVM_CHAIN)
            .map(|e| wei(&e.amount))
            .sum();
        heists_in_pool += usize::from(in_pool > 0);
        assert!(
            in_mixer <= in_pool && in_mixer * 100 >= in_pool * 99,
            "{}",
            h.name
        );
    }
    // Sessions that would fall after the world's end leave notes in the pool (each heist
    // plans 8% of them there: one of the two leaves some in a world this short).
    assert!(heists_in_pool >= 1);
}

/// A private wallet (by its id), or a service account (by its address).
type WalletKey = (Option<u32>, [u8; 20]);

#[test]
fn every_wallet_has_a_fee_fingerprint_the_chain_charges() {
    let (c, truth) = world();
    let mut by_sender: HashMap<[u8; 20], Vec<&common::EvmTxView>> = HashMap::new();
    for v in c.evm_txs.values() {
        assert!(v.max_fee_per_gas >= v.base_fee);
        assert_eq!(
            v.effective_gas_price,
            v.max_fee_per_gas
                .min(v.base_fee + v.max_priority_fee_per_gas)
        );
        by_sender.entry(v.from).or_default().push(v);
    }
    // A private user's EOAs are one wallet (the truth says which); a service's accounts are
    // told apart (each relayer runs its own software).
    let private_wallet: HashMap<String, u32> = truth
        .wallets
        .addresses
        .iter()
        .filter(|r| r.chain == EVM_CHAIN && r.entity.is_none())
        .map(|r| (r.address.to_ascii_lowercase(), r.wallet))
        .collect();
    let wallet_of = |from: &[u8; 20]| match private_wallet.get(&format!("0x{}", hex::encode(from)))
    {
        Some(&w) => (Some(w), [0; 20]),
        None => (None, *from),
    };
    // One setting per sender: a fixed pair, 2 × base fee + tip, or base fee + 2 × tip; counted
    // by the wallets that use it.
    let mut settings: HashMap<String, HashSet<WalletKey>> = HashMap::new();
    for (from, txs) in &by_sender {
        let tip = txs[0].max_priority_fee_per_gas;
        assert!(txs.iter().all(|v| v.max_priority_fee_per_gas == tip));
        let setting = if txs
            .iter()
            .all(|v| v.max_fee_per_gas == 2 * v.base_fee + tip)
        {
            format!("2 × base + {tip}")
        } else if txs
            .iter()
            .all(|v| v.max_fee_per_gas == v.base_fee + 2 * tip)
        {
            format!("base + 2 × {tip}")
        } else {
            let max_fee = txs[0].max_fee_per_gas;
            assert!(txs.iter().all(|v| v.max_fee_per_gas == max_fee));
            format!("{max_fee}/{tip}")
        };
        settings.entry(setting).or_default().insert(wallet_of(from));
    }
    let wallets = by_sender
        .keys()
        .map(wallet_of)
        .collect::<HashSet<_>>()
        .len();
    let mut common: Vec<usize> = settings.values().map(HashSet::len).collect();
    common.sort_unstable_by(|a, b| b.cmp(a));
    let top_six: usize = common.iter().take(6).sum();
    assert!(top_six * 100 >= wallets * 75, "{top_six} of {wallets}");
    assert!(settings[&format!("2 × base + {}", 3 * GWEI / 2)].len() * 100 >= wallets * 30);
    let unique = settings.values().filter(|w| w.len() == 1).count();
    assert!(unique * 100 >= wallets * 5, "{unique} of {wallets}");
}

#[test]
fn blendery_pays_from_co_spent_pool_coins_in_parts() {
    let (c, truth) = world();
    let initial = entity(truth, "Blendery")
        .addresses
        .iter()
        .find(|a| a.day_one_labelled)
        .map(|a| a.address.clone())
        .expect("the labelled pool address");
    let txs: HashMap<TxHash, (u64, &BtcTx)> = c
        .btc
        .iter()
        .map(|t| (t.flow.hash, (t.flow.block.height, t)))
        .collect();
    let links = &truth.btc_mixer_links;
    assert!(links.iter().any(|l| l.heist.is_some()) && links.iter().any(|l| l.heist.is_none()));
    let payouts: BTreeSet<TxHash> = links.iter().flat_map(|l| l.payout_txs.clone()).collect();
    for p in &payouts {
        let tx = txs[p].1;
        let spends = tx
            .flow
            .inputs
            .iter()
            .any(|i| i.address.as_ref().is_some_and(|a| a.to_string() == initial));
        let change = tx
            .flow
            .outputs
            .iter()
            .any(|o| o.address.to_string() == initial);
        assert!(
            spends && change,
            "{p} does not co-spend the labelled pool coin"
        );
    }
    for l in links {
        assert_eq!(l.deposited, l.fee + l.paid_out + l.pending);
        let bps = l.fee * 10_000 / l.deposited;
        assert!((99..=300).contains(&bps), "fee {bps} bps");
        let deposit = txs[&l.deposit_tx].0;
        let mut paid = 0;
        for (tx, address) in l.payout_txs.iter().zip(&l.payout_addresses) {
            let (height, t) = txs[tx];
            assert!((deposit + 2..=deposit + 24).contains(&height));
            paid += t
                .flow
                .outputs
                .iter()
                .filter(|o| &o.address.to_string() == address)
                .map(|o| o.value)
                .sum::<u64>();
        }
        assert_eq!(paid, l.paid_out);
        if l.pending == 0 {
            let parts = l.payout_addresses.len();
            let allowed = if l.heist.is_some() { 2..=5 } else { 1..=4 };
            assert!(
                allowed.contains(&parts) || l.deposited < 400_000,
                "{parts} parts"
            );
        }
    }
    // Users deposit heist-sized amounts while the heists deposit.
    let heist: Vec<(u64, u64)> = links
        .iter()
        .filter(|l| l.heist.is_some())
        .map(|l| (l.deposited, txs[&l.deposit_tx].0))
        .collect();
    let (lo, hi) = (
        heist.iter().map(|h| h.0).min().unwrap_or(0),
        heist.iter().map(|h| h.0).max().unwrap_or(0),
    );
    let (first, last) = (
        heist.iter().map(|h| h.1).min().unwrap_or(0),
        heist.iter().map(|h| h.1).max().unwrap_or(0),
    );
    let alike = links
        .iter()
        .filter(|l| l.heist.is_none() && (lo..=hi).contains(&l.deposited))
        .filter(|l| (first..=last).contains(&txs[&l.deposit_tx].0))
        .count();
    assert!(alike >= 5, "{alike} users' deposits like the heists'");
}
