//! The `cryo` importer on Parquet files written here with cryo's exact column names and types
//! (binary addresses and hashes, UInt32/UInt64 numbers, `value_binary`/`value_string`/
//! `value_f64`, decimal `action_value`, `_`-joined `trace_address`), checked flow by flow; resume;
//! bad files; and parity with the ethereum-etl importer on the same mainnet blocks.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use alloy_primitives::{Address, B256, U256, keccak256};
use chaintrail_core::Chain;
use chaintrail_evm::block_credits_hash;
use chaintrail_evm::{Cryo, EthereumEtl, events, parse_etl_json};
use chaintrail_evm::{EtlRecord, EtlTable};
use chaintrail_ingest::{ImportError, ImportOptions, Importer};
use chaintrail_store::Store;
use parquet::basic::{ConvertedType, Repetition, Type as PhysicalType};
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

// ---------------------------------------------------------------- a low-level Parquet writer

enum Col {
    U32(Vec<Option<u32>>),
    U64(Vec<Option<u64>>),
    Bin(Vec<Option<Vec<u8>>>),
    Str(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
    F64(Vec<Option<f64>>),
}

fn defs<T>(values: &[Option<T>]) -> Vec<i16> {
    values.iter().map(|v| i16::from(v.is_some())).collect()
}

impl Col {
    fn slice(&self, rows: std::ops::Range<usize>) -> Col {
        match self {
            Col::U32(v) => Col::U32(v[rows].to_vec()),
            Col::U64(v) => Col::U64(v[rows].to_vec()),
            Col::Bin(v) => Col::Bin(v[rows].to_vec()),
            Col::Str(v) => Col::Str(v[rows].to_vec()),
            Col::Bool(v) => Col::Bool(v[rows].to_vec()),
            Col::F64(v) => Col::F64(v[rows].to_vec()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Col::U32(v) => v.len(),
            Col::U64(v) => v.len(),
            Col::Bin(v) => v.len(),
            Col::Str(v) => v.len(),
            Col::Bool(v) => v.len(),
            Col::F64(v) => v.len(),
        }
    }
}

/// Write one row group with the columns as polars (cryo) writes them: all OPTIONAL, UInt32 as
/// INT32 + UINT_32, UInt64 as INT64 + UINT_64, binary as BYTE_ARRAY, strings as UTF8.
fn write_parquet(path: &Path, columns: Vec<(&str, Col)>) {
    write_parquet_in_groups(path, columns, usize::MAX);
}

/// [`write_parquet`] with a row group per `group_rows` rows.
fn write_parquet_in_groups(path: &Path, columns: Vec<(&str, Col)>, group_rows: usize) {
    let fields = columns
        .iter()
        .map(|(name, col)| {
            let (physical, converted) = match col {
                Col::U32(_) => (PhysicalType::INT32, ConvertedType::UINT_32),
                Col::U64(_) => (PhysicalType::INT64, ConvertedType::UINT_64),
                Col::Bin(_) => (PhysicalType::BYTE_ARRAY, ConvertedType::NONE),
                Col::Str(_) => (PhysicalType::BYTE_ARRAY, ConvertedType::UTF8),
                Col::Bool(_) => (PhysicalType::BOOLEAN, ConvertedType::NONE),
                Col::F64(_) => (PhysicalType::DOUBLE, ConvertedType::NONE),
            };
            Arc::new(
                Type::primitive_type_builder(name, physical)
                    .with_converted_type(converted)
                    .with_repetition(Repetition::OPTIONAL)
                    .build()
                    .expect("column type"),
            )
        })
        .collect();
    let schema = Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
        .expect("schema");
    let file = File::create(path).expect("create");
    let mut writer =
        SerializedFileWriter::new(file, Arc::new(schema), Default::default()).expect("writer");
    let rows = columns.first().map_or(0, |(_, c)| c.len());
    let mut start = 0;
    while start < rows {
        let end = rows.min(start.saturating_add(group_rows));
        let group: Vec<Col> = columns.iter().map(|(_, c)| c.slice(start..end)).collect();
        write_row_group(&mut writer, &group);
        start = end;
    }
    writer.close().expect("close file");
}

fn write_row_group(writer: &mut SerializedFileWriter<File>, columns: &[Col]) {
    let mut group = writer.next_row_group().expect("row group");
    for col in columns {
        let mut column = group.next_column().expect("column").expect("one more");
        match col {
            Col::U32(v) => {
                let values: Vec<i32> = v.iter().flatten().map(|x| *x as i32).collect();
                column
                    .typed::<Int32Type>()
                    .write_batch(&values, Some(&defs(v)), None)
            }
            Col::U64(v) => {
                let values: Vec<i64> = v.iter().flatten().map(|x| *x as i64).collect();
                column
                    .typed::<Int64Type>()
                    .write_batch(&values, Some(&defs(v)), None)
            }
            Col::Bin(v) => {
                let values: Vec<ByteArray> = v
                    .iter()
                    .flatten()
                    .map(|x| ByteArray::from(x.clone()))
                    .collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs(v)), None)
            }
            Col::Str(v) => {
                let values: Vec<ByteArray> = v
                    .iter()
                    .flatten()
                    .map(|x| ByteArray::from(x.as_str()))
                    .collect();
                column
                    .typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs(v)), None)
            }
            Col::Bool(v) => {
                let values: Vec<bool> = v.iter().flatten().copied().collect();
                column
                    .typed::<BoolType>()
                    .write_batch(&values, Some(&defs(v)), None)
            }
            Col::F64(v) => {
                let values: Vec<f64> = v.iter().flatten().copied().collect();
                column
                    .typed::<DoubleType>()
                    .write_batch(&values, Some(&defs(v)), None)
            }
        }
        .expect("write column");
        column.close().expect("close column");
    }
    group.close().expect("close row group");
}

// ---------------------------------------------------------------- cryo-shaped datasets

const CHAIN_ID: u64 = 1337;

fn file(dir: &Path, dataset: &str) -> std::path::PathBuf {
    dir.join(format!("ethereum__{dataset}__00000100_to_00000101.parquet"))
}

fn bin(bytes: &[u8]) -> Option<Vec<u8>> {
    Some(bytes.to_vec())
}

/// cryo's three U256 columns of an amount.
fn amount_cols(name: &'static str, values: &[U256]) -> Vec<(&'static str, Col)> {
    let binary = Box::leak(format!("{name}_binary").into_boxed_str());
    let string = Box::leak(format!("{name}_string").into_boxed_str());
    let float = Box::leak(format!("{name}_f64").into_boxed_str());
    vec![
        (
            &*binary,
            Col::Bin(
                values
                    .iter()
                    .map(|v| Some(v.to_be_bytes::<32>().to_vec()))
                    .collect(),
            ),
        ),
        (
            &*string,
            Col::Str(values.iter().map(|v| Some(v.to_string())).collect()),
        ),
        (
            &*float,
            Col::F64(
                values
                    .iter()
                    .map(|v| v.to_string().parse::<f64>().ok())
                    .collect(),
            ),
        ),
    ]
}

