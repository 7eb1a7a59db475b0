//! GraphSense TagPacks and ActorPacks: import with validation (file, line, field), header
//! fields inherited by tags, and export back to YAML that re-imports to identical tags.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::category::{self, Category};
use crate::error::{LabelError, Result};
use crate::label::{Label, LabelDraft, Source};
use crate::report::ImportReport;
use crate::yaml::{self, Node, Value};
use chaintrail_core::Date;

/// The GraphSense taxonomies used for validation: concept ids, confidence levels, tag types.
/// Compiled in from `schema/` (see its PROVENANCE.md).
#[derive(Debug, Clone)]
pub struct Taxonomy {
    /// GraphSense concept ids (`exchange`, `mixer`, …).
    pub concepts: BTreeSet<String>,
    /// confidence id → numeric level 0..=100
    pub confidence: BTreeMap<String, u8>,
    /// Tag types (`actor`, `event`, …).
    pub tag_types: BTreeSet<String>,
}

impl Taxonomy {
    /// The built-in taxonomy (graphsense-tagpack-tool a14a159).
    pub fn builtin() -> &'static Taxonomy {
        static TAXONOMY: OnceLock<Taxonomy> = OnceLock::new();
        TAXONOMY.get_or_init(|| {
            Taxonomy::from_sources(
                include_str!("../schema/concepts.yaml"),
                include_str!("../schema/confidence.csv"),
                include_str!("../schema/tag_types.csv"),
            )
        })
    }

    /// Build a taxonomy from the three schema files' texts. Lines that do not parse are skipped.
    pub fn from_sources(
        concepts_yaml: &str,
        confidence_csv: &str,
        tag_types_csv: &str,
    ) -> Taxonomy {
        let concepts = match yaml::parse(concepts_yaml, "concepts.yaml") {
            Ok(Node {
                value: Value::Map(entries),
                ..
            }) => entries
                .into_iter()
                .map(|(k, _, _)| k)
                .filter(|k| k != "scheme")
                .collect(),
            _ => BTreeSet::new(),
        };
        // id,label,description,level — descriptions may contain unquoted commas, so the
        // level is the last field.
        let confidence = confidence_csv
            .lines()
            .skip(1)
            .filter_map(|line| {
                let id = line.split(',').next()?.trim();
                let level = line.rsplit(',').next()?.trim().parse::<u8>().ok()?;
                Some((id.to_string(), level.min(100)))
            })
            .collect();
        let tag_types = tag_types_csv
            .lines()
            .skip(1)
            .filter_map(|line| line.split(',').nth(1).map(|s| s.trim().to_string()))
            .collect();
        Taxonomy {
            concepts,
            confidence,
            tag_types,
        }
    }

    /// Numeric level of a confidence id (`unknown` = 5 when absent or not in the taxonomy).
    pub fn level(&self, id: Option<&str>) -> u8 {
        id.and_then(|id| self.confidence.get(id).copied())
            .or_else(|| self.confidence.get("unknown").copied())
            .unwrap_or(5)
    }

    /// The confidence id whose level is the highest not above `value` (for export).
    pub fn level_id_for(&self, value: u8) -> String {
        self.confidence
            .iter()
            .filter(|(_, level)| **level <= value)
            .max_by_key(|(id, level)| (**level, std::cmp::Reverse(id.as_str())))
            .map_or_else(|| "unknown".to_string(), |(id, _)| id.clone())
    }
}

/// The fields a tag can have; each may also be given once in the pack header as the default
/// for every tag.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFields {
    /// The tagged address.
    pub address: Option<String>,
    /// The tagged transaction.
    pub tx_hash: Option<String>,
    /// The tag's label (a name).
    pub label: Option<String>,
    /// Where the tag comes from (a URL).
    pub source: Option<String>,
    /// The currency (`BTC`, `ETH`, …), older packs' chain field.
    pub currency: Option<String>,
    /// The network (`bitcoin`, `ethereum`, …).
    pub network: Option<String>,
    /// Free-text context.
    pub context: Option<String>,
    /// Confidence id of the taxonomy.
    pub confidence: Option<String>,
    /// Whether the address defines its cluster.
    pub is_cluster_definer: Option<bool>,
    /// Last modified.
    pub lastmod: Option<String>,
    /// GraphSense category (older packs).
    pub category: Option<String>,
    /// Abuse type, if any.
    pub abuse: Option<String>,
    /// The actor id.
    pub actor: Option<String>,
    /// GraphSense concepts.
    pub concepts: Option<Vec<String>>,
    /// The tag type.
    pub tag_type: Option<String>,
}

