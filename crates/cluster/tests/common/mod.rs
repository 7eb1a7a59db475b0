//! A Bitcoin regtest chain written through the store's real writer, and the labels an
//! investigator supplies, for the clustering tests.

#![allow(dead_code)]

use chaintrail_core::testing::utxo_tx;
use chaintrail_core::{
    AccountTx, Address, BitcoinAddress, BitcoinNetwork, BlockRef, Chain, OutPoint, TxHash, UtxoTx,
};
use chaintrail_labels::Category;
use chaintrail_links::Services;
use chaintrail_store::Store;

pub const BTC: Chain = Chain::Bitcoin(BitcoinNetwork::Regtest);
pub const T0: u64 = 1_650_000_000;

/// Address `n` (P2WPKH), or P2PKH for n ≥ 200.
pub fn addr(n: u8) -> Address {
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind: if n >= 200 {
            BitcoinAddress::P2pkh([n; 20])
        } else {
            BitcoinAddress::P2wpkh([n; 20])
        },
    }
}

pub fn hash(n: u32) -> TxHash {
    let mut raw = [0u8; 32];
    raw[28..].copy_from_slice(&n.to_be_bytes());
    TxHash(raw)
}

/// Transactions numbered from 1, one block each.
#[derive(Default, Clone)]
pub struct Chainbuilder {
    pub txs: Vec<UtxoTx>,
}

impl Chainbuilder {
    /// A transaction spending outputs (tx number, vout) and paying (address, sats); its number.
    pub fn tx(&mut self, spends: &[(u32, u32)], outputs: &[(u8, u64)]) -> u32 {
        let n = self.txs.len() as u32 + 1;
        let spends: Vec<OutPoint> = spends
            .iter()
            .map(|&(tx, vout)| OutPoint { tx: hash(tx), vout })
            .collect();
        let outputs: Vec<(Address, u64)> = outputs.iter().map(|&(a, v)| (addr(a), v)).collect();
        let block = BlockRef {
            height: u64::from(n),
            timestamp: T0 + u64::from(n) * 600,
        };
        self.txs.push(utxo_tx(hash(n), block, &spends, &outputs));
        n
    }
}

/// Append `txs` to the store's Bitcoin chain and finish (indexes rebuilt), as an import does.
pub fn import(store: &Store, txs: &[UtxoTx]) {
    let mut writer = store.writer(BTC).unwrap();
    for tx in txs {
        writer.append_utxo_tx(tx).unwrap();
    }
    writer.finish("test", serde_json::json!(txs.len())).unwrap();
}

/// Labelled services: (address, entity name, role).
pub struct Labels(pub Vec<(Address, &'static str, Category)>);

impl Labels {
    /// Services at Bitcoin addresses [`addr`]`(n)`.
    pub fn bitcoin(services: &[(u8, &'static str, Category)]) -> Labels {
        Labels(
            services
                .iter()
                .map(|&(n, name, role)| (addr(n), name, role))
                .collect(),
        )
    }

    /// Services at EVM addresses [`evm`]`(n)`.
    pub fn evm(services: &[(u8, &'static str, Category)]) -> Labels {
        Labels(
            services
                .iter()
                .map(|&(n, name, role)| (evm(n), name, role))
                .collect(),
        )
    }
}

impl Services for Labels {
    fn service(&self, _chain: Chain, address: &Address) -> Option<(Category, String)> {
        self.0
            .iter()
            .find(|(a, _, _)| a == address)
            .map(|(_, name, role)| (*role, name.to_string()))
    }

    fn addresses(&self, _chain: Chain) -> Vec<(Address, Category, String)> {
        self.0
            .iter()
            .map(|(a, name, role)| (a.clone(), *role, name.to_string()))
            .collect()
    }
}

/// EVM address `n`.
pub fn evm(n: u8) -> Address {
    Address::Evm([n; 20])
}

/// Append account transactions to the store's Ethereum chain and finish, as an import does.
pub fn import_account(store: &Store, txs: &[AccountTx]) {
    let mut writer = store.writer(Chain::ETHEREUM).expect("writer");
    for tx in txs {
        writer.append_account_tx(tx).expect("append");
    }
    writer
        .finish("test", serde_json::json!(txs.len()))
        .expect("finish");
}
