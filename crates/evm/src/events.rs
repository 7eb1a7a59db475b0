//! Decoded protocol events that tracing passes value through: Uniswap V2/V3 swaps, Tornado Cash
//! deposits and withdrawals, contract creations; and the raw logs of the bridge and mixer events
//! the link decoders read ([`KEPT_TOPICS`], [`KeptLog`]). They are kept next to the chain's
//! columns as JSON lines under `chains/<chain>/events/` (`swaps.jsonl`, `mixers.jsonl`,
//! `contracts.jsonl`, `logs.jsonl`).
//!
//! Durability: lines are appended and fsynced *before* the store commit of the same blocks, and
//! the committed length of each file is stored in the chain manifest (cursor `evm-events`) by that
//! commit. Opening the files truncates them to the committed lengths, so lines of a batch that
//! never got committed disappear, and a re-run writes events only for transactions the store did
//! not already hold: no line is lost or duplicated.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use alloy_primitives::{Address as EvmAddress, B256, Bytes, I256, Log, U256, b256};
use alloy_sol_types::{SolEvent, sol};
use chaintrail_core::{Address, Amount, BlockRef, Chain, TxHash};
use chaintrail_store::Store;
use serde::{Deserialize, Serialize};

use crate::EvmError;
use crate::model::{EvmLog, EvmTransaction};

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

/// The events whose raw logs are kept in `logs.jsonl` for the link decoders: topic0 (keccak-256
/// of the canonical signature, checked by a test) and the signature. Bridges carry their join
/// keys here (memos, origin tx ids, sequences); mixers their commitments and notes.
pub const KEPT_TOPICS: &[(B256, &str)] = &[
    // THORChain router.
    (
        b256!("ef519b7eb82aaf6ac376a6df2d793843ebfd593de5f1a0601d3cc6ab49ebb395"),
        "Deposit(address,address,uint256,string)",
    ),
    (
        b256!("a9cd03aa3c1b4515114539cd53d22085129d495cb9e9f9af77864526240f1bf7"),
        "TransferOut(address,address,address,uint256,string)",
    ),
    (
        b256!("8e5841bcd195b858d53b38bcf91b38d47f3bc800469b6812d35451ab619c6f6c"),
        "TransferOutAndCall(address,address,uint256,address,address,uint256,string)",
    ),
    // Avalanche bridge: BTC.b, the ".e" tokens, and the burn back to Bitcoin.
    (
        b256!("c5532043e6f3d77e1c320ff59bd4157ca9075ef59f6b55ceab6c3f7d2f78c9ca"),
        "Mint(address,uint256,address,uint256,bytes32,uint256)",
    ),
    (
        b256!("918d77674bb88eaf75afb307c9723ea6037706de68d6fc07dd0c6cba423a5250"),
        "Mint(address,uint256,address,uint256,bytes32)",
    ),
    (
        b256!("37a06799a3500428a773d00284aa706101f5ad94dae9ec37e1c3773aa54c3304"),
        "Unwrap(uint256,uint256)",
    ),
    // Multichain (Anyswap).
    (
        b256!("aac9ce45fe3adf5143598c4f18a369591a20a3384aedaf1b525d29127e1fcd55"),
        "LogAnySwapIn(bytes32,address,address,uint256,uint256,uint256)",
    ),
    (
        b256!("97116cf6cd4f6412bb47914d6db18da9e16ab2142f543b86e207c24fbd16b23a"),
        "LogAnySwapOut(address,address,address,uint256,uint256,uint256)",
    ),
    (
        b256!("409e0ad946b19f77602d6cf11d59e1796ddaa4828159a0b4fb7fa2ff6b161b79"),
        "LogAnySwapOut(address,address,string,uint256,uint256,uint256)",
    ),
    // Wormhole core and token bridge.
    (
        b256!("6eb224fb001ed210e379b335e35efe88672a8ce935d981a6896b27ffdf52a3b2"),
        "LogMessagePublished(address,uint64,uint32,bytes,uint8)",
    ),
    (
        b256!("caf280c8cfeba144da67230d9b009c8f868a75bac9a528fa0474be1ba317c169"),
        "TransferRedeemed(uint16,bytes32,uint64)",
    ),
    // RenBridge.
    (
        b256!("1619fc95050ffb8c94c9077c82b3e1ebbf8d571b6234241c55ba0aaf40da019e"),
        "LogBurn(bytes,uint256,uint256,bytes)",
    ),
    (
        b256!("a58ba939eb08dab7eaf8ad09c16e7405ee88e5153e15da62d5481296a9f727fa"),
        "LogMint(address,uint256,uint256,bytes32)",
    ),
    // Tornado Cash pools and proxy.
    (
        b256!("a945e51eec50ab98c161376f0db4cf2aeba3ec92755fe2fcd388bdbbb80ff196"),
        "Deposit(bytes32,uint32,uint256)",
    ),
    (
        b256!("e9e508bad6d4c3227e881ca19068f099da81b5164dd6d62b2eaf1e8bc6c34931"),
        "Withdrawal(address,bytes32,address,uint256)",
    ),
    (
        b256!("fa28df43db3553771f7209dcef046f3bdfea15870ab625dcda30ac58b82b4008"),
        "EncryptedNote(address,bytes)",
    ),
    // Tornado Cash anonymity mining: the RewardSwap contract swapping anonymity points for TORN
    // (`Swap(address indexed recipient, uint256 pTORN, uint256 TORN)`).
    (
        b256!("77f92a1b6a1a11de8ca49515ad4c1fad45632dd3442167d74b90b304a3c7a758"),
        "Swap(address,uint256,uint256)",
    ),
];

