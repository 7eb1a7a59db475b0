//! The binary form of an exposure-index value ([`ChainExposure`]), then compressed with Snappy.
//!
//! JSON spelled every field name of every exposure again and printed every float as text: on
//! the demo world 1,865 bytes per address, 803 after Snappy. This form writes numbers as
//! varints and little-endian `f64` bits (exact). Texts are numbers too: the words every value
//! repeats — entity names, categories, directions, levels, rules, chains, assets, dates — into
//! the index's [`Vocabulary`], kept once in its metadata (a third of each value when every value
//! spelled them: 323 of 941 bytes on a 10M-record store); texts met once — transaction hashes,
//! counterparties, cluster evidence — into a table of the value itself. Enumerations (category,
//! direction, level, chain, date) are stored as their canonical text, so a new category or chain
//! needs no format change.
//!
//! ```text
//! value   = texts body
//! texts   = n:varint (len:varint utf8-bytes){n}
//! body    = n:varint exposure{n} volume n:varint dust{n} truncated:u8
//! exposure= category:word entity:word direction:word type:word min_hops:varint usd:f64
//!           n:varint (chain:word asset:word units:f64){n} n:varint (hops:varint usd:f64){n}
//!           share:f64 level:word rule:opt flags:u8 [first_day:word] [last_day:word]
//!           n:varint path{n} [via_cluster:text]
//! path    = usd:f64 n:varint (hop:varint chain:word tx:text time:varint from:opt to:opt
//!           share:f64 rule:opt){n}
//! volume  = incoming_usd:f64 outgoing_usd:f64
//! dust    = chain:word tx:text counterparty:opt asset:word units:f64 usd:optf64
//!           n:varint category:word{n} reason:word
//! word    = 2 × number in the vocabulary:varint          text = 2 × index into texts + 1:varint
//! opt     = 0 | (word or text) + 1                        optf64 = 0:u8 | 1:u8 f64
//! flags   = alert 1 | listing_unknown 2 | lapsed 4 | first_day 8 | last_day 16 | via 32
//! ```
//!
//! Decoding reads bytes that may be damaged: every length is checked against what is left, and
//! a bad value is an error, never a panic.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::model::{
    ChainExposure, ExcludedDust, Exposure, ExposurePath, HopValue, NativeValue, PathStep, Volume,
};

const ALERT: u8 = 1;
const LISTING_UNKNOWN: u8 = 2;
const LAPSED: u8 = 4;
const FIRST_DAY: u8 = 8;
const LAST_DAY: u8 = 16;
const VIA_CLUSTER: u8 = 32;

/// The words the values of one index share, numbered in the order the build met them. An
/// update starts from the previous index's words, so the values it copies keep their meaning.
#[derive(Default)]
pub(crate) struct Vocabulary {
    inner: RwLock<Words>,
}

#[derive(Default)]
struct Words {
    words: Vec<String>,
    numbers: HashMap<String, u64>,
}

impl Vocabulary {
    /// A vocabulary holding `words` under their positions.
    pub(crate) fn from_words(words: &[String]) -> Vocabulary {
        let numbers = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i as u64))
            .collect();
        Vocabulary {
            inner: RwLock::new(Words {
                words: words.to_vec(),
                numbers,
            }),
        }
    }

    fn number_of(&self, word: &str) -> u64 {
        // A poisoned lock still holds whole entries: each is added under one write.
        if let Some(&n) = self
            .inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .numbers
            .get(word)
        {
            return n;
        }
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(&n) = inner.numbers.get(word) {
            return n;
        }
        let n = inner.words.len() as u64;
        inner.words.push(word.to_string());
        inner.numbers.insert(word.to_string(), n);
        n
    }

    /// The words, in number order: what the index keeps in its metadata.
    pub(crate) fn into_words(self) -> Vec<String> {
        self.inner
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .words
    }
}

