//! Who an address belongs to, and what that means for a trace: keep going, stop and record
//! exposure, or pass the value through a converter.

use std::collections::HashMap;

use chaintrail_core::{Address, Chain};
use chaintrail_labels::{Category, LabelStore};
use serde::Serialize;

/// The entity behind an address: what it does (its role: exchange, mixer, bridge, …), which
/// decides what a trace does there, and what it is marked as (its flags: sanctioned, hack, …),
/// which a trace reports but never acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    /// The entity's name.
    pub name: String,
    /// The role (shown as the endpoint's category and grouped on in `by_entity`); `None` for an
    /// address with flags only (a thief's wallet, a sanctioned actor's own wallet).
    pub category: Option<Category>,
    /// Flags in force, riskiest first.
    pub flags: Vec<Category>,
    /// Why the role is believed, when the labels say (labels derived from chain data).
    pub evidence: Option<String>,
    /// Confidence 0..=100 of the role claim (of the strongest flag claim without a role).
    pub confidence: u8,
}

impl Entity {
    /// An entity known for certain to have `role` and no flags.
    pub fn with_role(name: &str, role: Category) -> Entity {
        Entity {
            name: name.to_string(),
            category: Some(role),
            flags: Vec::new(),
            evidence: None,
            confidence: 100,
        }
    }

    /// What a trace does at this entity: decided by its role alone.
    pub fn role(&self) -> Role {
        self.category.map_or(Role::Continue, role)
    }
}

/// What a trace does when taint reaches an address of this category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Follow the funds on (users, thieves, unknown, sanctioned actors' own wallets).
    Continue,
    /// A service that holds customers' funds and can freeze them: stop, record exposure.
    Stop,
    /// Value changes asset or chain here (DEX, bridge, mixer): pass it through a converter if one
    /// applies, otherwise stop and report that it entered.
    Convert,
}

/// What a trace does at an address whose role is `category`. Flags (sanctioned, hack, …) and
/// `other` are not roles: such addresses are traced through.
pub fn role(category: Category) -> Role {
    match category {
        Category::Exchange
        | Category::WalletService
        | Category::Otc
        | Category::Market
        | Category::Gambling
        | Category::Service
        | Category::Miner
        | Category::Darknet => Role::Stop,
        Category::Dex | Category::Bridge | Category::Mixer => Role::Convert,
        _ => Role::Continue,
    }
}

/// A source of entity names for addresses.
pub trait Attribution {
    /// The entity holding `address` on `chain`, if known.
    fn entity(&self, chain: Chain, address: &Address) -> Option<Entity>;
}

/// No labels: everything is traced through.
pub struct NoAttribution;

impl Attribution for NoAttribution {
    fn entity(&self, _: Chain, _: &Address) -> Option<Entity> {
        None
    }
}

/// The label store: the address's labels resolved ([`LabelStore::resolve`], now): the strongest
/// role claim names the entity and decides what the trace does; the flags in force come along.
/// Labels for the same chain decide the role; a label for the same address on a sibling chain
/// applies when none of them claims one (a Bitcoin address's text already names its network; an
/// EVM key is the same account on every EVM chain, which is how explorers' cross-chain labels
/// are meant). An address with neither a role nor a flag is not an entity.
impl Attribution for LabelStore {
    fn entity(&self, chain: Chain, address: &Address) -> Option<Entity> {
        let resolved = self.resolve(chain, &address.to_string(), None)?;
        let flags = resolved.flags_on(None);
        let confidence = match &resolved.role {
            Some(claim) => claim.confidence,
            None => resolved.flags.iter().map(|f| f.confidence).max()?,
        };
        let category = resolved.role_category();
        let evidence = resolved.role.and_then(|claim| claim.evidence);
        Some(Entity {
            name: resolved.name,
            category,
            flags,
            evidence,
            confidence,
        })
    }
}

/// A fixed map, for tests and for worlds whose attribution is known (the simulator's).
#[derive(Default)]
pub struct StaticAttribution {
    entities: HashMap<(Chain, Address), Entity>,
}

impl StaticAttribution {
    /// Name the entity holding `address` on `chain`.
    pub fn insert(&mut self, chain: Chain, address: Address, entity: Entity) {
        self.entities.insert((chain, address), entity);
    }
}

impl Attribution for StaticAttribution {
    fn entity(&self, chain: Chain, address: &Address) -> Option<Entity> {
        self.entities.get(&(chain, address.clone())).cloned()
    }
}

/// Labels, then clusters: an address without a role label whose cluster carries a service label
/// is that service's (docs/clustering.md), so a trace stops at any address of an exchange's
/// cluster — its unlabelled wallet and deposit addresses — and says which merge put it there.
pub struct WithClusters<'a> {
    /// The labels asked first.
    pub labels: &'a dyn Attribution,
    /// The store's clusters.
    pub clusters: &'a chaintrail_cluster::Clusters,
}

impl Attribution for WithClusters<'_> {
    fn entity(&self, chain: Chain, address: &Address) -> Option<Entity> {
        let direct = self.labels.entity(chain, address);
        if direct.as_ref().is_some_and(|e| e.category.is_some()) {
            return direct;
        }
        let Some(info) = self.clusters.cluster_of(chain, address) else {
            return direct;
        };
        let Some(label) = info.label else {
            return direct;
        };
        let how = info.joined_by.as_ref().map_or_else(String::new, |j| {
            format!(" via {} in tx {}", j.heuristic.name(), j.tx)
        });
        Some(Entity {
            name: label.name.clone(),
            category: Some(label.role),
            flags: direct.map(|d| d.flags).unwrap_or_default(),
            evidence: Some(format!(
                "cluster of {} (labelled address {}){how}",
                label.name, label.labelled_address
            )),
            confidence: info
                .joined_by
                .map_or(100, |j| (j.confidence * 100.0).round() as u8),
        })
    }
}

/// Entities of store addresses, looked up once per address.
pub(crate) struct Entities<'a> {
    attribution: &'a dyn Attribution,
    cache: HashMap<(Chain, u32), Option<Entity>>,
}

impl<'a> Entities<'a> {
    pub fn new(attribution: &'a dyn Attribution) -> Entities<'a> {
        Entities {
            attribution,
            cache: HashMap::new(),
        }
    }

    pub fn get(
        &mut self,
        chain: Chain,
        reader: &chaintrail_store::ChainReader,
        address: u32,
    ) -> Option<Entity> {
        if let Some(known) = self.cache.get(&(chain, address)) {
            return known.clone();
        }
        let entity = reader
            .address(address)
            .and_then(|a| self.attribution.entity(chain, &a));
        self.cache.insert((chain, address), entity.clone());
        entity
    }
}