const TAG_FIELDS: &[&str] = &[
    "address",
    "tx_hash",
    "label",
    "source",
    "currency",
    "network",
    "context",
    "confidence",
    "is_cluster_definer",
    "lastmod",
    "category",
    "abuse",
    "actor",
    "concepts",
    "tag_type",
];

impl TagFields {
    /// Fields of `self`, falling back to `defaults` (tag values override the header).
    fn or(&self, defaults: &TagFields) -> TagFields {
        fn pick<T: Clone>(own: &Option<T>, def: &Option<T>) -> Option<T> {
            own.clone().or_else(|| def.clone())
        }
        TagFields {
            address: pick(&self.address, &defaults.address),
            tx_hash: pick(&self.tx_hash, &defaults.tx_hash),
            label: pick(&self.label, &defaults.label),
            source: pick(&self.source, &defaults.source),
            currency: pick(&self.currency, &defaults.currency),
            network: pick(&self.network, &defaults.network),
            context: pick(&self.context, &defaults.context),
            confidence: pick(&self.confidence, &defaults.confidence),
            is_cluster_definer: pick(&self.is_cluster_definer, &defaults.is_cluster_definer),
            lastmod: pick(&self.lastmod, &defaults.lastmod),
            category: pick(&self.category, &defaults.category),
            abuse: pick(&self.abuse, &defaults.abuse),
            actor: pick(&self.actor, &defaults.actor),
            concepts: pick(&self.concepts, &defaults.concepts),
            tag_type: pick(&self.tag_type, &defaults.tag_type),
        }
    }

    /// Set one field from a YAML node; `Err` says what was expected.
    fn set(&mut self, key: &str, node: &Node) -> std::result::Result<(), String> {
        let text = || -> std::result::Result<Option<String>, String> {
            match &node.value {
                Value::Null => Ok(None),
                Value::Scalar { text, .. } => Ok(Some(text.trim().to_string())),
                Value::Map(_) if key == "context" => Ok(Some(node.to_json().to_string())),
                _ => Err(format!("expected text, found a {}", node.kind())),
            }
        };
        match key {
            "address" => self.address = text()?,
            "tx_hash" => self.tx_hash = text()?,
            "label" => self.label = text()?,
            "source" => self.source = text()?,
            "currency" => self.currency = text()?,
            "network" => self.network = text()?,
            "context" => self.context = text()?,
            "confidence" => self.confidence = text()?,
            "category" => self.category = text()?,
            "abuse" => self.abuse = text()?,
            "actor" => self.actor = text()?,
            "tag_type" => self.tag_type = text()?,
            "lastmod" => {
                let value = text()?;
                if let Some(v) = &value {
                    Date::parse_prefix(v)
                        .map_err(|e| format!("expected a date or datetime: {e}"))?;
                }
                self.lastmod = value;
            }
            "is_cluster_definer" => {
                self.is_cluster_definer = match node.value {
                    Value::Null => None,
                    _ => Some(
                        node.as_bool()
                            .ok_or_else(|| "expected true or false".to_string())?,
                    ),
                }
            }
            "concepts" => {
                self.concepts = match &node.value {
                    Value::Null => None,
                    Value::Seq(items) => Some(
                        items
                            .iter()
                            .map(|i| {
                                i.as_str().map(|s| s.trim().to_string()).ok_or_else(|| {
                                    format!("expected a list of concept ids, found a {}", i.kind())
                                })
                            })
                            .collect::<std::result::Result<Vec<_>, _>>()?,
                    ),
                    _ => return Err(format!("expected a list, found a {}", node.kind())),
                }
            }
            _ => return Err(format!("unknown field `{key}`")),
        }
        Ok(())
    }

