//! Custodial mixer demixing on a hand-built Bitcoin chain: a deposit paid back in one payout, one
//! paid back in two, two equal deposits whose paybacks either could have (ambiguous), one never
//! paid back, one paid back in two payouts that the recipient later spends together; then a
//! trace that crosses the mixer by those links, or stops in it below `--min-confidence`.

use std::collections::BTreeSet;

use chaintrail_core::testing::utxo_tx;
use chaintrail_core::{
    Address, BitcoinAddress, BitcoinNetwork, BlockRef, Chain, OutPoint, TxHash, UtxoTx,
};
use chaintrail_labels::Category;
use chaintrail_links::LinkSet;
use chaintrail_links::custodial::{DECODER, Mixer, Settings, decode};
use chaintrail_store::Store;
use chaintrail_trace::{
    EndpointKind, Entity, Policy, Prices, StaticAttribution, TraceRequest, trace_with,
};

const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
const T0: u64 = 1_650_000_000;
const COIN: u64 = 100_000_000;
/// Ten-minute blocks; the window is two hours.
const BLOCK: u64 = 600;
const WINDOW: u64 = 2 * 3_600;
const LAST_BLOCK: u64 = 340;

/// The mixer's labelled wallet address and its deposit addresses.
const POOL: u8 = 1;
const DEPOSITS: [u8; 6] = [11, 12, 13, 14, 15, 16];
/// Users (depositors) and recipients.
const USERS: [u8; 6] = [21, 22, 23, 24, 25, 26];
const R1: u8 = 31;
const R2A: u8 = 32;
const R2B: u8 = 33;
const R3: u8 = 34;
const R4: u8 = 35;
const R6A: u8 = 36;
const R6B: u8 = 37;
const ELSEWHERE: u8 = 40;
/// A fresh address of the mixer's, known only as the output of its sweep.
const SWEPT_INTO: u8 = 2;

fn btc(n: u8) -> Address {
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: BitcoinAddress::P2wpkh([n; 20]),
    }
}

fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[28..].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

/// The chain being written: transactions numbered from 1, each output findable by number.
struct Blocks {
    txs: Vec<UtxoTx>,
}

impl Blocks {
    /// A transaction in block `height` spending outputs (tx number, vout) and paying `outputs`
    /// (address, sats); its number.
    fn tx(&mut self, height: u64, spends: &[(u32, u32)], outputs: &[(u8, u64)]) -> u32 {
        let n = self.txs.len() as u32 + 1;
        let spends: Vec<OutPoint> = spends
            .iter()
            .map(|&(tx, vout)| OutPoint { tx: hash(tx), vout })
            .collect();
        let outputs: Vec<(Address, u64)> = outputs.iter().map(|&(a, v)| (btc(a), v)).collect();
        let block = BlockRef {
            height,
            timestamp: T0 + height * BLOCK,
        };
        self.txs.push(utxo_tx(hash(n), block, &spends, &outputs));
        n
    }
}

/// The transactions a test looks for.
struct Story {
    single: u32,
    single_payout: u32,
    two_parts: u32,
    first_part: u32,
    second_part: u32,
    equal: [u32; 2],
    equal_payout: u32,
    never_paid: u32,
    spent_together: u32,
    spent_parts: [u32; 2],
    after_sweep: u32,
    from_sweep: u32,
}

