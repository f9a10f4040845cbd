//! The report context: one sorted, serialisable view of an assessment that every document is
//! rendered from. Templates see exactly this and nothing else.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use srmatrix_model::assess::{
    Assessment, Finding, InputSummary, NonServiceCharges, UnmappedOthers, UnmappedService,
    UnownedResources,
};
use srmatrix_model::{Catalog, Category, Control, GuidanceCategory, Owner, Severity, Taxonomy};

use crate::views::{CrosswalkFramework, TeamActions, crosswalk, team_actions};

/// The `schema_version` of the report context (`report.json`) this version writes.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// What the caller knows about the run, beyond the assessment.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// Framework ids the report is scoped to; empty for every framework.
    pub frameworks: Vec<String>,
    /// The taxonomy that groups services in the matrix.
    pub taxonomy: Taxonomy,
    /// Who prepared the report, for the sign-off block (empty: a line to fill in).
    pub prepared_by: String,
    /// Who reviewed it.
    pub reviewed_by: String,
    /// How much the Markdown and HTML reports show.
    pub detail: Detail,
}

#[cfg(test)]
impl ReportMeta {
    /// The metadata of the crate's test reports (Northwind Analytics, 2026-Q3, every framework),
    /// generated at `generated_at`.
    pub(crate) fn for_tests(generated_at: &str) -> ReportMeta {
        ReportMeta {
            organisation: "Northwind Analytics".into(),
            period: "2026-Q3".into(),
            generated_at: generated_at.into(),
            tool: "srmatrix 0.1.0".into(),
            frameworks: Vec::new(),
            taxonomy: Taxonomy::Srm,
            prepared_by: String::new(),
            reviewed_by: String::new(),
            detail: Default::default(),
        }
    }
}

/// How much the Markdown and HTML reports show; the CSV files, the workbook and `report.json`
/// always hold everything.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Detail {
    /// What a reviewer reads in one sitting: scope, summary, findings grouped by code, the
    /// matrix, the registers of the selected frameworks, controls, teams and services in brief.
    #[default]
    Summary,
    /// Everything: the category defaults, every service's own statements, each team's full
    /// action list and the framework crosswalk as well.
    Full,
}

impl std::str::FromStr for Detail {
    type Err = String;

    fn from_str(s: &str) -> Result<Detail, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "summary" => Ok(Detail::Summary),
            "full" => Ok(Detail::Full),
            other => Err(format!("unknown detail `{other}` (summary or full)")),
        }
    }
}

/// Findings of one code, severity and action, with their subjects: the same finding for 54
/// services reads as one.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct FindingGroup {
    /// Severity.
    pub severity: Severity,
    /// Stable code.
    pub code: &'static str,
    /// Rows or resources concerned, over every subject.
    pub count: u64,
    /// The subjects with their counts: `s3 (12)`.
    pub subjects: Vec<String>,
    /// The finding: the message itself for one subject; for several, how many and the first's
    /// message as an example.
    pub message: String,
    /// What to do, once.
    pub action: String,
}

/// Groups findings (already in severity order) by code, severity and action, in order of first
/// appearance.
pub fn group_findings(findings: &[Finding]) -> Vec<FindingGroup> {
    let mut groups: Vec<(FindingGroup, usize)> = Vec::new();
    for f in findings {
        let subject = format!("{} ({})", f.subject, f.count);
        match groups
            .iter_mut()
            .find(|(g, _)| g.code == f.code && g.severity == f.severity && g.action == f.action)
        {
            Some((g, n)) => {
                g.count = g.count.saturating_add(f.count);
                g.subjects.push(subject);
                *n += 1;
            }
            None => groups.push((
                FindingGroup {
                    severity: f.severity,
                    code: f.code,
                    count: f.count,
                    subjects: vec![subject],
                    message: f.message.clone(),
                    action: f.action.clone(),
                },
                1,
            )),
        }
    }
    groups
        .into_iter()
        .map(|(mut g, n)| {
            if n > 1 {
                g.message = format!("{n} subjects. For example: {}", g.message);
            }
            g
        })
        .collect()
}

