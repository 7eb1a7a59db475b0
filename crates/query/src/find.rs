//! Finding an address or a transaction when the chain is not given: every chain of the store
//! where the text can be one is asked.

use chaintrail_core::{Address, AddressError, Chain, TxHash};
use chaintrail_store::{Store, StoreError};

use crate::{AddressSummary, TxSummary, address_summary, tx_summary};

/// Why an address or transaction lookup failed.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The text is not an address of the chain asked for.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// The address is valid but appears in no transaction of the store.
    #[error("{0} does not appear in the store")]
    NotInStore(String),
    /// No chain of the store has the transaction (the hash as given).
    #[error("transaction {0} is not in the store")]
    TxNotInStore(String),
    /// The address's chain family has no data in the store.
    #[error(
        "{text} is a {family} address, but the store has no data for that chain (chains: {present})"
    )]
    NoSuchChain {
        /// The address given.
        text: String,
        /// The chain family it belongs to.
        family: Chain,
        /// The chains the store has.
        present: String,
    },
}

/// The chains of `store` on which `text` is a valid address (only `only` when given), with the
/// parsed address. EVM addresses are valid on every EVM chain.
pub fn address_chains(
    store: &Store,
    text: &str,
    only: Option<Chain>,
) -> Result<Vec<(Chain, Address)>, QueryError> {
    if let Some(chain) = only {
        return Ok(vec![(chain, Address::parse(chain, text)?)]);
    }
    let (family, _) = Address::parse_any(text)?;
    let chains = store.chains()?;
    let found = chains
        .iter()
        .filter(|chain| match (chain, family) {
            (Chain::Evm(_), Chain::Evm(_)) => true,
            (a, b) => **a == b,
        })
        .map(|&chain| Ok((chain, Address::parse(chain, text)?)))
        .collect::<Result<Vec<_>, QueryError>>()?;
    if found.is_empty() {
        return Err(QueryError::NoSuchChain {
            text: text.to_string(),
            family,
            present: chains
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(found)
}

/// The summary of `text` on each chain where it appears (see [`address_chains`]), with its `top`
/// counterparties.
pub fn find_address(
    store: &Store,
    text: &str,
    only: Option<Chain>,
    top: usize,
) -> Result<Vec<AddressSummary>, QueryError> {
    let mut summaries = Vec::new();
    for (chain, address) in address_chains(store, text, only)? {
        let reader = store.reader(chain)?;
        let summary = address_summary(&reader, &address, top);
        // A summary read from a damaged store segment is refused, not shown.
        reader.ensure_intact()?;
        summaries.extend(summary);
    }
    Ok(summaries)
}

/// The transaction `hash` on the first chain that has it (only `only` when given).
pub fn find_tx(
    store: &Store,
    hash: &TxHash,
    only: Option<Chain>,
) -> Result<Option<TxSummary>, QueryError> {
    let chains = match only {
        Some(chain) => vec![chain],
        None => store.chains()?,
    };
    for chain in chains {
        let reader = store.reader(chain)?;
        let summary = tx_summary(&reader, hash);
        reader.ensure_intact()?;
        if summary.is_some() {
            return Ok(summary);
        }
    }
    Ok(None)
}
