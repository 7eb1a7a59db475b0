//! THORChain memos as wallets and users write them (inbound swaps) and as the protocol writes
//! them (outbounds, refunds, vault migrations).
//!
//! Swap: `FUNCTION:ASSET:DEST[/REFUND]:LIMIT[/INTERVAL/QUANTITY]:AFFILIATE:BPS` where the
//! function is `SWAP`, `s` or `=`, the asset `BTC.BTC`/`b` or `ETH.ETH`/`e`, fields after the
//! destination optional (an empty limit is allowed before an affiliate), and the limit a
//! 1e8-unit amount, sometimes in THORChain's scientific notation (`123e5`). On Bitcoin the whole
//! memo must fit an 80-byte OP_RETURN, so optional parts are dropped until it does.

use chaintrail_core::TxHash;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The asset a swap buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Btc,
    Eth,
}

/// A swap memo's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SwapMemo {
    pub function: &'static str,
    pub asset: &'static str,
    pub dest: String,
    pub refund: Option<String>,
    /// The minimum output in 1e8 units of the target asset, and whether it is written in
    /// scientific notation.
    pub limit: Option<(u128, bool)>,
    /// Streaming: interval (THORChain blocks between sub-swaps) and quantity (0 = chosen by
    /// the protocol).
    pub stream: Option<(u32, u32)>,
    pub affiliate: Option<(&'static str, u32)>,
}

/// THORNames of interfaces that take an affiliate fee.
const AFFILIATES: [&str; 6] = ["t", "ss", "wr", "te", "tl", "ej"];

/// How a swap's memo is to come out.
pub(crate) struct MemoPlan<'a> {
    pub target: Target,
    pub dest: String,
    /// An address on the source chain to refund to, if the user gives one.
    pub refund: Option<String>,
    /// The output the swap will give, in 1e8 units of the target asset.
    pub expected: u128,
    /// Ask for more than `expected`, so that the protocol refunds.
    pub refunded: bool,
    /// A streaming swap.
    pub streaming: bool,
    pub rng: &'a mut ChaCha8Rng,
}

impl SwapMemo {
    /// A memo as one of many wallets would write it.
    pub(crate) fn random(plan: MemoPlan<'_>) -> SwapMemo {
        let MemoPlan {
            target,
            dest,
            refund,
            expected,
            refunded,
            streaming,
            rng,
        } = plan;
        let function = ["SWAP", "s", "="][rng.random_range(0..3)];
        let short = rng.random_bool(0.5);
        let asset = match (target, short) {
            (Target::Btc, false) => "BTC.BTC",
            (Target::Btc, true) => "b",
            (Target::Eth, false) => "ETH.ETH",
            (Target::Eth, true) => "e",
        };
        let scientific = rng.random_bool(0.4);
        let limit = if refunded {
            Some((expected + expected / 20 + 1, scientific))
        } else if rng.random_bool(0.4) {
            Some((expected - expected / 50, scientific))
        } else if streaming {
            Some((0, false))
        } else {
            None
        };
        let stream = streaming.then(|| {
            (
                rng.random_range(1..=5),
                [0, 2, 3, 5][rng.random_range(0..4)],
            )
        });
        let affiliate = rng.random_bool(0.3).then(|| {
            (
                AFFILIATES[rng.random_range(0..AFFILIATES.len())],
                rng.random_range(0..=50),
            )
        });
        SwapMemo {
            function,
            asset,
            dest,
            refund,
            limit,
            stream,
            affiliate,
        }
    }

    /// The limit the protocol applies (scientific notation rounds down to three digits).
    pub(crate) fn limit_value(&self) -> u128 {
        match self.limit {
            Some((v, true)) => scientific(v).1,
            Some((v, false)) => v,
            None => 0,
        }
    }

    /// The affiliate fee in basis points.
    pub(crate) fn affiliate_bps(&self) -> u32 {
        self.affiliate.map_or(0, |a| a.1)
    }

