//! The catalog: services, controls, per-category responsibilities and service-specific statements.
//!
//! The catalog is data. [`CatalogSources::builtin`] holds the files of the repository's `catalog/`
//! directory, embedded at build time; any of them can be replaced by a user's file of the same name.
//! [`Catalog::load`] parses and validates them all and reports every problem with file, line and column.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::{CatalogError, Problem};
pub use crate::resolve::RESOURCE_TYPES_FILE;
use crate::resolve::Resolver;
use crate::vocab::{Category, Owner};

/// File name of the catalog metadata (categories, domains, frameworks).
pub const CATALOG_FILE: &str = "catalog.toml";
/// File name of the service list.
pub const SERVICES_FILE: &str = "services.csv";
/// File name of the controls.
pub const CONTROLS_FILE: &str = "controls.toml";
/// File name of the service-specific statements.
pub const STATEMENTS_FILE: &str = "statements.toml";
/// File name of the billing codes that are not services.
pub const BILLING_FILE: &str = "billing-codes.csv";
/// File name of the links from services to AWS's own OSCAL components.
pub const AWS_COMPONENTS_FILE: &str = "aws-components.csv";

/// One catalog file: where it came from and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Name shown in errors and reports: `builtin:catalog.toml` or a path.
    pub origin: String,
    /// The file's text.
    pub text: String,
}

impl SourceFile {
    fn builtin(name: &str, text: &str) -> Self {
        SourceFile {
            origin: format!("builtin:{name}"),
            text: text.to_owned(),
        }
    }
}

/// The four files a catalog is made of.
#[derive(Debug, Clone)]
pub struct CatalogSources {
    /// `catalog.toml`.
    pub catalog: SourceFile,
    /// `services.csv`.
    pub services: SourceFile,
    /// `controls.toml`.
    pub controls: SourceFile,
    /// `statements.toml`.
    pub statements: SourceFile,
    /// `billing-codes.csv`.
    pub billing: SourceFile,
    /// `resource-types.csv`.
    pub resource_types: SourceFile,
    /// `aws-components.csv`.
    pub aws_components: SourceFile,
    /// Requirement files, by path relative to the catalog directory
    /// (`requirements/nist-800-53.csv`).
    pub requirements: Vec<(String, SourceFile)>,
}

impl CatalogSources {
    /// The catalog shipped in the binary (the repository's `catalog/` directory).
    pub fn builtin() -> Self {
        CatalogSources {
            catalog: SourceFile::builtin(
                CATALOG_FILE,
                include_str!("../../../catalog/catalog.toml"),
            ),
            services: SourceFile::builtin(
                SERVICES_FILE,
                include_str!("../../../catalog/services.csv"),
            ),
            controls: SourceFile::builtin(
                CONTROLS_FILE,
                include_str!("../../../catalog/controls.toml"),
            ),
            statements: SourceFile::builtin(
                STATEMENTS_FILE,
                include_str!("../../../catalog/statements.toml"),
            ),
            billing: SourceFile::builtin(
                BILLING_FILE,
                include_str!("../../../catalog/billing-codes.csv"),
            ),
            resource_types: SourceFile::builtin(
                RESOURCE_TYPES_FILE,
                include_str!("../../../catalog/resource-types.csv"),
            ),
            aws_components: SourceFile::builtin(
                AWS_COMPONENTS_FILE,
                include_str!("../../../catalog/aws-components.csv"),
            ),
            requirements: crate::requirements::BUILTIN_FILES
                .iter()
                .map(|(name, text)| ((*name).to_owned(), SourceFile::builtin(name, text)))
                .collect(),
        }
    }

    /// Every file name a catalog directory may hold, requirement files included (as paths
    /// relative to the directory).
    pub fn file_names(&self) -> Vec<&str> {
        Self::FILE_NAMES
            .iter()
            .copied()
            .chain(self.requirements.iter().map(|(name, _)| name.as_str()))
            .collect()
    }

    /// The file names of the built-in catalog, without loading it: [`Self::FILE_NAMES`] and the
    /// requirement files.
    pub fn builtin_file_names() -> impl Iterator<Item = &'static str> {
        Self::FILE_NAMES.into_iter().chain(
            crate::requirements::BUILTIN_FILES
                .iter()
                .map(|(name, _)| *name),
        )
    }

    /// Every file of the catalog, in a stable order.
    pub fn files(&self) -> Vec<&SourceFile> {
        [
            &self.catalog,
            &self.services,
            &self.controls,
            &self.statements,
            &self.billing,
            &self.resource_types,
            &self.aws_components,
        ]
        .into_iter()
        .chain(self.requirements.iter().map(|(_, f)| f))
        .collect()
    }

    /// The file slot for a catalog file name, to replace it with a user's file.
    pub fn slot_mut(&mut self, file_name: &str) -> Option<&mut SourceFile> {
        match file_name {
            CATALOG_FILE => Some(&mut self.catalog),
            SERVICES_FILE => Some(&mut self.services),
            CONTROLS_FILE => Some(&mut self.controls),
            STATEMENTS_FILE => Some(&mut self.statements),
            BILLING_FILE => Some(&mut self.billing),
            RESOURCE_TYPES_FILE => Some(&mut self.resource_types),
            AWS_COMPONENTS_FILE => Some(&mut self.aws_components),
            other => self
                .requirements
                .iter_mut()
                .find(|(name, _)| name == other)
                .map(|(_, f)| f),
        }
    }

    /// The file names a catalog directory may hold.
    pub const FILE_NAMES: [&'static str; 7] = [
        CATALOG_FILE,
        SERVICES_FILE,
        CONTROLS_FILE,
        STATEMENTS_FILE,
        BILLING_FILE,
        RESOURCE_TYPES_FILE,
        AWS_COMPONENTS_FILE,
    ];
}

/// Descriptive text of a service category.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryInfo {
    /// The category.
    pub id: Category,
    /// Title for reports.
    pub title: String,
    /// What the category means (Markdown).
    pub description: String,
    /// Where the definition comes from.
    pub source: String,
}

/// A control domain (IAM, encryption, logging ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// Stable id: `iam`.
    pub id: String,
    /// Title for reports.
    pub title: String,
    /// Whether the domain's controls protect stored data (encryption, keys, access, data
    /// protection): customer-side controls of such domains are called out for services that hold
    /// sensitive data.
    #[serde(default)]
    pub protects_data: bool,
}

/// A framework whose requirement ids controls are mapped to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Framework {
    /// Stable id: `nist-800-53`.
    pub id: String,
    /// Title with edition: "NIST SP 800-53 Rev. 5".
    pub title: String,
    /// Regular expression every requirement id of this framework must match.
    pub id_pattern: String,
    /// The file listing every requirement of this framework version, relative to the catalog
    /// directory (`requirements/nist-800-53.csv`); without one, the framework has no register.
    #[serde(default)]
    pub requirements: Option<String>,
    /// Named selections of the requirements (`fedramp-moderate`), selectable with `--framework`.
    #[serde(default)]
    pub baseline: Vec<crate::requirements::Baseline>,
    /// The documents its registers are also written as (from
    /// [`crate::requirements::DOCUMENT_SHAPES`]): `fedramp-crm` and `fedramp-cis` (FedRAMP's CIS/CRM
    /// workbook shape), `ccm-ssrm` (CSA CCM's shared security responsibility model).
    #[serde(default)]
    pub documents: Vec<String>,
    /// The requirements, in the framework's order (read from `requirements`).
    #[serde(skip)]
    pub register: Vec<crate::requirements::Requirement>,
}

