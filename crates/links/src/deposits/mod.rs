//! Addresses of labelled services that the labels do not name: exchange deposit addresses on
//! account chains (`account.rs`), and on UTXO chains the service's co-spent wallet addresses and
//! the deposit addresses its consolidations sweep (`utxo.rs`). A freeze request needs the deposit
//! address, not the hot wallet it was swept to.

pub mod account;
pub mod coinjoin;
pub mod utxo;

use std::collections::BTreeMap;

use chaintrail_core::{Address, Chain};
use chaintrail_labels::Category;

use crate::Services;

/// A labelled service on one chain: its name, role and the addresses the labels give it.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The entity's name.
    pub name: String,
    /// Its role.
    pub role: Category,
    /// Holds customers' funds behind per-customer deposit addresses (exchanges, custodial
    /// wallets, OTC desks, gambling sites, markets, custodial mixers).
    pub custodial: bool,
    /// Its labelled addresses.
    pub addresses: Vec<Address>,
}

/// Does a service of this role give customers deposit addresses it sweeps?
pub fn is_custodial(role: Category) -> bool {
    matches!(
        role,
        Category::Exchange
            | Category::WalletService
            | Category::Otc
            | Category::Gambling
            | Category::Market
            | Category::Darknet
            | Category::Mixer
            | Category::Service
    )
}

/// The labelled services on `chain`, grouped by entity name.
pub fn services_on(services: &dyn Services, chain: Chain) -> Vec<Service> {
    let mut by_name: BTreeMap<(String, Category), Vec<Address>> = BTreeMap::new();
    for (address, role, name) in services.addresses(chain) {
        by_name.entry((name, role)).or_default().push(address);
    }
    by_name
        .into_iter()
        .map(|((name, role), addresses)| Service {
            custodial: is_custodial(role),
            name,
            role,
            addresses,
        })
        .collect()
}
