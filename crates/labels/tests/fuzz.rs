//! Property tests: the parsers never panic on arbitrary input.

use chaintrail_labels::incidents::usd_from_text;
use chaintrail_labels::ofac::read_snapshot;
use chaintrail_labels::tagpack::{ActorPack, TagPack, Taxonomy};
use chaintrail_labels::{Date, LabelStore, yaml};
use proptest::prelude::*;

const TAGPACK_ALPHABET: &str = "[a-z_:\\- \\n'\"\\[\\]{}#&*!|>0-9.]{0,200}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn yaml_and_tagpacks_never_panic(text in TAGPACK_ALPHABET) {
        let _ = yaml::parse(&text, "fuzz.yaml");
        let _ = TagPack::parse(&text, "fuzz.yaml", Taxonomy::builtin());
        let _ = ActorPack::parse(&text, "fuzz.yaml", Taxonomy::builtin());
    }

    #[test]
    fn tagpack_shaped_input_never_panics(
        title in "[a-z \"']{0,12}",
        fields in proptest::collection::vec(("(address|label|source|currency|confidence|is_cluster_definer|lastmod|concepts|bogus)", "[a-zA-Z0-9 \\[\\],:\"-]{0,20}"), 0..6),
    ) {
        let mut text = format!("title: {title}\ncreator: c\ntags:\n");
        for (i, (k, v)) in fields.iter().enumerate() {
            text.push_str(if i == 0 { "- " } else { "  " });
            text.push_str(&format!("{k}: {v}\n"));
        }
        if let Ok((pack, _)) = TagPack::parse(&text, "p.yaml", Taxonomy::builtin()) {
            // Whatever was accepted round-trips.
            let (again, _) = TagPack::parse(&pack.to_yaml(), "p.yaml", Taxonomy::builtin()).expect("export parses");
            prop_assert_eq!(again.resolved(), pack.resolved());
        }
    }

    #[test]
    fn sdn_files_never_panic(body in "[<>/a-zA-Z =\"\\n0-9&;,-]{0,300}", prefix in prop_oneof![Just(""), Just("<Sanctions>"), Just("address,asset,sdn_uid,primary_name\n"), Just("BZh9")]) {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("fuzz_2025-01-01.txt");
        std::fs::write(&path, format!("{prefix}{body}")).expect("write");
        let _ = read_snapshot(&path, None);
        let mut store = LabelStore::in_memory();
        let _ = store.import_ofac(&path, None);
        let _ = store.import_forta(&path, None);
        let _ = store.import_tornado(&path);
        let _ = store.import_explorer(&path, None);
    }

    #[test]
    fn small_parsers_never_panic(text in "\\PC{0,40}") {
        let _ = usd_from_text(&text);
        let _ = text.parse::<Date>();
        let _ = Date::parse_prefix(&text);
        let store = LabelStore::in_memory();
        let _ = store.show(&text, None);
    }
}