#[derive(Clone)]
struct BlockRow {
    number: u64,
    author: Address,
    timestamp: u64,
    base_fee: Option<u64>,
}

/// The hash of block `number` in the test world.
fn block_hash(number: u64) -> B256 {
    keccak256(number.to_be_bytes())
}

fn write_blocks(path: &Path, rows: &[BlockRow]) {
    write_blocks_with_parents(path, rows, |number| block_hash(number - 1));
}

fn write_blocks_with_parents(path: &Path, rows: &[BlockRow], parent: impl Fn(u64) -> B256) {
    write_parquet(
        path,
        vec![
            (
                "block_hash",
                Col::Bin(
                    rows.iter()
                        .map(|r| bin(block_hash(r.number).as_slice()))
                        .collect(),
                ),
            ),
            (
                "parent_hash",
                Col::Bin(
                    rows.iter()
                        .map(|r| bin(parent(r.number).as_slice()))
                        .collect(),
                ),
            ),
            (
                "author",
                Col::Bin(rows.iter().map(|r| bin(r.author.as_slice())).collect()),
            ),
            (
                "block_number",
                Col::U32(rows.iter().map(|r| Some(r.number as u32)).collect()),
            ),
            (
                "gas_used",
                Col::U64(rows.iter().map(|_| Some(1_000_000)).collect()),
            ),
            (
                "extra_data",
                Col::Bin(rows.iter().map(|_| bin(b"")).collect()),
            ),
            (
                "timestamp",
                Col::U32(rows.iter().map(|r| Some(r.timestamp as u32)).collect()),
            ),
            (
                "base_fee_per_gas",
                Col::U64(rows.iter().map(|r| r.base_fee).collect()),
            ),
            (
                "chain_id",
                Col::U64(rows.iter().map(|_| Some(CHAIN_ID)).collect()),
            ),
        ],
    );
}

#[derive(Clone)]
struct TxRow {
    block: u64,
    index: u64,
    hash: B256,
    nonce: u64,
    from: Address,
    to: Option<Address>,
    value: U256,
    gas_used: u64,
    gas_price: u64,
    success: bool,
    timestamp: u64,
}

fn write_transactions(path: &Path, rows: &[TxRow], chain_id: u64) {
    let mut columns = vec![
        (
            "block_number",
            Col::U32(rows.iter().map(|r| Some(r.block as u32)).collect()),
        ),
        (
            "transaction_index",
            Col::U64(rows.iter().map(|r| Some(r.index)).collect()),
        ),
        (
            "transaction_hash",
            Col::Bin(rows.iter().map(|r| bin(r.hash.as_slice())).collect()),
        ),
        (
            "nonce",
            Col::U64(rows.iter().map(|r| Some(r.nonce)).collect()),
        ),
        (
            "from_address",
            Col::Bin(rows.iter().map(|r| bin(r.from.as_slice())).collect()),
        ),
        (
            "to_address",
            Col::Bin(
                rows.iter()
                    .map(|r| r.to.map(|a| a.as_slice().to_vec()))
                    .collect(),
            ),
        ),
    ];
    columns.extend(amount_cols(
        "value",
        &rows.iter().map(|r| r.value).collect::<Vec<_>>(),
    ));
    columns.extend([
        ("input", Col::Bin(rows.iter().map(|_| bin(b"")).collect())),
        (
            "gas_limit",
            Col::U64(rows.iter().map(|_| Some(1_000_000)).collect()),
        ),
        (
            "gas_used",
            Col::U64(rows.iter().map(|r| Some(r.gas_used)).collect()),
        ),
        (
            "gas_price",
            Col::U64(rows.iter().map(|r| Some(r.gas_price)).collect()),
        ),
        (
            "transaction_type",
            Col::U32(rows.iter().map(|_| Some(2)).collect()),
        ),
        (
            "max_priority_fee_per_gas",
            Col::U64(rows.iter().map(|_| Some(1)).collect()),
        ),
        (
            "max_fee_per_gas",
            Col::U64(rows.iter().map(|_| Some(100)).collect()),
        ),
        (
            "success",
            Col::Bool(rows.iter().map(|r| Some(r.success)).collect()),
        ),
        (
            "n_input_bytes",
            Col::U32(rows.iter().map(|_| Some(0)).collect()),
        ),
        (
            "timestamp",
            Col::U32(rows.iter().map(|r| Some(r.timestamp as u32)).collect()),
        ),
        (
            "chain_id",
            Col::U64(rows.iter().map(|_| Some(chain_id)).collect()),
        ),
    ]);
    write_parquet(path, columns);
}

#[derive(Clone)]
struct LogRow {
    block: u64,
    tx_index: u64,
    log_index: u64,
    tx_hash: B256,
    address: Address,
    topics: Vec<B256>,
    data: Vec<u8>,
}

fn write_logs(path: &Path, rows: &[LogRow], chain_id: u64) {
    let topic = |i: usize| {
        Col::Bin(
            rows.iter()
                .map(|r| r.topics.get(i).map(|t| t.as_slice().to_vec()))
                .collect(),
        )
    };
    write_parquet(
        path,
        vec![
            (
                "block_number",
                Col::U32(rows.iter().map(|r| Some(r.block as u32)).collect()),
            ),
            (
                "transaction_index",
                Col::U32(rows.iter().map(|r| Some(r.tx_index as u32)).collect()),
            ),
            (
                "log_index",
                Col::U32(rows.iter().map(|r| Some(r.log_index as u32)).collect()),
            ),
            (
                "transaction_hash",
                Col::Bin(rows.iter().map(|r| bin(r.tx_hash.as_slice())).collect()),
            ),
            (
                "address",
                Col::Bin(rows.iter().map(|r| bin(r.address.as_slice())).collect()),
            ),
            ("topic0", topic(0)),
            ("topic1", topic(1)),
            ("topic2", topic(2)),
            ("topic3", topic(3)),
            (
                "data",
                Col::Bin(rows.iter().map(|r| bin(&r.data)).collect()),
            ),
            (
                "chain_id",
                Col::U64(rows.iter().map(|_| Some(chain_id)).collect()),
            ),
        ],
    );
}

#[derive(Clone)]
struct TraceRow {
    block: u64,
    tx: Option<(u64, B256)>,
    action_type: &'static str,
    call_type: Option<&'static str>,
    from: Option<Address>,
    to: Option<Address>,
    value: U256,
    result_address: Option<Address>,
    trace_address: &'static str,
    error: Option<&'static str>,
}

fn write_traces(path: &Path, rows: &[TraceRow]) {
    write_traces_in_groups(path, rows, usize::MAX);
}

