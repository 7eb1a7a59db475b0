mod common;

use chaintrail_labels::tagpack::{ActorPack, TagPack, Taxonomy};
use chaintrail_labels::{Category, LabelError, LabelStore, Source};
use common::data;

fn packs() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![data("graphsense_tagpacks/packs")];
    while let Some(p) = pending.pop() {
        if p.is_dir() {
            pending.extend(
                std::fs::read_dir(&p)
                    .expect("dir")
                    .map(|e| e.expect("entry").path()),
            );
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn all_65_packs_import_and_round_trip() {
    let taxonomy = Taxonomy::builtin();
    let files = packs();
    assert_eq!(files.len(), 65);
    let mut total = 0;
    for file in &files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file).expect("read");
        let (pack, report) = TagPack::parse(&text, &name, taxonomy).expect("valid pack");
        assert!(report.rejected.is_empty(), "{name}: {:?}", report.rejected);
        total += pack.tags.len();
        let exported = pack.to_yaml();
        let (again, report2) =
            TagPack::parse(&exported, &name, taxonomy).expect("export re-parses");
        assert!(report2.rejected.is_empty());
        assert_eq!(again.header, pack.header, "{name}");
        assert_eq!(again.resolved(), pack.resolved(), "{name}");
    }
    // PROVENANCE.md: 76,363 address tags (checked with PyYAML).
    assert_eq!(total, 76_363);
}

#[test]
fn header_fields_are_inherited_and_overridden() {
    let text =
        std::fs::read_to_string(data("graphsense_tagpacks/packs/lazarus.yaml")).expect("read");
    let (pack, _) = TagPack::parse(&text, "lazarus.yaml", Taxonomy::builtin()).expect("parse");
    let tags = pack.resolved();
    assert_eq!(tags.len(), 21);
    assert_eq!(
        tags[0].address.as_deref(),
        Some("134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak")
    );
    assert_eq!(tags[0].label.as_deref(), Some("Lazarus group"));
    assert_eq!(tags[0].abuse.as_deref(), Some("sanction"));
    assert_eq!(tags[0].actor.as_deref(), Some("lazarusgroup"));
    assert_eq!(tags[0].confidence.as_deref(), Some("authority_data"));
    assert_eq!(tags[0].network.as_deref(), Some("BTC"));
    let overridden = "title: t\ncreator: c\nlabel: default\nsource: s\ncurrency: BTC\nconfidence: forensic\ntags:\n- address: a1\n- address: a2\n  label: own\n";
    let (pack, _) = TagPack::parse(overridden, "o.yaml", Taxonomy::builtin()).expect("parse");
    let tags = pack.resolved();
    assert_eq!(tags[0].label.as_deref(), Some("default"));
    assert_eq!(tags[1].label.as_deref(), Some("own"));
}

#[test]
fn validation_names_file_line_and_field() {
    let tax = Taxonomy::builtin();
    let text = "title: t\ncreator: c\nsource: s\ncurrency: BTC\nconfidence: forensic\ntags:\n- address: a1\n  label: ok\n- address: a2\n- address: a3\n  label: x\n  is_cluster_definer: maybe\n- address: a4\n  label: y\n  colour: red\n";
    let (pack, report) = TagPack::parse(text, "bad.yaml", tax).expect("pack with bad tags");
    assert_eq!(pack.tags.len(), 1);
    assert_eq!(report.rows_read, 4);
    let rejected: Vec<(u64, Option<&str>)> = report
        .rejected
        .iter()
        .map(|i| (i.line, i.field.as_deref()))
        .collect();
    assert_eq!(
        rejected,
        vec![
            (9, Some("label")),
            (12, Some("is_cluster_definer")),
            (15, Some("colour"))
        ]
    );
    assert!(
        report.rejected[0]
            .to_string()
            .starts_with("bad.yaml:9: field `label`"),
        "{}",
        report.rejected[0]
    );
    // Syntax errors and missing header fields are errors of the file.
    let err = TagPack::parse("title: t\ncreator: [c\n", "syntax.yaml", tax).expect_err("syntax");
    assert!(matches!(err, LabelError::Yaml { .. }), "{err}");
    assert!(err.to_string().starts_with("syntax.yaml:"), "{err}");
    let err = TagPack::parse("title: t\ntags: []\n", "nocreator.yaml", tax).expect_err("creator");
    assert!(err.to_string().contains("`creator`"), "{err}");
    // An unknown concept is kept with a warning (usdt_blacklist uses `black_list`).
    let text = std::fs::read_to_string(data("graphsense_tagpacks/packs/usdt_blacklist.yaml"))
        .expect("read");
    let (pack, report) = TagPack::parse(&text, "usdt_blacklist.yaml", tax).expect("parse");
    assert_eq!(pack.tags.len(), 774);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.message.contains("black_list") && w.message.contains("774 tag"))
    );
}

