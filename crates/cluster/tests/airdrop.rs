//! Airdrop multi-participation on a chain written through the store's real writer: recipients
//! of one burst of equal token payments forwarding the token to one aggregator are its farm; a
//! sale through a pool, a deposit to an exchange, a payer of too few recipients and a slow
//! payer are not; an incremental update equals a rebuild; merges enter the partition only when
//! asked.

mod common;

use std::collections::BTreeSet;

use chaintrail_cluster::{Clusters, Heuristic, Kept, Mode, Settings, update, update_with};
use chaintrail_core::{
    AccountTransfer, AccountTx, Amount, AssetKind, BlockRef, Chain, TransferKind, TxHash,
};
use chaintrail_labels::Category;
use chaintrail_store::Store;
use common::{Labels, evm, import_account};

const ETH: Chain = Chain::ETHEREUM;
const TOKEN: u8 = 0x70;
const DROPPER: u8 = 0xA1;
const SMALL_DROPPER: u8 = 0xA2;
const SLOW_DROPPER: u8 = 0xA3;
const FARM: u8 = 0x50;
const POOL: u8 = 0x60;
const EXCHANGE: u8 = 0xE0;
const MINER: u8 = 0xEE;

fn exchange() -> Labels {
    Labels::evm(&[(EXCHANGE, "ExA", Category::Exchange)])
}

fn transfer(from: u8, to: u8, kind: TransferKind, units: &str) -> AccountTransfer {
    AccountTransfer {
        from: Some(evm(from)),
        to: Some(evm(to)),
        asset: match kind {
            TransferKind::Token => AssetKind::Token(evm(TOKEN)),
            _ => AssetKind::Native,
        },
        amount: Amount::from_units(units, 18).expect("amount"),
        kind,
        success: true,
    }
}

/// A chain of transactions, transaction `n` in block `block`.
#[derive(Default)]
struct Txs(Vec<AccountTx>);

impl Txs {
    fn push(&mut self, block: u64, transfers: Vec<AccountTransfer>) {
        let n = self.0.len() as u32 + 1;
        let mut hash = [0u8; 32];
        hash[28..].copy_from_slice(&n.to_be_bytes());
        self.0.push(AccountTx {
            hash: TxHash(hash),
            block: BlockRef {
                height: block,
                timestamp: 1_700_000_000 + block * 12,
            },
            transfers,
        });
    }

    /// `from` pays `units` of the token to `to`, signing (paying the fee).
    fn token(&mut self, block: u64, from: u8, to: u8, units: &str) {
        self.push(
            block,
            vec![
                transfer(from, MINER, TransferKind::Fee, "0.001"),
                transfer(from, to, TransferKind::Token, units),
            ],
        );
    }
}

/// Five drops from block 1, the farm's first two forwards and the decoys.
fn first_part(txs: &mut Txs) {
    for (i, r) in (0x10..=0x14).enumerate() {
        txs.token(1 + i as u64, DROPPER, r, "10");
    }
    // Three recipients of a smaller payer, and five of a payer 100 blocks apart.
    for (i, r) in (0x20..=0x22).enumerate() {
        txs.token(6 + i as u64, SMALL_DROPPER, r, "10");
    }
    for (i, r) in (0x30..=0x34).enumerate() {
        txs.token(10 + 100 * i as u64, SLOW_DROPPER, r, "10");
    }
    txs.token(600, 0x10, FARM, "10");
    txs.token(601, 0x11, FARM, "10");
    // 0x12 and 0x13 sell at the pool: ether comes back in the same transaction.
    for r in [0x12, 0x13] {
        txs.push(
            602,
            vec![
                transfer(r, MINER, TransferKind::Fee, "0.001"),
                transfer(r, POOL, TransferKind::Token, "10"),
                transfer(POOL, r, TransferKind::Native, "0.5"),
            ],
        );
    }
    // 0x14 deposits at the exchange; the decoys' recipients gather too.
    txs.token(603, 0x14, EXCHANGE, "10");
    for r in [0x20, 0x21, 0x22, 0x30, 0x31, 0x32] {
        txs.token(604, r, 0x51, "10");
    }
}

