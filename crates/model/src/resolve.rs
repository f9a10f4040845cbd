//! How an inventory row finds its service.
//!
//! First the identifier the row names (a billing code, an IAM prefix, a CloudFormation type, an
//! ARN ...) is looked up, which finds the service that owns the identifier's namespace: every
//! `AWS::EC2::*` type, `arn:aws:ec2:…` ARN and `AmazonEC2` charge is EC2 at this level. Then the
//! resource decides: the rules of `resource-types.csv` move a row from the namespace's service to
//! the service its resource belongs to (an `AWS::EC2::Volume`, an ARN `…:volume/vol-…`, a CUR
//! charge for `vol-…` or of product family `Storage` are EBS). A rule only applies to rows whose
//! namespace-level service is the rule's own, so a rule can never move a row across namespaces.
//!
//! [`Resolver`] holds both steps; [`Catalog`](crate::Catalog) owns one and the assessment builder
//! shares it, so that every importer, `explain` and the report resolve the same way.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{Identified, Service, SourceFile, csv_rows_at};
use crate::error::{CatalogError, Problem};

/// File name of the resource-type rules.
pub const RESOURCE_TYPES_FILE: &str = "resource-types.csv";

/// What a resource rule matches.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// A CloudFormation / AWS Config resource type, exactly (`AWS::EC2::Volume`).
    CfnType,
    /// A prefix of an ARN's resource part in one ARN namespace (`ec2` + `volume/`).
    Arn,
    /// A prefix of a bare resource id (`vol-`).
    IdPrefix,
    /// A billing product family, exactly (`Storage`, `NAT Gateway`).
    ProductFamily,
    /// A piece of a billing usage type (`Fargate-vCPU-Hours`), case-sensitive as AWS writes
    /// usage types.
    UsageType,
    /// The start of a database engine name (`aurora` for `aurora-mysql` and `Aurora MySQL`),
    /// applied last, to the service the other rules gave.
    Engine,
}

impl RuleKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [RuleKind; 6] = [
        RuleKind::CfnType,
        RuleKind::Arn,
        RuleKind::IdPrefix,
        RuleKind::ProductFamily,
        RuleKind::UsageType,
        RuleKind::Engine,
    ];

    /// The kind as written in `resource-types.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::CfnType => "cfn-type",
            RuleKind::Arn => "arn",
            RuleKind::IdPrefix => "id-prefix",
            RuleKind::ProductFamily => "product-family",
            RuleKind::UsageType => "usage-type",
            RuleKind::Engine => "engine",
        }
    }

    /// What the kind matches, in words for reports (`resource type`).
    pub fn describe(self) -> &'static str {
        match self {
            RuleKind::CfnType => "resource type",
            RuleKind::Arn => "ARN resource",
            RuleKind::IdPrefix => "resource id prefix",
            RuleKind::ProductFamily => "product family",
            RuleKind::UsageType => "usage type",
            RuleKind::Engine => "database engine",
        }
    }
}

/// One line of `resource-types.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceRule {
    /// What it matches.
    pub kind: RuleKind,
    /// The namespace it applies in: a CloudFormation namespace (`AWS::EC2`) for `cfn-type`, an
    /// ARN namespace (`ec2`) for `arn`, a catalog service id for the others.
    pub namespace: String,
    /// The resource type, prefix or piece it matches.
    pub pattern: String,
    /// The service the rule gives, by index in [`Catalog::services`](crate::Catalog).
    #[serde(skip)]
    pub service: usize,
    /// The service a row must have at namespace level for the rule to apply; `None` for a
    /// namespace that names no catalog service (SAM's `AWS::Serverless`): the rule then applies
    /// to rows whose identifier names nothing.
    #[serde(skip)]
    pub base: Option<usize>,
    /// Where the fact comes from.
    pub source: String,
    /// Line in the file.
    pub line: u64,
}

impl ResourceRule {
    /// The rule in words: `resource type AWS::EC2::Volume`, `ARN resource ec2:volume/`.
    pub fn describe(&self) -> String {
        match self.kind {
            RuleKind::Arn => format!(
                "{} {}:{}",
                self.kind.describe(),
                self.namespace,
                self.pattern
            ),
            kind => format!("{} {}", kind.describe(), self.pattern),
        }
    }
}

/// What a row says about its resource, besides the service identifier.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResourceFacts<'a> {
    /// The service identifier as written (may itself be a resource type or an ARN).
    pub service: &'a str,
    /// Resource type: a CloudFormation type, a Tag Editor type (`Volume`), a Resource Explorer
    /// type (`ec2:volume`) or a billing product family.
    pub resource_type: &'a str,
    /// Resource id or ARN.
    pub resource_id: &'a str,
    /// Billing usage type.
    pub usage_type: &'a str,
    /// Database engine.
    pub engine: &'a str,
}

