//! The cost of the exposure index behind `chaintrail bench exposure`: the exposure walk of a
//! sample of addresses spread evenly over each chain's address ids, each computed alone and
//! timed (after a cold pass over the same sample), with what a full build of the index would
//! take on one core at that rate. A full build
//! of a store of hundreds of millions of records takes hours on a small machine; the sample says
//! how many before one is started.

use std::time::Instant;

use chaintrail_core::Chain;
use chaintrail_labels::Date;
use chaintrail_store::bench::thread_cpu_seconds;
use chaintrail_trace::Cancel;
use chaintrail_trace::bench::percentile;
use serde::Serialize;

use crate::{EntityMemo, ScreenError, Screener, chain_exposure};

/// What the sample of one chain measured.
#[derive(Debug, Clone, Serialize)]
pub struct ExposureBench {
    /// The chain sampled.
    pub chain: Chain,
    /// Addresses of the chain (the index computes one exposure each).
    pub addresses: u64,
    /// Addresses sampled ([`sample_ids`]).
    pub sampled: usize,
    /// Sampled addresses with at least one exposure.
    pub with_exposure: usize,
    /// Sampled addresses whose walk ran out of budget (their exposures are a lower bound).
    pub truncated: usize,
    /// Mean wall-clock milliseconds of one address's exposure walk (warm pass).
    pub mean_ms: f64,
    /// Median wall-clock milliseconds per address.
    pub p50_ms: f64,
    /// 99th percentile wall-clock milliseconds per address.
    pub p99_ms: f64,
    /// The slowest address, in wall-clock milliseconds.
    pub max_ms: f64,
    /// Mean CPU time per address (`None` where the system does not tell).
    pub cpu_mean_ms: Option<f64>,
    /// 99th percentile CPU milliseconds per address (0 where the system does not tell).
    pub cpu_p99_ms: f64,
    /// `addresses` × the mean CPU time (wall time where it is unknown): one core's time for a
    /// full build of this chain's part of the index (the build spreads it over its threads).
    pub full_build_core_seconds: f64,
    /// The whole sample's time in the cold pass (the figures above are the warm pass's).
    pub cold_seconds: f64,
}

/// Up to `sample` address ids of a chain with `addresses` ids, evenly spread, id 0 (no
/// address) left out, ascending.
pub fn sample_ids(addresses: u64, sample: u64) -> Vec<u32> {
    let real = addresses.saturating_sub(1);
    if real == 0 || sample == 0 {
        return Vec::new();
    }
    let step = (real / sample.min(real)).max(1);
    (0..sample.min(real))
        .map(|k| 1 + step / 2 + k * step)
        .filter(|&id| id < addresses)
        .filter_map(|id| u32::try_from(id).ok())
        .collect()
}

/// Compute the exposure of `sample` addresses of every chain of `screener`'s store for `at`, as
/// an index build does, one at a time.
pub fn exposure_cost(
    screener: &Screener,
    sample: u64,
    at: Date,
) -> Result<Vec<ExposureBench>, ScreenError> {
    let never = Cancel::new();
    // One memo for both passes, as a build shares one: the warm pass meets resolved addresses,
    // as most walks of a build do.
    let entity_memo = EntityMemo::new(screener.readers());
    let ctx = screener.index_context(at, &never, &entity_memo);
    let mut results = Vec::new();
    for (&chain, reader) in screener.readers() {
        let addresses = reader.address_count() as u64;
        let ids = sample_ids(addresses, sample);
        // A cold pass first: it reads the pages the walks need from disk and verifies each
        // checksum segment on first touch, costs a full build pays once for the whole store.
        let cold = Instant::now();
        for &id in &ids {
            std::hint::black_box(chain_exposure(&ctx, chain, id));
        }
        let cold_seconds = cold.elapsed().as_secs_f64();
        let mut times = Vec::with_capacity(ids.len());
        let mut cpu_ms = Vec::with_capacity(ids.len());
        let (mut with_exposure, mut truncated) = (0, 0);
        for &id in &ids {
            let (started, cpu_started) = (Instant::now(), thread_cpu_seconds());
            let exposure = std::hint::black_box(chain_exposure(&ctx, chain, id));
            times.push(started.elapsed().as_secs_f64() * 1e3);
            if let Some((end, start)) = thread_cpu_seconds().zip(cpu_started) {
                cpu_ms.push((end - start) * 1e3);
            }
            with_exposure += usize::from(!exposure.exposures.is_empty());
            truncated += usize::from(exposure.truncated);
        }
        // Reads from a damaged segment return nothing: figures from them would mislead.
        reader.ensure_intact()?;
        let mean_ms = times.iter().sum::<f64>() / times.len().max(1) as f64;
        // The build's time is CPU time spread over its threads: estimate it from CPU time
        // where the system tells it (a shared machine's wall time counts other processes).
        let cpu_mean_ms =
            (!cpu_ms.is_empty()).then(|| cpu_ms.iter().sum::<f64>() / cpu_ms.len() as f64);
        times.sort_by(f64::total_cmp);
        cpu_ms.sort_by(f64::total_cmp);
        results.push(ExposureBench {
            chain,
            addresses: addresses.saturating_sub(1),
            sampled: ids.len(),
            with_exposure,
            truncated,
            mean_ms,
            p50_ms: percentile(&times, 0.5),
            p99_ms: percentile(&times, 0.99),
            max_ms: times.last().copied().unwrap_or(0.0),
            cpu_mean_ms,
            cpu_p99_ms: percentile(&cpu_ms, 0.99),
            full_build_core_seconds: cpu_mean_ms.unwrap_or(mean_ms) / 1e3
                * addresses.saturating_sub(1) as f64,
            cold_seconds,
        });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_spread_evenly_and_skip_the_empty_address() {
        assert_eq!(sample_ids(11, 5), vec![2, 4, 6, 8, 10]);
        assert_eq!(sample_ids(4, 10), vec![1, 2, 3]);
        assert_eq!(sample_ids(1, 10), Vec::<u32>::new());
        assert_eq!(
            sample_ids(1_000_001, 4),
            vec![125_001, 375_001, 625_001, 875_001]
        );
    }
}
