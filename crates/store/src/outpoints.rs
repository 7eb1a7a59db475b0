//! The writer's compact transaction table: txid → tx id for the transactions it must still find.
//!
//! - UTXO chains keep only **live** transactions, those with at least one unspent spendable
//!   output, together with that unspent count. The count goes down as inputs link to the
//!   transaction's outputs; the entry is removed when it reaches zero. Whole-chain memory is
//!   then bounded by the UTXO set, not by the transaction count.
//! - Account chains keep every transaction, with the count fixed at 1, for hash dedup.
//!
//! Layout: open addressing with linear probing and Robin Hood displacement (backward-shift
//! deletion, no tombstones), struct of arrays. One slot is 12 bytes: a `u64` word holding 40 bits
//! of a hash of the txid's first 8 bytes, the top 8 bits of the 40-bit tx id and a 16-bit count,
//! and the low 32 bits of the tx id in a `u32`. Tx ids thus reach 2^40 − 1
//! ([`crate::schema::MAX_TX_ID`], 250× Ethereum's transaction count) at the memory of 32-bit
//! ids; 40 key bits keep a false match within a probe run below one in 10^11 (and every match is
//! confirmed anyway). Counts of 65,535 and more go to a side map (a few transactions with huge
//! fan-out). The table grows by
//! 1.25× at 90% load and shrinks at 30%, so it stays between 72% and 90% full while growing:
//! 13.3–16.7 bytes per entry.
//!
//! The stored key is a filter, not proof: two txids may share it. Every match is confirmed by
//! the caller against the full txid (the writer reads `txs.hash`), so lookups are exact.

use std::collections::HashMap;

use crate::schema::{MAX_TX_ID, TxId};

/// The count bits of a slot word; all set: the count lives in the side map.
const BIG: u64 = 0xFFFF;
/// The key bits of a slot word.
const KEY: u64 = !0 << 24;
/// Where the top 8 bits of the 40-bit tx id sit in a slot word.
const ID_HIGH_SHIFT: u32 = 16;
const MIN_SLOTS: usize = 16;

#[cfg(test)]
thread_local! {
    /// Test-only: keep just these bits of the txid prefix, forcing key collisions.
    pub(crate) static PREFIX_MASK: std::cell::Cell<u64> = const { std::cell::Cell::new(u64::MAX) };
}

fn prefix_mask() -> u64 {
    #[cfg(test)]
    {
        PREFIX_MASK.with(|m| m.get())
    }
    #[cfg(not(test))]
    {
        u64::MAX
    }
}