/// The rules that can move rows away from one namespace-level service.
#[derive(Debug, Clone, Default)]
struct BaseRules {
    /// `arn` rules, longest pattern first.
    arn: Vec<u32>,
    /// The `arn` rules a resource can match by its first byte (EC2 has 103 rules).
    arn_first: ByFirstByte,
    /// `id-prefix` rules, longest pattern first.
    id_prefix: Vec<u32>,
    /// The `id_prefix` rules an id can match by its first byte (EC2 has 74 rules).
    id_prefix_first: ByFirstByte,
    product_family: Vec<u32>,
    usage_type: Vec<u32>,
    /// `engine` rules, longest pattern first.
    engine: Vec<u32>,
}

/// The rules of a list (by index in [`Resolver::rules`]) whose pattern can match a text
/// starting with a given byte, in the list's order: those whose pattern starts with the byte in
/// either case (patterns are never empty: loading refuses them). A row's id or ARN is checked
/// against these only, not against every rule of its service with a byte comparison each (that
/// scan was about a thousand instructions per EC2 row).
#[derive(Debug, Clone, Default)]
struct ByFirstByte {
    /// Where each lower-case byte's rules start in `rules`; 257 entries (the last ends them).
    starts: Vec<u32>,
    rules: Vec<u32>,
}

impl ByFirstByte {
    fn new(list: &[u32], rules: &[ResourceRule]) -> ByFirstByte {
        let first = |r: u32| {
            let p = rules[r as usize].pattern.as_bytes();
            p.first().map_or(0, u8::to_ascii_lowercase)
        };
        let mut index = ByFirstByte::default();
        for byte in 0..=u8::MAX {
            index.starts.push(index.rules.len() as u32);
            index
                .rules
                .extend(list.iter().copied().filter(|&r| first(r) == byte));
        }
        index.starts.push(index.rules.len() as u32);
        index
    }

