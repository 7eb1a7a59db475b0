//! Cases: saved traces with notes and annotations, one JSON file each under
//! `<data dir>/cases/`, written atomically. A case holds what to trace (seeds, policy, limits)
//! and, when saved from a trace, that trace as it was, so a report or a freeze pack comes from
//! the case and the case can be exported as it is.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use chaintrail_trace::{Policy, Seed, TraceRequest};
use serde::{Deserialize, Serialize};

use crate::{ReportError, write_atomic};

/// A note on one address or transaction of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotation {
    /// The address or transaction annotated.
    pub target: String,
    /// The note.
    pub note: String,
}

impl FromStr for Annotation {
    type Err = ReportError;

    /// `TARGET=NOTE`, as `--annotate` takes it.
    fn from_str(text: &str) -> Result<Annotation, ReportError> {
        match text.split_once('=') {
            Some((target, note)) if !target.trim().is_empty() => Ok(Annotation {
                target: target.trim().to_string(),
                note: note.to_string(),
            }),
            _ => Err(ReportError::Invalid(format!(
                "annotation `{text}`: expected TARGET=NOTE (an address or transaction, `=`, the \
                 note)"
            ))),
        }
    }
}

/// What a new case holds (the API's and the CLI's input).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    /// A name for people.
    pub name: String,
    /// Seeds, `<chain>:<tx | address | txid:vout>`.
    pub seeds: Vec<String>,
    /// The policy.
    #[serde(default = "default_policy")]
    pub policy: Policy,
    /// Hops followed.
    #[serde(default = "default_hops")]
    pub max_hops: u32,
    /// Dust threshold in whole units.
    #[serde(default = "default_min_value")]
    pub min_value: String,
    /// Free text.
    #[serde(default)]
    pub notes: String,
    /// Notes on addresses and transactions.
    #[serde(default)]
    pub annotations: Vec<Annotation>,
    /// The trace as the investigator saw it (a trace report's JSON), kept as it was.
    #[serde(default)]
    pub trace: Option<serde_json::Value>,
}

fn default_policy() -> Policy {
    Policy::Haircut
}

fn default_hops() -> u32 {
    TraceRequest::default().max_hops
}

fn default_min_value() -> String {
    "0".to_string()
}

/// A saved case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Case {
    /// Its id (`<name slug>-<n>`), the file name under `cases/`.
    pub id: String,
    /// When it was created (RFC 3339, UTC).
    pub created_at: String,
    /// When it was last edited (RFC 3339, UTC); absent until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// What it holds.
    #[serde(flatten)]
    pub case: NewCase,
}

/// Changes to a saved case (`PATCH /v1/cases/{id}`, `chaintrail case edit`). Each field given
/// changes the case; what it traces (seeds, policy, limits) and the trace as saved stay, so its
/// reports and freeze packs still come from what was saved. Its id stays too, even when it is
/// renamed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseEdit {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// New notes, replacing the old.
    #[serde(default)]
    pub notes: Option<String>,
    /// The annotations, replacing all the old ones.
    #[serde(default)]
    pub annotations: Option<Vec<Annotation>>,
    /// Annotations to add, each replacing an earlier one on the same target.
    #[serde(default)]
    pub annotate: Vec<Annotation>,
    /// Targets whose annotation goes.
    #[serde(default)]
    pub unannotate: Vec<String>,
}

impl CaseEdit {
    fn apply(self, case: &mut NewCase) -> Result<(), ReportError> {
        if let Some(name) = self.name {
            if name.trim().is_empty() {
                return Err(ReportError::Invalid(
                    "a case needs a name: `name` cannot be empty".to_string(),
                ));
            }
            case.name = name;
        }
        if let Some(notes) = self.notes {
            case.notes = notes;
        }
        if let Some(annotations) = self.annotations {
            case.annotations = annotations;
        }
        for added in self.annotate {
            case.annotations.retain(|a| a.target != added.target);
            case.annotations.push(added);
        }
        for target in self.unannotate {
            let before = case.annotations.len();
            case.annotations.retain(|a| a.target != target);
            if case.annotations.len() == before {
                return Err(ReportError::Invalid(format!(
                    "the case has no annotation on `{target}` to remove"
                )));
            }
        }
        Ok(())
    }
}

/// Edits and deletes of this process read, change and replace a case file one at a time, so
/// two at once neither lose a change nor bring a deleted case back.
static CHANGES: Mutex<()> = Mutex::new(());

