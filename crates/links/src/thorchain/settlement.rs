//! How much of an inbound THORChain has paid out. A swap is usually settled by one outbound, a
//! streaming swap may be paid in parts; the rest is still at THORChain. The outbounds are in
//! another asset, so what is outstanding is measured in the rate THORChain itself paid on the
//! same route around the same time: the median output per unit of input over the swaps of that
//! route settled by a single payout, nearest in time.

use std::collections::BTreeMap;

use super::records::{AssetKey, Inbound};

/// Swaps nearest in time whose rate makes the median.
const NEIGHBOURS: usize = 21;
/// What a complete settlement may fall short of the median rate by (fees, price moves).
pub const SETTLED_SHARE: f64 = 0.9;

type Route = (AssetKey, AssetKey);

/// Output per unit of input of settled single-payout swaps, per route, in time order.
#[derive(Default)]
pub(super) struct Rates {
    routes: BTreeMap<Route, Vec<(u64, f64)>>,
}

impl Rates {
    pub fn observe(&mut self, inbound: &Inbound, out_asset: &AssetKey, paid: u128) {
        if inbound.amount == 0 || paid == 0 {
            return;
        }
        let rate = paid as f64 / inbound.amount as f64;
        self.routes
            .entry((inbound.asset.clone(), out_asset.clone()))
            .or_default()
            .push((inbound.time, rate));
    }

    /// Sort each route by time; call once after observing.
    pub fn finish(&mut self) {
        for samples in self.routes.values_mut() {
            samples.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        }
    }

    /// The median rate of the route over the settled swaps nearest `time`.
    fn rate(&self, route: &Route, time: u64) -> Option<f64> {
        let samples = self.routes.get(route)?;
        if samples.is_empty() {
            return None;
        }
        let at = samples.partition_point(|(t, _)| *t < time);
        let start = at.saturating_sub(NEIGHBOURS / 2);
        let end = (start + NEIGHBOURS).min(samples.len());
        let start = end.saturating_sub(NEIGHBOURS);
        let mut window: Vec<f64> = samples[start..end].iter().map(|(_, r)| *r).collect();
        window.sort_by(f64::total_cmp);
        Some(window[window.len() / 2])
    }

    /// The share of `inbound` its payouts `paid` (in `out_asset`) settle, when the route has a
    /// rate to measure by: 0..=1.
    pub fn settled_share(
        &self,
        inbound: &Inbound,
        out_asset: &AssetKey,
        paid: u128,
    ) -> Option<f64> {
        let rate = self.rate(&(inbound.asset.clone(), out_asset.clone()), inbound.time)?;
        let expected = inbound.amount as f64 * rate;
        (expected > 0.0).then(|| (paid as f64 / expected).min(1.0))
    }
}
