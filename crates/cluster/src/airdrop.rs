//! Airdrop multi-participation (Victor, FC 2020; methods.md §2.4): a farmer claims one airdrop
//! from many sybil addresses and gathers the tokens at one address. The addresses forwarding an
//! airdrop's token to the same aggregator are the aggregator's owner.
//!
//! - An **airdrop** is a sender paying the same amount of one token to at least
//!   [`AirdropSettings::min_recipients`] distinct addresses (etherclust: 1,000) in a burst: the
//!   median gap between the blocks of consecutive payments is at most
//!   [`AirdropSettings::max_median_gap`] blocks (etherclust: 2).
//! - A recipient **forwards** the token to an aggregator in a transaction it signed (it paid the
//!   fee) that pays nothing back to it — a swap returns another asset in the same transaction
//!   and is a sale, not a gathering.
//! - An aggregator gathering from two or more recipients of one airdrop is a **farm**; each
//!   forward is a merge of the recipient with the aggregator.
//!
//! Labelled services, detected deposit addresses and the distributor itself are never
//! aggregators or recipients. Detection looks at the whole chain up to a transaction, so an
//! update compares the farms before and after the appended transactions.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chaintrail_core::{Amount, TransferKind};
use chaintrail_store::schema::unpack_meta;
use chaintrail_store::{ChainReader, Extent, TransferView, TxId};

use crate::settings::AirdropSettings;

/// The confidence of an airdrop merge: weaker than deposit reuse (an unlabelled service paying
/// many users the same amount can look like a distributor).
pub const AIRDROP_CONFIDENCE: f64 = 0.7;
/// A farm gathers from at least this many recipients.
const MIN_FORWARDERS: usize = 2;

/// One recipient's forward of the airdropped token to the aggregator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forward {
    /// The recipient's address id.
    pub recipient: u32,
    /// The transaction that forwarded.
    pub tx: TxId,
    /// Its block timestamp.
    pub time: u64,
}

/// An aggregator gathering one airdrop's token from several of its recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Farm {
    /// Who paid the airdrop.
    pub distributor: u32,
    /// The token's asset id.
    pub asset: u32,
    /// Where the recipients sent it.
    pub aggregator: u32,
    /// The first forward of each recipient, in transaction order.
    pub forwards: Vec<Forward>,
}

impl Farm {
    /// What identifies a farm across updates.
    pub fn key(&self) -> (u32, u32, u32) {
        (self.distributor, self.asset, self.aggregator)
    }
}

/// The first transfer row of transaction `tx`, or the chain's transfer count past its end.
pub fn row_limit(reader: &ChainReader, tx: TxId) -> u64 {
    if tx >= reader.tx_count() {
        reader.transfer_count()
    } else {
        reader.tx_transfers(tx).start
    }
}

/// The farms of `reader`'s chain over transactions before `before`, in (distributor, asset,
/// aggregator) order, among the `distributors` of those transactions ([`TokenSenders`]);
/// `excluded` addresses are neither recipients nor aggregators.
pub fn farms(
    reader: &ChainReader,
    settings: &AirdropSettings,
    excluded: &HashSet<u32>,
    before: TxId,
    distributors: &[u32],
) -> Vec<Farm> {
    let limit = row_limit(reader, before);
    let mut found = Vec::new();
    for &distributor in distributors {
        for (asset, recipients) in drops(reader, settings, distributor, limit) {
            found.extend(gathered(
                reader,
                excluded,
                limit,
                distributor,
                asset,
                &recipients,
            ));
        }
    }
    found.sort_by_key(Farm::key);
    found
}

/// Successful token transfers per sender over the first rows of a chain: the senders of at
/// least [`AirdropSettings::min_recipients`] are the only addresses that can have paid an
/// airdrop. Kept from one update to the next (a follower keeps them), it reads only the
/// transfers appended since; otherwise it counts from the chain's start, once for both limits.
#[derive(Debug, Clone, Default)]
pub struct TokenSenders {
    /// The chain counted, as it was.
    extent: Option<Extent>,
    threshold: u32,
    /// Rows counted: `0..rows`.
    rows: u64,
    counts: HashMap<u32, u32>,
    /// Senders at or above the threshold, in address order.
    heavy: BTreeSet<u32>,
}

impl TokenSenders {
    /// The distributors (not `excluded`) of the rows before `from` and before `to`, both in
    /// address order.
    pub fn distributors(
        &mut self,
        reader: &ChainReader,
        settings: &AirdropSettings,
        excluded: &HashSet<u32>,
        (from, to): (u64, u64),
    ) -> (Vec<u32>, Vec<u32>) {
        let continues = self.threshold == settings.min_recipients
            && self.rows == from
            && self.extent.is_some_and(|e| reader.extends(&e));
        if !continues {
            *self = TokenSenders {
                threshold: settings.min_recipients,
                ..TokenSenders::default()
            };
            self.count(reader, from);
        }
        let unexcluded = |heavy: &BTreeSet<u32>| -> Vec<u32> {
            heavy
                .iter()
                .copied()
                .filter(|a| !excluded.contains(a))
                .collect()
        };
        let before = unexcluded(&self.heavy);
        self.count(reader, to);
        self.extent = Some(reader.extent());
        (before, unexcluded(&self.heavy))
    }

