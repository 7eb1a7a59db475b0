//! A seeded load generator: plausible-shaped transactions in bulk, for benchmarks and tests of the
//! store and importers. Addresses follow a skewed popularity (a few hubs, a long tail), amounts
//! span dust to whale sizes (some beyond 2^64 wei), and every account transaction carries its gas
//! fee and base-fee burn like a real EVM transaction. It models no actors or laundering; that is
//! the scenario simulator's job. The popular addresses (the first 0.1% of each population,
//! [`HUB_SHARE`]) play the part of services: benchmarks label them ([`account_address`],
//! [`utxo_address`]) so that walks stop at them as they stop at exchanges.

use chaintrail_core::{
    AccountTransfer, AccountTx, Address, Amount, AssetKind, BitcoinAddress, BitcoinNetwork,
    BlockRef, OutPoint, TransferKind, TxHash, UtxoInput, UtxoOutput, UtxoTx,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const TXS_PER_BLOCK: u64 = 150;
const BLOCK_SECONDS: u64 = 12;
const GENESIS_TIME: u64 = 1_700_000_000;

/// The share of picks that go to the first 0.1% of the population (the hubs).
pub const HUB_SHARE: f64 = 0.3;

/// The number of hubs among `population` addresses.
pub fn hubs(population: u64) -> u64 {
    (population / 1000).max(1)
}

/// Addresses of the account generator for `transfers` transfers.
pub fn account_population(transfers: u64) -> u64 {
    (transfers / 6).max(16)
}

/// Addresses of the UTXO generator for `records` inputs + outputs.
pub fn utxo_population(records: u64) -> u64 {
    (records / 5).max(16)
}

/// The account generator's address number `index` (hubs are `0..hubs(population)`).
pub fn account_address(index: u64) -> Address {
    let mut raw = [0u8; 20];
    raw[..8].copy_from_slice(&index.to_be_bytes());
    raw[8..12].copy_from_slice(b"synt");
    Address::Evm(raw)
}

fn tx_hash(chain_tag: u8, index: u64) -> TxHash {
    let mut raw = [0u8; 32];
    raw[0] = chain_tag;
    // Spread bytes first, as in real hashes: tables keyed by a hash prefix (the store's txid
    // table) must not see runs of equal prefixes that real data never has.
    let mix = index.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    raw[1..9].copy_from_slice(&mix.to_le_bytes());
    raw[9..17].copy_from_slice(&index.to_be_bytes());
    TxHash(raw)
}

/// Skewed choice of an address index in `0..population`: 30% of picks go to the first 0.1%.
fn pick(rng: &mut ChaCha8Rng, population: u64) -> u64 {
    let hubs = hubs(population);
    if rng.random_bool(HUB_SHARE) {
        rng.random_range(0..hubs)
    } else {
        rng.random_range(0..population)
    }
}

/// Account-chain transactions totalling at least `transfers` transfers.
pub fn account_txs(seed: u64, transfers: u64) -> impl Iterator<Item = AccountTx> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let population = account_population(transfers);
    let tokens: Vec<Address> = (0..8).map(|i| account_address(u64::MAX - i)).collect();
    let fee_recipients: Vec<Address> = (0..4)
        .map(|i| account_address(u64::MAX - 100 - i))
        .collect();
    let mut emitted = 0u64;
    let mut index = 0u64;
    std::iter::from_fn(move || {
        if emitted >= transfers {
            return None;
        }
        let block = index / TXS_PER_BLOCK;
        let from = account_address(pick(&mut rng, population));
        let to = account_address(pick(&mut rng, population));
        let fee_recipient = fee_recipients[(block % 4) as usize].clone();
        let gas = u64::from(rng.random_range(21_000u32..200_000));
        let base_fee = u64::from(rng.random_range(5u32..60)) * 1_000_000_000;
        let tip = u64::from(rng.random_range(0u32..3)) * 1_000_000_000;
        let value = match rng.random_range(0..10) {
            0 => Amount::from_u128(u128::from(rng.random::<u64>()) * 1_000),
            1..=3 => Amount::from_u64(rng.random_range(1..1_000) * 100_000_000_000_000),
            _ => Amount::from_u64(rng.random_range(1_000_000..u64::MAX / 4)),
        };
        let mut transfers_of_tx = Vec::with_capacity(4);
        if rng.random_bool(0.25) {
            let token = tokens[rng.random_range(0..tokens.len())].clone();
            transfers_of_tx.push(AccountTransfer {
                from: Some(from.clone()),
                to: Some(to.clone()),
                asset: AssetKind::Token(token),
                amount: value,
                kind: TransferKind::Token,
                success: true,
            });
        } else {
            transfers_of_tx.push(AccountTransfer {
                from: Some(from.clone()),
                to: Some(to),
                asset: AssetKind::Native,
                amount: value,
                kind: TransferKind::Native,
                success: rng.random_bool(0.98),
            });
        }
        transfers_of_tx.push(AccountTransfer {
            from: Some(from.clone()),
            to: Some(fee_recipient),
            asset: AssetKind::Native,
            amount: Amount::from_u64(gas * tip),
            kind: TransferKind::Fee,
            success: true,
        });
        transfers_of_tx.push(AccountTransfer {
            from: Some(from),
            to: None,
            asset: AssetKind::Native,
            amount: Amount::from_u64(gas * base_fee),
            kind: TransferKind::Burn,
            success: true,
        });
        emitted += transfers_of_tx.len() as u64;
        let tx = AccountTx {
            hash: tx_hash(0xe0, index),
            block: BlockRef {
                height: block,
                timestamp: GENESIS_TIME + block * BLOCK_SECONDS,
            },
            transfers: transfers_of_tx,
        };
        index += 1;
        Some(tx)
    })
}