    fn write_yaml(&self, out: &mut String, indent: &str, first_prefix: &str) {
        let mut prefix = first_prefix.to_string();
        let mut line = |key: &str, value: String| {
            out.push_str(&prefix);
            out.push_str(key);
            out.push_str(": ");
            out.push_str(&value);
            out.push('\n');
            prefix = indent.to_string();
        };
        let q = |v: &Option<String>| v.as_deref().map(yaml::quote);
        for (key, value) in [
            ("address", q(&self.address)),
            ("tx_hash", q(&self.tx_hash)),
            ("label", q(&self.label)),
            ("source", q(&self.source)),
            ("currency", q(&self.currency)),
            ("network", q(&self.network)),
            ("confidence", q(&self.confidence)),
            ("category", q(&self.category)),
            ("abuse", q(&self.abuse)),
            ("actor", q(&self.actor)),
            ("tag_type", q(&self.tag_type)),
            ("context", q(&self.context)),
            (
                "is_cluster_definer",
                self.is_cluster_definer.map(|b| b.to_string()),
            ),
            ("lastmod", q(&self.lastmod)),
            (
                "concepts",
                self.concepts.as_ref().map(|c| {
                    format!(
                        "[{}]",
                        c.iter()
                            .map(|s| yaml::quote(s))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }),
            ),
        ] {
            if let Some(value) = value {
                line(key, value);
            }
        }
        // A list item without a field of its own (`- address: # a comment`, the header's
        // defaults apply) must stay an item of the export: an empty key keeps it.
        if prefix == first_prefix && !first_prefix.is_empty() {
            out.push_str(first_prefix);
            out.push_str("address:\n");
        }
    }
}

/// A TagPack header: its own fields and the tag-field defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPackHeader {
    /// The pack's title.
    pub title: String,
    /// Who made it.
    pub creator: String,
    /// What it is.
    pub description: Option<String>,
    /// Who owns it.
    pub owner: Option<String>,
    /// Whether it may be shared.
    pub is_public: Option<bool>,
    /// Fields every tag inherits.
    pub defaults: TagFields,
}

/// One tag as written (its own fields only) and its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagEntry {
    /// The tag's 1-based line in the file.
    pub line: usize,
    /// Its own fields.
    pub fields: TagFields,
}

/// A parsed, validated TagPack. Invalid tags are not in `tags`; they are in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagPack {
    /// The file it was read from.
    pub file: String,
    /// Its header.
    pub header: TagPackHeader,
    /// Its tags, in file order.
    pub tags: Vec<TagEntry>,
}

impl TagPack {
    /// Every tag with the header defaults applied (network defaults to currency).
    pub fn resolved(&self) -> Vec<TagFields> {
        self.tags
            .iter()
            .map(|t| {
                let mut f = t.fields.or(&self.header.defaults);
                if f.network.is_none() {
                    f.network = f.currency.clone();
                }
                f
            })
            .collect()
    }