    /// The rules that can match a text whose first byte is `first` (any case).
    fn candidates(&self, first: u8) -> &[u32] {
        let b = usize::from(first.to_ascii_lowercase());
        match (self.starts.get(b), self.starts.get(b + 1)) {
            (Some(&from), Some(&to)) => self.rules.get(from as usize..to as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// Identifier lookup and resource rules (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    index: HashMap<String, Identified>,
    rules: Vec<ResourceRule>,
    /// `cfn-type` rules by lower-case type.
    cfn: HashMap<String, u32>,
    /// Looked up for every row a rule may move: a fixed, fast hasher (the keys are the catalog's
    /// own service indexes, not input).
    by_base: HashMap<Option<usize>, BaseRules, foldhash::fast::FixedState>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    kind: String,
    namespace: String,
    pattern: String,
    service: String,
    source: String,
}

/// Whether `s` starts with `arn:` in any case (never splits a character: any text may come in).
pub fn is_arn(s: &str) -> bool {
    s.as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"arn:"))
}

/// The pieces of an ARN: `arn:partition:namespace:region:account:resource`.
fn arn_namespace_resource(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.get(4..).filter(|_| is_arn(arn))?;
    let mut parts = rest.splitn(5, ':');
    let (_partition, namespace) = (parts.next()?, parts.next()?);
    let (_region, _account, resource) = (parts.next()?, parts.next()?, parts.next()?);
    if namespace.is_empty() || resource.is_empty() {
        return None;
    }
    Some((namespace, resource))
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

impl Resolver {
    /// A resolver over an identifier index and no resource rules.
    pub(crate) fn new(index: HashMap<String, Identified>) -> Resolver {
        Resolver {
            index,
            ..Resolver::default()
        }
    }

    /// Reads `resource-types.csv`; every problem (unknown kind or service, a namespace that names
    /// no service, a rule given twice) is reported with its line.
    pub(crate) fn load_rules(
        &mut self,
        file: &SourceFile,
        services: &[Service],
        problems: &mut Vec<Problem>,
    ) -> Result<(), CatalogError> {
        let problem = |line: u64, message: String| Problem {
            file: file.origin.clone(),
            line,
            column: 1,
            message,
        };
        let service_index = |id: &str| services.binary_search_by(|s| s.id.as_str().cmp(id)).ok();
        let mut seen: HashMap<(RuleKind, String, String), u64> = HashMap::new();
        for (line, raw) in csv_rows_at::<RawRule>(file, problems)? {
            let Some(kind) = RuleKind::ALL.into_iter().find(|k| k.as_str() == raw.kind) else {
                let known: Vec<&str> = RuleKind::ALL.iter().map(|k| k.as_str()).collect();
                problems.push(problem(
                    line,
                    format!(
                        "unknown kind `{}` (expected {} or {})",
                        raw.kind,
                        known[..known.len() - 1].join(", "),
                        known[known.len() - 1]
                    ),
                ));
                continue;
            };
            let Some(service) = service_index(&raw.service) else {
                problems.push(problem(line, format!("unknown service `{}`", raw.service)));
                continue;
            };
            if raw.pattern.is_empty() || raw.source.is_empty() {
                problems.push(problem(
                    line,
                    "a rule needs a pattern and a source".to_owned(),
                ));
                continue;
            }
            let base: Option<Identified> = match kind {
                RuleKind::CfnType => {
                    let ns = raw.namespace.to_lowercase();
                    let mut parts = raw.pattern.split("::");
                    let ok = matches!(
                        (parts.next(), parts.next(), parts.next(), parts.next()),
                        (Some(v), Some(n), Some(t), None)
                            if !v.is_empty() && !n.is_empty() && !t.is_empty()
                                && format!("{v}::{n}").to_lowercase() == ns
                    );
                    if !ok {
                        problems.push(problem(
                            line,
                            format!(
                                "`{}` is not a resource type of the namespace `{}` (Vendor::Service::Type)",
                                raw.pattern, raw.namespace
                            ),
                        ));
                        continue;
                    }
                    self.index.get(&ns).copied()
                }
                RuleKind::Arn => self.index.get(&raw.namespace.to_lowercase()).copied(),
                _ => match service_index(&raw.namespace) {
                    Some(i) => Some(Identified::Service(i)),
                    None => {
                        problems.push(problem(
                            line,
                            format!(
                                "namespace `{}` is not a catalog service id: a {} rule applies to the rows of that service",
                                raw.namespace,
                                kind.as_str()
                            ),
                        ));
                        continue;
                    }
                },
            };
            let base = match base {
                Some(Identified::Service(b)) => Some(b),
                None => None,
                Some(Identified::Billing(_)) => {
                    problems.push(problem(
                        line,
                        format!(
                            "namespace `{}` is a billing code, not a service namespace",
                            raw.namespace
                        ),
                    ));
                    continue;
                }
            };
            let key = (
                kind,
                raw.namespace.to_lowercase(),
                raw.pattern.to_lowercase(),
            );
            if let Some(first) = seen.insert(key, line) {
                problems.push(problem(
                    line,
                    format!(
                        "{} rule `{}` in `{}` is given twice (first on line {first})",
                        kind.as_str(),
                        raw.pattern,
                        raw.namespace
                    ),
                ));
                continue;
            }
            let at = self.rules.len() as u32;
            self.rules.push(ResourceRule {
                kind,
                namespace: raw.namespace,
                pattern: raw.pattern,
                service,
                base,
                source: raw.source,
                line,
            });
            let rule = &self.rules[at as usize];
            if kind == RuleKind::CfnType {
                self.cfn.insert(rule.pattern.to_lowercase(), at);
                continue;
            }
            let b = self.by_base.entry(base).or_default();
            match kind {
                RuleKind::Arn => b.arn.push(at),
                RuleKind::IdPrefix => b.id_prefix.push(at),
                RuleKind::ProductFamily => b.product_family.push(at),
                RuleKind::UsageType => b.usage_type.push(at),
                RuleKind::Engine => b.engine.push(at),
                RuleKind::CfnType => {}
            }
        }
        // Longest prefix first; file order among equals.
        let rules = &self.rules;
        for b in self.by_base.values_mut() {
            for list in [
                &mut b.arn,
                &mut b.id_prefix,
                &mut b.usage_type,
                &mut b.engine,
            ] {
                list.sort_by_key(|&r| std::cmp::Reverse(rules[r as usize].pattern.len()));
            }
            b.id_prefix_first = ByFirstByte::new(&b.id_prefix, rules);
            b.arn_first = ByFirstByte::new(&b.arn, rules);
        }
        for &r in self.cfn.values() {
            self.by_base.entry(self.rules[r as usize].base).or_default();
        }
        Ok(())
    }

    /// The resource rules, in file order.
    pub fn rules(&self) -> &[ResourceRule] {
        &self.rules
    }

    /// Finds what an identifier names at namespace level (see
    /// [`Catalog::lookup`](crate::Catalog::lookup) for the forms accepted).
    pub fn identify(&self, identifier: &str) -> Option<Identified> {
        let trimmed = identifier.trim();
        if trimmed.is_empty() {
            return None;
        }
        let key = trimmed.to_lowercase();
        if let Some(&i) = self.index.get(&key) {
            return Some(i);
        }
        if key.starts_with("arn:") {
            // A partial or scrambled ARN is not trusted to name a service.
            let (namespace, _) = arn_namespace_resource(&key)?;
            return self.index.get(namespace).copied();
        }
        let mut parts = key.split("::");
        if let (Some(vendor), Some(ns), Some(_)) = (parts.next(), parts.next(), parts.next()) {
            return self.index.get(&format!("{vendor}::{ns}")).copied();
        }
        if !key.contains(':') {
            // A bare CloudFormation service name, as Tag Editor writes it (`ElasticLoadBalancingV2`).
            if let Some(&i) = self.index.get(&format!("aws::{key}")) {
                return Some(i);
            }
            // A CloudTrail event source or endpoint (`ec2.amazonaws.com`).
            if let Some(prefix) = key.strip_suffix(".amazonaws.com") {
                return self.index.get(prefix).copied();
            }
        }
        None
    }

    /// Whether rows of this namespace-level service (`None`: of an identifier that names
    /// nothing) can be moved by a resource rule.
    pub fn has_rules(&self, base: Option<usize>) -> bool {
        self.by_base.contains_key(&base)
    }

    /// The rule that moves a row of namespace-level service `base`, by index in
    /// [`Resolver::rules`]: the row's resource type first, then its ARN, its resource id, its
    /// product family and its usage type. `None`: the row stays with `base`.
    pub fn refine(&self, base: Option<usize>, facts: &ResourceFacts<'_>) -> Option<u32> {
        let rule = self.refine_resource(base, facts);
        self.refine_engine(base, rule, facts)
    }

    /// The engine's rule, which decides last, within the service the resource gave (an Aurora
    /// cluster whose engine is `docdb` is DocumentDB); else `rule`.
    pub(crate) fn refine_engine(
        &self,
        base: Option<usize>,
        rule: Option<u32>,
        facts: &ResourceFacts<'_>,
    ) -> Option<u32> {
        let engine = facts.engine.trim();
        if !engine.is_empty() {
            let current = rule.map_or(base, |r| Some(self.rules[r as usize].service));
            if let Some(b) = self.by_base.get(&current) {
                for &r in &b.engine {
                    if starts_with_ignore_case(engine, &self.rules[r as usize].pattern) {
                        return Some(r);
                    }
                }
            }
        }
        rule
    }

    /// [`Resolver::refine`] without the engine.
    fn refine_resource(&self, base: Option<usize>, facts: &ResourceFacts<'_>) -> Option<u32> {
        let parts = self.refine_by_type(base, facts)?;
        parts.combine(self.refine_by_id(base, facts))
    }

    /// What of [`Resolver::refine`] does not depend on the resource id: the same for every row
    /// with the same identifier, resource type, usage type (and base), so that it can be
    /// remembered per such combination. `None`: no rule can move rows of `base`.
    pub(crate) fn refine_by_type(
        &self,
        base: Option<usize>,
        facts: &ResourceFacts<'_>,
    ) -> Option<TypeRules> {
        let b = self.by_base.get(&base)?;
        let early = self.refine_early(base, b, facts);
        let ty = facts.resource_type.trim();
        let mut late = None;
        if !ty.is_empty() {
            late = b
                .product_family
                .iter()
                .copied()
                .find(|&r| self.rules[r as usize].pattern.eq_ignore_ascii_case(ty));
        }
        let usage = facts.usage_type.trim();
        if late.is_none() && !usage.is_empty() {
            late = b
                .usage_type
                .iter()
                .copied()
                .find(|&r| usage.contains(self.rules[r as usize].pattern.as_str()));
        }
        Some(TypeRules { early, late })
    }

    /// The rule the resource id (or an ARN as the identifier) gives, for rows of `base`.
    pub(crate) fn refine_by_id(
        &self,
        base: Option<usize>,
        facts: &ResourceFacts<'_>,
    ) -> Option<u32> {
        let b = self.by_base.get(&base)?;
        let service = facts.service.trim();
        let id = facts.resource_id.trim();
        for arn in [id, service] {
            if let Some((ns, resource)) = arn_namespace_resource(arn) {
                let first = resource.as_bytes().first().copied().unwrap_or(0);
                for &r in b.arn_first.candidates(first) {
                    let rule = &self.rules[r as usize];
                    if rule.namespace.eq_ignore_ascii_case(ns)
                        && starts_with_ignore_case(resource, &rule.pattern)
                    {
                        return Some(r);
                    }
                }
            }
        }
        if let Some(&first) = id.as_bytes().first()
            && !id.starts_with("arn:")
        {
            for &r in b.id_prefix_first.candidates(first) {
                if starts_with_ignore_case(id, &self.rules[r as usize].pattern) {
                    return Some(r);
                }
            }
        }
        None
    }

    /// The type rules that decide before the resource id: `Some(rule or none)` when they decide.
    fn refine_early(
        &self,
        base: Option<usize>,
        b: &BaseRules,
        facts: &ResourceFacts<'_>,
    ) -> Option<Option<u32>> {
        let of_base = |r: u32| (self.rules[r as usize].base == base).then_some(r);
        let ty = facts.resource_type.trim();
        let service = facts.service.trim();
        // A CloudFormation / Config type, in the type column or as the identifier itself.
        for candidate in [ty, service] {
            if candidate.contains("::")
                && let Some(&r) = self.cfn.get(&candidate.to_lowercase())
            {
                return Some(of_base(r));
            }
        }
        if !ty.is_empty() && !ty.contains(':') && !service.is_empty() && !service.contains(':') {
            // Tag Editor: service `EC2`, type `Volume`.
            if let Some(&r) = self
                .cfn
                .get(&format!("aws::{service}::{ty}").to_lowercase())
                && let Some(r) = of_base(r)
            {
                return Some(Some(r));
            }
        }
        if let Some((ns, rtype)) = ty.split_once(':').filter(|(_, t)| !t.contains(':')) {
            // Resource Explorer: `ec2:volume`.
            for &r in &b.arn {
                let rule = &self.rules[r as usize];
                if rule.namespace.eq_ignore_ascii_case(ns)
                    && rule
                        .pattern
                        .trim_end_matches(['/', ':'])
                        .eq_ignore_ascii_case(rtype)
                {
                    return Some(Some(r));
                }
            }
        }
        None
    }

    /// Resolves a row: the namespace-level identification and, for a service, the rule that
    /// moved it (if any).
    pub fn resolve(&self, facts: &ResourceFacts<'_>) -> Resolution {
        let mut identified = self.identify(facts.service);
        if identified.is_none() && facts.service.trim().is_empty() {
            identified = self.identify(facts.resource_id);
        }
        let rule = match identified {
            Some(Identified::Service(base)) => self.refine(Some(base), facts),
            Some(Identified::Billing(_)) => None,
            None => self.refine(None, facts),
        };
        Resolution { identified, rule }
    }

    /// The service a resolution gives, by index in [`Catalog::services`](crate::Catalog).
    pub fn service_of(&self, resolution: &Resolution) -> Option<usize> {
        match (resolution.rule, resolution.identified) {
            (Some(r), _) => Some(self.rules[r as usize].service),
            (None, Some(Identified::Service(s))) => Some(s),
            _ => None,
        }
    }
}

/// The part of a row's resolution that does not depend on its resource id (see
/// [`Resolver::refine_by_type`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TypeRules {
    /// `Some` when the resource type (or a type as the identifier) decides before the id.
    early: Option<Option<u32>>,
    /// The product family's or usage type's rule, which the id's rule goes before.
    late: Option<u32>,
}

impl TypeRules {
    /// The rule of a row, given what its resource id says (engine not included).
    pub(crate) fn combine(self, by_id: Option<u32>) -> Option<u32> {
        match self.early {
            Some(decided) => decided,
            None => by_id.or(self.late),
        }
    }

