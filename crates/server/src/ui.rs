//! The investigation web UI: static files compiled into the binary and served under `/ui/`.
//!
//! The files hold no data, so they are served without a key; every request they make for data
//! goes to the guarded API with the key the user typed (kept in the tab's sessionStorage). The
//! Content-Security-Policy lets the pages load and call nothing but this server.

use axum::Router;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::ApiError;

/// The URL prefix of the UI; paths under it are answered without a key.
pub const PREFIX: &str = "/ui/";

/// Every file of the UI: path under `/ui/`, content type, bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    ("index.html", HTML, include_bytes!("../ui/index.html")),
    ("style.css", CSS, include_bytes!("../ui/style.css")),
    ("app.js", JS, include_bytes!("../ui/app.js")),
    ("api.js", JS, include_bytes!("../ui/api.js")),
    ("format.js", JS, include_bytes!("../ui/format.js")),
    ("dom.js", JS, include_bytes!("../ui/dom.js")),
    (
        "pages/search.js",
        JS,
        include_bytes!("../ui/pages/search.js"),
    ),
    (
        "pages/address.js",
        JS,
        include_bytes!("../ui/pages/address.js"),
    ),
    ("pages/tx.js", JS, include_bytes!("../ui/pages/tx.js")),
    ("pages/cases.js", JS, include_bytes!("../ui/pages/cases.js")),
    ("pages/trace.js", JS, include_bytes!("../ui/pages/trace.js")),
    (
        "pages/screen.js",
        JS,
        include_bytes!("../ui/pages/screen.js"),
    ),
    (
        "pages/incidents.js",
        JS,
        include_bytes!("../ui/pages/incidents.js"),
    ),
    ("graph.js", JS, include_bytes!("../ui/graph.js")),
    ("yearly.js", JS, include_bytes!("../ui/yearly.js")),
    ("charts.js", JS, include_bytes!("../ui/charts.js")),
    (
        "vendor/cytoscape/cytoscape.esm.min.js",
        JS,
        include_bytes!("../ui/vendor/cytoscape/cytoscape.esm.min.js"),
    ),
    (
        "vendor/cytoscape/LICENSE",
        TEXT,
        include_bytes!("../ui/vendor/cytoscape/LICENSE"),
    ),
];

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Nothing but this server: no CDN, no outside fonts, no beacons. Cytoscape sets inline styles
/// on its container, hence `'unsafe-inline'` for styles only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(|| async { Redirect::to(PREFIX) }))
        .route("/ui", get(|| async { Redirect::to(PREFIX) }))
        .route("/ui/", get(|| async { file("index.html") }))
        .route(
            "/ui/{*path}",
            get(|Path(path): Path<String>| async move { file(&path) }),
        )
}

fn file(path: &str) -> Response {
    let Some((_, content_type, bytes)) = FILES.iter().find(|(name, _, _)| *name == path) else {
        return ApiError::not_found(format!("the UI has no file `{path}`; open {PREFIX}"))
            .into_response();
    };
    (
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        *bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_served_with_its_type_and_nothing_else_is() {
        for (name, content_type, bytes) in FILES {
            let response = file(name);
            assert_eq!(response.status(), 200, "{name}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], *content_type);
            assert!(!bytes.is_empty(), "{name}");
        }
        assert_eq!(file("../Cargo.toml").status(), 404);
        assert_eq!(file("nope.js").status(), 404);
    }
}