/// The UTXO generator's address number `index` (hubs are `0..hubs(population)`).
pub fn utxo_address(index: u64) -> Address {
    let mut h = [0u8; 20];
    h[..8].copy_from_slice(&index.to_be_bytes());
    let kind = match index % 4 {
        0 => BitcoinAddress::P2pkh(h),
        1 => BitcoinAddress::P2sh(h),
        _ => BitcoinAddress::P2wpkh(h),
    };
    Address::Bitcoin {
        network: BitcoinNetwork::Regtest,
        kind,
    }
}

/// UTXO-chain transactions totalling at least `records` inputs + outputs. Each block opens with a
/// coinbase; payments spend 1–3 earlier outputs into a payment and a change output.
pub fn utxo_txs(seed: u64, records: u64) -> impl Iterator<Item = UtxoTx> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let population = utxo_population(records);
    // Unspent outputs: (tx hash, vout, value).
    let mut unspent: Vec<(TxHash, u32, u64)> = Vec::new();
    let mut emitted = 0u64;
    let mut index = 0u64;
    std::iter::from_fn(move || {
        if emitted >= records {
            return None;
        }
        let block = index / TXS_PER_BLOCK;
        let block_ref = BlockRef {
            height: block,
            timestamp: GENESIS_TIME + block * 600,
        };
        let hash = tx_hash(0xb0, index);
        let tx = if index.is_multiple_of(TXS_PER_BLOCK) || unspent.len() < 3 {
            UtxoTx {
                fingerprint: None,
                hash,
                block: block_ref,
                inputs: vec![UtxoInput {
                    prevout: None,
                    value: None,
                    address: None,
                }],
                outputs: vec![UtxoOutput {
                    value: 50_0000_0000,
                    address: utxo_address(pick(&mut rng, population)),
                    data: None,
                }],
            }
        } else {
            let spend = rng.random_range(1..=3usize).min(unspent.len());
            let mut inputs = Vec::with_capacity(spend);
            let mut total = 0u64;
            for _ in 0..spend {
                let at = rng.random_range(0..unspent.len());
                let (prev, vout, value) = unspent.swap_remove(at);
                total += value;
                inputs.push(UtxoInput {
                    prevout: Some(OutPoint { tx: prev, vout }),
                    value: None,
                    address: None,
                });
            }
            let fee = (total / 1000).min(100_000);
            let pay = rng.random_range(0..=total - fee);
            UtxoTx {
                fingerprint: None,
                hash,
                block: block_ref,
                inputs,
                outputs: vec![
                    UtxoOutput {
                        value: pay,
                        address: utxo_address(pick(&mut rng, population)),
                        data: None,
                    },
                    UtxoOutput {
                        value: total - fee - pay,
                        address: utxo_address(pick(&mut rng, population)),
                        data: None,
                    },
                ],
            }
        };
        for (vout, output) in tx.outputs.iter().enumerate() {
            unspent.push((tx.hash, vout as u32, output.value));
        }
        emitted += (tx.inputs.len() + tx.outputs.len()) as u64;
        index += 1;
        Some(tx)
    })
}