    /// Parse and validate a TagPack. A file that is not YAML, or lacks `title`, `creator` or
    /// `tags`, is an error; a bad tag is rejected into the report (with line and field) and
    /// the rest of the pack is kept.
    pub fn parse(text: &str, file: &str, taxonomy: &Taxonomy) -> Result<(TagPack, ImportReport)> {
        let mut report = ImportReport::new("graphsense");
        report.files.push(file.to_string());
        let root = yaml::parse(text, file)?;
        let Value::Map(entries) = &root.value else {
            return Err(LabelError::Yaml {
                file: file.to_string(),
                line: root.line,
                message: format!(
                    "expected a TagPack (a mapping with title, creator, tags), found a {}",
                    root.kind()
                ),
            });
        };
        let mut header = TagPackHeader::default();
        let mut tags_node = None;
        let fatal = |line: usize, field: &str, message: String| LabelError::Data {
            file: file.to_string(),
            line: line as u64,
            message: format!("header field `{field}`: {message}"),
        };
        for (key, key_line, node) in entries {
            let as_text = || -> Result<String> {
                node.as_str().map(|s| s.trim().to_string()).ok_or_else(|| {
                    fatal(
                        *key_line,
                        key,
                        format!("expected text, found a {}", node.kind()),
                    )
                })
            };
            match key.as_str() {
                "title" => header.title = as_text()?,
                "creator" => header.creator = as_text()?,
                "description" => header.description = Some(as_text()?),
                "owner" => header.owner = Some(as_text()?),
                "is_public" => {
                    header.is_public =
                        Some(node.as_bool().ok_or_else(|| {
                            fatal(*key_line, key, "expected true or false".into())
                        })?)
                }
                "tags" => tags_node = Some((node, *key_line)),
                field if TAG_FIELDS.contains(&field) => {
                    header
                        .defaults
                        .set(field, node)
                        .map_err(|m| fatal(*key_line, field, m))?;
                }
                other => report.warn(
                    file,
                    *key_line as u64,
                    Some(other),
                    "unknown header field: ignored",
                ),
            }
        }
        for (field, value) in [("title", &header.title), ("creator", &header.creator)] {
            if value.is_empty() {
                return Err(fatal(root.line, field, "mandatory field missing".into()));
            }
        }
        let Some((tags_node, tags_line)) = tags_node else {
            return Err(fatal(root.line, "tags", "mandatory field missing".into()));
        };
        let items = match &tags_node.value {
            Value::Seq(items) => items.as_slice(),
            Value::Null => &[],
            _ => {
                return Err(fatal(
                    tags_line,
                    "tags",
                    format!("expected a list of tags, found a {}", tags_node.kind()),
                ));
            }
        };
        let mut unknown: BTreeMap<(String, String), (u64, usize)> = BTreeMap::new();
        let mut tags = Vec::with_capacity(items.len());
        'tags: for item in items {
            report.rows_read += 1;
            let Value::Map(fields) = &item.value else {
                report.reject(
                    file,
                    item.line as u64,
                    None,
                    format!("expected a tag (a mapping), found a {}", item.kind()),
                );
                continue;
            };
            let mut own = TagFields::default();
            for (key, key_line, node) in fields {
                if let Err(message) = own.set(key, node) {
                    report.reject(file, *key_line as u64, Some(key), message);
                    continue 'tags;
                }
            }
            if own.address.as_deref().is_some_and(|a| a.is_empty()) {
                own.address = None;
            }
            let merged = own.or(&header.defaults);
            let missing = if merged.address.is_none() && merged.tx_hash.is_none() {
                Some("address")
            } else {
                [
                    ("label", &merged.label),
                    ("source", &merged.source),
                    ("currency", &merged.currency),
                ]
                .into_iter()
                .find(|(_, v)| v.as_deref().is_none_or(str::is_empty))
                .map(|(f, _)| f)
            };
            if let Some(field) = missing {
                report.reject(
                    file,
                    item.line as u64,
                    Some(field),
                    format!(
                        "mandatory field `{field}` missing (neither in the tag nor in the header)"
                    ),
                );
                continue;
            }
            let mut check = |field: &str, value: Option<&str>, known: bool| {
                if let Some(v) = value
                    && !known
                {
                    let slot = unknown
                        .entry((field.to_string(), v.to_string()))
                        .or_insert((item.line as u64, 0));
                    slot.1 += 1;
                }
            };
            let tax = taxonomy;
            check(
                "confidence",
                merged.confidence.as_deref(),
                merged
                    .confidence
                    .as_deref()
                    .is_none_or(|c| tax.confidence.contains_key(c)),
            );
            check(
                "category",
                merged.category.as_deref(),
                merged
                    .category
                    .as_deref()
                    .is_none_or(|c| tax.concepts.contains(c)),
            );
            check(
                "abuse",
                merged.abuse.as_deref(),
                merged
                    .abuse
                    .as_deref()
                    .is_none_or(|c| tax.concepts.contains(c)),
            );
            check(
                "tag_type",
                merged.tag_type.as_deref(),
                merged
                    .tag_type
                    .as_deref()
                    .is_none_or(|c| tax.tag_types.contains(c)),
            );
            for concept in merged.concepts.iter().flatten() {
                check("concepts", Some(concept), tax.concepts.contains(concept));
            }
            if merged.confidence.is_none() {
                let slot = unknown
                    .entry(("confidence".into(), String::new()))
                    .or_insert((item.line as u64, 0));
                slot.1 += 1;
            }
            tags.push(TagEntry {
                line: item.line,
                fields: own,
            });
        }
        for ((field, value), (line, count)) in unknown {
            let message = if value.is_empty() {
                format!(
                    "no confidence given for {count} tag(s) (first at line {line}): level `unknown` (5) is used"
                )
            } else {
                format!(
                    "`{value}` is not in the {field} taxonomy ({count} tag(s), first at line {line}); kept, mapped by chaintrail's own table"
                )
            };
            report.warn(file, line, Some(&field), message);
        }
        report.imported = tags.len() as u64;
        Ok((
            TagPack {
                file: file.to_string(),
                header,
                tags,
            },
            report,
        ))
    }

    /// Write the pack as TagPack YAML: header fields, header defaults, then each tag's own fields.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        let h = &self.header;
        out.push_str(&format!("title: {}\n", yaml::quote(&h.title)));
        out.push_str(&format!("creator: {}\n", yaml::quote(&h.creator)));
        if let Some(d) = &h.description {
            out.push_str(&format!("description: {}\n", yaml::quote(d)));
        }
        if let Some(o) = &h.owner {
            out.push_str(&format!("owner: {}\n", yaml::quote(o)));
        }
        if let Some(p) = h.is_public {
            out.push_str(&format!("is_public: {p}\n"));
        }
        h.defaults.write_yaml(&mut out, "", "");
        out.push_str("tags:\n");
        for tag in &self.tags {
            tag.fields.write_yaml(&mut out, "  ", "- ");
        }
        out
    }

    /// Labels for the address tags of this pack. Transaction tags are reported, not stored.
    pub fn to_labels(
        &self,
        dataset: &str,
        taxonomy: &Taxonomy,
        report: &mut ImportReport,
    ) -> Vec<Label> {
        let mut labels = Vec::with_capacity(self.tags.len());
        for (entry, f) in self.tags.iter().zip(self.resolved()) {
            let Some(address) = f.address.as_deref() else {
                report.reject(
                    &self.file,
                    entry.line as u64,
                    Some("tx_hash"),
                    "transaction tags are not stored by the address label store",
                );
                continue;
            };
            let mut categories: Vec<Category> = Vec::new();
            for id in [f.category.as_deref(), f.abuse.as_deref()]
                .into_iter()
                .flatten()
            {
                categories.push(category::from_graphsense_concept(id));
            }
            for id in f.concepts.iter().flatten() {
                categories.push(category::from_graphsense_concept(id));
            }
            let network = f
                .network
                .clone()
                .or_else(|| f.currency.clone())
                .unwrap_or_default();
            let (mut label, warning) = LabelDraft {
                source: Source::Graphsense,
                dataset,
                file: &self.file,
                line: entry.line as u64,
                address,
                currency: &network,
                name: f.label.clone().unwrap_or_default(),
                categories,
                confidence: taxonomy.level(f.confidence.as_deref()),
            }
            .build();
            if let Some(w) = warning {
                report.warn(&self.file, entry.line as u64, Some("address"), w);
            }
            label.currency = f.currency.clone().unwrap_or_default();
            label.confidence_level = f.confidence.clone();
            let d = &mut label.details;
            let mut put = |k: &str, v: &Option<String>| {
                if let Some(v) = v {
                    d.insert(k.to_string(), v.clone());
                }
            };
            put("source_url", &f.source);
            put("network", &f.network);
            put("category", &f.category);
            put("abuse", &f.abuse);
            put("actor", &f.actor);
            put("context", &f.context);
            put("lastmod", &f.lastmod);
            put("tag_type", &f.tag_type);
            put("concepts", &f.concepts.as_ref().map(|c| c.join(",")));
            put(
                "is_cluster_definer",
                &f.is_cluster_definer.map(|b| b.to_string()),
            );
            d.insert("pack_title".into(), self.header.title.clone());
            d.insert("pack_creator".into(), self.header.creator.clone());
            labels.push(label);
        }
        labels
    }
}