/// The stored form of an exposure: binary, compressed; its words numbered in `vocabulary`.
pub(crate) fn encode(exposure: &ChainExposure, vocabulary: &Vocabulary) -> Result<Vec<u8>, String> {
    let mut enc = Encoder {
        vocabulary,
        texts: Vec::new(),
        numbers: HashMap::new(),
        body: Vec::new(),
    };
    enc.chain_exposure(exposure)?;
    let mut out = Vec::with_capacity(enc.body.len() + 16 * enc.texts.len());
    put_varint(&mut out, enc.texts.len() as u64);
    for text in &enc.texts {
        put_varint(&mut out, text.len() as u64);
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(&enc.body);
    snap::raw::Encoder::new()
        .compress_vec(&out)
        .map_err(|e| format!("cannot compress an exposure: {e}"))
}

/// An exposure from its stored form, its words numbered in `words` (the index's vocabulary).
pub(crate) fn decode(bytes: &[u8], words: &[String]) -> Result<ChainExposure, String> {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(bytes)
        .map_err(|e| format!("not Snappy: {e}"))?;
    let mut dec = Decoder {
        bytes: &raw,
        pos: 0,
        words,
        texts: Vec::new(),
    };
    let n = dec.count()?;
    for _ in 0..n {
        let len = dec.count()?;
        let text = std::str::from_utf8(dec.take(len)?).map_err(|e| format!("a text: {e}"))?;
        dec.texts.push(text);
    }
    let exposure = dec.chain_exposure()?;
    if dec.pos != raw.len() {
        return Err(format!("{} bytes left over", raw.len() - dec.pos));
    }
    Ok(exposure)
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

struct Encoder<'v> {
    vocabulary: &'v Vocabulary,
    texts: Vec<String>,
    numbers: HashMap<String, u64>,
    body: Vec<u8>,
}

impl Encoder<'_> {
    fn varint(&mut self, value: u64) {
        put_varint(&mut self.body, value);
    }

    fn count(&mut self, n: usize) {
        self.varint(n as u64);
    }

    fn f64(&mut self, value: f64) {
        self.body.extend_from_slice(&value.to_bits().to_le_bytes());
    }

    fn number_of(&mut self, text: &str) -> u64 {
        if let Some(&n) = self.numbers.get(text) {
            return n;
        }
        let n = self.texts.len() as u64;
        self.texts.push(text.to_string());
        self.numbers.insert(text.to_string(), n);
        n
    }

    /// A text met once: into the value's own table.
    fn text(&mut self, text: &str) {
        let n = self.number_of(text);
        self.varint(2 * n + 1);
    }

    /// A text that values repeat: into the index's vocabulary.
    fn word(&mut self, word: &str) {
        let n = self.vocabulary.number_of(word);
        self.varint(2 * n);
    }

    fn opt(&mut self, text: Option<&str>) {
        let n = text.map_or(0, |t| 2 * self.number_of(t) + 2);
        self.varint(n);
    }

    fn opt_word(&mut self, word: Option<&str>) {
        let n = word.map_or(0, |w| 2 * self.vocabulary.number_of(w) + 1);
        self.varint(n);
    }

    /// An enumeration (or date, or chain) by its canonical text, a word.
    fn named<T: Serialize>(&mut self, value: &T) -> Result<(), String> {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::String(text)) => {
                self.word(&text);
                Ok(())
            }
            other => Err(format!("a value without a name: {other:?}")),
        }
    }

    fn chain_exposure(&mut self, e: &ChainExposure) -> Result<(), String> {
        self.count(e.exposures.len());
        for x in &e.exposures {
            self.exposure(x)?;
        }
        self.f64(e.volume.incoming_usd);
        self.f64(e.volume.outgoing_usd);
        self.count(e.excluded_dust.len());
        for d in &e.excluded_dust {
            self.named(&d.chain)?;
            self.text(&d.tx);
            self.opt(d.counterparty.as_deref());
            self.word(&d.asset);
            self.f64(d.units);
            match d.usd {
                Some(usd) => {
                    self.body.push(1);
                    self.f64(usd);
                }
                None => self.body.push(0),
            }
            self.count(d.categories.len());
            for c in &d.categories {
                self.named(c)?;
            }
            self.word(&d.reason);
        }
        self.body.push(u8::from(e.truncated));
        Ok(())
    }

    fn exposure(&mut self, x: &Exposure) -> Result<(), String> {
        self.named(&x.category)?;
        self.word(&x.entity);
        self.named(&x.direction)?;
        self.named(&x.exposure_type)?;
        self.varint(u64::from(x.min_hops));
        self.f64(x.usd);
        self.count(x.values.len());
        for v in &x.values {
            self.named(&v.chain)?;
            self.word(&v.asset);
            self.f64(v.units);
        }
        self.count(x.by_hop.len());
        for h in &x.by_hop {
            self.varint(u64::from(h.hops));
            self.f64(h.usd);
        }
        self.f64(x.share);
        self.named(&x.level)?;
        self.opt_word(x.rule.as_deref());
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        self.body.push(
            flag(x.alert, ALERT)
                | flag(x.listing_unknown, LISTING_UNKNOWN)
                | flag(x.lapsed, LAPSED)
                | flag(x.first_day.is_some(), FIRST_DAY)
                | flag(x.last_day.is_some(), LAST_DAY)
                | flag(x.via_cluster.is_some(), VIA_CLUSTER),
        );
        for day in [&x.first_day, &x.last_day].into_iter().flatten() {
            self.named(day)?;
        }
        self.count(x.paths.len());
        for p in &x.paths {
            self.f64(p.usd);
            self.count(p.steps.len());
            for s in &p.steps {
                self.varint(u64::from(s.hop));
                self.named(&s.chain)?;
                self.text(&s.tx);
                self.varint(s.time);
                self.opt(s.from.as_deref());
                self.opt(s.to.as_deref());
                self.f64(s.share);
                self.opt(s.rule.as_deref());
            }
        }
        if let Some(via) = &x.via_cluster {
            self.text(via);
        }
        Ok(())
    }
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    words: &'a [String],
    texts: Vec<&'a str>,
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or_else(|| format!("cut short at byte {}", self.pos))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Ok(value);
            }
        }
        Err(format!("a varint longer than 64 bits at byte {}", self.pos))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| format!("{v} does not fit 32 bits"))
    }

    /// A count of items that each take at least one byte: never more than the bytes left, so
    /// damaged bytes cannot ask for a huge allocation.
    fn count(&mut self) -> Result<usize, String> {
        let n = self.varint()?;
        let left = (self.bytes.len() - self.pos) as u64;
        if n > left {
            return Err(format!("a count of {n} with {left} bytes left"));
        }
        Ok(n as usize)
    }

    fn f64(&mut self) -> Result<f64, String> {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(self.take(8)?);
        Ok(f64::from_bits(u64::from_le_bytes(raw)))
    }

    /// A word or a text, by its tagged number (see the module's grammar).
    fn tagged(&self, n: u64) -> Result<&'a str, String> {
        let i = usize::try_from(n / 2).unwrap_or(usize::MAX);
        if n.is_multiple_of(2) {
            self.words
                .get(i)
                .map(String::as_str)
                .ok_or_else(|| format!("word {i} of {}", self.words.len()))
        } else {
            self.texts
                .get(i)
                .copied()
                .ok_or_else(|| format!("text {i} of {}", self.texts.len()))
        }
    }

    fn text(&mut self) -> Result<&'a str, String> {
        let n = self.varint()?;
        self.tagged(n)
    }

    fn string(&mut self) -> Result<String, String> {
        self.text().map(str::to_string)
    }

    fn opt(&mut self) -> Result<Option<String>, String> {
        match self.varint()? {
            0 => Ok(None),
            n => self.tagged(n - 1).map(|t| Some(t.to_string())),
        }
    }

    fn named<T: DeserializeOwned>(&mut self) -> Result<T, String> {
        let text = self.text()?;
        serde_json::from_value(serde_json::Value::String(text.to_string()))
            .map_err(|e| format!("{text:?}: {e}"))
    }

    fn chain_exposure(&mut self) -> Result<ChainExposure, String> {
        let n = self.count()?;
        let mut exposures = Vec::with_capacity(n);
        for _ in 0..n {
            exposures.push(self.exposure()?);
        }
        let volume = Volume {
            incoming_usd: self.f64()?,
            outgoing_usd: self.f64()?,
        };
        let n = self.count()?;
        let mut excluded_dust = Vec::with_capacity(n);
        for _ in 0..n {
            let chain = self.named()?;
            let tx = self.string()?;
            let counterparty = self.opt()?;
            let asset = self.string()?;
            let units = self.f64()?;
            let usd = match self.byte()? {
                0 => None,
                1 => Some(self.f64()?),
                other => return Err(format!("a dust price marker {other}")),
            };
            let k = self.count()?;
            let mut categories = Vec::with_capacity(k);
            for _ in 0..k {
                categories.push(self.named()?);
            }
            excluded_dust.push(ExcludedDust {
                chain,
                tx,
                counterparty,
                asset,
                units,
                usd,
                categories,
                reason: self.string()?,
            });
        }
        let truncated = match self.byte()? {
            0 => false,
            1 => true,
            other => return Err(format!("a truncation marker {other}")),
        };
        Ok(ChainExposure {
            exposures,
            volume,
            excluded_dust,
            truncated,
        })
    }

    fn exposure(&mut self) -> Result<Exposure, String> {
        let category = self.named()?;
        let entity = self.string()?;
        let direction = self.named()?;
        let exposure_type = self.named()?;
        let min_hops = self.u32()?;
        let usd = self.f64()?;
        let n = self.count()?;
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            values.push(NativeValue {
                chain: self.named()?,
                asset: self.string()?,
                units: self.f64()?,
            });
        }
        let n = self.count()?;
        let mut by_hop = Vec::with_capacity(n);
        for _ in 0..n {
            by_hop.push(HopValue {
                hops: self.u32()?,
                usd: self.f64()?,
            });
        }
        let share = self.f64()?;
        let level = self.named()?;
        let rule = self.opt()?;
        let flags = self.byte()?;
        if flags & !(ALERT | LISTING_UNKNOWN | LAPSED | FIRST_DAY | LAST_DAY | VIA_CLUSTER) != 0 {
            return Err(format!("unknown exposure flags {flags:#x}"));
        }
        let first_day = if flags & FIRST_DAY != 0 {
            Some(self.named()?)
        } else {
            None
        };
        let last_day = if flags & LAST_DAY != 0 {
            Some(self.named()?)
        } else {
            None
        };
        let n = self.count()?;
        let mut paths = Vec::with_capacity(n);
        for _ in 0..n {
            let usd = self.f64()?;
            let k = self.count()?;
            let mut steps = Vec::with_capacity(k);
            for _ in 0..k {
                steps.push(PathStep {
                    hop: self.u32()?,
                    chain: self.named()?,
                    tx: self.string()?,
                    time: self.varint()?,
                    from: self.opt()?,
                    to: self.opt()?,
                    share: self.f64()?,
                    rule: self.opt()?,
                });
            }
            paths.push(ExposurePath { usd, steps });
        }
        let via_cluster = if flags & VIA_CLUSTER != 0 {
            Some(self.string()?)
        } else {
            None
        };
        Ok(Exposure {
            category,
            entity,
            direction,
            exposure_type,
            min_hops,
            usd,
            values,
            by_hop,
            share,
            level,
            rule,
            alert: flags & ALERT != 0,
            listing_unknown: flags & LISTING_UNKNOWN != 0,
            lapsed: flags & LAPSED != 0,
            first_day,
            last_day,
            paths,
            via_cluster,
        })
    }
}

