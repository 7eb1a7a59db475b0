//! Ethereum deposit-address reuse on a chain written through the store's real writer: the EOAs
//! paying one exchange deposit address become one cluster, the deposit addresses join the
//! exchange's cluster, another exchange withdrawing into a deposit address is not taken for the
//! customer, and an incremental update after a second import equals a rebuild.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chaintrail_cluster::{Clusters, Heuristic, Mode, update};
use chaintrail_core::{
    AccountTransfer, AccountTx, Amount, AssetKind, BlockRef, Chain, TransferKind, TxHash,
};
use chaintrail_labels::Category;
use chaintrail_store::Store;
use common::{Labels, evm, import_account};

const ETH: Chain = Chain::ETHEREUM;
const HOT: u8 = 0xA0;
const OTHER_EXCHANGE: u8 = 0xB0;
const DEPOSIT: u8 = 0xD1;
const DEPOSIT_2: u8 = 0xD2;

fn exchanges() -> Labels {
    Labels::evm(&[
        (HOT, "ExA", Category::Exchange),
        (OTHER_EXCHANGE, "ExB", Category::Exchange),
    ])
}

const ROUTER: u8 = 0xC0;
const TOKEN: u8 = 0x70;
const MINER: u8 = 0xEE;

/// Transaction `n` in block `n` with these transfers.
fn tx(n: u32, transfers: Vec<AccountTransfer>) -> AccountTx {
    let mut hash = [0u8; 32];
    hash[28..].copy_from_slice(&n.to_be_bytes());
    AccountTx {
        hash: TxHash(hash),
        block: BlockRef {
            height: u64::from(n),
            timestamp: 1_700_000_000 + u64::from(n) * 12,
        },
        transfers,
    }
}

fn transfer(
    from: u8,
    to: u8,
    kind: TransferKind,
    asset: AssetKind,
    units: &str,
) -> AccountTransfer {
    AccountTransfer {
        from: Some(evm(from)),
        to: Some(evm(to)),
        asset,
        amount: Amount::from_units(units, 18).unwrap(),
        kind,
        success: true,
    }
}

/// Transaction `n` in block `n`: one native transfer (`from` `None`: a mint) of `eth` ether.
fn send(n: u32, from: Option<u8>, to: u8, eth: &str) -> AccountTx {
    let mut hash = [0u8; 32];
    hash[28..].copy_from_slice(&n.to_be_bytes());
    AccountTx {
        hash: TxHash(hash),
        block: BlockRef {
            height: u64::from(n),
            timestamp: 1_700_000_000 + u64::from(n) * 12,
        },
        transfers: vec![AccountTransfer {
            from: from.map(evm),
            to: Some(evm(to)),
            asset: AssetKind::Native,
            amount: Amount::from_units(eth, 18).unwrap(),
            kind: if from.is_some() {
                TransferKind::Native
            } else {
                TransferKind::Mint
            },
            success: true,
        }],
    }
}

fn groups(clusters: &Clusters) -> BTreeSet<BTreeSet<String>> {
    let mut by_id: BTreeMap<u32, BTreeSet<String>> = BTreeMap::new();
    for (address, cluster) in clusters.partition(ETH) {
        by_id.entry(cluster).or_default().insert(address);
    }
    by_id.into_values().filter(|g| g.len() > 1).collect()
}

fn set(numbers: &[u8]) -> BTreeSet<String> {
    numbers.iter().map(|&n| evm(n).to_string()).collect()
}

#[test]
fn senders_of_one_deposit_address_are_one_user_and_deposits_are_the_exchanges() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::init(dir.path()).unwrap();
    import_account(
        &store,
        &[
            send(1, None, 1, "10"),
            send(2, None, 2, "10"),
            send(3, None, OTHER_EXCHANGE, "10"),
            send(4, Some(1), DEPOSIT, "1"),
            send(5, Some(2), DEPOSIT, "2"),
            send(6, Some(DEPOSIT), HOT, "3"),
            // Exchange B withdraws into A's deposit address for some customer.
            send(7, Some(OTHER_EXCHANGE), DEPOSIT, "1"),
            send(8, Some(DEPOSIT), HOT, "1"),
        ],
    );
    let reports = update(&store, &exchanges(), None, Mode::Incremental).unwrap();
    let counts = &reports[0].manifest.counts;
    assert_eq!(
        (counts["deposit-reuse"], counts["deposit-of-service"]),
        (1, 1)
    );
    let clusters = Clusters::open(&store).unwrap();
    assert_eq!(
        groups(&clusters),
        BTreeSet::from([set(&[1, 2]), set(&[HOT, DEPOSIT])])
    );
    let user = clusters.cluster_of(ETH, &evm(2)).unwrap();
    let joined = user.joined_by.unwrap();
    assert_eq!(
        (joined.heuristic, joined.confidence),
        (Heuristic::DepositReuse, 0.8)
    );
    assert_eq!(joined.tx, send(5, None, 0, "0").hash.to_hex_prefixed());
    assert!(user.label.is_none());
    let deposit = clusters.cluster_of(ETH, &evm(DEPOSIT)).unwrap();
    assert_eq!(deposit.label.unwrap().name, "ExA");
    assert_eq!(
        deposit.joined_by.unwrap().heuristic,
        Heuristic::DepositOfService
    );
    assert_eq!(
        clusters.cluster_of(ETH, &evm(OTHER_EXCHANGE)).unwrap().size,
        1
    );
    drop(clusters);

    import_account(
        &store,
        &[
            send(9, None, 3, "10"),
            send(10, Some(3), DEPOSIT, "4"),
            send(11, Some(DEPOSIT), HOT, "4"),
            send(12, None, 4, "10"),
            send(13, Some(4), DEPOSIT_2, "5"),
            send(14, Some(DEPOSIT_2), HOT, "5"),
            // A contract the transaction called pays the deposit address (internal value):
            // not a customer of its own.
            send(15, None, ROUTER, "10"),
            tx(
                16,
                vec![transfer(
                    ROUTER,
                    DEPOSIT,
                    TransferKind::Internal,
                    AssetKind::Native,
                    "1",
                )],
            ),
            send(17, Some(DEPOSIT), HOT, "1"),
            // A customer's token deposit, signed (and its gas paid) by the customer.
            send(18, None, 5, "10"),
            tx(
                19,
                vec![
                    transfer(5, MINER, TransferKind::Fee, AssetKind::Native, "0.001"),
                    transfer(
                        5,
                        DEPOSIT_2,
                        TransferKind::Token,
                        AssetKind::Token(evm(TOKEN)),
                        "7",
                    ),
                ],
            ),
            tx(
                20,
                vec![transfer(
                    DEPOSIT_2,
                    HOT,
                    TransferKind::Token,
                    AssetKind::Token(evm(TOKEN)),
                    "7",
                )],
            ),
        ],
    );
    let reports = update(&store, &exchanges(), None, Mode::Incremental).unwrap();
    assert_eq!((reports[0].rebuilt.clone(), reports[0].txs), (None, 12));
    let clusters = Clusters::open(&store).unwrap();
    let expected = BTreeSet::from([
        set(&[1, 2, 3]),
        set(&[4, 5]),
        set(&[HOT, DEPOSIT, DEPOSIT_2]),
    ]);
    assert_eq!(groups(&clusters), expected);
    let incremental: Vec<(String, u32)> = clusters.partition(ETH).collect();
    drop(clusters);
    update(&store, &exchanges(), None, Mode::Rebuild).unwrap();
    let clusters = Clusters::open(&store).unwrap();
    assert_eq!(clusters.partition(ETH).collect::<Vec<_>>(), incremental);
}
