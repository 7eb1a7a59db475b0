//! Seeding: what a trace starts from. A seed (a transaction, an address or an outpoint, with an
//! optional amount and asset) becomes the tainted movements planted in the forward engine or the
//! backward walk, split proportionally and exactly.

use std::collections::BTreeMap;

use alloy_primitives::U256;
use chaintrail_core::{Address, Amount, AssetKind, Chain, ChainModel, TransferKind};
use chaintrail_store::ChainReader;

use crate::backward::Backward;
use crate::engine::Engine;
use crate::{Lots, Seed, SeedSpec, TraceError};

/// Resolve an asset selector on a chain.
pub(crate) fn asset_id(reader: &ChainReader, selector: &str) -> Result<u32, TraceError> {
    if selector.eq_ignore_ascii_case("native")
        || selector.eq_ignore_ascii_case(reader.chain().native_symbol())
    {
        return Ok(0);
    }
    let by_contract = Address::parse(reader.chain(), selector).ok();
    reader
        .assets()
        .iter()
        .position(|a| match (&a.kind, &by_contract) {
            (AssetKind::Token(contract), Some(wanted)) => contract == wanted,
            _ => a.symbol.eq_ignore_ascii_case(selector),
        })
        .map(|i| i as u32)
        .ok_or_else(|| {
            TraceError::BadSeed(format!(
                "no asset `{selector}` on {}: use native, a token contract address or a symbol the \
                 store knows ({})",
                reader.chain(),
                reader
                    .assets()
                    .iter()
                    .map(|a| a.symbol.clone())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// `units` whole units (`12.5`) of the asset `selector` names (native, a token contract or a
/// symbol; `None`: native) on the reader's chain, in base units: what `--amount` means.
pub fn amount_in_units(
    reader: &ChainReader,
    selector: Option<&str>,
    units: &str,
) -> Result<Amount, TraceError> {
    let native = reader.chain().native_decimals();
    let decimals = match selector {
        None => native,
        Some(selector) => {
            let id = asset_id(reader, selector)?;
            reader.asset(id).map_or(native, |a| a.decimals)
        }
    };
    Amount::from_units(units, decimals)
        .map_err(|e| TraceError::Options(format!("--amount {units}: {e}")))
}

/// Split `total` over `parts` proportionally; the rounding remainder goes to the largest part,
/// so the pieces sum to `total` exactly.
pub(crate) fn proportional(parts: &[u128], total: u128) -> Vec<u128> {
    let sum: u128 = parts.iter().sum();
    if sum == 0 {
        return vec![0; parts.len()];
    }
    let mut out: Vec<u128> = parts
        .iter()
        .map(|&p| {
            let wide = U256::from(p) * U256::from(total) / U256::from(sum);
            u128::try_from(wide).unwrap_or(p)
        })
        .collect();
    let given: u128 = out.iter().sum();
    if let Some((largest, _)) = parts
        .iter()
        .enumerate()
        .max_by_key(|(i, p)| (**p, std::cmp::Reverse(*i)))
    {
        out[largest] += total - given;
    }
    out
}

fn seed_amount(seed: &Seed, available: u128, what: &str) -> Result<u128, TraceError> {
    match seed.amount {
        None => Ok(available),
        Some(amount) => match amount.to_u128() {
            Some(units) if units <= available => Ok(units),
            _ => Err(TraceError::BadSeed(format!(
                "seed {seed}: --amount {amount} is more than the {available} base units {what}"
            ))),
        },
    }
}

/// What a seed moves in total, refused when it does not fit the tracing path's 128 bits.
fn seed_total(seed: &Seed, amounts: &[u128]) -> Result<u128, TraceError> {
    amounts
        .iter()
        .try_fold(0u128, |sum, &a| sum.checked_add(a))
        .ok_or_else(|| {
            TraceError::BadSeed(format!(
                "seed {seed}: its movements add up to more than 2^128 base units (a spam \
                 token?), more than the tracer can measure; seed a single transfer or another \
                 asset (--asset)"
            ))
        })
}

/// The refusal of a seed transfer whose amount does not fit 128 bits.
fn too_large_seed(
    seed: &Seed,
    reader: &ChainReader,
    t: &chaintrail_store::TransferView,
) -> TraceError {
    let asset = reader
        .asset(t.asset)
        .map_or_else(|| format!("asset #{}", t.asset), |a| a.symbol.clone());
    TraceError::BadSeed(format!(
        "seed {seed}: transfer {} of transaction {} moves {} base units of {asset}, above 2^128 \
         (a spam token?): the tracer cannot measure it; seed another asset (--asset)",
        t.row,
        reader.tx_hash(t.tx).to_hex_prefixed(),
        t.amount
    ))
}

pub(crate) fn plant(
    engine: &mut Engine<'_>,
    readers: &BTreeMap<Chain, ChainReader>,
    seed: &Seed,
) -> Result<(), TraceError> {
    let reader = readers
        .get(&seed.chain)
        .ok_or(TraceError::UnknownChain(seed.chain))?;
    let chain = engine.chain_index(seed.chain)?;
    let not_found =
        |what: String| TraceError::BadSeed(format!("seed {seed}: {what} is not in the store"));
    match (&seed.spec, seed.chain.model()) {
        (SeedSpec::Tx(hash), ChainModel::Account) => {
            let tx = reader
                .tx_id(hash)
                .ok_or_else(|| not_found(format!("transaction {hash}")))?;
            let wanted = seed
                .asset
                .as_deref()
                .map(|a| asset_id(reader, a))
                .transpose()?;
            let rows: Vec<(u64, u128)> =
                value_moved(seed, reader, reader.tx_transfers(tx), wanted)?
                    .into_iter()
                    .map(|(row, _, amount)| (row, amount))
                    .collect();
            if rows.is_empty() {
                return Err(TraceError::BadSeed(format!(
                    "seed {seed}: the transaction moved no value (in that asset)"
                )));
            }
            if seed.amount.is_some() && wanted.is_none() {
                return Err(TraceError::Options(format!(
                    "seed {seed}: --amount needs --asset when the seed is a transaction"
                )));
            }
            let amounts: Vec<u128> = rows.iter().map(|(_, a)| *a).collect();
            let total = seed_amount(seed, seed_total(seed, &amounts)?, "the transaction moved")?;
            for ((row, amount), taint) in rows.iter().zip(proportional(&amounts, total)) {
                engine.seed_transfer(chain, *row, Lots::split(*amount, taint))?;
            }
        }
        (SeedSpec::Address(address), ChainModel::Account) => {
            let id = reader
                .address_id(address)
                .ok_or_else(|| not_found(format!("address {address}")))?;
            let asset = match seed.asset.as_deref() {
                Some(a) => asset_id(reader, a)?,
                None => 0,
            };
            let received = reader
                .incoming(id)
                .filter_map(|row| reader.transfer(row))
                .filter(|t| t.success && t.asset == asset)
                .map(|t| {
                    t.amount
                        .to_u128()
                        .ok_or_else(|| too_large_seed(seed, reader, &t))
                })
                .collect::<Result<Vec<u128>, _>>()?;
            let total = seed_amount(seed, seed_total(seed, &received)?, "the address received")?;
            engine.seed_account(chain, id, asset, total);
        }
        (SeedSpec::Outpoint(..), ChainModel::Account) => return Err(outpoint_on_account(seed)),
        (spec, ChainModel::Utxo) => {
            let (outputs, values, total) = utxo_seed_values(reader, seed, spec)?;
            for ((row, value), taint) in outputs
                .iter()
                .zip(&values)
                .zip(proportional(&values, total))
            {
                engine.seed_output(chain, *row, Lots::split(*value, taint))?;
            }
        }
    }
    Ok(())
}

/// The transfers among `rows` that moved value (successful, not gas), in `asset` if given:
/// (row, asset, amount). A seed with an amount above 2^128 base units is refused.
fn value_moved(
    seed: &Seed,
    reader: &ChainReader,
    rows: impl IntoIterator<Item = u64>,
    asset: Option<u32>,
) -> Result<Vec<(u64, u32, u128)>, TraceError> {
    rows.into_iter()
        .filter_map(|row| reader.transfer(row))
        .filter(|t| t.success && !matches!(t.kind, TransferKind::Fee | TransferKind::Burn))
        .filter(|t| asset.is_none_or(|w| w == t.asset))
        .map(|t| match t.amount.to_u128() {
            Some(amount) => Ok((t.row, t.asset, amount)),
            None => Err(too_large_seed(seed, reader, &t)),
        })
        .collect()
}

/// Seeds of a provenance trace: the movements whose origin is asked for.
pub(crate) fn plant_backward(
    backward: &mut Backward<'_>,
    readers: &BTreeMap<Chain, ChainReader>,
    seed: &Seed,
) -> Result<(), TraceError> {
    let reader = readers
        .get(&seed.chain)
        .ok_or(TraceError::UnknownChain(seed.chain))?;
    let not_found =
        |what: String| TraceError::BadSeed(format!("seed {seed}: {what} is not in the store"));
    let wanted = seed
        .asset
        .as_deref()
        .map(|a| asset_id(reader, a))
        .transpose()?;
    match (&seed.spec, seed.chain.model()) {
        (SeedSpec::Tx(_) | SeedSpec::Address(_), ChainModel::Account) => {
            let rows: Vec<u64> = match &seed.spec {
                SeedSpec::Tx(hash) => {
                    let tx = reader
                        .tx_id(hash)
                        .ok_or_else(|| not_found(format!("transaction {hash}")))?;
                    reader.tx_transfers(tx).collect()
                }
                SeedSpec::Address(address) => {
                    let id = reader
                        .address_id(address)
                        .ok_or_else(|| not_found(format!("address {address}")))?;
                    reader.incoming(id).collect()
                }
                SeedSpec::Outpoint(..) => Vec::new(),
            };
            let transfers = value_moved(seed, reader, rows, wanted)?;
            if transfers.is_empty() {
                return Err(TraceError::BadSeed(format!(
                    "seed {seed}: no value moved (in that asset)"
                )));
            }
            if seed.amount.is_some() && transfers.iter().any(|t| t.1 != transfers[0].1) {
                return Err(TraceError::Options(format!(
                    "seed {seed}: --amount needs --asset when the seed moves several assets"
                )));
            }
            let amounts: Vec<u128> = transfers.iter().map(|t| t.2).collect();
            let total = seed_amount(seed, seed_total(seed, &amounts)?, "the seed moved")?;
            for ((row, asset, _), units) in transfers.iter().zip(proportional(&amounts, total)) {
                backward.seed_transfer(seed.chain, *row, *asset, units);
            }
        }
        (SeedSpec::Outpoint(..), ChainModel::Account) => return Err(outpoint_on_account(seed)),
        (spec, ChainModel::Utxo) => {
            let (outputs, values, total) = utxo_seed_values(reader, seed, spec)?;
            for (row, units) in outputs.iter().zip(proportional(&values, total)) {
                backward.seed_output(seed.chain, *row, units);
            }
        }
    }
    Ok(())
}

/// The outputs a UTXO seed names: a transaction's, one outpoint, or an address's.
fn outpoint_on_account(seed: &Seed) -> TraceError {
    TraceError::BadSeed(format!(
        "seed {seed}: {} is an account chain; outpoints exist only on UTXO chains",
        seed.chain
    ))
}

/// The seed's outputs, their values, and how much of them the seed takes.
fn utxo_seed_values(
    reader: &ChainReader,
    seed: &Seed,
    spec: &SeedSpec,
) -> Result<(Vec<u64>, Vec<u128>, u128), TraceError> {
    let outputs = utxo_seed_outputs(reader, seed, spec)?;
    let values: Vec<u128> = outputs
        .iter()
        .map(|&row| u128::from(reader.output_value(row).unwrap_or(0)))
        .collect();
    let total = seed_amount(seed, values.iter().sum(), "the seed outputs hold")?;
    Ok((outputs, values, total))
}

fn utxo_seed_outputs(
    reader: &ChainReader,
    seed: &Seed,
    spec: &SeedSpec,
) -> Result<Vec<u64>, TraceError> {
    let not_found =
        |what: String| TraceError::BadSeed(format!("seed {seed}: {what} is not in the store"));
    Ok(match spec {
        SeedSpec::Tx(hash) => {
            let tx = reader
                .tx_id(hash)
                .ok_or_else(|| not_found(format!("transaction {hash}")))?;
            reader.tx_outputs(tx).collect()
        }
        SeedSpec::Outpoint(hash, vout) => {
            let tx = reader
                .tx_id(hash)
                .ok_or_else(|| not_found(format!("transaction {hash}")))?;
            let range = reader.tx_outputs(tx);
            let row = range.start + u64::from(*vout);
            if row >= range.end {
                return Err(not_found(format!("output {hash}:{vout}")));
            }
            vec![row]
        }
        SeedSpec::Address(address) => {
            let id = reader
                .address_id(address)
                .ok_or_else(|| not_found(format!("address {address}")))?;
            reader.incoming(id).collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_split_is_exact() {
        assert_eq!(proportional(&[1, 1, 1], 10), vec![4, 3, 3]);
        assert_eq!(proportional(&[5, 0], 3), vec![3, 0]);
        assert_eq!(
            proportional(&[u128::MAX / 2, u128::MAX / 2], u128::MAX / 2)
                .iter()
                .sum::<u128>(),
            u128::MAX / 2
        );
    }
}