    /// Drop optional parts (refund address, affiliate, then a non-binding limit) until the memo
    /// is at most `max` bytes. The destination, a binding limit and streaming stay.
    pub(crate) fn fit(&mut self, max: usize) {
        if self.render().len() > max {
            self.refund = None;
        }
        if self.render().len() > max {
            self.affiliate = None;
        }
        if self.render().len() > max && self.function == "SWAP" {
            self.function = "=";
        }
        if self.render().len() > max {
            self.asset = match self.asset {
                "BTC.BTC" => "b",
                "ETH.ETH" => "e",
                other => other,
            };
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut memo = format!("{}:{}:{}", self.function, self.asset, self.dest);
        if let Some(refund) = &self.refund {
            memo.push('/');
            memo.push_str(refund);
        }
        if self.limit.is_some() || self.stream.is_some() || self.affiliate.is_some() {
            memo.push(':');
            match self.limit {
                Some((v, true)) => memo.push_str(&scientific(v).0),
                Some((v, false)) => memo.push_str(&v.to_string()),
                None => {}
            }
            if let Some((interval, quantity)) = self.stream {
                memo.push_str(&format!("/{interval}/{quantity}"));
            }
        }
        if let Some((name, bps)) = self.affiliate {
            memo.push_str(&format!(":{name}:{bps}"));
        }
        memo
    }
}

/// `v` in THORChain's scientific notation with a three-digit mantissa (`123e5`), and the value
/// that notation stands for (`v` rounded down). Small values stay plain.
fn scientific(v: u128) -> (String, u128) {
    let digits = v.to_string();
    if digits.len() <= 4 {
        return (digits, v);
    }
    let exponent = digits.len() - 3;
    let mantissa = &digits[..3];
    let value = mantissa.parse::<u128>().unwrap_or(0) * 10u128.pow(exponent as u32);
    (format!("{mantissa}e{exponent}"), value)
}

/// The hash as THORChain writes transaction ids in memos: upper-case hex without `0x`.
fn memo_hash(hash: &TxHash) -> String {
    hex::encode_upper(hash.0)
}

/// The outbound memo joining a payout to its inbound: `OUT:<INBOUND HASH>`.
pub(crate) fn out_memo(inbound: &TxHash) -> String {
    format!("OUT:{}", memo_hash(inbound))
}

/// The refund memo: `REFUND:<INBOUND HASH>`.
pub(crate) fn refund_memo(inbound: &TxHash) -> String {
    format!("REFUND:{}", memo_hash(inbound))
}

/// A vault migration after a churn: `MIGRATE:<THORChain height>`.
pub(crate) fn migrate_memo(thorchain_height: u64) -> String {
    format!("MIGRATE:{thorchain_height}")
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn memo(limit: Option<(u128, bool)>, stream: Option<(u32, u32)>) -> SwapMemo {
        SwapMemo {
            function: "=",
            asset: "e",
            dest: "0xabc".into(),
            refund: None,
            limit,
            stream,
            affiliate: None,
        }
    }

    #[test]
    fn memos_render_as_thorchain_reads_them() {
        assert_eq!(memo(None, None).render(), "=:e:0xabc");
        assert_eq!(
            memo(Some((12_345_678, true)), None).render(),
            "=:e:0xabc:123e5"
        );
        assert_eq!(
            memo(Some((12_345_678, true)), None).limit_value(),
            12_300_000
        );
        assert_eq!(
            memo(Some((0, false)), Some((3, 0))).render(),
            "=:e:0xabc:0/3/0"
        );
        let mut m = memo(None, None);
        m.affiliate = Some(("t", 15));
        m.refund = Some("bcrt1qxyz".into());
        assert_eq!(m.render(), "=:e:0xabc/bcrt1qxyz::t:15");
        m.fit(14);
        assert_eq!(m.render(), "=:e:0xabc");
        let hash = TxHash([0xab; 32]);
        assert_eq!(out_memo(&hash), format!("OUT:{}", "AB".repeat(32)));
        assert_eq!(refund_memo(&hash).len(), 7 + 64);
        assert_eq!(migrate_memo(19_000_001), "MIGRATE:19000001");
    }

    #[test]
    fn refunded_swaps_ask_for_more_than_they_get_and_others_less() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for i in 0..500 {
            let refunded = i % 3 == 0;
            let m = SwapMemo::random(MemoPlan {
                target: Target::Btc,
                dest: "bcrt1qdest".into(),
                refund: None,
                expected: 1_000_000 + i,
                refunded,
                streaming: i % 5 == 0,
                rng: &mut rng,
            });
            assert_eq!(m.limit_value() > 1_000_000 + i, refunded, "{}", m.render());
        }
    }
}
