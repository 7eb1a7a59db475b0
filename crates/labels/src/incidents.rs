//! The incident ledger: DPRK-attributed thefts and DeFi exploits, with their linked attacker
//! addresses and transactions, and tallies by year, actor and chain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::error::{LabelError, Result};
use crate::label::{Label, LabelDraft, Source};
use crate::ofac::{csv_error, display_name};
use crate::report::ImportReport;
use chaintrail_core::Date;

const INCIDENTS_FILE: &str = "incidents.jsonl";
/// The actor name used for DPRK-attributed incidents.
pub const DPRK: &str = "DPRK (Lazarus Group / TraderTraitor / APT38)";

/// How exact an incident's date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatePrecision {
    /// The source gives the day.
    Day,
    /// The source gives only the year; `date` is then January 1st.
    Year,
}

/// An address an incident names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedAddress {
    /// `attacker`, `attack_contract` or `vulnerable_contract`.
    pub role: String,
    /// Its chain, as the source writes it.
    pub chain: Option<String>,
    /// The address, as written.
    pub address: String,
}

/// A transaction an incident names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedTx {
    /// Its chain, as the source writes it.
    pub chain: Option<String>,
    /// The transaction hash, as written.
    pub hash: String,
}

/// One theft or exploit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable id: `dprk-NNN` or `dhl-NNNN` (row number in its file).
    pub id: String,
    /// The file the incident was read from.
    pub source_file: String,
    /// Its line there.
    pub line: u64,
    /// When it happened.
    pub date: Date,
    /// How exact `date` is.
    pub date_precision: DatePrecision,
    /// Who lost the funds.
    pub victim: String,
    /// The chains involved, as the source names them.
    pub chains: Vec<String>,
    /// USD at the time, when known.
    pub amount_usd: Option<u64>,
    /// `true` when `amount_usd` was read from free text ("~$5.87M", "30,314.76 USDT") rather
    /// than from a USD column.
    pub amount_usd_from_text: bool,
    /// The amount as the source writes it.
    pub amount_as_written: String,
    /// Who the source attributes it to.
    pub attribution: Option<String>,
    /// How sure the attribution is, and on whose word.
    pub attribution_confidence: Option<String>,
    /// How it was done (phishing, key compromise, …).
    pub vector: Option<String>,
    /// The flaw exploited, when the source says.
    pub root_cause: Option<String>,
    /// Addresses it names (attacker, attack contract, victim contract).
    pub addresses: Vec<LinkedAddress>,
    /// Transactions it names.
    pub txs: Vec<LinkedTx>,
    /// Where it is reported (URLs).
    pub references: Vec<String>,
    /// Anything else the source says.
    pub note: Option<String>,
}

/// Row of `incidents list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentSummary {
    /// The incident's id.
    pub id: String,
    /// When it happened.
    pub date: Date,
    /// Who lost the funds.
    pub victim: String,
    /// The chains involved, comma-separated.
    pub chains: String,
    /// USD at the time, when known.
    pub amount_usd: Option<u64>,
    /// Who it is attributed to.
    pub attribution: Option<String>,
    /// How many addresses it names.
    pub addresses: usize,
    /// How many transactions it names.
    pub txs: usize,
}

/// Filter for `incidents list`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncidentFilter {
    /// Only incidents of this year.
    pub year: Option<u16>,
    /// Substring of the attribution (case-insensitive), or `unattributed`.
    pub actor: Option<String>,
    /// Only incidents on this chain.
    pub chain: Option<String>,
    /// Substring of the victim (case-insensitive).
    pub victim: Option<String>,
}

/// One line of a tally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// What is tallied (a year, an actor, a chain, a source file).
    pub key: String,
    /// Incidents.
    pub incidents: u64,
    /// Incidents with a USD amount.
    pub with_amount: u64,
    /// Their USD total.
    pub usd: u64,
}

/// A total published by a third party, as quoted in `reference/methods.md` §5.3 and §8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublishedTotal {
    /// Who published it.
    pub publisher: &'static str,
    /// Their USD total.
    pub usd: u64,
    /// Their incident count, when published.
    pub incidents: Option<u32>,
    /// The first year of a total over several years (listed under its last); `None` for a
    /// year's total.
    pub since: Option<u16>,
    /// What they counted.
    pub scope: &'static str,
    /// When it was published, as far as the reference says ("not dated in the reference"
    /// otherwise).
    pub published: &'static str,
    /// Whether the reference checked the figure against its source ([V]); `false` for one it
    /// only recalled or that anchors.md marks as not verified: show it labelled as such.
    pub verified: bool,
    /// Where the figure is quoted (shared/reference/…), with its evidence mark.
    pub citation: &'static str,
}

