//! The follow loop: poll the node, check each block's parent against the last applied block,
//! roll back to the fork point when the node switched branches, apply the new blocks one commit
//! each, tell the observers, and retry with backoff while the node is unreachable.

use std::time::Duration;

use anyhow::Context;
use chaintrail_store::{ChainWriter, Store};

use crate::cursor::{FOLLOW_CURSOR, FollowCursor};
use crate::{BlockObserver, ChainSource};

/// How to follow.
#[derive(Debug, Clone)]
pub struct FollowConfig {
    /// Blocks this deep below the node's head are applied; shallower ones wait.
    pub confirmations: u64,
    /// Wait between polls of the node when there is nothing new.
    pub poll_interval: Duration,
    /// Stop once this height is applied (`None`: follow forever).
    pub until_block: Option<u64>,
    /// The first height to apply when the store has no follow cursor yet.
    pub start: u64,
    /// The longest wait between retries while the node is unreachable.
    pub max_backoff: Duration,
}

impl Default for FollowConfig {
    fn default() -> Self {
        FollowConfig {
            confirmations: 0,
            poll_interval: Duration::from_secs(1),
            until_block: None,
            start: 0,
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// What a follow run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct FollowReport {
    /// Blocks applied (those of abandoned branches included).
    pub blocks_applied: u64,
    /// Rollbacks made, and the fork point of each.
    pub rollbacks: Vec<u64>,
    /// The last applied height at the end (the store's, when this run applied nothing).
    pub height: Option<u64>,
}

/// While catching up, the observers are told (and the indexes rebuilt) at least once per this
/// many blocks.
const NOTIFY_BATCH: u64 = 64;

/// Why one step stopped: the node switched branches (roll back), the node failed (retried) or
/// anything else (fatal).
enum Stop {
    Reorg,
    Node(anyhow::Error),
    Fatal(anyhow::Error),
}

fn node<T>(result: anyhow::Result<T>) -> Result<T, Stop> {
    result.map_err(Stop::Node)
}

fn fatal<T, E: Into<anyhow::Error>>(result: Result<T, E>) -> Result<T, Stop> {
    result.map_err(|e| Stop::Fatal(e.into()))
}

/// Follow `source`'s chain into `store` until `config.until_block` is applied (forever without
/// it). Resumes from the store's follow cursor; see docs/follow.md.
pub fn follow<S: ChainSource>(
    store: &Store,
    source: &mut S,
    config: &FollowConfig,
    observers: &mut [Box<dyn BlockObserver>],
) -> anyhow::Result<FollowReport> {
    let chain = source.chain();
    let mut writer = Some(store.writer(chain)?);
    let mut report = FollowReport::default();
    let mut backoff = Duration::from_millis(250);
    loop {
        let current = writer.take().context("the chain's writer was lost")?;
        let (next, outcome) = step(store, source, config, observers, current, &mut report);
        writer = next;
        match outcome {
            Ok(true) => {
                report.height = writer
                    .as_ref()
                    .and_then(|w| FollowCursor::from_value(w.cursor(FOLLOW_CURSOR)))
                    .map(|cursor| cursor.height);
                return Ok(report);
            }
            Ok(false) => {
                backoff = Duration::from_millis(250);
                std::thread::sleep(config.poll_interval);
            }
            Err(Stop::Node(e)) => {
                tracing::warn!(
                    "{chain}: the node failed ({e:#}); retrying in {:.1} s",
                    backoff.as_secs_f64()
                );
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(config.max_backoff);
            }
            Err(Stop::Fatal(e)) => return Err(e),
            Err(Stop::Reorg) => {}
        }
        if writer.is_none() {
            anyhow::bail!("{chain}: a rollback failed; rerun `chaintrail follow` to resume");
        }
    }
}

/// One poll: bring the store to the node's confirmed head. `Ok(true)` when `until_block` is
/// applied. Returns the writer (none after a failed rollback).
fn step<S: ChainSource>(
    store: &Store,
    source: &mut S,
    config: &FollowConfig,
    observers: &mut [Box<dyn BlockObserver>],
    mut writer: ChainWriter,
    report: &mut FollowReport,
) -> (Option<ChainWriter>, Result<bool, Stop>) {
    let chain = source.chain();
    let result = (|| -> Result<bool, Stop> {
        notify(store, &mut writer, observers)?;
        node(source.poll())?;
        let head = node(source.head())?;
        let target = head.saturating_sub(config.confirmations);
        let target = config.until_block.map_or(target, |until| target.min(until));
        loop {
            let tip = FollowCursor::from_value(writer.cursor(FOLLOW_CURSOR));
            if let Some(tip) = &tip
                && node(source.hash_at(tip.height))? != tip.hash_bytes().unwrap_or_default()
            {
                return Err(Stop::Reorg);
            }
            let next = tip.as_ref().map_or(config.start, |t| t.height + 1);
            if next > target {
                break;
            }
            let block = node(source.block(next))?;
            if let Some(tip) = &tip
                && Some(block.parent) != tip.hash_bytes()
            {
                // The node switched branches between the calls: the next poll rolls back.
                return Ok(false);
            }
            fatal(source.append(store, &mut writer, &block.txs))?;
            let cursor = FollowCursor {
                height: block.height,
                hash: hex::encode(block.hash),
                told_below: tip.map_or(block.height, |t| t.told_below),
            };
            fatal(writer.commit(FOLLOW_CURSOR, cursor.to_value()))?;
            report.blocks_applied += 1;
            report.height = Some(block.height);
            tracing::info!("{chain}: applied block {}", block.height);
            // Catching up, the indexes are rebuilt and the observers told once per batch of
            // blocks rather than per block: a rebuild reads the whole chain.
            if block.height >= target
                || (block.height + 1).saturating_sub(cursor.told_below) >= NOTIFY_BATCH
            {
                notify(store, &mut writer, observers)?;
            }
        }
        notify(store, &mut writer, observers)?;
        Ok(config.until_block.is_some_and(|until| {
            FollowCursor::from_value(writer.cursor(FOLLOW_CURSOR))
                .is_some_and(|t| t.height >= until)
        }))
    })();
    match result {
        Err(Stop::Reorg) => {
            match roll_back(store, source, observers, writer, report) {
                Ok(writer) => (Some(writer), Ok(false)),
                Err(Stop::Fatal(e)) => (None, Err(Stop::Fatal(e))),
                Err(Stop::Reorg) => (
                    None,
                    Err(Stop::Fatal(anyhow::anyhow!(
                        "{chain}: a reorg during a rollback"
                    ))),
                ),
                Err(Stop::Node(e)) => {
                    // Nothing was rolled back; the writer was reopened.
                    (store.writer(chain).ok(), Err(Stop::Node(e)))
                }
            }
        }
        other => (Some(writer), other),
    }
}

/// Find the newest checkpoint whose follow cursor names a block the node still has at that
/// height, roll the store back to it and tell the observers.
fn roll_back<S: ChainSource>(
    store: &Store,
    source: &S,
    observers: &mut [Box<dyn BlockObserver>],
    writer: ChainWriter,
    report: &mut FollowReport,
) -> Result<ChainWriter, Stop> {
    let chain = source.chain();
    let told_below =
        FollowCursor::from_value(writer.cursor(FOLLOW_CURSOR)).map_or(0, |t| t.told_below);
    let mut found = None;
    for (index, checkpoint) in writer.checkpoints().enumerate().rev() {
        let Some(cursor) = FollowCursor::from_value(checkpoint.cursor(FOLLOW_CURSOR)) else {
            break;
        };
        if cursor.hash_bytes() == Some(node(source.hash_at(cursor.height))?) {
            found = Some((index, cursor));
            break;
        }
    }
    let Some((index, cursor)) = found else {
        return Err(Stop::Fatal(anyhow::anyhow!(
            "{chain}: the node switched to a branch that forks below the {} checkpoints the store \
             keeps (its reorg window): follow into a fresh store (another --data-dir) from below \
             the fork",
            writer.checkpoints().len()
        )));
    };
    let fork_point = cursor.height;
    let restored = FollowCursor {
        told_below: told_below.max(fork_point + 1),
        ..cursor
    };
    tracing::warn!("{chain}: reorg: rolling back to block {fork_point}, the fork point");
    let mut writer = fatal(writer.roll_back(index, &[(FOLLOW_CURSOR, restored.to_value())]))?;
    report.rollbacks.push(fork_point);
    report.height = Some(fork_point);
    notify(store, &mut writer, observers)?;
    Ok(writer)
}

/// Bring the indexes up to the committed blocks (readers refuse stale ones: after a kill
/// between a block's commit and the rebuild, this is where they catch up), then tell the
/// observers what they have not been told: a rollback below what they saw, or the blocks
/// applied since. Then record that they were told, so a restart tells them only what is left
/// (at least once: an observer must accept hearing of a block again after a crash).
fn notify(
    store: &Store,
    writer: &mut ChainWriter,
    observers: &mut [Box<dyn BlockObserver>],
) -> Result<(), Stop> {
    fatal(writer.update_indexes())?;
    let Some(mut cursor) = FollowCursor::from_value(writer.cursor(FOLLOW_CURSOR)) else {
        return Ok(());
    };
    if cursor.told_below == cursor.height + 1 {
        return Ok(());
    }
    let chain = writer.chain();
    for observer in observers.iter_mut() {
        let told = if cursor.told_below > cursor.height + 1 {
            observer.rolled_back(store, chain, cursor.height)
        } else {
            observer.blocks_applied(store, chain, cursor.told_below, cursor.height)
        };
        fatal(told.with_context(|| format!("{chain}: an observer failed")))?;
    }
    cursor.told_below = cursor.height + 1;
    fatal(writer.commit(FOLLOW_CURSOR, cursor.to_value()))
}