/// An AWS service and every identifier it is known by.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    /// Canonical id: `s3`.
    pub id: String,
    /// Display name: "Amazon Simple Storage Service".
    pub name: String,
    /// Category that sets the default responsibility split.
    pub category: Category,
    /// Why this category, when not obvious.
    pub category_reason: String,
    /// The category the AWS Security Best Practices whitepaper (2016) names, when it names the service.
    pub whitepaper_2016: Option<Category>,
    /// The category in AWS Prescriptive Guidance's taxonomy, when it places the service.
    pub guidance_category: Option<GuidanceCategory>,
    /// IAM service prefixes and ARN namespaces.
    pub iam_prefixes: Vec<String>,
    /// Cost and Usage Report product codes.
    pub billing_codes: Vec<String>,
    /// CloudFormation namespaces (`AWS::S3`).
    pub cfn_namespaces: Vec<String>,
    /// SDK service ids.
    pub sdk_ids: Vec<String>,
    /// Other names: short names, former names, billing `ServiceName` spellings.
    pub aliases: Vec<String>,
    /// Where the identifiers were checked.
    pub source: String,
    /// How the service is deployed and operated when its category does not describe it (an id
    /// of [`Catalog::deployments`]): on customer premises, by a third party ...
    pub deployment: Option<String>,
    /// Why that deployment.
    pub deployment_reason: String,
    /// Whether AWS still offers and supports the service.
    pub lifecycle: Lifecycle,
    /// Which variant the statements assume where an inventory cannot tell (Lambda functions from
    /// .zip archives rather than container images ...); empty when there is no such choice.
    pub assumed_variant: String,
    /// AWS's own OSCAL components for this service (`aws-components.csv`).
    pub aws_components: Vec<AwsComponent>,
}

/// A service component of AWS's published OSCAL component definitions.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwsComponent {
    /// AWS's `service-id` property (`EC2`).
    pub aws_service_id: String,
    /// The component definition file (`ec2.oscal.json`).
    pub component_definition: String,
    /// The component's UUID in that file.
    pub component_uuid: String,
}

/// Where a service stands in AWS's offering.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifecycleStatus {
    /// Generally available and open to new customers.
    Available,
    /// In preview only.
    Preview,
    /// Existing customers may continue; new ones cannot start.
    ClosedToNewCustomers,
    /// AWS ends (or has ended) support on a date.
    EndOfSupport,
}

impl LifecycleStatus {
    /// The value written in `services.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            LifecycleStatus::Available => "available",
            LifecycleStatus::Preview => "preview",
            LifecycleStatus::ClosedToNewCustomers => "closed-to-new-customers",
            LifecycleStatus::EndOfSupport => "end-of-support",
        }
    }
}

impl std::str::FromStr for LifecycleStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            LifecycleStatus::Available,
            LifecycleStatus::Preview,
            LifecycleStatus::ClosedToNewCustomers,
            LifecycleStatus::EndOfSupport,
        ]
        .into_iter()
        .find(|l| l.as_str() == s.trim())
        .ok_or_else(|| {
            format!(
                "unknown lifecycle `{s}` (expected available, preview, closed-to-new-customers or end-of-support)"
            )
        })
    }
}

/// A service's lifecycle, with its dates and AWS's migration path.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    /// Where the service stands.
    pub status: LifecycleStatus,
    /// When it closed to new customers (`YYYY-MM-DD`).
    pub closed_on: Option<String>,
    /// When AWS ends (or ended) support (`YYYY-MM-DD`).
    pub end_of_support_on: Option<String>,
    /// What AWS recommends moving to.
    pub migration: String,
    /// Where the lifecycle is stated.
    pub source: String,
}

/// A way a service is deployed or operated that its category does not describe, and the
/// controls whose answer depends on it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
    /// Stable id: `customer-premises`.
    pub id: String,
    /// Title for reports.
    pub title: String,
    /// What it means (Markdown).
    pub description: String,
    /// Controls a service of this deployment must answer with its own statement or this
    /// deployment's block, never with a category default.
    pub decides: Vec<String>,
}

impl Service {
    /// Whether the two taxonomies disagree: the guidance places the service in a category that
    /// does not correspond to the category the catalog uses for its responsibilities.
    pub fn taxonomies_disagree(&self) -> bool {
        self.guidance_category
            .is_some_and(|g| g.corresponding() != self.category)
    }

    /// Every identifier of the service, the id and name first.
    pub fn identifiers(&self) -> impl Iterator<Item = &str> {
        [self.id.as_str(), self.name.as_str()].into_iter().chain(
            self.iam_prefixes
                .iter()
                .chain(&self.billing_codes)
                .chain(&self.cfn_namespaces)
                .chain(&self.sdk_ids)
                .chain(&self.aliases)
                .map(String::as_str),
        )
    }
}

/// A category of AWS Prescriptive Guidance's taxonomy.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuidanceCategory {
    /// EC2-like: the customer manages the operating system.
    Infrastructure,
    /// EKS, ECS, ECR, Fargate: container orchestration and images.
    Container,
    /// Lambda-like: no server to manage.
    Serverless,
}

impl GuidanceCategory {
    /// The id used in `services.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            GuidanceCategory::Infrastructure => "infrastructure",
            GuidanceCategory::Container => "container",
            GuidanceCategory::Serverless => "serverless",
        }
    }

    /// The Shared Responsibility Model category that corresponds to it, for comparing taxonomies.
    pub fn corresponding(self) -> Category {
        match self {
            GuidanceCategory::Infrastructure => Category::Infrastructure,
            GuidanceCategory::Container => Category::Container,
            GuidanceCategory::Serverless => Category::Abstracted,
        }
    }
}

impl std::str::FromStr for GuidanceCategory {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            GuidanceCategory::Infrastructure,
            GuidanceCategory::Container,
            GuidanceCategory::Serverless,
        ]
        .into_iter()
        .find(|g| g.as_str().eq_ignore_ascii_case(s.trim()))
        .ok_or_else(|| {
            format!(
                "unknown guidance category `{s}` (expected infrastructure, container or serverless)"
            )
        })
    }
}

/// A taxonomy that groups services in reports.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Taxonomy {
    /// The Shared Responsibility Model categories (infrastructure, container, abstracted).
    Srm,
    /// AWS Prescriptive Guidance (infrastructure, container, serverless).
    Guidance,
}

impl std::str::FromStr for Taxonomy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "srm" => Ok(Taxonomy::Srm),
            "guidance" => Ok(Taxonomy::Guidance),
            other => Err(format!(
                "unknown taxonomy `{other}` (expected srm or guidance)"
            )),
        }
    }
}

/// Title of a category of AWS Prescriptive Guidance's taxonomy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidanceCategoryInfo {
    /// `infrastructure`, `container` or `serverless`.
    pub id: String,
    /// Title for reports.
    pub title: String,
}

/// A group of billing codes that are not services (data transfer, tax, support ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingGroup {
    /// Stable id: `data-transfer`.
    pub id: String,
    /// Title for reports.
    pub title: String,
}

/// A billing code that is not a service.
#[derive(Debug, Clone, Serialize)]
pub struct BillingCode {
    /// The code as billed: `AWSDataTransfer`.
    pub code: String,
    /// Index of its group in [`Catalog::billing_groups`].
    pub group: usize,
    /// What it is.
    pub name: String,
    /// Other spellings.
    pub aliases: Vec<String>,
    /// Where it was seen or documented.
    pub source: String,
}

/// What an identifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Identified {
    /// A service, by index in [`Catalog::services`].
    Service(usize),
    /// A non-service billing code, by index in [`Catalog::billing_codes`].
    Billing(usize),
}

/// Who does what for one control, for one category or one service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Responsibility {
    /// Who owns the control.
    pub owner: Owner,
    /// What AWS does (Markdown).
    pub aws: String,
    /// What the customer does (Markdown).
    pub customer: String,
    /// Evidence the customer should keep.
    pub evidence: Vec<String>,
    /// Where the statement comes from.
    pub source: String,
}

/// A control of the model, with its responsibility split for each category.
#[derive(Debug, Clone, Serialize)]
pub struct Control {
    /// Stable id: `SRM-IAM-01`.
    pub id: String,
    /// Domain id.
    pub domain: String,
    /// Title.
    pub title: String,
    /// What the control is about (Markdown).
    pub description: String,
    /// Framework id to requirement ids.
    pub frameworks: BTreeMap<String, Vec<String>>,
    /// Responsibility per category, indexed by [`Category::index`].
    pub by_category: [Responsibility; 3],
    /// Responsibility per deployment id, then per category: the deployment's block laid over
    /// the category default.
    pub by_deployment: BTreeMap<String, [Responsibility; 3]>,
}

impl Control {
    /// The category default for this control.
    pub fn for_category(&self, category: Category) -> &Responsibility {
        &self.by_category[category.index()]
    }

