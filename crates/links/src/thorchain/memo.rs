//! THORChain's transaction memo grammar, as the protocol documents it and as users and wallets
//! write it: what an inbound asks THORChain to do, and which inbound an outbound pays.
//!
//! Inbound memos name a function and its arguments separated by `:`; most functions have short
//! aliases (`SWAP`, `s` and `=` are the same function). Outbound memos (`OUT:<hash>`,
//! `REFUND:<hash>`) name the inbound transaction they settle: that hash is the exact join key.
//! Parsing is case-insensitive for function names, assets and hashes; addresses keep their case.

use std::fmt;

/// An asset as a memo names it: `CHAIN.SYMBOL` (layer 1), `CHAIN/SYMBOL` (synth),
/// `CHAIN~SYMBOL` (trade), `CHAIN-SYMBOL` (secured), or a one-letter short form (`b`, `e`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoAsset {
    /// Upper-case chain code: `BTC`, `ETH`, `AVAX`, `GAIA`, `THOR`, …
    pub chain: String,
    /// Upper-case symbol, with the token contract when given (`USDC-0XA0B8…`).
    pub symbol: String,
    /// Layer 1, synth, trade or secured.
    pub kind: AssetKind,
}

/// How an asset lives in THORChain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    /// A native asset on its own chain: paid out on that chain.
    Layer1,
    /// A synthetic asset held inside THORChain.
    Synth,
    /// A trade-account balance inside THORChain.
    Trade,
    /// A secured asset inside THORChain.
    Secured,
}

/// One-letter (and two-letter) asset aliases THORChain accepts.
const SHORT_ASSETS: &[(&str, &str, &str)] = &[
    ("a", "AVAX", "AVAX"),
    ("b", "BTC", "BTC"),
    ("c", "BCH", "BCH"),
    ("d", "DOGE", "DOGE"),
    ("e", "ETH", "ETH"),
    ("f", "BASE", "ETH"),
    ("g", "GAIA", "ATOM"),
    ("l", "LTC", "LTC"),
    ("n", "BNB", "BNB"),
    ("r", "THOR", "RUNE"),
    ("s", "BSC", "BNB"),
    ("tr", "TRON", "TRX"),
    ("x", "XRP", "XRP"),
];

impl MemoAsset {
    fn parse(text: &str) -> Result<MemoAsset, String> {
        let text = text.trim();
        if let Some((_, chain, symbol)) = SHORT_ASSETS
            .iter()
            .find(|(short, _, _)| short.eq_ignore_ascii_case(text))
        {
            return Ok(MemoAsset {
                chain: chain.to_string(),
                symbol: symbol.to_string(),
                kind: AssetKind::Layer1,
            });
        }
        let upper = text.to_ascii_uppercase();
        let (at, kind) = match upper.find(['.', '/', '~']) {
            Some(at) => (
                at,
                match upper.as_bytes()[at] {
                    b'.' => AssetKind::Layer1,
                    b'/' => AssetKind::Synth,
                    _ => AssetKind::Trade,
                },
            ),
            None => match upper.find('-') {
                Some(at) => (at, AssetKind::Secured),
                None => {
                    return Err(format!(
                        "`{text}` is not an asset (CHAIN.SYMBOL or a short code such as b or e)"
                    ));
                }
            },
        };
        let (chain, symbol) = (&upper[..at], &upper[at + 1..]);
        let chain_ok =
            (2..=5).contains(&chain.len()) && chain.bytes().all(|b| b.is_ascii_uppercase());
        let symbol_ok = !symbol.is_empty()
            && symbol
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !chain_ok || !symbol_ok {
            return Err(format!("`{text}` is not an asset (CHAIN.SYMBOL)"));
        }
        Ok(MemoAsset {
            chain: chain.to_string(),
            symbol: symbol.to_string(),
            kind,
        })
    }

    /// Is this the chain's own coin or a token on that chain, paid out on the chain itself?
    pub fn is_layer1(&self) -> bool {
        self.kind == AssetKind::Layer1
    }
}

