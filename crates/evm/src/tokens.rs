//! Metadata (symbol, decimals) of the tokens an import meets. A token first seen without
//! metadata in the store gets, field by field, what the source says — an export's `tokens` table
//! or cryo's `erc20_metadata`, or the token's own `symbol()` and `decimals()` over RPC — and
//! otherwise what the bundled registry says ([`chaintrail_core::known_token`]). A token neither
//! names stays unknown (empty symbol, 0 decimals) and is counted; it never fails an import.

use std::collections::HashSet;

use alloy_primitives::U256;
use alloy_sol_types::{SolCall, sol};
use chaintrail_core::{AccountTx, Address, Asset, AssetKind, known_token};
use chaintrail_store::{ChainWriter, StoreError};
use serde::Serialize;
use serde_json::json;

use chaintrail_rpc::{Call, RpcClient};

sol! {
    function symbol() returns (string);
    function decimals() returns (uint8);
}

/// How the tokens first seen by an import got their metadata.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TokenNaming {
    /// From the source: the export's tables or the contract's own answers.
    pub from_source: u64,
    /// From the bundled registry (the source said nothing usable).
    pub from_registry: u64,
    /// Neither: left without symbol and decimals.
    pub unknown: u64,
}

/// What a source says about a token; either field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMetadata {
    pub symbol: Option<String>,
    pub decimals: Option<u8>,
}

/// Names the tokens of one import, each contract once.
#[derive(Debug, Default)]
pub(crate) struct TokenNamer {
    seen: HashSet<Address>,
    named: HashSet<Address>,
    pub(crate) naming: TokenNaming,
}

fn has_metadata(asset: &Asset) -> bool {
    !asset.symbol.is_empty() || asset.decimals != 0
}

impl TokenNamer {
    /// Token contracts of `txs` that the store holds no metadata for and that this import has
    /// not looked at yet, in order of first appearance.
    pub(crate) fn first_seen<'a>(
        &mut self,
        writer: &ChainWriter,
        txs: impl IntoIterator<Item = &'a AccountTx>,
    ) -> Vec<Address> {
        let mut fresh = Vec::new();
        for transfer in txs.into_iter().flat_map(|tx| &tx.transfers) {
            let AssetKind::Token(contract) = &transfer.asset else {
                continue;
            };
            if writer.asset(&transfer.asset).is_some_and(has_metadata)
                || !self.seen.insert(contract.clone())
            {
                continue;
            }
            fresh.push(contract.clone());
        }
        fresh
    }

    /// Register a token's metadata: the source's where it says, else the registry's. Metadata
    /// already stored for it is replaced only by what the source says.
    pub(crate) fn name(
        &mut self,
        writer: &mut ChainWriter,
        contract: &Address,
        source: SourceMetadata,
    ) -> Result<(), StoreError> {
        self.seen.insert(contract.clone());
        // A contract named again (another snapshot of its metadata) is counted once.
        let first = self.named.insert(contract.clone());
        let chain = writer.chain();
        let known = known_token(chain, contract);
        let symbol = source
            .symbol
            .clone()
            .filter(|s| !s.is_empty())
            .or_else(|| known.map(|k| k.symbol.to_string()));
        let decimals = source.decimals.or_else(|| known.map(|k| k.decimals));
        let (Some(symbol), Some(decimals)) = (symbol, decimals) else {
            if !first {
                return Ok(());
            }
            self.naming.unknown += 1;
            tracing::warn!(
                %contract, %chain,
                "token metadata unknown (the source and the registry say nothing usable): \
                 amounts are shown in base units"
            );
            return Ok(());
        };
        let from_source = source.symbol.is_some_and(|s| !s.is_empty()) && source.decimals.is_some();
        match (first, from_source) {
            (false, _) => {}
            (true, true) => self.naming.from_source += 1,
            (true, false) => self.naming.from_registry += 1,
        }
        writer
            .register_asset(&Asset::token(chain, contract.clone(), &symbol, decimals))
            .map(|_| ())
    }
}

