//! Where alerts go: a webhook (JSON POST signed with HMAC-SHA256) or JSON lines (stdout or a
//! file). One attempt per call; retries, backoff and dead letters are the outbox's.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::AlertError;

/// The header carrying the body's signature: `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "X-Chaintrail-Signature";

/// How long one webhook attempt may take.
const WEBHOOK_TIMEOUT_SECONDS: u64 = 10;

/// A place alerts are delivered to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkConfig {
    /// POST each alert as JSON to `url` (http://), signed with `secret`.
    Webhook {
        /// The receiver.
        url: String,
        /// The shared HMAC key.
        secret: String,
    },
    /// One JSON line per alert on standard output.
    Stdout,
    /// One JSON line per alert appended to a file.
    JsonlFile(PathBuf),
}

impl SinkConfig {
    /// A webhook sink; the URL must be http:// (https needs a TLS build of the client) and the
    /// secret must not be empty.
    pub fn webhook(url: &str, secret: &str) -> Result<SinkConfig, AlertError> {
        if !url.starts_with("http://") {
            return Err(AlertError::BadSink(format!(
                "webhook `{url}`: give an http:// URL (put a TLS-terminating proxy in front of an \
                 https receiver)"
            )));
        }
        if secret.is_empty() {
            return Err(AlertError::BadSink(
                "a webhook needs a secret to sign its alerts with (--webhook-secret)".to_string(),
            ));
        }
        Ok(SinkConfig::Webhook {
            url: url.to_string(),
            secret: secret.to_string(),
        })
    }

    /// The name delivery state is kept under: stable across restarts with the same
    /// configuration (the secret is not part of it).
    pub fn name(&self) -> String {
        match self {
            SinkConfig::Webhook { url, .. } => format!("webhook:{url}"),
            SinkConfig::Stdout => "stdout".to_string(),
            SinkConfig::JsonlFile(path) => format!("jsonl:{}", path.display()),
        }
    }

    /// Deliver `body` (one alert's JSON) once; `Err` says why it was not acknowledged.
    pub(crate) fn attempt(&self, body: &[u8]) -> Result<(), String> {
        match self {
            SinkConfig::Webhook { url, secret } => post(url, secret, body),
            SinkConfig::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(body)
                    .and_then(|()| out.write_all(b"\n"))
                    .and_then(|()| out.flush())
                    .map_err(|e| format!("stdout: {e}"))
            }
            SinkConfig::JsonlFile(path) => append_line(path, body),
        }
    }
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`: the [`SIGNATURE_HEADER`] value.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn post(url: &str, secret: &str, body: &[u8]) -> Result<(), String> {
    let response = minreq::post(url)
        .with_header("Content-Type", "application/json")
        .with_header(SIGNATURE_HEADER, sign(secret.as_bytes(), body))
        .with_body(body.to_vec())
        .with_timeout(WEBHOOK_TIMEOUT_SECONDS)
        .send()
        .map_err(|e| format!("POST {url}: {e}"))?;
    match response.status_code {
        200..=299 => Ok(()),
        code => Err(format!(
            "POST {url}: HTTP {code} {}",
            response.reason_phrase
        )),
    }
}

/// Append one line and fsync, so an acknowledged line survives a crash.
pub(crate) fn append_line(path: &PathBuf, body: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut line = body.to_vec();
    line.push(b'\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| {
            // One write of the whole line: appends of concurrent writers do not interleave.
            file.write_all(&line)?;
            file.sync_data()
        })
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Retries of one delivery: `max_attempts` in all, waiting `first_backoff`, then twice as long
/// after each failure, at most `max_backoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before the alert goes to the dead-letter file.
    pub max_attempts: u32,
    /// The wait after the first failure.
    pub first_backoff: Duration,
    /// The longest wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt `attempt` (1 = the first).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        self.first_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        let waits: Vec<u128> = (1..=5).map(|a| policy.backoff(a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
    }

    #[test]
    fn webhooks_need_http_and_a_secret() {
        assert!(SinkConfig::webhook("https://x.example/hook", "s").is_err());
        assert!(SinkConfig::webhook("http://127.0.0.1:9/hook", "").is_err());
        let sink = SinkConfig::webhook("http://127.0.0.1:9/hook", "s").unwrap();
        assert_eq!(sink.name(), "webhook:http://127.0.0.1:9/hook");
    }
}