/// A raw log of one of the [`KEPT_TOPICS`] events, from a successful transaction, with the
/// transaction context the decoders need (who sent it, to which contract).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptLog {
    /// The chain.
    pub chain: Chain,
    /// The transaction.
    pub tx: TxHash,
    /// The block that holds it.
    pub block: BlockRef,
    /// The transaction's index in its block (`None` when the source lacks it).
    pub tx_index: Option<u64>,
    /// The log's index in its block.
    pub log_index: u64,
    /// The transaction's sender.
    pub tx_from: Address,
    /// The transaction's recipient (`None` for a contract creation).
    pub tx_to: Option<Address>,
    /// The contract that emitted the log.
    pub address: Address,
    /// The log's topics, the event signature first.
    pub topics: Vec<B256>,
    /// The log's data.
    pub data: Bytes,
}

/// The log as a [`KeptLog`] when its topic0 is one of the [`KEPT_TOPICS`].
pub(crate) fn kept_log(
    chain: Chain,
    block: BlockRef,
    tx: &EvmTransaction,
    log: &EvmLog,
) -> Option<KeptLog> {
    let topic0 = log.topics.first()?;
    KEPT_TOPICS
        .iter()
        .any(|(kept, _)| kept == topic0)
        .then(|| KeptLog {
            chain,
            tx: TxHash(log.transaction_hash.0),
            block,
            tx_index: Some(tx.transaction_index),
            log_index: log.log_index,
            tx_from: evm(tx.from),
            tx_to: tx.to.map(evm),
            address: evm(log.address),
            topics: log.topics.clone(),
            data: log.data.clone(),
        })
}

/// A decoded ERC-20 `Transfer` (three topics, one data word), as ethereum-etl's
/// `token_transfers` table has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenTransfer {
    /// The token contract.
    pub token_address: EvmAddress,
    /// The sender.
    pub from: EvmAddress,
    /// The receiver.
    pub to: EvmAddress,
    /// The amount, in the token's base units.
    pub value: U256,
    /// The transaction's hash.
    pub transaction_hash: B256,
    /// The log's index in its block.
    pub log_index: u64,
    /// The block's number.
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
#[non_exhaustive]
pub enum SwapProtocol {
    /// Uniswap V2 and its forks (`Swap(address,uint256,uint256,uint256,uint256,address)`).
    UniswapV2,
    /// Uniswap V3 and its forks (`Swap(address,address,int256,int256,uint160,uint128,int24)`).
    UniswapV3,
}

