//! OFAC SDN: the advanced XML (streamed; bzip2 or plain) and the derived address-list CSVs, as
//! dated snapshots; labels with listing and delisting dates derived from all snapshots.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};

use crate::category::Category;
use crate::error::{LabelError, Result};
use crate::label::{Label, LabelDraft, Source, UnknownStart, normalize_key};
use crate::ofac_dates::DesignationDate;
use crate::report::ImportReport;
use chaintrail_core::Date;

/// One (address, asset, party) row of an SDN snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfacEntry {
    /// The address, as OFAC writes it.
    pub address: String,
    /// OFAC's ticker from "Digital Currency Address - XXX" (XBT, ETH, USDT, TRX, …).
    pub asset: String,
    /// SDN profile id (`DistinctParty/@FixedRef`, the legacy `ent_num`).
    pub sdn_uid: String,
    /// The party's primary name.
    pub name: String,
    /// Individual, entity, vessel or aircraft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party_type: Option<String>,
    /// The sanctions programs (`CYBER2`, `DPRK3`, …).
    pub programs: Vec<String>,
    /// Earliest entry date of the party (not of this address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_date: Option<Date>,
    /// The party's other names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aka: Vec<String>,
    /// Line of the address in the snapshot file (XML `VersionDetail`, CSV row).
    #[serde(default)]
    pub line: u64,
}

/// The digital-currency addresses of one SDN list issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfacSnapshot {
    /// The list's issue date.
    pub date: Date,
    /// The file it was read from.
    pub file: String,
    /// One entry per (address, asset, party).
    pub entries: Vec<OfacEntry>,
}

const FEATURE_PREFIX: &str = "Digital Currency Address - ";

/// Read an SDN snapshot: the advanced XML (plain or bzip2, told by its magic bytes) or a
/// derived CSV (`address,asset,sdn_uid,primary_name,…,sdn_issue_date` or
/// `address,address_lower,asset,sdn_uid,entity,programs,aka_names`). `date` overrides the
/// snapshot date (needed for CSVs that carry none and whose file name has no `YYYY-MM-DD`).
pub fn read_snapshot(path: &Path, date: Option<Date>) -> Result<(OfacSnapshot, ImportReport)> {
    let file_name = display_name(path);
    let file = File::open(path).map_err(|e| LabelError::io(path, e))?;
    let mut input = BufReader::with_capacity(1 << 16, file);
    let head = input.fill_buf().map_err(|e| LabelError::io(path, e))?;
    if head.starts_with(b"BZh") {
        let decoder = bzip2::bufread::MultiBzDecoder::new(input);
        return read_sdn_xml(BufReader::with_capacity(1 << 16, decoder), &file_name, date);
    }
    let text_start = String::from_utf8_lossy(&head[..head.len().min(512)]).to_string();
    let trimmed = text_start.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('<') {
        return read_sdn_xml(input, &file_name, date);
    }
    read_sdn_csv(input, &file_name, date.or_else(|| date_in_name(&file_name)))
}

pub(crate) fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| path.display().to_string())
}

/// The first `YYYY-MM-DD` in a file name.
pub(crate) fn date_in_name(name: &str) -> Option<Date> {
    (0..name.len().saturating_sub(9))
        .filter_map(|i| name.get(i..i + 10))
        .find_map(|s| s.parse().ok())
}

/// Counts the lines consumed by the XML reader, for error messages.
struct LineCounter<R> {
    inner: R,
    newlines: u64,
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let end = amount.min(buf.len());
            self.newlines += buf[..end].iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.inner.consume(amount);
    }
}

/// Elements the parser reacts to; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum El {
    DateOfIssue,
    Year,
    Month,
    Day,
    FeatureType,
    PartySubType,
    PartyType,
    NamePartType,
    DistinctParty,
    Profile,
    Alias,
    DocumentedName,
    NamePartValue,
    NamePartGroup,
    Feature,
    VersionDetail,
    SanctionsEntry,
    EntryEvent,
    Date,
    SanctionsMeasure,
    Comment,
    Other,
}

