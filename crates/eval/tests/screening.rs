//! The screening evaluation on a simulated world (seed 1, scale 20,000): with the built-in rule
//! table few innocent users are rated High or Severe and every laundering address within the
//! walk's reach still is, in every label situation — and the table before directions were told
//! apart floods the innocent with High ratings once the mixer pools are sanctioned.

use chaintrail_eval::screening::{
    Scenario, ScreeningEvaluation, TableOutcome, comparison_tables, evaluate_screening,
    screening_markdown,
};

fn outcome<'a>(e: &'a ScreeningEvaluation, scenario: Scenario, table: &str) -> &'a TableOutcome {
    e.outcomes
        .iter()
        .find(|o| o.scenario == scenario && o.table == table)
        .unwrap_or_else(|| panic!("no outcome for {scenario:?} / {table}"))
}

#[test]
fn the_builtin_rules_spare_innocent_users_and_keep_every_laundering_address_in_reach() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tables = comparison_tables();
    let e = evaluate_screening(1, 20_000, dir.path(), &tables, 2).expect("evaluate");
    eprintln!("{}", screening_markdown(&e, "test"));
    assert_eq!(e.outcomes.len(), Scenario::ALL.len() * tables.len());
    for scenario in Scenario::ALL {
        let o = outcome(&e, scenario, "built-in");
        assert!(o.innocent > 1_000, "{scenario:?}: {} innocent", o.innocent);
        // Issue 20 asks for ≤ 5 %; the sanctioned-pool scenario measures 4.8 % (661 of 13,693)
        // on this world (seed 2: 2.9 %).
        assert!(
            o.clean_high_share() <= 0.05,
            "{scenario:?}: {} of {} innocent users who never transacted directly with a \
             sanctioned or illicit party are High or above: {:?}",
            o.clean_high,
            o.clean,
            o.by_rule
        );
        assert!(o.in_reach > 100, "{scenario:?}: {} in reach", o.in_reach);
        assert_eq!(
            o.in_reach_high, o.in_reach,
            "{scenario:?}: laundering addresses within reach rated below High: {:?}",
            o.missed
        );
    }
    // The dated listing holds on day 2 only: less exposure than the undated tags, and all of it
    // lapsed at the screening date (the loose table, which counts only sanctions in force then,
    // rates no more innocent users High than with the day-one labels, which have no sanctions:
    // what it does rate High is value from the heists).
    let dated = outcome(&e, Scenario::DatedSanction, "built-in");
    let undated = outcome(&e, Scenario::UndatedSanction, "built-in");
    assert!(
        0 < dated.innocent_high && dated.innocent_high < undated.innocent_high,
        "dated {} vs undated {}",
        dated.innocent_high,
        undated.innocent_high
    );
    assert_eq!(
        outcome(&e, Scenario::DatedSanction, "loose").innocent_high,
        outcome(&e, Scenario::DayOne, "loose").innocent_high
    );
    // The user's situation: with sanctioned mixer pools, the previous table (outgoing indirect
    // exposure rated like incoming) rates far more innocent users High or above.
    let previous = outcome(&e, Scenario::UndatedSanction, "previous");
    let builtin = outcome(&e, Scenario::UndatedSanction, "built-in");
    assert!(
        previous.clean_high_share() > 0.05 && previous.clean_high > 2 * builtin.clean_high,
        "previous {} vs built-in {}",
        previous.clean_high,
        builtin.clean_high
    );
}
