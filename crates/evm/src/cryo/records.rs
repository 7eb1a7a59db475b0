//! One cryo row parsed into the record it is: a block, a transaction with what cryo adds to it,
//! a log, a trace, a native transfer, an ERC-20 transfer or token metadata.

use alloy_primitives::{Address as EvmAddress, B256, Bytes, U256};

use crate::events::TokenTransfer;
use crate::model::{EvmBlock, EvmLog, EvmTrace, EvmTransaction, TraceType};
use crate::tokens::SourceMetadata;

use super::columns::CryoDataset;
use super::fields::{RowView, address_of, amount_of, bool_of, data_of, hash_of, int_of};

/// One parsed cryo row (what the rows carry as a whole is surveyed by the scan:
/// [`super::files::Survey`]).
pub(crate) enum CryoRecord {
    Block(EvmBlock),
    Transaction(Box<CryoTx>),
    Log(EvmLog),
    Trace(EvmTrace),
    Native(NativeTransfer),
    Erc20(TokenTransfer, u64),
    Erc20Metadata(EvmAddress, SourceMetadata),
}

impl CryoRecord {
    /// The block of the row (`erc20_metadata` rows belong to none: 0).
    pub(crate) fn block_number(&self) -> u64 {
        match self {
            CryoRecord::Block(b) => b.number,
            CryoRecord::Transaction(t) => t.tx.block_number,
            CryoRecord::Log(l) => l.block_number,
            CryoRecord::Trace(t) => t.block_number,
            CryoRecord::Native(n) => n.block,
            CryoRecord::Erc20(t, _) => t.block_number,
            CryoRecord::Erc20Metadata(..) => 0,
        }
    }
}

pub(crate) struct CryoTx {
    pub(crate) tx: EvmTransaction,
    pub(crate) gas_used: Option<u64>,
    pub(crate) success: Option<bool>,
    pub(crate) timestamp: Option<u64>,
}

pub(crate) struct NativeTransfer {
    pub(crate) block: u64,
    pub(crate) tx_index: Option<u64>,
    pub(crate) transfer_index: u64,
    pub(crate) tx_hash: Option<B256>,
    pub(crate) from: EvmAddress,
    pub(crate) to: Option<EvmAddress>,
    pub(crate) value: U256,
}

