//! How a client proves who it is to the node.

use std::path::PathBuf;

use base64::Engine;

use crate::RpcError;

/// Credentials for the node. `Debug` never shows a password or token.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum RpcAuth {
    /// No credentials.
    #[default]
    None,
    /// HTTP basic authentication (Bitcoin Core's `-rpcuser`/`-rpcpassword`, proxies).
    /// HTTP basic authentication (Bitcoin Core's `-rpcuser`/`-rpcpassword`, proxies).
    UserPass {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// Bitcoin Core's `.cookie` file (`__cookie__:<password>`), read when the client is created.
    CookieFile(PathBuf),
    /// `Authorization: Bearer <token>` (hosted nodes and authenticating proxies).
    Bearer(String),
}

impl std::fmt::Debug for RpcAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcAuth::None => write!(f, "None"),
            RpcAuth::UserPass { user, .. } => write!(f, "UserPass {{ user: {user:?}, .. }}"),
            RpcAuth::CookieFile(path) => write!(f, "CookieFile({path:?})"),
            RpcAuth::Bearer(_) => write!(f, "Bearer(..)"),
        }
    }
}

impl RpcAuth {
    /// The `Authorization` header value, reading the cookie file now.
    pub(crate) fn header(&self) -> Result<Option<String>, RpcError> {
        let basic = |credentials: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            )
        };
        match self {
            RpcAuth::None => Ok(None),
            RpcAuth::UserPass { user, password } => Ok(Some(basic(&format!("{user}:{password}")))),
            RpcAuth::CookieFile(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| RpcError::Cookie {
                    path: path.clone(),
                    detail: format!("{e} (is the node running, and is this its data directory?)"),
                })?;
                let text = text.trim();
                if !text.contains(':') {
                    return Err(RpcError::Cookie {
                        path: path.clone(),
                        detail: "expected `user:password` in the file".to_string(),
                    });
                }
                Ok(Some(basic(text)))
            }
            RpcAuth::Bearer(token) => {
                let token = token.trim();
                if token.is_empty() || token.chars().any(char::is_whitespace) {
                    return Err(RpcError::Token);
                }
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let auth = RpcAuth::UserPass {
            user: "alice".to_string(),
            password: "hunter2".to_string(),
        };
        assert_eq!(format!("{auth:?}"), "UserPass { user: \"alice\", .. }");
        assert_eq!(
            format!("{:?}", RpcAuth::Bearer("t0ken".into())),
            "Bearer(..)"
        );
    }

    #[test]
    fn headers_are_basic_or_bearer() {
        let auth = RpcAuth::UserPass {
            user: "alice".to_string(),
            password: "right".to_string(),
        };
        // base64("alice:right")
        assert_eq!(
            auth.header().expect("header").as_deref(),
            Some("Basic YWxpY2U6cmlnaHQ=")
        );
        assert_eq!(
            RpcAuth::Bearer(" abc.def ".into())
                .header()
                .expect("header")
                .as_deref(),
            Some("Bearer abc.def")
        );
        assert!(matches!(
            RpcAuth::Bearer("two words".into()).header(),
            Err(RpcError::Token)
        ));
        assert_eq!(RpcAuth::None.header().expect("none"), None);
    }

    #[test]
    fn a_cookie_file_is_read_and_checked() {
        let dir = tempfile::tempdir().expect("tmp");
        let cookie = dir.path().join(".cookie");
        std::fs::write(&cookie, "__cookie__:abc\n").expect("write");
        assert_eq!(
            RpcAuth::CookieFile(cookie.clone())
                .header()
                .expect("header")
                .as_deref(),
            Some("Basic X19jb29raWVfXzphYmM=")
        );
        std::fs::write(&cookie, "no colon").expect("write");
        let err = RpcAuth::CookieFile(cookie)
            .header()
            .expect_err("bad cookie");
        assert!(
            err.to_string().contains("expected `user:password`"),
            "{err}"
        );
    }
}
