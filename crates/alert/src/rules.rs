//! The rules, evaluated over the blocks `from..=to` of one chain: which watch entries the
//! parties of each new transfer (or UTXO transaction) match, and which tainted movements of the
//! watched cases lie in those blocks. The alerts come out without ids; the outbox gives them.

use std::collections::{BTreeMap, HashMap};
use std::ops::RangeInclusive;

use chaintrail_cluster::Clusters;
use chaintrail_core::{Address, Amount, Chain, ChainModel, TransferKind};
use chaintrail_follow::{FOLLOW_CURSOR, FollowCursor};
use chaintrail_labels::Category;
use chaintrail_store::{ChainReader, TransferView, TxId};
use chaintrail_trace::{
    Attribution, Entity, LinkSet, MoveCause, MovedRecord, PathStep, Policy, Prices, Role, Seed,
    TaintedMoves, TraceError, TraceRequest, Value, trace_moves,
};

use crate::AlertError;
use crate::alert::{Alert, AlertBlock, AlertKind, AlertWatch, Party, Rule, Side};
use crate::watchlist::{CaseTrace, WatchEntry, WatchTarget};

/// What the rules read besides the store.
pub(crate) struct Context<'a> {
    pub readers: &'a BTreeMap<Chain, ChainReader>,
    pub attribution: &'a dyn Attribution,
    pub clusters: &'a Clusters,
    pub links: &'a LinkSet,
    pub prices: &'a Prices,
}

/// A watch entry matched, and how sure the match is (a derived label's confidence).
type Match<'w> = (&'w WatchEntry, f64);

/// The alerts of blocks `from..=to` of `chain`, in block order.
pub(crate) fn evaluate(
    context: &Context<'_>,
    entries: &[WatchEntry],
    chain: Chain,
    heights: RangeInclusive<u64>,
) -> Result<Vec<Alert>, AlertError> {
    let Some(reader) = context.readers.get(&chain) else {
        return Ok(Vec::new());
    };
    let blocks = block_indexes(reader, &heights);
    if blocks.is_empty() {
        return Ok(Vec::new());
    }
    let mut rules = Rules {
        context,
        chain,
        reader,
        block_hashes: followed_block_hashes(reader, chain),
        entities: HashMap::new(),
        watched: Watched::new(context, chain, reader, entries),
        alerts: Vec::new(),
    };
    let last_block_time = reader.block_effective_time(blocks.end - 1);
    for entry in entries {
        if let WatchTarget::Case(case) = &entry.target {
            rules.case(entry, case, &heights, last_block_time)?;
        }
    }
    for block in blocks {
        for tx in reader.block_txs(block) {
            match chain.model() {
                ChainModel::Account => rules.account_tx(tx),
                ChainModel::Utxo => rules.utxo_tx(tx),
            }
        }
    }
    let mut alerts = rules.alerts;
    // Block order, so deliveries follow the chain (a stable sort: within a block, the cases'
    // alerts in trace order, then the others in store order).
    alerts.sort_by_key(|a| a.block.number);
    Ok(alerts)
}

/// The hashes of the blocks a follower applied, as the store's checkpoints keep them with the
/// follow cursor (the last `CHECKPOINTS_KEPT` blocks; a rollback drops those of orphaned
/// blocks), written as the chain writes them: `0x…` on EVM chains, Bitcoin's reversed hex.
fn followed_block_hashes(reader: &ChainReader, chain: Chain) -> HashMap<u64, String> {
    let mut hashes = HashMap::new();
    for checkpoint in reader.checkpoints() {
        let cursor = FollowCursor::from_value(checkpoint.cursor(FOLLOW_CURSOR));
        if let Some((height, mut hash)) = cursor.and_then(|c| Some((c.height, c.hash_bytes()?))) {
            let text = match chain.model() {
                ChainModel::Account => format!("0x{}", hex::encode(hash)),
                ChainModel::Utxo => {
                    hash.reverse();
                    hex::encode(hash)
                }
            };
            hashes.insert(height, text);
        }
    }
    hashes
}