/// DPRK total of one year from the data, beside the published totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DprkYear {
    /// The year.
    pub year: u16,
    /// DPRK-attributed incidents in the data.
    pub incidents: u64,
    /// Those with a USD amount.
    pub with_amount: u64,
    /// Their USD total.
    pub usd: u64,
    /// Third-party totals for the year.
    pub published: Vec<PublishedTotal>,
    /// Why the data's total differs from theirs.
    pub explanation: &'static str,
}

/// `incidents stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentStats {
    /// Incidents in the ledger.
    pub incidents: u64,
    /// Those with a USD amount.
    pub with_amount: u64,
    /// Their USD total.
    pub usd: u64,
    /// Per year.
    pub by_year: Vec<Tally>,
    /// Per attributed actor.
    pub by_actor: Vec<Tally>,
    /// Per chain.
    pub by_chain: Vec<Tally>,
    /// Per source file.
    pub by_source: Vec<Tally>,
    /// DPRK per year, beside the published totals.
    pub dprk_by_year: Vec<DprkYear>,
}

/// Published DPRK totals (methods.md §5.3 and §8). Multi-year totals are listed under their
/// last year.
pub const PUBLISHED_DPRK: &[(u16, PublishedTotal)] = &[
    (
        2021,
        PublishedTotal {
            publisher: "Chainalysis",
            usd: 400_000_000,
            incidents: Some(7),
            since: None,
            scope: "2021",
            published: "Chainalysis 2022 report (early 2022)",
            verified: true,
            citation: "reference/methods.md §5.3 and §8 (row \"2021 (total)\", [V])",
        },
    ),
    (
        2022,
        PublishedTotal {
            publisher: "Chainalysis",
            usd: 1_700_000_000,
            incidents: None,
            since: None,
            scope: "2022 (≈)",
            published: "not dated in the reference",
            verified: false,
            citation: "reference/anchors.md §6 (\"$1.7 B in 2022\": not verified in the stored corpora); reference/methods.md §5.3 ([R], recalled)",
        },
    ),
    (
        2023,
        PublishedTotal {
            publisher: "Chainalysis",
            usd: 660_500_000,
            incidents: Some(20),
            since: None,
            scope: "2023",
            published: "not dated in the reference",
            verified: true,
            citation: "reference/methods.md §5.3 and §8 (row \"2023 (total)\", [V])",
        },
    ),
    (
        2023,
        PublishedTotal {
            publisher: "UN Panel of Experts (S/2024/215)",
            usd: 3_000_000_000,
            incidents: Some(58),
            since: Some(2017),
            scope: "2017–2023, all years together (≈)",
            published: "2024 (UN document S/2024/215)",
            verified: false,
            citation: "reference/anchors.md §6 (\"~$3 B over 58 incidents 2017–2023\": not verified in the stored corpora); reference/methods.md §5.3 and §8",
        },
    ),
    (
        2024,
        PublishedTotal {
            publisher: "Chainalysis",
            usd: 1_340_000_000,
            incidents: Some(47),
            since: None,
            scope: "2024",
            published: "not dated in the reference",
            verified: true,
            citation: "reference/methods.md §5.3 and §8 (row \"2024 (total)\", [V])",
        },
    ),
    (
        2024,
        PublishedTotal {
            publisher: "MSMT (Oct 2025)",
            usd: 1_190_000_000,
            incidents: None,
            since: None,
            scope: "2024 (≈)",
            published: "October 2025",
            verified: true,
            citation: "reference/methods.md §5.3 and §8 (row \"2024 (total)\", [V])",
        },
    ),
    (
        2024,
        PublishedTotal {
            publisher: "UN Panel of Experts (final report)",
            usd: 3_600_000_000,
            incidents: Some(97),
            since: Some(2017),
            scope: "2017–Apr 2024, all years together (≈)",
            published: "2024 (final report)",
            verified: false,
            citation: "reference/methods.md §5.3 and §8 (no evidence mark: not checked against the report)",
        },
    ),
    (
        2025,
        PublishedTotal {
            publisher: "MSMT (Oct 2025)",
            usd: 1_650_000_000,
            incidents: None,
            since: None,
            scope: "Jan–Sep 2025",
            published: "October 2025",
            verified: true,
            citation: "reference/methods.md §5.3 and §8 (row \"2025 Jan–Sep\", [V])",
        },
    ),
];

