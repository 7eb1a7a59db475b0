//! What the store derived about one transaction or address: the links and pending inbounds with
//! that transaction, the attributions of that address (`chaintrail links show`).

use std::path::Path;

use chaintrail_core::{Address, TxHash};
use serde::Serialize;

use crate::{Attribution, Link, LinkError, Pending};

/// The derived facts that mention one transaction or address.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Derived {
    /// Links from or to the address's transactions.
    pub links: Vec<Link>,
    /// Pending inbounds the address sent.
    pub pending: Vec<Pending>,
    /// Attributions of the address.
    pub attributions: Vec<Attribution>,
}

impl Derived {
    /// Whether nothing was derived about the address.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty() && self.pending.is_empty() && self.attributions.is_empty()
    }
}

/// What the last build of the store at `store_dir` derived about `what`, a transaction hash or an
/// address (in any valid form).
pub fn derived_about(store_dir: &Path, what: &str) -> Result<Derived, LinkError> {
    let set = crate::store::load(store_dir)?;
    let attributions = crate::store::load_attributions(store_dir)?;
    let hash: Option<TxHash> = what.parse().ok();
    let address = Address::parse_any(what).ok().map(|(_, a)| a.to_string());
    Ok(Derived {
        links: set
            .links()
            .iter()
            .filter(|l| {
                hash.is_some_and(|h| l.from_tx == h || l.to_tx == h)
                    || (address.is_some() && l.to_address.as_deref() == address.as_deref())
            })
            .cloned()
            .collect(),
        pending: set
            .pending_inbounds()
            .iter()
            .filter(|p| hash.is_some_and(|h| p.tx == h))
            .cloned()
            .collect(),
        attributions: attributions
            .into_iter()
            .filter(|a| {
                address
                    .as_deref()
                    .is_some_and(|t| a.address.eq_ignore_ascii_case(t))
            })
            .collect(),
    })
}