/// Catalog facts shown in a report.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct CatalogInfo {
    /// Catalog name.
    pub name: String,
    /// Catalog version.
    pub version: String,
    /// Where each catalog file came from.
    pub origins: Vec<String>,
    /// FedRAMP's control origination values, the columns of the CIS worksheet.
    pub fedramp_origination_values: Vec<String>,
    /// Number of services in the catalog.
    pub services: usize,
    /// Number of controls.
    pub controls: usize,
    /// SHA-256 of the catalog's files (see [`srmatrix_model::Catalog::sha256`]).
    pub sha256: String,
}

/// A count with a label.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// Mapped rows as a percentage, with one decimal (`"97.5"`), of the rows that name a service
    /// (mapped, unmapped or blank); `"n/a"` when there are none.
    pub coverage_percent: String,
    /// Services in use as a percentage of distinct identifiers that name a service (services
    /// plus unmapped identifiers).
    pub service_coverage_percent: String,
    /// Rows of billing codes that are not services.
    pub non_service_rows: u64,
    /// Billing rows that are no resource.
    pub non_resource_rows: u64,
    /// Rows of other providers.
    pub other_provider_rows: u64,
    /// Distinct identifiers that could not be mapped (listed or not).
    pub unmapped_identifiers: usize,
    /// Resources without an owner team.
    pub unowned_resources: u64,
    /// Findings per severity.
    pub findings_by_severity: Vec<Count>,
}

/// A category with its description.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Default, Serialize)]
pub struct OwnerCounts {
    /// Services where AWS owns the control.
    pub aws: u64,
    /// Services where the control is shared.
    pub shared: u64,
    /// Services where the customer owns the control.
    pub customer: u64,
}

/// A run of consecutive controls of one domain.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct DomainSpan {
    /// Domain id.
    pub domain: String,
    /// Domain title.
    pub title: String,
    /// Number of controls.
    pub span: usize,
}

/// One cell of the matrix.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    /// Service id.
    pub service: String,
    /// Service name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Owner teams of the service's resources (with the no-owner-team marker when some have none).
    pub teams: Vec<String>,
    /// One cell per control, in control order.
    pub cells: Vec<Cell>,
}

/// A bar of a chart.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    /// Label.
    pub label: String,
    /// Value.
    pub value: u64,
    /// Bar length in pixels, out of [`CHART_WIDTH`].
    pub width: u64,
    /// CSS class (`owner-aws`, `sev-high` ...).
    pub class: String,
}

/// A horizontal bar chart, drawn as inline SVG by the HTML template.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Chart {
    /// Title.
    pub title: String,
    /// Bars.
    pub bars: Vec<Bar>,
    /// SVG height in pixels.
    pub height: u64,
}

/// Width of the longest bar of a chart, in pixels.
pub const CHART_WIDTH: u64 = 260;

fn chart(title: &str, bars: Vec<(String, u64, String)>) -> Chart {
    let max = bars.iter().map(|b| b.1).max().unwrap_or(0).max(1);
    let height = 24 * bars.len() as u64 + 8;
    Chart {
        title: title.to_owned(),
        bars: bars
            .into_iter()
            .map(|(label, value, class)| Bar {
                label,
                value,
                width: if value == 0 {
                    0
                } else {
                    (value * CHART_WIDTH / max).max(2)
                },
                class,
            })
            .collect(),
        height,
    }
}

/// Matrix rows of one category of the report's taxonomy.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct MatrixGroup {
    /// Category id.
    pub key: String,
    /// Category title.
    pub title: String,
    /// Services of the category.
    pub rows: Vec<MatrixRow>,
}

