//! One HTTP POST of a JSON-RPC body, and what its outcome means: an answer, a failure worth
//! retrying, or one that is not.

use std::time::Duration;

use serde_json::Value;

use crate::RpcError;

pub(crate) enum Outcome {
    Answer(Value),
    /// Worth another attempt: connection trouble, a timeout, an overloaded or restarting node.
    Transient(RpcError),
    Fatal(RpcError),
}

/// Where and how to post.
pub(crate) struct Endpoint<'a> {
    pub url: &'a str,
    pub authorization: Option<&'a str>,
    pub timeout: Duration,
}

impl Endpoint<'_> {
    /// The timeout as minreq takes it: whole seconds, rounded up, at least one.
    pub fn timeout_seconds(&self) -> u64 {
        self.timeout.as_secs_f64().ceil().max(1.0) as u64
    }

    /// POST `body`; `call` names it in errors.
    pub fn post(&self, call: &str, body: &[u8]) -> Outcome {
        let seconds = self.timeout_seconds();
        let mut request = minreq::post(self.url)
            .with_header("Content-Type", "application/json")
            .with_body(body.to_vec())
            .with_timeout(seconds);
        if let Some(authorization) = self.authorization {
            request = request.with_header("Authorization", authorization);
        }
        let (url, call) = (self.url.to_string(), call.to_string());
        let response = match request.send() {
            Ok(response) => response,
            Err(minreq::Error::IoError(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                return Outcome::Transient(RpcError::Timeout {
                    url,
                    call,
                    seconds,
                    attempts: 1,
                });
            }
            Err(e) => {
                return Outcome::Transient(RpcError::Unreachable {
                    url,
                    call,
                    attempts: 1,
                    detail: e.to_string(),
                });
            }
        };
        classify(url, call, response.status_code, response.as_bytes())
    }
}

/// What an HTTP answer means. Nodes send JSON-RPC errors with many statuses (Bitcoin Core: 404
/// and 500 with a JSON body), so a JSON body is read whatever the status, except where the status
/// itself says "not now" (429, 502–504) or "not you" (401, 403).
fn classify(url: String, call: String, status: i32, bytes: &[u8]) -> Outcome {
    if status == 401 || status == 403 {
        return Outcome::Fatal(RpcError::Auth { url, call, status });
    }
    let text = String::from_utf8_lossy(bytes);
    let busy = |detail: String| {
        Outcome::Transient(RpcError::Busy {
            url: url.clone(),
            call: call.clone(),
            status,
            attempts: 1,
            detail,
        })
    };
    if matches!(status, 429 | 502 | 503 | 504) {
        return busy(snippet(&text));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) if value.is_object() || value.is_array() => Outcome::Answer(value),
        _ if status >= 500 => busy(snippet(&text)),
        Ok(_) => Outcome::Fatal(RpcError::Malformed {
            url,
            call,
            detail: format!(
                "expected a JSON-RPC object or batch, got {}",
                snippet(&text)
            ),
        }),
        Err(e) if looks_like_json(&text) => Outcome::Fatal(RpcError::Malformed {
            url,
            call,
            detail: format!("{e}: {}", snippet(&text)),
        }),
        Err(_) => Outcome::Fatal(RpcError::NotANode {
            url,
            call,
            detail: format!("HTTP {status} with a non-JSON body: {}", snippet(&text)),
        }),
    }
}

fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['))
}

/// The start of a body, for messages.
pub(crate) fn snippet(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None if text.is_empty() => "(empty body)".to_string(),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(status: i32, body: &str) -> Outcome {
        classify("u".into(), "c".into(), status, body.as_bytes())
    }

    #[test]
    fn statuses_and_bodies_are_told_apart() {
        assert!(matches!(
            outcome(401, "{}"),
            Outcome::Fatal(RpcError::Auth { status: 401, .. })
        ));
        assert!(matches!(
            outcome(503, "Work queue depth exceeded"),
            Outcome::Transient(RpcError::Busy { status: 503, .. })
        ));
        assert!(matches!(
            outcome(429, r#"{"error":"slow down"}"#),
            Outcome::Transient(RpcError::Busy { status: 429, .. })
        ));
        // Core answers unknown methods with HTTP 404 and a JSON-RPC error body.
        assert!(matches!(
            outcome(
                404,
                r#"{"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1}"#
            ),
            Outcome::Answer(_)
        ));
        assert!(matches!(outcome(500, ""), Outcome::Transient(_)));
        assert!(matches!(
            outcome(200, "<html>It works!</html>"),
            Outcome::Fatal(RpcError::NotANode { .. })
        ));
        assert!(matches!(
            outcome(200, r#"{"result": [1, 2"#),
            Outcome::Fatal(RpcError::Malformed { .. })
        ));
        assert!(matches!(
            outcome(200, "42"),
            Outcome::Fatal(RpcError::Malformed { .. })
        ));
    }

    #[test]
    fn snippets_are_cut() {
        assert_eq!(snippet("  "), "(empty body)");
        let long = snippet(&"é".repeat(300));
        assert_eq!(long.chars().count(), 121);
    }
}
