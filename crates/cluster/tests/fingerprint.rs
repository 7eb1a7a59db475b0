//! The wallet-fingerprint change heuristic on a hand-built Bitcoin chain written through the
//! store's real writer: a Bitcoin Core-like wallet paying an exchange (version 1, nLockTime 0,
//! no RBF) gets its change named once both outputs are spent; it abstains when the payee runs
//! the same software, while an output is unspent and when the transaction has no fingerprint;
//! it corroborates an address-type guess; a build split across two imports gives the same
//! evidence as one.

mod common;

use std::collections::BTreeSet;

use chaintrail_cluster::{ChangeSettings, Clusters, Heuristic, Mode, Settings, update};
use chaintrail_core::{TxFingerprint, UtxoTx};
use chaintrail_store::Store;
use common::{BTC, Chainbuilder, Labels, addr, hash, import};

const COIN: u64 = 100_000_000;

/// Bitcoin Core at block `height`: version 2, nLockTime the tip, RBF.
fn core(height: u64) -> TxFingerprint {
    TxFingerprint {
        version: 2,
        lock_time: u32::try_from(height - 1).expect("small"),
        rbf: true,
    }
}

/// An exchange's software: version 1, nLockTime 0, final inputs.
const EXCHANGE: TxFingerprint = TxFingerprint {
    version: 1,
    lock_time: 0,
    rbf: false,
};

#[derive(Clone, Copy)]
enum Built {
    Core,
    Exchange,
    Unknown,
}

/// The chain: transaction n is in block n. Wallet A (Bitcoin Core) pays and keeps change;
/// payees are 10 and up (200: a P2PKH payee).
fn chain() -> Vec<UtxoTx> {
    let mut chain = Chainbuilder::default();
    let mut tx = |spends: &[(u32, u32)], outputs: &[(u8, u64)], built: Built| {
        let n = chain.tx(spends, outputs);
        let last = chain.txs.last_mut().expect("just added");
        last.fingerprint = match built {
            Built::Core => Some(core(u64::from(n))),
            Built::Exchange => Some(EXCHANGE),
            Built::Unknown => None,
        };
    };
    tx(&[], &[(1, 10 * COIN)], Built::Exchange); // 1: mined
    // 2: A pays 10; no other heuristic tells its outputs apart (both fresh P2WPKH, not round,
    // below the input, not a peel). The exchange spends the payment (3), A its change (4).
    tx(
        &[(1, 0)],
        &[(10, 123_456_789), (2, 876_543_000)],
        Built::Core,
    );
    tx(&[(2, 0)], &[(20, 123_450_000)], Built::Exchange);
    tx(
        &[(2, 1)],
        &[(11, 234_567_891), (3, 641_970_000)],
        Built::Core,
    );
    // 5, 6: the payee of 4 runs Bitcoin Core too: both spenders match, no vote.
    tx(&[(4, 0)], &[(21, 234_560_000)], Built::Core);
    tx(
        &[(4, 1)],
        &[(12, 300_000_123), (4, 341_960_000)],
        Built::Core,
    );
    // 7: 6's payment stays unspent: no vote. 7 itself has no fingerprint: no vote either.
    tx(
        &[(6, 1)],
        &[(13, 100_000_321), (5, 241_950_000)],
        Built::Unknown,
    );
    tx(&[(7, 0)], &[(22, 100_000_000)], Built::Exchange);
    tx(&[(7, 1)], &[(6, 241_940_000)], Built::Core);
    // 10: the P2PKH payment and the P2WPKH change: address type guesses at once, the
    // fingerprint corroborates when 11 and 12 have spent both.
    tx(
        &[(9, 0)],
        &[(200, 50_000_123), (7, 191_930_000)],
        Built::Core,
    );
    tx(&[(10, 0)], &[(23, 50_000_000)], Built::Exchange);
    tx(&[(10, 1)], &[(8, 191_920_000)], Built::Core);
    chain.txs
}

type Guess = (u32, String, Vec<&'static str>, f64, bool);

/// Every change guess as (tx number, change address, heuristics, confidence, applied).
fn guesses(store: &Store) -> Vec<Guess> {
    let clusters = Clusters::open(store).expect("open");
    clusters
        .merges(BTC, Heuristic::Change)
        .map(|m| {
            let tx = (1..=12).find(|&n| hash(n).to_hex() == m.tx).expect("tx");
            assert_eq!(
                m.a,
                addr(match tx {
                    2 => 1,
                    10 => 6,
                    other => panic!("no guess expected for transaction {other}"),
                })
                .to_string()
            );
            (tx, m.b, m.detail, m.confidence, m.applied)
        })
        .collect()
}

fn built(settings: &Settings, parts: &[&[UtxoTx]]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::init(dir.path()).expect("store");
    for part in parts {
        import(&store, part);
        update(
            &store,
            &Labels::bitcoin(&[]),
            Some(settings),
            Mode::Incremental,
        )
        .expect("clusters");
    }
    (dir, store)
}

#[test]
fn change_is_the_output_spent_by_the_same_software() {
    let txs = chain();
    let (_dir, store) = built(&Settings::default(), &[&txs]);
    let expected: Vec<Guess> = vec![
        (2, addr(2).to_string(), vec!["fingerprint"], 0.75, false),
        (10, addr(7).to_string(), vec!["address-type"], 0.6, false),
        // 1 − 0.4 · 0.25.
        (
            10,
            addr(7).to_string(),
            vec!["address-type", "fingerprint"],
            0.9,
            false,
        ),
    ];
    assert_eq!(guesses(&store), expected);

    // Decided when the last output is spent: cut before that spend, the same evidence.
    let (_dir, split) = built(&Settings::default(), &[&txs[..3], &txs[3..11], &txs[11..]]);
    assert_eq!(guesses(&split), expected);

    // Switched off, only the address-type guess is left.
    let off = Settings {
        change: ChangeSettings {
            fingerprint: false,
            ..ChangeSettings::default()
        },
        ..Settings::default()
    };
    let (_dir, store) = built(&off, &[&txs]);
    assert_eq!(guesses(&store), vec![expected[1].clone()]);
}

#[test]
fn above_the_threshold_the_change_joins_its_spender() {
    let mut settings = Settings::default();
    settings.change.apply_at = Some(0.7);
    let (_dir, store) = built(&settings, &[&chain()]);
    let applied: Vec<(u32, bool)> = guesses(&store).iter().map(|g| (g.0, g.4)).collect();
    assert_eq!(applied, vec![(2, true), (10, false), (10, true)]);
    let clusters = Clusters::open(&store).expect("open");
    let members = |n: u8| -> BTreeSet<String> {
        let of = clusters
            .cluster_of(BTC, &addr(n))
            .expect("clustered")
            .cluster;
        clusters
            .partition(BTC)
            .filter(|(_, c)| *c == of)
            .map(|(a, _)| a)
            .collect()
    };
    let set = |ns: &[u8]| ns.iter().map(|&n| addr(n).to_string()).collect();
    assert_eq!(members(2), set(&[1, 2]));
    assert_eq!(members(7), set(&[6, 7]));
}