/// A responsibility of one service for one control.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// The owner in CSA CCM SSRM control-ownership terms (`CSP-owned`, `CSC-owned` ...).
    pub ccm_ownership: String,
    /// FedRAMP CRM "Can Be Inherited from CSP": Yes, Partial, No.
    pub fedramp_inheritable: String,
    /// FedRAMP control origination.
    pub fedramp_origination: String,
    /// The control's CSA CCM v4 ids.
    pub ccm_ids: Vec<String>,
    /// What AWS does (Markdown); shared by the services that have the same text.
    pub aws: Arc<str>,
    /// What the customer does (Markdown); shared like `aws`.
    pub customer: Arc<str>,
    /// Evidence to keep; shared like `aws`.
    pub evidence: Arc<[String]>,
    /// Teams that carry the customer side (empty when AWS owns the control): the team the policy
    /// assigns, else the owner teams of the service's resources.
    // Shared (`Arc`) by the service's responsibilities that name the same teams.
    pub customer_teams: Arc<[String]>,
    /// The team the organisation policy assigns the customer side to.
    pub assigned_team: Option<String>,
    /// The third party the policy says performs the customer side.
    pub inherited_from: Option<String>,
    /// Why the policy declares the control out of scope.
    pub out_of_scope: Option<String>,
    /// Accepted risks (policy exceptions) on this service × control.
    pub exceptions: Vec<srmatrix_model::policy::ExceptionStatus>,
    /// Framework references on one line.
    pub frameworks: String,
    /// Source of the statement.
    pub source: String,
    /// `service-statement`, `deployment-default` or `category-default`.
    pub basis: String,
}

/// A team and how many resources it owns.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct TeamCount {
    /// Team.
    pub team: String,
    /// Resources.
    pub resources: u64,
}

/// Rows a resource rule gave to a service.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    /// The rule in words: `resource type AWS::EC2::Volume`.
    pub rule: String,
    /// Inventory rows.
    pub rows: u64,
}

/// AWS's published OSCAL component of a service.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct AwsComponentLink {
    /// AWS's `service-id` property (`EC2`).
    pub aws_service_id: String,
    /// Where the component is: its file's URL and `#` its UUID.
    pub href: String,
}

/// How a service is deployed or operated, when its category does not describe it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentView {
    /// Deployment id: `customer-premises`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Why the service has it.
    pub reason: String,
}

/// A service in use, with everything a reader needs about it.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// The category the AWS Security Best Practices whitepaper (2016) names, if it names the service.
    pub whitepaper_2016: Option<String>,
    /// The category of AWS Prescriptive Guidance's taxonomy, if it places the service.
    pub guidance_category: Option<String>,
    /// Whether the guidance's category does not correspond to the catalog's.
    pub taxonomies_disagree: bool,
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
    /// Number of controls set by the default of the service's deployment.
    pub deployment_defaults: usize,
    /// How the service is deployed, when its category does not describe it.
    pub deployment: Option<DeploymentView>,
    /// Whether AWS still offers and supports it.
    pub lifecycle: srmatrix_model::Lifecycle,
    /// The variant its statements assume where the inventory cannot tell (empty: no choice).
    pub assumed_variant: String,
    /// Rows a resource rule gave to this service (an `AWS::EC2::Volume` is EBS, not EC2).
    pub resolved_by: Vec<RuleCount>,
    /// AWS's own OSCAL components of this service.
    pub aws_components: Vec<AwsComponentLink>,
    /// Responsibility per control.
    pub responsibilities: Vec<ResponsibilityView>,
}

