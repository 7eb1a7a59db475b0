//! The world's identifiers — addresses, transaction and block hashes, mixer notes — each a hash
//! of the seed, a domain and a counter, so that the same seed gives the same world on both
//! chains.

use alloy_primitives::keccak256;

/// keccak256(seed ‖ domain ‖ counter), the integers little-endian.
pub(crate) fn derived(seed: u64, domain: &str, counter: u64) -> [u8; 32] {
    let mut buf = Vec::with_capacity(16 + domain.len());
    buf.extend_from_slice(&seed.to_le_bytes());
    buf.extend_from_slice(domain.as_bytes());
    buf.extend_from_slice(&counter.to_le_bytes());
    keccak256(&buf).0
}
