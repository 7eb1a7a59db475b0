//! The canonical tables of the store's chains — `blocks`, `transactions`, `transfers` (account
//! chains), `inputs` and `outputs` (UTXO chains), `addresses` — read from the mapped columns.
//! Column names follow the Parquet export (docs/schema.md): ethereum-etl and cryo for account
//! chains, bitcoin-etl for UTXO chains, plus `chain` and a UTC `block_time`.

use std::ops::Range;
use std::sync::Arc;

use chaintrail_core::{Chain, ChainModel, TxHash};
use chaintrail_store::schema::NO_ADDRESS;
use chaintrail_store::{ChainReader, InputView, OutputView, TransferView, TxId};
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::error::Result;

use crate::World;
use crate::columns::{
    boolean, field, float, opt_int, opt_uint, record_batch, text, text_all, time, time_type, uint,
    uint32,
};
use crate::provider::{RowSource, StoreTable};

/// The asset key the `transfers.asset` column and `usd()` use: `<chain>/native` for the chain's
/// coin, `<chain>/<contract>` for a token.
pub fn asset_key(chain: Chain, contract: Option<&chaintrail_core::Address>) -> String {
    match contract {
        Some(contract) => format!("{chain}/{contract}"),
        None => format!("{chain}/native"),
    }
}

/// A transaction hash as its chain writes it (0x-prefixed on account chains).
fn hash_text(reader: &ChainReader, hash: TxHash) -> String {
    match reader.model() {
        ChainModel::Account => hash.to_hex_prefixed(),
        ChainModel::Utxo => hash.to_hex(),
    }
}

fn address_text(reader: &ChainReader, id: u32) -> Option<String> {
    (id != NO_ADDRESS)
        .then(|| reader.address(id))
        .flatten()
        .map(|a| a.to_string())
}

/// One chain of the store, as the sources of every table see it.
#[derive(Clone)]
pub(crate) struct ChainSource {
    pub(crate) world: Arc<World>,
    pub(crate) chain: Chain,
}

impl ChainSource {
    pub(crate) fn reader(&self) -> &ChainReader {
        // Sources are only made for chains the world's readers hold.
        &self.world.screener.readers()[&self.chain]
    }

    pub(crate) fn chain_column(&self, rows: usize) -> ArrayRef {
        text_all(std::iter::repeat_n(self.chain.to_string(), rows))
    }
}

fn sources(world: &Arc<World>, model: Option<ChainModel>) -> Vec<ChainSource> {
    world
        .screener
        .readers()
        .iter()
        .filter(|(_, r)| model.is_none_or(|m| r.model() == m))
        .map(|(&chain, _)| ChainSource {
            world: world.clone(),
            chain,
        })
        .collect()
}

/// A table with one source per chain of the store (of `model`, when given).
pub(crate) fn table<S: RowSource>(
    world: &Arc<World>,
    model: Option<ChainModel>,
    schema: Schema,
    make: impl Fn(ChainSource) -> S,
) -> StoreTable {
    let sources = sources(world, model)
        .into_iter()
        .map(|s| Arc::new(make(s)) as Arc<dyn RowSource>)
        .collect();
    StoreTable::new(Arc::new(schema), sources)
}

// ---- blocks ----

pub(crate) fn blocks(world: &Arc<World>) -> StoreTable {
    let schema = Schema::new(vec![
        field("chain", DataType::Utf8, false),
        field("number", DataType::UInt64, false),
        field("timestamp", DataType::UInt64, false),
        field("time", time_type(), true),
    ]);
    table(world, None, schema, Blocks)
}

struct Blocks(ChainSource);

impl RowSource for Blocks {
    fn units(&self) -> u64 {
        self.0.reader().block_count() as u64
    }

    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let reader = self.0.reader();
        let blocks: Vec<_> = units.map(|i| reader.block(i as usize)).collect();
        let columns = projection
            .iter()
            .map(|&c| match c {
                0 => self.0.chain_column(blocks.len()),
                1 => uint(blocks.iter().map(|b| b.height)),
                2 => uint(blocks.iter().map(|b| b.timestamp)),
                _ => time(blocks.iter().map(|b| b.timestamp)),
            })
            .collect();
        record_batch(schema, columns, blocks.len())
    }
}

// ---- transactions ----

pub(crate) fn transactions(world: &Arc<World>) -> StoreTable {
    let schema = Schema::new(vec![
        field("chain", DataType::Utf8, false),
        field("hash", DataType::Utf8, false),
        field("block_number", DataType::UInt64, false),
        field("block_timestamp", DataType::UInt64, false),
        field("block_time", time_type(), true),
        field("transfer_count", DataType::UInt64, true),
        field("input_count", DataType::UInt64, true),
        field("output_count", DataType::UInt64, true),
        field("fee", DataType::UInt64, true),
    ]);
    table(world, None, schema, Transactions)
}

struct Transactions(ChainSource);

