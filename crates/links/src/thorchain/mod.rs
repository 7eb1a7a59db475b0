//! THORChain, both directions: inbounds (an EVM router `Deposit` event, or a Bitcoin transaction
//! paying a vault with the memo in an OP_RETURN) joined exactly to the outbounds that settle them
//! (an EVM router `TransferOut`/`TransferOutAndCall`, or a Bitcoin vault payment with
//! OP_RETURN `OUT:<inbound hash>` or `REFUND:<inbound hash>`).
//!
//! Every join is exact (the outbound names the inbound's hash), so a link has confidence 1 when
//! the router is a labelled bridge. An inbound that asks for a payout and has none in the store
//! is *pending*: reported with what it asked for, never dropped. Vault and router addresses
//! are derived from the events themselves, so the tracer recognises them without labels.

pub mod memo;
mod records;
mod settlement;

use std::collections::{BTreeMap, HashMap};

use chaintrail_core::{Address, Chain, ChainModel, TxHash};
use chaintrail_evm::events::KeptLog;
use chaintrail_labels::Category;
use chaintrail_store::ChainReader;

use crate::Services;
use crate::model::{Attribution, Findings, Link, Pending};
pub use records::MemoScan;
use records::{AssetKey, Records, input_addresses, payees};
use settlement::{Rates, SETTLED_SHARE};

/// The converter name links, pending inbounds and derived attributions carry when the labels do
/// not name the router.
pub const NAME: &str = "THORChain";
const DECODER: &str = "thorchain";

/// The recipient of a UTXO outbound and what it got: the output that does not return to the
/// vault; the memo's destination when it names one of several; else the largest.
fn utxo_recipient(
    reader: &ChainReader,
    tx: &TxHash,
    vaults: Option<&std::collections::BTreeSet<Address>>,
    destination: Option<&str>,
) -> Option<(Address, u64)> {
    let id = reader.tx_id(tx)?;
    let senders = input_addresses(reader, id);
    let mut candidates: Vec<(Address, u64)> = payees(reader, id)
        .into_iter()
        .filter(|(a, _)| !senders.contains(a) && vaults.is_none_or(|v| !v.contains(a)))
        .collect();
    if let Some(wanted) = destination.and_then(|d| Address::parse(reader.chain(), d).ok())
        && let Some(found) = candidates.iter().find(|(a, _)| *a == wanted)
    {
        return Some(found.clone());
    }
    candidates.sort_by_key(|(_, value)| std::cmp::Reverse(*value));
    candidates.into_iter().next()
}

/// The THORChain decoder over every chain of a store.
pub fn decode(
    readers: &BTreeMap<Chain, ChainReader>,
    evm_logs: &BTreeMap<Chain, Vec<KeptLog>>,
    services: &dyn Services,
) -> Findings {
    let memos = readers
        .iter()
        .filter(|(_, reader)| reader.model() == ChainModel::Utxo)
        .map(|(chain, reader)| (*chain, MemoScan::new(reader)))
        .collect();
    decode_with(readers, evm_logs, &memos, services)
}

/// The THORChain decoder over every chain of a store, given the memos of each UTXO chain (a
/// follower keeps them from block to block).
pub fn decode_with(
    readers: &BTreeMap<Chain, ChainReader>,
    evm_logs: &BTreeMap<Chain, Vec<KeptLog>>,
    memos: &BTreeMap<Chain, MemoScan>,
    services: &dyn Services,
) -> Findings {
    let mut records = Records::default();
    for logs in evm_logs.values() {
        for log in logs {
            records.read_evm_log(log);
        }
    }
    for (chain, memos) in memos {
        if let Some(reader) = readers.get(chain) {
            records.read_utxo_chain(reader, memos);
        }
    }
    join(records, readers, services)
}

/// How much a link through `router` can be trusted: a labelled bridge is THORChain's own
/// router; anything else merely emits events of the same shape.
fn router_confidence(chain: Chain, router: Option<&Address>, services: &dyn Services) -> f64 {
    match router {
        Some(router) => match services.service(chain, router) {
            Some((Category::Bridge, _)) => 1.0,
            _ => 0.9,
        },
        None => 1.0,
    }
}

/// One payout of an inbound: its asset and amount, and whether it refunds.
struct Payout {
    asset: AssetKey,
    amount: Option<u128>,
    refund: bool,
}

