//! The day-one GraphSense TagPack (YAML) of a simulated world: what an investigator knows before
//! tracing, and nothing more. It labels exactly the entity addresses the ground truth flags
//! `day_one_labelled` (service hot wallets, public contracts, the victims, the thieves' first
//! addresses; the list is in docs/sim.md), in the layout of the public packs: header defaults,
//! one `address` per tag, per-tag `label`/`category`/`currency`/`network` and overrides.

use std::fmt::Write;

use crate::{Category, EntityAddress, EntityTruth, GroundTruth, Role};

/// GraphSense concept of a labelled address.
fn concept(category: Category, role: Role) -> &'static str {
    match (category, role) {
        (_, Role::Victim) => "victim",
        (Category::Thief, _) => "perpetrator",
        (Category::Exchange | Category::Otc, _) => "exchange",
        (Category::Mixer, _) => "mixing_service",
        (Category::Bridge, _) => "defi_bridge",
        (Category::Dex, Role::Pair) => "defi_dex_pair",
        (Category::Dex, _) => "defi_dex",
        (Category::Miner, _) => "miner",
        (Category::User, _) => "unknown",
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

/// What the address does for its entity, as the tag's context says.
fn role_text(role: Role) -> &'static str {
    match role {
        Role::HotWallet => "hot wallet",
        Role::Router => "router",
        Role::Pair => "pair",
        Role::Pool => "pool",
        Role::Token => "token",
        Role::Builder => "block builder",
        Role::Coinbase => "coinbase",
        Role::Main => "main address",
        Role::Victim => "victim",
        Role::Thief => "first address",
        _ => "address",
    }
}

fn write_tag(out: &mut String, truth: &GroundTruth, entity: &EntityTruth, a: &EntityAddress) {
    let cur = currency(a.chain);
    let heist = truth.heists.iter().find(|h| {
        h.thief_entity == entity.name || (a.role == Role::Victim && h.victim == entity.name)
    });
    // The label is the entity's name, as in the public packs, so that every tagged address of a
    // service names the same entity; what the address is goes in the context.
    let _ = writeln!(out, "- address: {}", quote(&a.address));
    let _ = writeln!(out, "  label: {}", quote(&entity.name));
    let _ = writeln!(out, "  category: {}", concept(entity.category, a.role));
    let _ = writeln!(out, "  currency: {cur}");
    let _ = writeln!(out, "  network: {cur}");
    match (entity.category, a.role) {
        (Category::Thief, _) => {
            let _ = writeln!(out, "  abuse: service_hack");
            let _ = writeln!(out, "  confidence: forensic_investigation");
            let _ = writeln!(out, "  tag_type: actor");
        }
        (_, Role::Victim) => {
            let _ = writeln!(out, "  confidence: forensic_investigation");
            let _ = writeln!(out, "  tag_type: event");
        }
        (_, Role::Coinbase) => {
            let _ = writeln!(out, "  confidence: ledger_immanent");
        }
        _ => {
            let _ = writeln!(out, "  is_cluster_definer: true");
        }
    }
    let role = role_text(a.role);
    let context = match heist {
        Some(h) => format!(
            "{{\"role\": \"{role}\", \"heist\": \"{}\", \"date\": \"{}\"}}",
            h.name, h.date
        ),
        None => format!("{{\"role\": \"{role}\"}}"),
    };
    let _ = writeln!(out, "  context: {}", quote(&context));
}

/// The day-one TagPack YAML document of `truth`.
pub fn tagpack_yaml(truth: &GroundTruth) -> String {
    let mut out = String::new();
    let date = crate::world_date(truth.start_timestamp);
    let _ = writeln!(
        out,
        "title: chaintrail simulated world (seed {}), day-one labels",
        truth.seed
    );
    let _ = writeln!(out, "creator: chaintrail-sim");
    let _ = writeln!(
        out,
        "description: What an investigator knows on day one (service hot wallets, public contracts, victims, exploiters); addresses exist only in the world's regtest/anvil chains"
    );
    let _ = writeln!(out, "is_public: true");
    let _ = writeln!(out, "confidence: service_data");
    let _ = writeln!(out, "source: chaintrail-sim");
    let _ = writeln!(out, "lastmod: {date}");
    let _ = writeln!(out, "tags:");
    for entity in &truth.entities {
        for a in entity.addresses.iter().filter(|a| a.day_one_labelled) {
            write_tag(&mut out, truth, entity, a);
        }
    }
    out
}
