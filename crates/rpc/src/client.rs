//! The client: one endpoint, its credentials and retry settings; single calls and batches.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::call::describe_batch;
use crate::exchange::{Endpoint, Outcome, snippet};
use crate::{Call, RpcAuth, RpcError};

/// Node error codes that mean "not now" and are retried like a transport failure: Bitcoin
/// Core's −28 (`RPC_IN_WARMUP`, the node is still loading).
pub const TRANSIENT_CODES: &[i64] = &[-28];

/// Calls per HTTP request unless [`RpcClient::with_max_batch`] says otherwise: below geth's
/// default `BatchRequestLimit` (1,000) and the limits of the common hosted nodes.
pub const DEFAULT_MAX_BATCH: usize = 500;

/// The longest wait between two attempts, however many retries are allowed.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Timeouts and retries.
#[derive(Debug, Clone, Copy)]
pub struct RpcOptions {
    /// Per HTTP request; rounded up to whole seconds.
    pub timeout: Duration,
    /// Further attempts after a transient failure: connection refused or reset, timeout, HTTP
    /// 429/502/503/504 or a 5xx without a JSON body, a node error in [`TRANSIENT_CODES`].
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one (at most 30 s).
    pub backoff: Duration,
}

impl Default for RpcOptions {
    fn default() -> Self {
        RpcOptions {
            timeout: Duration::from_secs(120),
            retries: 5,
            backoff: Duration::from_millis(500),
        }
    }
}

/// A JSON-RPC endpoint. Shareable between threads: calls from several threads run at once.
pub struct RpcClient {
    url: String,
    authorization: Option<String>,
    options: RpcOptions,
    max_batch: usize,
    next_id: AtomicU64,
}

impl RpcClient {
    /// A client for `url`: `http://host:port[/path]`, `https://…` (with the `https` feature) or
    /// `host:port`. Credentials in the URL (`http://user:password@host:port`) replace `auth`.
    pub fn new(url: &str, auth: RpcAuth, options: RpcOptions) -> Result<RpcClient, RpcError> {
        let (url, in_url) = split_url(url)?;
        let auth = in_url.unwrap_or(auth);
        Ok(RpcClient {
            url,
            authorization: auth.header()?,
            options,
            max_batch: DEFAULT_MAX_BATCH,
            next_id: AtomicU64::new(1),
        })
    }

    /// At most `calls` calls per HTTP request; longer batches are split (at least 1).
    pub fn with_max_batch(mut self, calls: usize) -> RpcClient {
        self.max_batch = calls.max(1);
        self
    }