/// Indexes of the stored blocks with a height in `heights` (heights ascend in the store).
fn block_indexes(reader: &ChainReader, heights: &RangeInclusive<u64>) -> std::ops::Range<usize> {
    let first_at_least = |height: u64| {
        let (mut lo, mut hi) = (0, reader.block_count());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if reader.block(mid).height < height {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let start = first_at_least(*heights.start());
    let end = match heights.end().checked_add(1) {
        Some(after) => first_at_least(after),
        None => reader.block_count(),
    };
    start..end.max(start)
}

fn is_sanctioned(entity: &Entity) -> bool {
    entity.category == Some(Category::Sanctioned) || entity.flags.contains(&Category::Sanctioned)
}

/// A service tainted value must not reach unnoticed: a custodian that can freeze (exchange and
/// its deposit addresses, OTC desk, …) or a bridge or mixer. DEXes are not: the trace converts
/// through them and follows the proceeds.
fn is_service(entity: &Entity) -> bool {
    match entity.category {
        Some(Category::Bridge | Category::Mixer) => true,
        Some(_) => entity.role() == Role::Stop,
        None => false,
    }
}

/// A derived attribution (deposit detection, cluster propagation) is only as sure as its
/// evidence; a label an investigator imported is taken as given.
fn attribution_confidence(entity: &Entity) -> f64 {
    if entity.evidence.is_some() {
        f64::from(entity.confidence) / 100.0
    } else {
        1.0
    }
}

/// Which watch entries an address of the chain matches.
struct Watched<'w> {
    addresses: HashMap<u32, Vec<&'w WatchEntry>>,
    entities: Vec<(String, &'w WatchEntry)>,
    clusters: Vec<(u32, &'w WatchEntry)>,
    /// Tainted holders of each case (address id → cases), filled by [`Rules::case`].
    holders: HashMap<u32, Vec<Match<'w>>>,
}

impl<'w> Watched<'w> {
    fn new(
        context: &Context<'_>,
        chain: Chain,
        reader: &ChainReader,
        entries: &'w [WatchEntry],
    ) -> Watched<'w> {
        let mut watched = Watched {
            addresses: HashMap::new(),
            entities: Vec::new(),
            clusters: Vec::new(),
            holders: HashMap::new(),
        };
        let address_id = |text: &str| {
            Address::parse(chain, text)
                .ok()
                .and_then(|a| reader.address_id(&a))
        };
        for entry in entries {
            match &entry.target {
                WatchTarget::Address { chain: of, address } if *of == chain => {
                    if let Some(id) = address_id(address) {
                        watched.addresses.entry(id).or_default().push(entry);
                    }
                }
                WatchTarget::Entity { name } => {
                    watched.entities.push((name.to_lowercase(), entry));
                }
                WatchTarget::Cluster { chain: of, address } if *of == chain => {
                    let cluster = Address::parse(chain, address)
                        .ok()
                        .and_then(|a| context.clusters.cluster_of(chain, &a));
                    match cluster {
                        Some(info) => watched.clusters.push((info.cluster, entry)),
                        // Not clustered yet: the address alone is its cluster.
                        None => {
                            if let Some(id) = address_id(address) {
                                watched.addresses.entry(id).or_default().push(entry);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        watched
    }
}

struct Rules<'c, 'w> {
    context: &'c Context<'c>,
    chain: Chain,
    reader: &'c ChainReader,
    /// The hash of each block a follower applied within the store's reorg window.
    block_hashes: HashMap<u64, String>,
    /// The entity of each address met, looked up once.
    entities: HashMap<u32, Option<Entity>>,
    watched: Watched<'w>,
    alerts: Vec<Alert>,
}

/// Where an alert points in its transaction.
#[derive(Clone, Copy)]
struct Place {
    tx: TxId,
    side: Side,
    position: u32,
}

/// The parties, value and provenance of one alert.
struct Finding {
    holder: Option<u32>,
    counterparty: Option<u32>,
    asset: u32,
    amount: Amount,
    path: Vec<PathStep>,
    confidence: f64,
}

impl<'w> Rules<'_, 'w> {
    fn entity(&mut self, address: u32) -> Option<Entity> {
        if let Some(known) = self.entities.get(&address) {
            return known.clone();
        }
        let entity = self
            .reader
            .address(address)
            .and_then(|a| self.context.attribution.entity(self.chain, &a));
        self.entities.insert(address, entity.clone());
        entity
    }

    /// The address, entity and cluster entries `address` matches (cases not included).
    fn matches(&mut self, address: u32) -> Vec<Match<'w>> {
        let mut found: Vec<Match<'w>> = self
            .watched
            .addresses
            .get(&address)
            .map(|entries| entries.iter().map(|e| (*e, 1.0)).collect())
            .unwrap_or_default();
        if !self.watched.entities.is_empty()
            && let Some(entity) = self.entity(address)
        {
            let name = entity.name.to_lowercase();
            let confidence = attribution_confidence(&entity);
            found.extend(
                self.watched
                    .entities
                    .iter()
                    .filter(|(watched, _)| *watched == name)
                    .map(|(_, entry)| (*entry, confidence)),
            );
        }
        if !self.watched.clusters.is_empty()
            && let Some(info) = self
                .reader
                .address(address)
                .and_then(|a| self.context.clusters.cluster_of(self.chain, &a))
        {
            let confidence = info.joined_by.as_ref().map_or(1.0, |j| j.confidence);
            found.extend(
                self.watched
                    .clusters
                    .iter()
                    .filter(|(cluster, _)| *cluster == info.cluster)
                    .map(|(_, entry)| (*entry, confidence)),
            );
        }
        found
    }

    /// [`Self::matches`] plus the cases `address` is a tainted holder of.
    fn matches_with_cases(&mut self, address: u32) -> Vec<Match<'w>> {
        let mut found = self.matches(address);
        if let Some(cases) = self.watched.holders.get(&address) {
            found.extend(cases.iter().copied());
        }
        found
    }

    fn party(&mut self, address: u32) -> Option<Party> {
        let text = self.reader.address(address)?.to_string();
        let entity = self.entity(address);
        Some(Party {
            address: text,
            entity: entity.as_ref().map(|e| e.name.clone()),
            category: entity
                .as_ref()
                .and_then(|e| e.category)
                .map(|c| c.to_string()),
            flags: entity.map_or_else(Vec::new, |e| {
                e.flags.iter().map(|f| f.to_string()).collect()
            }),
        })
    }

    fn raise(&mut self, rule: Rule, entry: &WatchEntry, place: Place, finding: Finding) {
        let block = self.reader.tx_block(place.tx);
        let tx = match self.chain.model() {
            ChainModel::Account => self.reader.tx_hash(place.tx).to_hex_prefixed(),
            ChainModel::Utxo => self.reader.tx_hash(place.tx).to_hex(),
        };
        let holder = finding.holder.and_then(|a| self.party(a));
        let counterparty = finding.counterparty.and_then(|a| self.party(a));
        self.alerts.push(Alert {
            id: String::new(),
            kind: AlertKind::Raised,
            retracts: None,
            rule,
            watch: AlertWatch {
                id: entry.id.clone(),
                describes: entry.target.describe(),
            },
            chain: self.chain,
            block: AlertBlock {
                number: block.height,
                hash: self.block_hashes.get(&block.height).cloned(),
                timestamp: block.timestamp,
            },
            tx,
            side: place.side,
            position: place.position,
            holder,
            counterparty,
            amount: Value::of(
                self.context.readers,
                self.context.prices,
                self.chain,
                finding.asset,
                finding.amount,
                block.timestamp,
            ),
            path: finding.path,
            confidence: finding.confidence,
            revision: 0,
        });
    }

    // ---- cases ----

    /// Trace the case over the store up to the new blocks; raise its rules on the movements in
    /// them, and remember its tainted holders for the sanctioned-counterparty rule.
    fn case(
        &mut self,
        entry: &'w WatchEntry,
        case: &CaseTrace,
        heights: &RangeInclusive<u64>,
        until: u64,
    ) -> Result<(), AlertError> {
        let trace_err = |source| AlertError::Trace {
            watch: entry.id.clone(),
            source,
        };
        let seeds = case
            .seeds
            .iter()
            .map(|s| s.parse::<Seed>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(trace_err)?;
        let policy: Policy = case
            .policy
            .parse()
            .map_err(|e| AlertError::BadWatch(format!("case {}: {e}", entry.id)))?;
        let request = TraceRequest {
            seeds,
            policy,
            max_hops: case.max_hops,
            min_value: case.min_value.clone(),
            until: Some(until),
            ..TraceRequest::default()
        };
        let moves = match trace_moves(
            self.context.readers,
            self.context.attribution,
            &[self.context.links],
            &request,
        ) {
            Ok(moves) => moves,
            // The seed is not in the store yet (a case opened before its blocks arrive): the
            // case has no holders yet, and its seed's block will be evaluated when it comes.
            Err(TraceError::BadSeed(why)) => {
                tracing::info!(watch = %entry.id, "case not traced yet: {why}");
                return Ok(());
            }
            Err(TraceError::UnknownChain(chain)) => {
                tracing::info!(watch = %entry.id, "case not traced yet: no data for {chain}");
                return Ok(());
            }
            Err(e) => return Err(trace_err(e)),
        };
        self.case_moves(entry, &moves, heights);
        Ok(())
    }

    fn case_moves(
        &mut self,
        entry: &'w WatchEntry,
        moves: &TaintedMoves,
        heights: &RangeInclusive<u64>,
    ) {
        let (reader, chain) = (self.reader, self.chain);
        for tainted in moves.iter().filter(|m| m.chain == chain) {
            let Some(tx) = moves.tx(reader, tainted.index) else {
                continue;
            };
            let recipient = moves.recipient(reader, tainted.index);
            let recipient_entity = recipient.and_then(|r| self.entity(r));
            let at_service = recipient_entity.as_ref().is_some_and(is_service);
            if let Some(holder) = recipient.filter(|_| !at_service) {
                self.watched
                    .holders
                    .entry(holder)
                    .or_default()
                    .push((entry, tainted.confidence));
            }
            if !heights.contains(&reader.tx_block(tx).height) {
                continue;
            }
            let place = match tainted.record {
                MovedRecord::Transfer(row) => match reader.transfer(row) {
                    Some(t) if is_gas(&t) => continue,
                    Some(t) => Place {
                        tx,
                        side: Side::Transfer,
                        position: t.position,
                    },
                    None => continue,
                },
                MovedRecord::Output(row) => match reader.output(row) {
                    Some(o) => Place {
                        tx,
                        side: Side::Output,
                        position: o.vout,
                    },
                    None => continue,
                },
            };
            let path = moves.path(self.context.readers, self.context.prices, tainted.index);
            let finding = |confidence| Finding {
                holder: moves.sender(reader, tainted.index),
                counterparty: recipient,
                asset: tainted.asset,
                amount: tainted.taint,
                path: path.clone(),
                confidence,
            };
            if tainted.cause == MoveCause::Holder {
                self.raise(
                    Rule::TaintedHolderSends,
                    entry,
                    place,
                    finding(tainted.confidence),
                );
            }
            if let Some(service) = recipient_entity.filter(is_service) {
                let confidence = tainted.confidence * attribution_confidence(&service);
                self.raise(
                    Rule::TaintedReachesService,
                    entry,
                    place,
                    finding(confidence),
                );
            }
        }
    }

    // ---- transfers of account chains ----

    fn account_tx(&mut self, tx: TxId) {
        for row in self.reader.tx_transfers(tx) {
            let Some(t) = self.reader.transfer(row) else {
                continue;
            };
            if !t.success || is_gas(&t) || t.amount.is_zero() {
                continue;
            }
            let place = Place {
                tx,
                side: Side::Transfer,
                position: t.position,
            };
            let finding = |holder, counterparty, confidence| Finding {
                holder: Some(holder),
                counterparty: Some(counterparty),
                asset: t.asset,
                amount: t.amount,
                path: Vec::new(),
                confidence,
            };
            for (entry, confidence) in self.matches(t.from) {
                self.raise(
                    Rule::WatchedSends,
                    entry,
                    place,
                    finding(t.from, t.to, confidence),
                );
            }
            for (watched, other) in [(t.from, t.to), (t.to, t.from)] {
                let Some(sanctioned) = self.entity(other).filter(is_sanctioned) else {
                    continue;
                };
                for (entry, confidence) in self.matches_with_cases(watched) {
                    let confidence = confidence * attribution_confidence(&sanctioned);
                    self.raise(
                        Rule::SanctionedCounterparty,
                        entry,
                        place,
                        finding(watched, other, confidence),
                    );
                }
            }
        }
    }

    // ---- transactions of UTXO chains ----

    fn utxo_tx(&mut self, tx: TxId) {
        let reader = self.reader;
        // (side, position, address, value) of every input and output with an address.
        let mut records = Vec::new();
        for (position, row) in reader.tx_inputs(tx).enumerate() {
            if let Some(input) = reader.input(row)
                && let Some(address) = input.address
            {
                let value = input.value.unwrap_or(0);
                records.push((Side::Input, position as u32, address, value));
            }
        }
        for row in reader.tx_outputs(tx) {
            if let Some(output) = reader.output(row) {
                records.push((Side::Output, output.vout, output.address, output.value));
            }
        }
        // Watched senders: one alert per entry, at its first input, for all its inputs' value.
        let mut sent: BTreeMap<String, (Place, u32, u64, f64, &'w WatchEntry)> = BTreeMap::new();
        for &(side, position, address, value) in &records {
            if side != Side::Input {
                continue;
            }
            for (entry, confidence) in self.matches(address) {
                let slot = sent.entry(entry.id.clone()).or_insert((
                    Place { tx, side, position },
                    address,
                    0,
                    confidence,
                    entry,
                ));
                slot.2 = slot.2.saturating_add(value);
            }
        }
        for (place, holder, value, confidence, entry) in sent.into_values() {
            self.raise(
                Rule::WatchedSends,
                entry,
                place,
                Finding {
                    holder: Some(holder),
                    counterparty: None,
                    asset: 0,
                    amount: Amount::from_u64(value),
                    path: Vec::new(),
                    confidence,
                },
            );
        }
        // A sanctioned party on either side of a transaction with a watched one.
        let sanctioned: Vec<_> = records
            .iter()
            .filter_map(|&(side, position, address, value)| {
                let entity = self.entity(address).filter(is_sanctioned)?;
                Some((side, position, address, value, entity))
            })
            .collect();
        if sanctioned.is_empty() {
            return;
        }
        let mut watched: BTreeMap<String, (u32, f64, &'w WatchEntry)> = BTreeMap::new();
        for &(_, _, address, _) in &records {
            for (entry, confidence) in self.matches_with_cases(address) {
                watched
                    .entry(entry.id.clone())
                    .or_insert((address, confidence, entry));
            }
        }
        for (side, position, address, value, entity) in sanctioned {
            for &(holder, confidence, entry) in watched.values() {
                if holder == address {
                    continue;
                }
                self.raise(
                    Rule::SanctionedCounterparty,
                    entry,
                    Place { tx, side, position },
                    Finding {
                        holder: Some(holder),
                        counterparty: Some(address),
                        asset: 0,
                        amount: Amount::from_u64(value),
                        path: Vec::new(),
                        confidence: confidence * attribution_confidence(&entity),
                    },
                );
            }
        }
    }
}

/// The store's asset id of a chain's native coin.
const NATIVE_COIN: u32 = 0;

/// Gas paid is no movement of funds: the priority fee to the block's fee recipient, and the
/// base and blob fees burnt (a burn of the native coin is always gas on an account chain; token
/// burns stay movements).
fn is_gas(transfer: &TransferView) -> bool {
    transfer.kind == TransferKind::Fee
        || (transfer.kind == TransferKind::Burn && transfer.asset == NATIVE_COIN)
}