/// Why the data and the published totals differ, year by year.
pub const DPRK_EXPLANATIONS: &[(u16, &str)] = &[
    (
        2017,
        "No published per-year total; the UN Panel counts 2017–2023 together. Two 2017 rows (WannaCry, cryptojacking) have no amount.",
    ),
    (
        2018,
        "No published per-year total. Coincheck (Jan 2018, ~$530M, only suspected in methods.md §8) is not in the list.",
    ),
    (
        2019,
        "No published per-year total. Upbit ($48.5M) was attributed officially only in 2024.",
    ),
    (
        2020,
        "No published per-year total. The source's own 2020 total (307,726,000) is 793,000 above the sum of its rows; the data follows the rows.",
    ),
    (
        2021,
        "The data lists 14 incidents (DeFi admin-key compromises such as Paid Network $160M, EasyFi $81M, bZx $55M) where Chainalysis counted 7 attacks for ~$400M: the list attributes more DeFi key thefts to DPRK than Chainalysis did.",
    ),
    (
        2022,
        "The data ($768M) has Ronin $625M and Harmony $100M but not the other DeFi and bridge hacks Chainalysis attributes to DPRK-linked groups in its ≈$1.7B (itself only recalled in the dossier).",
    ),
    (
        2023,
        "Close to Chainalysis ($660.5M in 20 incidents): the data has 21 rows incl. small fake-job thefts, Orbit Bridge dated 2023-12-31 (others count it in 2024) and C8 without a usable amount (written \"$1,620,00\").",
    ),
    (
        2024,
        "The source table stops in February 2024 (plus WazirX): DMM Bitcoin ($308M), Radiant, BingX and the rest of 2024 are missing, hence far below Chainalysis ($1.34B) and MSMT (≈$1.19B). The UN 2017–Apr 2024 total (97 incidents ≈ $3.6B) also counts incidents not in the list.",
    ),
    (
        2025,
        "Only Bybit ($1.5B) is in the data; MSMT's $1.65B for Jan–Sep 2025 includes Phemex and others.",
    ),
];

/// The columns of explorer links (or bare hex) an incident file may have, and the role of the
/// addresses in each (`tx`: transaction hashes).
const LINK_COLUMNS: [(&str, &str); 4] = [
    ("attacker_urls", "attacker"),
    ("attack_contract_urls", "attack_contract"),
    ("vulnerable_contract_urls", "vulnerable_contract"),
    ("attack_tx_urls", "tx"),
];

/// The addresses and transactions a row's link columns name (`get` reads a column, "" when the
/// file has none); `warn(column, message)` hears of a link that names neither.
fn linked<'a>(
    get: &impl Fn(&str) -> &'a str,
    chain: Option<&str>,
    mut warn: impl FnMut(&str, String),
) -> (Vec<LinkedAddress>, Vec<LinkedTx>) {
    let mut addresses = Vec::new();
    let mut txs = Vec::new();
    for (column, role) in LINK_COLUMNS {
        for url in get(column).split_whitespace() {
            let link_chain = chain_of_url(url)
                .map(str::to_string)
                .or_else(|| chain.map(str::to_string));
            match hex_of(url) {
                Some(hex) if hex.len() == 42 && role != "tx" => addresses.push(LinkedAddress {
                    role: role.into(),
                    chain: link_chain,
                    address: hex,
                }),
                Some(hex) if hex.len() == 66 => txs.push(LinkedTx {
                    chain: link_chain,
                    hash: hex,
                }),
                _ => warn(
                    column,
                    format!("link `{url}` has no address or transaction hash: kept as a reference"),
                ),
            }
        }
    }
    (addresses, txs)
}

/// The incident ledger, persisted as `<store dir>/labels/incidents.jsonl` (atomic writes).
#[derive(Debug, Default)]
pub struct IncidentLedger {
    dir: Option<PathBuf>,
    incidents: Vec<Incident>,
}

/// The bound of one incident's USD amount. No theft comes near a quadrillion dollars: a larger
/// figure is a typo or garbage, and the bound keeps the per-incident amounts summable.
pub const MAX_INCIDENT_USD: u64 = 1_000_000_000_000_000;