fn write_traces_in_groups(path: &Path, rows: &[TraceRow], group_rows: usize) {
    let addr = |a: &Option<Address>| a.map(|a| a.as_slice().to_vec());
    write_parquet_in_groups(
        path,
        vec![
            (
                "action_from",
                Col::Bin(rows.iter().map(|r| addr(&r.from)).collect()),
            ),
            (
                "action_to",
                Col::Bin(rows.iter().map(|r| addr(&r.to)).collect()),
            ),
            (
                "action_value",
                Col::Str(rows.iter().map(|r| Some(r.value.to_string())).collect()),
            ),
            (
                "action_gas",
                Col::U32(rows.iter().map(|_| Some(50_000)).collect()),
            ),
            (
                "action_input",
                Col::Bin(rows.iter().map(|_| None).collect()),
            ),
            (
                "action_call_type",
                Col::Str(rows.iter().map(|r| r.call_type.map(String::from)).collect()),
            ),
            ("action_init", Col::Bin(rows.iter().map(|_| None).collect())),
            (
                "action_reward_type",
                Col::Str(
                    rows.iter()
                        .map(|r| (r.action_type == "reward").then(|| "reward".to_string()))
                        .collect(),
                ),
            ),
            (
                "action_type",
                Col::Str(
                    rows.iter()
                        .map(|r| Some(r.action_type.to_string()))
                        .collect(),
                ),
            ),
            (
                "result_gas_used",
                Col::U32(rows.iter().map(|_| Some(21_000)).collect()),
            ),
            (
                "result_output",
                Col::Bin(rows.iter().map(|_| None).collect()),
            ),
            ("result_code", Col::Bin(rows.iter().map(|_| None).collect())),
            (
                "result_address",
                Col::Bin(rows.iter().map(|r| addr(&r.result_address)).collect()),
            ),
            (
                "trace_address",
                Col::Str(
                    rows.iter()
                        .map(|r| Some(r.trace_address.to_string()))
                        .collect(),
                ),
            ),
            (
                "subtraces",
                Col::U32(rows.iter().map(|_| Some(0)).collect()),
            ),
            (
                "transaction_index",
                Col::U32(rows.iter().map(|r| r.tx.map(|(i, _)| i as u32)).collect()),
            ),
            (
                "transaction_hash",
                Col::Bin(
                    rows.iter()
                        .map(|r| r.tx.map(|(_, h)| h.as_slice().to_vec()))
                        .collect(),
                ),
            ),
            (
                "block_number",
                Col::U32(rows.iter().map(|r| Some(r.block as u32)).collect()),
            ),
            (
                "block_hash",
                Col::Bin(
                    rows.iter()
                        .map(|r| bin(keccak256(r.block.to_be_bytes()).as_slice()))
                        .collect(),
                ),
            ),
            (
                "error",
                Col::Str(rows.iter().map(|r| r.error.map(String::from)).collect()),
            ),
            (
                "chain_id",
                Col::U64(rows.iter().map(|_| Some(CHAIN_ID)).collect()),
            ),
        ],
        group_rows,
    );
}

/// cryo's `native_transfers`: one row per trace of the block (`transfer_index` = its position),
/// from/to as `process_native_transfers` writes them (a reward from 0x0 to the author).
/// block, (transaction index, hash), from, to, value
type NativeRow = (u64, Option<(u64, B256)>, Vec<u8>, Vec<u8>, U256);

fn write_native_transfers(path: &Path, traces: &[TraceRow]) {
    let rows: Vec<NativeRow> = traces
        .iter()
        .map(|t| {
            let (from, to) = match t.action_type {
                "reward" => (Address::ZERO, t.from.unwrap_or_default()),
                "create" => (
                    t.from.unwrap_or_default(),
                    t.result_address.unwrap_or_default(),
                ),
                _ => (t.from.unwrap_or_default(), t.to.unwrap_or_default()),
            };
            (t.block, t.tx, from.to_vec(), to.to_vec(), t.value)
        })
        .collect();
    let mut position: BTreeMap<u64, u32> = BTreeMap::new();
    let mut columns = vec![
        (
            "block_number",
            Col::U32(rows.iter().map(|r| Some(r.0 as u32)).collect()),
        ),
        (
            "transaction_index",
            Col::U32(rows.iter().map(|r| r.1.map(|(i, _)| i as u32)).collect()),
        ),
        (
            "transfer_index",
            Col::U32(
                rows.iter()
                    .map(|r| {
                        let next = position.entry(r.0).or_insert(0);
                        *next += 1;
                        Some(*next - 1)
                    })
                    .collect(),
            ),
        ),
        (
            "transaction_hash",
            Col::Bin(rows.iter().map(|r| r.1.map(|(_, h)| h.to_vec())).collect()),
        ),
        (
            "from_address",
            Col::Bin(rows.iter().map(|r| Some(r.2.clone())).collect()),
        ),
        (
            "to_address",
            Col::Bin(rows.iter().map(|r| Some(r.3.clone())).collect()),
        ),
    ];
    columns.extend(amount_cols(
        "value",
        &rows.iter().map(|r| r.4).collect::<Vec<_>>(),
    ));
    columns.push((
        "chain_id",
        Col::U64(rows.iter().map(|_| Some(CHAIN_ID)).collect()),
    ));
    write_parquet(path, columns);
}

fn write_erc20_transfers(path: &Path, logs: &[LogRow]) {
    let rows: Vec<&LogRow> = logs
        .iter()
        .filter(|l| l.topics.len() == 3 && l.data.len() == 32 && l.topics[0] == transfer_topic())
        .collect();
    let mut columns = vec![
        (
            "block_number",
            Col::U32(rows.iter().map(|r| Some(r.block as u32)).collect()),
        ),
        (
            "transaction_index",
            Col::U32(rows.iter().map(|r| Some(r.tx_index as u32)).collect()),
        ),
        (
            "log_index",
            Col::U32(rows.iter().map(|r| Some(r.log_index as u32)).collect()),
        ),
        (
            "transaction_hash",
            Col::Bin(rows.iter().map(|r| bin(r.tx_hash.as_slice())).collect()),
        ),
        (
            "erc20",
            Col::Bin(rows.iter().map(|r| bin(r.address.as_slice())).collect()),
        ),
        (
            "from_address",
            Col::Bin(rows.iter().map(|r| bin(&r.topics[1][12..])).collect()),
        ),
        (
            "to_address",
            Col::Bin(rows.iter().map(|r| bin(&r.topics[2][12..])).collect()),
        ),
    ];
    columns.extend(amount_cols(
        "value",
        &rows
            .iter()
            .map(|r| U256::from_be_slice(&r.data))
            .collect::<Vec<_>>(),
    ));
    columns.push((
        "chain_id",
        Col::U64(rows.iter().map(|_| Some(CHAIN_ID)).collect()),
    ));
    write_parquet(path, columns);
}

// ---------------------------------------------------------------- a small world

fn addr(n: u8) -> Address {
    Address::repeat_byte(n)
}

fn tx_hash(n: u8) -> B256 {
    keccak256([n])
}

fn transfer_topic() -> B256 {
    keccak256("Transfer(address,address,uint256)")
}