/// The whole report context.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ReportContext {
    /// The version of this structure, as `report.json` carries it: raised when a field changes
    /// meaning or goes away (fields may be added within a version); `docs/report.schema.json` is
    /// its JSON Schema.
    pub schema_version: u32,
    /// Report title.
    pub title: String,
    /// Run facts.
    pub meta: ReportMeta,
    /// Catalog facts.
    pub catalog: CatalogInfo,
    /// Accounts in scope (ids).
    pub accounts: Vec<String>,
    /// Accounts in scope as shown: `id (name)` where an input named the account, else the id.
    pub account_labels: Vec<String>,
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
    /// Runs of consecutive controls of one domain, for grouped matrix headers.
    pub control_domains: Vec<DomainSpan>,
    /// The responsibility matrix, grouped by the categories of the report's taxonomy.
    pub matrix: Vec<MatrixGroup>,
    /// Services in use.
    pub services: Vec<ServiceView>,
    /// Identifiers that could not be mapped (at most `MAX_UNMAPPED_LISTED`, those with the most
    /// rows).
    pub unmapped: Vec<UnmappedService>,
    /// Unmapped identifiers beyond those listed in `unmapped`, counted together: distinct
    /// identifiers, rows and resources (all zero when every one is listed).
    pub unmapped_others: UnmappedOthers,
    /// Billing codes that are not services, per group.
    pub non_service: Vec<NonServiceCharges>,
    /// Resources with no owner team.
    pub unowned: Vec<UnownedResources>,
    /// Findings.
    pub findings: Vec<Finding>,
    /// The findings grouped by code, severity and action (see [`group_findings`]).
    pub finding_groups: Vec<FindingGroup>,
    /// Each owner team's customer-side responsibilities; resources with no owner team last.
    pub team_actions: Vec<TeamActions>,
    /// Framework requirements with the controls behind them and who owns them.
    pub crosswalk: Vec<CrosswalkFramework>,
    /// One register per framework (or baseline) selected, or per framework that lists its
    /// requirements: every requirement, in order, with how this estate meets it.
    pub registers: Vec<crate::register::Register>,
    /// Summary charts: services by category, matrix cells by owner, customer actions per team,
    /// findings by severity.
    pub charts: Vec<Chart>,
    /// What changed since a baseline report (`report --baseline`), when one was given.
    pub changes: Option<crate::diff::Changes>,
    /// The organisation policy applied, when there was one.
    pub policy: Option<PolicyView>,
    /// The namespace of the OSCAL output's own property names, from which its UUIDs derive
    /// (`report --oscal-namespace`).
    pub oscal_namespace: String,
}

/// An exception of the policy, with its state on the report's date.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct ExceptionView {
    /// The exception.
    #[serde(flatten)]
    pub exception: srmatrix_model::policy::Exception,
    /// Whether it has expired.
    pub expired: bool,
}

/// The organisation policy as applied to the report.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct PolicyView {
    /// Where it came from.
    pub file: String,
    /// Controls assigned to named teams.
    pub assignments: Vec<srmatrix_model::policy::Assignment>,
    /// Controls inherited from third parties.
    pub inherited: Vec<srmatrix_model::policy::Inheritance>,
    /// Controls out of scope.
    pub out_of_scope: Vec<srmatrix_model::policy::OutOfScope>,
    /// Accepted risks with their state.
    pub exceptions: Vec<ExceptionView>,
    /// Scope filters.
    pub scope: srmatrix_model::policy::Scope,
    /// SHA-256 of the policy file (empty when not known).
    pub sha256: String,
}

impl PolicyView {
    /// The view of a policy on a report date (`YYYY-MM-DD`).
    pub fn new(file: &str, policy: &srmatrix_model::Policy, as_of: &str) -> PolicyView {
        PolicyView {
            file: file.to_owned(),
            assignments: policy.assignments.clone(),
            inherited: policy.inherited.clone(),
            out_of_scope: policy.out_of_scope.clone(),
            exceptions: policy
                .exceptions
                .iter()
                .map(|e| ExceptionView {
                    exception: e.clone(),
                    expired: e.expires.as_str() < as_of,
                })
                .collect(),
            scope: policy.scope.clone(),
            sha256: String::new(),
        }
    }
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

/// The `third-party` term of an owner vocabulary, or the owner's own term when it has none.
pub(crate) fn third_party(terms: &BTreeMap<String, String>, fallback: &str) -> String {
    terms
        .get("third-party")
        .cloned()
        .unwrap_or_else(|| fallback.to_owned())
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "n/a".into();
    }
    // Integer arithmetic keeps the digits identical on every platform.
    let tenths = (part as u128 * 1000 + whole as u128 / 2) / whole as u128;
    format!("{}.{}", tenths / 10, tenths % 10)
}

