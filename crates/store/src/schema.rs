//! The columns of a chain directory. Every column is a flat little-endian array of one element
//! type; rows of a table are aligned across its columns. See docs/schema.md.

use bytemuck::{Pod, Zeroable};
use chaintrail_core::{ChainModel, TransferKind, TxFingerprint};

use crate::column::Column;

/// A transaction id: its position in the chain's `txs.*` columns (append order = time order).
/// Ids are `u64` in every interface; the store holds them only where a 32-bit id would not do
/// (docs/schema.md, *Ids*).
pub type TxId = u64;

/// The largest transaction id a chain can hold: 2^40 − 1 (the writer's outpoint map keeps 40
/// bits of each id).
pub const MAX_TX_ID: TxId = (1 << 40) - 1;

/// Account id 0 stands for "no account": the source of minted value and the sink of burnt value.
pub const NO_ADDRESS: u32 = 0;

/// `transfers.amount` value meaning "the amount is ≥ 2^64 − 2 and fits 128 bits; look it up in
/// `amounts.overflow`".
pub const AMOUNT_OVERFLOW: u64 = u64::MAX;
/// `transfers.amount` value meaning "the amount needs more than 128 bits; look it up in
/// `amounts.wide`" (spam tokens with absurd supplies).
pub const AMOUNT_WIDE: u64 = u64::MAX - 1;

/// `inputs.spent` value of a coinbase input: it spends no output (newly minted coins).
pub const INPUT_COINBASE: u64 = u64::MAX;
/// `inputs.spent` value of an input whose spent output the store does not hold (partial
/// imports); what the source said about it is in `inputs.unlinked` ([`UnlinkedInput`]).
pub const INPUT_UNLINKED: u64 = u64::MAX - 1;

/// `index.spent_by` value of an unspent output.
pub const UNSPENT: u32 = u32::MAX;
/// `index.spent_by_wide` value of an unspent output.
pub const UNSPENT_WIDE: u64 = u64::MAX;

/// Bytes of a packed wallet fingerprint ([`col::TX_FINGERPRINT`]).
pub const FINGERPRINT_BYTES: usize = 5;
/// The version code of a transaction whose fingerprint the source did not give.
const VERSION_UNKNOWN: u8 = 0;
/// The version code of an nVersion outside `1..=126` (no wallet software uses one).
pub const VERSION_OTHER: u8 = 0x7f;
/// The replace-by-fee bit of the packed byte.
const RBF_BIT: u8 = 0x80;

/// A transaction's wallet fingerprint in [`FINGERPRINT_BYTES`]: nLockTime (`u32` LE), then one
/// byte: replace-by-fee in the top bit, below it nVersion when it is from 1 to 126, else
/// [`VERSION_OTHER`]; all zero when the source gave none.
pub fn pack_fingerprint(fingerprint: Option<&TxFingerprint>) -> [u8; FINGERPRINT_BYTES] {
    let mut out = [0u8; FINGERPRINT_BYTES];
    let Some(f) = fingerprint else {
        return out;
    };
    out[..4].copy_from_slice(&f.lock_time.to_le_bytes());
    let version = match u8::try_from(f.version) {
        Ok(v) if (1..VERSION_OTHER).contains(&v) => v,
        _ => VERSION_OTHER,
    };
    out[4] = version | if f.rbf { RBF_BIT } else { 0 };
    out
}

/// The fingerprint of [`pack_fingerprint`]'s bytes; `None` when the source gave none. An
/// nVersion outside 1..=126 reads back as [`VERSION_OTHER`] (127).
pub fn unpack_fingerprint(bytes: [u8; FINGERPRINT_BYTES]) -> Option<TxFingerprint> {
    let version = bytes[4] & !RBF_BIT;
    if version == VERSION_UNKNOWN {
        return None;
    }
    Some(TxFingerprint {
        version: i32::from(version),
        lock_time: u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
        rbf: bytes[4] & RBF_BIT != 0,
    })
}

