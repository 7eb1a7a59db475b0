//! Decoded protocol events that tracing passes value through: Uniswap V2/V3 swaps, Tornado Cash
//! deposits and withdrawals, contract creations. They are kept next to the chain's columns as JSON
//! lines under `chains/<chain>/events/` (`swaps.jsonl`, `mixers.jsonl`, `contracts.jsonl`).
//!
//! Durability: lines are appended and fsynced *before* the store commit of the same blocks, and
//! the committed length of each file is stored in the chain manifest (cursor `evm-events`) by that
//! commit. Opening the files truncates them to the committed lengths, so lines of a batch that
//! never got committed disappear, and a re-run writes events only for transactions the store did
//! not already hold: no line is lost or duplicated.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use alloy_primitives::{Address as EvmAddress, B256, I256, Log, U256};
use alloy_sol_types::{SolEvent, sol};
use chaintrail_core::{Address, Amount, BlockRef, Chain, TxHash};
use chaintrail_store::Store;
use serde::{Deserialize, Serialize};

use crate::EvmError;
use crate::model::EvmLog;

sol! {
    /// ERC-20 (and ERC-721 with a fourth topic, which is skipped).
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// WETH9 wrap.
    event Deposit(address indexed dst, uint256 wad);
    /// WETH9 unwrap.
    event Withdrawal(address indexed src, uint256 wad);
}

mod uniswap_v2 {
    alloy_sol_types::sol! {
        event Swap(
            address indexed sender,
            uint256 amount0In,
            uint256 amount1In,
            uint256 amount0Out,
            uint256 amount1Out,
            address indexed to
        );
    }
}

mod uniswap_v3 {
    alloy_sol_types::sol! {
        event Swap(
            address indexed sender,
            address indexed recipient,
            int256 amount0,
            int256 amount1,
            uint160 sqrtPriceX96,
            uint128 liquidity,
            int24 tick
        );
    }
}

mod tornado {
    alloy_sol_types::sol! {
        event Deposit(bytes32 indexed commitment, uint32 leafIndex, uint256 timestamp);
        event Withdrawal(address to, bytes32 nullifierHash, address indexed relayer, uint256 fee);
    }
}

/// A decoded ERC-20 `Transfer` (three topics, one data word), as ethereum-etl's
/// `token_transfers` table has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenTransfer {
    pub token_address: EvmAddress,
    pub from: EvmAddress,
    pub to: EvmAddress,
    pub value: U256,
    pub transaction_hash: B256,
    pub log_index: u64,
    pub block_number: u64,
}

fn as_log(log: &EvmLog) -> Log {
    Log::new_unchecked(log.address, log.topics.clone(), log.data.clone())
}

fn has(log: &EvmLog, topic0: B256, topics: usize) -> bool {
    log.topics.len() == topics && log.topics.first() == Some(&topic0)
}

/// The ERC-20 transfer a log records, if it is one.
pub fn decode_token_transfer(log: &EvmLog) -> Option<TokenTransfer> {
    if !has(log, Transfer::SIGNATURE_HASH, 3) {
        return None;
    }
    let event = Transfer::decode_log(&as_log(log)).ok()?;
    Some(TokenTransfer {
        token_address: log.address,
        from: event.data.from,
        to: event.data.to,
        value: event.data.value,
        transaction_hash: log.transaction_hash,
        log_index: log.log_index,
        block_number: log.block_number,
    })
}

/// A wrapped-native-coin event: `Some((true, account, amount))` for a WETH9 `Deposit` (wrap),
/// `Some((false, …))` for a `Withdrawal` (unwrap).
pub(crate) fn decode_wrap(log: &EvmLog) -> Option<(bool, EvmAddress, U256)> {
    if has(log, Deposit::SIGNATURE_HASH, 2) {
        let event = Deposit::decode_log(&as_log(log)).ok()?;
        return Some((true, event.data.dst, event.data.wad));
    }
    if has(log, Withdrawal::SIGNATURE_HASH, 2) {
        let event = Withdrawal::decode_log(&as_log(log)).ok()?;
        return Some((false, event.data.src, event.data.wad));
    }
    None
}

/// Which DEX design emitted a swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SwapProtocol {
    UniswapV2,
    UniswapV3,
}

/// One swap in a pool: amounts of the pool's token0/token1 that came in and went out. The
/// tokens themselves are the ERC-20 transfers of the same transaction into and out of `pool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapEvent {
    pub chain: Chain,
    pub tx: TxHash,
    pub block: BlockRef,
    pub log_index: u64,
    pub protocol: SwapProtocol,
    pub pool: Address,
    /// `msg.sender` of the swap (often a router).
    pub sender: Address,
    /// Who received the output.
    pub recipient: Address,
    /// The transaction's sender (the user behind a router).
    pub tx_from: Address,
    pub amount0_in: Amount,
    pub amount1_in: Amount,
    pub amount0_out: Amount,
    pub amount1_out: Amount,
}