impl RowSource for Transactions {
    fn units(&self) -> u64 {
        self.0.reader().tx_count()
    }

    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let reader = self.0.reader();
        let txs: Vec<TxId> = units.collect();
        let account = reader.model() == ChainModel::Account;
        let len = |r: Range<u64>| r.end - r.start;
        let columns = projection
            .iter()
            .map(|&c| match c {
                0 => self.0.chain_column(txs.len()),
                1 => text_all(txs.iter().map(|&t| hash_text(reader, reader.tx_hash(t)))),
                2 => uint(txs.iter().map(|&t| reader.tx_block(t).height)),
                3 => uint(txs.iter().map(|&t| reader.tx_block(t).timestamp)),
                4 => time(txs.iter().map(|&t| reader.tx_block(t).timestamp)),
                5 => opt_uint(
                    txs.iter()
                        .map(|&t| account.then(|| len(reader.tx_transfers(t)))),
                ),
                6 => opt_uint(
                    txs.iter()
                        .map(|&t| (!account).then(|| len(reader.tx_inputs(t)))),
                ),
                7 => opt_uint(
                    txs.iter()
                        .map(|&t| (!account).then(|| len(reader.tx_outputs(t)))),
                ),
                // Account chains have no inputs and outputs to take a fee from (their fees
                // are `kind = 'fee'` transfers).
                _ => opt_uint(
                    txs.iter()
                        .map(|&t| (!account).then(|| reader.tx_fee(t)).flatten()),
                ),
            })
            .collect();
        record_batch(schema, columns, txs.len())
    }
}

// ---- transfers ----

pub(crate) fn transfers(world: &Arc<World>) -> StoreTable {
    let schema = Schema::new(vec![
        field("chain", DataType::Utf8, false),
        field("block_number", DataType::UInt64, false),
        field("block_timestamp", DataType::UInt64, false),
        field("block_time", time_type(), true),
        field("transaction_hash", DataType::Utf8, false),
        field("transfer_index", DataType::UInt32, false),
        field("kind", DataType::Utf8, false),
        field("from_address", DataType::Utf8, true),
        field("to_address", DataType::Utf8, true),
        field("asset", DataType::Utf8, false),
        field("token_address", DataType::Utf8, true),
        field("symbol", DataType::Utf8, false),
        field("value", DataType::Utf8, false),
        field("value_f64", DataType::Float64, false),
        field("success", DataType::Boolean, false),
    ]);
    table(world, Some(ChainModel::Account), schema, Transfers)
}

struct Transfers(ChainSource);

impl RowSource for Transfers {
    fn units(&self) -> u64 {
        self.0.reader().transfer_count()
    }

    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let reader = self.0.reader();
        let chain = self.0.chain;
        let rows: Vec<TransferView> = units.filter_map(|row| reader.transfer(row)).collect();
        let asset = |t: &TransferView| reader.asset(t.asset);
        let columns = projection
            .iter()
            .map(|&c| match c {
                0 => self.0.chain_column(rows.len()),
                1 => uint(rows.iter().map(|t| t.block.height)),
                2 => uint(rows.iter().map(|t| t.block.timestamp)),
                3 => time(rows.iter().map(|t| t.block.timestamp)),
                4 => text_all(rows.iter().map(|t| hash_text(reader, reader.tx_hash(t.tx)))),
                5 => uint32(rows.iter().map(|t| t.position)),
                6 => text_all(rows.iter().map(|t| t.kind.as_str())),
                7 => text(rows.iter().map(|t| address_text(reader, t.from))),
                8 => text(rows.iter().map(|t| address_text(reader, t.to))),
                9 => text_all(
                    rows.iter()
                        .map(|t| asset_key(chain, asset(t).and_then(|a| a.contract()))),
                ),
                10 => text(
                    rows.iter()
                        .map(|t| asset(t).and_then(|a| a.contract()).map(ToString::to_string)),
                ),
                11 => text_all(
                    rows.iter()
                        .map(|t| asset(t).map_or("", |a| a.symbol.as_str())),
                ),
                12 => text_all(rows.iter().map(|t| t.amount.to_string())),
                13 => float(
                    rows.iter()
                        .map(|t| t.amount.to_f64_units(asset(t).map_or(0, |a| a.decimals))),
                ),
                _ => boolean(rows.iter().map(|t| t.success)),
            })
            .collect();
        record_batch(schema, columns, rows.len())
    }
}

// ---- inputs and outputs ----

pub(crate) fn inputs(world: &Arc<World>) -> StoreTable {
    let schema = Schema::new(vec![
        field("chain", DataType::Utf8, false),
        field("block_number", DataType::UInt64, false),
        field("block_timestamp", DataType::UInt64, false),
        field("block_time", time_type(), true),
        field("transaction_hash", DataType::Utf8, false),
        field("index", DataType::UInt64, false),
        field("spent_transaction_hash", DataType::Utf8, true),
        field("spent_output_index", DataType::Int64, true),
        field("address", DataType::Utf8, true),
        field("value", DataType::UInt64, true),
        field("is_coinbase", DataType::Boolean, false),
    ]);
    table(world, Some(ChainModel::Utxo), schema, Inputs)
}