    /// Whether the resource id can change the outcome.
    pub(crate) fn needs_id(self) -> bool {
        self.early.is_none()
    }
}

/// How one row was resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    /// What the identifier names at namespace level (nothing, for SAM's `AWS::Serverless::*`
    /// types, which only a rule resolves).
    pub identified: Option<Identified>,
    /// The resource rule that moved the row to another service, by index in
    /// [`Resolver::rules`].
    pub rule: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn resolve<'c>(cat: &'c Catalog, facts: ResourceFacts<'_>) -> Option<&'c str> {
        let r = cat.resolver().resolve(&facts);
        cat.resolver()
            .service_of(&r)
            .map(|s| cat.services[s].id.as_str())
    }

    fn facts<'a>(service: &'a str, ty: &'a str, id: &'a str, usage: &'a str) -> ResourceFacts<'a> {
        ResourceFacts {
            service,
            resource_type: ty,
            resource_id: id,
            usage_type: usage,
            engine: "",
        }
    }

    #[test]
    fn the_resource_decides_within_a_namespace() {
        let cat = Catalog::builtin().unwrap();
        let cases = [
            // AWS Config: the type is the identifier.
            (
                facts("AWS::EC2::Volume", "AWS::EC2::Volume", "vol-1", ""),
                "ebs",
            ),
            (facts("AWS::EC2::VPC", "AWS::EC2::VPC", "vpc-1", ""), "vpc"),
            (
                facts(
                    "AWS::EC2::TransitGateway",
                    "AWS::EC2::TransitGateway",
                    "tgw-1",
                    "",
                ),
                "transit-gateway",
            ),
            (
                facts(
                    "AWS::EC2::VPNConnection",
                    "AWS::EC2::VPNConnection",
                    "vpn-1",
                    "",
                ),
                "vpn",
            ),
            (
                facts("AWS::EC2::Instance", "AWS::EC2::Instance", "i-1", ""),
                "ec2",
            ),
            // ARN lists.
            (
                facts(
                    "",
                    "",
                    "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1",
                    "",
                ),
                "ebs",
            ),
            (
                facts(
                    "",
                    "",
                    "arn:aws:ec2:eu-west-1:123456789012:instance/i-1",
                    "",
                ),
                "ec2",
            ),
            (
                facts(
                    "arn:aws:ec2:eu-west-1:123456789012:transit-gateway/tgw-1",
                    "",
                    "",
                    "",
                ),
                "transit-gateway",
            ),
            // Tag Editor: service and short type.
            (facts("EC2", "Volume", "vol-1", ""), "ebs"),
            (facts("EC2", "VPC", "vpc-1", ""), "vpc"),
            // CUR: bare ids under AmazonEC2.
            (facts("AmazonEC2", "Storage", "vol-0abc", ""), "ebs"),
            (facts("AmazonEC2", "Compute Instance", "i-0abc", ""), "ec2"),
            (facts("AmazonEC2", "", "nat-0abc", ""), "vpc"),
            // SAM.
            (
                facts(
                    "AWS::Serverless::Function",
                    "AWS::Serverless::Function",
                    "",
                    "",
                ),
                "lambda",
            ),
            // Usage types: ECS tasks on Fargate, Aurora storage billed as RDS.
            (
                facts("AmazonECS", "", "", "USE1-Fargate-vCPU-Hours:perCPU"),
                "fargate",
            ),
            (facts("AmazonECS", "", "", "USE1-ECS-EC2-GB-Hours"), "ecs"),
            (facts("AmazonRDS", "", "", "Aurora:StorageUsage"), "aurora"),
            // Resource Explorer types.
            (facts("ec2", "ec2:volume", "", ""), "ebs"),
        ];
        for (f, want) in cases {
            assert_eq!(resolve(&cat, f), Some(want), "{f:?}");
        }
        // The engine decides last: a DBCluster is Aurora by default, DocumentDB by its engine.
        let engine = |service, ty, engine| ResourceFacts {
            service,
            resource_type: ty,
            engine,
            ..ResourceFacts::default()
        };
        let cases = [
            (
                engine("AWS::RDS::DBCluster", "AWS::RDS::DBCluster", ""),
                "aurora",
            ),
            (
                engine(
                    "AWS::RDS::DBCluster",
                    "AWS::RDS::DBCluster",
                    "aurora-postgresql",
                ),
                "aurora",
            ),
            (
                engine("AWS::RDS::DBCluster", "AWS::RDS::DBCluster", "docdb"),
                "documentdb",
            ),
            (
                engine("AWS::RDS::DBCluster", "AWS::RDS::DBCluster", "neptune"),
                "neptune",
            ),
            (
                engine("AWS::RDS::DBCluster", "AWS::RDS::DBCluster", "postgres"),
                "rds",
            ),
            (
                engine("AWS::RDS::DBInstance", "AWS::RDS::DBInstance", "docdb"),
                "documentdb",
            ),
            (
                engine("AmazonRDS", "Database Instance", "Aurora MySQL"),
                "aurora",
            ),
            (engine("AmazonRDS", "Database Instance", "MySQL"), "rds"),
        ];
        for (f, want) in cases {
            assert_eq!(resolve(&cat, f), Some(want), "{f:?}");
        }
    }

