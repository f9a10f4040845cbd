//! Loading the catalog: its files parsed (TOML with spans, CSV with lines) into raw records,
//! checked, and built into the [`Catalog`](super::Catalog)'s services, controls, statements and
//! indexes. Every problem names its file, line and column.

use super::*;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCatalog {
    pub(super) name: String,
    pub(super) version: String,
    pub(super) category: Vec<Spanned<RawCategory>>,
    pub(super) domain: Vec<Domain>,
    pub(super) framework: Vec<Spanned<Framework>>,
    #[serde(default)]
    pub(super) billing_group: Vec<BillingGroup>,
    #[serde(default)]
    pub(super) report_taxonomy: Option<String>,
    #[serde(default)]
    pub(super) guidance_category: Vec<GuidanceCategoryInfo>,
    #[serde(default)]
    pub(super) ccm_ssrm_ownership: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) fedramp_inheritable: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) fedramp_origination: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) fedramp_origination_values: Vec<String>,
    #[serde(default)]
    pub(super) deployment: Vec<Deployment>,
    #[serde(default)]
    pub(super) aws_components_url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCategory {
    pub(super) id: String,
    pub(super) title: String,
    pub(super) description: String,
    pub(super) source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawControls {
    #[serde(default)]
    pub(super) control: Vec<RawControl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawControl {
    pub(super) id: Spanned<String>,
    pub(super) domain: String,
    pub(super) title: String,
    pub(super) description: String,
    #[serde(default)]
    pub(super) frameworks: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub(super) all: RawResponsibility,
    #[serde(default)]
    pub(super) infrastructure: RawResponsibility,
    #[serde(default)]
    pub(super) container: RawResponsibility,
    #[serde(default)]
    pub(super) abstracted: RawResponsibility,
    #[serde(default)]
    pub(super) deployment: BTreeMap<String, RawResponsibility>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct RawResponsibility {
    pub(super) owner: Option<Spanned<String>>,
    pub(super) aws: Option<String>,
    pub(super) customer: Option<String>,
    pub(super) evidence: Option<Vec<String>>,
    pub(super) source: Option<String>,
}

impl RawResponsibility {
    pub(super) fn over(self, base: &RawResponsibility) -> RawResponsibility {
        RawResponsibility {
            owner: self.owner.or_else(|| base.owner.clone()),
            aws: self.aws.or_else(|| base.aws.clone()),
            customer: self.customer.or_else(|| base.customer.clone()),
            evidence: self.evidence.or_else(|| base.evidence.clone()),
            source: self.source.or_else(|| base.source.clone()),
        }
    }

    pub(super) fn from_resolved(r: &Responsibility) -> RawResponsibility {
        RawResponsibility {
            owner: Some(Spanned::new(0..0, r.owner.as_str().to_owned())),
            aws: Some(r.aws.clone()),
            customer: Some(r.customer.clone()),
            evidence: Some(r.evidence.clone()),
            source: Some(r.source.clone()),
        }
    }

    /// Completes a responsibility, or says which fields are missing or wrong.
    pub(super) fn complete(
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
pub(super) struct RawStatements {
    #[serde(default)]
    pub(super) statement: Vec<Spanned<RawStatement>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStatement {
    pub(super) service: String,
    pub(super) control: String,
    pub(super) owner: Option<Spanned<String>>,
    pub(super) aws: Option<String>,
    pub(super) customer: Option<String>,
    pub(super) evidence: Option<Vec<String>>,
    pub(super) source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawService {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) category: String,
    #[serde(default)]
    pub(super) category_reason: String,
    #[serde(default)]
    pub(super) whitepaper_2016: String,
    #[serde(default)]
    pub(super) guidance_category: String,
    #[serde(default)]
    pub(super) iam_prefixes: String,
    #[serde(default)]
    pub(super) billing_codes: String,
    #[serde(default)]
    pub(super) cfn_namespaces: String,
    #[serde(default)]
    pub(super) sdk_ids: String,
    #[serde(default)]
    pub(super) aliases: String,
    #[serde(default)]
    pub(super) source: String,
    #[serde(default)]
    pub(super) deployment: String,
    #[serde(default)]
    pub(super) deployment_reason: String,
    #[serde(default)]
    pub(super) lifecycle: String,
    #[serde(default)]
    pub(super) closed_on: String,
    #[serde(default)]
    pub(super) end_of_support_on: String,
    #[serde(default)]
    pub(super) migration: String,
    #[serde(default)]
    pub(super) lifecycle_source: String,
    #[serde(default)]
    pub(super) assumed_variant: String,
}

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pos {
    pub(super) line: u64,
    pub(super) column: u64,
}

impl Pos {
    /// The position of a byte offset, for a one-off lookup.
    pub(super) fn of(text: &str, offset: usize) -> Pos {
        LineIndex::new(text).pos(text, offset)
    }

    pub(super) fn problem(self, file: &SourceFile, message: String) -> Problem {
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
pub(super) struct LineIndex(Vec<usize>);

impl LineIndex {
    pub(super) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex(starts)
    }

    pub(super) fn pos(&self, text: &str, offset: usize) -> Pos {
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

pub(super) fn parse_toml<T: for<'de> Deserialize<'de>>(
    file: &SourceFile,
) -> Result<T, CatalogError> {
    toml::from_str(&file.text).map_err(|e| {
        let pos = e
            .span()
            .map_or(Pos { line: 1, column: 1 }, |s| Pos::of(&file.text, s.start));
        CatalogError::Invalid {
            problems: vec![pos.problem(file, e.message().trim().to_owned())],
        }
    })
}

pub(super) fn categories(
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

pub(super) fn frameworks(
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
pub(super) fn check_citations(
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
pub(super) fn check_baseline_ids(
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

pub(super) fn split_list(cell: &str) -> Vec<String> {
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
pub(super) fn csv_rows<T: for<'de> Deserialize<'de>>(
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

pub(super) fn parse_services(
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
pub(super) fn digest(src: &CatalogSources) -> String {
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
pub(super) struct RawAwsComponent {
    pub(super) service: String,
    pub(super) aws_service_id: String,
    pub(super) component_definition: String,
    pub(super) component_uuid: String,
}

/// Reads `aws-components.csv` into the services it names.
pub(super) fn aws_components(
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
pub(super) fn lifecycle(raw: &RawService, mut problem: impl FnMut(String)) -> Lifecycle {
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
pub(super) fn check_deployments(
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

pub(super) fn build_index(
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
pub(super) struct RawBillingCode {
    pub(super) code: String,
    pub(super) group: String,
    pub(super) name: String,
    #[serde(default)]
    pub(super) aliases: String,
    #[serde(default)]
    pub(super) source: String,
}

pub(super) fn parse_billing(
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

pub(super) fn check_ownership_terms(
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

pub(super) fn build_controls(
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

pub(super) fn build_statements(
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