/// File names of the columns and derived indexes in a chain directory (docs/schema.md gives each
/// its element type). Index files start with `index.`: [`group_of`] relies on it.
pub mod col {
    /// `u64` per block: its height (block number).
    pub const BLOCK_HEIGHT: &str = "blocks.height";
    /// `u64` per block: seconds since the epoch, as the block header says (not necessarily
    /// increasing on Bitcoin; see [`crate::ChainReader::block_effective_time`]).
    pub const BLOCK_TIMESTAMP: &str = "blocks.timestamp";
    /// `u64` per block: id of its first transaction.
    pub const BLOCK_FIRST_TX: &str = "blocks.first_tx";
    /// `u64` per block (account chains): row of its first transfer.
    pub const BLOCK_FIRST_TRANSFER: &str = "blocks.first_transfer";
    /// `u64` per block (UTXO chains): row of its first input.
    pub const BLOCK_FIRST_INPUT: &str = "blocks.first_input";
    /// `u64` per block (UTXO chains): row of its first output.
    pub const BLOCK_FIRST_OUTPUT: &str = "blocks.first_output";
    /// `[u8; 32]` per transaction, in tx id order: its hash (UTXO chains: the txid in display
    /// byte order, as Bitcoin Core prints it). The transaction dictionary.
    pub const TX_HASH: &str = "txs.hash";
    /// `u32` per transaction (account chains): its first transfer row minus its block's
    /// `blocks.first_transfer`.
    pub const TX_TRANSFER_OFFSET: &str = "txs.transfer_offset";
    /// `u32` per transaction (UTXO chains): its first input row minus its block's `blocks.first_input`.
    pub const TX_INPUT_OFFSET: &str = "txs.input_offset";
    /// `u32` per transaction (UTXO chains): its first output row minus its block's
    /// `blocks.first_output`.
    pub const TX_OUTPUT_OFFSET: &str = "txs.output_offset";
    /// `[u8; 5]` per transaction (UTXO chains): its wallet fingerprint, packed by
    /// [`super::pack_fingerprint`]: nLockTime (`u32` LE), then nVersion and replace-by-fee in one
    /// byte.
    pub const TX_FINGERPRINT: &str = "txs.fingerprint";
    /// `u32` per transfer: address id of the sender ([`super::NO_ADDRESS`] for minted value).
    pub const TRANSFER_FROM: &str = "transfers.from";
    /// `u32` per transfer: address id of the recipient ([`super::NO_ADDRESS`] for burnt value).
    pub const TRANSFER_TO: &str = "transfers.to";
    /// `u32` per transfer: asset id, kind and success, packed by [`super::pack_meta`].
    pub const TRANSFER_META: &str = "transfers.meta";
    /// `u64` per transfer: the amount in the asset's base units (wei for ether), or the marker
    /// [`super::AMOUNT_OVERFLOW`] / [`super::AMOUNT_WIDE`] when it does not fit.
    pub const TRANSFER_AMOUNT: &str = "transfers.amount";
    /// [`super::OverflowAmount`] records sorted by transfer row: exact amounts from 2^64 − 2 to
    /// 2^128 − 1.
    pub const AMOUNT_OVERFLOW: &str = "amounts.overflow";
    /// [`super::WideAmount`] records sorted by transfer row: exact amounts of 2^128 or more.
    pub const AMOUNT_WIDE: &str = "amounts.wide";
    /// `u64` per output: its value in satoshi.
    pub const OUTPUT_VALUE: &str = "outputs.value";
    /// `u32` per output: address id of what it pays (a typed script identity for outputs without
    /// an address; all OP_RETURN outputs share one).
    pub const OUTPUT_ADDRESS: &str = "outputs.address";
    /// `u64` per input: row of the output it spends, or [`super::INPUT_COINBASE`] /
    /// [`super::INPUT_UNLINKED`].
    pub const INPUT_SPENT: &str = "inputs.spent";
    /// [`super::UnlinkedInput`] records sorted by input row: what the source said about spent
    /// outputs the store does not hold.
    pub const INPUT_UNLINKED: &str = "inputs.unlinked";
    /// The address dictionary: every address key (docs/schema.md, *Address keys*) back to back, in
    /// id order; id 0's key is empty.
    pub const ADDRESS_KEYS: &str = "addresses.keys";
    /// `u64` per address id, id 0 included: where its key ends in `addresses.keys` (it starts
    /// where the previous id's ends).
    pub const ADDRESS_ENDS: &str = "addresses.ends";
    /// [`super::AssetEntry`] JSON lines; the last line of an id wins.
    pub const ASSETS: &str = "assets.jsonl";
    /// [`super::NullDataEntry`] records sorted by output row: where each OP_RETURN output's payload
    /// ends in `null_data.bytes` (UTXO chains).
    pub const NULL_DATA_ROWS: &str = "null_data.rows";
    /// The payloads of OP_RETURN outputs back to back, in output row order.
    pub const NULL_DATA_BYTES: &str = "null_data.bytes";