    #[test]
    fn is_arn_never_cuts_a_character() {
        assert!(is_arn("arn:aws:s3:::b") && is_arn("ARN:") && is_arn("Arn:x"));
        for s in ["", "arn", "arn-x", "Café", "arñ:", "é", "aws:arn:"] {
            assert!(!is_arn(s), "{s:?}");
        }
    }

    #[test]
    fn a_rule_never_moves_a_row_across_namespaces() {
        let cat = Catalog::builtin().unwrap();
        // An S3 row whose id looks like an EBS volume stays S3.
        assert_eq!(
            resolve(&cat, facts("AmazonS3", "", "vol-0abc", "")),
            Some("s3")
        );
        // An EC2 type under another service's identifier is not followed.
        assert_eq!(
            resolve(&cat, facts("AmazonS3", "AWS::EC2::Volume", "", "")),
            Some("s3")
        );
    }

    #[test]
    fn identifiers_of_endpoints_and_event_sources_resolve() {
        let cat = Catalog::builtin().unwrap();
        assert_eq!(
            resolve(&cat, facts("ec2.amazonaws.com", "", "", "")),
            Some("ec2")
        );
        assert_eq!(
            resolve(&cat, facts("s3.amazonaws.com", "", "", "")),
            Some("s3")
        );
        // Cost Explorer's and the billing codes' own spellings.
        for (ident, want) in [
            ("Amazon Elastic Load Balancing", "elb"),
            ("AmazonRegistrar", "route53"),
            ("AWS::Serverless::SimpleTable", "dynamodb"),
        ] {
            assert_eq!(
                resolve(&cat, facts(ident, ident, "", "")),
                Some(want),
                "{ident}"
            );
        }
    }

