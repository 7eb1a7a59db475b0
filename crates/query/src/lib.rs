//! Read-side views over the store, shared by the CLI and the HTTP server: what an investigator
//! sees for an address (balances per asset, activity, first/last seen, top counterparties) and
//! for a transaction (transfers, or inputs and outputs with the fee).
//!
//! [`search`] says what a typed text is (address or transaction, on which chains).
//! [`find_address`] and [`find_tx`] look an address or a transaction up across the store's chains when the chain is not
//! given. Both views work on either chain model; amounts are exact ([`Amount`]) and come with the
//! asset's symbol and decimals for display. [`address_views`] adds an address's labels and
//! cluster to its summaries; [`TransferScan`] reads an account chain's transfers in batches,
//! optionally of one address and within a time range.

#![warn(missing_docs)]

mod find;
mod search;
mod transfers;
mod view;

use std::collections::{BTreeMap, HashMap};

use chaintrail_core::{Address, Amount, BlockRef, Chain, ChainModel, TransferKind, TxHash};
use chaintrail_store::ChainReader;
use serde::Serialize;

pub use find::{QueryError, address_chains, find_address, find_tx};
pub use search::{HitKind, SearchHit, search};
pub use transfers::{TransferRecord, TransferScan};
pub use view::{AddressView, address_views};

/// An amount of one asset, exact, with what is needed to show it.
#[derive(Debug, Clone, Serialize)]
pub struct AssetAmount {
    /// Its symbol (empty when unknown).
    pub asset: String,
    /// The token contract (`None` for the native coin).
    pub contract: Option<String>,
    /// Decimal places of one unit.
    pub decimals: u8,
    /// The amount in base units.
    pub amount: Amount,
    /// `amount` in whole units, exact decimal text.
    pub units: String,
}

/// What an address received and sent of one asset.
#[derive(Debug, Clone, Serialize)]
pub struct AssetBalance {
    /// Its symbol (empty when unknown).
    pub asset: String,
    /// The token contract (`None` for the native coin).
    pub contract: Option<String>,
    /// Decimal places of one unit.
    pub decimals: u8,
    /// Received in successful transfers, base units.
    pub received: Amount,
    /// Sent in successful transfers, base units.
    pub sent: Amount,
    /// received − sent in whole units; negative only when the store lacks earlier history.
    pub balance_units: String,
}

/// An address the summarised one exchanged with.
#[derive(Debug, Clone, Serialize)]
pub struct Counterparty {
    /// The address.
    pub address: String,
    /// Transfers it sent to the summarised address.
    pub transfers_in: u64,
    /// Transfers it received from the summarised address.
    pub transfers_out: u64,
}

/// What an investigator sees for an address.
#[derive(Debug, Clone, Serialize)]
pub struct AddressSummary {
    /// The chain.
    pub chain: Chain,
    /// The address, canonical.
    pub address: String,
    /// Its kind (`evm`, `p2wpkh`, `p2pk`, …).
    pub address_type: &'static str,
    /// Successful incoming transfers (account) or outputs received (UTXO).
    pub incoming: u64,
    /// Successful outgoing transfers (account) or outputs spent (UTXO).
    pub outgoing: u64,
    /// The first block it appears in.
    pub first_seen: Option<BlockRef>,
    /// The last block it appears in.
    pub last_seen: Option<BlockRef>,
    /// What it received and sent, per asset.
    pub balances: Vec<AssetBalance>,
    /// Whom it exchanged with most.
    pub top_counterparties: Vec<Counterparty>,
}

/// One transfer of an account-chain transaction.
#[derive(Debug, Clone, Serialize)]
pub struct TransferLine {
    /// Its position in the transaction.
    pub position: u32,
    /// What kind of movement.
    pub kind: TransferKind,
    /// The sender (`None` for value created).
    pub from: Option<String>,
    /// The receiver (`None` for value destroyed).
    pub to: Option<String>,
    /// What moved.
    pub value: AssetAmount,
    /// Whether it took effect.
    pub success: bool,
}

/// One input of a UTXO transaction.
#[derive(Debug, Clone, Serialize)]
pub struct InputLine {
    /// Its position in the transaction.
    pub index: u32,
    /// Whether it is a coinbase input.
    pub coinbase: bool,
    /// The output it spends, `txid:vout`.
    pub prevout: Option<String>,
    /// The spent output's address, when known.
    pub address: Option<String>,
    /// The spent output's value in satoshi, when known.
    pub value: Option<u64>,
}