    /// `u64` per address id, plus one (account chains): where each address's list in
    /// `index.out.adj` starts; the next entry is where it ends.
    pub const IDX_OUT_OFFSETS: &str = "index.out.offsets";
    /// Per address, the rows of the transfers it sent, ascending, delta-coded with
    /// [`super::put_varint`] (read with [`super::DeltaList`]).
    pub const IDX_OUT_ADJ: &str = "index.out.adj";
    /// `u64` per address id, plus one: where each address's list in `index.in.adj` starts.
    pub const IDX_IN_OFFSETS: &str = "index.in.offsets";
    /// Per address, ascending and delta-coded: the rows of the transfers it received (account
    /// chains) or of the outputs paying it (UTXO chains).
    pub const IDX_IN_ADJ: &str = "index.in.adj";
    /// `u32` per output (UTXO chains): id of the transaction spending it, [`super::UNSPENT`]
    /// while unspent.
    pub const IDX_SPENT_BY: &str = "index.spent_by";
    /// Spent-by with 64-bit transaction ids, written instead of `index.spent_by` once a chain
    /// holds 2^32 − 1 transactions or more.
    pub const IDX_SPENT_BY_WIDE: &str = "index.spent_by_wide";
    /// Address key → id, a hash table of `u32` ids (see `lookup.rs`).
    pub const IDX_ADDRESS_LOOKUP: &str = "index.address_lookup";
    /// Transaction hash → tx id, a hash table of `u32` ids, or of `u64` ids in the wide file
    /// once a chain holds 2^32 − 1 transactions or more.
    pub const IDX_TX_LOOKUP: &str = "index.tx_lookup";
    /// [`IDX_TX_LOOKUP`] with `u64` slots, written instead of it once a chain holds 2^32 − 1
    /// transactions or more.
    pub const IDX_TX_LOOKUP_WIDE: &str = "index.tx_lookup_wide";

    /// Every derived index file a reader may map.
    pub const INDEXES: &[&str] = &[
        IDX_IN_ADJ,
        IDX_IN_OFFSETS,
        IDX_OUT_ADJ,
        IDX_OUT_OFFSETS,
        IDX_SPENT_BY,
        IDX_SPENT_BY_WIDE,
        IDX_ADDRESS_LOOKUP,
        IDX_TX_LOOKUP,
        IDX_TX_LOOKUP_WIDE,
    ];
}