    #[test]
    fn bad_rules_are_problems_with_their_line() {
        let mut src = crate::CatalogSources::builtin();
        src.resource_types.text = "kind,namespace,pattern,service,source\n\
            cfn-type,AWS::EC2,AWS::EC2::Volume,ebs,x\n\
            cfn-type,AWS::EC2,AWS::EC2::Volume,ebs,x\n\
            cfn-type,AWS::EC2,AWS::S3::Bucket,s3,x\n\
            id-prefix,nosuchservice,vol-,ebs,x\n\
            id-prefix,ec2,vol-,nosuchservice,x\n\
            shape,ec2,vol-,ebs,x\n"
            .to_owned();
        let err = Catalog::load(&src).unwrap_err().to_string();
        for want in [
            ":3:1: cfn-type rule `AWS::EC2::Volume` in `AWS::EC2` is given twice (first on line 2)",
            ":4:1: `AWS::S3::Bucket` is not a resource type of the namespace `AWS::EC2`",
            ":6:1: unknown service `nosuchservice`",
            ":5:1: namespace `nosuchservice` is not a catalog service id",
            ":7:1: unknown kind `shape`",
        ] {
            assert!(err.contains(want), "{want}\n{err}");
        }
    }

    /// Patterns and ids match in any case, whichever case a pattern's first letter is in (the
    /// rules an id is checked against are chosen by that letter).
    #[test]
    fn patterns_match_in_any_case() {
        let mut src = crate::CatalogSources::builtin();
        src.resource_types.text = "kind,namespace,pattern,service,source\n\
            id-prefix,ec2,VOL-,ebs,x\n\
            arn,ec2,Volume/,ebs,x\n"
            .to_owned();
        let cat = Catalog::load(&src).unwrap();
        let r = cat.resolver();
        let rule_of = |id: &str| {
            r.resolve(&facts("ec2", "", id, ""))
                .rule
                .map(|i| r.rules()[i as usize].pattern.as_str())
        };
        for id in ["vol-1", "VOL-1", "Vol-1"] {
            assert_eq!(rule_of(id), Some("VOL-"), "{id}");
        }
        for id in [
            "arn:aws:ec2:us-east-1:123456789012:volume/x",
            "arn:aws:ec2:us-east-1:123456789012:VOLUME/x",
        ] {
            assert_eq!(rule_of(id), Some("Volume/"), "{id}");
        }
        for id in [
            "vo-1",
            "i-1",
            "arn:aws:ec2:us-east-1:123456789012:instance/x",
        ] {
            assert_eq!(rule_of(id), None, "{id}");
        }
    }