fn parse_scaled(number: &str, suffix: &str) -> Option<u64> {
    let value: f64 = number.replace(',', "").parse().ok()?;
    let scale = match suffix.to_ascii_lowercase().as_str() {
        "k" | "thousand" => 1e3,
        "m" | "million" | "mn" => 1e6,
        "b" | "billion" | "bn" => 1e9,
        "" => 1.0,
        _ => return None,
    };
    let usd = (value * scale).round();
    (0.0..MAX_INCIDENT_USD as f64)
        .contains(&usd)
        .then_some(usd as u64)
}

/// Read a USD amount from free text: `$24k`, `~$5.87M`, `$900 million`, `(~$41.2K USD)`,
/// `30,314.76 USDT` (USD stablecoins count as dollars). `None` when the text has none.
pub fn usd_from_text(text: &str) -> Option<u64> {
    let bytes: Vec<char> = text.chars().collect();
    let number_at = |start: usize| -> (String, String, usize) {
        let mut i = start;
        while i < bytes.len() && bytes[i] == ' ' {
            i += 1;
        }
        let mut number = String::new();
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == ',' || bytes[i] == '.') {
            number.push(bytes[i]);
            i += 1;
        }
        let mut j = i;
        while j < bytes.len() && bytes[j] == ' ' {
            j += 1;
        }
        let mut word = String::new();
        while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
            word.push(bytes[j]);
            j += 1;
        }
        (number.trim_end_matches(['.', ',']).to_string(), word, j)
    };
    for (i, ch) in bytes.iter().enumerate() {
        if *ch == '$' {
            let (number, word, _) = number_at(i + 1);
            if number.is_empty() {
                continue;
            }
            let suffix = if matches!(
                word.to_ascii_lowercase().as_str(),
                "k" | "m" | "b" | "million" | "billion" | "thousand" | "mn" | "bn"
            ) {
                word
            } else {
                String::new()
            };
            if let Some(v) = parse_scaled(&number, &suffix) {
                return Some(v);
            }
        }
    }
    // "<number>[k|m] USD|USDT|USDC|BUSD|DAI"
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit()
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != '.')
        {
            let (number, word, end) = number_at(i);
            let (suffix, unit) = if matches!(word.as_str(), "k" | "K" | "M" | "m" | "B") {
                let (_, unit, _) = number_at(end);
                (word, unit)
            } else {
                (String::new(), word)
            };
            if matches!(unit.as_str(), "USD" | "USDT" | "USDC" | "BUSD" | "DAI")
                && let Some(v) = parse_scaled(&number, &suffix)
            {
                return Some(v);
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

/// Explorer host → chain name.
const HOSTS: &[(&str, &str)] = &[
    ("optimistic.etherscan.io", "optimism"),
    ("etherscan.io", "ethereum"),
    ("bscscan.com", "bsc"),
    ("basescan.org", "base"),
    ("arbiscan.io", "arbitrum"),
    ("polygonscan.com", "polygon"),
    ("snowtrace.io", "avalanche"),
    ("snowscan.xyz", "avalanche"),
    ("ftmscan.com", "fantom"),
    ("blastscan.io", "blast"),
    ("lineascan.build", "linea"),
    ("mantlescan.info", "mantle"),
];

fn chain_of_url(url: &str) -> Option<&'static str> {
    let host = url.split("://").nth(1)?.split('/').next()?;
    HOSTS
        .iter()
        .find(|(h, _)| host == *h || host.ends_with(&format!(".{h}")))
        .map(|(_, c)| *c)
}

/// The 0x-hex value at the end of a URL path (or a bare value), if it is 20 or 32 bytes.
fn hex_of(url: &str) -> Option<String> {
    let last = url.trim_end_matches('/').rsplit(['/', '=', '#']).next()?;
    let digits = last.strip_prefix("0x")?;
    (digits.bytes().all(|b| b.is_ascii_hexdigit()) && (digits.len() == 40 || digits.len() == 64))
        .then(|| last.to_string())
}

impl IncidentLedger {
    /// An empty ledger that is never saved.
    pub fn in_memory() -> IncidentLedger {
        IncidentLedger::default()
    }

    /// Open the ledger of a chaintrail store directory (empty if nothing was saved).
    pub fn open(store_dir: &Path) -> Result<IncidentLedger> {
        let dir = store_dir.join("labels");
        let path = dir.join(INCIDENTS_FILE);
        let incidents = match std::fs::read_to_string(&path) {
            Ok(text) => text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, l)| {
                    serde_json::from_str(l).map_err(|e| LabelError::CorruptStore {
                        path: path.clone(),
                        line: i + 1,
                        message: e.to_string(),
                    })
                })
                .collect::<Result<Vec<Incident>>>()?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(LabelError::io(&path, e)),
        };
        Ok(IncidentLedger {
            dir: Some(dir),
            incidents,
        })
    }

    /// Write the ledger atomically (no-op in memory).
    pub fn save(&self) -> Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        std::fs::create_dir_all(dir).map_err(|e| LabelError::io(dir, e))?;
        let mut out = Vec::new();
        for incident in &self.incidents {
            serde_json::to_writer(&mut out, incident)
                .map_err(|e| LabelError::Invalid(format!("cannot serialise: {e}")))?;
            out.push(b'\n');
        }
        crate::store::write_atomic(&dir.join(INCIDENTS_FILE), &out)
    }

    /// Every incident, in ledger order.
    pub fn incidents(&self) -> &[Incident] {
        &self.incidents
    }

    /// Import an incident CSV, recognised by its header: the DPRK list
    /// (`date,victim,amount_usd,…`) or DeFiHackLabs (`date,name,root_cause,lost,…`).
    /// Re-importing a file replaces its incidents.
    pub fn import(&mut self, path: &Path) -> Result<ImportReport> {
        let file = display_name(path);
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .map_err(|e| LabelError::Data {
                file: file.clone(),
                line: 0,
                message: e.to_string(),
            })?;
        let headers = reader.headers().map_err(|e| csv_error(&file, &e))?.clone();
        let col = |n: &str| headers.iter().position(|h| h.trim() == n);
        let dprk = col("victim").is_some() && col("amount_usd").is_some();
        let dhl = col("name").is_some() && col("lost").is_some();
        if !dprk && !dhl {
            return Err(LabelError::Format {
                file,
                message: "expected the DPRK incident list (date,victim,amount_usd,…) or DeFiHackLabs (date,name,root_cause,lost,…)".into(),
            });
        }
        let mut report = ImportReport::new("incidents");
        report.files.push(file.clone());
        let mut out = Vec::new();
        for (n, record) in reader.records().enumerate() {
            let Some((record, line)) = report.csv_row(&file, record) else {
                continue;
            };
            let get = |name: &str| {
                col(name)
                    .and_then(|i| record.get(i))
                    .map(str::trim)
                    .unwrap_or("")
            };
            let raw_date = get("date");
            let (date, precision) =
                if raw_date.len() == 4 && raw_date.bytes().all(|b| b.is_ascii_digit()) {
                    match raw_date
                        .parse::<u16>()
                        .ok()
                        .and_then(|y| Date::new(y, 1, 1))
                    {
                        Some(d) => (d, DatePrecision::Year),
                        None => {
                            report.reject(
                                &file,
                                line,
                                Some("date"),
                                format!("`{raw_date}` is not a year"),
                            );
                            continue;
                        }
                    }
                } else {
                    match raw_date.parse::<Date>() {
                        Ok(d) => (d, DatePrecision::Day),
                        Err(e) => {
                            report.reject(&file, line, Some("date"), format!("{e} (or YYYY)"));
                            continue;
                        }
                    }
                };
            let incident = if dprk {
                let victim = get("victim");
                if victim.is_empty() {
                    report.reject(&file, line, Some("victim"), "empty victim");
                    continue;
                }
                let amount_usd = match get("amount_usd") {
                    "" => None,
                    text => match text.parse::<u64>() {
                        Ok(v) if v < MAX_INCIDENT_USD => Some(v),
                        Ok(_) => {
                            report.reject(
                                &file,
                                line,
                                Some("amount_usd"),
                                format!(
                                    "`{text}` dollars is more than any theft (at most \
                                     {MAX_INCIDENT_USD} is read): fix the amount"
                                ),
                            );
                            continue;
                        }
                        Err(_) => {
                            report.reject(
                                &file,
                                line,
                                Some("amount_usd"),
                                format!("`{text}` is not a whole number of dollars"),
                            );
                            continue;
                        }
                    },
                };
                if amount_usd.is_none() {
                    report.warn(
                        &file,
                        line,
                        Some("amount_usd"),
                        format!("no USD amount (written `{}`)", get("amount_as_written")),
                    );
                }
                let vector = match get("vector_icon") {
                    "👛" => {
                        Some("👛 wallet / exchange compromise (TraderTraitor-style)".to_string())
                    }
                    "🔑" => {
                        Some("🔑 key compromise (icon not explained by the source)".to_string())
                    }
                    "💼" => Some("💼 fake job / developer-job social engineering".to_string()),
                    "" => None,
                    other => Some(other.to_string()),
                };
                // A curated copy of the list may name the chain and the attack's transactions
                // and addresses, in the DeFiHackLabs columns: they become the incident's seeds.
                let chain = Some(get("chain").to_string()).filter(|c| !c.is_empty());
                let (addresses, txs) = linked(&get, chain.as_deref(), |column, message| {
                    report.warn(&file, line, Some(column), message)
                });
                Incident {
                    id: format!("dprk-{:03}", n + 1),
                    source_file: file.clone(),
                    line,
                    date,
                    date_precision: precision,
                    victim: victim.to_string(),
                    chains: chain.into_iter().collect(),
                    amount_usd,
                    amount_usd_from_text: false,
                    amount_as_written: get("amount_as_written").to_string(),
                    attribution: Some(DPRK.to_string()),
                    attribution_confidence: Some("attributed in T. Monahan's public research notes (analyst list; official for some rows)".into()),
                    vector,
                    root_cause: None,
                    addresses,
                    txs,
                    references: vec![format!("tayvano/lazarus-bluenoroff-research:{}", get("source_path"))],
                    note: Some(get("note").to_string()).filter(|s| !s.is_empty()),
                }
            } else {
                let name = get("name");
                if name.is_empty() {
                    report.reject(&file, line, Some("name"), "empty name");
                    continue;
                }
                let chain = Some(get("chain").to_string()).filter(|c| !c.is_empty());
                let (addresses, txs) = linked(&get, chain.as_deref(), |column, message| {
                    report.warn(&file, line, Some(column), message)
                });
                let lost = get("lost");
                let keyinfo = get("total_lost_keyinfo");
                let amount_usd = usd_from_text(lost).or_else(|| usd_from_text(keyinfo));
                let mut references: Vec<String> = get("reference_links")
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                references.extend(
                    LINK_COLUMNS
                        .iter()
                        .flat_map(|(c, _)| get(c).split_whitespace())
                        .filter(|u| hex_of(u).is_none())
                        .map(str::to_string),
                );
                Incident {
                    id: format!("dhl-{:04}", n + 1),
                    source_file: file.clone(),
                    line,
                    date,
                    date_precision: precision,
                    victim: name.to_string(),
                    chains: chain.into_iter().collect(),
                    amount_usd,
                    amount_usd_from_text: amount_usd.is_some(),
                    amount_as_written: if lost.is_empty() {
                        keyinfo.to_string()
                    } else {
                        lost.to_string()
                    },
                    attribution: None,
                    attribution_confidence: None,
                    vector: None,
                    root_cause: Some(get("root_cause").to_string()).filter(|s| !s.is_empty()),
                    addresses,
                    txs,
                    references,
                    note: Some(format!("PoC {}", get("poc_file"))).filter(|s| s != "PoC "),
                }
            };
            out.push(incident);
        }
        report.imported = out.len() as u64;
        // Every tally of `stats` is a sum over a subset of the ledger: bounding the whole keeps
        // them all exact.
        let total = self
            .incidents
            .iter()
            .filter(|i| i.source_file != file)
            .chain(&out)
            .try_fold(0u64, |sum, i| sum.checked_add(i.amount_usd.unwrap_or(0)));
        if total.is_none() {
            return Err(LabelError::Format {
                file,
                message: format!(
                    "with this file the ledger's USD amounts add up past {}, which no tally \
                     can hold: the amounts are not real; fix or leave out the file",
                    u64::MAX
                ),
            });
        }
        self.incidents.retain(|i| i.source_file != file);
        self.incidents.extend(out);
        self.incidents
            .sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
        Ok(report)
    }

    /// `incidents list`, in date order.
    pub fn list(&self, filter: &IncidentFilter) -> Vec<IncidentSummary> {
        self.incidents
            .iter()
            .filter(|i| filter.year.is_none_or(|y| i.date.year() == y))
            .filter(|i| {
                filter.actor.as_deref().is_none_or(|a| {
                    let a = a.to_lowercase();
                    match &i.attribution {
                        Some(att) => att.to_lowercase().contains(&a),
                        None => a == "unattributed",
                    }
                })
            })
            .filter(|i| {
                filter
                    .chain
                    .as_deref()
                    .is_none_or(|c| i.chains.iter().any(|x| x.eq_ignore_ascii_case(c)))
            })
            .filter(|i| {
                filter
                    .victim
                    .as_deref()
                    .is_none_or(|v| i.victim.to_lowercase().contains(&v.to_lowercase()))
            })
            .map(|i| IncidentSummary {
                id: i.id.clone(),
                date: i.date,
                victim: i.victim.clone(),
                chains: i.chains.join(","),
                amount_usd: i.amount_usd,
                attribution: i.attribution.clone(),
                addresses: i.addresses.len(),
                txs: i.txs.len(),
            })
            .collect()
    }

    /// `incidents show`.
    pub fn get(&self, id: &str) -> Option<&Incident> {
        self.incidents.iter().find(|i| i.id == id)
    }

    /// `incidents stats`: tallies by year, actor, chain and source, and the DPRK comparison.
    pub fn stats(&self) -> IncidentStats {
        fn add(map: &mut BTreeMap<String, Tally>, key: &str, i: &Incident) {
            let t = map.entry(key.to_string()).or_insert_with(|| Tally {
                key: key.to_string(),
                ..Tally::default()
            });
            t.incidents += 1;
            if let Some(usd) = i.amount_usd {
                t.with_amount += 1;
                t.usd += usd;
            }
        }
        let (mut years, mut actors, mut chains, mut sources) = (
            BTreeMap::new(),
            BTreeMap::new(),
            BTreeMap::new(),
            BTreeMap::new(),
        );
        let mut dprk: BTreeMap<String, Tally> = BTreeMap::new();
        for i in &self.incidents {
            add(&mut years, &i.date.year().to_string(), i);
            add(
                &mut actors,
                i.attribution.as_deref().unwrap_or("unattributed"),
                i,
            );
            if i.chains.is_empty() {
                add(&mut chains, "unknown", i);
            }
            for c in &i.chains {
                add(&mut chains, c, i);
            }
            add(&mut sources, &i.source_file, i);
            if i.attribution.as_deref() == Some(DPRK) {
                add(&mut dprk, &i.date.year().to_string(), i);
            }
        }
        let dprk_by_year = (2017..=2025)
            .map(|year| {
                let t = dprk.get(&year.to_string()).cloned().unwrap_or_default();
                DprkYear {
                    year,
                    incidents: t.incidents,
                    with_amount: t.with_amount,
                    usd: t.usd,
                    published: PUBLISHED_DPRK
                        .iter()
                        .filter(|(y, _)| *y == year)
                        .map(|(_, p)| p.clone())
                        .collect(),
                    explanation: DPRK_EXPLANATIONS
                        .iter()
                        .find(|(y, _)| *y == year)
                        .map_or("", |(_, e)| e),
                }
            })
            .collect();
        let total = self.incidents.iter().fold((0, 0), |(n, usd), i| {
            (
                n + u64::from(i.amount_usd.is_some()),
                usd + i.amount_usd.unwrap_or(0),
            )
        });
        IncidentStats {
            incidents: self.incidents.len() as u64,
            with_amount: total.0,
            usd: total.1,
            by_year: years.into_values().collect(),
            by_actor: actors.into_values().collect(),
            by_chain: chains.into_values().collect(),
            by_source: sources.into_values().collect(),
            dprk_by_year,
        }
    }

    /// Labels (category `hack`) for the attacker addresses and attack contracts of the
    /// incidents, for the label store's `incident:<file>` datasets.
    pub fn attacker_labels(&self) -> Vec<Label> {
        let mut labels = Vec::new();
        for i in &self.incidents {
            for a in i
                .addresses
                .iter()
                .filter(|a| a.role != "vulnerable_contract")
            {
                let chain = a
                    .chain
                    .as_deref()
                    .and_then(|c| c.parse::<chaintrail_core::Chain>().ok());
                let dataset = format!("incident:{}", i.source_file);
                let (mut label, _) = LabelDraft {
                    source: Source::Incident,
                    dataset: &dataset,
                    file: &i.source_file,
                    line: i.line,
                    address: &a.address,
                    currency: chain.map_or("ETH", |c| c.native_symbol()),
                    name: format!("{} {} ({})", i.victim, a.role.replace('_', " "), i.date),
                    categories: vec![Category::Hack],
                    confidence: 50,
                }
                .build();
                label.chain = chain.or(label.chain);
                label.confidence_level = Some("forensic".into());
                label.valid_from = Some(i.date);
                label.details.insert("incident".into(), i.id.clone());
                label.details.insert("role".into(), a.role.clone());
                labels.push(label);
            }
        }
        labels
    }
}