const MINER: u8 = 0xee;
const ALICE: u8 = 0xa1;
const BOB: u8 = 0xb0;
const CAROL: u8 = 0xca;
const DAVE: u8 = 0xda;
const EVE: u8 = 0xe5;
const CONTRACT: u8 = 0xc0;
const LIBRARY: u8 = 0x11;
const TOKEN: u8 = 0x70;

struct World {
    blocks: Vec<BlockRow>,
    txs: Vec<TxRow>,
    logs: Vec<LogRow>,
    traces: Vec<TraceRow>,
}

fn created() -> Address {
    // keccak256(rlp([carol, 0]))[12..]: the address of carol's first contract.
    let mut rlp = vec![0xd6, 0x94];
    rlp.extend_from_slice(addr(CAROL).as_slice());
    rlp.push(0x80);
    Address::from_slice(&keccak256(&rlp)[12..])
}

/// Block 100 (base fee 7): a plain payment; a contract call paying dave, a reverted payment to
/// eve, a delegatecall and two token logs (a transfer and a mint); a reverted payment. Block 101
/// (base fee 8): a contract creation with value paying no tip, and the block reward.
fn world() -> World {
    let tx =
        |block, index, n: u8, nonce, from, to: Option<u8>, value: u64, gas_used, price, ok| TxRow {
            block,
            index,
            hash: tx_hash(n),
            nonce,
            from: addr(from),
            to: to.map(addr),
            value: U256::from(value),
            gas_used,
            gas_price: price,
            success: ok,
            timestamp: 1_700_000_000 + block * 12,
        };
    let txs = vec![
        tx(100, 0, 1, 0, ALICE, Some(BOB), 1_000, 21_000, 10, true),
        tx(100, 1, 2, 1, ALICE, Some(CONTRACT), 500, 50_000, 9, true),
        tx(100, 2, 3, 0, BOB, Some(CAROL), 300, 30_000, 8, false),
        tx(101, 0, 4, 0, CAROL, None, 50, 100_000, 8, true),
    ];
    let word = |a: Address| a.into_word();
    let amount = |v: u64| U256::from(v).to_be_bytes::<32>().to_vec();
    let logs = vec![
        LogRow {
            block: 100,
            tx_index: 1,
            log_index: 0,
            tx_hash: tx_hash(2),
            address: addr(TOKEN),
            topics: vec![transfer_topic(), word(addr(CONTRACT)), word(addr(BOB))],
            data: amount(42),
        },
        LogRow {
            block: 100,
            tx_index: 1,
            log_index: 1,
            tx_hash: tx_hash(2),
            address: addr(TOKEN),
            topics: vec![transfer_topic(), word(Address::ZERO), word(addr(BOB))],
            data: amount(5),
        },
    ];
    let trace = |block,
                 tx: Option<(u64, B256)>,
                 action_type,
                 call_type,
                 from: Option<u8>,
                 to: Option<u8>,
                 value: u64,
                 trace_address,
                 error| TraceRow {
        block,
        tx,
        action_type,
        call_type,
        from: from.map(addr),
        to: to.map(addr),
        value: U256::from(value),
        result_address: None,
        trace_address,
        error,
    };
    let t2 = Some((1, tx_hash(2)));
    let mut create = trace(
        101,
        Some((0, tx_hash(4))),
        "create",
        None,
        Some(CAROL),
        None,
        50,
        "",
        None,
    );
    create.result_address = Some(created());
    let traces = vec![
        trace(
            100,
            Some((0, tx_hash(1))),
            "call",
            Some("call"),
            Some(ALICE),
            Some(BOB),
            1_000,
            "",
            None,
        ),
        trace(
            100,
            t2,
            "call",
            Some("call"),
            Some(ALICE),
            Some(CONTRACT),
            500,
            "",
            None,
        ),
        trace(
            100,
            t2,
            "call",
            Some("call"),
            Some(CONTRACT),
            Some(DAVE),
            200,
            "0",
            None,
        ),
        trace(
            100,
            t2,
            "call",
            Some("call"),
            Some(CONTRACT),
            Some(EVE),
            100,
            "1",
            Some("Reverted"),
        ),
        trace(
            100,
            t2,
            "call",
            Some("delegate_call"),
            Some(CONTRACT),
            Some(LIBRARY),
            500,
            "2",
            None,
        ),
        trace(
            100,
            t2,
            "call",
            Some("static_call"),
            Some(CONTRACT),
            Some(LIBRARY),
            0,
            "3",
            None,
        ),
        trace(
            100,
            Some((2, tx_hash(3))),
            "call",
            Some("call"),
            Some(BOB),
            Some(CAROL),
            300,
            "",
            Some("Reverted"),
        ),
        create,
        // cryo writes the rewarded author into action_from.
        trace(
            101,
            None,
            "reward",
            None,
            Some(MINER),
            None,
            2_000_000,
            "",
            None,
        ),
    ];
    World {
        blocks: vec![
            BlockRow {
                number: 100,
                author: addr(MINER),
                timestamp: 1_700_001_200,
                base_fee: Some(7),
            },
            BlockRow {
                number: 101,
                author: addr(MINER),
                timestamp: 1_700_001_212,
                base_fee: Some(8),
            },
        ],
        txs,
        logs,
        traces,
    }
}

fn write_world(dir: &Path, datasets: &[&str]) {
    let w = world();
    for dataset in datasets {
        let path = file(dir, dataset);
        match *dataset {
            "blocks" => write_blocks(&path, &w.blocks),
            "transactions" => write_transactions(&path, &w.txs, CHAIN_ID),
            "logs" => write_logs(&path, &w.logs, CHAIN_ID),
            "traces" => write_traces(&path, &w.traces),
            "native_transfers" => write_native_transfers(&path, &w.traces),
            "erc20_transfers" => write_erc20_transfers(&path, &w.logs),
            other => panic!("unknown dataset {other}"),
        }
    }
}

// ---------------------------------------------------------------- reading the store back

fn name(a: Option<chaintrail_core::Address>) -> String {
    match a {
        None => "none".to_string(),
        Some(a) => {
            let text = a.to_string().to_lowercase();
            for (n, label) in [
                (MINER, "miner"),
                (ALICE, "alice"),
                (BOB, "bob"),
                (CAROL, "carol"),
                (DAVE, "dave"),
                (EVE, "eve"),
                (CONTRACT, "contract"),
                (LIBRARY, "library"),
                (TOKEN, "token"),
            ] {
                if text == addr(n).to_string().to_lowercase() {
                    return label.to_string();
                }
            }
            if text == created().to_string().to_lowercase() {
                return "created".to_string();
            }
            text
        }
    }
}