#[test]
fn actor_pack_imports_and_round_trips() {
    let text =
        std::fs::read_to_string(data("graphsense_tagpacks/actors/graphsense.actorpack.yaml"))
            .expect("read");
    let (pack, report) =
        ActorPack::parse(&text, "graphsense.actorpack.yaml", Taxonomy::builtin()).expect("parse");
    assert!(
        report.rejected.is_empty(),
        "{:?}",
        &report.rejected[..report.rejected.len().min(3)]
    );
    assert_eq!(pack.actors.len(), 3_813);
    let lazarus = pack
        .actors
        .iter()
        .find(|a| a.id == "lazarusgroup")
        .expect("lazarus");
    assert!(!lazarus.label.is_empty());
    let (again, _) = ActorPack::parse(&pack.to_yaml(), "x", Taxonomy::builtin()).expect("re-parse");
    assert_eq!(again.actors, pack.actors);
}

/// Found by fuzzing (fuzz target `labels_tagpack`): a pack whose every actor is rejected was
/// accepted, but its export (`actors:` with no items) was refused on re-import.
#[test]
fn actor_pack_with_every_actor_rejected_round_trips_empty() {
    let text = "title: T\ncreator: C\nactors:\n- id: '01'\n  ltions: []\n";
    let (pack, report) = ActorPack::parse(text, "a.yaml", Taxonomy::builtin()).expect("parse");
    assert_eq!(pack.actors.len(), 0);
    assert_eq!(report.rows_read, 1);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(pack.to_yaml(), "title: \"T\"\ncreator: \"C\"\nactors:\n");
    let (again, _) = ActorPack::parse(&pack.to_yaml(), "a.yaml", Taxonomy::builtin())
        .expect("the export of an empty pack parses");
    assert_eq!(again, pack);
    let missing = ActorPack::parse("title: T\ncreator: C\n", "b.yaml", Taxonomy::builtin())
        .expect_err("no actors field");
    assert!(
        missing.to_string().contains("expected a list of actors"),
        "{missing}"
    );
}

#[test]
fn store_import_of_all_packs_maps_categories() {
    let mut store = LabelStore::in_memory();
    // The schema folder holds no packs: each of its files is reported, the rest goes on.
    let report = store
        .import_tagpacks(&data("graphsense_tagpacks/schema"))
        .expect("import");
    assert_eq!(report.failed_files.len(), 3, "{:?}", report.failed_files);
    let report = store
        .import_tagpacks(&data("graphsense_tagpacks/packs"))
        .expect("import");
    assert!(report.failed_files.is_empty(), "{:?}", report.failed_files);
    assert!(
        report.rejected.is_empty(),
        "{:?}",
        &report.rejected[..report.rejected.len().min(3)]
    );
    assert_eq!(report.imported, 76_363);
    let report = store
        .import_tagpacks(&data("graphsense_tagpacks/actors"))
        .expect("import");
    assert_eq!(report.imported, 3_813);
    assert_eq!(store.labels().len(), 76_363);
    let tornado = store.lookup("0x8589427373D6D84E98730D7795D8f6f8731FDA16");
    assert!(
        tornado
            .iter()
            .any(|l| l.category == Category::Mixer && l.source == Source::Graphsense)
    );
    let lazarus = store.lookup("134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak");
    assert_eq!(lazarus[0].category, Category::Sanctioned);
    assert_eq!(lazarus[0].confidence, 60);
    let shown = store.show("134r8iHv69xdT6p5qVKTsHrcUEuBVZAYak", None);
    assert!(shown.labels[0].actor_label.is_some());
    // Store export of a dataset re-imports to the same tags.
    let pack = store.export_tagpack(None, Some("graphsense:lazarus.yaml"), None);
    assert_eq!(pack.tags.len(), 21);
    let (again, _) =
        TagPack::parse(&pack.to_yaml(), "export.yaml", Taxonomy::builtin()).expect("re-parse");
    let original =
        std::fs::read_to_string(data("graphsense_tagpacks/packs/lazarus.yaml")).expect("read");
    let (orig, _) = TagPack::parse(&original, "lazarus.yaml", Taxonomy::builtin()).expect("parse");
    assert_eq!(again.resolved(), orig.resolved());
}

/// A tag whose only field is a comment (`- address: #…`, found by the `labels_tagpack` fuzz
/// target) is an item with the header's defaults; the export keeps it as an item.
#[test]
fn a_tag_without_fields_of_its_own_survives_the_export() {
    let text = "title: T\ncreator: C\ncategory: mixing_service\nlabel: tornado\ncurrency: ETH\n\
                source: https://example.org/tornado\ntx_hash: 2022-08-10\ntags:\n\
                - address: '0x8589427373D6D84E98730D7795D8f6f8731FDA16'\n\
                - address: #0x910Cbd523D972eb0a6f4cAe4618aD62622b39DbF'\n\
                - address: '0x722122dF12D4e14e13Ac3b6895a86e84145b6967'\n";
    let (pack, _) = TagPack::parse(text, "t.yaml", Taxonomy::builtin()).expect("parse");
    assert_eq!(pack.tags.len(), 3);
    assert_eq!(pack.resolved()[1].address, None);
    assert_eq!(pack.resolved()[1].tx_hash.as_deref(), Some("2022-08-10"));
    let exported = pack.to_yaml();
    assert!(exported.contains("\n- address:\n"), "{exported}");
    let (again, _) = TagPack::parse(&exported, "export.yaml", Taxonomy::builtin()).expect("again");
    assert_eq!(again.resolved(), pack.resolved());
}
