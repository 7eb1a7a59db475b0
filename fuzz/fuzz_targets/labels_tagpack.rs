//! GraphSense TagPacks and ActorPacks with the line-aware YAML reader: parse, turn into labels,
//! and export; an accepted pack must parse again from its own export.
#![no_main]

use chaintrail_labels::ImportReport;
use chaintrail_labels::tagpack::{ActorPack, TagPack, Taxonomy};
use chaintrail_labels::yaml;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let taxonomy = Taxonomy::builtin();
    let _ = yaml::parse(text, "fuzz.yaml");
    if let Ok((pack, _)) = TagPack::parse(text, "fuzz.yaml", taxonomy) {
        let mut report = ImportReport::new("graphsense");
        let _ = pack.to_labels("graphsense:fuzz.yaml", taxonomy, &mut report);
        let (again, _) = TagPack::parse(&pack.to_yaml(), "export.yaml", taxonomy)
            .expect("an accepted TagPack parses from its own export");
        assert_eq!(again.resolved(), pack.resolved(), "export round trip");
    }
    if let Ok((actors, _)) = ActorPack::parse(text, "fuzz.yaml", taxonomy) {
        ActorPack::parse(&actors.to_yaml(), "export.yaml", taxonomy)
            .expect("an accepted ActorPack parses from its own export");
    }
});