/// Every stored transaction: hash → its transfers as `from -> to asset amount kind success`.
fn flows(store: &Store, chain: Chain) -> BTreeMap<B256, Vec<String>> {
    let reader = store.reader(chain).expect("reader");
    let mut out = BTreeMap::new();
    for tx in 0..reader.tx_count() {
        let transfers = reader
            .tx_transfers(tx)
            .map(|row| {
                let t = reader.transfer(row).expect("row");
                let asset = match reader.asset(t.asset).map(|a| a.kind.clone()) {
                    Some(chaintrail_core::AssetKind::Token(a)) => name(Some(a)),
                    _ => "eth".to_string(),
                };
                format!(
                    "{} -> {} {asset} {} {} {}",
                    name(reader.address(t.from)),
                    name(reader.address(t.to)),
                    t.amount,
                    t.kind,
                    t.success
                )
            })
            .collect();
        out.insert(B256::from(reader.tx_hash(tx).0), transfers);
    }
    out
}

fn lines(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn import(dir: &Path) -> (tempfile::TempDir, Store, chaintrail_ingest::ImportReport) {
    let store_dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(store_dir.path()).expect("store");
    let report = Cryo
        .import(&store, dir, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("import: {e}"));
    (store_dir, store, report)
}

const CHAIN: Chain = Chain::Evm(CHAIN_ID);

// ---------------------------------------------------------------- tests

#[test]
fn full_export_gives_every_flow_exactly() {
    let export = tempfile::tempdir().expect("tempdir");
    write_world(export.path(), &["blocks", "transactions", "logs", "traces"]);
    let (_keep, store, report) = import(export.path());
    assert_eq!(report.chain, CHAIN);
    assert!(
        report
            .format
            .starts_with("cryo (native: traces; tokens: logs; fees: transactions+blocks;"),
        "{}",
        report.format
    );
    assert_eq!(report.txs_read, 5, "4 transactions and block 101's reward");
    let got = flows(&store, CHAIN);
    let want: BTreeMap<B256, Vec<String>> = [
        (
            tx_hash(1),
            lines(&[
                "alice -> miner eth 63000 fee true",  // (10 - 7) × 21,000
                "alice -> none eth 147000 burn true", // 7 × 21,000
                "alice -> bob eth 1000 native true",
            ]),
        ),
        (
            tx_hash(2),
            lines(&[
                "alice -> miner eth 100000 fee true",
                "alice -> none eth 350000 burn true",
                "alice -> contract eth 500 native true",
                "contract -> dave eth 200 internal true",
                "contract -> eve eth 100 internal false",
                "contract -> bob token 42 token true",
                "none -> bob token 5 mint true",
            ]),
        ),
        (
            tx_hash(3),
            lines(&[
                "bob -> miner eth 30000 fee true",
                "bob -> none eth 210000 burn true",
                "bob -> carol eth 300 native false",
            ]),
        ),
        (
            tx_hash(4),
            lines(&[
                "carol -> none eth 800000 burn true",
                "carol -> created eth 50 native true",
            ]),
        ),
        (
            B256::from(block_credits_hash(CHAIN_ID, 101).0),
            lines(&["none -> miner eth 2000000 mint true"]),
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, want);
    // Timestamps come from the blocks.
    let reader = store.reader(CHAIN).expect("reader");
    let id = reader
        .tx_id(&chaintrail_core::TxHash(tx_hash(4).0))
        .expect("tx");
    assert_eq!(reader.tx_block(id).height, 101);
    assert_eq!(reader.tx_block(id).timestamp, 1_700_001_212);
    // The contract creation is recorded for tracing.
    let creations = events::read_contract_creations(&store, CHAIN).expect("creations");
    assert_eq!(creations.len(), 1);
    assert_eq!(name(Some(creations[0].address.clone())), "created");
    assert_eq!(name(Some(creations[0].creator.clone())), "carol");
}

#[test]
fn native_transfers_and_erc20_transfers_stand_in_for_traces_and_logs() {
    let export = tempfile::tempdir().expect("tempdir");
    write_world(
        export.path(),
        &[
            "blocks",
            "transactions",
            "native_transfers",
            "erc20_transfers",
        ],
    );
    let (_keep, store, report) = import(export.path());
    assert!(
        report.format.starts_with(
            "cryo (native: native_transfers; tokens: erc20_transfers; fees: transactions+blocks;"
        ) && report.format.contains("no error or call-type columns")
            && report
                .format
                .contains("no WETH wraps, swaps or mixer events"),
        "{}",
        report.format
    );
    let got = flows(&store, CHAIN);
    // native_transfers cannot tell the reverted call to eve or the delegatecall: both count as
    // moved (said in the report); the transaction's own failure still shows.
    assert_eq!(
        got[&tx_hash(2)],
        lines(&[
            "alice -> miner eth 100000 fee true",
            "alice -> none eth 350000 burn true",
            "alice -> contract eth 500 native true",
            "contract -> dave eth 200 internal true",
            "contract -> eve eth 100 internal true",
            "contract -> library eth 500 internal true",
            "contract -> bob token 42 token true",
            "none -> bob token 5 mint true",
        ])
    );
    assert_eq!(
        got[&tx_hash(3)],
        lines(&[
            "bob -> miner eth 30000 fee true",
            "bob -> none eth 210000 burn true",
            "bob -> carol eth 300 native false",
        ])
    );
    assert_eq!(
        got[&tx_hash(4)],
        lines(&[
            "carol -> none eth 800000 burn true",
            "carol -> created eth 50 native true",
        ])
    );
    assert_eq!(
        got[&B256::from(block_credits_hash(CHAIN_ID, 101).0)],
        lines(&["none -> miner eth 2000000 mint true"])
    );
    assert_eq!(got.len(), 5);
}

#[test]
fn partial_exports_import_what_they_carry_and_say_what_is_missing() {
    // erc20_transfers alone: token flows only.
    let export = tempfile::tempdir().expect("tempdir");
    write_world(export.path(), &["erc20_transfers"]);
    let (_keep, store, report) = import(export.path());
    for missing in [
        "no gas fees",
        "no ether transfers",
        "no transactions: senders unknown",
    ] {
        assert!(
            report.format.contains(missing),
            "{missing}: {}",
            report.format
        );
    }
    let got = flows(&store, CHAIN);
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[&tx_hash(2)],
        lines(&[
            "contract -> bob token 42 token true",
            "none -> bob token 5 mint true"
        ])
    );

    // transactions alone: top-level values with their outcome, no fees, no internal transfers,
    // timestamps from the transactions' `timestamp` column.
    let export = tempfile::tempdir().expect("tempdir");
    write_world(export.path(), &["transactions"]);
    let (_keep2, store, report) = import(export.path());
    assert!(
        report.format.contains("fees: none")
            && report.format.contains("no internal transfers")
            && report.format.contains("no token transfers"),
        "{}",
        report.format
    );
    let got = flows(&store, CHAIN);
    assert_eq!(got.len(), 4);
    assert_eq!(
        got[&tx_hash(1)],
        lines(&["alice -> bob eth 1000 native true"])
    );
    assert_eq!(
        got[&tx_hash(3)],
        lines(&["bob -> carol eth 300 native false"])
    );
    // The created contract's address is derived from the sender and nonce.
    assert_eq!(
        got[&tx_hash(4)],
        lines(&["carol -> created eth 50 native true"])
    );
    let reader = store.reader(CHAIN).expect("reader");
    let id = reader
        .tx_id(&chaintrail_core::TxHash(tx_hash(1).0))
        .expect("tx");
    assert_eq!(reader.tx_block(id).timestamp, 1_700_000_000 + 100 * 12);
}

#[test]
fn an_interrupted_import_resumes_and_stores_nothing_twice() {
    let export = tempfile::tempdir().expect("tempdir");
    write_world(export.path(), &["blocks", "transactions", "logs", "traces"]);
    // Break block 101: a gas price below its base fee.
    let mut txs = world().txs;
    txs[3].gas_price = 1;
    write_transactions(&file(export.path(), "transactions"), &txs, CHAIN_ID);

    let store_dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(store_dir.path()).expect("store");
    let options = ImportOptions {
        checkpoint_every: 1,
        ..ImportOptions::default()
    };
    let error = Cryo
        .import(&store, export.path(), &options)
        .expect_err("block 101 is broken");
    let text = error.to_string();
    assert!(
        text.contains("block 101") && text.contains("below the base fee"),
        "{text}"
    );
    // Block 100 (3 transactions) was committed, block 101 was not.
    let key = format!(
        "cryo:{}",
        export.path().canonicalize().expect("path").display()
    );
    let writer = store.writer(CHAIN).expect("writer");
    assert_eq!(writer.progress().txs, 3);
    assert_eq!(writer.progress().blocks, 1);
    let cursor = writer.cursor(&key).cloned().expect("cursor");
    drop(writer);
    assert_eq!(cursor["next_block"], 101);

    // Fixed export: the import completes; what was stored is not stored again.
    write_transactions(&file(export.path(), "transactions"), &world().txs, CHAIN_ID);
    let report = Cryo
        .import(&store, export.path(), &options)
        .expect("import");
    assert_eq!(report.txs_read, 2, "tx 4 and block 101's reward");
    let (_keep, fresh, _) = import(export.path());
    assert_eq!(flows(&store, CHAIN), flows(&fresh, CHAIN));

    // Unchanged export: resumes at its end.
    let again = Cryo.import(&store, export.path(), &options).expect("again");
    assert!(again.resumed);
    assert_eq!(again.txs_read, 0);
    assert_eq!(flows(&store, CHAIN), flows(&fresh, CHAIN));
}

/// cryo writes one file per chunk of blocks and dataset: the world as one file per block and
/// dataset imports exactly like one file per dataset, and an import interrupted at a broken
/// block of the second chunk resumes there once the chunk is fixed.
#[test]
fn chunk_files_import_like_one_file_per_dataset_and_resume_between_them() {
    let whole = tempfile::tempdir().expect("tempdir");
    write_world(whole.path(), &["blocks", "transactions", "logs", "traces"]);
    let chunks = tempfile::tempdir().expect("tempdir");
    let chunk = |dataset: &str, block: u64| {
        chunks.path().join(format!(
            "ethereum__{dataset}__{block:08}_to_{block:08}.parquet"
        ))
    };
    let write_chunks = |txs: &[TxRow]| {
        let w = world();
        for block in [100, 101] {
            let blocks: Vec<BlockRow> = w
                .blocks
                .iter()
                .filter(|r| r.number == block)
                .cloned()
                .collect();
            let txs: Vec<TxRow> = txs.iter().filter(|r| r.block == block).cloned().collect();
            let logs: Vec<LogRow> = w
                .logs
                .iter()
                .filter(|r| r.block == block)
                .cloned()
                .collect();
            let traces: Vec<TraceRow> = w
                .traces
                .iter()
                .filter(|r| r.block == block)
                .cloned()
                .collect();
            write_blocks(&chunk("blocks", block), &blocks);
            write_transactions(&chunk("transactions", block), &txs, CHAIN_ID);
            if !logs.is_empty() {
                write_logs(&chunk("logs", block), &logs, CHAIN_ID);
            }
            write_traces(&chunk("traces", block), &traces);
        }
    };
    let mut broken = world().txs;
    let at = broken
        .iter()
        .position(|t| t.block == 101)
        .expect("a tx in block 101");
    broken[at].gas_price = 1;
    write_chunks(&broken);

    let store_dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(store_dir.path()).expect("store");
    let options = ImportOptions {
        checkpoint_every: 1,
        ..ImportOptions::default()
    };
    let error = Cryo
        .import(&store, chunks.path(), &options)
        .expect_err("block 101 is broken");
    assert!(error.to_string().contains("block 101"), "{error}");

    write_chunks(&world().txs);
    let resumed = Cryo
        .import(&store, chunks.path(), &options)
        .expect("import");
    let (_keep, fresh, report) = import(whole.path());
    assert_eq!(resumed.txs_read, 2, "tx 4 and block 101's reward");
    assert_eq!(
        store.reader(CHAIN).expect("reader").tx_count() as u64,
        report.txs_read
    );
    assert_eq!(flows(&store, CHAIN), flows(&fresh, CHAIN));
    let (_keep, split, split_report) = import(chunks.path());
    assert_eq!(split_report.txs_read, report.txs_read);
    assert_eq!(flows(&split, CHAIN), flows(&fresh, CHAIN));
}

/// A file out of block order (a parallel export: block 101's traces before block 100's) in
/// small row groups — block 100's rows start inside the first — imports like the ordered file.
#[test]
fn row_groups_out_of_block_order_are_merged() {
    let export = tempfile::tempdir().expect("tempdir");
    write_world(export.path(), &["blocks", "transactions", "logs"]);
    let mut traces = world().traces;
    traces.sort_by_key(|t| std::cmp::Reverse(t.block));
    let late = traces.iter().filter(|t| t.block == 101).count();
    assert!(late > 0 && traces.len() > late + 2);
    write_traces_in_groups(&file(export.path(), "traces"), &traces, late + 1);
    let ordered = tempfile::tempdir().expect("tempdir");
    write_world(
        ordered.path(),
        &["blocks", "transactions", "logs", "traces"],
    );
    let (_a, shuffled, a) = import(export.path());
    let (_b, fresh, b) = import(ordered.path());
    assert_eq!(a.txs_read, b.txs_read);
    assert_eq!(flows(&shuffled, CHAIN), flows(&fresh, CHAIN));
}

#[test]
fn a_block_naming_another_parent_is_refused_and_earlier_blocks_stay() {
    let export = tempfile::tempdir().expect("tempdir");
    write_world(export.path(), &["transactions", "logs", "traces"]);
    let forked = B256::repeat_byte(0x11);
    write_blocks_with_parents(&file(export.path(), "blocks"), &world().blocks, |number| {
        if number == 101 {
            forked
        } else {
            block_hash(number - 1)
        }
    });
    let store_dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(store_dir.path()).expect("store");
    let error = Cryo
        .import(&store, export.path(), &ImportOptions::default())
        .expect_err("block 101 is on another fork")
        .to_string();
    assert!(
        error.contains(&format!(
            "block 101 names parent {forked}, but the stored block 100 is {}",
            block_hash(100)
        )),
        "{error}"
    );
    // Block 100's three transactions are committed; nothing of block 101.
    assert_eq!(store.writer(CHAIN).expect("writer").progress().txs, 3);
}

fn expect_error(dir: &Path) -> String {
    let store_dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(store_dir.path()).expect("store");
    let error: ImportError = Cryo
        .import(&store, dir, &ImportOptions::default())
        .expect_err("bad input");
    assert!(store.reader(CHAIN).is_err(), "nothing committed");
    error.to_string()
}

#[test]
fn bad_files_give_errors_naming_file_and_column() {
    // Not Parquet at all.
    let export = tempfile::tempdir().expect("tempdir");
    write_world(export.path(), &["blocks"]);
    let path = file(export.path(), "transactions");
    std::fs::write(&path, b"block_number,transaction_hash\n1,0xab\n").expect("write");
    let text = expect_error(export.path());
    assert!(
        text.contains(&path.display().to_string()) && text.contains("not a Parquet file"),
        "{text}"
    );

    // A truncated Parquet file.
    write_world(export.path(), &["transactions"]);
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).expect("write");
    let text = expect_error(export.path());
    assert!(text.contains(&path.display().to_string()), "{text}");

    // A missing required column.
    let export = tempfile::tempdir().expect("tempdir");
    let path = file(export.path(), "logs");
    write_parquet(
        &path,
        vec![
            ("block_number", Col::U32(vec![Some(100)])),
            ("transaction_index", Col::U32(vec![Some(0)])),
            ("log_index", Col::U32(vec![Some(0)])),
            (
                "transaction_hash",
                Col::Bin(vec![bin(tx_hash(1).as_slice())]),
            ),
            ("address", Col::Bin(vec![bin(addr(TOKEN).as_slice())])),
            ("data", Col::Bin(vec![bin(b"")])),
        ],
    );
    let text = expect_error(export.path());
    assert!(
        text.contains(&path.display().to_string()) && text.contains("`topic0` is missing"),
        "{text}"
    );

    // A wrong type: from_address as a number.
    let export = tempfile::tempdir().expect("tempdir");
    let path = file(export.path(), "erc20_transfers");
    let mut columns = vec![
        ("block_number", Col::U32(vec![Some(100)])),
        ("transaction_index", Col::U32(vec![Some(0)])),
        ("log_index", Col::U32(vec![Some(0)])),
        (
            "transaction_hash",
            Col::Bin(vec![bin(tx_hash(1).as_slice())]),
        ),
        ("erc20", Col::Bin(vec![bin(addr(TOKEN).as_slice())])),
        ("from_address", Col::U64(vec![Some(7)])),
        ("to_address", Col::Bin(vec![bin(addr(BOB).as_slice())])),
    ];
    columns.extend(amount_cols("value", &[U256::from(1)]));
    write_parquet(&path, columns);
    let text = expect_error(export.path());
    assert!(
        text.contains(&path.display().to_string())
            && text.contains("column `from_address` has the wrong type"),
        "{text}"
    );

    // A bad value: a 19-byte address, named with its row.
    let export = tempfile::tempdir().expect("tempdir");
    let path = file(export.path(), "erc20_transfers");
    let mut columns = vec![
        ("block_number", Col::U32(vec![Some(100), Some(100)])),
        ("transaction_index", Col::U32(vec![Some(0), Some(0)])),
        ("log_index", Col::U32(vec![Some(0), Some(1)])),
        (
            "transaction_hash",
            Col::Bin(vec![bin(tx_hash(1).as_slice()), bin(tx_hash(1).as_slice())]),
        ),
        (
            "erc20",
            Col::Bin(vec![
                bin(addr(TOKEN).as_slice()),
                bin(addr(TOKEN).as_slice()),
            ]),
        ),
        (
            "from_address",
            Col::Bin(vec![bin(addr(ALICE).as_slice()), bin(&[1u8; 19])]),
        ),
        (
            "to_address",
            Col::Bin(vec![bin(addr(BOB).as_slice()), bin(addr(BOB).as_slice())]),
        ),
    ];
    columns.extend(amount_cols("value", &[U256::from(1), U256::from(2)]));
    write_parquet(&path, columns);
    let text = expect_error(export.path());
    assert!(
        text.contains(&path.display().to_string())
            && text.contains("row 2: column `from_address`")
            && text.contains("not a 20-byte address"),
        "{text}"
    );

    // Only the lossy float column of an amount.
    let export = tempfile::tempdir().expect("tempdir");
    let path = file(export.path(), "native_transfers");
    write_parquet(
        &path,
        vec![
            ("block_number", Col::U32(vec![Some(100)])),
            ("transfer_index", Col::U32(vec![Some(0)])),
            ("from_address", Col::Bin(vec![bin(addr(ALICE).as_slice())])),
            ("to_address", Col::Bin(vec![bin(addr(BOB).as_slice())])),
            ("value_f64", Col::F64(vec![Some(1e18)])),
        ],
    );
    let text = expect_error(export.path());
    assert!(
        text.contains(&path.display().to_string())
            && text.contains("`value_f64` holds lossy floats"),
        "{text}"
    );

    // Files of two chains.
    let export = tempfile::tempdir().expect("tempdir");
    write_world(export.path(), &["blocks"]);
    write_transactions(&file(export.path(), "transactions"), &world().txs, 1);
    let text = expect_error(export.path());
    assert!(text.contains("files of different chains"), "{text}");

    // Nothing importable.
    let export = tempfile::tempdir().expect("tempdir");
    write_world(export.path(), &["blocks"]);
    let text = expect_error(export.path());
    assert!(text.contains("nothing to import"), "{text}");
}