fn element(name: &str) -> El {
    match name {
        "DateOfIssue" => El::DateOfIssue,
        "Year" => El::Year,
        "Month" => El::Month,
        "Day" => El::Day,
        "FeatureType" => El::FeatureType,
        "PartySubType" => El::PartySubType,
        "PartyType" => El::PartyType,
        "NamePartType" => El::NamePartType,
        "DistinctParty" => El::DistinctParty,
        "Profile" => El::Profile,
        "Alias" => El::Alias,
        "DocumentedName" => El::DocumentedName,
        "NamePartValue" => El::NamePartValue,
        "NamePartGroup" => El::NamePartGroup,
        "Feature" => El::Feature,
        "VersionDetail" => El::VersionDetail,
        "SanctionsEntry" => El::SanctionsEntry,
        "EntryEvent" => El::EntryEvent,
        "Date" => El::Date,
        "SanctionsMeasure" => El::SanctionsMeasure,
        "Comment" => El::Comment,
        _ => El::Other,
    }
}

#[derive(Default)]
struct AliasDraft {
    primary: bool,
    parts: Vec<(String, String)>,
    documented_names: u32,
}

#[derive(Default)]
struct PartyDraft {
    uid: String,
    profile_id: String,
    sub_type: String,
    aliases: Vec<AliasDraft>,
    group_types: HashMap<String, String>,
    /// (asset, address, line)
    addresses: Vec<(String, String, u64)>,
    feature_asset: Option<String>,
}

#[derive(Default)]
struct EntryDraft {
    profile_id: String,
    dates: Vec<Date>,
    programs: Vec<String>,
    measure_is_program: bool,
}

#[derive(Default)]
struct YmdDraft {
    year: Option<u16>,
    month: Option<u8>,
    day: Option<u8>,
}

impl YmdDraft {
    fn finish(&mut self) -> Option<Date> {
        let date = Date::new(self.year?, self.month?, self.day?);
        *self = YmdDraft::default();
        date
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.to_string())
        })
}

