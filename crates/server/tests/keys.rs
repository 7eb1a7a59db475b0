//! API keys from the command line and from a key file.

use chaintrail_server::{ServerError, api_keys};

#[test]
fn keys_come_trimmed_from_both_places_without_comments_or_blanks() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("keys.txt");
    std::fs::write(&file, "# team keys\n  k-file-1 \n\n#k-disabled\nk-file-2\n").expect("write");
    let given = vec![" k-arg ".to_string(), String::new()];
    assert_eq!(
        api_keys(&given, Some(&file)).expect("keys"),
        ["k-arg", "k-file-1", "k-file-2"]
    );
    assert_eq!(api_keys(&given, None).expect("keys"), ["k-arg"]);
    let missing = dir.path().join("nope.txt");
    let err = api_keys(&given, Some(&missing)).expect_err("missing");
    assert!(matches!(err, ServerError::KeyFile { .. }), "{err}");
    assert!(err.to_string().contains("nope.txt"), "{err}");
}
