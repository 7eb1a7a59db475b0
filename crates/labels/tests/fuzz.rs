//! Property tests: the parsers never panic on arbitrary input.

use chaintrail_labels::incidents::usd_from_text;
use chaintrail_labels::ofac::read_snapshot;
use chaintrail_labels::tagpack::{ActorPack, TagPack, Taxonomy};
use chaintrail_labels::{Date, IncidentLedger, LabelStore, yaml};
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
        let mut ledger = IncidentLedger::in_memory();
        let _ = ledger.import(&path);
    }

    #[test]
    fn incident_csvs_never_panic(
        header in prop_oneof![Just("date,victim,amount_usd,amount_as_written,vector_icon,source_path,note\n"), Just("date,name,root_cause,lost,total_lost_keyinfo,chain,attacker_urls,attack_contract_urls,vulnerable_contract_urls,attack_tx_urls,reference_links,poc_file,listed_in\n")],
        rows in proptest::collection::vec("[0-9a-zA-Z$,.~ /:x\"-]{0,60}", 0..5),
    ) {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("incidents.csv");
        std::fs::write(&path, format!("{header}{}", rows.join("\n"))).expect("write");
        let mut ledger = IncidentLedger::in_memory();
        if let Ok(report) = ledger.import(&path) {
            prop_assert_eq!(report.rows_read, report.imported + report.rejected.len() as u64);
            let _ = ledger.stats();
            let _ = ledger.attacker_labels();
        }
    }

    #[test]
    fn any_unicode_yaml_never_panics(text in "\\PC{0,120}") {
        let _ = TagPack::parse(&text, "u.yaml", Taxonomy::builtin());
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
