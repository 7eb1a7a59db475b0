//! Custodial mixer demixing on a simulated world (seed 1, scale 50,000: Blendery takes about 350
//! deposits and makes about 900 payouts in three days): the fee band and window estimated from
//! the chain bracket the simulator's (1–3 %, 20 min – 4 h), and the links are as good as measured
//! when this test was written (docs/links.md), against the simulator's paybacks.

use chaintrail_eval::derived::score_custodial;
use chaintrail_labels::LabelStore;
use chaintrail_links::custodial::{Settings, decode, mixers_on};
use chaintrail_links::{LabelServices, refresh};
use chaintrail_sim::SimConfig;
use chaintrail_store::Store;

#[test]
fn the_mixer_is_calibrated_from_the_chain_and_its_confident_links_are_right() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::init(&dir.path().join("store")).expect("store");
    let side = dir.path().join("sim");
    let truth = chaintrail_sim::write_dir(&SimConfig::new(1, 50_000), &side)
        .expect("simulate")
        .truth;
    chaintrail_eval::import_world(&store, &side).expect("import");
    let mut labels = LabelStore::open(store.dir()).expect("labels");
    labels
        .import_tagpacks(&side.join("tagpacks"))
        .expect("tagpack");
    labels.save().expect("save");
    let day_one = LabelStore::open(store.dir()).expect("labels");
    let built = refresh(&store).expect("links");
    let reader = store.reader(truth.btc_chain).expect("reader");
    let mixers = mixers_on(
        &LabelServices::new(&day_one),
        truth.btc_chain,
        &built.attributions,
    );
    let names: Vec<&str> = mixers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Blendery"]);
    let found = decode(&reader, &mixers, &Settings::default());

    let calibration = &found.calibrations[0];
    eprintln!("{calibration:?}");
    assert!(calibration.fee_from_data && calibration.window_from_data);
    assert!(calibration.significance >= 5.0, "{calibration:?}");
    let (low, high) = calibration.fee;
    assert!(
        low <= 0.01 && (0.025..=0.05).contains(&high),
        "{calibration:?}"
    );
    assert!(
        (4 * 3_600..=9 * 3_600).contains(&calibration.window),
        "{calibration:?}"
    );
    // Every deposit the simulator made that the store saw swept is found.
    let true_deposits = truth.btc_mixer_links.len() as u64;
    assert!(
        found.findings.decoded + 5 >= true_deposits,
        "{} of {true_deposits}",
        found.findings.decoded
    );

    let scores = score_custodial(&truth, &built.set, &found.candidates);
    for s in &scores {
        eprintln!(
            "{}: {} derived, {} true, {} correct ({:.1} % / {:.1} %)",
            s.name,
            s.derived,
            s.truth,
            s.correct,
            100.0 * s.precision,
            100.0 * s.recall
        );
    }
    let score = |name: &str| {
        scores
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no score {name}"))
    };
    let crossed = score("custodial-mixer links with confidence >= 0.5");
    assert!(crossed.derived >= 12, "{crossed:?}");
    assert!(crossed.precision >= 0.6, "{crossed:?}");
    let whole = score("custodial-mixer deposits linked to their whole payback");
    assert!(whole.correct >= 50 && whole.precision >= 0.35, "{whole:?}");
    // Alone, a fit is right far less often than once weighed and assigned.
    let single = score("custodial-mixer: amount and time, one payout (alone)");
    assert!(single.precision < crossed.precision, "{single:?}");
}
