//! The outbox: every event raised so far (so none is raised twice), the live alerts (so a
//! rollback can retract them), and the queue of deliveries each sink has not acknowledged yet.
//! It is `<data dir>/alerts/outbox.json`, replaced atomically when an event is queued and after
//! every acknowledgement or failed attempt. After a crash the queue holds exactly what was not
//! acknowledged; what was is never sent again. (The one window left is between a receiver's
//! acknowledgement and the write that records it: an alert in flight then is sent again after
//! the restart, with the same id — receivers deduplicate by id; docs/alerts.md.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chaintrail_core::Chain;
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, AlertKind, EventKey, alert_id};
use crate::persist::write_json;
use crate::sink::{RetryPolicy, SinkConfig, append_line};
use crate::watchlist::ALERTS_DIR;
use crate::{AlertError, DeliveryReport};

/// The outbox file inside `alerts/`.
pub const OUTBOX_FILE: &str = "outbox.json";
/// Alerts a sink did not acknowledge after every retry, one JSON object per line
/// (`{"sink":…,"attempts":…,"error":…,"alert":{…}}`), inside `alerts/`.
pub const DEAD_LETTER_FILE: &str = "dead-letter.jsonl";

const OUTBOX_VERSION: u32 = 1;

/// What is known of one event.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct EventRecord {
    key: EventKey,
    /// The revision the next raise gets (0 before the first).
    next_revision: u32,
    /// The raised alert while it stands (not retracted).
    live: Option<Alert>,
}

/// One alert waiting for sinks to acknowledge it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Queued {
    alert: Alert,
    /// Sink name → failed attempts so far.
    pending: BTreeMap<String, u32>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct OutboxFile {
    version: u32,
    events: Vec<EventRecord>,
    queue: Vec<Queued>,
}

/// The persisted delivery state of a data directory.
pub(crate) struct Outbox {
    path: PathBuf,
    dead_letter: PathBuf,
    events: BTreeMap<EventKey, EventRecord>,
    queue: Vec<Queued>,
}

