//! Every statement of the source articles (`../shared/seeds/`) holds in the catalog.
//!
//! `tests/data/seed-claims.toml` lists one claim per seed statement: the sentence quoted, the
//! service or category it is about, the control, the owner the seed gives, and words the
//! resolved AWS or customer text must contain. Each claim is checked against the built-in catalog,
//! and each quote against the seed file itself when `../shared/seeds/` is present.

use std::collections::BTreeSet;

use serde::Deserialize;
use srmatrix_model::{Catalog, Category, Owner, Responsibility};

use crate::util::repo;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    claim: Vec<Claim>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Claim {
    seed: String,
    quote: String,
    service: Option<String>,
    category: Option<String>,
    #[serde(default)]
    all_categories: bool,
    control: String,
    owner: String,
    #[serde(default)]
    aws_mentions: Vec<String>,
    #[serde(default)]
    customer_mentions: Vec<String>,
}

fn claims() -> Vec<Claim> {
    let text = std::fs::read_to_string(repo("tests/data/seed-claims.toml")).unwrap();
    toml::from_str::<Claims>(&text).unwrap().claim
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The responsibilities a claim is about, with a label for messages.
fn targets<'c>(
    catalog: &'c Catalog,
    claim: &Claim,
) -> Result<Vec<(String, &'c Responsibility)>, String> {
    let ci = catalog
        .control_index(&claim.control)
        .ok_or_else(|| format!("unknown control {}", claim.control))?;
    let control = &catalog.controls[ci];
    match (&claim.service, &claim.category, claim.all_categories) {
        (Some(s), None, false) => {
            let si = catalog
                .service_index(s)
                .ok_or_else(|| format!("unknown service {s}"))?;
            Ok(vec![(
                format!("service {s}"),
                catalog.resolve(si, ci).responsibility,
            )])
        }
        (None, Some(c), false) => {
            let cat: Category = c.parse()?;
            Ok(vec![(format!("category {c}"), control.for_category(cat))])
        }
        (None, None, true) => Ok(Category::ALL
            .iter()
            .map(|&c| (format!("category {c}"), control.for_category(c)))
            .collect()),
        _ => Err("a claim names exactly one of service, category, all_categories".into()),
    }
}

#[test]
fn every_seed_claim_holds_in_the_catalog() {
    let catalog = Catalog::builtin().unwrap();
    let claims = claims();
    let mut failures = Vec::new();
    for (i, claim) in claims.iter().enumerate() {
        let want: Owner = match claim.owner.parse() {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("claim {i}: {e}"));
                continue;
            }
        };
        let targets = match targets(&catalog, claim) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("claim {i} ({}): {e}", claim.quote));
                continue;
            }
        };
        for (label, r) in targets {
            let ctx = format!(
                "{} \"{}\" → {label} × {}",
                claim.seed, claim.quote, claim.control
            );
            if r.owner != want {
                failures.push(format!("{ctx}: owner is {}, the seed says {want}", r.owner));
            }
            for m in &claim.aws_mentions {
                if !r.aws.to_lowercase().contains(&m.to_lowercase()) {
                    failures.push(format!("{ctx}: AWS text lacks `{m}`: {}", r.aws));
                }
            }
            for m in &claim.customer_mentions {
                if !r.customer.to_lowercase().contains(&m.to_lowercase()) {
                    failures.push(format!("{ctx}: customer text lacks `{m}`: {}", r.customer));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} seed claim(s) fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn claims_cover_every_seed_and_the_named_examples() {
    let claims = claims();
    let seeds: BTreeSet<&str> = claims.iter().map(|c| c.seed.as_str()).collect();
    assert_eq!(seeds.len(), 5, "claims from all five seed files: {seeds:?}");
    for service in ["ec2", "rds", "s3"] {
        assert!(
            claims
                .iter()
                .filter(|c| c.service.as_deref() == Some(service))
                .count()
                >= 3,
            "the seeds' {service} example is checked"
        );
    }
    let table = claims.iter().filter(|c| c.seed.starts_with("002_")).count();
    assert!(table >= 13, "every row of the 002 summary table is checked");
}

#[test]
fn every_quote_is_in_its_seed() {
    let dir = repo("../shared/seeds");
    if !dir.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs with shared/ beside the repository; ../shared/seeds is missing"
        );
        eprintln!("skipped: {} not present", dir.display());
        return;
    }
    let mut missing = Vec::new();
    for claim in claims() {
        let text = std::fs::read_to_string(dir.join(&claim.seed))
            .unwrap_or_else(|e| panic!("{}: {e}", claim.seed));
        if !normalise(&text).contains(&normalise(&claim.quote)) {
            missing.push(format!("{}: {}", claim.seed, claim.quote));
        }
    }
    assert!(
        missing.is_empty(),
        "quotes not found in their seed:\n{}",
        missing.join("\n")
    );
}