    /// Count the rows from where the count stands to `limit`: one pass over the sender and
    /// meta columns.
    fn count(&mut self, reader: &ChainReader, limit: u64) {
        let columns = reader.transfer_columns();
        let (Ok(from), Ok(meta)) = (columns.from.all(), columns.meta.all()) else {
            return;
        };
        let end = usize::try_from(limit).unwrap_or(usize::MAX).min(from.len());
        let start = usize::try_from(self.rows).unwrap_or(usize::MAX).min(end);
        for (&sender, &m) in from[start..end].iter().zip(&meta[start..end]) {
            let (_, kind, success) = unpack_meta(m);
            if kind == TransferKind::Token && success {
                let sent = self.counts.entry(sender).or_default();
                *sent += 1;
                if *sent >= self.threshold {
                    self.heavy.insert(sender);
                }
            }
        }
        self.rows = end as u64;
    }
}

/// The airdrops `distributor` paid: per token, the recipients of one amount paid to at least
/// `min_recipients` distinct addresses in a burst.
fn drops(
    reader: &ChainReader,
    settings: &AirdropSettings,
    distributor: u32,
    limit: u64,
) -> Vec<(u32, HashSet<u32>)> {
    let mut payments: BTreeMap<(u32, Amount), Vec<(u64, u32)>> = BTreeMap::new();
    for t in sent_before(reader, distributor, limit) {
        if t.kind == TransferKind::Token {
            payments
                .entry((t.asset, t.amount))
                .or_default()
                .push((t.block.height, t.to));
        }
    }
    payments
        .into_iter()
        .filter_map(|((asset, _), paid)| {
            let recipients: HashSet<u32> = paid.iter().map(|&(_, to)| to).collect();
            let wide = recipients.len() >= settings.min_recipients as usize;
            (wide && median_gap(&paid) <= settings.max_median_gap).then_some((asset, recipients))
        })
        .collect()
}

/// The median gap between the blocks of consecutive payments (given in row order, so in
/// block order).
fn median_gap(paid: &[(u64, u32)]) -> u64 {
    let mut gaps: Vec<u64> = paid
        .windows(2)
        .map(|w| w[1].0.saturating_sub(w[0].0))
        .collect();
    if gaps.is_empty() {
        return u64::MAX;
    }
    gaps.sort_unstable();
    gaps[gaps.len() / 2]
}

/// The farms of one airdrop: aggregators the recipients forwarded its token to.
fn gathered(
    reader: &ChainReader,
    excluded: &HashSet<u32>,
    limit: u64,
    distributor: u32,
    asset: u32,
    recipients: &HashSet<u32>,
) -> Vec<Farm> {
    let mut by_aggregator: BTreeMap<u32, Vec<Forward>> = BTreeMap::new();
    let mut ordered: Vec<u32> = recipients.iter().copied().collect();
    ordered.sort_unstable();
    for recipient in ordered {
        if excluded.contains(&recipient) {
            continue;
        }
        let mut seen = HashSet::new();
        for t in sent_before(reader, recipient, limit) {
            let forwards = t.kind == TransferKind::Token
                && t.asset == asset
                && t.to != distributor
                && !excluded.contains(&t.to)
                && signed_and_not_a_swap(reader, &t);
            if forwards && seen.insert(t.to) {
                by_aggregator.entry(t.to).or_default().push(Forward {
                    recipient,
                    tx: t.tx,
                    time: t.block.timestamp,
                });
            }
        }
    }
    by_aggregator
        .into_iter()
        .filter(|(_, forwards)| forwards.len() >= MIN_FORWARDERS)
        .map(|(aggregator, mut forwards)| {
            forwards.sort_by_key(|f| (f.tx, f.recipient));
            Farm {
                distributor,
                asset,
                aggregator,
                forwards,
            }
        })
        .collect()
}

/// The successful transfers `address` sent in rows before `limit`.
fn sent_before(
    reader: &ChainReader,
    address: u32,
    limit: u64,
) -> impl Iterator<Item = TransferView> + '_ {
    reader
        .outgoing(address)
        .take_while(move |&row| row < limit)
        .filter_map(|row| reader.transfer(row))
        .filter(|t| t.success)
}

/// Did the sender of `t` pay its transaction's fee, and does the transaction pay the sender
/// nothing back?
fn signed_and_not_a_swap(reader: &ChainReader, t: &TransferView) -> bool {
    let mut paid_fee = false;
    for other in reader
        .tx_transfers(t.tx)
        .filter_map(|row| reader.transfer(row))
    {
        if other.kind == TransferKind::Fee && other.from == t.from {
            paid_fee = true;
        } else if other.to == t.from && other.kind != TransferKind::Fee {
            return false;
        }
    }
    paid_fee
}

#[cfg(test)]
mod tests {
    use super::median_gap;

    #[test]
    fn the_median_gap_of_a_burst_and_of_a_trickle() {
        assert_eq!(median_gap(&[(5, 1), (5, 2), (6, 3), (9, 4)]), 1);
        assert_eq!(median_gap(&[(1, 1), (101, 2), (201, 3)]), 100);
        assert_eq!(median_gap(&[(1, 1)]), u64::MAX);
    }
}