/// One swap in a pool: amounts of the pool's token0/token1 that came in and went out. The
/// tokens themselves are the ERC-20 transfers of the same transaction into and out of `pool`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapEvent {
    /// The chain.
    pub chain: Chain,
    /// The transaction.
    pub tx: TxHash,
    /// The block that holds it.
    pub block: BlockRef,
    /// The log's index in its block.
    pub log_index: u64,
    /// Which pool contract emitted it.
    pub protocol: SwapProtocol,
    /// The pool.
    pub pool: Address,
    /// `msg.sender` of the swap (often a router).
    pub sender: Address,
    /// Who received the output.
    pub recipient: Address,
    /// The transaction's sender (the user behind a router).
    pub tx_from: Address,
    /// Token0 that came into the pool.
    pub amount0_in: Amount,
    /// Token1 that came into the pool.
    pub amount1_in: Amount,
    /// Token0 that went out of the pool.
    pub amount0_out: Amount,
    /// Token1 that went out of the pool.
    pub amount1_out: Amount,
}

/// A Tornado-Cash-style mixer event. Any contract can emit these events; whether `pool` is a
/// real Tornado pool is for attribution (the Tornado contract list) to say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MixerEvent {
    /// The chain.
    pub chain: Chain,
    /// The transaction.
    pub tx: TxHash,
    /// The block that holds it.
    pub block: BlockRef,
    /// The log's index in its block.
    pub log_index: u64,
    /// The mixer pool that emitted it.
    pub pool: Address,
    /// The transaction's sender: the depositor (also when going through Tornado's proxy), or
    /// who submitted a withdrawal (a relayer, or the user when self-relayed).
    pub tx_from: Address,
    /// The transaction's fee settings, a wallet's fingerprint (absent in stores written before
    /// they were kept).
    #[serde(default, skip_serializing_if = "FeeSettings::is_empty")]
    pub fee_settings: FeeSettings,
    /// Deposit or withdrawal, with its fields.
    #[serde(flatten)]
    pub kind: MixerEventKind,
}

/// What a transaction offered to pay for gas, as its sender's wallet set it: the legacy gas
/// price, or the EIP-1559 maximum fee and priority fee per gas.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FeeSettings {
    /// The legacy gas price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_price: Option<Amount>,
    /// The EIP-1559 maximum fee per gas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fee_per_gas: Option<Amount>,
    /// The EIP-1559 maximum priority fee per gas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_priority_fee_per_gas: Option<Amount>,
}

impl FeeSettings {
    /// Whether nothing is known (stores written before fee settings were kept).
    pub fn is_empty(&self) -> bool {
        self.gas_price.is_none()
            && self.max_fee_per_gas.is_none()
            && self.max_priority_fee_per_gas.is_none()
    }

    /// The settings a wallet chose: the EIP-1559 pair when the transaction has one (the gas
    /// price of such a transaction is the block's, not the wallet's), else the gas price.
    pub fn of(tx: &EvmTransaction) -> FeeSettings {
        match (tx.max_fee_per_gas, tx.max_priority_fee_per_gas) {
            (Some(max_fee), Some(priority)) => FeeSettings {
                gas_price: None,
                max_fee_per_gas: Some(amount(max_fee)),
                max_priority_fee_per_gas: Some(amount(priority)),
            },
            _ => FeeSettings {
                gas_price: tx.gas_price.map(amount),
                ..FeeSettings::default()
            },
        }
    }
}

