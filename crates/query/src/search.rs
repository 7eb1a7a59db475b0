//! What a piece of text a person typed is in the store: an address or a transaction, on which
//! chains. The web UI's search box dispatches on this and offers a choice when there are several.

use std::collections::BTreeMap;

use chaintrail_core::{Address, Chain, ChainModel, TxHash};
use chaintrail_store::ChainReader;
use serde::Serialize;

/// What a search hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    /// An address that appears on the chain.
    Address,
    /// A transaction stored for the chain.
    Transaction,
}

/// One thing the text names in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// Address or transaction.
    pub kind: HitKind,
    /// The chain it is on.
    pub chain: Chain,
    /// Its canonical spelling on that chain (checksummed EVM address, `0x` hash on account
    /// chains, bare txid on Bitcoin).
    pub id: String,
}

/// Every address and transaction `text` names among `readers`' chains, in chain order: an EVM
/// address on each EVM chain where it appears, a hash on each chain that has the transaction.
/// Text that is neither an address nor a hash, or that the store does not have, finds nothing.
pub fn search(readers: &BTreeMap<Chain, ChainReader>, text: &str) -> Vec<SearchHit> {
    let text = text.trim();
    let hash = text.parse::<TxHash>().ok();
    let mut hits = Vec::new();
    for (&chain, reader) in readers {
        if let Ok(address) = Address::parse(chain, text)
            && reader.address_id(&address).is_some()
        {
            hits.push(SearchHit {
                kind: HitKind::Address,
                chain,
                id: address.to_string(),
            });
        }
        if let Some(hash) = &hash
            && reader.tx_id(hash).is_some()
        {
            let id = match reader.model() {
                ChainModel::Account => hash.to_hex_prefixed(),
                ChainModel::Utxo => hash.to_hex(),
            };
            hits.push(SearchHit {
                kind: HitKind::Transaction,
                chain,
                id,
            });
        }
    }
    hits
}