/// MurmurHash3's 64-bit finalizer: a bijection that spreads structured prefixes.
pub(crate) fn mix(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

pub(crate) struct TxTable {
    /// 0: empty. Otherwise `key40 << 24 | id_high8 << 16 | count` with count in `1..=0xFFFE`,
    /// or `BIG`.
    words: Vec<u64>,
    /// The low 32 bits of each slot's tx id.
    ids: Vec<u32>,
    len: usize,
    big: HashMap<TxId, u32>,
    mask: u64,
}

impl TxTable {
    pub(crate) fn new() -> TxTable {
        TxTable {
            words: vec![0; MIN_SLOTS],
            ids: vec![0; MIN_SLOTS],
            len: 0,
            big: HashMap::new(),
            mask: prefix_mask(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn slots(&self) -> usize {
        self.words.len()
    }

    /// Heap bytes held (slot arrays at capacity plus the side map, estimated).
    pub(crate) fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8 + self.ids.capacity() * 4 + self.big.capacity() * 13
    }

    /// The tx id held in `slot`.
    fn id_at(&self, slot: usize) -> TxId {
        u64::from(self.ids[slot]) | ((self.words[slot] >> ID_HIGH_SHIFT) & 0xFF) << 32
    }

    /// The key bits of a slot word for this txid (the count bits are zero).
    fn key(&self, txid: &[u8; 32]) -> u64 {
        let mut prefix = [0u8; 8];
        prefix.copy_from_slice(&txid[..8]);
        let hash = mix(u64::from_le_bytes(prefix) & self.mask);
        hash & KEY
    }

    fn home(&self, word: u64) -> usize {
        (((word & KEY) as u128 * self.words.len() as u128) >> 64) as usize
    }

    fn distance(&self, slot: usize, word: u64) -> usize {
        let home = self.home(word);
        if slot >= home {
            slot - home
        } else {
            slot + self.words.len() - home
        }
    }

    fn next(&self, slot: usize) -> usize {
        if slot + 1 == self.words.len() {
            0
        } else {
            slot + 1
        }
    }

    /// The slot of the entry with this txid's key for which `is_it(id)` holds.
    fn slot(&self, txid: &[u8; 32], mut is_it: impl FnMut(TxId) -> bool) -> Option<usize> {
        let key = self.key(txid);
        let mut slot = self.home(key);
        let mut dist = 0;
        loop {
            let word = self.words[slot];
            if word == 0 || self.distance(slot, word) < dist {
                return None;
            }
            if word & KEY == key && is_it(self.id_at(slot)) {
                return Some(slot);
            }
            slot = self.next(slot);
            dist += 1;
        }
    }

    /// The tx id stored for `txid`; `same(id)` must confirm that tx `id` has exactly this txid.
    pub(crate) fn find(&self, txid: &[u8; 32], same: impl FnMut(TxId) -> bool) -> Option<TxId> {
        self.slot(txid, same).map(|slot| self.id_at(slot))
    }

    /// The count of the entry of tx `id` (whose txid is `txid`), if present.
    #[cfg(test)]
    pub(crate) fn count(&self, txid: &[u8; 32], id: TxId) -> Option<u32> {
        self.slot(txid, |found| found == id)
            .map(|slot| self.count_at(slot))
    }

    fn count_at(&self, slot: usize) -> u32 {
        match self.words[slot] & BIG {
            BIG => self.big.get(&self.id_at(slot)).copied().unwrap_or(u32::MAX),
            small => small as u32,
        }
    }

    /// Add an entry. The caller has checked that no entry has this txid, that `count` ≥ 1 and
    /// that `id` ≤ [`MAX_TX_ID`].
    pub(crate) fn insert(&mut self, txid: &[u8; 32], id: TxId, count: u32) {
        debug_assert!(count >= 1 && id <= MAX_TX_ID);
        if (self.len + 1) * 10 > self.words.len() * 9 {
            let grown = (self.words.len() + self.words.len() / 4).max(MIN_SLOTS);
            self.resize(grown);
        }
        let mut word = self.key(txid) | ((id >> 32) & 0xFF) << ID_HIGH_SHIFT;
        if u64::from(count) >= BIG {
            word |= BIG;
            self.big.insert(id, count);
        } else {
            word |= u64::from(count);
        }
        self.place(word, id as u32);
        self.len += 1;
    }

    /// Make room for `extra` more entries without intermediate growth.
    pub(crate) fn reserve(&mut self, extra: usize) {
        let wanted = (self.len + extra) * 10 / 8 + 1;
        if wanted > self.words.len() {
            self.resize(wanted);
        }
    }

    /// Robin Hood insertion of a full slot word: whoever is further from home keeps the slot.
    fn place(&mut self, mut word: u64, mut id: u32) {
        let mut slot = self.home(word);
        let mut dist = 0;
        loop {
            let here = self.words[slot];
            if here == 0 {
                self.words[slot] = word;
                self.ids[slot] = id;
                return;
            }
            let here_dist = self.distance(slot, here);
            if here_dist < dist {
                self.words[slot] = word;
                word = here;
                std::mem::swap(&mut self.ids[slot], &mut id);
                dist = here_dist;
            }
            slot = self.next(slot);
            dist += 1;
        }
    }

    /// One output of tx `id` was spent: decrement its count, removing the entry at zero.
    /// Returns `false` when there is no entry for it.
    pub(crate) fn spend(&mut self, txid: &[u8; 32], id: TxId) -> bool {
        let Some(slot) = self.slot(txid, |found| found == id) else {
            return false;
        };
        let count = self.count_at(slot);
        if count <= 1 {
            self.remove_at(slot);
            return true;
        }
        let left = count - 1;
        if u64::from(left) >= BIG {
            self.big.insert(id, left);
        } else {
            self.big.remove(&id);
            self.words[slot] = (self.words[slot] & !BIG) | u64::from(left);
        }
        true
    }

    fn remove_at(&mut self, mut slot: usize) {
        if self.words[slot] & BIG == BIG {
            let id = self.id_at(slot);
            self.big.remove(&id);
        }
        loop {
            let next = self.next(slot);
            let word = self.words[next];
            if word == 0 || self.distance(next, word) == 0 {
                self.words[slot] = 0;
                self.ids[slot] = 0;
                break;
            }
            self.words[slot] = word;
            self.ids[slot] = self.ids[next];
            slot = next;
        }
        self.len -= 1;
        if self.words.len() > 4 * MIN_SLOTS && self.len * 10 < self.words.len() * 3 {
            self.resize((self.len * 10 / 7).max(MIN_SLOTS));
        }
    }

    fn resize(&mut self, slots: usize) {
        let old_words = std::mem::replace(&mut self.words, vec![0; slots]);
        let old_ids = std::mem::replace(&mut self.ids, vec![0; slots]);
        for (word, id) in old_words.into_iter().zip(old_ids) {
            if word != 0 {
                self.place(word, id);
            }
        }
    }

    /// Every entry as (tx id, count), sorted by id: the table's logical content.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> Vec<(TxId, u32)> {
        let mut all: Vec<(TxId, u32)> = (0..self.words.len())
            .filter(|&slot| self.words[slot] != 0)
            .map(|slot| (self.id_at(slot), self.count_at(slot)))
            .collect();
        all.sort_unstable();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn txid(n: u32) -> [u8; 32] {
        let mut raw = [0u8; 32];
        raw[..4].copy_from_slice(&n.to_le_bytes());
        raw[28..].copy_from_slice(&n.to_be_bytes());
        raw
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Append a tx with this txid (from a small pool, so duplicates happen) and count.
        Append(u32, u32),
        /// Spend one output of the n-th live entry of the reference (mod its size).
        Spend(usize),
        /// Spend an output of a txid that may or may not be live.
        SpendTxid(u32),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        let op = prop_oneof![
            3 => (0u32..400, 1u32..4).prop_map(|(t, c)| Op::Append(t, c)),
            3 => any::<usize>().prop_map(Op::Spend),
            1 => (0u32..400).prop_map(Op::SpendTxid),
        ];
        proptest::collection::vec(op, 0..600)
    }

    /// Tx ids start here, so that they run across a change of their top 8 bits (kept in the
    /// slot word).
    const FIRST_ID: TxId = (1 << 36) - 300;

    /// Drive the table as the writer does, against a reference map of live txid → (id, count).
    fn run(ops: &[Op], mask: u64) {
        PREFIX_MASK.with(|m| m.set(mask));
        let mut table = TxTable::new();
        PREFIX_MASK.with(|m| m.set(u64::MAX));
        // The full txid of every tx id, as the txs.hash column would hold it.
        let mut hashes: Vec<[u8; 32]> = Vec::new();
        let mut live: HashMap<[u8; 32], (TxId, u32)> = HashMap::new();
        let hash_of = |hashes: &[[u8; 32]], id: TxId| hashes[(id - FIRST_ID) as usize];
        for op in ops {
            match *op {
                Op::Append(t, count) => {
                    let hash = txid(t);
                    let found = table.find(&hash, |id| hash_of(&hashes, id) == hash);
                    assert_eq!(found, live.get(&hash).map(|e| e.0), "{op:?}");
                    if found.is_none() {
                        let id = FIRST_ID + hashes.len() as TxId;
                        hashes.push(hash);
                        table.insert(&hash, id, count);
                        live.insert(hash, (id, count));
                    }
                }
                Op::Spend(n) => {
                    if live.is_empty() {
                        continue;
                    }
                    let mut keys: Vec<_> = live.keys().copied().collect();
                    keys.sort_unstable();
                    let hash = keys[n % keys.len()];
                    let (id, count) = live[&hash];
                    assert!(table.spend(&hash, id));
                    if count == 1 {
                        live.remove(&hash);
                    } else {
                        live.insert(hash, (id, count - 1));
                    }
                }
                Op::SpendTxid(t) => {
                    let hash = txid(t);
                    let found = table.find(&hash, |id| hash_of(&hashes, id) == hash);
                    assert_eq!(found, live.get(&hash).map(|e| e.0));
                    if let Some(id) = found {
                        let (_, count) = live[&hash];
                        assert!(table.spend(&hash, id));
                        if count == 1 {
                            live.remove(&hash);
                        } else {
                            live.insert(hash, (id, count - 1));
                        }
                    } else {
                        // Spending a dead tx finds nothing to decrement.
                        let dead = hashes.iter().position(|h| *h == hash);
                        if let Some(id) = dead {
                            assert!(!table.spend(&hash, FIRST_ID + id as TxId));
                        }
                    }
                }
            }
            assert_eq!(table.len(), live.len());
            assert!(table.len() < table.slots());
        }
        let mut expected: Vec<(TxId, u32)> = live.values().copied().collect();
        expected.sort_unstable();
        assert_eq!(table.entries(), expected);
        for t in 0..400 {
            let hash = txid(t);
            let found = table.find(&hash, |id| hash_of(&hashes, id) == hash);
            assert_eq!(found, live.get(&hash).map(|e| e.0));
            if let Some((id, count)) = live.get(&hash) {
                assert_eq!(table.count(&hash, *id), Some(*count));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn matches_a_reference_map(ops in ops()) {
            run(&ops, u64::MAX);
        }

        /// Two-bit prefixes: every key collides with a quarter of the table, so each match must
        /// be settled by the full txid.
        #[test]
        fn collisions_are_resolved_by_the_full_txid(ops in ops()) {
            run(&ops, 0b11);
        }

        /// A single key for everything: one long probe run, grown, shrunk and shifted.
        #[test]
        fn a_single_key_still_works(ops in ops()) {
            run(&ops, 0);
        }
    }

    #[test]
    fn counts_beyond_16_bits_use_the_side_map() {
        let mut table = TxTable::new();
        let (a, b) = (txid(1), txid(2));
        table.insert(&a, 0, 0x1_0001);
        table.insert(&b, 1, 0xFFFE);
        assert_eq!(table.count(&a, 0), Some(0x1_0001));
        for expected in [0x1_0000, 0xFFFF, 0xFFFE, 0xFFFD] {
            assert!(table.spend(&a, 0));
            assert_eq!(table.count(&a, 0), Some(expected));
        }
        assert!(table.big.is_empty());
        assert_eq!(table.count(&b, 1), Some(0xFFFE));
        table.insert(&txid(3), 2, 70_000);
        assert_eq!(table.big.len(), 1);
        // Removing a big entry also clears its side-map count.
        let mut big = TxTable::new();
        big.insert(&a, 7, 0x1_0000);
        for _ in 0..0x1_0000 {
            assert!(big.spend(&a, 7));
        }
        assert_eq!(big.len(), 0);
        assert!(big.big.is_empty());
        assert!(!big.spend(&a, 7));
    }

    #[test]
    fn the_largest_tx_id_round_trips() {
        let mut table = TxTable::new();
        for (n, id) in [MAX_TX_ID, MAX_TX_ID - 1, 1 << 32, (1 << 32) - 1, 0]
            .into_iter()
            .enumerate()
        {
            table.insert(&txid(n as u32), id, 3);
        }
        assert_eq!(table.find(&txid(0), |id| id == MAX_TX_ID), Some(MAX_TX_ID));
        assert_eq!(table.find(&txid(2), |id| id == 1 << 32), Some(1 << 32));
        assert!(table.spend(&txid(0), MAX_TX_ID));
        assert_eq!(table.count(&txid(0), MAX_TX_ID), Some(2));
        assert_eq!(
            table.entries(),
            vec![
                (0, 3),
                ((1 << 32) - 1, 3),
                (1 << 32, 3),
                (MAX_TX_ID - 1, 3),
                (MAX_TX_ID, 2)
            ]
        );
    }

    #[test]
    fn grows_and_shrinks_between_load_bounds() {
        let mut table = TxTable::new();
        for n in 0..100_000u32 {
            table.insert(&txid(n), TxId::from(n), 1);
            assert!(table.len() * 10 <= table.slots() * 9);
        }
        let load = table.len() as f64 / table.slots() as f64;
        assert!((0.72..=0.9).contains(&load), "{load}");
        for n in 0..99_000u32 {
            assert!(table.spend(&txid(n), TxId::from(n)));
        }
        assert_eq!(table.len(), 1_000);
        assert!(table.slots() < 4_000, "{}", table.slots());
        for n in 99_000..100_000u32 {
            let n = TxId::from(n);
            assert_eq!(table.find(&txid(n as u32), |id| id == n), Some(n));
        }
    }
}