    /// The node's URL, without credentials.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// One call. A JSON-RPC error answer is [`RpcError::Node`].
    pub fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let call = Call::new(method, params);
        let description = call.describe();
        let body = self.request(&call, self.next_id.fetch_add(1, Ordering::Relaxed));
        let answer = self.exchange(&description, &body)?;
        if !answer.is_object() {
            return Err(self.malformed(
                &description,
                format!(
                    "expected one JSON-RPC response object, got {}",
                    snippet(&answer.to_string())
                ),
            ));
        }
        self.result_of(&description, answer)
    }

    /// Calls as JSON-RPC batches of at most [`RpcClient::with_max_batch`] calls each. Each call
    /// gets its own result or [`RpcError::Node`], in the order of `calls`; a transport failure,
    /// or an answer that is not a JSON-RPC batch, fails the whole.
    pub fn batch(&self, calls: &[Call]) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
        let mut results = Vec::with_capacity(calls.len());
        for chunk in calls.chunks(self.max_batch) {
            results.extend(self.one_batch(chunk)?);
        }
        Ok(results)
    }

    fn one_batch(&self, calls: &[Call]) -> Result<Vec<Result<Value, RpcError>>, RpcError> {
        let first_id = self
            .next_id
            .fetch_add(calls.len() as u64, Ordering::Relaxed);
        let body: Vec<Value> = calls
            .iter()
            .zip(first_id..)
            .map(|(call, id)| self.request(call, id))
            .collect();
        let summary = describe_batch(calls);
        let items = match self.exchange(&summary, &Value::Array(body))? {
            Value::Array(items) => items,
            // A node that takes no batches answers with one error object.
            answer => {
                return Err(match self.result_of(&summary, answer) {
                    Err(RpcError::Node {
                        url,
                        call,
                        code,
                        message,
                    }) => RpcError::Node {
                        url,
                        call,
                        code,
                        message: format!("{message} (the node rejected the whole batch)"),
                    },
                    Err(other) => other,
                    Ok(_) => self.malformed(
                        &summary,
                        "a batch was answered with a single result".to_string(),
                    ),
                });
            }
        };
        let mut answers: Vec<Option<Value>> = vec![None; calls.len()];
        for item in items {
            let slot = item
                .get("id")
                .and_then(Value::as_u64)
                .and_then(|id| id.checked_sub(first_id))
                .and_then(|i| answers.get_mut(usize::try_from(i).ok()?));
            match slot {
                Some(slot) => *slot = Some(item),
                None => {
                    return Err(self.malformed(
                        &summary,
                        format!(
                            "an answer with no id of this batch: {}",
                            snippet(&item.to_string())
                        ),
                    ));
                }
            }
        }
        Ok(answers
            .into_iter()
            .zip(calls)
            .map(|(answer, call)| {
                let description = call.describe();
                match answer {
                    Some(answer) => self.result_of(&description, answer),
                    None => Err(self.malformed(
                        &description,
                        "the node left this call of the batch unanswered".to_string(),
                    )),
                }
            })
            .collect())
    }

    fn request(&self, call: &Call, id: u64) -> Value {
        json!({"jsonrpc": "2.0", "id": id, "method": call.method, "params": call.params})
    }

    /// POST with retries on transient failures; `call` names the request in errors.
    fn exchange(&self, call: &str, body: &Value) -> Result<Value, RpcError> {
        let endpoint = Endpoint {
            url: &self.url,
            authorization: self.authorization.as_deref(),
            timeout: self.options.timeout,
        };
        let body = body.to_string().into_bytes();
        let mut wait = self.options.backoff;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt > self.options.retries;
            let error = match endpoint.post(call, &body) {
                Outcome::Answer(answer) => match transient_code(&answer) {
                    Some((code, message)) if !last => RpcError::Node {
                        url: self.url.clone(),
                        call: call.to_string(),
                        code,
                        message,
                    },
                    _ => return Ok(answer),
                },
                Outcome::Fatal(error) => return Err(error),
                Outcome::Transient(error) if last => return Err(with_attempts(error, attempt)),
                Outcome::Transient(error) => with_attempts(error, attempt),
            };
            tracing::warn!(%error, attempt, ?wait, "retrying after a transient failure");
            std::thread::sleep(wait);
            wait = wait.saturating_mul(2).min(MAX_BACKOFF);
        }
    }

    /// The result of one JSON-RPC response object.
    fn result_of(&self, call: &str, answer: Value) -> Result<Value, RpcError> {
        let Value::Object(mut object) = answer else {
            return Err(self.malformed(
                call,
                format!(
                    "expected a JSON-RPC response object, got {}",
                    snippet(&answer.to_string())
                ),
            ));
        };
        if let Some((code, message)) = node_error(&object) {
            return Err(RpcError::Node {
                url: self.url.clone(),
                call: call.to_string(),
                code,
                message,
            });
        }
        object.remove("result").ok_or_else(|| {
            self.malformed(
                call,
                "the response has neither `result` nor `error`".to_string(),
            )
        })
    }

    fn malformed(&self, call: &str, detail: String) -> RpcError {
        RpcError::Malformed {
            url: self.url.clone(),
            call: call.to_string(),
            detail,
        }
    }
}

/// `(code, message)` of a response's non-null `error`.
fn node_error(object: &Map<String, Value>) -> Option<(i64, String)> {
    let error = object.get("error").filter(|e| !e.is_null())?;
    let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
    let message = match error.get("message").and_then(Value::as_str) {
        Some(message) => message.to_string(),
        None => snippet(&error.to_string()),
    };
    Some((code, message))
}

