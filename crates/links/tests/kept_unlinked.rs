//! A kept builder judges again a sweep whose inputs no output in the store backs (an export
//! starting mid-chain): two addresses spend coins from before the export into an exchange's
//! labelled wallet (a sweep of two deposit addresses), and a later block co-spends one of them
//! with the wallet, so both are the exchange's own and the sweep is none. Only the inputs
//! remembered as the transactions were read lead back to that sweep.

use chaintrail_core::{
    Address, BitcoinAddress, BitcoinNetwork, BlockRef, Chain, OutPoint, TxHash, UtxoInput,
    UtxoOutput, UtxoTx,
};
use chaintrail_labels::Category;
use chaintrail_links::{Builder, Services};
use chaintrail_store::Store;

const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
const WALLET: u8 = 1;
const Y: u8 = 2;
const Z: u8 = 3;

fn btc(n: u8) -> Address {
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: BitcoinAddress::P2wpkh([n; 20]),
    }
}

fn hash(n: u8) -> TxHash {
    TxHash([n; 32])
}

fn tx(n: u8, height: u64, inputs: Vec<UtxoInput>, outputs: &[(u8, u64)]) -> UtxoTx {
    UtxoTx {
        fingerprint: None,
        hash: hash(n),
        block: BlockRef {
            height,
            timestamp: 1_700_000_000 + height * 600,
        },
        inputs,
        outputs: outputs
            .iter()
            .map(|&(a, value)| UtxoOutput {
                value,
                address: btc(a),
                data: None,
            })
            .collect(),
    }
}

/// An input spending output `vout` of transaction `n`, which the store may not hold: the
/// source then names its address and value.
fn spend(n: u8, vout: u32, named: Option<(u8, u64)>) -> UtxoInput {
    UtxoInput {
        prevout: Some(OutPoint { tx: hash(n), vout }),
        value: named.map(|(_, v)| v),
        address: named.map(|(a, _)| btc(a)),
    }
}

fn coinbase() -> UtxoInput {
    UtxoInput {
        prevout: None,
        value: None,
        address: None,
    }
}

struct Exchange;

impl Services for Exchange {
    fn service(&self, chain: Chain, address: &Address) -> Option<(Category, String)> {
        (chain == BTC && *address == btc(WALLET)).then(|| (Category::Exchange, "Exch".into()))
    }
    fn addresses(&self, chain: Chain) -> Vec<(Address, Category, String)> {
        if chain == BTC {
            vec![(btc(WALLET), Category::Exchange, "Exch".into())]
        } else {
            Vec::new()
        }
    }
}

fn append(store: &Store, txs: Vec<UtxoTx>) {
    let mut writer = store.writer(BTC).expect("writer");
    for tx in &txs {
        writer.append_utxo_tx(tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(null))
        .expect("finish");
}

/// (address, detector) of every attribution.
fn found(build: &chaintrail_links::Build) -> Vec<(String, String)> {
    build
        .attributions
        .iter()
        .map(|a| (a.address.clone(), a.detector.clone()))
        .collect()
}

#[test]
fn a_sweep_of_unbacked_inputs_is_judged_again_when_its_inputs_join_the_wallet() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = Store::init(dir.path()).expect("store");
    // Block 0: the wallet and Y are paid. Block 1: Y and Z spend coins from before the export
    // (transaction 0xEE, not in the store) whole into the wallet.
    append(
        &store,
        vec![
            tx(
                1,
                0,
                vec![coinbase()],
                &[(WALLET, 500_000_000), (Y, 100_000_000)],
            ),
            tx(
                2,
                1,
                vec![
                    spend(0xEE, 0, Some((Y, 30_000_000))),
                    spend(0xEE, 1, Some((Z, 20_000_000))),
                ],
                &[(WALLET, 49_990_000)],
            ),
        ],
    );
    let mut builder = Builder::new();
    let first = builder.build(&store, &Exchange).expect("build");
    let (y, z) = (btc(Y).to_string(), btc(Z).to_string());
    let deposit = |a: &str| (a.to_string(), "deposit-utxo".to_string());
    assert!(found(&first).contains(&deposit(&y)), "{:?}", found(&first));
    assert!(found(&first).contains(&deposit(&z)), "{:?}", found(&first));

    // Block 2: the wallet spends its coin together with Y's: Y (and Z, co-spent with it) are
    // the exchange's own, and block 1 swept nothing.
    append(
        &store,
        vec![tx(
            3,
            2,
            vec![spend(1, 0, None), spend(1, 1, None)],
            &[(WALLET, 599_990_000)],
        )],
    );
    let kept = builder.build(&store, &Exchange).expect("kept");
    let once = Builder::new().build(&store, &Exchange).expect("one build");
    assert_eq!(found(&kept), found(&once));
    let cospent = |a: &str| (a.to_string(), "cospend-utxo".to_string());
    assert_eq!(found(&once), vec![cospent(&y), cospent(&z)]);
}