/// A Tornado-Cash-style mixer event. Any contract can emit these events; whether `pool` is a
/// real Tornado pool is for attribution (the Tornado contract list) to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MixerEvent {
    pub chain: Chain,
    pub tx: TxHash,
    pub block: BlockRef,
    pub log_index: u64,
    pub pool: Address,
    /// The transaction's sender: the depositor (also when going through Tornado's proxy), or
    /// who submitted a withdrawal (a relayer, or the user when self-relayed).
    pub tx_from: Address,
    #[serde(flatten)]
    pub kind: MixerEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum MixerEventKind {
    Deposit {
        commitment: B256,
        leaf_index: u32,
        timestamp: u64,
    },
    Withdrawal {
        to: Address,
        nullifier_hash: B256,
        relayer: Address,
        fee: Amount,
    },
}

/// A contract created by a successful transaction or internal call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractCreation {
    pub chain: Chain,
    pub tx: TxHash,
    pub block: BlockRef,
    pub address: Address,
    pub creator: Address,
}

/// Events decoded from the transactions of one batch of blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventBatch {
    pub swaps: Vec<SwapEvent>,
    pub mixers: Vec<MixerEvent>,
    pub contracts: Vec<ContractCreation>,
}

impl EventBatch {
    pub fn append(&mut self, other: EventBatch) {
        self.swaps.extend(other.swaps);
        self.mixers.extend(other.mixers);
        self.contracts.extend(other.contracts);
    }
}

pub(crate) fn evm(address: EvmAddress) -> Address {
    Address::Evm(address.0.0)
}

fn amount(value: U256) -> Amount {
    Amount::from_u256(value)
}

fn abs(value: I256) -> U256 {
    value.unsigned_abs()
}

/// Swap and mixer events of one log, appended to `batch`.
pub(crate) fn decode_protocol_event(
    chain: Chain,
    block: BlockRef,
    tx_from: EvmAddress,
    log: &EvmLog,
    batch: &mut EventBatch,
) {
    let tx = TxHash(log.transaction_hash.0);
    let pool = evm(log.address);
    let tx_from = evm(tx_from);
    let raw = as_log(log);
    if has(log, uniswap_v2::Swap::SIGNATURE_HASH, 3) {
        if let Ok(e) = uniswap_v2::Swap::decode_log(&raw) {
            batch.swaps.push(SwapEvent {
                chain,
                tx,
                block,
                log_index: log.log_index,
                protocol: SwapProtocol::UniswapV2,
                pool,
                sender: evm(e.data.sender),
                recipient: evm(e.data.to),
                tx_from,
                amount0_in: amount(e.data.amount0In),
                amount1_in: amount(e.data.amount1In),
                amount0_out: amount(e.data.amount0Out),
                amount1_out: amount(e.data.amount1Out),
            });
        }
    } else if has(log, uniswap_v3::Swap::SIGNATURE_HASH, 3) {
        if let Ok(e) = uniswap_v3::Swap::decode_log(&raw) {
            // Positive amounts entered the pool, negative ones left it.
            let split = |v: I256| {
                if v.is_negative() {
                    (U256::ZERO, abs(v))
                } else {
                    (abs(v), U256::ZERO)
                }
            };
            let (a0_in, a0_out) = split(e.data.amount0);
            let (a1_in, a1_out) = split(e.data.amount1);
            batch.swaps.push(SwapEvent {
                chain,
                tx,
                block,
                log_index: log.log_index,
                protocol: SwapProtocol::UniswapV3,
                pool,
                sender: evm(e.data.sender),
                recipient: evm(e.data.recipient),
                tx_from,
                amount0_in: amount(a0_in),
                amount1_in: amount(a1_in),
                amount0_out: amount(a0_out),
                amount1_out: amount(a1_out),
            });
        }
    } else if has(log, tornado::Deposit::SIGNATURE_HASH, 2) {
        if let Ok(e) = tornado::Deposit::decode_log(&raw) {
            batch.mixers.push(MixerEvent {
                chain,
                tx,
                block,
                log_index: log.log_index,
                pool,
                tx_from,
                kind: MixerEventKind::Deposit {
                    commitment: e.data.commitment,
                    leaf_index: e.data.leafIndex,
                    timestamp: u64::try_from(e.data.timestamp).unwrap_or(u64::MAX),
                },
            });
        }
    } else if has(log, tornado::Withdrawal::SIGNATURE_HASH, 2)
        && let Ok(e) = tornado::Withdrawal::decode_log(&raw)
    {
        batch.mixers.push(MixerEvent {
            chain,
            tx,
            block,
            log_index: log.log_index,
            pool,
            tx_from,
            kind: MixerEventKind::Withdrawal {
                to: evm(e.data.to),
                nullifier_hash: e.data.nullifierHash,
                relayer: evm(e.data.relayer),
                fee: amount(e.data.fee),
            },
        });
    }
}