/// What a mixer event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum MixerEventKind {
    /// Money went in: a note's commitment joined the pool's tree.
    Deposit {
        /// The note's commitment.
        commitment: B256,
        /// Its leaf in the pool's Merkle tree.
        leaf_index: u32,
        /// The block time the contract logged.
        timestamp: u64,
    },
    /// Money went out to `to`, for a note's nullifier.
    Withdrawal {
        /// Who received the withdrawal.
        to: Address,
        /// The nullifier hash (spends one note).
        nullifier_hash: B256,
        /// The relayer paid `fee` (the zero address when self-relayed).
        relayer: Address,
        /// The relayer's fee, out of the pool's denomination.
        fee: Amount,
    },
}

/// A contract created by a successful transaction or internal call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractCreation {
    /// The chain.
    pub chain: Chain,
    /// The transaction.
    pub tx: TxHash,
    /// The block that holds it.
    pub block: BlockRef,
    /// The created contract.
    pub address: Address,
    /// Who created it (the transaction's sender, or the creating contract).
    pub creator: Address,
}

/// Events decoded from the transactions of one batch of blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventBatch {
    /// Uniswap-style swaps.
    pub swaps: Vec<SwapEvent>,
    /// Tornado-style deposits and withdrawals.
    pub mixers: Vec<MixerEvent>,
    /// Contract creations.
    pub contracts: Vec<ContractCreation>,
    /// Raw logs of the kept topics.
    pub logs: Vec<KeptLog>,
}

impl EventBatch {
    /// Add `other`'s events after these.
    pub fn append(&mut self, other: EventBatch) {
        self.swaps.extend(other.swaps);
        self.mixers.extend(other.mixers);
        self.contracts.extend(other.contracts);
        self.logs.extend(other.logs);
    }

    /// Drop what names the transaction's sender, for sources where it is unknown.
    pub(crate) fn drop_sender_events(&mut self) {
        self.swaps.clear();
        self.mixers.clear();
        self.logs.clear();
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
    transaction: &EvmTransaction,
    log: &EvmLog,
    batch: &mut EventBatch,
) {
    let tx = TxHash(log.transaction_hash.0);
    let pool = evm(log.address);
    let tx_from = evm(transaction.from);
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
                fee_settings: FeeSettings::of(transaction),
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
            fee_settings: FeeSettings::of(transaction),
            kind: MixerEventKind::Withdrawal {
                to: evm(e.data.to),
                nullifier_hash: e.data.nullifierHash,
                relayer: evm(e.data.relayer),
                fee: amount(e.data.fee),
            },
        });
    }
}

const FILES: [&str; 4] = [
    "swaps.jsonl",
    "mixers.jsonl",
    "contracts.jsonl",
    "logs.jsonl",
];
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
    lengths: [u64; FILES.len()],
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
        let lengths = match committed {
            Some(cursor) => committed_lengths(cursor)?,
            None => [0; FILES.len()],
        };
        let mut files = Vec::with_capacity(FILES.len());
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
            lines(&batch.logs),
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

