//! Forensic functions for SQL: `label_of(address [, chain])`, `category_of(address [, chain])`
//! and `usd(asset, amount, time)`, answered by the same label resolution, clusters and prices the
//! screener uses.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use chaintrail_core::{Address, Asset, Chain};
use chaintrail_labels::Date;
use chaintrail_screen::{Attributor, Entity};
use datafusion::arrow::array::{Array, AsArray, Float64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::World;
use crate::chain_tables::asset_key;

/// Every function this module defines, bound to one store.
pub(crate) fn all(world: &Arc<World>) -> Vec<ScalarUDF> {
    let assets: HashMap<String, Asset> = world
        .screener
        .readers()
        .iter()
        .flat_map(|(&chain, reader)| {
            std::iter::once(Asset::native(chain))
                .chain(reader.assets().iter().cloned())
                .map(move |a| (asset_key(chain, a.contract()), a))
        })
        .collect();
    vec![
        ScalarUDF::from(Attribution {
            world: world.clone(),
            what: What::Label,
            signature: Signature::user_defined(Volatility::Stable),
        }),
        ScalarUDF::from(Attribution {
            world: world.clone(),
            what: What::Category,
            signature: Signature::user_defined(Volatility::Stable),
        }),
        ScalarUDF::from(Usd {
            world: world.clone(),
            assets: Arc::new(assets),
            signature: Signature::user_defined(Volatility::Immutable),
        }),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum What {
    Label,
    Category,
}

/// `label_of` / `category_of`: the entity an address is attributed to today (its labels, or its
/// cluster's service), and that entity's role (else its first flag in force today).
struct Attribution {
    world: Arc<World>,
    what: What,
    signature: Signature,
}

impl std::fmt::Debug for Attribution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Attribution {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.world, &other.world) && self.what == other.what
    }
}

impl Eq for Attribution {}

impl Hash for Attribution {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.what.hash(state);
    }
}

impl Attribution {
    fn entity(&self, text: &str, chain: Option<&str>) -> Result<Option<(Entity, Date)>> {
        let today = Date::today();
        let attributor = Attributor {
            labels: self.world.screener.labels(),
            clusters: self.world.screener.clusters(),
            at: today,
        };
        let chains: Vec<Chain> = match chain {
            Some(name) => match name.parse::<Chain>() {
                Ok(chain) => vec![chain],
                Err(e) => return exec_err!("{}(): {e}", self.name()),
            },
            None => {
                let mut chains: Vec<Chain> =
                    self.world.screener.readers().keys().copied().collect();
                for &chain in &self.world.label_chains {
                    if !chains.contains(&chain) {
                        chains.push(chain);
                    }
                }
                chains
            }
        };
        Ok(chains
            .into_iter()
            .filter(|&chain| Address::parse(chain, text).is_ok())
            .find_map(|chain| attributor.entity(chain, text))
            .map(|e| (e, today)))
    }
}

impl ScalarUDFImpl for Attribution {
    fn name(&self) -> &str {
        match self.what {
            What::Label => "label_of",
            What::Category => "category_of",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.len() {
            1 | 2 => Ok(vec![DataType::Utf8; arg_types.len()]),
            n => plan_err!(
                "{}(address [, chain]) takes 1 or 2 arguments, not {n}",
                self.name()
            ),
        }
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let addresses = arrays[0].as_string::<i32>();
        let chains = arrays.get(1).map(|a| a.as_string::<i32>());
        let mut out = Vec::with_capacity(addresses.len());
        for i in 0..addresses.len() {
            if addresses.is_null(i) {
                out.push(None);
                continue;
            }
            let chain = chains.filter(|c| !c.is_null(i)).map(|c| c.value(i));
            let found = self.entity(addresses.value(i), chain)?;
            out.push(found.and_then(|(entity, today)| {
                match self.what {
                    What::Label => Some(entity.name),
                    What::Category => entity
                        .categories_on(today)
                        .all
                        .first()
                        .map(|c| c.as_str().to_string()),
                }
            }));
        }
        Ok(ColumnarValue::Array(Arc::new(StringArray::from(out))))
    }
}

/// `usd(asset, amount, time)`: the US dollar value of `amount` whole units of `asset` (a
/// `transfers.asset` key) at `time` (seconds since the epoch, or a timestamp), by the daily
/// closes and pegs the tracer and the screener use; null when the asset is unpriced.
struct Usd {
    world: Arc<World>,
    assets: Arc<HashMap<String, Asset>>,
    signature: Signature,
}

impl std::fmt::Debug for Usd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("usd")
    }
}

impl PartialEq for Usd {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.world, &other.world)
    }
}

impl Eq for Usd {}

impl Hash for Usd {
    fn hash<H: Hasher>(&self, state: &mut H) {
        "usd".hash(state);
    }
}

impl ScalarUDFImpl for Usd {
    fn name(&self) -> &str {
        "usd"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 3 {
            return plan_err!(
                "usd(asset, amount, time) takes 3 arguments, not {}",
                arg_types.len()
            );
        }
        Ok(vec![DataType::Utf8, DataType::Float64, DataType::Int64])
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let assets = arrays[0].as_string::<i32>();
        let amounts = arrays[1].as_primitive::<datafusion::arrow::datatypes::Float64Type>();
        let times = arrays[2].as_primitive::<Int64Type>();
        let prices = self.world.screener.prices();
        let values: Float64Array = (0..assets.len())
            .map(|i| {
                if assets.is_null(i) || amounts.is_null(i) || times.is_null(i) {
                    return None;
                }
                let asset = self.assets.get(assets.value(i))?;
                let time = u64::try_from(times.value(i)).ok()?;
                prices.usd(asset, amounts.value(i), time)
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(values)))
    }
}
