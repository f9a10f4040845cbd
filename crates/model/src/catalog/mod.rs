//! The catalog: services, controls, per-category responsibilities and service-specific statements.
//!
//! The catalog is data. [`CatalogSources::builtin`] holds the files of the repository's `catalog/`
//! directory, embedded at build time; any of them can be replaced by a user's file of the same name.
//! [`Catalog::load`] parses and validates them all and reports every problem with file, line and column.
//! The public types and look-ups are here; parsing the files and checking them is in `load.rs`.

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
                include_str!("../../../../catalog/catalog.toml"),
            ),
            services: SourceFile::builtin(
                SERVICES_FILE,
                include_str!("../../../../catalog/services.csv"),
            ),
            controls: SourceFile::builtin(
                CONTROLS_FILE,
                include_str!("../../../../catalog/controls.toml"),
            ),
            statements: SourceFile::builtin(
                STATEMENTS_FILE,
                include_str!("../../../../catalog/statements.toml"),
            ),
            billing: SourceFile::builtin(
                BILLING_FILE,
                include_str!("../../../../catalog/billing-codes.csv"),
            ),
            resource_types: SourceFile::builtin(
                RESOURCE_TYPES_FILE,
                include_str!("../../../../catalog/resource-types.csv"),
            ),
            aws_components: SourceFile::builtin(
                AWS_COMPONENTS_FILE,
                include_str!("../../../../catalog/aws-components.csv"),
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

mod load;
pub(crate) use load::csv_rows_at;
use load::*;

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

    /// Problems come in the order of the files (services, then controls, then statements), and
    /// of two files that cannot be parsed, the one read first is the error.
    #[test]
    fn problems_and_errors_come_in_file_order() {
        let dup = format!("{SERVICES}ebs,Amazon Elastic Block Store,infrastructure,ec2,,,\n");
        let bad_controls = CONTROLS.replace("owner = \"AWS\"\n", "");
        let st = "[[statement]]\nservice = \"nope\"\ncontrol = \"SRM-PAT-01\"\nsource = \"x\"\n";
        let text = Catalog::load(&sources(&dup, &bad_controls, st))
            .unwrap_err()
            .to_string();
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle:?} in {text}"))
        };
        let (service, control, statement) = (
            at("identifier `ec2` names two things"),
            at("missing owner"),
            at("unknown service `nope`"),
        );
        assert!(service < control && control < statement, "{text}");

        let unparsable_controls = "[[control\n";
        let unparsable_statements = "[[statement\n";
        let text = Catalog::load(&sources(
            SERVICES,
            unparsable_controls,
            unparsable_statements,
        ))
        .unwrap_err()
        .to_string();
        assert!(text.contains("controls.toml"), "{text}");
        assert!(!text.contains("statements.toml"), "{text}");
        let text = Catalog::load(&sources(SERVICES, CONTROLS, unparsable_statements))
            .unwrap_err()
            .to_string();
        assert!(text.contains("statements.toml"), "{text}");
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