impl fmt::Display for MemoAsset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let separator = match self.kind {
            AssetKind::Layer1 => '.',
            AssetKind::Synth => '/',
            AssetKind::Trade => '~',
            AssetKind::Secured => '-',
        };
        write!(f, "{}{separator}{}", self.chain, self.symbol)
    }
}

/// A swap's price protection: a minimum output, and for streaming swaps the interval (in
/// THORChain blocks) and the number of sub-swaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// The minimum output, in THORChain's 1e8 units.
    pub minimum: String,
    /// Blocks between sub-swaps of a streaming swap.
    pub interval: Option<String>,
    /// Sub-swaps of a streaming swap.
    pub quantity: Option<String>,
}

/// What a memo asks for, as far as following value is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Memo {
    /// `SWAP` / `s` / `=`: the inbound's value leaves THORChain as `asset` to `destination`.
    Swap {
        /// The asset paid out.
        asset: MemoAsset,
        /// Where it is paid out, as the memo writes the address.
        destination: String,
        /// Where a failed swap is refunded (`DEST/REFUND`), when given.
        refund: Option<String>,
        /// The swap's price protection, when given.
        limit: Option<Limit>,
        /// Affiliates taking a fee, as written.
        affiliates: Vec<String>,
    },
    /// `LOAN+` / `$+`: collateral in, the loan paid out as `asset` to `destination`.
    LoanOpen {
        /// The asset lent.
        asset: MemoAsset,
        /// Where it is paid out, as the memo writes the address.
        destination: String,
    },
    /// `LOAN-` / `$-`: repayment in, collateral paid back as `asset` to `destination`.
    LoanClose {
        /// The collateral asset returned.
        asset: MemoAsset,
        /// Where it is paid out, as the memo writes the address.
        destination: String,
    },
    /// `ADD` / `a` / `+`: liquidity added to `pool`; the value stays with THORChain.
    AddLiquidity {
        /// The pool.
        pool: MemoAsset,
    },
    /// `WITHDRAW` / `wd` / `-`: asks THORChain to pay out a liquidity position.
    Withdraw {
        /// The pool.
        pool: MemoAsset,
    },
    /// `OUT:<hash>`: pays out (part of) the inbound `hash`.
    Out {
        /// The inbound transaction, in display byte order.
        inbound: [u8; 32],
    },
    /// `REFUND:<hash>`: returns the inbound `hash` to its sender.
    Refund {
        /// The inbound transaction, in display byte order.
        inbound: [u8; 32],
    },
    /// Vault housekeeping (`MIGRATE`, `CONSOLIDATE`, `RAGNAROK`): moves between THORChain's own
    /// vaults, never user value leaving.
    VaultInternal {
        /// The memo's function name, as written.
        function: String,
    },
    /// Another function THORChain accepts (bond, donate, trade accounts, names, …): the value
    /// stays with THORChain.
    Other {
        /// The memo's function name, as written.
        function: String,
    },
}

/// Why a memo is not one THORChain would act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoError(pub String);

impl fmt::Display for MemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MemoError {}

/// Functions that are valid THORChain memos but move no value out for the sender.
const OTHER_FUNCTIONS: &[&str] = &[
    "DONATE",
    "D",
    "BOND",
    "UNBOND",
    "LEAVE",
    "NOOP",
    "RESERVE",
    "TRADE+",
    "TRADE-",
    "POOL+",
    "POOL-",
    "SECURE+",
    "SECURE-",
    "NAME",
    "N",
    "~",
    "RUNEPOOL+",
    "RUNEPOOL-",
    "TCY+",
    "TCY-",
];

/// The 32 bytes of a transaction hash as memos write it: 64 hex digits, either case,
/// optionally after `0x`.
pub fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let mut raw = [0u8; 32];
    hex::decode_to_slice(digits, &mut raw).ok()?;
    Some(raw)
}