// ---------------------------------------------------------------- parity with ethereum-etl

/// ethereum-etl's export of mainnet blocks 17,173,049–50, rewritten as cryo Parquet (cryo's
/// `gas_price` of a mined transaction is the node's effective price, `success` its receipt
/// status), imports to the same flows as the ethereum-etl export itself — except the beacon
/// withdrawals, which no cryo dataset carries.
#[test]
fn cryo_and_ethereum_etl_exports_of_the_same_blocks_give_the_same_store() {
    let source = common::fixtures().join("test_stream/blocks_17173049_17173050");
    let etl = tempfile::tempdir().expect("tempdir");
    for table in ["blocks", "transactions", "logs"] {
        std::fs::copy(
            source.join(format!("expected_{table}.json")),
            etl.path().join(format!("{table}.json")),
        )
        .expect("copy fixture");
    }
    let records = |table, name: &str| {
        parse_etl_json(table, &std::fs::read(etl.path().join(name)).expect("read")).expect("parse")
    };
    let cryo = tempfile::tempdir().expect("tempdir");
    let blocks: Vec<BlockRow> = records(EtlTable::Blocks, "blocks.json")
        .into_iter()
        .filter_map(|r| match r {
            EtlRecord::Block(b) => Some(BlockRow {
                number: b.number,
                author: b.miner,
                timestamp: b.timestamp,
                base_fee: b
                    .base_fee_per_gas
                    .map(|f| u64::try_from(f).expect("u64 base fee")),
            }),
            _ => None,
        })
        .collect();
    let chain_file = |dataset: &str| {
        cryo.path()
            .join(format!("ethereum__{dataset}__17173049_to_17173050.parquet"))
    };
    // Chain id 1 in every file.
    write_parquet(&chain_file("blocks"), {
        let mut cols = vec![
            (
                "block_number",
                Col::U32(blocks.iter().map(|b| Some(b.number as u32)).collect()),
            ),
            (
                "author",
                Col::Bin(blocks.iter().map(|b| bin(b.author.as_slice())).collect()),
            ),
            (
                "timestamp",
                Col::U32(blocks.iter().map(|b| Some(b.timestamp as u32)).collect()),
            ),
            (
                "base_fee_per_gas",
                Col::U64(blocks.iter().map(|b| b.base_fee).collect()),
            ),
        ];
        cols.push((
            "chain_id",
            Col::U64(blocks.iter().map(|_| Some(1)).collect()),
        ));
        cols
    });
    let mut txs = Vec::new();
    for r in records(EtlTable::Transactions, "transactions.json") {
        if let EtlRecord::Transaction(tx, Some(receipt)) = r {
            txs.push(TxRow {
                block: tx.block_number,
                index: tx.transaction_index,
                hash: tx.hash,
                nonce: tx.nonce,
                from: tx.from,
                to: tx.to,
                value: tx.value,
                gas_used: receipt.gas_used,
                gas_price: u64::try_from(receipt.effective_gas_price.expect("price")).expect("u64"),
                success: receipt.status == Some(1),
                timestamp: 0,
            });
        }
    }
    assert_eq!(txs.len(), 116 + 182);
    write_transactions(&chain_file("transactions"), &txs, 1);
    let logs: Vec<LogRow> = records(EtlTable::Logs, "logs.json")
        .into_iter()
        .filter_map(|r| match r {
            EtlRecord::Log(l) => Some(LogRow {
                block: l.block_number,
                tx_index: l.transaction_index,
                log_index: l.log_index,
                tx_hash: l.transaction_hash,
                address: l.address,
                topics: l.topics,
                data: l.data.to_vec(),
            }),
            _ => None,
        })
        .collect();
    assert!(logs.len() > 300);
    write_logs(&chain_file("logs"), &logs, 1);

    let (_a, etl_store) = {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::init(dir.path()).expect("store");
        EthereumEtl
            .import(&store, etl.path(), &ImportOptions::default())
            .expect("etl import");
        (dir, store)
    };
    let (_b, cryo_store, report) = import(cryo.path());
    assert_eq!(report.chain, Chain::Evm(1));
    let mut want = flows(&etl_store, Chain::Evm(1));
    for block in [17_173_049u64, 17_173_050] {
        let credits = B256::from(block_credits_hash(1, block).0);
        assert!(
            want.remove(&credits).is_some(),
            "etl has block {block}'s withdrawals"
        );
    }
    let got = flows(&cryo_store, Chain::Evm(1));
    assert_eq!(got.len(), 298);
    let differing: Vec<_> = want
        .iter()
        .filter(|(h, t)| got.get(*h) != Some(*t))
        .map(|(h, t)| format!("{h}:\n  etl:  {t:?}\n  cryo: {:?}", got.get(h)))
        .collect();
    assert!(
        differing.is_empty(),
        "{} differ:\n{}",
        differing.len(),
        differing.join("\n")
    );
    assert_eq!(got, want);
    // The same protocol events (swaps) are written.
    let swaps = |store: &Store| {
        events::read_swaps(store, Chain::Evm(1))
            .expect("swaps")
            .len()
    };
    assert_eq!(swaps(&cryo_store), swaps(&etl_store));
    // And the same kept bridge logs: the block's Multichain `LogAnySwapIn`, field by field.
    let kept = |store: &Store| events::read_kept_logs(store, Chain::Evm(1)).expect("logs");
    let from_cryo = kept(&cryo_store);
    assert_eq!(from_cryo.len(), 1);
    assert_eq!(from_cryo[0].log_index, 261);
    assert_eq!(from_cryo, kept(&etl_store));

    // Neither export carries token metadata: both take the registry's, for registry tokens only.
    let assets = |store: &Store| {
        store
            .reader(Chain::Evm(1))
            .expect("reader")
            .assets()
            .to_vec()
    };
    let named = |store: &Store| {
        assets(store)
            .into_iter()
            .filter(|a| !a.symbol.is_empty())
            .map(|a| (a.symbol, a.decimals))
            .collect::<Vec<_>>()
    };
    let expected_named = [
        ("ETH", 18),
        ("WETH", 18),
        ("USDT", 6),
        ("USDC", 6),
        ("DAI", 18),
        ("WBTC", 8),
        ("LINK", 18),
        ("UNI", 18),
    ];
    let mut from_registry = named(&cryo_store);
    from_registry.sort();
    let mut expected: Vec<(String, u8)> = expected_named
        .iter()
        .map(|(s, d)| (s.to_string(), *d))
        .collect();
    expected.sort();
    assert_eq!(from_registry, expected);
    let mut from_etl = named(&etl_store);
    from_etl.sort();
    assert_eq!(from_etl, expected);

    // cryo's erc20_metadata wins over the registry, field by field; a token it names that the
    // registry does not know gets its metadata too.
    let usdt = "dAC17F958D2ee523a2206206994597C13D831ec7";
    let pepe = "6982508145454ce325ddbe47a25d4ec3d2311933";
    write_parquet(
        &chain_file("erc20_metadata"),
        vec![
            (
                "block_number",
                Col::U32(vec![Some(17_173_050), Some(17_173_050)]),
            ),
            (
                "erc20",
                Col::Bin(vec![
                    Some(hex::decode(usdt).expect("hex")),
                    Some(hex::decode(pepe).expect("hex")),
                ]),
            ),
            ("name", Col::Str(vec![Some("Tether USD".into()), None])),
            (
                "symbol",
                Col::Str(vec![Some("USDT-export".into()), Some("PEPE".into())]),
            ),
            ("decimals", Col::U32(vec![None, Some(18)])),
            ("chain_id", Col::U64(vec![Some(1), Some(1)])),
        ],
    );
    let (_c, with_metadata, _) = import(cryo.path());
    let metadata_of = |hex_address: &str| {
        let contract = chaintrail_core::Address::Evm(
            <[u8; 20]>::try_from(hex::decode(hex_address).expect("hex")).expect("20 bytes"),
        );
        assets(&with_metadata)
            .into_iter()
            .find(|a| a.contract() == Some(&contract))
            .map(|a| (a.symbol, a.decimals))
    };
    assert_eq!(metadata_of(usdt), Some(("USDT-export".to_string(), 6)));
    assert_eq!(metadata_of(pepe), Some(("PEPE".to_string(), 18)));
    assert_eq!(
        metadata_of("a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"),
        Some(("USDC".to_string(), 6))
    );
}
