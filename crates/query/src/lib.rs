//! Read-side views over the store, shared by the CLI and the HTTP server: what an investigator
//! sees for an address (balances per asset, activity, first/last seen, top counterparties) and
//! for a transaction (transfers, or inputs and outputs with the fee).
//!
//! [`find_address`] and [`find_tx`] look an address or a transaction up across the store's chains when the chain is not
//! given. Both views work on either chain model; amounts are exact ([`Amount`]) and come with the
//! asset's symbol and decimals for display.

#![warn(missing_docs)]

mod find;

use std::collections::{BTreeMap, HashMap};

use chaintrail_core::{Address, Amount, BlockRef, Chain, ChainModel, TransferKind, TxHash};
use chaintrail_store::ChainReader;
use serde::Serialize;

pub use find::{QueryError, address_chains, find_address, find_tx};

/// An amount of one asset, exact, with what is needed to show it.
#[derive(Debug, Clone, Serialize)]
pub struct AssetAmount {
    pub asset: String,
    pub contract: Option<String>,
    pub decimals: u8,
    pub amount: Amount,
    /// `amount` in whole units, exact decimal text.
    pub units: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssetBalance {
    pub asset: String,
    pub contract: Option<String>,
    pub decimals: u8,
    pub received: Amount,
    pub sent: Amount,
    /// received − sent in whole units; negative only when the store lacks earlier history.
    pub balance_units: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Counterparty {
    pub address: String,
    pub transfers_in: u64,
    pub transfers_out: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddressSummary {
    pub chain: Chain,
    pub address: String,
    pub address_type: &'static str,
    /// Successful incoming transfers (account) or outputs received (UTXO).
    pub incoming: u64,
    /// Successful outgoing transfers (account) or outputs spent (UTXO).
    pub outgoing: u64,
    pub first_seen: Option<BlockRef>,
    pub last_seen: Option<BlockRef>,
    pub balances: Vec<AssetBalance>,
    pub top_counterparties: Vec<Counterparty>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TransferLine {
    pub position: u32,
    pub kind: TransferKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub value: AssetAmount,
    pub success: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputLine {
    pub index: u32,
    pub coinbase: bool,
    pub prevout: Option<String>,
    pub address: Option<String>,
    pub value: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputLine {
    pub vout: u32,
    pub address: String,
    pub address_type: &'static str,
    pub value: u64,
    pub spent_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TxSummary {
    pub chain: Chain,
    pub hash: String,
    pub block: BlockRef,
    pub transfers: Vec<TransferLine>,
    pub inputs: Vec<InputLine>,
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