/// The append-only columns of a chain of the given model.
pub fn columns(model: ChainModel) -> &'static [&'static str] {
    use col::*;
    match model {
        ChainModel::Account => &[
            BLOCK_HEIGHT,
            BLOCK_TIMESTAMP,
            BLOCK_FIRST_TX,
            BLOCK_FIRST_TRANSFER,
            TX_HASH,
            TX_TRANSFER_OFFSET,
            TRANSFER_FROM,
            TRANSFER_TO,
            TRANSFER_META,
            TRANSFER_AMOUNT,
            AMOUNT_OVERFLOW,
            AMOUNT_WIDE,
            ADDRESS_KEYS,
            ADDRESS_ENDS,
            ASSETS,
        ],
        ChainModel::Utxo => &[
            BLOCK_HEIGHT,
            BLOCK_TIMESTAMP,
            BLOCK_FIRST_TX,
            BLOCK_FIRST_INPUT,
            BLOCK_FIRST_OUTPUT,
            TX_HASH,
            TX_INPUT_OFFSET,
            TX_OUTPUT_OFFSET,
            TX_FINGERPRINT,
            OUTPUT_VALUE,
            OUTPUT_ADDRESS,
            INPUT_SPENT,
            INPUT_UNLINKED,
            ADDRESS_KEYS,
            ADDRESS_ENDS,
            ASSETS,
            NULL_DATA_ROWS,
            NULL_DATA_BYTES,
        ],
    }
}

/// Which group a file's bytes are reported under in `stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileGroup {
    /// Value-flow records and their block/tx framing: what the density target counts.
    Records,
    /// Derived traversal indexes (adjacency, spent-by).
    Adjacency,
    /// Derived hash lookups: address key → id, tx hash → id.
    Lookups,
    /// The address dictionary.
    AddressDictionary,
    /// Transaction hashes (the tx dictionary).
    TxHashes,
    /// Asset metadata.
    Assets,
    /// OP_RETURN payloads: kept beside the records so that they do not count against the
    /// density target.
    NullData,
}

/// The group the bytes of the chain file `name` count under in
/// [`ChainStats`](crate::ChainStats); files it does not recognise count as records.
pub fn group_of(name: &str) -> FileGroup {
    if name.starts_with(col::IDX_ADDRESS_LOOKUP) || name.starts_with(col::IDX_TX_LOOKUP) {
        FileGroup::Lookups
    } else if name.starts_with("index.") {
        FileGroup::Adjacency
    } else if name.starts_with("addresses.") {
        FileGroup::AddressDictionary
    } else if name == col::TX_HASH {
        FileGroup::TxHashes
    } else if name == col::ASSETS {
        FileGroup::Assets
    } else if name.starts_with("null_data.") {
        FileGroup::NullData
    } else {
        FileGroup::Records
    }
}

/// A transfer amount from 2^64 − 2 up to 2^128 − 1, keyed by transfer row (24 bytes).
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
pub struct OverflowAmount {
    /// The row of the transfer whose `transfers.amount` holds [`AMOUNT_OVERFLOW`].
    pub row: u64,
    /// The exact amount in the asset's base units: a `u128`, little-endian.
    pub value_le: [u8; 16],
}

/// A transfer amount of 2^128 or more, keyed by transfer row (40 bytes).
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
pub struct WideAmount {
    /// The row of the transfer whose `transfers.amount` holds [`AMOUNT_WIDE`].
    pub row: u64,
    /// The exact amount in the asset's base units: 256 bits, big-endian.
    pub value_be: [u8; 32],
}

/// An input whose spent output is not in the store (partial imports): what the source said.
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
pub struct UnlinkedInput {
    /// The row of the input whose `inputs.spent` holds [`INPUT_UNLINKED`].
    pub row: u64,
    /// Hash of the transaction whose output it spends, in the byte order of `txs.hash`; all zeros
    /// when the source named no previous output.
    pub prev_tx: [u8; 32],
    /// The spent output's value in satoshi as the source gave it; 0 when `has_value` is 0.
    pub value: u64,
    /// Index of the spent output within that transaction (0 when the source named none).
    pub vout: u32,
    /// Address id of the spent output, or [`NO_ADDRESS`] when the source did not say.
    pub address: u32,
    /// 1 when `value` was given by the source.
    pub has_value: u32,
    /// Always 0: pads the record to 64 bytes.
    pub pad: u32,
}

