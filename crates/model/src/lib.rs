//! The model of srmatrix: the AWS Shared Responsibility Model as data, and the assessment of an
//! inventory against it.
//!
//! - [`vocab`]: owners (AWS, Shared, Customer) and service categories (infrastructure, container,
//!   abstracted).
//! - [`catalog`]: services with every identifier they are known by, controls with their
//!   responsibility split per category, and service-specific statements, loaded from the catalog
//!   files and validated ([`Catalog::load`]).
//! - [`resolve`]: how a row finds its service: its identifier at namespace level, then the
//!   resource-type rules that give EBS volumes to EBS and VPCs to VPC.
//! - [`requirements`]: every requirement of a framework version, in its order, and the
//!   baselines that select some of them: the rows of the framework registers.
//! - [`assess`]: inventory records in, an [`Assessment`] out: the services in use with their
//!   accounts, regions and teams, each with its resolved responsibilities, the identifiers that
//!   could not be mapped, and findings.

pub mod assess;
pub mod catalog;
mod distinct;
pub mod error;
pub mod policy;
pub mod requirements;
pub mod resolve;
pub mod vocab;

pub use assess::{
    AssessOptions, Assessment, AssessmentBuilder, Finding, InventoryRecord, RowKind, Severity,
};
pub use catalog::{
    AwsComponent, Basis, BillingCode, BillingGroup, Catalog, CatalogSources, Control, Deployment,
    GuidanceCategory, Identified, Lifecycle, LifecycleStatus, Responsibility, Service, Taxonomy,
};
pub use error::{CatalogError, Problem};
pub use policy::{Policy, PolicyDecision, Scope};
pub use resolve::{Resolver, ResourceFacts, ResourceRule, RuleKind};
pub use vocab::{Category, Owner};

/// Lower-case hexadecimal of bytes (a digest as `sha256sum` prints it).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_two_lower_case_digits_per_byte() {
        let all: Vec<u8> = (0..=255).collect();
        let by_format: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(super::hex(&all), by_format);
        assert_eq!(super::hex(&[]), "");
    }
}