fn usd(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("${out}")
}

/// The DPRK per-year table of `docs/labels.md`, generated from the ledger.
pub fn dprk_comparison_markdown(stats: &IncidentStats) -> String {
    let mut out = String::from(
        "| year | incidents in data (with amount) | USD in data | published totals | why they differ |\n| --- | --- | --- | --- | --- |\n",
    );
    for y in &stats.dprk_by_year {
        let published = if y.published.is_empty() {
            "—".to_string()
        } else {
            y.published
                .iter()
                .map(|p| {
                    format!(
                        "{}: {}{} ({}{})",
                        p.publisher,
                        usd(p.usd),
                        p.incidents
                            .map_or(String::new(), |n| format!(" in {n} incidents")),
                        p.scope,
                        if p.verified { "" } else { "; unverified" }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        out.push_str(&format!(
            "| {} | {} ({}) | {} | {} | {} |\n",
            y.year,
            y.incidents,
            y.with_amount,
            usd(y.usd),
            published,
            y.explanation
        ));
    }
    let (n, total) = stats
        .dprk_by_year
        .iter()
        .filter(|y| y.year <= 2023)
        .fold((0, 0), |(n, t), y| (n + y.incidents, t + y.usd));
    let (n_all, total_all) = stats
        .dprk_by_year
        .iter()
        .fold((0, 0), |(n, t), y| (n + y.incidents, t + y.usd));
    out.push_str(&format!("| 2017–2023 | {n} | {} | UN Panel of Experts: ≈$3,000,000,000 in 58 incidents | almost the same total; the list splits it into more, smaller incidents (DeFi key and fake-job thefts) than the UN's 58, and the UN also counts incidents it does not name publicly |\n", usd(total)));
    out.push_str(&format!("| 2017–2025 | {n_all} | {} | TRM Labs: >$5,000,000,000 since 2017 | 2024 is incomplete in the data (see above) |\n", usd(total_all)));
    out
}

/// Import incident CSVs into the ledger in `dir`, and the attacker addresses of each file into
/// the label store there (replacing that file's `incident:<file>` dataset); both are saved.
pub fn import_incidents(dir: &Path, files: &[PathBuf]) -> Result<ImportReport> {
    let mut ledger = IncidentLedger::open(dir)?;
    let mut report = ImportReport::new("incidents");
    for file in files {
        report.merge(ledger.import(file)?);
    }
    ledger.save()?;
    let mut labels = crate::LabelStore::open(dir)?;
    let attackers = ledger.attacker_labels();
    for file in files {
        let dataset = format!("incident:{}", display_name(file));
        let own = attackers
            .iter()
            .filter(|l| l.dataset == dataset)
            .cloned()
            .collect();
        labels.replace_labels(&dataset, own);
    }
    labels.save()?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_usd_from_text() {
        assert_eq!(usd_from_text("$ 24k"), Some(24_000));
        assert_eq!(usd_from_text("12.34 ETH (~$41.2K USD)"), Some(41_200));
        assert_eq!(usd_from_text("~$5.87M"), Some(5_870_000));
        assert_eq!(usd_from_text("$40,305"), Some(40_305));
        assert_eq!(usd_from_text("$900 million"), Some(900_000_000));
        assert_eq!(usd_from_text("30,314.76 USDT"), Some(30_315));
        assert_eq!(usd_from_text("32.85K USDC"), Some(32_850));
        assert_eq!(usd_from_text("17 BNB"), None);
        assert_eq!(usd_from_text("unknown"), None);
        assert_eq!(usd_from_text("2.2K USD"), Some(2_200));
    }

    #[test]
    fn links_are_split_into_addresses_and_txs() {
        assert_eq!(
            chain_of_url("https://optimistic.etherscan.io/tx/0x1"),
            Some("optimism")
        );
        assert_eq!(chain_of_url("https://bscscan.com/address/0x1"), Some("bsc"));
        let tx = format!("https://etherscan.io/tx/0x{}", "a".repeat(64));
        assert_eq!(hex_of(&tx).map(|h| h.len()), Some(66));
        assert_eq!(
            hex_of(&format!("0x{}", "b".repeat(40))).map(|h| h.len()),
            Some(42)
        );
        assert_eq!(hex_of("https://twitter.com/x/status/1"), None);
    }
}