#[cfg(test)]
mod tests {
    use chaintrail_core::{BitcoinNetwork, Chain};
    use chaintrail_labels::{Category, Date};
    use proptest::prelude::*;

    use super::*;
    use crate::model::{Direction, ExposureType};
    use crate::rules::RiskLevel;

    /// An exposure with every optional part present, and one with none.
    fn full() -> ChainExposure {
        let day = |month: u8, d: u8| Date::new(2026, month, d).expect("date");
        let btc = Chain::Bitcoin(BitcoinNetwork::Regtest);
        let step = PathStep {
            hop: 2,
            chain: btc,
            tx: "ab".repeat(32),
            time: 1_767_000_000,
            from: Some("bcrt1qfrom".into()),
            to: None,
            share: 0.125,
            rule: Some("bridge Thornet Bridge (memo OUT:…, confidence 1)".into()),
        };
        let sanctioned = Exposure {
            category: Category::Sanctioned,
            entity: "Lazarus Group".into(),
            direction: Direction::Incoming,
            exposure_type: ExposureType::Indirect,
            min_hops: 2,
            usd: 1_234.567_890_123,
            values: vec![NativeValue {
                chain: btc,
                asset: "BTC".into(),
                units: 0.012_345_678_9,
            }],
            by_hop: vec![
                HopValue {
                    hops: 2,
                    usd: 1_000.0,
                },
                HopValue {
                    hops: 3,
                    usd: 234.567_890_123,
                },
            ],
            share: 1.0 / 3.0,
            level: RiskLevel::Severe,
            rule: Some("sanctioned-near".into()),
            alert: true,
            listing_unknown: true,
            lapsed: true,
            first_day: Some(day(1, 5)),
            last_day: Some(day(2, 1)),
            paths: vec![ExposurePath {
                usd: 1_000.0,
                steps: vec![step.clone(), step],
            }],
            via_cluster: Some("cluster of Lazarus Group via multi-input in tx ab…".into()),
        };
        let plain = Exposure {
            category: Category::Exchange,
            entity: "Arcadia Exchange".into(),
            direction: Direction::Outgoing,
            exposure_type: ExposureType::Direct,
            min_hops: 1,
            usd: f64::MIN_POSITIVE,
            values: Vec::new(),
            by_hop: Vec::new(),
            share: 0.0,
            level: RiskLevel::Low,
            rule: None,
            alert: false,
            listing_unknown: false,
            lapsed: false,
            first_day: None,
            last_day: None,
            paths: Vec::new(),
            via_cluster: None,
        };
        ChainExposure {
            exposures: vec![sanctioned, plain],
            volume: Volume {
                incoming_usd: 5e9,
                outgoing_usd: -0.0,
            },
            excluded_dust: vec![ExcludedDust {
                chain: Chain::ETHEREUM,
                tx: "0xcd".into(),
                counterparty: None,
                asset: "ETH".into(),
                units: 1e-9,
                usd: Some(0.000_003),
                categories: vec![Category::Mixer, Category::Sanctioned],
                reason: "dust under $1 from an unsolicited sender".into(),
            }],
            truncated: true,
        }
    }

