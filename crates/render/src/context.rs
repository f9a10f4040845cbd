//! The report context: one sorted, serialisable view of an assessment that every document is
//! rendered from. Templates see exactly this and nothing else.

use std::collections::BTreeMap;

use serde::Serialize;
use srmatrix_model::assess::{
    Assessment, Finding, InputSummary, UnmappedService, UnownedResources,
};
use srmatrix_model::{Catalog, Category, Owner};

/// What the caller knows about the run, beyond the assessment.
#[derive(Debug, Clone, Serialize)]
pub struct ReportMeta {
    /// Organisation the report is about.
    pub organisation: String,
    /// Period the inventory covers (`2026-Q3`).
    pub period: String,
    /// When the report was generated, RFC 3339 in UTC.
    pub generated_at: String,
    /// Tool name and version: `srmatrix 0.1.0`.
    pub tool: String,
}

/// Catalog facts shown in a report.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogInfo {
    /// Catalog name.
    pub name: String,
    /// Catalog version.
    pub version: String,
    /// Where each catalog file came from.
    pub origins: Vec<String>,
    /// Number of services in the catalog.
    pub services: usize,
    /// Number of controls.
    pub controls: usize,
}

/// A count with a label.
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    /// Machine key (`abstracted`, `Customer`, `high`).
    pub key: String,
    /// Label for people.
    pub label: String,
    /// The count.
    pub count: u64,
}

/// Summary numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Services in use.
    pub services: usize,
    /// Services in use per category.
    pub services_by_category: Vec<Count>,
    /// Matrix cells per owner.
    pub cells_by_owner: Vec<Count>,
    /// Catalog controls assessed per service.
    pub controls: usize,
    /// Data rows read.
    pub rows: u64,
    /// Rows mapped to a service.
    pub mapped_rows: u64,
    /// Mapped rows as a percentage with one decimal (`"97.5"`), `"n/a"` for an empty inventory.
    pub coverage_percent: String,
    /// Distinct identifiers that could not be mapped.
    pub unmapped_identifiers: usize,
    /// Resources without an owner team.
    pub unowned_resources: u64,
    /// Findings per severity.
    pub findings_by_severity: Vec<Count>,
}

/// A category with its description.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryView {
    /// Category id.
    pub id: Category,
    /// Title.
    pub title: String,
    /// Description (Markdown).
    pub description: String,
    /// Source of the definition.
    pub source: String,
    /// Services in use in this category.
    pub services: Vec<String>,
    /// The category's default responsibility for every control (empty when no service of the
    /// category is in use).
    pub defaults: Vec<ResponsibilityView>,
}

/// Requirement ids of one framework.
#[derive(Debug, Clone, Serialize)]
pub struct FrameworkRefs {
    /// Framework id.
    pub framework: String,
    /// Framework title.
    pub title: String,
    /// Requirement ids.
    pub ids: Vec<String>,
}

/// A control as listed in a report.
#[derive(Debug, Clone, Serialize)]
pub struct ControlView {
    /// Control id.
    pub id: String,
    /// Domain id.
    pub domain: String,
    /// Domain title.
    pub domain_title: String,
    /// Title.
    pub title: String,
    /// Description (Markdown).
    pub description: String,
    /// Framework references.
    pub frameworks: Vec<FrameworkRefs>,
    /// Framework references on one line: `nist-800-53: AC-2, IA-2; iso-27001: A.5.15`.
    pub frameworks_text: String,
    /// How many services in use have AWS, Shared and Customer as the owner of this control.
    pub owners: OwnerCounts,
}

/// How many controls or services have each owner.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OwnerCounts {
    /// Services where AWS owns the control.
    pub aws: u64,
    /// Services where the control is shared.
    pub shared: u64,
    /// Services where the customer owns the control.
    pub customer: u64,
}

/// One cell of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// Control id.
    pub control: String,
    /// Owner.
    pub owner: Owner,
    /// One-letter owner.
    pub letter: &'static str,
    /// Whether a service-specific statement set it.
    pub specific: bool,
}