/// One output of a UTXO transaction.
#[derive(Debug, Clone, Serialize)]
pub struct OutputLine {
    /// Its index in the transaction.
    pub vout: u32,
    /// Its holder.
    pub address: String,
    /// The holder's kind (`p2wpkh`, `nulldata`, …).
    pub address_type: &'static str,
    /// Value in satoshi.
    pub value: u64,
    /// The transaction that spent it, if stored.
    pub spent_by: Option<String>,
}

/// What an investigator sees for a transaction.
#[derive(Debug, Clone, Serialize)]
pub struct TxSummary {
    /// The chain.
    pub chain: Chain,
    /// The transaction hash.
    pub hash: String,
    /// The block that confirmed it.
    pub block: BlockRef,
    /// Its transfers (account chains; empty on UTXO chains).
    pub transfers: Vec<TransferLine>,
    /// Its inputs (UTXO chains; empty on account chains).
    pub inputs: Vec<InputLine>,
    /// Its outputs (UTXO chains; empty on account chains).
    pub outputs: Vec<OutputLine>,
    /// Satoshi for UTXO chains (Σ in − Σ out); for account chains, the sum of `fee` and `burn`
    /// transfers in wei.
    pub fee: Option<Amount>,
}

fn asset_amount(reader: &ChainReader, asset: u32, amount: Amount) -> AssetAmount {
    let (symbol, contract, decimals) = asset_info(reader, asset);
    AssetAmount {
        asset: symbol,
        contract,
        decimals,
        amount,
        units: amount.format_units(decimals),
    }
}

fn asset_info(reader: &ChainReader, asset: u32) -> (String, Option<String>, u8) {
    match reader.asset(asset) {
        Some(a) => {
            let contract = a.contract().map(ToString::to_string);
            let symbol = if a.symbol.is_empty() {
                contract.clone().unwrap_or_else(|| format!("asset#{asset}"))
            } else {
                a.symbol.clone()
            };
            (symbol, contract, a.decimals)
        }
        None => (format!("asset#{asset}"), None, 0),
    }
}

fn name(reader: &ChainReader, id: u32) -> Option<String> {
    reader.address(id).map(|a| a.to_string())
}

#[derive(Default)]
struct Flows {
    received: Amount,
    sent: Amount,
}