    /// `value` encoded alone: its bytes and the words of its vocabulary.
    fn encoded(value: &ChainExposure) -> (Vec<u8>, Vec<String>) {
        let vocabulary = Vocabulary::default();
        let bytes = encode(value, &vocabulary).expect("encode");
        (bytes, vocabulary.into_words())
    }

    #[test]
    fn every_field_round_trips_exactly() {
        for value in [full(), ChainExposure::default()] {
            let (bytes, words) = encoded(&value);
            assert_eq!(decode(&bytes, &words).expect("decode"), value);
        }
        // Smaller than the JSON it replaces, compressed the same way (on this value, made of long
        // texts, only a little; 2.2× on the demo world's index, docs/benchmarks.md).
        let value = full();
        let json = snap::raw::Encoder::new()
            .compress_vec(&serde_json::to_vec(&value).expect("json"))
            .expect("snappy");
        let binary = encoded(&value).0.len();
        assert!(
            binary < json.len(),
            "{binary} bytes vs JSON's {}",
            json.len()
        );
    }

    /// The words are kept once per index: a value shares them with the others, and an update
    /// that starts from the previous words leaves the values it copies readable.
    #[test]
    fn values_share_the_words_and_an_update_keeps_their_numbers() {
        let first = full();
        let (first_bytes, first_words) = encoded(&first);
        let mut second = full();
        second.exposures[0].entity = "Another entity".into();
        second.exposures[0].rule = Some("another-rule".into());
        let grown = Vocabulary::from_words(&first_words);
        let second_bytes = encode(&second, &grown).expect("encode");
        let words = grown.into_words();
        assert_eq!(words[..first_words.len()], first_words[..]);
        assert_eq!(words.len(), first_words.len() + 2, "{words:?}");
        assert_eq!(decode(&first_bytes, &words).expect("decode"), first);
        assert_eq!(decode(&second_bytes, &words).expect("decode"), second);
        // Read with other words, a value decodes to something else or fails, never panics.
        assert_ne!(decode(&first_bytes, &words[1..]).ok(), Some(first));
    }

