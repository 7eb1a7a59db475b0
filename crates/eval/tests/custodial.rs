//! Custodial mixer demixing on a simulated world (seed 1, scale 50,000: Blendery takes about 350
//! deposits and makes about 900 payouts in three days), through the whole evaluation: the fee
//! band and window estimated from the chain bracket the simulator's (1–3 %, 20 min – 4 h), and
//! the links are as good as measured when this test was written (docs/links.md), against the
//! simulator's paybacks.

use chaintrail_eval::{Detection, accuracy_markdown, evaluate};

#[test]
fn the_mixer_is_calibrated_from_the_chain_and_its_confident_links_are_mostly_right() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (evaluation, truth) = evaluate(1, 50_000, dir.path()).expect("evaluate");

    let [calibration] = evaluation.custodial_mixers.as_slice() else {
        panic!("one custodial mixer: {:?}", evaluation.custodial_mixers);
    };
    assert_eq!(calibration.mixer, "Blendery");
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
    // Every deposit the store saw swept is found (the last sweeps' may be missing).
    let true_deposits = truth.btc_mixer_links.len();
    assert!(
        calibration.deposits + 5 >= true_deposits,
        "{} of {true_deposits}",
        calibration.deposits
    );
    assert!(accuracy_markdown(&evaluation, "test").contains("Custodial mixer Blendery:"));

    let score = |name: &str| -> &Detection {
        evaluation
            .links
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no score {name}: {:?}", evaluation.links))
    };
    // Measured: 15 links, 10 right.
    let crossed = score("custodial-mixer links with confidence >= 0.5");
    assert!(
        crossed.derived >= 12 && crossed.precision >= 0.6,
        "{crossed:?}"
    );
    // Measured: 151 deposits linked, 63 to exactly their payback, of 333 paid back in full.
    let whole = score("custodial-mixer deposits linked to their whole payback");
    assert!(whole.correct >= 50 && whole.precision >= 0.35, "{whole:?}");
    // Alone, a fit is right far less often than once weighed and assigned (measured on the
    // world with wallet habits: 160 single-payout fits alone, the fewest of the three).
    for heuristic in ["one payout", "payouts spent together", "several payouts"] {
        let alone = score(&format!(
            "custodial-mixer: amount and time, {heuristic} (alone)"
        ));
        assert!(alone.precision < crossed.precision, "{alone:?}");
        assert!(alone.derived > 120, "{alone:?}");
    }
    // The links by transaction pair, scored like every decoder's.
    let links = score("custodial-mixer links");
    assert!(links.derived > 100 && links.precision >= 0.4, "{links:?}");
}