    /// What a service without a statement of its own gets for this control: its deployment's
    /// default where the control has one, else its category's.
    pub fn default_for(&self, service: &Service) -> (&Responsibility, Basis) {
        match service
            .deployment
            .as_ref()
            .and_then(|d| self.by_deployment.get(d))
        {
            Some(by) => (&by[service.category.index()], Basis::DeploymentDefault),
            None => (self.for_category(service.category), Basis::CategoryDefault),
        }
    }
}

/// Where a resolved responsibility came from.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// A statement written for this service.
    ServiceStatement,
    /// The default of the service's category.
    CategoryDefault,
    /// The default for the service's deployment (on customer premises, operated by a third
    /// party ...), laid over its category's.
    DeploymentDefault,
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Basis::ServiceStatement => "service-statement",
            Basis::CategoryDefault => "category-default",
            Basis::DeploymentDefault => "deployment-default",
        })
    }
}

/// A service's responsibility for a control, and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Resolved<'c> {
    /// The responsibility.
    pub responsibility: &'c Responsibility,
    /// Service statement, deployment default or category default.
    pub basis: Basis,
}

/// A validated catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// Catalog name.
    pub name: String,
    /// Catalog version, printed in reports.
    pub version: String,
    /// Category texts, indexed by [`Category::index`].
    pub categories: Vec<CategoryInfo>,
    /// Control domains, in report order.
    pub domains: Vec<Domain>,
    /// Frameworks, in report order.
    pub frameworks: Vec<Framework>,
    /// The taxonomy reports group services by, unless told otherwise.
    pub report_taxonomy: Taxonomy,
    /// Titles of AWS Prescriptive Guidance's categories.
    pub guidance_categories: Vec<GuidanceCategoryInfo>,
    /// Groups of non-service billing codes.
    pub billing_groups: Vec<BillingGroup>,
    /// Non-service billing codes.
    pub billing_codes: Vec<BillingCode>,
    /// CSA CCM SSRM control-ownership term for each owner (`AWS` → `CSP-owned`), and for
    /// `third-party`.
    pub ccm_ssrm_ownership: BTreeMap<String, String>,
    /// FedRAMP CRM "Can Be Inherited from CSP" answer for each owner.
    pub fedramp_inheritable: BTreeMap<String, String>,
    /// FedRAMP control origination for each owner.
    pub fedramp_origination: BTreeMap<String, String>,
    /// FedRAMP's control origination values, in the order of the CIS worksheet's columns.
    pub fedramp_origination_values: Vec<String>,
    /// Deployments that override category defaults.
    pub deployments: Vec<Deployment>,
    /// Where AWS's component definition files are published (a directory URL ending in `/`):
    /// a service's [`AwsComponent`] is at this URL, its file name and `#` its UUID.
    pub aws_components_url: String,
    /// SHA-256 (hex) of every catalog file, each by its name and length, in a stable order: what
    /// the catalog says, whatever paths it was read from.
    pub sha256: String,
    /// Services, sorted by id.
    pub services: Vec<Service>,
    /// Controls, sorted by domain order, then id.
    pub controls: Vec<Control>,
    /// Where each file came from, for reports.
    pub origins: Vec<String>,
    statements: HashMap<(usize, usize), Responsibility>,
    resolver: Arc<Resolver>,
}

