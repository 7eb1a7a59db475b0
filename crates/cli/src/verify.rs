//! `chaintrail verify-store`: check every byte of the store against its checksums, segment by
//! segment, and name whatever is damaged.

use anyhow::bail;
use chaintrail_core::Chain;
use chaintrail_screen::ExposureIndex;
use chaintrail_store::ChainVerification;
use clap::Args;
use serde::Serialize;

use crate::commands::{Global, progress_bar};
use crate::output::{Format, Table, emit};

#[derive(Args)]
pub struct VerifyArgs {
    /// Verify only this chain (default: every chain, and the exposure index).
    #[arg(long)]
    chain: Option<Chain>,
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Serialize)]
struct Verification {
    chains: Vec<ChainVerification>,
    /// Damaged segments of the exposure index (`None`: not built or not checked).
    exposure_index: Option<Vec<String>>,
}

pub fn run(global: &Global, args: VerifyArgs) -> anyhow::Result<()> {
    let store = chaintrail_store::Store::open(&global.data_dir)?;
    let chains = match args.chain {
        Some(chain) => vec![chain],
        None => store.chains()?,
    };
    let mut result = Verification {
        chains: Vec::new(),
        exposure_index: None,
    };
    for chain in chains {
        let bar = progress_bar(0, &format!("verifying {chain}"));
        let report = store.verify(chain, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })?;
        bar.finish_and_clear();
        result.chains.push(report);
    }
    if args.chain.is_none() {
        result.exposure_index = match ExposureIndex::load(store.dir()) {
            Ok(Some(index)) => Some(index.verify()),
            Ok(None) => None,
            Err(err) => Some(vec![err.to_string()]),
        };
    }
    let mut table = Table::new(&["what", "files", "bytes", "segments", "problem"]);
    let mut problems = 0;
    for report in &result.chains {
        let (files, bytes, segments) = (
            report.files.to_string(),
            report.bytes.to_string(),
            report.segments.to_string(),
        );
        if report.problems.is_empty() {
            table.row(vec![
                report.chain.to_string(),
                files.clone(),
                bytes.clone(),
                segments.clone(),
                "intact".to_string(),
            ]);
        }
        for problem in &report.problems {
            problems += 1;
            table.row(vec![
                report.chain.to_string(),
                files.clone(),
                bytes.clone(),
                segments.clone(),
                format!("{}: {}", problem.file.display(), problem.what),
            ]);
        }
    }
    if let Some(damage) = &result.exposure_index {
        let path = ExposureIndex::path(store.dir()).display().to_string();
        if damage.is_empty() {
            table.row(vec![
                path.clone(),
                "1".into(),
                "-".into(),
                "-".into(),
                "intact".into(),
            ]);
        }
        for what in damage {
            problems += 1;
            table.row(vec![
                path.clone(),
                "1".into(),
                "-".into(),
                "-".into(),
                what.clone(),
            ]);
        }
    }
    emit(
        global.format.or(args.format).unwrap_or(Format::Table),
        &result,
        &[table],
    )?;
    if problems > 0 {
        bail!(
            "{problems} damaged or missing part(s): restore the store from a backup or re-import \
             into a fresh --data-dir; a damaged exposure index is rebuilt with `chaintrail screen \
             build-index --full`"
        );
    }
    Ok(())
}