/// The error of an answer (one response, or a batch all of whose responses are errors) whose
/// codes are all in [`TRANSIENT_CODES`].
fn transient_code(answer: &Value) -> Option<(i64, String)> {
    let transient = |item: &Value| {
        node_error(item.as_object()?).filter(|(code, _)| TRANSIENT_CODES.contains(code))
    };
    match answer {
        Value::Array(items) => {
            let mut errors = items.iter().map(transient);
            let first = errors.next()??;
            errors.all(|e| e.is_some()).then_some(first)
        }
        single => transient(single),
    }
}

fn with_attempts(error: RpcError, attempts: u32) -> RpcError {
    match error {
        RpcError::Timeout {
            url, call, seconds, ..
        } => RpcError::Timeout {
            url,
            call,
            seconds,
            attempts,
        },
        RpcError::Unreachable {
            url, call, detail, ..
        } => RpcError::Unreachable {
            url,
            call,
            attempts,
            detail,
        },
        RpcError::Busy {
            url,
            call,
            status,
            detail,
            ..
        } => RpcError::Busy {
            url,
            call,
            status,
            attempts,
            detail,
        },
        other => other,
    }
}

/// The URL without credentials, and the credentials it held.
fn split_url(text: &str) -> Result<(String, Option<RpcAuth>), RpcError> {
    let text = text.trim();
    let bad = |detail: &str| RpcError::Url {
        url: redact(text),
        detail: detail.to_string(),
    };
    let (scheme, rest) = match text.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_string(), text),
    };
    match scheme.as_str() {
        "http" => {}
        "https" if cfg!(feature = "https") => {}
        "https" => {
            return Err(bad(
                "this build speaks plain http only: rebuild chaintrail with the `https` feature, \
                 or tunnel the node to http://127.0.0.1 (e.g. over SSH)",
            ));
        }
        _ => {
            return Err(bad(
                "not a JSON-RPC URL: expected http://host:port (e.g. http://127.0.0.1:8545)",
            ));
        }
    }
    let (authority, path) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(bad("no host: expected http://host:port"));
    }
    let auth = userinfo.map(|userinfo| {
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        RpcAuth::UserPass {
            user: user.to_string(),
            password: password.to_string(),
        }
    });
    Ok((format!("{scheme}://{host}{path}"), auth))
}

/// A URL as messages show it: without the password.
fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    match authority.rfind('@') {
        Some(at) => format!("{scheme}…@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials_and_get_a_scheme() {
        let (url, auth) = split_url(" 127.0.0.1:8332 ").expect("url");
        assert_eq!((url.as_str(), auth), ("http://127.0.0.1:8332", None));
        let (url, auth) = split_url("http://alice:s3cret@node:8545/rpc").expect("url");
        assert_eq!(url, "http://node:8545/rpc");
        assert_eq!(
            auth,
            Some(RpcAuth::UserPass {
                user: "alice".to_string(),
                password: "s3cret".to_string()
            })
        );
        let err = split_url("ftp://alice:s3cret@example.invalid").expect_err("ftp");
        assert!(err.to_string().contains("not a JSON-RPC URL"), "{err}");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(split_url("http://").is_err());
        if !cfg!(feature = "https") {
            let err = split_url("https://node").expect_err("https");
            assert!(err.to_string().contains("`https` feature"), "{err}");
        }
    }

    #[test]
    fn warm_up_answers_are_transient_only_when_every_call_got_one() {
        let warming = json!({"result": null, "error": {"code": -28, "message": "Loading block index..."}, "id": 1});
        assert_eq!(
            transient_code(&warming),
            Some((-28, "Loading block index...".to_string()))
        );
        let other = json!({"result": null, "error": {"code": -5, "message": "no"}, "id": 2});
        let ok = json!({"result": 1, "error": null, "id": 3});
        assert!(transient_code(&json!([warming, warming])).is_some());
        assert!(transient_code(&json!([warming, other])).is_none());
        assert!(transient_code(&json!([warming, ok])).is_none());
        assert!(transient_code(&json!([])).is_none());
        assert!(transient_code(&ok).is_none());
    }
}