/// The mixer's story, one case every 60 blocks (far more than the window, so that no case's
/// payouts fall into another's window or control windows). The pool pays from its running change
/// at `POOL`.
fn write_chain(store: &Store) -> Story {
    let mut chain = Blocks { txs: Vec::new() };
    let mut pool = (chain.tx(0, &[], &[(POOL, 100 * COIN)]), 0);
    let mut pool_left = 100 * COIN;
    let users: Vec<u32> = USERS
        .iter()
        .map(|&u| chain.tx(0, &[], &[(u, 10 * COIN)]))
        .collect();
    let mut pay = |chain: &mut Blocks, height: u64, to: &[(u8, u64)]| {
        let paid: u64 = to.iter().map(|o| o.1).sum();
        pool_left -= paid + 1_000;
        let mut outputs = to.to_vec();
        outputs.push((POOL, pool_left));
        let tx = chain.tx(height, &[pool], &outputs);
        pool = (tx, to.len() as u32);
        tx
    };
    let deposit = |chain: &mut Blocks, height: u64, user: usize, amount: u64| {
        chain.tx(
            height,
            &[(users[user], 0)],
            &[
                (DEPOSITS[user], amount),
                (USERS[user], 10 * COIN - amount - 1_000),
            ],
        )
    };
    // 1 BTC paid back 0.98 an hour later.
    let single = deposit(&mut chain, 30, 0, COIN);
    let single_payout = pay(&mut chain, 36, &[(R1, 98_000_000)]);
    // 2 BTC paid back 0.7 + 1.26 (fee 2 %).
    let two_parts = deposit(&mut chain, 90, 1, 2 * COIN);
    let first_part = pay(&mut chain, 95, &[(R2A, 70_000_000)]);
    let second_part = pay(&mut chain, 99, &[(R2B, 126_000_000)]);
    // Two deposits of 0.5 BTC in one block, paid back 0.49 each in one batch: either payout
    // fits either deposit.
    let equal = [
        deposit(&mut chain, 150, 2, COIN / 2),
        deposit(&mut chain, 150, 3, COIN / 2),
    ];
    let equal_payout = pay(&mut chain, 156, &[(R3, 49_000_000), (R4, 49_000_000)]);
    // 3 BTC never paid back.
    let never_paid = deposit(&mut chain, 210, 4, 3 * COIN);
    // 4 BTC paid back 1.5 + 2.42, which the recipient spends together later.
    let spent_together = deposit(&mut chain, 270, 5, 4 * COIN);
    let a = pay(&mut chain, 273, &[(R6A, 150_000_000)]);
    let b = pay(&mut chain, 277, &[(R6B, 242_000_000)]);
    chain.tx(290, &[(a, 0), (b, 0)], &[(ELSEWHERE, 392_000_000 - 2_000)]);
    // The mixer sweeps three deposit addresses into a fresh address of its own, and pays a
    // deposit of 1.02 BTC back from it: a payout of the mixer's, though no label or co-spend
    // names the fresh address.
    let sweep = chain.tx(
        320,
        &[(single, 0), (two_parts, 0), (equal[0], 0)],
        &[(SWEPT_INTO, 350_000_000 - 1_000)],
    );
    let after_sweep = chain.tx(
        326,
        &[(never_paid, 1)],
        &[(DEPOSITS[4], 102_000_000), (USERS[4], 5 * COIN)],
    );
    let from_sweep = chain.tx(
        330,
        &[(sweep, 0)],
        &[(R1, COIN), (SWEPT_INTO, 250_000_000 - 2_000)],
    );
    // Blocks up to the end, so that the control windows after the last case are in the store.
    chain.tx(LAST_BLOCK, &[], &[(ELSEWHERE, COIN)]);
    let mut writer = store.writer(BTC).expect("writer");
    for tx in &chain.txs {
        writer.append_utxo_tx(tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
    Story {
        single,
        single_payout,
        two_parts,
        first_part,
        second_part,
        equal,
        equal_payout,
        never_paid,
        spent_together,
        spent_parts: [a, b],
        after_sweep,
        from_sweep,
    }
}

/// A store holding the story (in a directory removed when the first value is dropped).
fn story_store() -> (tempfile::TempDir, Store, Story) {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    let story = write_chain(&store);
    (dir, store, story)
}

fn mixer() -> Mixer {
    Mixer {
        name: "Blender".to_string(),
        addresses: std::iter::once(POOL).chain(DEPOSITS).map(btc).collect(),
    }
}

/// A fee band of 1–3 % and a two-hour window, as an investigator who knows the mixer sets them
/// (a chain this small shows no fee peak to estimate them from).
fn settings() -> Settings {
    Settings {
        window: Some(WINDOW),
        fee_band: Some((0.01, 0.03)),
        ..Settings::default()
    }
}

type Row = (TxHash, TxHash, String, f64);

fn rows(set: &[chaintrail_links::Link]) -> BTreeSet<(TxHash, TxHash, String, u64)> {
    set.iter()
        .map(|l| {
            (
                l.from_tx,
                l.to_tx,
                l.to_address.clone().unwrap_or_default(),
                (l.confidence * 100.0).round() as u64,
            )
        })
        .collect()
}

fn row(deposit: u32, payout: u32, to: u8, confidence: f64) -> Row {
    (hash(deposit), hash(payout), btc(to).to_string(), confidence)
}

#[test]
fn paybacks_are_linked_by_amount_and_time_with_their_ambiguity() {
    let (_dir, store, story) = story_store();
    let reader = store.reader(BTC).expect("reader");
    let found = decode(&reader, &[mixer()], &settings());
    assert_eq!(found.findings.decoded, 7, "seven deposits");
    // The 3 BTC never paid back, and nothing else is left unmatched.
    assert_eq!(found.findings.unmatched, 1);
    let expected: Vec<Row> = vec![
        // One payout, no alternative, nothing fits by chance in the control windows.
        row(story.single, story.single_payout, R1, 0.99),
        // Two payouts summing to the deposit less 2 %.
        row(story.two_parts, story.first_part, R2A, 0.98),
        row(story.two_parts, story.second_part, R2B, 0.98),
        // Each 0.49 fits both 0.5 deposits: two fits each, and a rival for every payout. A
        // payout pays one deposit: the first deposit takes the first payout, the second the
        // other, each with the confidence it had before (a quarter), not the certainty that
        // is left once the first is assigned.
        row(story.equal[0], story.equal_payout, R3, 0.25),
        row(story.equal[1], story.equal_payout, R4, 0.25),
        // The two payouts spent together are one unit: a single fit.
        row(story.spent_together, story.spent_parts[0], R6A, 0.99),
        row(story.spent_together, story.spent_parts[1], R6B, 0.99),
        // Paid from the address the sweep paid.
        row(story.after_sweep, story.from_sweep, R1, 0.99),
    ];
    let expected: BTreeSet<_> = expected
        .into_iter()
        .map(|(d, p, a, c)| (d, p, a, (c * 100.0).round() as u64))
        .collect();
    assert_eq!(rows(&found.findings.links), expected);
    for link in &found.findings.links {
        assert_eq!(
            (link.kind.as_str(), link.via.as_str(), link.decoder.as_str()),
            ("mixer", "Blender", DECODER)
        );
    }
    let evidence = |deposit: u32| {
        found
            .findings
            .links
            .iter()
            .find(|l| l.from_tx == hash(deposit))
            .map(|l| l.evidence.clone())
            .unwrap_or_default()
    };
    assert!(
        evidence(story.single).starts_with(
            "heuristic amount and time, one payout: 0.98 BTC of a 1 BTC deposit paid back in 1 \
             payout(s) within 1.0 h (fee 2.00 %); 1 of 1 fitting combination(s) of 1 candidates"
        ),
        "{}",
        evidence(story.single)
    );
    assert!(
        evidence(story.equal[0]).contains("1 of 2 fitting combination(s) of 2 candidates"),
        "{}",
        evidence(story.equal[0])
    );
    assert!(
        evidence(story.equal[0]).contains("1 rival deposit(s)"),
        "{}",
        evidence(story.equal[0])
    );
    assert!(
        evidence(story.spent_together)
            .starts_with("heuristic amount and time, payouts spent together: 3.92 BTC"),
        "{}",
        evidence(story.spent_together)
    );
    assert!(
        !found
            .findings
            .links
            .iter()
            .any(|l| l.from_tx == hash(story.never_paid))
    );
    // Every fit before assignment: the ambiguous deposits have two each.
    let of = |deposit: u32| {
        found
            .candidates
            .iter()
            .filter(|c| c.deposit == hash(deposit))
            .count()
    };
    assert_eq!(
        (of(story.single), of(story.equal[0]), of(story.equal[1])),
        (1, 2, 2)
    );
    // Calibration is reported: the fixed band and window, nothing estimated.
    let calibration = &found.calibrations[0];
    assert_eq!(
        (
            calibration.deposits,
            calibration.payouts,
            calibration.window
        ),
        (7, 8, WINDOW)
    );
    assert!(!calibration.fee_from_data && !calibration.window_from_data);
}

#[test]
fn a_higher_floor_leaves_the_ambiguous_deposits_unlinked() {
    let (_dir, store, story) = story_store();
    let reader = store.reader(BTC).expect("reader");
    let strict = Settings {
        min_confidence: 0.5,
        ..settings()
    };
    let found = decode(&reader, &[mixer()], &strict);
    let deposits: BTreeSet<TxHash> = found.findings.links.iter().map(|l| l.from_tx).collect();
    assert_eq!(
        deposits,
        BTreeSet::from([
            hash(story.single),
            hash(story.two_parts),
            hash(story.spent_together),
            hash(story.after_sweep)
        ])
    );
    assert_eq!(found.findings.unmatched, 3);
}

#[test]
fn without_the_mixer_addresses_nothing_is_a_deposit_or_a_payout() {
    let (_dir, store, _) = story_store();
    let reader = store.reader(BTC).expect("reader");
    let only_the_pool = Mixer {
        name: "Blender".to_string(),
        addresses: vec![btc(POOL)],
    };
    // The deposit addresses unknown, the pool's payouts have no deposit to pay back.
    let found = decode(&reader, &[only_the_pool], &settings());
    assert_eq!(found.findings.decoded, 0);
    assert!(found.findings.links.is_empty());
    assert!(decode(&reader, &[], &settings()).findings.links.is_empty());
}

#[test]
fn a_trace_crosses_the_mixer_by_its_links_or_stops_in_it() {
    let (_dir, store, story) = story_store();
    let readers = store.readers().expect("readers");
    let found = decode(&readers[&BTC], &[mixer()], &settings());
    let set = LinkSet::new(found.findings.links, Vec::new());
    let mut attribution = StaticAttribution::default();
    for address in mixer().addresses {
        attribution.insert(BTC, address, Entity::with_role("Blender", Category::Mixer));
    }
    let trace = |min_confidence: f64| {
        let request = TraceRequest {
            seeds: vec![
                format!("{BTC}:{}:0", hash(story.two_parts))
                    .parse()
                    .expect("seed"),
            ],
            policy: Policy::Fifo,
            min_confidence,
            ..TraceRequest::default()
        };
        trace_with(
            &readers,
            &attribution,
            &Prices::bundled(),
            &[&set],
            &request,
        )
        .expect("trace")
    };
    // Through the mixer: the 2 BTC deposited reach the two payouts, 0.7 and 1.26 BTC, unspent,
    // with the link's confidence on the path.
    let report = trace(0.5);
    let mut ends: Vec<(EndpointKind, Option<String>, String, f64)> = report
        .endpoints
        .iter()
        .map(|e| {
            (
                e.kind,
                e.address.clone(),
                e.value.units.clone(),
                e.confidence,
            )
        })
        .collect();
    ends.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        ends,
        vec![
            (
                EndpointKind::Unspent,
                Some(btc(R2A).to_string()),
                "0.7".to_string(),
                0.98
            ),
            (
                EndpointKind::Unspent,
                Some(btc(R2B).to_string()),
                "1.26".to_string(),
                0.98
            ),
        ],
        "{:?}",
        report.endpoints
    );
    let path = &report.endpoints[0].path;
    assert!(
        path.iter().any(|s| s
            .rule
            .starts_with("mixer Blender (heuristic amount and time, several payouts")
            && s.rule.ends_with("confidence 0.98)")),
        "{path:?}"
    );
    // Above the link's confidence the value stays in the mixer, at the deposit address.
    let report = trace(0.99);
    let ends: Vec<(EndpointKind, Option<String>, String)> = report
        .endpoints
        .iter()
        .map(|e| (e.kind, e.address.clone(), e.value.units.clone()))
        .collect();
    assert_eq!(
        ends,
        vec![(
            EndpointKind::Entered,
            Some(btc(DEPOSITS[1]).to_string()),
            "2".to_string()
        )]
    );
}

#[test]
fn a_deposit_without_a_payback_stays_in_the_mixer_as_a_pending_record() {
    let (_dir, store, story) = story_store();
    let readers = store.readers().expect("readers");
    let found = decode(&readers[&BTC], &[mixer()], &settings());
    let pending: Vec<(TxHash, &str, &str)> = found
        .findings
        .pending
        .iter()
        .map(|p| (p.tx, p.kind.as_str(), p.via.as_str()))
        .collect();
    assert_eq!(
        pending,
        vec![(hash(story.never_paid), "mixer", "Blender")],
        "{:?}",
        found.findings.pending
    );
    let evidence = &found.findings.pending[0].evidence;
    assert!(
        evidence.starts_with(
            "a 3 BTC deposit stays in the mixer as far as the chain shows: no payback in the \
             store fits it"
        ),
        "{evidence}"
    );
    // A trace of the deposit ends in the mixer, at the deposit address, saying why: not a
    // bridge's pending inbound.
    let set = LinkSet::new(found.findings.links, found.findings.pending);
    let mut attribution = StaticAttribution::default();
    for address in mixer().addresses {
        attribution.insert(BTC, address, Entity::with_role("Blender", Category::Mixer));
    }
    let request = TraceRequest {
        seeds: vec![
            format!("{BTC}:{}:0", hash(story.never_paid))
                .parse()
                .expect("seed"),
        ],
        policy: Policy::Fifo,
        ..TraceRequest::default()
    };
    let report = trace_with(
        &readers,
        &attribution,
        &Prices::bundled(),
        &[&set],
        &request,
    )
    .expect("trace");
    let ends: Vec<(EndpointKind, Option<String>, String, bool)> = report
        .endpoints
        .iter()
        .map(|e| {
            (
                e.kind,
                e.address.clone(),
                e.value.units.clone(),
                e.evidence
                    .as_deref()
                    .is_some_and(|n| n.starts_with("mixer Blender: a 3 BTC deposit stays")),
            )
        })
        .collect();
    assert_eq!(
        ends,
        vec![(
            EndpointKind::Entered,
            Some(btc(DEPOSITS[4]).to_string()),
            "3".to_string(),
            true
        )],
        "{:?}",
        report.endpoints
    );
}