fn frameworks_of(
    catalog: &Catalog,
    scope: &[String],
    refs: &BTreeMap<String, Vec<String>>,
) -> Vec<FrameworkRefs> {
    catalog
        .frameworks
        .iter()
        .filter(|f| scope.is_empty() || scope.contains(&f.id))
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

/// One shared copy of each distinct text of the responsibilities: a control's text is the same
/// for every service of a category, and a report holds thousands of responsibilities.
#[derive(Default)]
struct SharedTexts<'a> {
    texts: HashMap<&'a str, Arc<str>>,
    lists: HashMap<&'a [String], Arc<[String]>>,
}

impl<'a> SharedTexts<'a> {
    fn text(&mut self, s: &'a str) -> Arc<str> {
        Arc::clone(self.texts.entry(s).or_insert_with(|| Arc::from(s)))
    }

    fn list(&mut self, l: &'a [String]) -> Arc<[String]> {
        Arc::clone(self.lists.entry(l).or_insert_with(|| Arc::from(l)))
    }
}

impl ReportContext {
    /// Compares this report with a baseline report (its `report.json`) and keeps the changes.
    pub fn compare_with(&mut self, baseline: &serde_json::Value) -> Result<(), crate::RenderError> {
        let now =
            serde_json::to_value(&*self).map_err(|e| crate::RenderError::Context(e.to_string()))?;
        self.changes = Some(crate::diff::diff(baseline, &now));
        Ok(())
    }

