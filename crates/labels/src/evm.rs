//! EVM label sets: Etherscan-family explorer label clouds (JSON), Forta's labelled datasets
//! (CSV) and Tornado Cash's contract list (CSV).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chaintrail_core::Chain;

use crate::category::{self, Category};
use crate::error::{LabelError, Result};
use crate::label::{Label, LabelDraft, Source, is_evm_hex};
use crate::ofac::{csv_error, display_name};
use crate::report::ImportReport;

/// Confidence of explorer name tags (GraphSense level `service_data`).
pub const EXPLORER_CONFIDENCE: (u8, &str) = (50, "service_data");
/// Confidence of Forta's labels (Etherscan phish-hack/exploit/heist lists; level `forensic`).
pub const FORTA_CONFIDENCE: (u8, &str) = (50, "forensic");
/// Confidence of the creators of Forta's malicious contracts (one step removed).
pub const FORTA_CREATOR_CONFIDENCE: (u8, &str) = (40, "untrusted_transaction");
/// Confidence of Tornado Cash's own contract list (level `service_data`).
pub const TORNADO_CONFIDENCE: (u8, &str) = (50, "service_data");

/// Explorer file-name prefix → chain.
pub const EXPLORERS: &[(&str, Chain)] = &[
    ("etherscan", Chain::Evm(1)),
    ("bscscan", Chain::Evm(56)),
    ("polygonscan", Chain::Evm(137)),
    ("arbiscan", Chain::Evm(42161)),
    ("optimism", Chain::Evm(10)),
    ("avalanche", Chain::Evm(43114)),
    ("ftmscan", Chain::Evm(250)),
];

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| LabelError::io(path, e))
}

/// Line of every key of the top-level JSON object, in one pass (keys taken as written).
fn top_level_key_lines(text: &str) -> HashMap<&str, u64> {
    let bytes = text.as_bytes();
    let mut lines = HashMap::new();
    let (mut depth, mut line, mut i) = (0usize, 1u64, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let start = i + 1;
                let key_line = line;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    } else if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                let end = i.min(bytes.len());
                let mut j = i + 1;
                while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                    j += 1;
                }
                if depth == 1
                    && bytes.get(j) == Some(&b':')
                    && let Some(key) = text.get(start..end)
                {
                    lines.entry(key).or_insert(key_line);
                }
            }
            _ => {}
        }
        i += 1;
    }
    lines
}

/// Import one explorer label-cloud file `<explorer>_{account,token}_labels.json`:
/// `{"0x…": {"name": "…", "labels": ["slug", …]}}`. The chain comes from the file name
/// unless given.
pub fn read_explorer_labels(
    path: &Path,
    chain: Option<Chain>,
) -> Result<(Vec<Label>, ImportReport)> {
    let file = display_name(path);
    let mut report = ImportReport::new("explorer");
    report.files.push(file.clone());
    let chain = chain
        .or_else(|| EXPLORERS.iter().find(|(p, _)| file.starts_with(p)).map(|(_, c)| *c))
        .ok_or_else(|| LabelError::Format {
            file: file.clone(),
            message: format!(
                "cannot tell the chain from the file name: expected it to start with one of {}, or give the chain",
                EXPLORERS.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
            ),
        })?;
    let kind = if file.contains("token") {
        "token"
    } else {
        "account"
    };
    let text = read_text(path)?;
    let root: serde_json::Value = serde_json::from_str(&text).map_err(|e| LabelError::Data {
        file: file.clone(),
        line: e.line() as u64,
        message: format!("malformed JSON (column {}): {e}", e.column()),
    })?;
    let serde_json::Value::Object(entries) = root else {
        return Err(LabelError::Data {
            file,
            line: 1,
            message: "expected a JSON object {\"0x…\": {\"name\", \"labels\"}}".into(),
        });
    };
    let dataset = format!("explorer:{file}");
    let key_lines = top_level_key_lines(&text);
    let mut labels = Vec::with_capacity(entries.len());
    for (address, value) in &entries {
        report.rows_read += 1;
        let line = || key_lines.get(address.as_str()).copied().unwrap_or(0);
        let name = value.get("name").and_then(|n| n.as_str());
        let slugs: Option<Vec<&str>> = value
            .get("labels")
            .and_then(|l| l.as_array())
            .map(|a| a.iter().filter_map(|s| s.as_str()).collect());
        let (Some(name), Some(slugs)) = (name, slugs) else {
            report.reject(
                &file,
                line(),
                Some(address),
                "expected {\"name\": text, \"labels\": [text, …]}",
            );
            continue;
        };
        let mut categories: Vec<Category> = slugs
            .iter()
            .map(|s| category::from_explorer_slug(s))
            .collect();
        if kind == "token" && categories.iter().all(|c| *c == Category::Other) {
            categories.push(Category::Defi);
        }
        let display = if name.trim().is_empty() {
            slugs.join(", ")
        } else {
            name.to_string()
        };
        let (mut label, warning) = LabelDraft {
            source: Source::Explorer,
            dataset: &dataset,
            file: &file,
            line: 0,
            address,
            currency: chain.native_symbol(),
            name: display,
            categories,
            confidence: EXPLORER_CONFIDENCE.0,
        }
        .build();
        if !is_evm_hex(&label.address) {
            report.reject(
                &file,
                line(),
                Some(address),
                format!(
                    "`{}` is not a 0x-prefixed 20-byte hex address",
                    label.address
                ),
            );
            continue;
        }
        if let Some(w) = warning {
            report.warn(&file, line(), Some(address), w);
        }
        label.chain = Some(chain);
        label.line = line();
        label.confidence_level = Some(EXPLORER_CONFIDENCE.1.into());
        label.details.insert("labels".into(), slugs.join(","));
        label.details.insert("kind".into(), kind.into());
        labels.push(label);
    }
    report.imported = labels.len() as u64;
    Ok((labels, report))
}

