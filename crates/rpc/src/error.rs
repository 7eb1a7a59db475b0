//! What can go wrong talking to a node. Every variant that concerns a call names the node's URL
//! (without credentials) and the call (`method params (label)`, or the batch).

use std::path::PathBuf;

/// Why a JSON-RPC call failed; every variant names the node and the call.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The node refused the credentials (HTTP 401 or 403).
    #[error(
        "{url} refused the credentials for `{call}` (HTTP {status}): check the user and password \
         (--rpc-user/--rpc-password), the node's .cookie file (--rpc-cookie) or the token \
         (--rpc-bearer)"
    )]
    Auth {
        /// The node's URL (never with credentials).
        url: String,
        /// The call, as named in messages (method and what it is about).
        call: String,
        /// The HTTP status.
        status: i32,
    },
    /// The answer is not JSON-RPC (the URL is not a node's endpoint).
    #[error(
        "`{call}` to {url}: the answer is not JSON-RPC ({detail}); is this URL the node's \
         JSON-RPC endpoint?"
    )]
    NotANode {
        /// The node's URL (never with credentials).
        url: String,
        /// The call, as named in messages (method and what it is about).
        call: String,
        /// What went wrong.
        detail: String,
    },
    /// No answer within the timeout, on every attempt.
    #[error(
        "`{call}` to {url} timed out ({seconds} s per attempt) after {}",
        attempts_text(*attempts)
    )]
    Timeout {
        /// The node's URL (never with credentials).
        url: String,
        /// The call, as named in messages (method and what it is about).
        call: String,
        /// The timeout of each attempt.
        seconds: u64,
        /// How many times the call was tried.
        attempts: u32,
    },
    /// The node cannot be reached (connection refused or reset), on every attempt.
    #[error("cannot reach the node at {url} for `{call}` after {}: {detail}", attempts_text(*attempts))]
    Unreachable {
        /// The node's URL (never with credentials).
        url: String,
        /// The call, as named in messages (method and what it is about).
        call: String,
        /// How many times the call was tried.
        attempts: u32,
        /// What went wrong.
        detail: String,
    },
    /// HTTP 429 or a server error, still there after the retries.
    #[error(
        "{url} is overloaded or rate-limiting: `{call}` got HTTP {status} ({detail}) after {}; \
         retry later, or ask for less at once",
        attempts_text(*attempts)
    )]
    Busy {
        /// The node's URL (never with credentials).
        url: String,
        /// The call, as named in messages (method and what it is about).
        call: String,
        /// The HTTP status.
        status: i32,
        /// How many times the call was tried.
        attempts: u32,
        /// What went wrong.
        detail: String,
    },
    /// A JSON-RPC answer that does not fit the call (wrong id, missing result).
    #[error("malformed JSON-RPC answer to `{call}` from {url}: {detail}")]
    Malformed {
        /// The node's URL (never with credentials).
        url: String,
        /// The call, as named in messages (method and what it is about).
        call: String,
        /// What went wrong.
        detail: String,
    },
    /// The node answered the call with a JSON-RPC error object.
    #[error("{call}: error {code} from {url}: {message}")]
    Node {
        /// The node's URL (never with credentials).
        url: String,
        /// The call, as named in messages (method and what it is about).
        call: String,
        /// The JSON-RPC error code.
        code: i64,
        /// The node's error message.
        message: String,
    },
    /// The cookie file cannot be read or holds no `user:password`.
    #[error("cannot use the cookie file {}: {detail}", path.display())]
    Cookie {
        /// The cookie file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// An empty bearer token, or one with whitespace.
    #[error("the bearer token is empty or contains whitespace: give the token alone")]
    Token,
    /// A node URL that does not parse or has an unsupported scheme.
    #[error("bad node URL `{url}`: {detail}")]
    Url {
        /// The node's URL (never with credentials).
        url: String,
        /// What went wrong.
        detail: String,
    },
}

fn attempts_text(attempts: u32) -> String {
    match attempts {
        1 => "1 attempt".to_string(),
        n => format!("{n} attempts"),
    }
}