/// A token's `symbol()` answer: an ABI `string`, or a `bytes32` (MKR, SAI and other early
/// tokens). Empty, non-UTF-8 or control-character answers are garbage: `None`.
pub fn decode_symbol(data: &[u8]) -> Option<String> {
    let text = match symbolCall::abi_decode_returns(data) {
        Ok(text) => text,
        Err(_) if data.len() == 32 => {
            let end = data.iter().position(|&b| b == 0).unwrap_or(32);
            String::from_utf8(data[..end].to_vec()).ok()?
        }
        Err(_) => return None,
    };
    let text = text.trim_end_matches('\0').trim();
    let printable = !text.is_empty() && text.chars().count() <= 64;
    (printable && !text.chars().any(char::is_control)).then(|| text.to_string())
}

/// A token's `decimals()` answer: one word holding at most 255 (uint8 or a wider uint).
pub fn decode_decimals(data: &[u8]) -> Option<u8> {
    if data.len() != 32 {
        return None;
    }
    u8::try_from(U256::from_be_slice(data)).ok()
}

/// Ask the node for `symbol()` and `decimals()` of each contract, in one batch. A call that
/// reverts or answers garbage leaves that field unknown; so does a failed batch (with a warning).
pub(crate) fn fetch_metadata(client: &RpcClient, contracts: &[Address]) -> Vec<SourceMetadata> {
    let calls: Vec<Call> = contracts
        .iter()
        .flat_map(|contract| {
            [symbolCall {}.abi_encode(), decimalsCall {}.abi_encode()].map(|input| {
                Call::new(
                    "eth_call",
                    json!([{"to": contract.to_string(), "data": format!("0x{}", hex::encode(input))}, "latest"]),
                )
            })
        })
        .collect();
    let answers = match client.batch(&calls) {
        Ok(answers) => answers,
        Err(e) => {
            tracing::warn!("token metadata calls failed, metadata left unknown: {e}");
            return vec![SourceMetadata::default(); contracts.len()];
        }
    };
    let bytes = |answer: Option<&Result<serde_json::Value, _>>| -> Option<Vec<u8>> {
        let text = answer?.as_ref().ok()?.as_str()?;
        hex::decode(text.strip_prefix("0x")?).ok()
    };
    (0..contracts.len())
        .map(|i| SourceMetadata {
            symbol: bytes(answers.get(2 * i)).and_then(|d| decode_symbol(&d)),
            decimals: bytes(answers.get(2 * i + 1)).and_then(|d| decode_decimals(&d)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolValue;

    use super::*;

    #[test]
    fn symbols_decode_from_strings_and_bytes32() {
        assert_eq!(
            decode_symbol(&"USDC".to_string().abi_encode()),
            Some("USDC".to_string())
        );
        // MKR's symbol() returns bytes32 "MKR".
        let mut mkr = [0u8; 32];
        mkr[..3].copy_from_slice(b"MKR");
        assert_eq!(decode_symbol(&mkr), Some("MKR".to_string()));
        // Garbage: too short, empty, control characters, invalid UTF-8.
        assert_eq!(decode_symbol(&[0xde, 0xad, 0xbe]), None);
        assert_eq!(decode_symbol(&[]), None);
        assert_eq!(decode_symbol(&[0u8; 32]), None);
        assert_eq!(decode_symbol(&"\u{7}".to_string().abi_encode()), None);
        let mut bad = [0u8; 32];
        bad[..2].copy_from_slice(&[0xff, 0xfe]);
        assert_eq!(decode_symbol(&bad), None);
    }

    #[test]
    fn decimals_decode_from_one_small_word() {
        assert_eq!(decode_decimals(&U256::from(6).to_be_bytes::<32>()), Some(6));
        assert_eq!(
            decode_decimals(&U256::from(18).to_be_bytes::<32>()),
            Some(18)
        );
        assert_eq!(decode_decimals(&U256::from(256).to_be_bytes::<32>()), None);
        assert_eq!(decode_decimals(&[6]), None);
        assert_eq!(decode_decimals(&[]), None);
    }
}