    /// Builds the context of an assessment.
    ///
    /// With frameworks in `meta.frameworks`, only the controls that map to one of them are shown,
    /// with their references to those frameworks only.
    pub fn new(assessment: &Assessment<'_>, catalog: &Catalog, meta: ReportMeta) -> ReportContext {
        // A baseline (`fedramp-moderate`) scopes the report to its framework's controls.
        let mut scope: Vec<String> = meta
            .frameworks
            .iter()
            .map(|id| {
                catalog
                    .selection(id)
                    .map_or(id.clone(), |(f, _)| f.id.clone())
            })
            .collect();
        scope.dedup();
        let in_scope = |c: &Control| {
            scope.is_empty()
                || scope
                    .iter()
                    .any(|f| c.frameworks.get(f).is_some_and(|ids| !ids.is_empty()))
        };
        let mut owners: BTreeMap<&str, OwnerCounts> = BTreeMap::new();
        let mut by_owner: BTreeMap<Owner, u64> = BTreeMap::new();
        for s in &assessment.services {
            for r in s.responsibilities.iter().filter(|r| in_scope(r.control)) {
                *by_owner.entry(r.responsibility.owner).or_default() += 1;
                owners
                    .entry(r.control.id.as_str())
                    .or_default()
                    .add(r.responsibility.owner);
            }
        }
        let controls: Vec<ControlView> = catalog
            .controls
            .iter()
            .filter(|c| in_scope(c))
            .map(|c| {
                let frameworks = frameworks_of(catalog, &scope, &c.frameworks);
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
        let mut shared = SharedTexts::default();

        let rows: Vec<(Category, Option<GuidanceCategory>, MatrixRow)> = assessment
            .services
            .iter()
            .map(|s| {
                (
                    s.service.category,
                    s.service.guidance_category,
                    MatrixRow {
                        teams: s
                            .teams
                            .keys()
                            .cloned()
                            .chain(
                                (s.unowned_resources > 0)
                                    .then(|| crate::views::NO_OWNER_TEAM.to_owned()),
                            )
                            .collect(),
                        service: s.service.id.clone(),
                        name: s.service.name.clone(),
                        category: s.service.category,
                        cells: s
                            .responsibilities
                            .iter()
                            .filter(|r| in_scope(r.control))
                            .map(|r| Cell {
                                control: r.control.id.clone(),
                                owner: r.responsibility.owner,
                                letter: r.responsibility.owner.letter(),
                                specific: r.basis == srmatrix_model::Basis::ServiceStatement,
                            })
                            .collect(),
                    },
                )
            })
            .collect();
        let matrix = match meta.taxonomy {
            Taxonomy::Srm => Category::ALL
                .iter()
                .map(|&c| MatrixGroup {
                    key: c.to_string(),
                    title: catalog.category_info(c).title.clone(),
                    rows: rows
                        .iter()
                        .filter(|r| r.0 == c)
                        .map(|r| r.2.clone())
                        .collect(),
                })
                .collect::<Vec<_>>(),
            Taxonomy::Guidance => [
                Some(GuidanceCategory::Infrastructure),
                Some(GuidanceCategory::Container),
                Some(GuidanceCategory::Serverless),
                None,
            ]
            .iter()
            .map(|&g| MatrixGroup {
                key: g.map_or("unplaced", |g| g.as_str()).to_owned(),
                title: g.map_or_else(
                    || "Not placed by AWS Prescriptive Guidance".to_owned(),
                    |g| catalog.guidance_title(g).to_owned(),
                ),
                rows: rows
                    .iter()
                    .filter(|r| r.1 == g)
                    .map(|r| r.2.clone())
                    .collect(),
            })
            .collect(),
        }
        .into_iter()
        .filter(|g| !g.rows.is_empty())
        .collect();

        let services: Vec<ServiceView> = assessment
            .services
            .iter()
            .map(|s| {
                let teams: Arc<[String]> = s.teams.keys().cloned().collect();
                let no_teams: Arc<[String]> = Arc::new([]);
                let mut owners = OwnerCounts::default();
                for r in s.responsibilities.iter().filter(|r| in_scope(r.control)) {
                    owners.add(r.responsibility.owner);
                }
                ServiceView {
                    owners,
                    specific_statements: s
                        .responsibilities
                        .iter()
                        .filter(|r| in_scope(r.control))
                        .filter(|r| r.basis == srmatrix_model::Basis::ServiceStatement)
                        .count(),
                    deployment_defaults: s
                        .responsibilities
                        .iter()
                        .filter(|r| in_scope(r.control))
                        .filter(|r| r.basis == srmatrix_model::Basis::DeploymentDefault)
                        .count(),
                    deployment: s.service.deployment.as_deref().and_then(|d| {
                        catalog.deployment(d).map(|d| DeploymentView {
                            id: d.id.clone(),
                            title: d.title.clone(),
                            reason: s.service.deployment_reason.clone(),
                        })
                    }),
                    lifecycle: s.service.lifecycle.clone(),
                    assumed_variant: s.service.assumed_variant.clone(),
                    aws_components: s
                        .service
                        .aws_components
                        .iter()
                        .map(|c| AwsComponentLink {
                            aws_service_id: c.aws_service_id.clone(),
                            href: format!(
                                "{}{}#{}",
                                catalog.aws_components_url,
                                c.component_definition,
                                c.component_uuid
                            ),
                        })
                        .collect(),
                    resolved_by: s
                        .resolved_by
                        .iter()
                        .map(|(rule, &rows)| RuleCount {
                            rule: rule.clone(),
                            rows,
                        })
                        .collect(),
                    whitepaper_2016: s.service.whitepaper_2016.map(|c| c.to_string()),
                    guidance_category: s.service.guidance_category.map(|c| c.as_str().to_owned()),
                    taxonomies_disagree: s.service.taxonomies_disagree(),
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
                        .filter(|r| in_scope(r.control))
                        .map(|r| ResponsibilityView {
                            control: r.control.id.clone(),
                            title: r.control.title.clone(),
                            domain: catalog.domain_title(&r.control.domain).to_owned(),
                            owner: r.responsibility.owner,
                            ccm_ownership: match &r.policy.inherited_from {
                                Some(_) => third_party(
                                    &catalog.ccm_ssrm_ownership,
                                    catalog.ccm_term(r.responsibility.owner),
                                ),
                                None => catalog.ccm_term(r.responsibility.owner).to_owned(),
                            },
                            fedramp_inheritable: catalog
                                .fedramp_inheritable(r.responsibility.owner)
                                .to_owned(),
                            fedramp_origination: match &r.policy.inherited_from {
                                Some(_) => third_party(
                                    &catalog.fedramp_origination,
                                    catalog.fedramp_origination(r.responsibility.owner),
                                ),
                                None => catalog
                                    .fedramp_origination(r.responsibility.owner)
                                    .to_owned(),
                            },
                            assigned_team: r.policy.assigned_team.clone(),
                            inherited_from: r.policy.inherited_from.clone(),
                            out_of_scope: r.policy.out_of_scope.clone(),
                            exceptions: r.policy.exceptions.clone(),
                            ccm_ids: r
                                .control
                                .frameworks
                                .get("csa-ccm")
                                .cloned()
                                .unwrap_or_default(),
                            aws: shared.text(&r.responsibility.aws),
                            customer: shared.text(&r.responsibility.customer),
                            evidence: shared.list(&r.responsibility.evidence),
                            customer_teams: match (
                                &r.policy.assigned_team,
                                r.responsibility.owner.customer_acts(),
                            ) {
                                (_, false) => no_teams.clone(),
                                (Some(team), true) => Arc::new([team.clone()]),
                                (None, true) => teams.clone(),
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
                    count: by_owner.get(&o).copied().unwrap_or(0),
                })
                .collect(),
            controls: controls.len(),
            rows: assessment.total_rows(),
            mapped_rows: assessment.mapped_rows(),
            coverage_percent: percent(
                assessment.mapped_rows(),
                assessment
                    .inputs
                    .iter()
                    .map(|i| i.mapped_rows + i.unmapped_rows + i.blank_service_rows)
                    .sum(),
            ),
            service_coverage_percent: percent(
                assessment.services.len() as u64,
                (assessment.services.len() as u64)
                    .saturating_add(assessment.unmapped.len() as u64)
                    .saturating_add(assessment.unmapped_others.identifiers),
            ),
            non_service_rows: assessment.inputs.iter().map(|i| i.non_service_rows).sum(),
            non_resource_rows: assessment.inputs.iter().map(|i| i.non_resource_rows).sum(),
            other_provider_rows: assessment
                .inputs
                .iter()
                .map(|i| i.other_provider_rows.values().sum::<u64>())
                .sum(),
            unmapped_identifiers: assessment.unmapped.len().saturating_add(
                usize::try_from(assessment.unmapped_others.identifiers).unwrap_or(usize::MAX),
            ),
            unowned_resources: assessment
                .unowned
                .iter()
                .fold(assessment.unmapped_others.unowned_resources, |n, u| {
                    n.saturating_add(u.resources)
                }),
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
                        .filter(|c| in_scope(c))
                        .map(|control| {
                            let r = control.for_category(c);
                            ResponsibilityView {
                                control: control.id.clone(),
                                title: control.title.clone(),
                                domain: catalog.domain_title(&control.domain).to_owned(),
                                owner: r.owner,
                                ccm_ownership: catalog.ccm_term(r.owner).to_owned(),
                                fedramp_inheritable: catalog
                                    .fedramp_inheritable(r.owner)
                                    .to_owned(),
                                fedramp_origination: catalog
                                    .fedramp_origination(r.owner)
                                    .to_owned(),
                                ccm_ids: control
                                    .frameworks
                                    .get("csa-ccm")
                                    .cloned()
                                    .unwrap_or_default(),
                                aws: shared.text(&r.aws),
                                customer: shared.text(&r.customer),
                                evidence: shared.list(&r.evidence),
                                customer_teams: Arc::new([]),
                                assigned_team: None,
                                inherited_from: None,
                                out_of_scope: None,
                                exceptions: Vec::new(),
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
        let mut control_domains: Vec<DomainSpan> = Vec::new();
        for c in &controls {
            match control_domains.last_mut() {
                Some(d) if d.domain == c.domain => d.span += 1,
                _ => control_domains.push(DomainSpan {
                    domain: c.domain.clone(),
                    title: c.domain_title.clone(),
                    span: 1,
                }),
            }
        }
        // The team action lists, the crosswalk and the registers are built from the same finished
        // services and controls independently: the registers on two threads, the other two
        // beside the first of them.
        let (registers, (team_actions, crosswalk)) =
            crate::register::registers_beside(catalog, &meta.frameworks, &services, || {
                (
                    team_actions(&services, &controls),
                    crosswalk(catalog, &controls),
                )
            });
        let charts = vec![
            chart(
                "Services in use by category",
                summary
                    .services_by_category
                    .iter()
                    .map(|c| (c.label.clone(), c.count, format!("cat-{}", c.key)))
                    .collect(),
            ),
            chart(
                "Matrix cells by owner",
                summary
                    .cells_by_owner
                    .iter()
                    .map(|c| {
                        (
                            c.label.clone(),
                            c.count,
                            format!("owner-{}", c.key.to_ascii_lowercase()),
                        )
                    })
                    .collect(),
            ),
            chart(
                "Customer actions per team",
                team_actions
                    .iter()
                    .map(|t| {
                        (
                            t.team.clone(),
                            t.actions.len() as u64,
                            if t.unowned {
                                "unowned".to_owned()
                            } else {
                                "team".to_owned()
                            },
                        )
                    })
                    .collect(),
            ),
            chart(
                "Findings by severity",
                summary
                    .findings_by_severity
                    .iter()
                    .map(|c| (c.label.clone(), c.count, format!("sev-{}", c.key)))
                    .collect(),
            ),
        ];
        ReportContext {
            schema_version: REPORT_SCHEMA_VERSION,
            policy: None,
            oscal_namespace: crate::oscal::DEFAULT_NS.to_owned(),
            changes: None,
            charts,
            team_actions,
            crosswalk,
            registers,
            title,
            meta,
            catalog: CatalogInfo {
                name: catalog.name.clone(),
                version: catalog.version.clone(),
                origins: catalog.origins.clone(),
                fedramp_origination_values: catalog.fedramp_origination_values.clone(),
                services: catalog.services.len(),
                controls: catalog.controls.len(),
                sha256: catalog.sha256.clone(),
            },
            accounts: assessment.accounts.iter().cloned().collect(),
            account_labels: assessment
                .accounts
                .iter()
                .map(|a| match assessment.account_names.get(a) {
                    Some(name) => format!("{a} ({name})"),
                    None => a.clone(),
                })
                .collect(),
            regions: assessment.regions.iter().cloned().collect(),
            teams: assessment.teams.iter().cloned().collect(),
            inputs: assessment.inputs.clone(),
            summary,
            categories,
            controls,
            control_domains,
            matrix,
            services,
            unmapped: assessment.unmapped.clone(),
            unmapped_others: assessment.unmapped_others.clone(),
            non_service: assessment.non_service.clone(),
            unowned: assessment.unowned.clone(),
            finding_groups: group_findings(&assessment.findings),
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
