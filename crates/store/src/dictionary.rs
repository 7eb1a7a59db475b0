//! The writer's address dictionary: address key → address id for every address of the chain.
//!
//! Keys live end to end in one arena (the bytes `addresses.keys` holds, with their ends as
//! `addresses.ends` holds them) and the hash table holds only ids: 4 bytes and a control byte
//! per bucket, the key found through its id. Per address that is the key (≈ 22 bytes), its end
//! (8) and 6–11 bytes of table — ≈ 40 bytes, where a map of boxed keys to ids took ≈ 70 (a
//! 24-byte bucket plus a 32-byte heap allocation per key). Ids are `u32`, the store's address
//! id width.

use hashbrown::HashTable;

use crate::lookup::key_hash;

#[derive(Default)]
pub(crate) struct AddressDictionary {
    /// Every key in id order, end to end.
    keys: Vec<u8>,
    /// Where key `id` ends in `keys`.
    ends: Vec<u64>,
    ids: HashTable<u32>,
}

impl AddressDictionary {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn key(&self, id: u32) -> &[u8] {
        let id = id as usize;
        let start = id
            .checked_sub(1)
            .and_then(|previous| self.ends.get(previous))
            .copied()
            .unwrap_or(0) as usize;
        let end = self.ends.get(id).copied().unwrap_or(0) as usize;
        self.keys.get(start..end).unwrap_or(&[])
    }

    /// The id of `key`, if it is in the dictionary.
    pub(crate) fn get(&self, key: &[u8]) -> Option<u32> {
        self.ids
            .find(key_hash(key), |&id| self.key(id) == key)
            .copied()
    }

    /// Add `key` (which must not be in the dictionary yet) under the next id, `len()`. The
    /// caller checks that the id fits `u32`.
    pub(crate) fn push(&mut self, key: &[u8]) -> u32 {
        let id = self.ends.len() as u32;
        self.keys.extend_from_slice(key);
        self.ends.push(self.keys.len() as u64);
        let (keys, ends) = (&self.keys, &self.ends);
        // Growing rehashes every id from its key in the arena.
        let rehash = |&id: &u32| {
            let id = id as usize;
            let start = id.checked_sub(1).map_or(0, |p| ends[p]) as usize;
            key_hash(&keys[start..ends[id] as usize])
        };
        self.ids.insert_unique(key_hash(key), id, rehash);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_any_length_get_their_ids_back() {
        let mut dictionary = AddressDictionary::default();
        assert_eq!(dictionary.push(&[]), 0);
        let keys: Vec<Vec<u8>> = (0u32..20_000)
            .map(|n| {
                let mut key = n.to_le_bytes().to_vec();
                key.resize(4 + (n % 40) as usize, 0xA5);
                key
            })
            .collect();
        for (n, key) in keys.iter().enumerate() {
            assert_eq!(dictionary.get(key), None, "{n}");
            assert_eq!(dictionary.push(key), n as u32 + 1);
        }
        assert_eq!(dictionary.len(), 20_001);
        assert_eq!(dictionary.get(&[]), Some(0));
        for (n, key) in keys.iter().enumerate() {
            assert_eq!(dictionary.get(key), Some(n as u32 + 1), "{n}");
        }
        // A stored key without its last byte is not in the dictionary.
        assert_eq!(dictionary.get(&keys[39][..42]), None);
    }
}
