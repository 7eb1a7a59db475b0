//! PDF by headless Chromium's print-to-PDF, from the same HTML as the HTML report.
//!
//! Chromium is found as `$CHAINTRAIL_CHROMIUM` when set, else `chromium`, `chromium-browser`
//! or `google-chrome` on `PATH` (Debian: `apt-get install chromium`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{ReportError, write_atomic};

/// The environment variable naming the Chromium binary.
pub const CHROMIUM_ENV: &str = "CHAINTRAIL_CHROMIUM";

const ON_PATH: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

/// The Chromium to print with, or an error saying how to get one.
pub fn find_chromium() -> Result<PathBuf, ReportError> {
    locate(
        std::env::var_os(CHROMIUM_ENV),
        std::env::var_os("PATH").unwrap_or_default(),
    )
}

/// [`find_chromium`] for a given `$CHAINTRAIL_CHROMIUM` and `$PATH`.
fn locate(named: Option<OsString>, path: OsString) -> Result<PathBuf, ReportError> {
    if let Some(named) = named {
        let named = PathBuf::from(named);
        return if named.is_file() {
            Ok(named)
        } else {
            Err(ReportError::Invalid(format!(
                "${CHROMIUM_ENV} names {}, which is not a file: point it at a Chromium binary \
                 or unset it",
                named.display()
            )))
        };
    }
    for dir in std::env::split_paths(&path) {
        for name in ON_PATH {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(ReportError::Invalid(format!(
        "PDF needs Chromium and none was found (${CHROMIUM_ENV} is unset and none of {} is on \
         PATH): install it (Debian/Ubuntu: apt-get install chromium) or set ${CHROMIUM_ENV}, \
         or write --format html and print that",
        ON_PATH.join(", ")
    )))
}

/// Print `html` to a PDF at `path` (atomically) with headless Chromium.
pub fn write_pdf(html: &str, path: &Path) -> Result<(), ReportError> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let bytes = print_pdf(html, parent)?;
    write_atomic(path, &bytes)
}

/// Print `html` to PDF bytes with headless Chromium, working in a private folder under `work`
/// that is removed afterwards.
pub fn print_pdf(html: &str, work: &Path) -> Result<Vec<u8>, ReportError> {
    let chromium = find_chromium()?;
    let work = tempdir(work)?;
    let page = work.join("report.html");
    let pdf = work.join("report.pdf");
    let outcome = (|| {
        std::fs::write(&page, html).map_err(|source| ReportError::Io {
            action: "write",
            path: page.clone(),
            source,
        })?;
        let output = Command::new(&chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
            ])
            .arg(format!(
                "--user-data-dir={}",
                work.join("profile").display()
            ))
            .arg(format!("--print-to-pdf={}", pdf.display()))
            .arg(format!("file://{}", page.display()))
            .output()
            .map_err(|source| ReportError::Io {
                action: "run",
                path: chromium.clone(),
                source,
            })?;
        match std::fs::read(&pdf).ok().filter(|b| b.starts_with(b"%PDF")) {
            Some(bytes) if output.status.success() => Ok(bytes),
            _ => Err(ReportError::Invalid(format!(
                "{} did not print a PDF ({}): {}",
                chromium.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            ))),
        }
    })();
    let _ = std::fs::remove_dir_all(&work);
    outcome
}

/// A private working folder under `parent`, unique to this process and call.
fn tempdir(parent: &Path) -> Result<PathBuf, ReportError> {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = parent.join(format!(".chaintrail-pdf-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|source| ReportError::Io {
        action: "create",
        path: dir.clone(),
        source,
    })?;
    // Chromium needs an absolute file:// URL.
    std::fs::canonicalize(&dir).map_err(|source| ReportError::Io {
        action: "resolve",
        path: dir,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_comes_before_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let on_path = dir.path().join("chromium");
        std::fs::write(&on_path, b"").expect("write");
        let found = locate(None, dir.path().as_os_str().to_owned()).expect("found");
        assert_eq!(found, on_path);
        let named = dir.path().join("my-chrome");
        std::fs::write(&named, b"").expect("write");
        let found = locate(
            Some(named.clone().into()),
            dir.path().as_os_str().to_owned(),
        );
        assert_eq!(found.expect("found"), named);
    }

    #[test]
    fn missing_chromium_says_how_to_get_it() {
        let err = locate(Some("/nonexistent/chromium".into()), OsString::new()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("/nonexistent/chromium") && text.contains(CHROMIUM_ENV),
            "{text}"
        );
        let empty = tempfile::tempdir().expect("tempdir");
        let err = locate(None, empty.path().as_os_str().to_owned()).unwrap_err();
        assert!(
            err.to_string().contains("apt-get install chromium"),
            "{err}"
        );
    }
}