fn field<'a>(parts: &[&'a str], i: usize) -> Option<&'a str> {
    parts.get(i).map(|p| p.trim()).filter(|p| !p.is_empty())
}

fn required<'a>(parts: &[&'a str], i: usize, what: &str, memo: &str) -> Result<&'a str, MemoError> {
    field(parts, i).ok_or_else(|| MemoError(format!("`{memo}` has no {what}")))
}

fn parse_limit(text: &str, memo: &str) -> Result<Limit, MemoError> {
    let mut pieces = text.split('/');
    let minimum = pieces.next().unwrap_or_default().trim().to_string();
    let number = |s: &str| {
        let s = s.trim();
        let (mantissa, exponent) = s
            .split_once(['e', 'E'])
            .map_or((s, None), |(m, e)| (m, Some(e)));
        !mantissa.is_empty()
            && mantissa.bytes().all(|b| b.is_ascii_digit())
            && exponent.is_none_or(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
    };
    if !minimum.is_empty() && !number(&minimum) {
        return Err(MemoError(format!("`{memo}`: `{text}` is not a swap limit")));
    }
    let interval = pieces.next().map(|s| s.trim().to_string());
    let quantity = pieces.next().map(|s| s.trim().to_string());
    for part in interval.iter().chain(quantity.iter()) {
        if !part.is_empty() && !number(part) {
            return Err(MemoError(format!(
                "`{memo}`: `{text}` is not a streaming limit"
            )));
        }
    }
    Ok(Limit {
        minimum,
        interval,
        quantity,
    })
}

/// Parse a memo. Leading and trailing whitespace and NUL padding (fixed-size OP_RETURN
/// payloads) are ignored.
pub fn parse(memo: &str) -> Result<Memo, MemoError> {
    let memo = memo.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let parts: Vec<&str> = memo.split(':').collect();
    let function = parts[0].trim().to_ascii_uppercase();
    if function.is_empty() {
        return Err(MemoError("empty memo".to_string()));
    }
    let hash = |what: &str| -> Result<[u8; 32], MemoError> {
        let text = required(&parts, 1, what, memo)?;
        parse_hash(text).ok_or_else(|| {
            MemoError(format!(
                "`{memo}`: `{text}` is not a transaction hash (64 hex digits)"
            ))
        })
    };
    Ok(match function.as_str() {
        "SWAP" | "S" | "=" => {
            let asset = MemoAsset::parse(required(&parts, 1, "asset", memo)?)
                .map_err(|e| MemoError(format!("`{memo}`: {e}")))?;
            let target = required(&parts, 2, "destination address", memo)?;
            let (destination, refund) = match target.split_once('/') {
                Some((dest, refund)) => (dest.trim(), Some(refund.trim().to_string())),
                None => (target, None),
            };
            let limit = field(&parts, 3).map(|l| parse_limit(l, memo)).transpose()?;
            let affiliates = field(&parts, 4)
                .map(|a| a.split('/').map(|s| s.trim().to_string()).collect())
                .unwrap_or_default();
            Memo::Swap {
                asset,
                destination: destination.to_string(),
                refund: refund.filter(|r| !r.is_empty()),
                limit,
                affiliates,
            }
        }
        "LOAN+" | "$+" | "LOAN-" | "$-" => {
            let asset = MemoAsset::parse(required(&parts, 1, "asset", memo)?)
                .map_err(|e| MemoError(format!("`{memo}`: {e}")))?;
            let destination = required(&parts, 2, "destination address", memo)?.to_string();
            if function.ends_with('+') {
                Memo::LoanOpen { asset, destination }
            } else {
                Memo::LoanClose { asset, destination }
            }
        }
        "ADD" | "A" | "+" => Memo::AddLiquidity {
            pool: MemoAsset::parse(required(&parts, 1, "pool", memo)?)
                .map_err(|e| MemoError(format!("`{memo}`: {e}")))?,
        },
        "WITHDRAW" | "WD" | "-" => Memo::Withdraw {
            pool: MemoAsset::parse(required(&parts, 1, "pool", memo)?)
                .map_err(|e| MemoError(format!("`{memo}`: {e}")))?,
        },
        "OUT" => Memo::Out {
            inbound: hash("inbound hash")?,
        },
        "REFUND" => Memo::Refund {
            inbound: hash("inbound hash")?,
        },
        "MIGRATE" | "CONSOLIDATE" | "RAGNAROK" => Memo::VaultInternal { function },
        _ if OTHER_FUNCTIONS.contains(&function.as_str()) => Memo::Other { function },
        _ => {
            return Err(MemoError(format!(
                "`{memo}` does not start with a THORChain function (SWAP, =, s, OUT, REFUND, ADD, …)"
            )));
        }
    })
}

impl Memo {
    /// Does THORChain answer this inbound with an outbound (`OUT:`) to someone?
    pub fn expects_outbound(&self) -> bool {
        matches!(
            self,
            Memo::Swap { .. } | Memo::LoanOpen { .. } | Memo::LoanClose { .. }
        )
    }

    /// The address an inbound asks to be paid, when it names one.
    pub fn destination(&self) -> Option<&str> {
        match self {
            Memo::Swap { destination, .. }
            | Memo::LoanOpen { destination, .. }
            | Memo::LoanClose { destination, .. } => Some(destination),
            _ => None,
        }
    }

    /// The asset an inbound asks to be paid in, when it names one.
    pub fn asset(&self) -> Option<&MemoAsset> {
        match self {
            Memo::Swap { asset, .. }
            | Memo::LoanOpen { asset, .. }
            | Memo::LoanClose { asset, .. } => Some(asset),
            _ => None,
        }
    }

    /// The inbound an outbound settles, and whether it is a refund.
    pub fn settles(&self) -> Option<([u8; 32], bool)> {
        match self {
            Memo::Out { inbound } => Some((*inbound, false)),
            Memo::Refund { inbound } => Some((*inbound, true)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "C803297230FA11CE9BFE1F2FC2A6A0A534776DF95AED33DF8EDE62BE0FCB266C";

    #[test]
    fn swaps_in_every_documented_form() {
        let long =
            parse("SWAP:BTC.BTC:bc1qwxwl5l209je4c2ycr8hc7dq7jqfptk23esmn5s:12345678").unwrap();
        let Memo::Swap {
            asset,
            destination,
            limit,
            ..
        } = &long
        else {
            panic!("{long:?}")
        };
        assert_eq!(asset.to_string(), "BTC.BTC");
        assert_eq!(destination, "bc1qwxwl5l209je4c2ycr8hc7dq7jqfptk23esmn5s");
        assert_eq!(limit.as_ref().unwrap().minimum, "12345678");
        for short in ["=:b:bc1qxyz", "s:BTC.BTC:bc1qxyz", "=:btc.btc:bc1qxyz:0"] {
            let memo = parse(short).unwrap();
            assert_eq!(memo.asset().unwrap().to_string(), "BTC.BTC", "{short}");
            assert_eq!(memo.destination(), Some("bc1qxyz"), "{short}");
            assert!(memo.expects_outbound());
        }
        let streaming = parse("=:e:0xAbC/0xdef:5e6/3/0:thor1aff/t:10/5").unwrap();
        let Memo::Swap {
            asset,
            destination,
            refund,
            limit,
            affiliates,
        } = streaming
        else {
            panic!()
        };
        assert_eq!(asset.to_string(), "ETH.ETH");
        assert_eq!(destination, "0xAbC");
        assert_eq!(refund.as_deref(), Some("0xdef"));
        let limit = limit.unwrap();
        assert_eq!(
            (
                limit.minimum.as_str(),
                limit.interval.as_deref(),
                limit.quantity.as_deref()
            ),
            ("5e6", Some("3"), Some("0"))
        );
        assert_eq!(affiliates, vec!["thor1aff".to_string(), "t".to_string()]);
        let token = parse("=:ETH.USDC-0XA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48:0xabc").unwrap();
        assert_eq!(
            token.asset().unwrap().symbol,
            "USDC-0XA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48"
        );
        assert_eq!(
            parse("=:BTC/BTC:thor1x").unwrap().asset().unwrap().kind,
            AssetKind::Synth
        );
        assert_eq!(
            parse("=:BTC~BTC:thor1x").unwrap().asset().unwrap().kind,
            AssetKind::Trade
        );
        assert_eq!(
            parse("=:BTC-BTC:thor1x").unwrap().asset().unwrap().kind,
            AssetKind::Secured
        );
    }

    #[test]
    fn outbounds_name_their_inbound_in_any_case() {
        for text in [
            format!("OUT:{HASH}"),
            format!("out:{}", HASH.to_lowercase()),
            format!("OUT:0x{HASH}"),
            format!("REFUND:{HASH}\0\0"),
        ] {
            let (hash, refund) = parse(&text).unwrap().settles().unwrap();
            assert_eq!(hex::encode_upper(hash), HASH);
            assert_eq!(refund, text.starts_with("REFUND"));
        }
        assert!(parse("OUT:1234").is_err());
        assert!(parse("OUT:").is_err());
    }

    #[test]
    fn loans_liquidity_and_housekeeping() {
        let loan = parse(
            "loan+:ETH.USDC-0XA0B86991C6218B36C1D19D4A2E9EB0CE3606EB48:0x0F55f315617869cBF62bdc4f883d8C0AD90Cf63f:0:thor160yye65pf9rzwrgqmtgav69n6zlsyfpgm9a7xk:0:::0",
        )
        .unwrap();
        assert!(matches!(loan, Memo::LoanOpen { .. }));
        assert_eq!(
            loan.destination(),
            Some("0x0F55f315617869cBF62bdc4f883d8C0AD90Cf63f")
        );
        assert!(matches!(
            parse("+:BTC.BTC").unwrap(),
            Memo::AddLiquidity { .. }
        ));
        assert!(!parse("ADD:ETH.ETH:thor1abc").unwrap().expects_outbound());
        assert!(matches!(
            parse("MIGRATE:1234").unwrap(),
            Memo::VaultInternal { .. }
        ));
        assert!(matches!(
            parse("consolidate").unwrap(),
            Memo::VaultInternal { .. }
        ));
        assert!(matches!(parse("BOND:thor1x").unwrap(), Memo::Other { .. }));
    }

    #[test]
    fn not_memos() {
        for text in [
            "",
            "hello world",
            "omni",
            "=:",
            "=:b",
            "=:notanasset:x",
            "SWAP:.BTC:x",
            "=:b:x:12ab",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in ".{0,120}") {
            let _ = parse(&text);
        }

        #[test]
        fn generated_swaps_round_trip(
            short in proptest::sample::select(vec!["=", "s", "SWAP", "swap"]),
            asset in proptest::sample::select(vec!["b", "e", "BTC.BTC", "ETH.ETH", "eth.usdt-0xdac17f958d2ee523a2206206994597c13d831ec7"]),
            dest in "[a-zA-Z0-9]{4,60}",
            limit in proptest::option::of("[0-9]{1,12}(/[0-9]{1,3}/[0-9]{1,3})?"),
        ) {
            let text = match &limit {
                Some(l) => format!("{short}:{asset}:{dest}:{l}"),
                None => format!("{short}:{asset}:{dest}"),
            };
            let memo = parse(&text).unwrap();
            proptest::prop_assert_eq!(memo.destination(), Some(dest.as_str()));
            proptest::prop_assert!(memo.expects_outbound());
        }

        #[test]
        fn generated_outbounds_round_trip(hash in proptest::array::uniform32(proptest::num::u8::ANY), lower in proptest::bool::ANY) {
            let hex_text = if lower { hex::encode(hash) } else { hex::encode_upper(hash) };
            let parsed = parse(&format!("OUT:{hex_text}")).unwrap();
            proptest::prop_assert_eq!(parsed.settles(), Some((hash, false)));
        }
    }
}
