//! What keeping the links up to date costs per batch of new blocks, against deriving them from
//! the whole store (docs/benchmarks.md, "Links kept up to date per block"):
//!
//! ```sh
//! cargo run --release -p chaintrail-eval --example links_kept_bench -- [SCALE] [STEPS] [ETH_BLOCKS] [BTC_BLOCKS]
//! ```
//!
//! Writes the demo's world (seed 1, SCALE background transfers; the demo's by default) as
//! partitioned exports, Ethereum in partitions of ETH_BLOCKS blocks (default 25, five minutes)
//! and Bitcoin of BTC_BLOCKS (default 1), imports all but the last STEPS partitions of each
//! chain (default 10), and then, alternating the chains, imports one more partition and times
//! a [`chaintrail_links::Builder`] kept from the start (what `chaintrail follow` does) and a
//! build from scratch (what an import does) on the same store, then extends the clusters from
//! their checkpoint with the builder's deposit addresses (what the follower does next). Prints
//! one line per step and the medians; `RUST_LOG=chaintrail_links=debug` adds each decoder's
//! time.

use std::time::Instant;

use chaintrail_eval::batches::write_partitioned;
use chaintrail_labels::LabelStore;
use chaintrail_sim::SimConfig;
use chaintrail_store::Store;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let arg = |i: usize, default: u64| -> Result<u64, String> {
        std::env::args()
            .nth(i)
            .map_or(Ok(default), |a| a.parse())
            .map_err(|e| format!("argument {i}: {e} (usage: SCALE STEPS ETH_BLOCKS BTC_BLOCKS)"))
    };
    let (scale, steps) = (arg(1, SimConfig::DEMO_SCALE)?, arg(2, 10)? as usize);
    let (eth_blocks, btc_blocks) = (arg(3, 25)?, arg(4, 1)?);
    let dir = tempfile::tempdir()?;
    let started = Instant::now();
    let (_, world, exports) = write_partitioned(
        &SimConfig::new(1, scale),
        dir.path(),
        (eth_blocks, btc_blocks),
    )?;
    let store = Store::init(&dir.path().join("store"))?;
    for export in &exports {
        let kept = export.starts.len().saturating_sub(steps);
        let staged = dir.path().join("start").join(export.chain);
        export.import(&export.starts[..kept], &staged, &store)?;
    }
    let mut labels = LabelStore::open(store.dir())?;
    labels.import_tagpacks(&world.join("tagpacks"))?;
    labels.save()?;
    let mut builder = chaintrail_links::Builder::new();
    let mut kept_clusters = chaintrail_cluster::Kept::default();
    let first = Instant::now();
    builder.refresh(&store)?;
    eprintln!(
        "world written and imported in {:.1} s; first build {:.2} s",
        started.elapsed().as_secs_f64() - first.elapsed().as_secs_f64(),
        first.elapsed().as_secs_f64()
    );
    chaintrail_cluster::refresh(&store, None, chaintrail_cluster::Mode::Incremental)?;
    println!("| step | chain | new blocks | kept (s) | from scratch (s) | clusters (s) | reused |");
    println!("|---:|---|---:|---:|---:|---:|---|");
    let mut times: Vec<(&str, f64, f64, f64)> = Vec::new();
    for step in 0..steps {
        for export in &exports {
            let Some(&start) = export
                .starts
                .get(export.starts.len().saturating_sub(steps) + step)
            else {
                continue;
            };
            let staged = dir.path().join(format!("step-{step}")).join(export.chain);
            export.import(&[start], &staged, &store)?;
            let kept = Instant::now();
            let build = builder.refresh(&store)?;
            let kept = kept.elapsed().as_secs_f64();
            let scratch = Instant::now();
            chaintrail_links::refresh(&store)?;
            let scratch = scratch.elapsed().as_secs_f64();
            let clusters = Instant::now();
            let reports = chaintrail_cluster::refresh_with(&store, &builder, &mut kept_clusters)?;
            let clusters = clusters.elapsed().as_secs_f64();
            let rebuilt: Vec<String> = reports.into_iter().filter_map(|r| r.rebuilt).collect();
            let blocks = if export.chain == "ethereum" {
                eth_blocks
            } else {
                btc_blocks
            };
            println!(
                "| {step} | {} | {blocks} | {kept:.3} | {scratch:.3} | {clusters:.3}{} | {} |",
                export.chain,
                if rebuilt.is_empty() {
                    String::new()
                } else {
                    format!(" (rebuilt: {})", rebuilt.join("; "))
                },
                build.reused.join(", ")
            );
            times.push((export.chain, kept, scratch, clusters));
        }
    }
    for chain in ["ethereum", "bitcoin"] {
        let of = |pick: fn(&(&str, f64, f64, f64)) -> f64| {
            median(times.iter().filter(|t| t.0 == chain).map(pick).collect())
        };
        let (kept, scratch, clusters) = (of(|t| t.1), of(|t| t.2), of(|t| t.3));
        println!(
            "{chain}: median kept {kept:.3} s, from scratch {scratch:.3} s ({:.1}x); clusters \
             extended in {clusters:.3} s",
            scratch / kept.max(1e-9)
        );
    }
    Ok(())
}
