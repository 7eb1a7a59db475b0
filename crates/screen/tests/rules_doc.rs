//! docs/exposure.md shows the built-in rule table as `RuleTable::markdown` renders it, between
//! its `rules:begin` and `rules:end` markers; `CHAINTRAIL_WRITE_DOCS=1 cargo test -p
//! chaintrail-screen --test rules_doc` rewrites that part.

use std::path::Path;

use chaintrail_screen::RuleTable;

const BEGIN: &str = "<!-- rules:begin";
const END: &str = "<!-- rules:end -->";

#[test]
fn the_docs_show_the_builtin_rule_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/exposure.md");
    let doc = std::fs::read_to_string(&path).expect("docs/exposure.md");
    let begin = doc.find(BEGIN).expect("a rules:begin marker");
    let after_marker = begin + doc[begin..].find("-->").expect("end of the begin marker") + 3;
    let end = doc.find(END).expect("a rules:end marker");
    let generated = format!("\n{}", RuleTable::builtin().markdown());
    if std::env::var_os("CHAINTRAIL_WRITE_DOCS").is_some() {
        let rewritten = format!("{}{generated}{}", &doc[..after_marker], &doc[end..]);
        std::fs::write(&path, rewritten).expect("write docs/exposure.md");
        return;
    }
    assert_eq!(
        &doc[after_marker..end],
        generated,
        "docs/exposure.md shows another rule table than the built-in one: run \
         CHAINTRAIL_WRITE_DOCS=1 cargo test -p chaintrail-screen --test rules_doc"
    );
}