    /// `refine_resource` as it was before it was split for the memo (the reference).
    fn reference_refine_resource(
        this: &Resolver,
        base: Option<usize>,
        facts: &ResourceFacts<'_>,
    ) -> Option<u32> {
        let self_ = this;
        let b = self_.by_base.get(&base)?;
        let of_base = |r: u32| (self_.rules[r as usize].base == base).then_some(r);
        let ty = facts.resource_type.trim();
        let service = facts.service.trim();
        // A CloudFormation / Config type, in the type column or as the identifier itself_.
        for candidate in [ty, service] {
            if candidate.contains("::")
                && let Some(&r) = self_.cfn.get(&candidate.to_lowercase())
            {
                return of_base(r);
            }
        }
        if !ty.is_empty() && !ty.contains(':') && !service.is_empty() && !service.contains(':') {
            // Tag Editor: service `EC2`, type `Volume`.
            if let Some(&r) = self_
                .cfn
                .get(&format!("aws::{service}::{ty}").to_lowercase())
                && let Some(r) = of_base(r)
            {
                return Some(r);
            }
        }
        if let Some((ns, rtype)) = ty.split_once(':').filter(|(_, t)| !t.contains(':')) {
            // Resource Explorer: `ec2:volume`.
            for &r in &b.arn {
                let rule = &self_.rules[r as usize];
                if rule.namespace.eq_ignore_ascii_case(ns)
                    && rule
                        .pattern
                        .trim_end_matches(['/', ':'])
                        .eq_ignore_ascii_case(rtype)
                {
                    return Some(r);
                }
            }
        }
        let id = facts.resource_id.trim();
        for arn in [id, service] {
            if let Some((ns, resource)) = arn_namespace_resource(arn) {
                for &r in &b.arn {
                    let rule = &self_.rules[r as usize];
                    if rule.namespace.eq_ignore_ascii_case(ns)
                        && starts_with_ignore_case(resource, &rule.pattern)
                    {
                        return Some(r);
                    }
                }
            }
        }
        if !id.is_empty() && !id.starts_with("arn:") {
            for &r in &b.id_prefix {
                if starts_with_ignore_case(id, &self_.rules[r as usize].pattern) {
                    return Some(r);
                }
            }
        }
        if !ty.is_empty() {
            for &r in &b.product_family {
                if self_.rules[r as usize].pattern.eq_ignore_ascii_case(ty) {
                    return Some(r);
                }
            }
        }
        let usage = facts.usage_type.trim();
        if !usage.is_empty() {
            for &r in &b.usage_type {
                if usage.contains(self_.rules[r as usize].pattern.as_str()) {
                    return Some(r);
                }
            }
        }
        None
    }