/// The committed length of each events file from the `evm-events` cursor. Stores written before
/// `logs.jsonl` existed hold three lengths; the fourth file then starts empty. Anything else is an
/// error: reading it as zeros would cut the files to nothing.
fn committed_lengths(cursor: &serde_json::Value) -> Result<[u64; FILES.len()], EvmError> {
    let bad = |reason: &str| {
        EvmError::Input(format!(
            "the store's `{EVENTS_CURSOR}` cursor ({cursor}) {reason}: expected the committed \
             lengths of {}; the chain manifest was edited or damaged — restore it or re-ingest \
             into a fresh store",
            FILES.join(", ")
        ))
    };
    let lengths: Vec<u64> =
        serde_json::from_value(cursor.clone()).map_err(|_| bad("is not a list of byte lengths"))?;
    let mut padded = [0; FILES.len()];
    match lengths.len() {
        3 | 4 => {
            padded[..lengths.len()].copy_from_slice(&lengths);
            Ok(padded)
        }
        n => Err(bad(&format!("holds {n} lengths"))),
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

/// Every kept raw log stored for `chain` (see [`KEPT_TOPICS`]), in ingestion order.
pub fn read_kept_logs(store: &Store, chain: Chain) -> Result<Vec<KeptLog>, EvmError> {
    read_lines(store, chain, FILES[3])
}

#[cfg(test)]
mod tests {
    use alloy_primitives::keccak256;

    use super::*;

    #[test]
    fn kept_topics_are_the_keccak_of_their_signatures() {
        for (topic, signature) in KEPT_TOPICS {
            assert_eq!(keccak256(signature.as_bytes()), *topic, "{signature}");
        }
        assert_eq!(KEPT_TOPICS.len(), 17);
        // The Tornado events decoded into mixers.jsonl are kept raw too.
        let kept = |hash: B256| KEPT_TOPICS.iter().any(|(t, _)| *t == hash);
        assert!(kept(tornado::Deposit::SIGNATURE_HASH));
        assert!(kept(tornado::Withdrawal::SIGNATURE_HASH));
        assert!(!kept(Transfer::SIGNATURE_HASH));
        assert!(
            !kept(Deposit::SIGNATURE_HASH),
            "WETH's Deposit is not THORChain's"
        );
    }

    fn sample_log(chain: Chain) -> KeptLog {
        KeptLog {
            chain,
            tx: TxHash([7; 32]),
            block: BlockRef {
                height: 5,
                timestamp: 50,
            },
            tx_index: Some(2),
            log_index: 3,
            tx_from: Address::Evm([1; 20]),
            tx_to: Some(Address::Evm([2; 20])),
            address: Address::Evm([2; 20]),
            topics: vec![KEPT_TOPICS[0].0],
            data: Bytes::from(vec![0xab; 40]),
        }
    }

    #[test]
    fn a_cursor_of_three_lengths_opens_with_an_empty_log_file() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("events");
        std::fs::create_dir_all(&dir).expect("dir");
        // What an older chaintrail left: three files (the mixer file with an uncommitted tail)
        // and a cursor of three lengths.
        std::fs::write(dir.join("swaps.jsonl"), "s\n").expect("write");
        std::fs::write(dir.join("mixers.jsonl"), "m1\nm2-uncommitted\n").expect("write");
        std::fs::write(dir.join("contracts.jsonl"), "").expect("write");
        let old = serde_json::json!([2, 3, 0]);
        let mut files = EventFiles::open(dir.clone(), Some(&old)).expect("old cursor");
        assert_eq!(files.cursor(), serde_json::json!([2, 3, 0, 0]));
        assert_eq!(
            std::fs::read_to_string(dir.join("mixers.jsonl")).expect("read"),
            "m1\n"
        );
        let batch = EventBatch {
            logs: vec![sample_log(Chain::Evm(1))],
            ..EventBatch::default()
        };
        let cursor = files.append(&batch).expect("append");
        let written = std::fs::read(dir.join("logs.jsonl")).expect("logs");
        assert_eq!(cursor, serde_json::json!([2, 3, 0, written.len()]));
        assert_eq!(
            std::fs::read_to_string(dir.join("swaps.jsonl")).expect("read"),
            "s\n"
        );
        drop(files);
        // Reopened with the new cursor, the log line is committed and kept.
        EventFiles::open(dir.clone(), Some(&cursor)).expect("new cursor");
        assert_eq!(
            std::fs::read(dir.join("logs.jsonl")).expect("logs"),
            written
        );
    }

    #[test]
    fn an_unreadable_cursor_is_an_error_and_truncates_nothing() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("events");
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("swaps.jsonl"), "kept\n").expect("write");
        for cursor in [
            serde_json::json!("garbage"),
            serde_json::json!([1, 2]),
            serde_json::json!([1, 2, 3, 4, 5]),
            serde_json::json!([1, -2, 3]),
        ] {
            let err = EventFiles::open(dir.clone(), Some(&cursor))
                .err()
                .expect("refused");
            assert!(err.to_string().contains("evm-events"), "{err}");
        }
        assert_eq!(
            std::fs::read_to_string(dir.join("swaps.jsonl")).expect("read"),
            "kept\n"
        );
    }
}