/// Where the payload of one OP_RETURN output is in `null_data.bytes`: it ends at `end` and starts
/// where the previous entry ended (16 bytes, sorted by output row).
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
#[repr(C)]
pub struct NullDataEntry {
    /// The OP_RETURN output's row in `outputs.*`.
    pub row: u64,
    /// Offset in `null_data.bytes` just past the payload's last byte.
    pub end: u64,
}

/// One line of `assets.jsonl`. The last line of an id wins (metadata updates are appends).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct AssetEntry {
    /// The per-chain asset id (0 = the native coin).
    pub id: u32,
    /// The asset's metadata (contract, symbol, decimals) from this line on.
    pub asset: chaintrail_core::Asset,
}

/// `transfers.meta`: asset id (27 bits) | kind (3 bits) | success (1 bit).
pub const MAX_ASSET_ID: u32 = (1 << 27) - 1;

/// The `transfers.meta` value of a transfer of asset id `asset` (at most [`MAX_ASSET_ID`]: more
/// would spill into the kind bits; the writer refuses more assets with
/// [`StoreError::Full`](crate::StoreError::Full)).
pub fn pack_meta(asset: u32, kind: TransferKind, success: bool) -> u32 {
    asset | (u32::from(kind as u8) << 27) | (u32::from(success) << 30)
}

/// (asset id, kind, success) of a `transfers.meta` value, the inverse of [`pack_meta`]. An
/// unknown kind code (only in a damaged column) reads as [`TransferKind::Native`].
pub fn unpack_meta(meta: u32) -> (u32, TransferKind, bool) {
    let kind =
        TransferKind::from_code(((meta >> 27) & 0b111) as u8).unwrap_or(TransferKind::Native);
    (meta & MAX_ASSET_ID, kind, meta & (1 << 30) != 0)
}

/// How a record table (transfers, inputs or outputs) is framed into transactions and blocks:
/// each block knows its first tx and first record, each tx its first record relative to its block
/// (a `u32`: a block holds far fewer than 2^32 records).
pub struct Framing<'a> {
    /// Per block, ascending: id of its first transaction (`blocks.first_tx`).
    pub block_first_tx: &'a [u64],
    /// Per block, ascending: row of its first record (`blocks.first_transfer` / `_input` / `_output`).
    pub block_first_record: &'a [u64],
    /// Per transaction: its first record row minus its block's first record row (`txs.*_offset`).
    pub tx_offset: Column<'a, u32>,
    /// Rows in the record table: where the last transaction's records end.
    pub records: u64,
}

impl Framing<'_> {
    /// The number of transactions framed (the length of `tx_offset`).
    pub fn tx_count(&self) -> u64 {
        self.tx_offset.len() as u64
    }

    /// The block (index into the blocks table) holding transaction `tx`.
    pub fn block_of_tx(&self, tx: TxId) -> usize {
        self.block_first_tx
            .partition_point(|&first| first <= tx)
            .saturating_sub(1)
    }

    /// Row of the first record of transaction `tx`.
    pub fn start(&self, tx: TxId) -> u64 {
        let block = self.block_of_tx(tx);
        let base = self.block_first_record.get(block).copied().unwrap_or(0);
        let offset = usize::try_from(tx)
            .ok()
            .and_then(|tx| self.tx_offset.get(tx))
            .unwrap_or(0);
        base + u64::from(offset)
    }

    /// Rows of the records of transaction `tx`.
    pub fn range(&self, tx: TxId) -> std::ops::Range<u64> {
        let end = if tx + 1 < self.tx_count() {
            self.start(tx + 1)
        } else {
            self.records
        };
        self.start(tx)..end
    }

    /// The transaction a record row belongs to (the last tx starting at or before it).
    pub fn tx_of_row(&self, row: u64) -> TxId {
        let block = self
            .block_first_record
            .partition_point(|&first| first <= row)
            .saturating_sub(1);
        // Blocks with no records share their first-record value with the next block; the
        // partition point lands on the last of them, whose txs start at that row.
        let first_tx = self.block_first_tx.get(block).copied().unwrap_or(0);
        let end_tx = self
            .block_first_tx
            .get(block + 1)
            .map_or(self.tx_count(), |&t| t);
        let base = self.block_first_record.get(block).copied().unwrap_or(0);
        let (first, end) = (
            usize::try_from(first_tx.min(end_tx)).unwrap_or(usize::MAX),
            usize::try_from(end_tx).unwrap_or(usize::MAX),
        );
        let within = self.tx_offset.range(first..end);
        let rel = row.saturating_sub(base);
        first_tx.min(end_tx)
            + (within
                .partition_point(|&o| u64::from(o) <= rel)
                .saturating_sub(1) as u64)
    }
}

