//! What can go wrong talking to a node. Every variant that concerns a call names the node's URL
//! (without credentials) and the call (`method params (label)`, or the batch).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    #[error(
        "{url} refused the credentials for `{call}` (HTTP {status}): check the user and password \
         (--rpc-user/--rpc-password), the node's .cookie file (--rpc-cookie) or the token \
         (--rpc-bearer)"
    )]
    Auth {
        url: String,
        call: String,
        status: i32,
    },
    #[error(
        "`{call}` to {url}: the answer is not JSON-RPC ({detail}); is this URL the node's \
         JSON-RPC endpoint?"
    )]
    NotANode {
        url: String,
        call: String,
        detail: String,
    },
    #[error(
        "`{call}` to {url} timed out ({seconds} s per attempt) after {}",
        attempts_text(*attempts)
    )]
    Timeout {
        url: String,
        call: String,
        seconds: u64,
        attempts: u32,
    },
    #[error("cannot reach the node at {url} for `{call}` after {}: {detail}", attempts_text(*attempts))]
    Unreachable {
        url: String,
        call: String,
        attempts: u32,
        detail: String,
    },
    /// HTTP 429 or a server error, still there after the retries.
    #[error(
        "{url} is overloaded or rate-limiting: `{call}` got HTTP {status} ({detail}) after {}; \
         retry later, or ask for less at once",
        attempts_text(*attempts)
    )]
    Busy {
        url: String,
        call: String,
        status: i32,
        attempts: u32,
        detail: String,
    },
    #[error("malformed JSON-RPC answer to `{call}` from {url}: {detail}")]
    Malformed {
        url: String,
        call: String,
        detail: String,
    },
    /// The node answered the call with a JSON-RPC error object.
    #[error("{call}: error {code} from {url}: {message}")]
    Node {
        url: String,
        call: String,
        code: i64,
        message: String,
    },
    #[error("cannot use the cookie file {}: {detail}", path.display())]
    Cookie { path: PathBuf, detail: String },
    #[error("the bearer token is empty or contains whitespace: give the token alone")]
    Token,
    #[error("bad node URL `{url}`: {detail}")]
    Url { url: String, detail: String },
}

fn attempts_text(attempts: u32) -> String {
    match attempts {
        1 => "1 attempt".to_string(),
        n => format!("{n} attempts"),
    }
}