const FILES: [&str; 3] = ["swaps.jsonl", "mixers.jsonl", "contracts.jsonl"];
/// The chain-manifest cursor holding the committed length of each events file.
pub(crate) const EVENTS_CURSOR: &str = "evm-events";

/// The events directory of a chain in a store.
pub fn events_dir(store: &Store, chain: Chain) -> PathBuf {
    store.dir().join("chains").join(chain.name()).join("events")
}

/// Append-only writer of the events files of one chain (see the module docs).
pub(crate) struct EventFiles {
    dir: PathBuf,
    files: Vec<File>,
    lengths: [u64; 3],
}

fn io(path: &Path, action: &'static str) -> impl FnOnce(std::io::Error) -> EvmError {
    let path = path.to_path_buf();
    move |source| EvmError::Io {
        path,
        action,
        source,
    }
}

impl EventFiles {
    /// Open the files, cutting off whatever was written after the committed lengths.
    pub(crate) fn open(
        dir: PathBuf,
        committed: Option<&serde_json::Value>,
    ) -> Result<Self, EvmError> {
        std::fs::create_dir_all(&dir).map_err(io(&dir, "create"))?;
        let lengths: [u64; 3] = committed
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or([0; 3]);
        let mut files = Vec::with_capacity(3);
        for (name, &length) in FILES.iter().zip(&lengths) {
            let path = dir.join(name);
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(io(&path, "open"))?;
            let size = file.metadata().map_err(io(&path, "inspect"))?.len();
            if size < length {
                return Err(EvmError::Input(format!(
                    "{} is shorter ({size} bytes) than the store committed ({length} bytes): \
                     it was truncated or replaced; re-ingest into a fresh store",
                    path.display()
                )));
            }
            if size > length {
                file.set_len(length).map_err(io(&path, "truncate"))?;
                file.sync_all().map_err(io(&path, "sync"))?;
            }
            files.push(file);
        }
        Ok(EventFiles {
            dir,
            files,
            lengths,
        })
    }

    /// Append the batch and fsync; returns the cursor value to commit with the store.
    pub(crate) fn append(&mut self, batch: &EventBatch) -> Result<serde_json::Value, EvmError> {
        fn lines<T: Serialize>(items: &[T]) -> Vec<u8> {
            let mut out = Vec::new();
            for item in items {
                // Serializing these plain records cannot fail; skip defensively if it ever did.
                if serde_json::to_writer(&mut out, item).is_ok() {
                    out.push(b'\n');
                }
            }
            out
        }
        let chunks = [
            lines(&batch.swaps),
            lines(&batch.mixers),
            lines(&batch.contracts),
        ];
        for ((file, chunk), (name, length)) in self
            .files
            .iter_mut()
            .zip(&chunks)
            .zip(FILES.iter().zip(self.lengths.iter_mut()))
        {
            if chunk.is_empty() {
                continue;
            }
            let path = self.dir.join(name);
            file.write_all(chunk).map_err(io(&path, "append to"))?;
            file.sync_data().map_err(io(&path, "sync"))?;
            *length += chunk.len() as u64;
        }
        Ok(self.cursor())
    }

    pub(crate) fn cursor(&self) -> serde_json::Value {
        serde_json::Value::from(self.lengths.to_vec())
    }
}

fn read_lines<T: for<'de> Deserialize<'de>>(
    store: &Store,
    chain: Chain,
    name: &str,
) -> Result<Vec<T>, EvmError> {
    let path = events_dir(store, chain).join(name);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&path, "open")(e)),
    };
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io(&path, "read"))?;
        let record = serde_json::from_str(&line).map_err(|e| {
            EvmError::Input(format!(
                "{}:{}: not an event record: {e}",
                path.display(),
                i + 1
            ))
        })?;
        out.push(record);
    }
    Ok(out)
}

/// Every swap stored for `chain`, in ingestion order.
pub fn read_swaps(store: &Store, chain: Chain) -> Result<Vec<SwapEvent>, EvmError> {
    read_lines(store, chain, FILES[0])
}

/// Every mixer event stored for `chain`, in ingestion order.
pub fn read_mixer_events(store: &Store, chain: Chain) -> Result<Vec<MixerEvent>, EvmError> {
    read_lines(store, chain, FILES[1])
}

/// Every contract creation stored for `chain`, in ingestion order.
pub fn read_contract_creations(
    store: &Store,
    chain: Chain,
) -> Result<Vec<ContractCreation>, EvmError> {
    read_lines(store, chain, FILES[2])
}
