//! The web UI in a real browser: Debian's Chromium driven by Playwright (both installed by
//! tests/setup-ui.sh) against the real server on 127.0.0.1, serving a small store with real
//! labels (tests/ui_world). The browser script (tests/ui/drive.py) reports what the pages show;
//! this test asserts it.

mod common;
mod ui_world;

use std::path::Path;
use std::process::Command;

use common::{KEY, config, start};
use serde_json::{Value, json};
use ui_world::{HOLDER, THIEF};

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, got {value}"))
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn an_investigator_searches_traces_compares_saves_a_case_and_screens_in_the_browser() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let setup = Command::new("bash")
        .arg(manifest.join("tests/setup-ui.sh"))
        .status()
        .expect("run setup-ui.sh");
    assert!(setup.success(), "installing chromium and playwright failed");

    let dir = tempfile::tempdir().expect("tempdir");
    ui_world::build(dir.path());
    let server = start(dir.path(), config());
    let seed = ui_world::hash(2).to_hex_prefixed();
    // Screenshots of the pages go to the test's output folder.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ui-screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    let output = Command::new(manifest.join("../../.tools/venv-ui/bin/python"))
        .arg(manifest.join("tests/ui/drive.py"))
        .args([&server.base, KEY, THIEF, HOLDER, &seed, ui_world::BINANCE])
        .arg(&shots)
        .output()
        .expect("run the browser script");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "browser script failed:\n{stderr}");
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "browser script printed no JSON ({e}):\n{}\n{stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });

    // Keys: refused without one and with a wrong one, with the server's own words.
    let without = seen["without_key"].as_str().expect("text");
    assert!(
        without.starts_with("no API key: send it as `X-API-Key: <key>`")
            && without.contains("(missing_api_key)")
            && without.contains("Type the API key"),
        "{without}"
    );
    assert_eq!(
        seen["wrong_key"],
        "the API key is not one this server accepts (invalid_api_key). Type the API key at the \
         top right and press \"Use key\"."
    );
    assert_eq!(seen["key_in_session"], KEY);

    // Search → address page: its exact labels and risk.
    assert_eq!(seen["address_hash"], format!("#/address/ethereum/{THIEF}"));
    assert_eq!(seen["risk"], "Severe");
    assert_eq!(
        seen["risk_reason"],
        "Identified as Ronin bridge exploiter (hack) — rule `illicit-ownership`"
    );
    assert_eq!(
        strings(&seen["label_names"]),
        ["Lazarus Group", "Ronin bridge exploiter"]
    );
    assert_eq!(
        strings(&seen["exposure_rows"]),
        [
            "binance reserve wallets BNB\texchange\toutgoing\tdirect, 1 hop\t60 ETH\t$152,300\t40.0%\tLow"
        ]
    );

    // An address on two chains asks which; a hash opens its transaction.
    assert_eq!(
        strings(&seen["holder_choices"]),
        ["address on ethereum", "address on anvil"]
    );
    assert_eq!(seen["tx_hash"], format!("#/tx/ethereum/{seed}"));
    assert_eq!(
        strings(&seen["tx_rows"]),
        [format!(
            "0\tnative\t0x1111111111111111111111111111111111111111\t{THIEF}\t100 ETH"
        )]
    );

    // The trace: victim, thief, Binance, holder; three movements.
    assert_eq!(seen["graph_nodes"], 4);
    assert_eq!(seen["graph_edges"], 3);
    let binance_row = |policy: &str| -> String {
        strings(&seen[format!("endpoints_{policy}")])
            .into_iter()
            .find(|row| row.starts_with("service"))
            .unwrap_or_else(|| panic!("no service row under {policy}: {seen}"))
    };
    assert!(
        binance_row("fifo").starts_with(
            "service\tbinance reserve wallets BNB\t0xBE0eB5…4d33E8\t10 ETH\t$25,383\t1\t100.0%"
        ),
        "{}",
        binance_row("fifo")
    );
    assert!(
        binance_row("haircut").starts_with(
            "service\tbinance reserve wallets BNB\t0xBE0eB5…4d33E8\t40 ETH\t$101,533\t1\t100.0%"
        ),
        "{}",
        binance_row("haircut")
    );
    assert_eq!(
        strings(&seen["compare"]),
        [
            "Between $25,383 under FIFO and $101,533 under haircut reached binance reserve wallets BNB."
        ]
    );

    // The charts: a dot per endpoint on the timeline; the Sankey: the seeded 100 ETH, of which
    // FIFO ends 90 unspent at the holder and 10 at Binance after one hop — exact in its JSON,
    // rounded in its tooltips.
    let fifo_rows = strings(&seen["endpoints_fifo"]);
    assert_eq!(seen["timeline_dots"], fifo_rows.len(), "{fifo_rows:?}");
    assert_eq!(seen["sankey_nodes"], 3);
    assert_eq!(seen["sankey_node_rects"], 3);
    assert_eq!(seen["sankey_links"], 2);
    assert_eq!(
        seen["sankey_json"],
        json!([{"asset": "ETH", "nodes": [
            ["seed", "100000000000000000000", "100"],
            ["end-1-unspent", "90000000000000000000", "90"],
            ["end-1-exchange", "10000000000000000000", "10"]
        ]}])
    );
    assert_eq!(
        strings(&seen["sankey_tooltips"]),
        [
            "seeded → unspent (hop 1 or none): 90.00 ETH ($228k)",
            "seeded → exchange (hop 1 or none): 10.00 ETH ($25.4k)"
        ]
    );

    // Clicking the thief shows its labels; collapsing hides Binance and the holder.
    assert_eq!(
        strings(&seen["node_labels"]),
        [
            "Lazarus Group — sanctioned, ofac, confidence 100",
            "Ronin bridge exploiter — hack, graphsense:ronin_bridge.yaml, confidence 50"
        ]
    );
    assert_eq!(seen["visible_after_collapse"], 2);
    assert_eq!(seen["visible_after_expand"], 4);
    assert_eq!(seen["visible_after_hide"], 1);
    assert_eq!(seen["visible_after_show_all"], 4);
    let binance_node = strings(&seen["binance_node"]);
    assert_eq!(binance_node.len(), 1, "{binance_node:?}");
    assert!(
        binance_node[0]
            .starts_with("service at binance reserve wallets BNB (exchange): 10 ETH $25,383"),
        "{binance_node:?}"
    );

    // The trace saved as a case, reloaded, its freeze pack exported: Binance's deposit with the
    // 10 ETH FIFO puts there, exact in the file, rounded on the page.
    assert_eq!(seen["case_hash"], "#/case/ronin-exploiter-day-one-1");
    assert_eq!(seen["case_name"], "Ronin exploiter, day one");
    assert_eq!(seen["case_notes"], "Binance reached within the hour");
    let case_rows = strings(&seen["case_endpoints"]);
    assert!(
        case_rows.iter().any(|r| r.starts_with(
            "service\tbinance reserve wallets BNB\t0xBE0eB53F46cd790Cd13851d5EFf43D12404d33E8\t10 ETH"
        )),
        "{case_rows:?}"
    );
    assert_eq!(
        seen["freeze_pack_file"],
        "ronin-exploiter-day-one-1-freeze-packs.json"
    );
    assert_eq!(
        seen["freeze_pack_deposits"],
        json!([[
            "binance reserve wallets BNB",
            ui_world::BINANCE,
            "10000000000000000000",
            3
        ]])
    );
    let pack_rows = strings(&seen["freeze_pack_rows"]);
    assert_eq!(pack_rows.len(), 1, "{pack_rows:?}");
    assert!(
        pack_rows[0].starts_with(&format!("{}\t10 ETH\t$25,383\t", ui_world::BINANCE)),
        "{pack_rows:?}"
    );
    assert_eq!(strings(&seen["case_list"]), ["Ronin exploiter, day one"]);

    // The case edited (its id stays), then deleted after a confirmation.
    assert_eq!(seen["edited_hash"], "#/case/ronin-exploiter-day-one-1");
    assert_eq!(seen["edited_name"], "Ronin exploiter, day two");
    assert_eq!(seen["edited_notes"], "Binance froze the 10 ETH");
    assert_eq!(
        strings(&seen["edited_annotations"]),
        [format!("{}: Binance reserve wallet", ui_world::BINANCE)]
    );
    assert_eq!(seen["after_delete_hash"], "#/cases");
    assert!(
        seen["after_delete"]
            .as_str()
            .expect("text")
            .contains("No case yet"),
        "{}",
        seen["after_delete"]
    );
    assert!(
        seen["deleted_case"]
            .as_str()
            .expect("text")
            .starts_with("no case `ronin-exploiter-day-one-1`"),
        "{}",
        seen["deleted_case"]
    );

    // The incident dashboard: the ledger's years beside Chainalysis and the MSMT, the
    // unverified figures hatched and saying so, the UN Panel's multi-year totals in a table.
    let bars: Vec<(String, u64, u64, bool)> = seen["dashboard_bars"]
        .as_array()
        .expect("bars")
        .iter()
        .map(|b| {
            (
                b[0].as_str().expect("series").to_string(),
                b[1].as_u64().expect("year"),
                b[2].as_u64().expect("usd"),
                b[3].as_bool().expect("verified"),
            )
        })
        .collect();
    let bar = |series: &str, year: u64| {
        bars.iter()
            .find(|b| b.0 == series && b.1 == year)
            .map(|b| (b.2, b.3))
            .unwrap_or_else(|| panic!("no {series} bar for {year}: {bars:?}"))
    };
    assert_eq!(bars.len(), 9 + 4 + 2, "{bars:?}");
    // 2022: the DPRK list's $767,638,000 and the curated Ronin row's $625M.
    assert_eq!(bar("ledger", 2022), (1_392_638_000, true));
    assert_eq!(bar("ledger", 2025), (1_500_000_000, true));
    assert_eq!(bar("Chainalysis", 2022), (1_700_000_000, false));
    assert_eq!(bar("Chainalysis", 2023), (660_500_000, true));
    assert_eq!(bar("MSMT (Oct 2025)", 2025), (1_650_000_000, true));
    let unverified = strings(&seen["dashboard_unverified_titles"]);
    assert_eq!(unverified.len(), 1, "{unverified:?}");
    assert!(
        unverified[0].starts_with("Chainalysis, 2022 (≈): $1.7B — UNVERIFIED; published not dated in the reference; reference/anchors.md §6"),
        "{unverified:?}"
    );
    let legend = strings(&seen["dashboard_legend"]);
    assert_eq!(legend.len(), 3, "{legend:?}");
    assert!(
        legend[0].starts_with("ledger: The store's incident ledger"),
        "{legend:?}"
    );
    assert!(
        legend[1].contains("Hatched, unverified: 2022 ($1.7B) — reference/anchors.md §6"),
        "{legend:?}"
    );
    let spans = strings(&seen["dashboard_spans"]);
    assert_eq!(spans.len(), 2, "{spans:?}");
    assert!(
        spans[0].starts_with(
            "UN Panel of Experts (S/2024/215)\t2017–2023 (2017–2023, all years together (≈))\t$3B in 58 incidents\tunverified\t$3.56B in 83 incidents"
        ),
        "{spans:?}"
    );
    assert_eq!(seen["dashboard_incident_count"], 87);
    assert_eq!(
        strings(&seen["dashboard_curated_row"]),
        ["2022-03-23\tRonin exploiter (curated)\tethereum\t$625M\tTrace its seed"]
    );
    // Its link opens the trace of its seed: the same four-node graph.
    assert_eq!(seen["dashboard_trace_seeds"], format!("ethereum:{seed}"));
    assert_eq!(seen["dashboard_trace_nodes"], 4);
    for page in ["trace.png", "incidents.png"] {
        let size = std::fs::metadata(shots.join(page)).map_or(0, |m| m.len());
        assert!(size > 10_000, "{page}: {size} bytes");
    }

    // Screening many addresses, one of them malformed.
    let rows = strings(&seen["screen_rows"]);
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows[0].starts_with(&format!(
            "{THIEF}\tSevere\tIdentified as Ronin bridge exploiter"
        )),
        "{rows:?}"
    );
    assert!(
        rows[1].starts_with(&format!(
            "{HOLDER}\tSevere\tDirect incoming exposure to Lazarus Group (sanctioned): $228449.71"
        )),
        "{rows:?}"
    );
    assert!(
        rows[2].starts_with("0xnot-an-address\t") && rows[2].contains("(bad_address)"),
        "{rows:?}"
    );

    // Nothing but this server was asked for anything; no script failed.
    assert_eq!(seen["outside_requests"], json!([]));
    assert_eq!(seen["page_errors"], json!([]));
}