fn join(
    mut records: Records,
    readers: &BTreeMap<Chain, ChainReader>,
    services: &dyn Services,
) -> Findings {
    let mut findings = Findings {
        decoded: records.decoded,
        unmatched: records.unreadable,
        ..Findings::default()
    };
    // Named as the investigator's labels name the router, so that every part of THORChain
    // (router, vaults on every chain) is one entity in reports.
    let via: String = records
        .routers
        .iter()
        .flat_map(|(chain, routers)| routers.iter().map(move |r| (*chain, r)))
        .find_map(|(chain, router)| match services.service(chain, router) {
            Some((Category::Bridge, name)) => Some(name),
            _ => None,
        })
        .unwrap_or_else(|| NAME.to_string());
    let mut by_hash: HashMap<[u8; 32], Vec<usize>> = HashMap::new();
    for (i, inbound) in records.inbounds.iter().enumerate() {
        by_hash.entry(inbound.tx.0).or_default().push(i);
    }
    let mut payouts: Vec<Vec<Payout>> = records.inbounds.iter().map(|_| Vec::new()).collect();
    for outbound in &mut records.outbounds {
        let Some(matches) = by_hash.get(&outbound.inbound) else {
            // The inbound is on a chain the store does not hold.
            findings.unmatched += 1;
            continue;
        };
        for &i in matches {
            let inbound = &records.inbounds[i];
            if outbound.to.is_none()
                && let Some(reader) = readers.get(&outbound.chain)
            {
                let destination = (!outbound.refund)
                    .then(|| inbound.parsed.destination())
                    .flatten();
                if let Some((to, value)) = utxo_recipient(
                    reader,
                    &outbound.tx,
                    records.vaults.get(&outbound.chain),
                    destination,
                ) {
                    outbound.to = Some(to);
                    outbound.amount = Some(u128::from(value));
                }
            }
            payouts[i].push(Payout {
                asset: outbound.asset.clone(),
                amount: outbound.amount,
                refund: outbound.refund,
            });
            let confidence =
                router_confidence(inbound.chain, inbound.router.as_ref(), services).min(
                    router_confidence(outbound.chain, outbound.router.as_ref(), services),
                );
            findings.links.push(Link {
                share: 1.0,
                kind: if outbound.refund {
                    "bridge refund".to_string()
                } else {
                    "bridge".to_string()
                },
                via: via.clone(),
                decoder: DECODER.to_string(),
                from_chain: inbound.chain,
                from_tx: inbound.tx,
                to_chain: outbound.chain,
                to_tx: outbound.tx,
                to_address: outbound.to.as_ref().map(ToString::to_string),
                confidence,
                evidence: format!(
                    "memo {} answers inbound memo {}",
                    outbound.memo, inbound.memo
                ),
            });
        }
    }
    // The rates of settled single-payout swaps measure what multi-payout ones still owe.
    let mut rates = Rates::default();
    for (inbound, paid) in records.inbounds.iter().zip(&payouts) {
        if let [
            Payout {
                asset,
                amount: Some(amount),
                refund: false,
            },
        ] = paid.as_slice()
        {
            rates.observe(inbound, asset, *amount);
        }
    }
    rates.finish();
    for (inbound, paid) in records.inbounds.iter().zip(&payouts) {
        let (remaining, why) = if paid.iter().any(|p| p.refund) {
            continue;
        } else if paid.is_empty() {
            if !inbound.parsed.expects_outbound() {
                continue;
            }
            (
                1.0,
                format!(
                    "no OUT:{} payout in the store",
                    hex::encode_upper(inbound.tx.0)
                ),
            )
        } else {
            let asset = &paid[0].asset;
            let total: Option<u128> = paid
                .iter()
                .map(|p| (p.asset == *asset).then_some(p.amount).flatten())
                .sum();
            let Some(share) = total.and_then(|t| rates.settled_share(inbound, asset, t)) else {
                continue;
            };
            if share >= SETTLED_SHARE {
                continue;
            }
            (
                1.0 - share,
                format!(
                    "{} payout(s) in the store settle about {:.0}% of it at THORChain's rate on that route",
                    paid.len(),
                    100.0 * share
                ),
            )
        };
        let asked = match (inbound.parsed.asset(), inbound.parsed.destination()) {
            (Some(asset), Some(dest)) => format!(" (asks for {asset} to {dest})"),
            _ => String::new(),
        };
        let held = inbound
            .vault
            .as_ref()
            .map(|v| format!(", held by vault {v}"))
            .unwrap_or_default();
        findings.pending.push(Pending {
            kind: "bridge".to_string(),
            via: via.clone(),
            decoder: DECODER.to_string(),
            chain: inbound.chain,
            tx: inbound.tx,
            time: inbound.time,
            remaining,
            evidence: format!("inbound memo {}{asked}{held}; {why}", inbound.memo),
        });
    }
    findings.attributions = attributions(&records, &payouts, &via, services);
    findings
}

/// Addresses seen acting as THORChain: vaults (by the events and the payouts they sign, with
/// most confidence; by the inbounds they received, settled or pending), routers.
fn attributions(
    records: &Records,
    payouts: &[Vec<Payout>],
    via: &str,
    services: &dyn Services,
) -> Vec<Attribution> {
    let mut derived: BTreeMap<(Chain, Address), (f64, &str)> = BTreeMap::new();
    let mut note = |chain: Chain, address: &Address, confidence: f64, evidence: &'static str| {
        let slot = derived
            .entry((chain, address.clone()))
            .or_insert((confidence, evidence));
        if confidence > slot.0 {
            *slot = (confidence, evidence);
        }
    };
    for (inbound, paid) in records.inbounds.iter().zip(payouts) {
        if let (Some(vault), None) = (&inbound.vault, &inbound.router) {
            let (confidence, evidence) = if paid.is_empty() {
                (
                    0.8,
                    "THORChain vault: received an inbound with a THORChain memo",
                )
            } else {
                (
                    0.95,
                    "THORChain vault: received an inbound that a THORChain payout settles",
                )
            };
            note(inbound.chain, vault, confidence, evidence);
        }
    }
    for (chain, addresses) in &records.vaults {
        for address in addresses {
            note(
                *chain,
                address,
                0.95,
                "THORChain vault: named by router events or signs OUT:/REFUND:/MIGRATE payouts",
            );
        }
    }
    for (chain, addresses) in &records.routers {
        for address in addresses {
            note(
                *chain,
                address,
                0.95,
                "emits THORChain router Deposit/TransferOut events",
            );
        }
    }
    derived
        .into_iter()
        .filter(|((chain, address), _)| services.service(*chain, address).is_none())
        .map(|((chain, address), (confidence, evidence))| Attribution {
            chain,
            address: address.to_string(),
            role: Category::Bridge,
            name: via.to_string(),
            detector: DECODER.to_string(),
            confidence,
            evidence: evidence.to_string(),
        })
        .collect()
}