fn settings(apply: bool) -> Settings {
    let mut s = Settings::default();
    s.airdrop.min_recipients = 5;
    s.airdrop.apply = apply;
    s
}

/// (aggregator, recipient, tx number, applied) of every airdrop record.
fn records(store: &Store) -> Vec<(String, String, String, bool)> {
    Clusters::open(store)
        .expect("open")
        .merges(ETH, Heuristic::Airdrop)
        .map(|m| (m.a, m.b, m.tx, m.applied))
        .collect()
}

fn tx_hex(n: u32) -> String {
    let mut hash = [0u8; 32];
    hash[28..].copy_from_slice(&n.to_be_bytes());
    format!("0x{}", TxHash(hash).to_hex())
}

#[test]
fn recipients_gathering_an_airdrop_at_one_address_are_its_farm() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::init(dir.path()).expect("store");
    let mut txs = Txs::default();
    first_part(&mut txs);
    let first = txs.0.len();
    import_account(&store, &txs.0);
    update(&store, &exchange(), Some(&settings(false)), Mode::Rebuild).expect("clusters");
    let farm = evm(FARM).to_string();
    // Transactions 14 and 15 are the first two forwards.
    let expected = vec![
        (farm.clone(), evm(0x10).to_string(), tx_hex(14), false),
        (farm.clone(), evm(0x11).to_string(), tx_hex(15), false),
    ];
    assert_eq!(records(&store), expected);
    // Evidence only: the partition holds no farm.
    let clusters = Clusters::open(&store).expect("open");
    assert_eq!(
        clusters.cluster_of(ETH, &evm(0x10)).map(|c| c.size),
        Some(1)
    );

    // A third recipient forwards later: the update adds exactly its merge.
    txs.token(700, 0x13, FARM, "5");
    txs.push(
        701,
        vec![
            transfer(0x12, MINER, TransferKind::Fee, "0.001"),
            transfer(0x12, FARM, TransferKind::Token, "10"),
        ],
    );
    import_account(&store, &txs.0[first..]);
    update(&store, &exchange(), None, Mode::Incremental).expect("update");
    let mut all = expected.clone();
    all.push((farm.clone(), evm(0x13).to_string(), tx_hex(25), false));
    all.push((farm.clone(), evm(0x12).to_string(), tx_hex(26), false));
    assert_eq!(records(&store), all);
    update(&store, &exchange(), None, Mode::Rebuild).expect("rebuild");
    assert_eq!(records(&store), all);

    // A follower counts the token senders on from its last update: the same farm, transaction
    // by transaction from the first one, the airdrop included.
    let followed_dir = tempfile::tempdir().expect("dir");
    let followed = Store::init(followed_dir.path()).expect("store");
    import_account(&followed, &txs.0[..1]);
    update(
        &followed,
        &exchange(),
        Some(&settings(false)),
        Mode::Rebuild,
    )
    .expect("clusters");
    let mut kept = Kept::default();
    for part in txs.0[1..].chunks(1) {
        import_account(&followed, part);
        update_with(&followed, &exchange(), None, &mut kept).expect("kept");
    }
    assert_eq!(records(&followed), all);

    // Applied, the farm is one cluster; nothing else merged.
    update(&store, &exchange(), Some(&settings(true)), Mode::Rebuild).expect("applied");
    let clusters = Clusters::open(&store).expect("open");
    let of = |n: u8| {
        clusters
            .cluster_of(ETH, &evm(n))
            .expect("clustered")
            .cluster
    };
    let farm_members: BTreeSet<u8> = [0x10, 0x11, 0x12, 0x13, 0x14, 0x20, 0x30, 0x51, FARM]
        .into_iter()
        .filter(|&n| of(n) == of(FARM))
        .collect();
    assert_eq!(farm_members, BTreeSet::from([0x10, 0x11, 0x12, 0x13, FARM]));
}