impl Catalog {
    /// The catalog shipped in the binary.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Catalog::load(&CatalogSources::builtin())
    }

    /// Parses and validates a catalog; every problem is reported, each with file, line and column.
    pub fn load(src: &CatalogSources) -> Result<Catalog, CatalogError> {
        let mut problems = Vec::new();
        let meta = parse_toml::<RawCatalog>(&src.catalog)?;
        let categories = categories(&src.catalog, &meta, &mut problems);
        let frameworks = frameworks(&src.catalog, &meta, &mut problems);
        let (services, service_lines) =
            parse_services(&src.services, &meta.deployment, &mut problems)?;
        let billing_codes = parse_billing(&src.billing, &meta.billing_group, &mut problems)?;
        let index = build_index(
            &src.services,
            &services,
            &src.billing,
            &billing_codes,
            &mut problems,
        );
        let mut services = services;
        aws_components(&src.aws_components, &mut services, &mut problems)?;
        let mut resolver = Resolver::new(index);
        resolver.load_rules(&src.resource_types, &services, &mut problems)?;
        for (name, terms) in [
            ("ccm_ssrm_ownership", &meta.ccm_ssrm_ownership),
            ("fedramp_inheritable", &meta.fedramp_inheritable),
            ("fedramp_origination", &meta.fedramp_origination),
        ] {
            check_ownership_terms(&src.catalog, name, terms, &mut problems);
        }
        let report_taxonomy = match meta.report_taxonomy.as_deref().map(str::parse::<Taxonomy>) {
            None => Taxonomy::Srm,
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                problems.push(
                    Pos { line: 1, column: 1 }
                        .problem(&src.catalog, format!("report_taxonomy: {e}")),
                );
                Taxonomy::Srm
            }
        };
        for g in &meta.guidance_category {
            if let Err(e) = g.id.parse::<GuidanceCategory>() {
                problems.push(Pos { line: 1, column: 1 }.problem(&src.catalog, e));
            }
        }
        let raw_controls = parse_toml::<RawControls>(&src.controls)?;
        let controls = build_controls(
            &src.controls,
            raw_controls,
            &meta.domain,
            &meta.deployment,
            &frameworks,
            &mut problems,
        );
        let mut frameworks = frameworks;
        for (fw, re) in &mut frameworks {
            let Some(path) = fw.requirements.clone() else {
                continue;
            };
            match src.requirements.iter().find(|(name, _)| *name == path) {
                Some((_, file)) => {
                    fw.register = crate::requirements::parse(file, fw, re.as_ref(), &mut problems)?;
                }
                None => problems.push(Pos { line: 1, column: 1 }.problem(
                    &src.catalog,
                    format!(
                        "framework `{}`: requirements file `{path}` is not in the catalog",
                        fw.id
                    ),
                )),
            }
        }
        check_citations(&src.controls, &controls, &frameworks, &mut problems);
        check_baseline_ids(&src.catalog, &frameworks, &mut problems);
        let raw_statements = parse_toml::<RawStatements>(&src.statements)?;
        let statements = build_statements(
            &src.statements,
            raw_statements,
            &services,
            &controls,
            &mut problems,
        );
        check_deployments(
            (&src.catalog, &src.services),
            &meta.deployment,
            (&services, &service_lines),
            &controls,
            &statements,
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(CatalogError::Invalid { problems });
        }
        Ok(Catalog {
            name: meta.name,
            version: meta.version,
            categories,
            domains: meta.domain,
            frameworks: frameworks.into_iter().map(|(f, _)| f).collect(),
            report_taxonomy,
            guidance_categories: meta.guidance_category,
            billing_groups: meta.billing_group,
            billing_codes,
            ccm_ssrm_ownership: meta.ccm_ssrm_ownership,
            fedramp_inheritable: meta.fedramp_inheritable,
            fedramp_origination: meta.fedramp_origination,
            fedramp_origination_values: meta.fedramp_origination_values,
            deployments: meta.deployment,
            aws_components_url: meta.aws_components_url,
            sha256: digest(src),
            services,
            controls,
            origins: src.files().iter().map(|s| s.origin.clone()).collect(),
            statements,
            resolver: Arc::new(resolver),
        })
    }

    /// Finds a service by any identifier: canonical id, display name, billing product code,
    /// IAM prefix / ARN namespace, CloudFormation namespace or type (`AWS::S3::Bucket`),
    /// SDK id, alias, or a whole ARN. Case-insensitive; surrounding white space is ignored.
    pub fn lookup(&self, identifier: &str) -> Option<usize> {
        match self.identify(identifier)? {
            Identified::Service(i) => Some(i),
            Identified::Billing(_) => None,
        }
    }

    /// Finds what an identifier names: a service (see [`Catalog::lookup`] for the forms
    /// accepted) or a billing code that is not a service.
    pub fn identify(&self, identifier: &str) -> Option<Identified> {
        self.resolver.identify(identifier)
    }

    /// The identifier lookup and resource-type rules, shared with the assessment builder.
    pub fn resolver(&self) -> &Arc<Resolver> {
        &self.resolver
    }

    /// Title of a guidance category (its id when the catalog gives none).
    pub fn guidance_title(&self, category: GuidanceCategory) -> &str {
        self.guidance_categories
            .iter()
            .find(|g| g.id == category.as_str())
            .map_or(category.as_str(), |g| g.title.as_str())
    }

    /// The CSA CCM SSRM control-ownership term for an owner.
    pub fn ccm_term(&self, owner: Owner) -> &str {
        self.ccm_ssrm_ownership
            .get(owner.as_str())
            .map_or(owner.as_str(), String::as_str)
    }

    /// The FedRAMP "Can Be Inherited from CSP" answer for an owner.
    pub fn fedramp_inheritable(&self, owner: Owner) -> &str {
        self.fedramp_inheritable
            .get(owner.as_str())
            .map_or(owner.as_str(), String::as_str)
    }

    /// The FedRAMP control origination for an owner.
    pub fn fedramp_origination(&self, owner: Owner) -> &str {
        self.fedramp_origination
            .get(owner.as_str())
            .map_or(owner.as_str(), String::as_str)
    }

    /// What `--framework ID` selects: a framework by its id, or one of its baselines by the
    /// baseline's id.
    pub fn selection(
        &self,
        id: &str,
    ) -> Option<(&Framework, Option<&crate::requirements::Baseline>)> {
        self.frameworks.iter().find_map(|f| {
            if f.id == id {
                Some((f, None))
            } else {
                f.baseline.iter().find(|b| b.id == id).map(|b| (f, Some(b)))
            }
        })
    }

    /// The service with this canonical id.
    pub fn service_index(&self, id: &str) -> Option<usize> {
        self.services
            .binary_search_by(|s| s.id.as_str().cmp(id))
            .ok()
    }

    /// The control with this id.
    pub fn control_index(&self, id: &str) -> Option<usize> {
        self.controls.iter().position(|c| c.id == id)
    }

    /// The responsibility of a service for a control: its own statement, else its category's default.
    pub fn resolve(&self, service: usize, control: usize) -> Resolved<'_> {
        if let Some(r) = self.statements.get(&(service, control)) {
            return Resolved {
                responsibility: r,
                basis: Basis::ServiceStatement,
            };
        }
        let (responsibility, basis) = self.controls[control].default_for(&self.services[service]);
        Resolved {
            responsibility,
            basis,
        }
    }

    /// The deployment with this id.
    pub fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.id == id)
    }

    /// Number of service-specific statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// Title of a domain id (the id itself if unknown).
    pub fn domain_title<'a>(&'a self, id: &'a str) -> &'a str {
        self.domains
            .iter()
            .find(|d| d.id == id)
            .map_or(id, |d| d.title.as_str())
    }

    /// Whether the domain of this id protects stored data.
    pub fn domain_protects_data(&self, id: &str) -> bool {
        self.domains.iter().any(|d| d.id == id && d.protects_data)
    }

    /// Text of a category.
    pub fn category_info(&self, category: Category) -> &CategoryInfo {
        &self.categories[category.index()]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalog {
    name: String,
    version: String,
    category: Vec<Spanned<RawCategory>>,
    domain: Vec<Domain>,
    framework: Vec<Spanned<Framework>>,
    #[serde(default)]
    billing_group: Vec<BillingGroup>,
    #[serde(default)]
    report_taxonomy: Option<String>,
    #[serde(default)]
    guidance_category: Vec<GuidanceCategoryInfo>,
    #[serde(default)]
    ccm_ssrm_ownership: BTreeMap<String, String>,
    #[serde(default)]
    fedramp_inheritable: BTreeMap<String, String>,
    #[serde(default)]
    fedramp_origination: BTreeMap<String, String>,
    #[serde(default)]
    fedramp_origination_values: Vec<String>,
    #[serde(default)]
    deployment: Vec<Deployment>,
    #[serde(default)]
    aws_components_url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: String,
    title: String,
    description: String,
    source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControls {
    #[serde(default)]
    control: Vec<RawControl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: Spanned<String>,
    domain: String,
    title: String,
    description: String,
    #[serde(default)]
    frameworks: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    all: RawResponsibility,
    #[serde(default)]
    infrastructure: RawResponsibility,
    #[serde(default)]
    container: RawResponsibility,
    #[serde(default)]
    abstracted: RawResponsibility,
    #[serde(default)]
    deployment: BTreeMap<String, RawResponsibility>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct RawResponsibility {
    owner: Option<Spanned<String>>,
    aws: Option<String>,
    customer: Option<String>,
    evidence: Option<Vec<String>>,
    source: Option<String>,
}

impl RawResponsibility {
    fn over(self, base: &RawResponsibility) -> RawResponsibility {
        RawResponsibility {
            owner: self.owner.or_else(|| base.owner.clone()),
            aws: self.aws.or_else(|| base.aws.clone()),
            customer: self.customer.or_else(|| base.customer.clone()),
            evidence: self.evidence.or_else(|| base.evidence.clone()),
            source: self.source.or_else(|| base.source.clone()),
        }
    }

    fn from_resolved(r: &Responsibility) -> RawResponsibility {
        RawResponsibility {
            owner: Some(Spanned::new(0..0, r.owner.as_str().to_owned())),
            aws: Some(r.aws.clone()),
            customer: Some(r.customer.clone()),
            evidence: Some(r.evidence.clone()),
            source: Some(r.source.clone()),
        }
    }

    /// Completes a responsibility, or says which fields are missing or wrong.
    fn complete(
        self,
        what: &str,
        at: Pos,
        file: &SourceFile,
        problems: &mut Vec<Problem>,
    ) -> Option<Responsibility> {
        let mut missing = Vec::new();
        let owner = match &self.owner {
            None => {
                missing.push("owner");
                None
            }
            Some(o) => match o.get_ref().parse::<Owner>() {
                Ok(owner) => Some(owner),
                Err(e) => {
                    let span = o.span();
                    let at = if span.is_empty() {
                        at
                    } else {
                        Pos::of(&file.text, span.start)
                    };
                    problems.push(at.problem(file, format!("{what}: {e}")));
                    return None;
                }
            },
        };
        let text = |v: &Option<String>, name: &'static str, missing: &mut Vec<&str>| match v {
            Some(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => {
                missing.push(name);
                None
            }
        };
        let aws = text(&self.aws, "aws", &mut missing);
        let customer = text(&self.customer, "customer", &mut missing);
        let source = text(&self.source, "source", &mut missing);
        let evidence: Vec<String> = self
            .evidence
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .collect();
        if evidence.is_empty() {
            missing.push("evidence");
        }
        if !missing.is_empty() {
            problems.push(at.problem(file, format!("{what}: missing {}", missing.join(", "))));
            return None;
        }
        Some(Responsibility {
            owner: owner?,
            aws: aws?,
            customer: customer?,
            evidence,
            source: source?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatements {
    #[serde(default)]
    statement: Vec<Spanned<RawStatement>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    service: String,
    control: String,
    owner: Option<Spanned<String>>,
    aws: Option<String>,
    customer: Option<String>,
    evidence: Option<Vec<String>>,
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: String,
    name: String,
    category: String,
    #[serde(default)]
    category_reason: String,
    #[serde(default)]
    whitepaper_2016: String,
    #[serde(default)]
    guidance_category: String,
    #[serde(default)]
    iam_prefixes: String,
    #[serde(default)]
    billing_codes: String,
    #[serde(default)]
    cfn_namespaces: String,
    #[serde(default)]
    sdk_ids: String,
    #[serde(default)]
    aliases: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    deployment: String,
    #[serde(default)]
    deployment_reason: String,
    #[serde(default)]
    lifecycle: String,
    #[serde(default)]
    closed_on: String,
    #[serde(default)]
    end_of_support_on: String,
    #[serde(default)]
    migration: String,
    #[serde(default)]
    lifecycle_source: String,
    #[serde(default)]
    assumed_variant: String,
}

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: u64,
    column: u64,
}

impl Pos {
    /// The position of a byte offset, for a one-off lookup.
    fn of(text: &str, offset: usize) -> Pos {
        LineIndex::new(text).pos(text, offset)
    }

    fn problem(self, file: &SourceFile, message: String) -> Problem {
        Problem {
            file: file.origin.clone(),
            line: self.line,
            column: self.column,
            message,
        }
    }
}

/// Where each line of a file starts, so that many offsets are placed without rescanning the file
/// (a catalog file names the position of every item it checks).
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex(starts)
    }

    fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let line = self.0.partition_point(|&start| start <= offset);
        let line_start = self.0.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        let column = text
            .get(line_start..offset)
            .map_or(1, |s| s.chars().count() as u64 + 1);
        Pos {
            line: line as u64,
            column,
        }
    }
}

fn parse_toml<T: for<'de> Deserialize<'de>>(file: &SourceFile) -> Result<T, CatalogError> {
    toml::from_str(&file.text).map_err(|e| {
        let pos = e
            .span()
            .map_or(Pos { line: 1, column: 1 }, |s| Pos::of(&file.text, s.start));
        CatalogError::Invalid {
            problems: vec![pos.problem(file, e.message().trim().to_owned())],
        }
    })
}

fn categories(
    file: &SourceFile,
    meta: &RawCatalog,
    problems: &mut Vec<Problem>,
) -> Vec<CategoryInfo> {
    let mut found: Vec<Option<CategoryInfo>> = vec![None; 3];
    let lines = LineIndex::new(&file.text);
    for c in &meta.category {
        let at = lines.pos(&file.text, c.span().start);
        let raw = c.get_ref();
        match raw.id.parse::<Category>() {
            Ok(id) if found[id.index()].is_none() => {
                found[id.index()] = Some(CategoryInfo {
                    id,
                    title: raw.title.clone(),
                    description: raw.description.clone(),
                    source: raw.source.clone(),
                });
            }
            Ok(id) => problems.push(at.problem(file, format!("category `{id}` is defined twice"))),
            Err(e) => problems.push(at.problem(file, e)),
        }
    }
    let mut out = Vec::new();
    for (c, info) in Category::ALL.into_iter().zip(found) {
        match info {
            Some(info) => out.push(info),
            None => {
                problems.push(
                    Pos { line: 1, column: 1 }
                        .problem(file, format!("category `{c}` is not defined")),
                );
                out.push(CategoryInfo {
                    id: c,
                    title: c.to_string(),
                    description: String::new(),
                    source: String::new(),
                });
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for d in &meta.domain {
        if !seen.insert(d.id.as_str()) {
            problems.push(
                Pos { line: 1, column: 1 }
                    .problem(file, format!("domain `{}` is defined twice", d.id)),
            );
        }
    }
    out
}

fn frameworks(
    file: &SourceFile,
    meta: &RawCatalog,
    problems: &mut Vec<Problem>,
) -> Vec<(Framework, Option<regex::Regex>)> {
    let mut out: Vec<(Framework, Option<regex::Regex>)> = Vec::new();
    let lines = LineIndex::new(&file.text);
    for f in &meta.framework {
        let at = lines.pos(&file.text, f.span().start);
        let fw = f.get_ref().clone();
        if out.iter().any(|(o, _)| o.id == fw.id) {
            problems.push(at.problem(file, format!("framework `{}` is defined twice", fw.id)));
        }
        for d in &fw.documents {
            if !crate::requirements::DOCUMENT_SHAPES.contains(&d.as_str()) {
                problems.push(at.problem(
                    file,
                    format!(
                        "framework `{}`: unknown document `{d}` (known: {})",
                        fw.id,
                        crate::requirements::DOCUMENT_SHAPES.join(", ")
                    ),
                ));
            }
        }
        let re = match regex::Regex::new(&fw.id_pattern) {
            Ok(re) => Some(re),
            Err(e) => {
                problems
                    .push(at.problem(file, format!("framework `{}`: bad id_pattern: {e}", fw.id)));
                None
            }
        };
        out.push((fw, re));
    }
    out
}

/// Every requirement id a control cites must be one of its framework's requirements, when the
/// framework lists them.
fn check_citations(
    file: &SourceFile,
    controls: &[Control],
    frameworks: &[(Framework, Option<regex::Regex>)],
    problems: &mut Vec<Problem>,
) {
    for (fw, _) in frameworks {
        if fw.register.is_empty() {
            continue;
        }
        let known: std::collections::HashSet<&str> =
            fw.register.iter().map(|r| r.id.as_str()).collect();
        for c in controls {
            for rid in c.frameworks.get(&fw.id).into_iter().flatten() {
                if !known.contains(rid.as_str()) {
                    let at = file
                        .text
                        .find(&format!("id = \"{}\"", c.id))
                        .map_or(Pos { line: 1, column: 1 }, |o| Pos::of(&file.text, o));
                    problems.push(at.problem(
                        file,
                        format!(
                            "control `{}`: `{rid}` is not a requirement of {} ({})",
                            c.id,
                            fw.title,
                            fw.requirements.as_deref().unwrap_or_default()
                        ),
                    ));
                }
            }
        }
    }
}

/// Baseline ids are selectable like framework ids: each must be unique among both.
fn check_baseline_ids(
    file: &SourceFile,
    frameworks: &[(Framework, Option<regex::Regex>)],
    problems: &mut Vec<Problem>,
) {
    let mut seen: HashMap<&str, &str> = frameworks
        .iter()
        .map(|(f, _)| (f.id.as_str(), f.id.as_str()))
        .collect();
    for (fw, _) in frameworks {
        for b in &fw.baseline {
            if let Some(other) = seen.insert(b.id.as_str(), fw.id.as_str()) {
                problems.push(Pos { line: 1, column: 1 }.problem(
                    file,
                    format!(
                        "baseline `{}` of `{}`: the id is already used by `{other}`",
                        b.id, fw.id
                    ),
                ));
            }
        }
    }
}

fn split_list(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The rows of a catalog CSV file, each deserialised with its line; a row that does not fit `T` is
/// a problem, a malformed file an error.
pub(crate) fn csv_rows_at<T: for<'de> Deserialize<'de>>(
    file: &SourceFile,
    problems: &mut Vec<Problem>,
) -> Result<Vec<(u64, T)>, CatalogError> {
    Ok(csv_rows(file, problems)?
        .into_iter()
        .map(|(at, row)| (at.line, row))
        .collect())
}

/// The rows of a catalog CSV file, each deserialised with its position; a row that does not fit
/// `T` is a problem, a malformed file an error.
fn csv_rows<T: for<'de> Deserialize<'de>>(
    file: &SourceFile,
    problems: &mut Vec<Problem>,
) -> Result<Vec<(Pos, T)>, CatalogError> {
    let fail = |line: u64, message: String| CatalogError::Invalid {
        problems: vec![Pos { line, column: 1 }.problem(file, message)],
    };
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file.text.as_bytes());
    let headers = rdr.headers().map_err(|e| fail(1, e.to_string()))?.clone();
    let mut out = Vec::new();
    for row in rdr.records() {
        let row = row.map_err(|e| fail(e.position().map_or(1, |p| p.line()), e.to_string()))?;
        let at = Pos {
            line: row.position().map_or(0, |p| p.line()),
            column: 1,
        };
        match row.deserialize(Some(&headers)) {
            Ok(r) => out.push((at, r)),
            Err(e) => problems.push(at.problem(file, e.to_string())),
        }
    }
    Ok(out)
}

fn parse_services(
    file: &SourceFile,
    deployments: &[Deployment],
    problems: &mut Vec<Problem>,
) -> Result<(Vec<Service>, HashMap<String, u64>), CatalogError> {
    let mut services: Vec<Service> = Vec::new();
    let mut lines: HashMap<String, u64> = HashMap::new();
    for (at, raw) in csv_rows::<RawService>(file, problems)? {
        let line = at.line;
        let category = match raw.category.parse::<Category>() {
            Ok(c) => c,
            Err(e) => {
                problems.push(at.problem(file, format!("service `{}`: {e}", raw.id)));
                continue;
            }
        };
        if raw.id.is_empty()
            || !raw
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            problems.push(at.problem(
                file,
                format!("service id `{}` is not lower-case kebab", raw.id),
            ));
        }
        if raw.name.is_empty() {
            problems.push(at.problem(file, format!("service `{}` has no name", raw.id)));
        }
        let whitepaper_2016 = match raw.whitepaper_2016.trim() {
            "" => None,
            c => match c.parse::<Category>() {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.push(
                        at.problem(file, format!("service `{}`: whitepaper_2016: {e}", raw.id)),
                    );
                    None
                }
            },
        };
        let guidance_category = match raw.guidance_category.trim() {
            "" => None,
            c => match c.parse::<GuidanceCategory>() {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.push(at.problem(file, format!("service `{}`: {e}", raw.id)));
                    None
                }
            },
        };
        let lifecycle = lifecycle(&raw, |message| {
            problems.push(at.problem(file, format!("service `{}`: {message}", raw.id)))
        });
        let d = raw.deployment.as_str();
        if !d.is_empty() && !deployments.iter().any(|x| x.id == d) {
            problems.push(at.problem(
                file,
                format!("service `{}`: unknown deployment `{d}`", raw.id),
            ));
        }
        if let Some(first) = lines.insert(raw.id.clone(), line) {
            problems.push(at.problem(
                file,
                format!(
                    "service `{}` is defined twice (first on line {first})",
                    raw.id
                ),
            ));
        }
        services.push(Service {
            id: raw.id,
            name: raw.name,
            category,
            category_reason: raw.category_reason,
            whitepaper_2016,
            guidance_category,
            iam_prefixes: split_list(&raw.iam_prefixes),
            billing_codes: split_list(&raw.billing_codes),
            cfn_namespaces: split_list(&raw.cfn_namespaces),
            sdk_ids: split_list(&raw.sdk_ids),
            aliases: split_list(&raw.aliases),
            source: raw.source,
            deployment: Some(raw.deployment).filter(|d| !d.is_empty()),
            deployment_reason: raw.deployment_reason,
            lifecycle,
            assumed_variant: raw.assumed_variant,
            aws_components: Vec::new(),
        });
    }
    services.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((services, lines))
}

/// SHA-256 of the catalog's files: each file's name, length and text.
fn digest(src: &CatalogSources) -> String {
    use sha2::{Digest, Sha256};
    let names = CatalogSources::FILE_NAMES
        .iter()
        .copied()
        .chain(src.requirements.iter().map(|(n, _)| n.as_str()));
    let mut h = Sha256::new();
    for (name, file) in names.zip(src.files()) {
        for part in [name.as_bytes(), file.text.as_bytes()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
    }
    crate::hex(&h.finalize())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAwsComponent {
    service: String,
    aws_service_id: String,
    component_definition: String,
    component_uuid: String,
}

/// Reads `aws-components.csv` into the services it names.
fn aws_components(
    file: &SourceFile,
    services: &mut [Service],
    problems: &mut Vec<Problem>,
) -> Result<(), CatalogError> {
    for (at, raw) in csv_rows::<RawAwsComponent>(file, problems)? {
        match services.binary_search_by(|s| s.id.as_str().cmp(&raw.service)) {
            Ok(i) => services[i].aws_components.push(AwsComponent {
                aws_service_id: raw.aws_service_id,
                component_definition: raw.component_definition,
                component_uuid: raw.component_uuid,
            }),
            Err(_) => problems.push(at.problem(file, format!("unknown service `{}`", raw.service))),
        }
    }
    Ok(())
}

/// A service's lifecycle from its `services.csv` columns; problems go to `problem`.
fn lifecycle(raw: &RawService, mut problem: impl FnMut(String)) -> Lifecycle {
    let status = match raw.lifecycle.as_str() {
        "" => LifecycleStatus::Available,
        s => s.parse().unwrap_or_else(|e: String| {
            problem(e);
            LifecycleStatus::Available
        }),
    };
    let mut date = |name: &str, value: &str| -> Option<String> {
        if value.is_empty() {
            return None;
        }
        if !crate::policy::is_date(value) {
            problem(format!("{name} `{value}` is not a date (YYYY-MM-DD)"));
        }
        Some(value.to_owned())
    };
    let closed_on = date("closed_on", &raw.closed_on);
    let end_of_support_on = date("end_of_support_on", &raw.end_of_support_on);
    let needs = match status {
        LifecycleStatus::ClosedToNewCustomers => closed_on.is_none().then_some("closed_on"),
        LifecycleStatus::EndOfSupport => end_of_support_on.is_none().then_some("end_of_support_on"),
        _ => None,
    };
    if let Some(field) = needs {
        problem(format!("lifecycle `{}` needs {field}", status.as_str()));
    }
    if status != LifecycleStatus::Available
        && (raw.lifecycle_source.is_empty() || raw.migration.is_empty())
    {
        problem(format!(
            "lifecycle `{}` needs a migration and a lifecycle_source",
            status.as_str()
        ));
    }
    Lifecycle {
        status,
        closed_on,
        end_of_support_on,
        migration: raw.migration.clone(),
        source: raw.lifecycle_source.clone(),
    }
}

/// Every service with a deployment answers the controls its deployment decides with its own
/// statement or the deployment's block, never with a category default.
fn check_deployments(
    files: (&SourceFile, &SourceFile),
    deployments: &[Deployment],
    services: (&[Service], &HashMap<String, u64>),
    controls: &[Control],
    statements: &HashMap<(usize, usize), Responsibility>,
    problems: &mut Vec<Problem>,
) {
    let (catalog_file, services_file) = files;
    let (services, service_lines) = services;
    for d in deployments {
        for c in &d.decides {
            if !controls.iter().any(|x| &x.id == c) {
                problems.push(Pos { line: 1, column: 1 }.problem(
                    catalog_file,
                    format!("deployment `{}` decides unknown control `{c}`", d.id),
                ));
            }
        }
    }
    for (si, s) in services.iter().enumerate() {
        let Some(d) = s
            .deployment
            .as_ref()
            .and_then(|d| deployments.iter().find(|x| &x.id == d))
        else {
            continue;
        };
        for (ci, c) in controls.iter().enumerate() {
            if d.decides.contains(&c.id)
                && !statements.contains_key(&(si, ci))
                && !c.by_deployment.contains_key(&d.id)
            {
                let line = service_lines.get(s.id.as_str()).copied().unwrap_or(1);
                problems.push(Pos { line, column: 1 }.problem(
                    services_file,
                    format!(
                        "service `{}` is deployed as `{}`, which decides {}, but neither a statement nor a `[control.deployment.{}]` block answers it: its {} default would apply",
                        s.id, d.id, c.id, d.id, s.category
                    ),
                ));
            }
        }
    }
}

fn build_index(
    services_file: &SourceFile,
    services: &[Service],
    billing_file: &SourceFile,
    billing: &[BillingCode],
    problems: &mut Vec<Problem>,
) -> HashMap<String, Identified> {
    let name = |t: Identified| match t {
        Identified::Service(i) => format!("service `{}`", services[i].id),
        Identified::Billing(i) => format!("billing code `{}`", billing[i].code),
    };
    let mut index: HashMap<String, Identified> = HashMap::new();
    let entries = services
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.identifiers().map(move |id| (id, Identified::Service(i))))
        .chain(billing.iter().enumerate().flat_map(|(i, b)| {
            std::iter::once(b.code.as_str())
                .chain(b.aliases.iter().map(String::as_str))
                .map(move |id| (id, Identified::Billing(i)))
        }));
    for (ident, target) in entries {
        let key = ident.trim().to_lowercase();
        match index.get(&key) {
            Some(&other) if other != target => {
                let file = match target {
                    Identified::Service(_) => services_file,
                    Identified::Billing(_) => billing_file,
                };
                problems.push(Pos { line: 1, column: 1 }.problem(
                    file,
                    format!(
                        "identifier `{ident}` names two things: {} and {}",
                        name(other),
                        name(target)
                    ),
                ));
            }
            _ => {
                index.insert(key, target);
            }
        }
    }
    index
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBillingCode {
    code: String,
    group: String,
    name: String,
    #[serde(default)]
    aliases: String,
    #[serde(default)]
    source: String,
}

fn parse_billing(
    file: &SourceFile,
    groups: &[BillingGroup],
    problems: &mut Vec<Problem>,
) -> Result<Vec<BillingCode>, CatalogError> {
    let mut out = Vec::new();
    for (at, raw) in csv_rows::<RawBillingCode>(file, problems)? {
        let Some(group) = groups.iter().position(|g| g.id == raw.group) else {
            problems.push(at.problem(
                file,
                format!("billing code `{}`: unknown group `{}`", raw.code, raw.group),
            ));
            continue;
        };
        out.push(BillingCode {
            code: raw.code,
            group,
            name: raw.name,
            aliases: split_list(&raw.aliases),
            source: raw.source,
        });
    }
    Ok(out)
}

fn check_ownership_terms(
    file: &SourceFile,
    table: &str,
    terms: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
) {
    if terms.is_empty() {
        return;
    }
    let at = Pos { line: 1, column: 1 };
    for owner in Owner::ALL {
        if !terms.contains_key(owner.as_str()) {
            problems.push(at.problem(file, format!("{table} has no term for `{owner}`")));
        }
    }
    for key in terms.keys() {
        if key.parse::<Owner>().is_err() && key != "third-party" {
            problems.push(at.problem(
                file,
                format!("ccm_ssrm_ownership: `{key}` is not an owner (AWS, Shared, Customer) or `third-party`"),
            ));
        }
    }
}

fn build_controls(
    file: &SourceFile,
    raw: RawControls,
    domains: &[Domain],
    deployments: &[Deployment],
    frameworks: &[(Framework, Option<regex::Regex>)],
    problems: &mut Vec<Problem>,
) -> Vec<Control> {
    let mut controls = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let lines = LineIndex::new(&file.text);
    for c in raw.control {
        let at = lines.pos(&file.text, c.id.span().start);
        let id = c.id.get_ref().clone();
        if let Some(first) = seen.insert(id.clone(), at.line) {
            problems.push(at.problem(
                file,
                format!("control `{id}` is defined twice (first on line {first})"),
            ));
        }
        if !domains.iter().any(|d| d.id == c.domain) {
            problems.push(at.problem(
                file,
                format!("control `{id}`: unknown domain `{}`", c.domain),
            ));
        }
        for (fw, ids) in &c.frameworks {
            match frameworks.iter().find(|(f, _)| &f.id == fw) {
                None => problems
                    .push(at.problem(file, format!("control `{id}`: unknown framework `{fw}`"))),
                Some((_, Some(re))) => {
                    for rid in ids {
                        if !re.is_match(rid) {
                            problems.push(at.problem(
                                file,
                                format!("control `{id}`: `{rid}` is not a well-formed {fw} requirement id"),
                            ));
                        }
                    }
                }
                Some((_, None)) => {}
            }
        }
        let per_raw = [c.infrastructure, c.container, c.abstracted];
        let mut resolved = Vec::new();
        for (cat, block) in Category::ALL.into_iter().zip(per_raw.clone()) {
            let what = format!("control `{id}` for {cat} services");
            if let Some(r) = block.over(&c.all).complete(&what, at, file, problems) {
                resolved.push(r);
            }
        }
        let mut by_deployment = BTreeMap::new();
        for (d, block) in c.deployment {
            if !deployments.iter().any(|x| x.id == d) {
                problems
                    .push(at.problem(file, format!("control `{id}`: unknown deployment `{d}`")));
                continue;
            }
            let mut per = Vec::new();
            for (cat, over) in Category::ALL.into_iter().zip(&per_raw) {
                let what = format!("control `{id}` for {cat} services deployed as `{d}`");
                if let Some(r) = block
                    .clone()
                    .over(&over.clone().over(&c.all))
                    .complete(&what, at, file, problems)
                {
                    per.push(r);
                }
            }
            if let Ok(per) = <[Responsibility; 3]>::try_from(per) {
                by_deployment.insert(d, per);
            }
        }
        let Ok(by_category) = <[Responsibility; 3]>::try_from(resolved) else {
            continue;
        };
        controls.push(Control {
            id,
            domain: c.domain,
            title: c.title,
            description: c.description.trim().to_owned(),
            frameworks: c.frameworks,
            by_category,
            by_deployment,
        });
    }
    let order = |d: &str| domains.iter().position(|x| x.id == d).unwrap_or(usize::MAX);
    controls.sort_by(|a, b| {
        order(&a.domain)
            .cmp(&order(&b.domain))
            .then(a.id.cmp(&b.id))
    });
    controls
}

fn build_statements(
    file: &SourceFile,
    raw: RawStatements,
    services: &[Service],
    controls: &[Control],
    problems: &mut Vec<Problem>,
) -> HashMap<(usize, usize), Responsibility> {
    let mut out = HashMap::new();
    let lines = LineIndex::new(&file.text);
    for st in raw.statement {
        let at = lines.pos(&file.text, st.span().start);
        let st = st.into_inner();
        let si = services
            .binary_search_by(|s| s.id.as_str().cmp(&st.service))
            .ok();
        let ci = controls.iter().position(|c| c.id == st.control);
        let (Some(si), Some(ci)) = (si, ci) else {
            if si.is_none() {
                problems
                    .push(at.problem(file, format!("statement: unknown service `{}`", st.service)));
            }
            if ci.is_none() {
                problems
                    .push(at.problem(file, format!("statement: unknown control `{}`", st.control)));
            }
            continue;
        };
        if st.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
            problems.push(at.problem(
                file,
                format!(
                    "statement for `{}` × `{}` has no source",
                    st.service, st.control
                ),
            ));
            continue;
        }
        let (service, control) = (&services[si], &controls[ci]);
        let base = RawResponsibility::from_resolved(control.default_for(service).0);
        let own = RawResponsibility {
            owner: st.owner,
            aws: st.aws,
            customer: st.customer,
            evidence: st.evidence,
            source: st.source,
        };
        let what = format!("statement for `{}` × `{}`", st.service, st.control);
        if let Some(r) = own.over(&base).complete(&what, at, file, problems)
            && out.insert((si, ci), r).is_some()
        {
            problems.push(at.problem(file, format!("{what} is given twice")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(services: &str, controls: &str, statements: &str) -> CatalogSources {
        let mut s = CatalogSources::builtin();
        s.services.text = services.to_owned();
        s.resource_types.text = String::new();
        s.aws_components.text = String::new();
        s.controls.text = controls.to_owned();
        s.statements.text = statements.to_owned();
        // The deployments decide controls these tests do not define.
        if let Some(at) = s.catalog.text.find("\n[[deployment]]") {
            s.catalog.text.truncate(at + 1);
        }
        s
    }

    const SERVICES: &str = "id,name,category,iam_prefixes,billing_codes,cfn_namespaces,aliases\n\
        s3,Amazon Simple Storage Service,abstracted,s3,AmazonS3,AWS::S3,Amazon S3\n\
        ec2,Amazon Elastic Compute Cloud,infrastructure,ec2,AmazonEC2,AWS::EC2,\"EC2 - Other;Amazon EC2\"\n";

    const CONTROLS: &str = r#"
[[control]]
id = "SRM-PAT-01"
domain = "patching"
title = "Guest OS patching"
description = "Patch the OS."
frameworks = { nist-800-53 = ["SI-2"] }

[control.all]
owner = "AWS"
aws = "AWS patches the host and guest OS."
customer = "Nothing at the OS layer."
evidence = ["AWS SOC 2 report"]
source = "test"

[control.infrastructure]
owner = "Customer"
customer = "Patch the guest OS."
"#;

    #[test]
    fn resolves_category_then_statement() {
        let st = r#"
[[statement]]
service = "s3"
control = "SRM-PAT-01"
owner = "Shared"
customer = "Something specific."
source = "test statement"
"#;
        let cat = Catalog::load(&sources(SERVICES, CONTROLS, st)).unwrap();
        let ec2 = cat.service_index("ec2").unwrap();
        let s3 = cat.service_index("s3").unwrap();
        let r = cat.resolve(ec2, 0);
        assert_eq!(r.basis, Basis::CategoryDefault);
        assert_eq!(r.responsibility.owner, Owner::Customer);
        assert_eq!(r.responsibility.aws, "AWS patches the host and guest OS.");
        assert_eq!(r.responsibility.customer, "Patch the guest OS.");
        let r = cat.resolve(s3, 0);
        assert_eq!(r.basis, Basis::ServiceStatement);
        assert_eq!(r.responsibility.owner, Owner::Shared);
        assert_eq!(r.responsibility.aws, "AWS patches the host and guest OS.");
        assert_eq!(r.responsibility.source, "test statement");
    }

    #[test]
    fn lookup_accepts_every_identifier_form() {
        let cat = Catalog::load(&sources(SERVICES, CONTROLS, "")).unwrap();
        let s3 = cat.service_index("s3");
        for ident in [
            "s3",
            "S3",
            " Amazon Simple Storage Service ",
            "amazons3",
            "AWS::S3",
            "AWS::S3::Bucket",
            "arn:aws:s3:::my-bucket",
            "Amazon S3",
        ] {
            assert_eq!(cat.lookup(ident), s3, "{ident}");
        }
        assert_eq!(cat.lookup("EC2 - Other"), cat.service_index("ec2"));
        assert_eq!(cat.lookup("ec2"), cat.service_index("ec2"));
        assert_eq!(
            cat.lookup("arn:aws:ec2:eu-west-1:123456789012:instance/i-1"),
            cat.service_index("ec2")
        );
        for unknown in [
            "",
            "  ",
            "Contoso",
            "AWS::Nope::Thing",
            "arn:aws",
            "arn:aws:nope:::x",
            "arn:aws:s3",
            "arn:aws:s3:::",
        ] {
            assert_eq!(cat.lookup(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn reports_missing_fields_with_line() {
        let bad = CONTROLS.replace("owner = \"AWS\"\n", "");
        let err = Catalog::load(&sources(SERVICES, &bad, "")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("builtin:controls.toml:3:"), "{text}");
        assert!(text.contains("container services: missing owner"), "{text}");
        assert!(!text.contains("infrastructure services"), "{text}");
    }

    #[test]
    fn rejects_identifier_claimed_twice() {
        let dup = format!("{SERVICES}ebs,Amazon Elastic Block Store,infrastructure,ec2,,,\n");
        let err = Catalog::load(&sources(&dup, CONTROLS, "")).unwrap_err();
        assert!(
            err.to_string()
                .contains("identifier `ec2` names two things"),
            "{err}"
        );
    }

    #[test]
    fn rejects_bad_framework_id_unknown_refs_and_bad_owner() {
        let bad = CONTROLS
            .replace("\"SI-2\"", "\"SI 2\"")
            .replace("\"Customer\"", "\"Tenant\"");
        let st = "[[statement]]\nservice = \"nope\"\ncontrol = \"SRM-X\"\nsource = \"x\"\n";
        let err = Catalog::load(&sources(SERVICES, &bad, st)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("`SI 2` is not a well-formed nist-800-53"),
            "{text}"
        );
        assert!(text.contains("unknown owner `Tenant`"), "{text}");
        assert!(
            text.contains("controls.toml:17:9: control `SRM-PAT-01` for infrastructure"),
            "owner error points at its value: {text}"
        );
        assert!(text.contains("unknown service `nope`"), "{text}");
        assert!(text.contains("unknown control `SRM-X`"), "{text}");
    }

    #[test]
    fn statement_without_source_is_rejected() {
        let st = "[[statement]]\nservice = \"s3\"\ncontrol = \"SRM-PAT-01\"\nowner = \"Shared\"\n";
        let err = Catalog::load(&sources(SERVICES, CONTROLS, st)).unwrap_err();
        assert!(err.to_string().contains("statements.toml:1:1"), "{err}");
        assert!(err.to_string().contains("has no source"), "{err}");
    }

    #[test]
    fn toml_syntax_error_names_line_and_column() {
        let err = Catalog::load(&sources(SERVICES, "[[control]\nid = 1", "")).unwrap_err();
        assert!(
            err.to_string().starts_with("builtin:controls.toml:1:"),
            "{err}"
        );
    }

    #[test]
    fn no_service_answers_a_control_its_deployment_decides_with_a_category_default() {
        let cat = Catalog::builtin().unwrap();
        let mut with_deployment = 0;
        for (si, s) in cat.services.iter().enumerate() {
            let Some(d) = s.deployment.as_deref() else {
                continue;
            };
            with_deployment += 1;
            let d = cat.deployment(d).unwrap();
            assert!(!s.deployment_reason.is_empty(), "{}", s.id);
            for (ci, c) in cat.controls.iter().enumerate() {
                let r = cat.resolve(si, ci);
                if d.decides.contains(&c.id) {
                    assert_ne!(
                        r.basis,
                        Basis::CategoryDefault,
                        "{} × {} ({})",
                        s.id,
                        c.id,
                        d.id
                    );
                }
            }
        }
        assert!(with_deployment >= 25, "{with_deployment}");
        // The customer-premises deployment takes physical security away from AWS alone.
        let outposts = cat.service_index("outposts").unwrap();
        let phy = cat.control_index("SRM-PHY-01").unwrap();
        assert_ne!(cat.resolve(outposts, phy).responsibility.owner, Owner::Aws);
        // An AWS-run network service has no guest OS for the customer to patch.
        let tgw = cat.service_index("transit-gateway").unwrap();
        let pat = cat.control_index("SRM-PAT-01").unwrap();
        assert_eq!(cat.resolve(tgw, pat).responsibility.owner, Owner::Aws);
    }

    #[test]
    fn a_decided_control_left_to_the_category_default_is_a_problem() {
        let mut src = CatalogSources::builtin();
        // Drop every block of one deployment: its services now fall back to category defaults.
        let mut kept = String::new();
        let mut skipping = false;
        for line in src.controls.text.lines() {
            if line.starts_with('[') {
                skipping = line == "[control.deployment.customer-images]";
            }
            if !skipping {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        src.controls.text = kept;
        let err = Catalog::load(&src).unwrap_err().to_string();
        assert!(
            err.contains(
                "service `appstream` is deployed as `customer-images`, which decides SRM-PAT-01"
            ),
            "{err}"
        );
        assert!(err.contains("builtin:services.csv:"), "{err}");
    }

    #[test]
    fn lifecycle_columns_are_checked() {
        let header =
            "id,name,category,lifecycle,closed_on,end_of_support_on,migration,lifecycle_source\n";
        for (row, want) in [
            (
                "x,X,abstracted,retired,,,,\n",
                "unknown lifecycle `retired`",
            ),
            (
                "x,X,abstracted,end-of-support,,,Move,AWS page\n",
                "needs end_of_support_on",
            ),
            (
                "x,X,abstracted,closed-to-new-customers,2025-13-01,,Move,AWS page\n",
                "closed_on `2025-13-01` is not a date",
            ),
            (
                "x,X,abstracted,end-of-support,,2026-01-01,,\n",
                "needs a migration and a lifecycle_source",
            ),
        ] {
            let mut src = sources(&format!("{header}{row}"), CONTROLS, "");
            src.resource_types.text = String::new();
            src.aws_components.text = String::new();
            let err = Catalog::load(&src).unwrap_err().to_string();
            assert!(err.contains("services.csv:2:1: service `x`: "), "{err}");
            assert!(err.contains(want), "{want}: {err}");
        }
        let cat = Catalog::builtin().unwrap();
        let mediastore = &cat.services[cat.service_index("mediastore").unwrap()];
        assert_eq!(mediastore.lifecycle.status, LifecycleStatus::EndOfSupport);
        assert_eq!(
            mediastore.lifecycle.end_of_support_on.as_deref(),
            Some("2025-11-13")
        );
        // Every service of the built-in catalog says where its lifecycle comes from.
        for s in &cat.services {
            assert!(!s.lifecycle.source.is_empty(), "{}", s.id);
        }
    }

    #[test]
    fn the_catalog_digest_follows_content_not_paths() {
        let a = Catalog::builtin().unwrap();
        let mut src = CatalogSources::builtin();
        src.services.origin = "/elsewhere/services.csv".into();
        assert_eq!(Catalog::load(&src).unwrap().sha256, a.sha256);
        src.statements.text.push_str("\n# a comment\n");
        assert_ne!(Catalog::load(&src).unwrap().sha256, a.sha256);
    }

    #[test]
    fn position_counts_lines_and_chars() {
        let p = Pos::of("ab\ncdé\nf", 7);
        assert_eq!((p.line, p.column), (2, 4));
    }
}