    /// The memoisable split of `refine` (by type, by id, engine) gives what `refine` gave, for
    /// rows built from every rule's own patterns in every field, under every base with rules.
    #[test]
    fn refine_in_parts_equals_refine() {
        let cat = Catalog::builtin().unwrap();
        let r = cat.resolver();
        let mut pool: Vec<String> = vec![
            String::new(),
            "AmazonEC2".into(),
            "ec2".into(),
            "EC2".into(),
            "Volume".into(),
            "Compute Instance".into(),
            "Storage".into(),
            "aurora-mysql".into(),
            "docdb".into(),
        ];
        for rule in r.rules() {
            let p = &rule.pattern;
            pool.push(p.clone());
            pool.push(format!("{p}0abc"));
            pool.push(format!("USE1-{p}:x"));
            pool.push(format!(
                "arn:aws:{}:us-east-1:123456789012:{p}x",
                rule.namespace
            ));
            pool.push(format!(
                "arn:aws:{}:us-east-1:123456789012:{}x",
                rule.namespace.to_uppercase(),
                p.to_uppercase()
            ));
            pool.push(format!(
                "{}:{}",
                rule.namespace,
                p.trim_end_matches(['/', ':'])
            ));
            pool.push(rule.namespace.clone());
        }
        pool.sort();
        pool.dedup();
        let bases: Vec<Option<usize>> = r.by_base.keys().copied().collect();
        let mut x = 7u64;
        let mut pick = |n: usize| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as usize % n
        };
        for _ in 0..200_000 {
            let base = bases[pick(bases.len())];
            let f = ResourceFacts {
                service: &pool[pick(pool.len())],
                resource_type: &pool[pick(pool.len())],
                resource_id: &pool[pick(pool.len())],
                usage_type: &pool[pick(pool.len())],
                engine: &pool[pick(pool.len())],
            };
            let parts = r.refine_by_type(base, &f).and_then(|t| {
                let by_id = if t.needs_id() {
                    r.refine_by_id(base, &f)
                } else {
                    None
                };
                t.combine(by_id)
            });
            let reference = r.refine_engine(base, reference_refine_resource(r, base, &f), &f);
            assert_eq!(
                reference,
                r.refine_engine(base, parts, &f),
                "{base:?} {f:?}"
            );
            assert_eq!(reference, r.refine(base, &f), "{base:?} {f:?}");
        }
    }
}