/// One actor of an ActorPack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// The actor's id.
    pub id: String,
    /// Its display label.
    pub label: String,
    /// Its home page.
    pub uri: String,
    /// Last modified.
    pub lastmod: Option<String>,
    /// GraphSense concepts.
    pub categories: Vec<String>,
    /// Jurisdictions (ISO country codes).
    pub jurisdictions: Vec<String>,
    /// Other names.
    pub aliases: Vec<String>,
    /// Free-form context (refs, coingecko ids, twitter handle, …) as JSON.
    pub context: Option<serde_json::Value>,
}

/// A GraphSense ActorPack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActorPack {
    /// The file it was read from.
    pub file: String,
    /// The pack's title.
    pub title: String,
    /// Who made it.
    pub creator: String,
    /// What it is.
    pub description: Option<String>,
    /// Last modified.
    pub lastmod: Option<String>,
    /// Its actors, in file order.
    pub actors: Vec<Actor>,
}

impl ActorPack {
    /// Parse and validate an ActorPack; bad actors are rejected into the report.
    pub fn parse(text: &str, file: &str, taxonomy: &Taxonomy) -> Result<(ActorPack, ImportReport)> {
        let mut report = ImportReport::new("graphsense-actors");
        report.files.push(file.to_string());
        let root = yaml::parse(text, file)?;
        let fatal = |line: usize, message: String| LabelError::Data {
            file: file.to_string(),
            line: line as u64,
            message,
        };
        let Value::Map(entries) = &root.value else {
            return Err(fatal(
                root.line,
                format!("expected an ActorPack mapping, found a {}", root.kind()),
            ));
        };
        let get = |key: &str| {
            entries
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, l, n)| (n, *l))
        };
        let text_of =
            |key: &str| get(key).and_then(|(n, _)| n.as_str().map(|s| s.trim().to_string()));
        let (title, creator) = (text_of("title"), text_of("creator"));
        let (Some(title), Some(creator)) = (title, creator) else {
            return Err(fatal(
                root.line,
                "header field `title` or `creator`: mandatory field missing".into(),
            ));
        };
        let lastmod = text_of("lastmod");
        // An empty `actors:` is an empty list, as for a TagPack's `tags:` (and as an export of a
        // pack whose actors were all rejected writes it).
        let items = match get("actors") {
            Some((
                Node {
                    value: Value::Seq(items),
                    ..
                },
                _,
            )) => items.as_slice(),
            Some((
                Node {
                    value: Value::Null, ..
                },
                _,
            )) => &[],
            _ => {
                return Err(fatal(
                    root.line,
                    "header field `actors`: expected a list of actors".into(),
                ));
            }
        };
        let mut actors = Vec::new();
        for item in items {
            report.rows_read += 1;
            match parse_actor(item, lastmod.as_deref(), taxonomy) {
                Ok((actor, unknown)) => {
                    for c in unknown {
                        report.warn(
                            file,
                            item.line as u64,
                            Some("categories"),
                            format!("`{c}` is not in the concept taxonomy"),
                        );
                    }
                    actors.push(actor);
                }
                Err((line, field, message)) => {
                    report.reject(file, line as u64, Some(&field), message)
                }
            }
        }
        report.imported = actors.len() as u64;
        Ok((
            ActorPack {
                file: file.to_string(),
                title,
                creator,
                description: text_of("description"),
                lastmod,
                actors,
            },
            report,
        ))
    }

    /// Write the pack as ActorPack YAML (context as a JSON flow mapping).
    pub fn to_yaml(&self) -> String {
        let mut out = format!(
            "title: {}\ncreator: {}\n",
            yaml::quote(&self.title),
            yaml::quote(&self.creator)
        );
        if let Some(d) = &self.description {
            out.push_str(&format!("description: {}\n", yaml::quote(d)));
        }
        if let Some(l) = &self.lastmod {
            out.push_str(&format!("lastmod: {}\n", yaml::quote(l)));
        }
        out.push_str("actors:\n");
        let list = |v: &[String]| {
            format!(
                "[{}]",
                v.iter()
                    .map(|s| yaml::quote(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        for a in &self.actors {
            out.push_str(&format!(
                "- id: {}\n  label: {}\n  uri: {}\n",
                yaml::quote(&a.id),
                yaml::quote(&a.label),
                yaml::quote(&a.uri)
            ));
            if let Some(l) = &a.lastmod {
                out.push_str(&format!("  lastmod: {}\n", yaml::quote(l)));
            }
            out.push_str(&format!(
                "  categories: {}\n  jurisdictions: {}\n  aliases: {}\n",
                list(&a.categories),
                list(&a.jurisdictions),
                list(&a.aliases)
            ));
            if let Some(c) = &a.context {
                out.push_str(&format!("  context: {c}\n"));
            }
        }
        out
    }
}

type ActorError = (usize, String, String);

fn parse_actor(
    item: &Node,
    default_lastmod: Option<&str>,
    taxonomy: &Taxonomy,
) -> std::result::Result<(Actor, Vec<String>), ActorError> {
    let Value::Map(fields) = &item.value else {
        return Err((
            item.line,
            "actor".into(),
            format!("expected an actor (a mapping), found a {}", item.kind()),
        ));
    };
    let mut actor = Actor {
        id: String::new(),
        label: String::new(),
        uri: String::new(),
        lastmod: None,
        categories: vec![],
        jurisdictions: vec![],
        aliases: vec![],
        context: None,
    };
    for (key, line, node) in fields {
        let err = |m: String| (*line, key.clone(), m);
        let text = || {
            node.as_str()
                .map(|s| s.trim().to_string())
                .ok_or_else(|| err(format!("expected text, found a {}", node.kind())))
        };
        let list = || -> std::result::Result<Vec<String>, ActorError> {
            match &node.value {
                Value::Null => Ok(vec![]),
                Value::Seq(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(|s| s.trim().to_string()).ok_or_else(|| {
                            err(format!("expected a list of text, found a {}", i.kind()))
                        })
                    })
                    .collect(),
                _ => Err(err(format!("expected a list, found a {}", node.kind()))),
            }
        };
        match key.as_str() {
            "id" => actor.id = text()?,
            "label" => actor.label = text()?,
            "uri" => actor.uri = text()?,
            "lastmod" => actor.lastmod = Some(text()?),
            "categories" => actor.categories = list()?,
            "jurisdictions" => actor.jurisdictions = list()?,
            "aliases" => actor.aliases = list()?,
            "context" => {
                actor.context = match &node.value {
                    Value::Null => None,
                    Value::Map(_) => Some(node.to_json()),
                    Value::Scalar { text, .. } => Some(
                        serde_json::from_str(text)
                            .map_err(|e| err(format!("expected JSON text: {e}")))?,
                    ),
                    Value::Seq(_) => {
                        return Err(err(
                            "expected a mapping or JSON text, found a sequence".into()
                        ));
                    }
                }
            }
            other => return Err(err(format!("unknown field `{other}`"))),
        }
    }
    for (field, value) in [("id", &actor.id), ("label", &actor.label)] {
        if value.is_empty() {
            return Err((
                item.line,
                field.to_string(),
                format!("mandatory field `{field}` missing"),
            ));
        }
    }
    if actor.lastmod.is_none() {
        actor.lastmod = default_lastmod.map(str::to_string);
    }
    let unknown = actor
        .categories
        .iter()
        .filter(|c| !taxonomy.concepts.contains(*c))
        .cloned()
        .collect();
    Ok((actor, unknown))
}

/// Reverse mapping used on export: category → its GraphSense concept id.
fn graphsense_id(category: Category) -> Option<&'static str> {
    match category {
        Category::Sanctioned => Some("sanction"),
        Category::Hack => Some("service_hack"),
        Category::Ransomware => Some("ransomware"),
        Category::Terrorism => Some("terrorism"),
        Category::Darknet => Some("dark_web"),
        Category::Scam => Some("scam"),
        Category::Phishing => Some("phishing"),
        Category::FinancialCrime => Some("financial_crime"),
        Category::Abuse | Category::Other => None,
        Category::Mixer => Some("mixing_service"),
        Category::Blocked => Some("black_list"),
        Category::Gambling => Some("gambling"),
        Category::Market => Some("market"),
        Category::Otc | Category::Exchange => Some("exchange"),
        Category::Bridge => Some("defi_bridge"),
        Category::Dex => Some("defi_dex"),
        Category::Defi => Some("defi"),
        Category::Miner => Some("miner"),
        Category::WalletService => Some("wallet_service"),
        Category::Service => Some("service"),
    }
}

/// The GraphSense `category` and `abuse` of a label: its role as the category, its riskiest
/// flag as the abuse. GraphSense files issuer blacklists (`black_list`) under `category`: a
/// `blocked` flag goes there when the label has no role.
fn graphsense_fields(label: &Label) -> (Option<&'static str>, Option<&'static str>) {
    let blocked = label.flags.contains(&Category::Blocked);
    let category = label
        .role
        .and_then(graphsense_id)
        .or_else(|| blocked.then_some("black_list"));
    let abuse = label
        .flags
        .iter()
        .filter(|f| **f != Category::Blocked)
        .find_map(|f| graphsense_id(*f));
    (category, abuse)
}

/// A TagPack holding the given labels, every field explicit on each tag. GraphSense labels
/// keep their original fields; others get GraphSense ids for their category and confidence,
/// and their provenance (source, dataset, validity, details) in `context` as JSON.
pub fn labels_to_tagpack(labels: &[&Label], title: &str, taxonomy: &Taxonomy) -> TagPack {
    let tags = labels
        .iter()
        .map(|l| {
            let d = &l.details;
            let get = |k: &str| d.get(k).cloned();
            let fields = if l.source == Source::Graphsense {
                TagFields {
                    address: Some(l.address.clone()),
                    tx_hash: None,
                    label: Some(l.name.clone()),
                    source: get("source_url"),
                    currency: Some(l.currency.clone()),
                    network: get("network"),
                    context: get("context"),
                    confidence: l.confidence_level.clone(),
                    is_cluster_definer: get("is_cluster_definer").map(|b| b == "true"),
                    lastmod: get("lastmod"),
                    category: get("category"),
                    abuse: get("abuse"),
                    actor: get("actor"),
                    concepts: get("concepts").map(|c| c.split(',').map(str::to_string).collect()),
                    tag_type: get("tag_type"),
                }
            } else {
                let (category, abuse) = graphsense_fields(l);
                let mut context = serde_json::Map::new();
                context.insert("chaintrail_source".into(), l.source.as_str().into());
                context.insert("dataset".into(), l.dataset.clone().into());
                context.insert("file".into(), l.file.clone().into());
                context.insert(
                    "categories".into(),
                    l.categories
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .into(),
                );
                if let Some(f) = l.valid_from {
                    context.insert("valid_from".into(), f.to_string().into());
                }
                if let Some(t) = l.valid_to {
                    context.insert("valid_to".into(), t.to_string().into());
                }
                for (k, v) in d {
                    context.insert(k.clone(), v.clone().into());
                }
                TagFields {
                    address: Some(l.address.clone()),
                    label: Some(l.name.clone()),
                    source: Some(format!("chaintrail:{}:{}", l.source, l.file)),
                    currency: Some(l.currency.clone()),
                    network: l.chain.map(|c| c.to_string()),
                    context: Some(serde_json::Value::Object(context).to_string()),
                    confidence: Some(
                        l.confidence_level
                            .clone()
                            .unwrap_or_else(|| taxonomy.level_id_for(l.confidence)),
                    ),
                    category: category.map(str::to_string),
                    abuse: abuse.map(str::to_string),
                    ..TagFields::default()
                }
            };
            TagEntry { line: 0, fields }
        })
        .collect();
    TagPack {
        file: String::new(),
        header: TagPackHeader {
            title: title.to_string(),
            creator: "chaintrail".to_string(),
            description: Some(format!("{} labels exported by chaintrail", labels.len())),
            ..TagPackHeader::default()
        },
        tags,
    }
}

/// The `.yaml`/`.yml` files under `path` (or `path` itself), sorted.
pub(crate) fn yaml_files(path: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![path.to_path_buf()];
    while let Some(p) = pending.pop() {
        if p.is_dir() {
            for entry in std::fs::read_dir(&p).map_err(|e| LabelError::io(&p, e))? {
                let entry = entry.map_err(|e| LabelError::io(&p, e))?;
                pending.push(entry.path());
            }
        } else if p == path || p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}