/// One row of the matrix: a service and its owner per control.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    /// Service id.
    pub service: String,
    /// Service name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// One cell per control, in control order.
    pub cells: Vec<Cell>,
}

/// A responsibility of one service for one control.
#[derive(Debug, Clone, Serialize)]
pub struct ResponsibilityView {
    /// Control id.
    pub control: String,
    /// Control title.
    pub title: String,
    /// Domain title.
    pub domain: String,
    /// Owner.
    pub owner: Owner,
    /// What AWS does (Markdown).
    pub aws: String,
    /// What the customer does (Markdown).
    pub customer: String,
    /// Evidence to keep.
    pub evidence: Vec<String>,
    /// Teams that carry the customer side (empty when AWS owns the control).
    pub customer_teams: Vec<String>,
    /// Framework references on one line.
    pub frameworks: String,
    /// Source of the statement.
    pub source: String,
    /// `service-statement` or `category-default`.
    pub basis: String,
}

/// A team and how many resources it owns.
#[derive(Debug, Clone, Serialize)]
pub struct TeamCount {
    /// Team.
    pub team: String,
    /// Resources.
    pub resources: u64,
}

/// A service in use, with everything a reader needs about it.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceView {
    /// Service id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Category title.
    pub category_title: String,
    /// Why this category.
    pub category_reason: String,
    /// Identifiers the inventory used.
    pub spellings: Vec<String>,
    /// Accounts.
    pub accounts: Vec<String>,
    /// Regions.
    pub regions: Vec<String>,
    /// Owner teams.
    pub teams: Vec<TeamCount>,
    /// Environments.
    pub environments: Vec<String>,
    /// Data classifications.
    pub classifications: Vec<String>,
    /// Inventory rows.
    pub rows: u64,
    /// Resources.
    pub resources: u64,
    /// Resources without an owner team.
    pub unowned_resources: u64,
    /// Resources holding data of a sensitive classification.
    pub sensitive_resources: u64,
    /// Controls per owner for this service.
    pub owners: OwnerCounts,
    /// Number of controls set by a service-specific statement.
    pub specific_statements: usize,
    /// Responsibility per control.
    pub responsibilities: Vec<ResponsibilityView>,
}

/// The whole report context.
#[derive(Debug, Clone, Serialize)]
pub struct ReportContext {
    /// Report title.
    pub title: String,
    /// Run facts.
    pub meta: ReportMeta,
    /// Catalog facts.
    pub catalog: CatalogInfo,
    /// Accounts in scope.
    pub accounts: Vec<String>,
    /// Regions in scope.
    pub regions: Vec<String>,
    /// Owner teams seen.
    pub teams: Vec<String>,
    /// Inputs read.
    pub inputs: Vec<InputSummary>,
    /// Summary numbers.
    pub summary: Summary,
    /// Categories with their descriptions and services in use.
    pub categories: Vec<CategoryView>,
    /// Controls, in catalog order.
    pub controls: Vec<ControlView>,
    /// The responsibility matrix.
    pub matrix: Vec<MatrixRow>,
    /// Services in use.
    pub services: Vec<ServiceView>,
    /// Identifiers that could not be mapped.
    pub unmapped: Vec<UnmappedService>,
    /// Resources with no owner team.
    pub unowned: Vec<UnownedResources>,
    /// Findings.
    pub findings: Vec<Finding>,
}