/// LEB128 varint, used for delta-coded adjacency lists.
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// The number of bytes [`put_varint`] writes for `value` (1 to 10).
pub fn varint_len(mut value: u64) -> u64 {
    let mut len = 1;
    while value >= 0x80 {
        value >>= 7;
        len += 1;
    }
    len
}

/// Decodes a delta-coded ascending list. Stops (without panicking) at a truncated varint; the
/// index files are checksummed, so that only happens on a bug.
pub struct DeltaList<'a> {
    bytes: &'a [u8],
    pos: usize,
    last: u64,
}

impl<'a> DeltaList<'a> {
    /// Decodes `bytes`: deltas from 0 upward, each written with [`put_varint`].
    pub fn new(bytes: &'a [u8]) -> DeltaList<'a> {
        DeltaList {
            bytes,
            pos: 0,
            last: 0,
        }
    }
}

impl Iterator for DeltaList<'_> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = *self.bytes.get(self.pos)?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                break;
            }
            shift += 7;
            if shift >= 64 {
                return None;
            }
        }
        self.last += value;
        Some(self.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fingerprints_pack_into_five_bytes() {
        let core = TxFingerprint {
            version: 2,
            lock_time: 702_860,
            rbf: true,
        };
        let bytes = pack_fingerprint(Some(&core));
        assert_eq!(bytes, [0x8c, 0xb9, 0x0a, 0x00, 0x82]);
        assert_eq!(unpack_fingerprint(bytes), Some(core));
        assert_eq!(pack_fingerprint(None), [0; FINGERPRINT_BYTES]);
        assert_eq!(unpack_fingerprint([0; FINGERPRINT_BYTES]), None);
        let v1 = TxFingerprint {
            version: 1,
            lock_time: 0,
            rbf: false,
        };
        assert_eq!(unpack_fingerprint(pack_fingerprint(Some(&v1))), Some(v1));
        // nVersion outside 1..=126 (0, negative, 127 and up) reads back as 127.
        for version in [0, -1, 127, 128, i32::MAX, i32::MIN] {
            let odd = TxFingerprint { version, ..core };
            assert_eq!(
                unpack_fingerprint(pack_fingerprint(Some(&odd))),
                Some(TxFingerprint {
                    version: i32::from(VERSION_OTHER),
                    ..core
                }),
                "{version}"
            );
        }
    }

    proptest! {
        #[test]
        fn delta_lists_round_trip(mut values in proptest::collection::vec(any::<u64>(), 0..50)) {
            values.sort_unstable();
            values.dedup();
            let mut bytes = Vec::new();
            let mut last = 0;
            let mut expected_len = 0;
            for &v in &values {
                put_varint(&mut bytes, v - last);
                expected_len += varint_len(v - last);
                last = v;
            }
            prop_assert_eq!(bytes.len() as u64, expected_len);
            prop_assert_eq!(DeltaList::new(&bytes).collect::<Vec<_>>(), values);
        }

        #[test]
        fn meta_round_trip(asset in 0..=MAX_ASSET_ID, kind in 0u8..6, success: bool) {
            let kind = TransferKind::from_code(kind).unwrap();
            prop_assert_eq!(unpack_meta(pack_meta(asset, kind, success)), (asset, kind, success));
        }
    }
}
