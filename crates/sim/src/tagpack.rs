//! GraphSense TagPack (YAML) labels for the simulated world: exchanges, mixers, the bridge, the
//! DEX, OTC brokers and the thieves' first addresses, in the layout of the public packs
//! (header defaults, one `address` per tag, per-tag `label`/`category`/`currency`/`network`).

use std::fmt::Write;

use crate::{Category, GroundTruth};

fn concept(category: Category) -> Option<&'static str> {
    match category {
        Category::Exchange => Some("exchange"),
        Category::Mixer => Some("mixing_service"),
        Category::Bridge => Some("defi_bridge"),
        Category::Dex => Some("defi_dex"),
        Category::Otc => Some("exchange"),
        Category::Miner => Some("miner"),
        Category::Thief | Category::User => None,
    }
}

fn currency(chain: chaintrail_core::Chain) -> &'static str {
    match chain {
        chaintrail_core::Chain::Bitcoin(_) => "BTC",
        chaintrail_core::Chain::Evm(_) => "ETH",
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The TagPack YAML document labelling `truth`'s services and the thieves' first addresses.
pub fn tagpack_yaml(truth: &GroundTruth) -> String {
    let mut out = String::new();
    let date = crate::world_date(truth.start_timestamp);
    let _ = writeln!(
        out,
        "title: chaintrail simulated world (seed {})",
        truth.seed
    );
    let _ = writeln!(out, "creator: chaintrail-sim");
    let _ = writeln!(
        out,
        "description: Attribution tags of a simulated world; addresses exist only in its regtest/anvil chains"
    );
    let _ = writeln!(out, "is_public: true");
    let _ = writeln!(out, "confidence: ownership");
    let _ = writeln!(out, "source: chaintrail-sim ground_truth.json");
    let _ = writeln!(out, "lastmod: {date}");
    let _ = writeln!(out, "tags:");
    for entity in &truth.entities {
        let Some(category) = concept(entity.category) else {
            continue;
        };
        for a in &entity.addresses {
            let cur = currency(a.chain);
            let _ = writeln!(out, "- address: {}", quote(&a.address));
            let _ = writeln!(out, "  label: {}", quote(&entity.name));
            let _ = writeln!(out, "  category: {category}");
            let _ = writeln!(out, "  currency: {cur}");
            let _ = writeln!(out, "  network: {cur}");
            let _ = writeln!(out, "  is_cluster_definer: true");
        }
    }
    for heist in &truth.heists {
        for a in &heist.first_addresses {
            let cur = currency(a.chain);
            let _ = writeln!(out, "- address: {}", quote(&a.address));
            let _ = writeln!(out, "  label: {}", quote(&heist.thief_entity));
            let _ = writeln!(out, "  category: perpetrator");
            let _ = writeln!(out, "  abuse: service_hack");
            let _ = writeln!(out, "  currency: {cur}");
            let _ = writeln!(out, "  network: {cur}");
            let _ = writeln!(out, "  confidence: forensic_investigation");
            let _ = writeln!(out, "  tag_type: actor");
            let _ = writeln!(
                out,
                "  context: {}",
                quote(&format!(
                    "{{\"heist\": \"{}\", \"date\": \"{}\"}}",
                    heist.name, heist.date
                ))
            );
        }
    }
    out
}