impl Outbox {
    pub(crate) fn open(data_dir: &Path) -> Result<Outbox, AlertError> {
        let dir = data_dir.join(ALERTS_DIR);
        let path = dir.join(OUTBOX_FILE);
        let file = match std::fs::read(&path) {
            Ok(bytes) => {
                let file: OutboxFile =
                    serde_json::from_slice(&bytes).map_err(|e| AlertError::Corrupt {
                        path: path.clone(),
                        reason: format!(
                            "{e}; the file is written atomically, so this is outside damage: \
                             restore it from a backup (removing it re-raises and re-delivers \
                             every alert of blocks evaluated again)"
                        ),
                    })?;
                if file.version != OUTBOX_VERSION {
                    return Err(AlertError::Corrupt {
                        path,
                        reason: format!(
                            "version {} (this chaintrail reads version {OUTBOX_VERSION})",
                            file.version
                        ),
                    });
                }
                file
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => OutboxFile::default(),
            Err(source) => return Err(AlertError::Io { path, source }),
        };
        Ok(Outbox {
            path,
            dead_letter: dir.join(DEAD_LETTER_FILE),
            events: file
                .events
                .into_iter()
                .map(|record| (record.key.clone(), record))
                .collect(),
            queue: file.queue,
        })
    }

    pub(crate) fn save(&self) -> Result<(), AlertError> {
        write_json(
            &self.path,
            &OutboxFile {
                version: OUTBOX_VERSION,
                events: self.events.values().cloned().collect(),
                queue: self.queue.clone(),
            },
        )
    }

    /// Queue `alert` for `sinks` unless its event stands raised already; it gets its id and
    /// revision here. Returns the queued alert. Not saved: the caller saves once per batch.
    pub(crate) fn raise(&mut self, mut alert: Alert, sinks: &[SinkConfig]) -> Option<Alert> {
        let key = alert.key();
        let record = self.events.entry(key.clone()).or_insert(EventRecord {
            key: key.clone(),
            next_revision: 0,
            live: None,
        });
        if record.live.is_some() {
            return None;
        }
        alert.kind = AlertKind::Raised;
        alert.retracts = None;
        alert.revision = record.next_revision;
        alert.id = alert_id(&key, alert.revision);
        record.next_revision = record.next_revision.saturating_add(1);
        record.live = Some(alert.clone());
        self.enqueue(alert.clone(), sinks);
        Some(alert)
    }

    /// Retract every live alert of `chain` raised from a block above `fork_point`; returns the
    /// retractions queued. Not saved.
    pub(crate) fn retract_above(
        &mut self,
        chain: Chain,
        fork_point: u64,
        sinks: &[SinkConfig],
    ) -> Vec<Alert> {
        let mut retractions = Vec::new();
        for record in self.events.values_mut() {
            let orphaned = record
                .live
                .as_ref()
                .is_some_and(|a| a.chain == chain && a.block.number > fork_point);
            if orphaned && let Some(alert) = record.live.take() {
                retractions.push(alert.retraction());
            }
        }
        // Retract in the order the alerts were raised from the chain.
        retractions.sort_by(|a, b| {
            (a.block.number, &a.tx, a.position, &a.id).cmp(&(
                b.block.number,
                &b.tx,
                b.position,
                &b.id,
            ))
        });
        for retraction in &retractions {
            self.enqueue(retraction.clone(), sinks);
        }
        retractions
    }

    fn enqueue(&mut self, alert: Alert, sinks: &[SinkConfig]) {
        if sinks.is_empty() {
            return;
        }
        self.queue.push(Queued {
            alert,
            pending: sinks.iter().map(|s| (s.name(), 0)).collect(),
        });
    }

    /// Alerts not acknowledged by every sink yet.
    pub(crate) fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Deliver the queue in order to `sinks`, retrying each delivery per `retry`, saving after
    /// every acknowledgement and failure; what fails `retry.max_attempts` times goes to the
    /// dead-letter file.
    pub(crate) fn deliver(
        &mut self,
        sinks: &[SinkConfig],
        retry: &RetryPolicy,
    ) -> Result<DeliveryReport, AlertError> {
        let mut report = DeliveryReport::default();
        let by_name: BTreeMap<String, &SinkConfig> = sinks.iter().map(|s| (s.name(), s)).collect();
        let mut index = 0;
        while index < self.queue.len() {
            let body =
                serde_json::to_vec(&self.queue[index].alert).map_err(|e| AlertError::Corrupt {
                    path: self.path.clone(),
                    reason: format!("cannot encode alert: {e}"),
                })?;
            let names: Vec<String> = self.queue[index].pending.keys().cloned().collect();
            for name in names {
                let Some(sink) = by_name.get(&name) else {
                    tracing::warn!(
                        sink = %name,
                        alert = %self.queue[index].alert.id,
                        "a sink that is no longer configured: its delivery is dropped"
                    );
                    self.queue[index].pending.remove(&name);
                    continue;
                };
                self.deliver_one(index, &name, sink, &body, retry, &mut report)?;
            }
            if self.queue[index].pending.is_empty() {
                self.queue.remove(index);
                self.save()?;
            } else {
                index += 1;
            }
        }
        Ok(report)
    }

    fn deliver_one(
        &mut self,
        index: usize,
        name: &str,
        sink: &SinkConfig,
        body: &[u8],
        retry: &RetryPolicy,
        report: &mut DeliveryReport,
    ) -> Result<(), AlertError> {
        loop {
            match sink.attempt(body) {
                Ok(()) => {
                    self.queue[index].pending.remove(name);
                    report.delivered += 1;
                    return self.save();
                }
                Err(error) => {
                    let attempts = self.queue[index]
                        .pending
                        .get(name)
                        .map_or(1, |a| a.saturating_add(1));
                    report.failed_attempts += 1;
                    tracing::warn!(sink = name, attempts, %error, "alert delivery failed");
                    if attempts >= retry.max_attempts {
                        self.dead_letter(name, attempts, &error, &self.queue[index].alert)?;
                        self.queue[index].pending.remove(name);
                        report.dead_lettered += 1;
                        return self.save();
                    }
                    self.queue[index].pending.insert(name.to_string(), attempts);
                    self.save()?;
                    std::thread::sleep(retry.backoff(attempts));
                }
            }
        }
    }

    fn dead_letter(
        &self,
        sink: &str,
        attempts: u32,
        error: &str,
        alert: &Alert,
    ) -> Result<(), AlertError> {
        let line = serde_json::json!({
            "sink": sink,
            "attempts": attempts,
            "error": error,
            "alert": alert,
        });
        let bytes = serde_json::to_vec(&line).map_err(|e| AlertError::Corrupt {
            path: self.dead_letter.clone(),
            reason: format!("cannot encode: {e}"),
        })?;
        append_line(&self.dead_letter, &bytes).map_err(|reason| AlertError::Corrupt {
            path: self.dead_letter.clone(),
            reason,
        })
    }
}