/// Everything the store knows about `address`, or `None` when it never appears.
pub fn address_summary(
    reader: &ChainReader,
    address: &Address,
    top: usize,
) -> Option<AddressSummary> {
    let id = reader.address_id(address)?;
    let mut flows: BTreeMap<u32, Flows> = BTreeMap::new();
    let mut counterparties: HashMap<u32, (u64, u64)> = HashMap::new();
    let (mut incoming, mut outgoing) = (0u64, 0u64);
    let mut seen: Vec<BlockRef> = Vec::new();
    match reader.model() {
        ChainModel::Account => {
            for row in reader.incoming(id) {
                let Some(t) = reader.transfer(row) else {
                    continue;
                };
                seen.push(t.block);
                if !t.success {
                    continue;
                }
                incoming += 1;
                let f = flows.entry(t.asset).or_default();
                f.received = f.received.checked_add(t.amount).unwrap_or(f.received);
                counterparties.entry(t.from).or_default().0 += 1;
            }
            for row in reader.outgoing(id) {
                let Some(t) = reader.transfer(row) else {
                    continue;
                };
                seen.push(t.block);
                if !t.success {
                    continue;
                }
                outgoing += 1;
                let f = flows.entry(t.asset).or_default();
                f.sent = f.sent.checked_add(t.amount).unwrap_or(f.sent);
                counterparties.entry(t.to).or_default().1 += 1;
            }
        }
        ChainModel::Utxo => {
            let f = flows.entry(0).or_default();
            for row in reader.incoming(id) {
                let Some(output) = reader.output(row) else {
                    continue;
                };
                incoming += 1;
                seen.push(reader.tx_block(output.tx));
                f.received = f
                    .received
                    .checked_add(Amount::from_u64(output.value))
                    .unwrap_or(f.received);
                for input in reader.tx_inputs(output.tx) {
                    if let Some(sender) = reader.input(input).and_then(|i| i.address)
                        && sender != id
                    {
                        counterparties.entry(sender).or_default().0 += 1;
                    }
                }
                if let Some(spender) = output.spent_by {
                    outgoing += 1;
                    seen.push(reader.tx_block(spender));
                    f.sent = f
                        .sent
                        .checked_add(Amount::from_u64(output.value))
                        .unwrap_or(f.sent);
                    for out_row in reader.tx_outputs(spender) {
                        if let Some(o) = reader.output(out_row)
                            && o.address != id
                        {
                            counterparties.entry(o.address).or_default().1 += 1;
                        }
                    }
                }
            }
        }
    }
    let balances = flows
        .into_iter()
        .map(|(asset, f)| {
            let (symbol, contract, decimals) = asset_info(reader, asset);
            let balance_units = match f.received.checked_sub(f.sent) {
                Ok(net) => net.format_units(decimals),
                Err(_) => format!(
                    "-{}",
                    f.sent
                        .checked_sub(f.received)
                        .unwrap_or_default()
                        .format_units(decimals)
                ),
            };
            AssetBalance {
                asset: symbol,
                contract,
                decimals,
                received: f.received,
                sent: f.sent,
                balance_units,
            }
        })
        .collect();
    let mut top_counterparties: Vec<(u32, (u64, u64))> = counterparties
        .into_iter()
        .filter(|(cp, _)| *cp != 0)
        .collect();
    top_counterparties.sort_by_key(|(cp, (i, o))| (std::cmp::Reverse(i + o), *cp));
    top_counterparties.truncate(top);
    Some(AddressSummary {
        chain: reader.chain(),
        address: address.to_string(),
        address_type: address.type_name(),
        incoming,
        outgoing,
        first_seen: seen.iter().min().copied(),
        last_seen: seen.iter().max().copied(),
        balances,
        top_counterparties: top_counterparties
            .into_iter()
            .filter_map(|(cp, (i, o))| {
                Some(Counterparty {
                    address: name(reader, cp)?,
                    transfers_in: i,
                    transfers_out: o,
                })
            })
            .collect(),
    })
}

/// A transaction with its transfers (account chains) or inputs and outputs (UTXO chains).
pub fn tx_summary(reader: &ChainReader, hash: &TxHash) -> Option<TxSummary> {
    let tx = reader.tx_id(hash)?;
    let mut summary = TxSummary {
        chain: reader.chain(),
        hash: match reader.model() {
            ChainModel::Account => hash.to_hex_prefixed(),
            ChainModel::Utxo => hash.to_hex(),
        },
        block: reader.tx_block(tx),
        transfers: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        fee: None,
    };
    match reader.model() {
        ChainModel::Account => {
            let mut fee = Amount::ZERO;
            for row in reader.tx_transfers(tx) {
                let t = reader.transfer(row)?;
                if matches!(t.kind, TransferKind::Fee | TransferKind::Burn) && t.success {
                    fee = fee.checked_add(t.amount).unwrap_or(fee);
                }
                summary.transfers.push(TransferLine {
                    position: t.position,
                    kind: t.kind,
                    from: name(reader, t.from),
                    to: name(reader, t.to),
                    value: asset_amount(reader, t.asset, t.amount),
                    success: t.success,
                });
            }
            summary.fee = Some(fee);
        }
        ChainModel::Utxo => {
            for (index, row) in reader.tx_inputs(tx).enumerate() {
                let input = reader.input(row)?;
                summary.inputs.push(InputLine {
                    index: index as u32,
                    coinbase: input.coinbase,
                    prevout: input.prevout.map(|p| format!("{}:{}", p.tx, p.vout)),
                    address: input.address.and_then(|a| name(reader, a)),
                    value: input.value,
                });
            }
            for row in reader.tx_outputs(tx) {
                let output = reader.output(row)?;
                let address = reader.address(output.address);
                summary.outputs.push(OutputLine {
                    vout: output.vout,
                    address_type: address.as_ref().map_or("unknown", Address::type_name),
                    address: address.map_or_else(|| "?".to_string(), |a| a.to_string()),
                    value: output.value,
                    spent_by: output.spent_by.map(|t| reader.tx_hash(t).to_hex()),
                });
            }
            summary.fee = reader.tx_fee(tx).map(Amount::from_u64);
        }
    }
    Some(summary)
}