    #[test]
    fn every_cut_of_a_value_is_an_error() {
        let (bytes, words) = encoded(&full());
        let mut raw = Vec::new();
        snap::raw::Decoder::new()
            .decompress_vec(&bytes)
            .map(|r| raw = r)
            .expect("snappy");
        for cut in 0..raw.len() {
            let bytes = snap::raw::Encoder::new()
                .compress_vec(&raw[..cut])
                .expect("snappy");
            assert!(
                decode(&bytes, &words).is_err(),
                "a value cut at {cut} decoded"
            );
        }
    }

    proptest! {
        #[test]
        fn damaged_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
            let bytes = snap::raw::Encoder::new().compress_vec(&raw).expect("snappy");
            let words = encoded(&full()).1;
            let _ = decode(&bytes, &words);
            let _ = decode(&raw, &words);
        }

        #[test]
        fn flipped_bytes_never_panic(at in 0usize..2_000, bit in 0u8..8) {
            let (bytes, words) = encoded(&full());
            let mut raw = Vec::new();
            snap::raw::Decoder::new()
                .decompress_vec(&bytes)
                .map(|r| raw = r)
                .expect("snappy");
            let at = at % raw.len();
            raw[at] ^= 1 << bit;
            let bytes = snap::raw::Encoder::new().compress_vec(&raw).expect("snappy");
            let _ = decode(&bytes, &words);
        }
    }
}