impl Case {
    /// The trace request the case describes.
    pub fn request(&self) -> Result<TraceRequest, ReportError> {
        let seeds = self
            .case
            .seeds
            .iter()
            .map(|s| s.parse::<Seed>())
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TraceRequest {
            seeds,
            policy: self.case.policy,
            max_hops: self.case.max_hops,
            min_value: self.case.min_value.clone(),
            ..TraceRequest::default()
        })
    }
}

/// The cases of a data dir.
pub struct CaseStore {
    dir: PathBuf,
}

fn slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug: String = slug
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(40).collect();
    if slug.is_empty() {
        "case".to_string()
    } else {
        slug
    }
}

fn no_case(id: &str) -> ReportError {
    ReportError::NoCase(format!(
        "no case `{id}`: `chaintrail case list` (GET /v1/cases) shows them"
    ))
}

/// Ids are slugs with a number: nothing that could leave the folder.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl CaseStore {
    /// The cases under `<data_dir>/cases` (created on the first save).
    pub fn open(data_dir: &Path) -> CaseStore {
        CaseStore {
            dir: data_dir.join("cases"),
        }
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// Save a new case; its seeds must parse.
    pub fn create(&self, case: NewCase) -> Result<Case, ReportError> {
        if case.name.trim().is_empty() {
            return Err(ReportError::Invalid(
                "a case needs a name (`name`)".to_string(),
            ));
        }
        if case.seeds.is_empty() {
            return Err(ReportError::Invalid(
                "a case needs at least one seed (`seeds`: [\"<chain>:<tx | address>\"])"
                    .to_string(),
            ));
        }
        for seed in &case.seeds {
            seed.parse::<Seed>()?;
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| ReportError::Io {
            action: "create",
            path: self.dir.clone(),
            source,
        })?;
        let base = slug(&case.name);
        // Claim the id by creating its file exclusively: two saves at once get two ids.
        for n in 1..=10_000u32 {
            let id = format!("{base}-{n}");
            let path = self.path(&id);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => {
                    let saved = Case {
                        id,
                        created_at: jiff::Timestamp::now().to_string(),
                        updated_at: None,
                        case,
                    };
                    self.save(&saved)?;
                    return Ok(saved);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => {
                    return Err(ReportError::Io {
                        action: "create",
                        path,
                        source,
                    });
                }
            }
        }
        Err(ReportError::Invalid(format!(
            "10,000 cases are already named `{base}`: choose another name"
        )))
    }

    /// Replace a saved case (notes, annotations), atomically.
    pub fn save(&self, case: &Case) -> Result<(), ReportError> {
        if !valid_id(&case.id) {
            return Err(ReportError::Invalid(format!(
                "`{}` is not a case id",
                case.id
            )));
        }
        let json = serde_json::to_vec_pretty(case)
            .map_err(|e| ReportError::Invalid(format!("cannot write case {}: {e}", case.id)))?;
        write_atomic(&self.path(&case.id), &json)
    }

    /// Apply `edit` to case `id` and save it atomically; answers the case as saved.
    pub fn edit(&self, id: &str, edit: CaseEdit) -> Result<Case, ReportError> {
        let _one_at_a_time = CHANGES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut case = self.get(id)?.ok_or_else(|| no_case(id))?;
        edit.apply(&mut case.case)?;
        case.updated_at = Some(jiff::Timestamp::now().to_string());
        self.save(&case)?;
        Ok(case)
    }

    /// Delete case `id`; answers it as it was.
    pub fn delete(&self, id: &str) -> Result<Case, ReportError> {
        let _one_at_a_time = CHANGES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let case = self.get(id)?.ok_or_else(|| no_case(id))?;
        let path = self.path(id);
        std::fs::remove_file(&path).map_err(|source| ReportError::Io {
            action: "delete",
            path,
            source,
        })?;
        Ok(case)
    }

    /// The case with this id; `None` when there is none.
    pub fn get(&self, id: &str) -> Result<Option<Case>, ReportError> {
        if !valid_id(id) {
            return Ok(None);
        }
        let path = self.path(id);
        let bytes = match std::fs::read(&path) {
            // An empty file is an id claimed by a save still under way.
            Ok(bytes) if bytes.is_empty() => return Ok(None),
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ReportError::Io {
                    action: "read",
                    path,
                    source,
                });
            }
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            ReportError::Invalid(format!(
                "case file {} is damaged ({e}): restore it or delete it",
                path.display()
            ))
        })
    }

    /// Every case, newest first.
    pub fn list(&self) -> Result<Vec<Case>, ReportError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(ReportError::Io {
                    action: "list",
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut cases = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(id) = name.strip_suffix(".json")
                && let Some(case) = self.get(id)?
            {
                cases.push(case);
            }
        }
        cases.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(cases)
    }
}
