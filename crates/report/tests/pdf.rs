//! The PDF is the HTML report printed by headless Chromium (Debian's `chromium`; scripts/test
//! installs it).

use chaintrail_report::{CHROMIUM_ENV, find_chromium, write_pdf};

#[test]
fn html_prints_to_a_pdf() {
    if find_chromium().is_err() {
        eprintln!(
            "\n!!!!!!!! SKIPPING the PDF test: no chromium on PATH and ${CHROMIUM_ENV} unset. CI \
             must install chromium (scripts/test does). !!!!!!!!\n"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("report.pdf");
    write_pdf(
        "<!doctype html><html><body><h1>Freeze request</h1><p>5,000.00 ETH</p></body></html>",
        &out,
    )
    .expect("pdf");
    let bytes = std::fs::read(&out).expect("read");
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    assert!(bytes.len() > 1000, "{} bytes", bytes.len());
    // Nothing is left beside it: the HTML and Chromium's profile were temporary.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("report.pdf")]);
}