struct Inputs(ChainSource);

impl RowSource for Inputs {
    fn units(&self) -> u64 {
        self.0.reader().input_count()
    }

    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let reader = self.0.reader();
        let rows: Vec<InputView> = units.filter_map(|row| reader.input(row)).collect();
        let columns = projection
            .iter()
            .map(|&c| match c {
                0 => self.0.chain_column(rows.len()),
                1 => uint(rows.iter().map(|i| reader.tx_block(i.tx).height)),
                2 => uint(rows.iter().map(|i| reader.tx_block(i.tx).timestamp)),
                3 => time(rows.iter().map(|i| reader.tx_block(i.tx).timestamp)),
                4 => text_all(rows.iter().map(|i| hash_text(reader, reader.tx_hash(i.tx)))),
                5 => uint(rows.iter().map(|i| i.row - reader.tx_inputs(i.tx).start)),
                6 => text(
                    rows.iter()
                        .map(|i| i.prevout.map(|p| hash_text(reader, p.tx))),
                ),
                7 => opt_int(rows.iter().map(|i| i.prevout.map(|p| i64::from(p.vout)))),
                8 => text(
                    rows.iter()
                        .map(|i| i.address.and_then(|a| address_text(reader, a))),
                ),
                9 => opt_uint(rows.iter().map(|i| i.value)),
                _ => boolean(rows.iter().map(|i| i.coinbase)),
            })
            .collect();
        record_batch(schema, columns, rows.len())
    }
}

pub(crate) fn outputs(world: &Arc<World>) -> StoreTable {
    let schema = Schema::new(vec![
        field("chain", DataType::Utf8, false),
        field("block_number", DataType::UInt64, false),
        field("block_timestamp", DataType::UInt64, false),
        field("block_time", time_type(), true),
        field("transaction_hash", DataType::Utf8, false),
        field("index", DataType::UInt32, false),
        field("address", DataType::Utf8, true),
        field("type", DataType::Utf8, false),
        field("value", DataType::UInt64, false),
        field("spent_by_transaction_hash", DataType::Utf8, true),
    ]);
    table(world, Some(ChainModel::Utxo), schema, Outputs)
}

struct Outputs(ChainSource);

impl RowSource for Outputs {
    fn units(&self) -> u64 {
        self.0.reader().output_count()
    }

    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let reader = self.0.reader();
        let rows: Vec<OutputView> = units.filter_map(|row| reader.output(row)).collect();
        let columns = projection
            .iter()
            .map(|&c| match c {
                0 => self.0.chain_column(rows.len()),
                1 => uint(rows.iter().map(|o| reader.tx_block(o.tx).height)),
                2 => uint(rows.iter().map(|o| reader.tx_block(o.tx).timestamp)),
                3 => time(rows.iter().map(|o| reader.tx_block(o.tx).timestamp)),
                4 => text_all(rows.iter().map(|o| hash_text(reader, reader.tx_hash(o.tx)))),
                5 => uint32(rows.iter().map(|o| o.vout)),
                6 => text(rows.iter().map(|o| address_text(reader, o.address))),
                7 => text_all(rows.iter().map(|o| {
                    reader
                        .address(o.address)
                        .map_or("unknown", |a| a.type_name())
                })),
                8 => uint(rows.iter().map(|o| o.value)),
                _ => text(
                    rows.iter()
                        .map(|o| o.spent_by.map(|t| hash_text(reader, reader.tx_hash(t)))),
                ),
            })
            .collect();
        record_batch(schema, columns, rows.len())
    }
}

// ---- addresses ----

pub(crate) fn addresses(world: &Arc<World>) -> StoreTable {
    let schema = Schema::new(vec![
        field("chain", DataType::Utf8, false),
        field("address", DataType::Utf8, false),
        field("type", DataType::Utf8, false),
    ]);
    table(world, None, schema, Addresses)
}

struct Addresses(ChainSource);

impl RowSource for Addresses {
    fn units(&self) -> u64 {
        self.0.reader().address_count() as u64
    }

    fn batch(
        &self,
        units: Range<u64>,
        projection: &[usize],
        schema: &SchemaRef,
    ) -> Result<RecordBatch> {
        let reader = self.0.reader();
        let addresses: Vec<_> = units
            .filter_map(|id| u32::try_from(id).ok())
            .filter(|&id| id != NO_ADDRESS)
            .filter_map(|id| reader.address(id))
            .collect();
        let columns = projection
            .iter()
            .map(|&c| match c {
                0 => self.0.chain_column(addresses.len()),
                1 => text_all(addresses.iter().map(ToString::to_string)),
                _ => text_all(addresses.iter().map(|a| a.type_name())),
            })
            .collect();
        record_batch(schema, columns, addresses.len())
    }
}