impl OwnerCounts {
    fn add(&mut self, owner: Owner) {
        match owner {
            Owner::Aws => self.aws += 1,
            Owner::Shared => self.shared += 1,
            Owner::Customer => self.customer += 1,
        }
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "n/a".into();
    }
    // Integer arithmetic keeps the digits identical on every platform.
    let tenths = (part as u128 * 1000 + whole as u128 / 2) / whole as u128;
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn frameworks_of(catalog: &Catalog, refs: &BTreeMap<String, Vec<String>>) -> Vec<FrameworkRefs> {
    catalog
        .frameworks
        .iter()
        .filter_map(|f| {
            refs.get(&f.id)
                .filter(|ids| !ids.is_empty())
                .map(|ids| FrameworkRefs {
                    framework: f.id.clone(),
                    title: f.title.clone(),
                    ids: ids.clone(),
                })
        })
        .collect()
}

fn frameworks_text(refs: &[FrameworkRefs]) -> String {
    refs.iter()
        .map(|r| format!("{}: {}", r.framework, r.ids.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ReportContext {
    /// Builds the context of an assessment.
    pub fn new(assessment: &Assessment<'_>, catalog: &Catalog, meta: ReportMeta) -> ReportContext {
        let mut owners: BTreeMap<&str, OwnerCounts> = BTreeMap::new();
        for s in &assessment.services {
            for r in &s.responsibilities {
                owners
                    .entry(r.control.id.as_str())
                    .or_default()
                    .add(r.responsibility.owner);
            }
        }
        let controls: Vec<ControlView> = catalog
            .controls
            .iter()
            .map(|c| {
                let frameworks = frameworks_of(catalog, &c.frameworks);
                ControlView {
                    owners: owners.get(c.id.as_str()).cloned().unwrap_or_default(),
                    id: c.id.clone(),
                    domain: c.domain.clone(),
                    domain_title: catalog.domain_title(&c.domain).to_owned(),
                    title: c.title.clone(),
                    description: c.description.clone(),
                    frameworks_text: frameworks_text(&frameworks),
                    frameworks,
                }
            })
            .collect();
        let fw_text: BTreeMap<&str, &str> = controls
            .iter()
            .map(|c| (c.id.as_str(), c.frameworks_text.as_str()))
            .collect();

        let matrix = assessment
            .services
            .iter()
            .map(|s| MatrixRow {
                service: s.service.id.clone(),
                name: s.service.name.clone(),
                category: s.service.category,
                cells: s
                    .responsibilities
                    .iter()
                    .map(|r| Cell {
                        control: r.control.id.clone(),
                        owner: r.responsibility.owner,
                        letter: r.responsibility.owner.letter(),
                        specific: r.basis == srmatrix_model::Basis::ServiceStatement,
                    })
                    .collect(),
            })
            .collect();

        let services = assessment
            .services
            .iter()
            .map(|s| {
                let teams: Vec<String> = s.teams.keys().cloned().collect();
                let mut owners = OwnerCounts::default();
                for r in &s.responsibilities {
                    owners.add(r.responsibility.owner);
                }
                ServiceView {
                    owners,
                    specific_statements: s
                        .responsibilities
                        .iter()
                        .filter(|r| r.basis == srmatrix_model::Basis::ServiceStatement)
                        .count(),
                    sensitive_resources: s.sensitive_resources,
                    id: s.service.id.clone(),
                    name: s.service.name.clone(),
                    category: s.service.category,
                    category_title: catalog.category_info(s.service.category).title.clone(),
                    category_reason: s.service.category_reason.clone(),
                    spellings: s.spellings.iter().cloned().collect(),
                    accounts: s.accounts.iter().cloned().collect(),
                    regions: s.regions.iter().cloned().collect(),
                    teams: s
                        .teams
                        .iter()
                        .map(|(team, &resources)| TeamCount {
                            team: team.clone(),
                            resources,
                        })
                        .collect(),
                    environments: s.environments.iter().cloned().collect(),
                    classifications: s.classifications.iter().cloned().collect(),
                    rows: s.rows,
                    resources: s.resources,
                    unowned_resources: s.unowned_resources,
                    responsibilities: s
                        .responsibilities
                        .iter()
                        .map(|r| ResponsibilityView {
                            control: r.control.id.clone(),
                            title: r.control.title.clone(),
                            domain: catalog.domain_title(&r.control.domain).to_owned(),
                            owner: r.responsibility.owner,
                            aws: r.responsibility.aws.clone(),
                            customer: r.responsibility.customer.clone(),
                            evidence: r.responsibility.evidence.clone(),
                            customer_teams: if r.responsibility.owner.customer_acts() {
                                teams.clone()
                            } else {
                                Vec::new()
                            },
                            frameworks: fw_text
                                .get(r.control.id.as_str())
                                .map_or_else(String::new, |s| (*s).to_owned()),
                            source: r.responsibility.source.clone(),
                            basis: r.basis.to_string(),
                        })
                        .collect(),
                }
            })
            .collect();

        let by_cat = assessment.services_by_category();
        let by_owner = assessment.cells_by_owner();
        let mut by_severity: BTreeMap<srmatrix_model::Severity, u64> = BTreeMap::new();
        for f in &assessment.findings {
            *by_severity.entry(f.severity).or_default() += 1;
        }
        let summary = Summary {
            services: assessment.services.len(),
            services_by_category: Category::ALL
                .iter()
                .map(|&c| Count {
                    key: c.to_string(),
                    label: catalog.category_info(c).title.clone(),
                    count: by_cat.get(&c).copied().unwrap_or(0) as u64,
                })
                .collect(),
            cells_by_owner: Owner::ALL
                .iter()
                .map(|&o| Count {
                    key: o.to_string(),
                    label: o.to_string(),
                    count: by_owner.get(&o).copied().unwrap_or(0) as u64,
                })
                .collect(),
            controls: catalog.controls.len(),
            rows: assessment.total_rows(),
            mapped_rows: assessment.mapped_rows(),
            coverage_percent: percent(assessment.mapped_rows(), assessment.total_rows()),
            unmapped_identifiers: assessment.unmapped.len(),
            unowned_resources: assessment.unowned.iter().map(|u| u.resources).sum(),
            findings_by_severity: by_severity
                .iter()
                .map(|(s, &n)| Count {
                    key: s.to_string(),
                    label: s.to_string(),
                    count: n,
                })
                .collect(),
        };

        let categories = Category::ALL
            .iter()
            .map(|&c| {
                let info = catalog.category_info(c);
                let services: Vec<String> = assessment
                    .services
                    .iter()
                    .filter(|s| s.service.category == c)
                    .map(|s| s.service.id.clone())
                    .collect();
                let defaults = if services.is_empty() {
                    Vec::new()
                } else {
                    catalog
                        .controls
                        .iter()
                        .map(|control| {
                            let r = control.for_category(c);
                            ResponsibilityView {
                                control: control.id.clone(),
                                title: control.title.clone(),
                                domain: catalog.domain_title(&control.domain).to_owned(),
                                owner: r.owner,
                                aws: r.aws.clone(),
                                customer: r.customer.clone(),
                                evidence: r.evidence.clone(),
                                customer_teams: Vec::new(),
                                frameworks: fw_text
                                    .get(control.id.as_str())
                                    .map_or_else(String::new, |s| (*s).to_owned()),
                                source: r.source.clone(),
                                basis: srmatrix_model::Basis::CategoryDefault.to_string(),
                            }
                        })
                        .collect()
                };
                CategoryView {
                    id: c,
                    title: info.title.clone(),
                    description: info.description.clone(),
                    source: info.source.clone(),
                    services,
                    defaults,
                }
            })
            .collect();

        let title = if meta.organisation.is_empty() {
            "AWS Shared Responsibility Matrix".to_owned()
        } else {
            format!("AWS Shared Responsibility Matrix: {}", meta.organisation)
        };
        ReportContext {
            title,
            meta,
            catalog: CatalogInfo {
                name: catalog.name.clone(),
                version: catalog.version.clone(),
                origins: catalog.origins.clone(),
                services: catalog.services.len(),
                controls: catalog.controls.len(),
            },
            accounts: assessment.accounts.iter().cloned().collect(),
            regions: assessment.regions.iter().cloned().collect(),
            teams: assessment.teams.iter().cloned().collect(),
            inputs: assessment.inputs.clone(),
            summary,
            categories,
            controls,
            matrix,
            services,
            unmapped: assessment.unmapped.clone(),
            unowned: assessment.unowned.clone(),
            findings: assessment.findings.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percent_rounds_half_up_with_one_decimal() {
        assert_eq!(percent(0, 0), "n/a");
        assert_eq!(percent(1, 3), "33.3");
        assert_eq!(percent(2, 3), "66.7");
        assert_eq!(percent(1, 1), "100.0");
        assert_eq!(percent(1, 2000), "0.1");
        assert_eq!(percent(u64::MAX, u64::MAX), "100.0");
    }
}