pub(crate) fn parse_row(dataset: CryoDataset, row: &RowView) -> Result<CryoRecord, String> {
    Ok(match dataset {
        CryoDataset::Blocks => CryoRecord::Block(EvmBlock {
            number: row.need("number", int_of)?,
            hash: row.hash("hash")?,
            parent_hash: row.hash("parent_hash")?,
            timestamp: row.int("timestamp")?.unwrap_or(0),
            miner: row.address("miner")?.unwrap_or_default(),
            base_fee_per_gas: row.amount("base_fee")?,
            transactions: Vec::new(),
            withdrawals: Vec::new(),
        }),
        CryoDataset::Transactions => CryoRecord::Transaction(Box::new(CryoTx {
            tx: EvmTransaction {
                hash: row.need("hash", hash_of)?,
                nonce: row.int("nonce")?.unwrap_or(0),
                block_number: row.need("block", int_of)?,
                transaction_index: row.need("index", int_of)?,
                from: row.need("from", address_of)?,
                to: row.address("to")?,
                value: row.need("value", amount_of)?,
                gas: row.int("gas_limit")?.unwrap_or(0),
                gas_price: row.amount("gas_price")?,
                input: Bytes::new(),
                max_fee_per_gas: row.amount("max_fee")?,
                max_priority_fee_per_gas: row.amount("max_priority")?,
                transaction_type: row.int("type")?,
            },
            gas_used: row.int("gas_used")?,
            success: row.get("success", bool_of)?,
            timestamp: row.int("timestamp")?,
        })),
        CryoDataset::Logs => {
            let mut topics = Vec::new();
            for key in ["topic0", "topic1", "topic2", "topic3"] {
                match row.hash(key)? {
                    Some(topic) => topics.push(topic),
                    None => break,
                }
            }
            CryoRecord::Log(EvmLog {
                log_index: row.need("log_index", int_of)?,
                transaction_hash: row.need("tx_hash", hash_of)?,
                transaction_index: row.need("tx_index", int_of)?,
                block_number: row.need("block", int_of)?,
                address: row.need("address", address_of)?,
                data: row.get("data", data_of)?.unwrap_or_default(),
                topics,
            })
        }
        CryoDataset::Traces => CryoRecord::Trace(trace_of(row)?),
        CryoDataset::NativeTransfers => CryoRecord::Native(NativeTransfer {
            block: row.need("block", int_of)?,
            tx_index: row.int("tx_index")?,
            transfer_index: row.need("transfer_index", int_of)?,
            tx_hash: row.hash("tx_hash")?,
            from: row.need("from", address_of)?,
            to: row.address("to")?.filter(|a| !a.is_zero()),
            value: row.need("value", amount_of)?,
        }),
        CryoDataset::Erc20Transfers => {
            let tx_index = row.need("tx_index", int_of)?;
            CryoRecord::Erc20(
                TokenTransfer {
                    token_address: row.need("token", address_of)?,
                    from: row.need("from", address_of)?,
                    to: row.need("to", address_of)?,
                    value: row.need("value", amount_of)?,
                    transaction_hash: row.need("tx_hash", hash_of)?,
                    log_index: row.need("log_index", int_of)?,
                    block_number: row.need("block", int_of)?,
                },
                tx_index,
            )
        }
        CryoDataset::Erc20Metadata => {
            let decimals = match row.int("decimals")? {
                Some(d) => Some(u8::try_from(d).map_err(|_| format!("decimals {d} exceed 255"))?),
                None => None,
            };
            CryoRecord::Erc20Metadata(
                row.need("token", address_of)?,
                SourceMetadata {
                    symbol: row.text("symbol")?,
                    decimals,
                },
            )
        }
    })
}

/// A cryo `traces` row (Parity `trace_block` flattened) as an ethereum-etl-shaped trace.
fn trace_of(row: &RowView) -> Result<EvmTrace, String> {
    let kind = row.text("type")?.unwrap_or_default();
    let from = row.address("from")?;
    let to = row.address("to")?;
    let (trace_type, from, to) = match kind.as_str() {
        "call" => (TraceType::Call, from, to),
        // The created address is the result's; `action_to` is empty.
        "create" => (TraceType::Create, from, row.address("result_address")?),
        "suicide" | "selfdestruct" => (TraceType::Suicide, from, to),
        // cryo puts the rewarded author in `action_from`.
        "reward" => (TraceType::Reward, None, from.or(to)),
        other => {
            return Err(format!(
                "column `action_type`: unknown trace type `{other}`"
            ));
        }
    };
    let call_type = row.text("call_type")?.and_then(|t| match t.as_str() {
        "call" => Some("call".to_string()),
        "delegate_call" | "delegatecall" => Some("delegatecall".to_string()),
        "static_call" | "staticcall" => Some("staticcall".to_string()),
        "call_code" | "callcode" => Some("callcode".to_string()),
        "none" | "" => None,
        other => Some(other.to_string()),
    });
    let trace_address = row
        .text("trace_address")?
        .unwrap_or_default()
        .split(['_', ','])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<u64>()
                .map_err(|_| format!("column `trace_address`: `{p}` is not a position"))
        })
        .collect::<Result<Vec<u64>, String>>()?;
    Ok(EvmTrace {
        block_number: row.need("block", int_of)?,
        transaction_hash: row.hash("tx_hash")?,
        transaction_index: row.int("tx_index")?,
        from,
        to,
        value: row.amount("value")?.unwrap_or(U256::ZERO),
        trace_type,
        call_type: if trace_type == TraceType::Call {
            call_type
        } else {
            None
        },
        reward_type: row.text("reward_type")?,
        subtraces: row.int("subtraces")?.unwrap_or(0),
        trace_address,
        error: row.text("error")?.filter(|e| !e.is_empty()),
        status: true,
    })
}