fn read_sdn_xml<R: BufRead>(
    input: R,
    file: &str,
    date_override: Option<Date>,
) -> Result<(OfacSnapshot, ImportReport)> {
    let mut report = ImportReport::new("ofac");
    report.files.push(file.to_string());
    let mut reader = quick_xml::Reader::from_reader(LineCounter {
        inner: input,
        newlines: 0,
    });
    let xml_error = |line: u64, message: String| LabelError::Xml {
        file: file.to_string(),
        line,
        message,
    };

    let mut feature_types: HashMap<String, String> = HashMap::new();
    let mut sub_types: HashMap<String, String> = HashMap::new();
    let mut party_types: HashMap<String, String> = HashMap::new();
    let mut name_part_types: HashMap<String, String> = HashMap::new();
    let mut parties: Vec<PartyDraft> = Vec::new();
    let mut entries: HashMap<String, EntryDraft> = HashMap::new();

    let mut stack: Vec<El> = Vec::new();
    let mut text = String::new();
    let mut pending_id: Option<(String, Option<String>)> = None;
    let mut party: Option<PartyDraft> = None;
    let mut entry: Option<EntryDraft> = None;
    let mut ymd = YmdDraft::default();
    let mut issue_date: Option<Date> = None;
    let mut current_part_group: Option<String> = None;
    let mut saw_root = false;
    let mut buf = Vec::new();

    loop {
        let line = reader.get_ref().newlines + 1;
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(line, e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let is_empty = matches!(event, Event::Empty(_));
                let local = e.local_name();
                let el = element(local.as_ref());
                if !saw_root {
                    if local.as_ref() != "Sanctions" {
                        return Err(xml_error(
                            line,
                            format!(
                                "expected an OFAC SDN advanced XML document (root element <Sanctions>), found <{}>",
                                local.as_ref()
                            ),
                        ));
                    }
                    saw_root = true;
                }
                text.clear();
                match el {
                    El::FeatureType | El::PartyType | El::NamePartType => {
                        pending_id = attr(e, "ID").map(|id| (id, None));
                    }
                    El::PartySubType => {
                        if let (Some(id), Some(pt)) = (attr(e, "ID"), attr(e, "PartyTypeID")) {
                            sub_types.insert(id, pt);
                        }
                    }
                    El::DistinctParty => {
                        party = Some(PartyDraft {
                            uid: attr(e, "FixedRef").unwrap_or_default(),
                            ..PartyDraft::default()
                        });
                    }
                    El::Profile => {
                        if let Some(p) = party.as_mut() {
                            p.profile_id = attr(e, "ID").unwrap_or_default();
                            p.sub_type = attr(e, "PartySubTypeID").unwrap_or_default();
                        }
                    }
                    El::Alias => {
                        if let Some(p) = party.as_mut() {
                            p.aliases.push(AliasDraft {
                                primary: attr(e, "Primary").as_deref() == Some("true"),
                                ..AliasDraft::default()
                            });
                        }
                    }
                    El::DocumentedName => {
                        if let Some(alias) = party.as_mut().and_then(|p| p.aliases.last_mut()) {
                            alias.documented_names += 1;
                        }
                    }
                    El::NamePartValue => current_part_group = attr(e, "NamePartGroupID"),
                    El::NamePartGroup => {
                        if let (Some(p), Some(id), Some(t)) =
                            (party.as_mut(), attr(e, "ID"), attr(e, "NamePartTypeID"))
                        {
                            p.group_types.insert(id, t);
                        }
                    }
                    El::Feature => {
                        if let Some(p) = party.as_mut() {
                            p.feature_asset = attr(e, "FeatureTypeID")
                                .and_then(|id| feature_types.get(&id).cloned());
                        }
                    }
                    El::SanctionsEntry => {
                        entry = Some(EntryDraft {
                            profile_id: attr(e, "ProfileID").unwrap_or_default(),
                            ..EntryDraft::default()
                        });
                    }
                    El::SanctionsMeasure => {
                        if let Some(en) = entry.as_mut() {
                            en.measure_is_program =
                                attr(e, "SanctionsTypeID").as_deref() == Some("1");
                        }
                    }
                    _ => {}
                }
                if !is_empty {
                    stack.push(el);
                } else if el == El::DistinctParty {
                    // An empty party has no addresses: nothing to keep.
                    party = None;
                }
            }
            Event::Text(ref t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.into_inner()),
            Event::GeneralRef(ref r) => {
                if let Ok(Some(ch)) = r.resolve_char_ref() {
                    text.push(ch);
                } else {
                    let name = r.xml10_content();
                    let reference = format!("&{name};");
                    let resolved = quick_xml::escape::unescape(&reference)
                        .map_err(|e| xml_error(line, format!("unknown entity {reference}: {e}")))?;
                    text.push_str(&resolved);
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(xml_error(line, "closing tag without an opening tag".into()));
                };
                let parent = stack.last().copied();
                let value = text.trim().to_string();
                text.clear();
                match el {
                    El::FeatureType | El::PartyType | El::NamePartType => {
                        if let Some((id, _)) = pending_id.take() {
                            match el {
                                El::FeatureType => {
                                    if let Some(asset) = value.strip_prefix(FEATURE_PREFIX) {
                                        feature_types.insert(id, asset.trim().to_string());
                                    }
                                }
                                El::PartyType => {
                                    party_types.insert(id, value);
                                }
                                _ => {
                                    name_part_types.insert(id, value);
                                }
                            }
                        }
                    }
                    El::Year | El::Month | El::Day => {
                        let n: Option<u16> = value.parse().ok();
                        match el {
                            El::Year => ymd.year = n,
                            El::Month => ymd.month = n.and_then(|m| u8::try_from(m).ok()),
                            _ => ymd.day = n.and_then(|d| u8::try_from(d).ok()),
                        }
                    }
                    El::DateOfIssue => issue_date = ymd.finish(),
                    El::Date => {
                        let date = ymd.finish();
                        if let (Some(en), Some(date), Some(El::EntryEvent)) =
                            (entry.as_mut(), date, parent)
                        {
                            en.dates.push(date);
                        }
                    }
                    El::NamePartValue => {
                        if let Some(alias) = party.as_mut().and_then(|p| p.aliases.last_mut())
                            && alias.documented_names == 1
                        {
                            alias
                                .parts
                                .push((current_part_group.take().unwrap_or_default(), value));
                        }
                    }
                    El::VersionDetail => {
                        if let Some(p) = party.as_mut()
                            && let Some(asset) = p.feature_asset.clone()
                        {
                            report.rows_read += 1;
                            if value.is_empty() {
                                report.reject(
                                    file,
                                    line,
                                    Some("VersionDetail"),
                                    format!("empty {FEATURE_PREFIX}{asset} of SDN party {}", p.uid),
                                );
                            } else {
                                p.addresses.push((asset, value, line));
                            }
                        }
                    }
                    El::Feature => {
                        if let Some(p) = party.as_mut() {
                            p.feature_asset = None;
                        }
                    }
                    El::Comment => {
                        if let (Some(en), Some(El::SanctionsMeasure)) = (entry.as_mut(), parent)
                            && en.measure_is_program
                            && !value.is_empty()
                        {
                            en.programs.push(value);
                        }
                    }
                    El::DistinctParty => {
                        if let Some(p) = party.take()
                            && !p.addresses.is_empty()
                        {
                            parties.push(p);
                        }
                    }
                    El::SanctionsEntry => {
                        if let Some(en) = entry.take() {
                            let slot = entries.entry(en.profile_id.clone()).or_default();
                            slot.dates.extend(en.dates);
                            for program in en.programs {
                                if !slot.programs.contains(&program) {
                                    slot.programs.push(program);
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    let line = reader.get_ref().newlines + 1;
    if !saw_root {
        return Err(xml_error(
            line,
            "empty document: expected <Sanctions>".into(),
        ));
    }
    if !stack.is_empty() {
        return Err(xml_error(
            line,
            format!(
                "document ends inside {} unclosed element(s): the file is truncated",
                stack.len()
            ),
        ));
    }
    let date = date_override.or(issue_date).ok_or_else(|| {
        xml_error(
            line,
            "no <DateOfIssue> in the document: give the snapshot date explicitly".into(),
        )
    })?;

    let mut out = Vec::new();
    for p in parties {
        let format = |alias: &AliasDraft| -> String {
            let mut last = Vec::new();
            let mut rest = Vec::new();
            for (group, value) in &alias.parts {
                let kind = p
                    .group_types
                    .get(group)
                    .and_then(|t| name_part_types.get(t))
                    .map(String::as_str);
                if kind == Some("Last Name") {
                    last.push(value.as_str());
                } else {
                    rest.push(value.as_str());
                }
            }
            match (last.is_empty(), rest.is_empty()) {
                (false, false) => format!("{}, {}", last.join(" "), rest.join(" ")),
                (false, true) => last.join(" "),
                _ => rest.join(" "),
            }
        };
        let name = p
            .aliases
            .iter()
            .find(|a| a.primary)
            .map(format)
            .unwrap_or_default();
        let aka: Vec<String> = p
            .aliases
            .iter()
            .filter(|a| !a.primary)
            .map(format)
            .filter(|n| !n.is_empty())
            .collect();
        let party_type = sub_types
            .get(&p.sub_type)
            .and_then(|t| party_types.get(t))
            .cloned();
        let sanctions = entries.get(&p.profile_id);
        if sanctions.is_none() {
            report.warn(
                file,
                0,
                Some("SanctionsEntry"),
                format!(
                    "SDN party {} has no sanctions entry: no programme or entry date",
                    p.uid
                ),
            );
        }
        if name.is_empty() {
            report.warn(
                file,
                0,
                Some("Alias"),
                format!("SDN party {} has no primary name", p.uid),
            );
        }
        for (asset, address, line) in p.addresses {
            out.push(OfacEntry {
                address,
                asset,
                sdn_uid: p.uid.clone(),
                name: name.clone(),
                party_type: party_type.clone(),
                programs: sanctions.map(|s| s.programs.clone()).unwrap_or_default(),
                entry_date: sanctions.and_then(|s| s.dates.iter().min().copied()),
                aka: aka.clone(),
                line,
            });
        }
    }
    report.imported = out.len() as u64;
    Ok((
        OfacSnapshot {
            date,
            file: file.to_string(),
            entries: out,
        },
        report,
    ))
}

fn split_list(text: &str, separators: &[char]) -> Vec<String> {
    text.split(separators)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn read_sdn_csv<R: Read>(
    input: R,
    file: &str,
    date_from_name: Option<Date>,
) -> Result<(OfacSnapshot, ImportReport)> {
    let mut report = ImportReport::new("ofac");
    report.files.push(file.to_string());
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = reader.headers().map_err(|e| csv_error(file, &e))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(address), Some(asset), Some(uid)) = (col("address"), col("asset"), col("sdn_uid"))
    else {
        return Err(LabelError::Format {
            file: file.to_string(),
            message: format!(
                "expected an SDN address list with columns address, asset, sdn_uid; found {}",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        });
    };
    let name_col = col("primary_name").or_else(|| col("entity"));
    let Some(name_col) = name_col else {
        return Err(LabelError::Format {
            file: file.to_string(),
            message: "expected a `primary_name` or `entity` column".into(),
        });
    };
    let (party_col, programs_col, entry_col, aka_col, issue_col) = (
        col("party_type"),
        col("programs"),
        col("entry_date"),
        col("aka_names"),
        col("sdn_issue_date"),
    );
    let mut out = Vec::new();
    let mut issue_dates: BTreeMap<Date, u64> = BTreeMap::new();
    for record in reader.records() {
        let Some((record, line)) = report.csv_row(file, record) else {
            continue;
        };
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::trim).unwrap_or("");
        let (addr, tick, id) = (get(Some(address)), get(Some(asset)), get(Some(uid)));
        let missing = [("address", addr), ("asset", tick), ("sdn_uid", id)]
            .into_iter()
            .find(|(_, v)| v.is_empty());
        if let Some((field, _)) = missing {
            report.reject(
                file,
                line,
                Some(field),
                format!("empty `{field}`: expected a value"),
            );
            continue;
        }
        let entry_date = match get(entry_col) {
            "" => None,
            text => match text.parse::<Date>() {
                Ok(d) => Some(d),
                Err(e) => {
                    report.reject(file, line, Some("entry_date"), e.to_string());
                    continue;
                }
            },
        };
        if let Some(issue) = issue_col
            && let Ok(d) = get(Some(issue)).parse::<Date>()
        {
            *issue_dates.entry(d).or_default() += 1;
        }
        out.push(OfacEntry {
            address: addr.to_string(),
            asset: tick.to_ascii_uppercase(),
            sdn_uid: id.to_string(),
            name: get(Some(name_col)).to_string(),
            party_type: Some(get(party_col))
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            programs: split_list(get(programs_col), &[';', ',']),
            entry_date,
            aka: split_list(get(aka_col), &['|']),
            line,
        });
    }
    if issue_dates.len() > 1 {
        report.warn(
            file,
            0,
            Some("sdn_issue_date"),
            format!(
                "rows carry {} different issue dates; the latest is used",
                issue_dates.len()
            ),
        );
    }
    let date = date_from_name
        .or_else(|| issue_dates.keys().next_back().copied())
        .ok_or_else(|| LabelError::Format {
            file: file.to_string(),
            message: "cannot tell the snapshot date: no sdn_issue_date column and no \
                      YYYY-MM-DD in the file name; give the date explicitly"
                .into(),
        })?;
    report.imported = out.len() as u64;
    Ok((
        OfacSnapshot {
            date,
            file: file.to_string(),
            entries: out,
        },
        report,
    ))
}

pub(crate) fn csv_error(file: &str, e: &csv::Error) -> LabelError {
    LabelError::Data {
        file: file.to_string(),
        line: e.position().map_or(0, |p| p.line()),
        message: format!("malformed CSV: {e}"),
    }
}

/// Confidence of an OFAC label: the SDN list is the authority on sanctions.
pub const OFAC_CONFIDENCE: u8 = 100;

/// Derive the OFAC labels from all snapshots (any order): one label per listing interval of
/// each (address, asset, SDN uid). An entry present in a snapshot and absent from a later one
/// is delisted since that later snapshot's date (`valid_to`). `valid_from` is the date of the
/// address's designation date from `designations` when one lies between the last snapshot
/// without the entry (if any) and the first with it (details `designated`, `designated_by`);
/// otherwise the date of the first snapshot of the interval, with the start marked unknown
/// ([`UnknownStart`]). OFAC's own files date no address: the XML's `EntryEvent` dates the
/// party's SDN entry (Lazarus Group's 2019-09-13, though its Ronin address was added on
/// 2022-04-14; Tornado Cash's 2022-11-08 re-designation, though its addresses were first listed
/// on 2022-08-08), so it is kept as `entry_date` in the details and never taken for the
/// address's listing. Metadata (name, programmes) come from the latest snapshot of the
/// interval. Warnings name designation dates that contradict the snapshots (an address dated
/// after a snapshot that already lists it): those dates are not used.
pub fn derive_labels(snapshots: &[OfacSnapshot], designations: &[DesignationDate]) -> Derived {
    let mut dated: HashMap<String, Vec<&DesignationDate>> = HashMap::new();
    for d in designations {
        dated
            .entry(normalize_key(None, &d.address))
            .or_default()
            .push(d);
    }
    let mut order: Vec<&OfacSnapshot> = snapshots.iter().collect();
    order.sort_by_key(|s| s.date);
    // key -> per-snapshot presence
    let mut seen: BTreeMap<(String, String, String), Vec<Option<&OfacEntry>>> = BTreeMap::new();
    for (i, snapshot) in order.iter().enumerate() {
        for entry in &snapshot.entries {
            let key = (
                normalize_key(None, &entry.address),
                entry.asset.clone(),
                entry.sdn_uid.clone(),
            );
            let slots = seen.entry(key).or_insert_with(|| vec![None; order.len()]);
            slots[i] = Some(entry);
        }
    }
    let mut derived = Derived::default();
    for ((address_key, _, _), slots) in &seen {
        let dates = dated.get(address_key).map_or(&[][..], Vec::as_slice);
        let mut start: Option<usize> = None;
        let mut first_interval = true;
        for i in 0..=slots.len() {
            let present = slots.get(i).is_some_and(Option::is_some);
            match (start, present) {
                (None, true) => start = Some(i),
                (Some(first), false) => {
                    let last = i - 1;
                    let Some(entry) = slots[last] else { continue };
                    let snapshot = order[last];
                    let first_date = order[first].date;
                    let (mut label, warning) = LabelDraft {
                        source: Source::Ofac,
                        dataset: "ofac",
                        file: &snapshot.file,
                        line: entry.line,
                        address: &entry.address,
                        currency: &entry.asset,
                        name: entry.name.clone(),
                        categories: vec![Category::Sanctioned],
                        confidence: OFAC_CONFIDENCE,
                    }
                    .build();
                    if let Some(w) = warning {
                        derived
                            .address_warnings
                            .push(format!("{}: {}: {w}", snapshot.file, entry.address));
                    }
                    let absent_on = first.checked_sub(1).map(|before| order[before].date);
                    let designated = dates
                        .iter()
                        .filter(|d| d.date <= first_date && absent_on.is_none_or(|a| d.date > a))
                        .min_by_key(|d| d.date);
                    match designated {
                        Some(d) => {
                            label.valid_from = Some(d.date);
                            label
                                .details
                                .insert("designated".into(), d.date.to_string());
                            label.details.insert("designated_by".into(), d.source());
                        }
                        None => {
                            label.valid_from = Some(first_date);
                            label.unknown_start = Some(UnknownStart { absent_on });
                            if first_interval {
                                for late in dates.iter().filter(|d| d.date > first_date) {
                                    derived.date_warnings.push(format!(
                                        "{}: {} dated {}, but the SDN snapshot of {first_date} \
                                         already lists it: the date is not used",
                                        late.source(),
                                        late.address,
                                        late.date
                                    ));
                                }
                            }
                        }
                    }
                    first_interval = false;
                    label.valid_to = order.get(i).map(|s| s.date);
                    label.confidence_level = Some("authority_data".into());
                    let d = &mut label.details;
                    d.insert("sdn_uid".into(), entry.sdn_uid.clone());
                    d.insert("programs".into(), entry.programs.join(";"));
                    if let Some(t) = &entry.party_type {
                        d.insert("party_type".into(), t.clone());
                    }
                    if let Some(e) = entry.entry_date {
                        d.insert("entry_date".into(), e.to_string());
                    }
                    if !entry.aka.is_empty() {
                        d.insert("aka".into(), entry.aka.join("|"));
                    }
                    d.insert("first_snapshot".into(), first_date.to_string());
                    d.insert("last_snapshot".into(), snapshot.date.to_string());
                    derived.labels.push(label);
                    start = None;
                }
                _ => {}
            }
        }
    }
    derived
}

/// The OFAC labels derived from the stored snapshots and designation dates.
#[derive(Debug, Default)]
pub struct Derived {
    /// The labels, one per listing interval of an address.
    pub labels: Vec<Label>,
    /// Addresses kept as raw strings (they do not parse for the chain their ticker implies).
    pub address_warnings: Vec<String>,
    /// Designation dates not used because a snapshot contradicts them.
    pub date_warnings: Vec<String>,
}