/// (address, name, category, (confidence, level), details) of one label from a Forta row.
type FortaRow<'a> = (
    &'a str,
    String,
    Category,
    (u8, &'static str),
    BTreeMap<String, String>,
);

/// Import one of Forta's labelled-dataset CSVs, recognised by its header:
/// `banned_address,wallet_tag,data_source`, `address,etherscan_tag,etherscan_labels,is_contract`,
/// or the malicious-smart-contracts layout (`contract_address,contract_tag,contract_creator,…`).
/// The chain comes from the file name (`ethereum_…`, `optimism_…`) unless given.
pub fn read_forta(path: &Path, chain: Option<Chain>) -> Result<(Vec<Label>, ImportReport)> {
    let file = display_name(path);
    let mut report = ImportReport::new("forta");
    report.files.push(file.clone());
    let chain = chain
        .or_else(|| file.split('_').next().and_then(|p| p.parse().ok()))
        .unwrap_or(Chain::ETHEREUM);
    let dataset = format!("forta:{file}");
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
    enum Layout {
        Banned(usize, Option<usize>, Option<usize>),
        Phishing(usize, Option<usize>, Option<usize>),
        Contracts(
            usize,
            Option<usize>,
            Option<usize>,
            Option<usize>,
            Option<usize>,
        ),
    }
    let layout = if let Some(a) = col("banned_address") {
        Layout::Banned(a, col("wallet_tag"), col("data_source"))
    } else if let (Some(a), Some(tag)) = (col("address"), col("etherscan_tag")) {
        Layout::Phishing(a, Some(tag), col("etherscan_labels"))
    } else if let Some(a) = col("contract_address") {
        Layout::Contracts(
            a,
            col("contract_tag"),
            col("contract_creator"),
            col("contract_creator_tag"),
            col("contract_creator_etherscan_label").or_else(|| col("notes")),
        )
    } else {
        return Err(LabelError::Format {
            file,
            message: format!(
                "not a Forta labelled-dataset CSV (header: {})",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        });
    };
    let mut labels = Vec::new();
    let forta_category = |text: &str| -> Category {
        let t = text.to_ascii_lowercase();
        if t.contains("phish") {
            Category::Phishing
        } else if t.contains("exploit") || t.contains("heist") || t.contains("hack") {
            Category::Hack
        } else {
            Category::Scam
        }
    };
    for record in reader.records() {
        let Some((record, line)) = report.csv_row(&file, record) else {
            continue;
        };
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        let mut rows: Vec<FortaRow<'_>> = Vec::new();
        match layout {
            Layout::Banned(a, tag, source) => {
                let src = get(source);
                let mut d = BTreeMap::new();
                d.insert("data_source".to_string(), src.to_string());
                rows.push((
                    get(Some(a)),
                    get(tag).to_string(),
                    forta_category(src),
                    FORTA_CONFIDENCE,
                    d,
                ));
            }
            Layout::Phishing(a, tag, labels_col) => {
                let mut d = BTreeMap::new();
                d.insert("labels".to_string(), get(labels_col).to_string());
                let cat = if get(labels_col).is_empty() {
                    Category::Phishing
                } else {
                    forta_category(get(labels_col))
                };
                rows.push((get(Some(a)), get(tag).to_string(), cat, FORTA_CONFIDENCE, d));
            }
            Layout::Contracts(a, tag, creator, creator_tag, kind) => {
                let cat = forta_category(&format!("{} {}", get(kind), get(tag)));
                let contract_name = if get(tag).is_empty() {
                    format!("Malicious contract of {}", get(creator_tag))
                } else {
                    get(tag).to_string()
                };
                let mut d = BTreeMap::new();
                d.insert("role".to_string(), "malicious_contract".to_string());
                d.insert("creator".to_string(), get(creator).to_string());
                rows.push((
                    get(Some(a)),
                    contract_name.trim().to_string(),
                    cat,
                    FORTA_CONFIDENCE,
                    d,
                ));
                if !get(creator).is_empty() {
                    let name = if get(creator_tag).is_empty() {
                        format!("Creator of {}", get(Some(a)))
                    } else {
                        get(creator_tag).to_string()
                    };
                    let mut d = BTreeMap::new();
                    d.insert("role".to_string(), "malicious_contract_creator".to_string());
                    d.insert("contract".to_string(), get(Some(a)).to_string());
                    rows.push((get(creator), name, cat, FORTA_CREATOR_CONFIDENCE, d));
                }
            }
        }
        for (address, name, cat, (confidence, level), details) in rows {
            if address.is_empty() {
                report.reject(&file, line, Some("address"), "empty address");
                continue;
            }
            let (mut label, warning) = LabelDraft {
                source: Source::Forta,
                dataset: &dataset,
                file: &file,
                line,
                address,
                currency: chain.native_symbol(),
                name: if name.is_empty() {
                    cat.to_string()
                } else {
                    name
                },
                categories: vec![cat],
                confidence,
            }
            .build();
            if !is_evm_hex(&label.address) {
                report.reject(
                    &file,
                    line,
                    Some("address"),
                    format!(
                        "`{}` is not a 0x-prefixed 20-byte hex address",
                        label.address
                    ),
                );
                continue;
            }
            if let Some(w) = warning {
                report.warn(&file, line, Some("address"), w);
            }
            label.chain = Some(chain);
            label.confidence_level = Some(level.into());
            label.details = details;
            labels.push(label);
        }
    }
    report.imported = labels.len() as u64;
    Ok((labels, report))
}

/// Import Tornado Cash's contract list (`chain,chain_id,role,asset,denomination,address,name,…`).
pub fn read_tornado(path: &Path) -> Result<(Vec<Label>, ImportReport)> {
    let file = display_name(path);
    let mut report = ImportReport::new("tornado_cash");
    report.files.push(file.clone());
    let dataset = format!("tornado_cash:{file}");
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
    let (Some(chain_id_col), Some(address_col), Some(name_col)) =
        (col("chain_id"), col("address"), col("name"))
    else {
        return Err(LabelError::Format {
            file,
            message: "expected columns chain_id, address, name".into(),
        });
    };
    let (role_col, asset_col, denom_col, ofac_col) = (
        col("role"),
        col("asset"),
        col("denomination"),
        col("ofac_sdn_tornado_cash_2022_2025"),
    );
    let mut labels = Vec::new();
    for record in reader.records() {
        let Some((record, line)) = report.csv_row(&file, record) else {
            continue;
        };
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        let Ok(chain_id) = get(Some(chain_id_col)).parse::<u64>() else {
            report.reject(
                &file,
                line,
                Some("chain_id"),
                format!(
                    "expected a decimal chain id, found `{}`",
                    get(Some(chain_id_col))
                ),
            );
            continue;
        };
        let chain = Chain::Evm(chain_id);
        let (mut label, warning) = LabelDraft {
            source: Source::TornadoCash,
            dataset: &dataset,
            file: &file,
            line,
            address: get(Some(address_col)),
            currency: chain.native_symbol(),
            name: get(Some(name_col)).to_string(),
            categories: vec![Category::Mixer],
            confidence: TORNADO_CONFIDENCE.0,
        }
        .build();
        if !is_evm_hex(&label.address) {
            report.reject(
                &file,
                line,
                Some("address"),
                format!(
                    "`{}` is not a 0x-prefixed 20-byte hex address",
                    label.address
                ),
            );
            continue;
        }
        if let Some(w) = warning {
            report.warn(&file, line, Some("address"), w);
        }
        label.chain = Some(chain);
        label.confidence_level = Some(TORNADO_CONFIDENCE.1.into());
        for (key, c) in [
            ("role", role_col),
            ("asset", asset_col),
            ("denomination", denom_col),
            ("ofac_listed_2022_2025", ofac_col),
        ] {
            if !get(c).is_empty() {
                label.details.insert(key.into(), get(c).to_string());
            }
        }
        labels.push(label);
    }
    report.imported = labels.len() as u64;
    Ok((labels, report))
}
