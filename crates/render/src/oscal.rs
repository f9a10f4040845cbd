//! OSCAL output: the assessment as an OSCAL 1.1.2 component definition in JSON,
//! `report.oscal.json`.
//!
//! Each service in use becomes one component of type `service`. Its control implementation against
//! the NIST SP 800-53 Rev. 5 catalog lists one implemented requirement per NIST control or
//! enhancement that one of the service's srmatrix controls maps to. Each requirement says what the
//! customer does and what AWS does. Its `responsibility` property and responsible roles say who
//! carries it: `provider` (AWS), `customer`, or both for a shared control. When several srmatrix
//! controls map to the same NIST id for one service, they are merged into one requirement, so
//! control ids are unique within a control implementation.
//!
//! Each component carries AWS's own `service-id` property and links to AWS's published component
//! of the service (`aws-components.csv`), so tools can join the two.
//!
//! Every UUID is a name-based (v5) UUID in the document's namespace (`--oscal-namespace`), so the
//! same context gives byte-identical output. Components, control implementations and requirements
//! take their UUID from stable names (`component:s3`, `impl:s3:nist-800-53`,
//! `req:s3:nist-800-53:ac-2`), so they keep it from one report to the next. The document's own UUID
//! names the digests of the evidence it is made from (every input's and the catalog's SHA-256, the
//! policy's) with the report's metadata, so it changes whenever they do, as OSCAL asks of a new
//! revision.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Write;
use std::rc::Rc;
use std::sync::Arc;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use serde::Serialize;
use serde_json::value::RawValue;
use srmatrix_model::Owner;
use uuid::Uuid;

use crate::context::{ReportContext, ResponsibilityView, ServiceView};
use crate::{InMemory, RenderError, Sink, Written};

/// The file the component definition is written to.
pub const OSCAL_FILE: &str = "report.oscal.json";

/// The OSCAL version the output conforms to.
pub const OSCAL_VERSION: &str = "1.1.2";

/// The default namespace of srmatrix's own property names (OSCAL requires one for names it does
/// not define): a `urn:uuid:` URI, valid and stable without a domain; an organisation sets its
/// own with `report --oscal-namespace`. Every UUID of the document is derived from the namespace.
pub const DEFAULT_NS: &str = "urn:uuid:85efbbde-5c18-5da6-83e9-2e2169658c4c";

/// The namespace of AWS's own property names in its OSCAL content (its `service-id`).
pub const AWS_NS: &str = "http://aws.amazon.com/ns/oscal";

/// Whether `ns` can be an OSCAL namespace: an absolute URI (`scheme:rest`, RFC 3986 scheme
/// syntax, no white space or control characters).
pub fn is_namespace(ns: &str) -> bool {
    let Some((scheme, rest)) = ns.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !ns
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"')
}

/// The catalog framework id of NIST SP 800-53 Rev. 5.
pub const NIST_FRAMEWORK: &str = "nist-800-53";

/// NIST's OSCAL catalog of SP 800-53 Rev. 5, the `source` of every control implementation.
pub const NIST_800_53_REV5_CATALOG: &str = "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json";

/// The AWS page that defines the Shared Responsibility Model.
const SRM_URL: &str = "https://aws.amazon.com/compliance/shared-responsibility-model/";

/// Role of AWS.
const PROVIDER: &str = "provider";
/// Role of the organisation that uses AWS.
const CUSTOMER: &str = "customer";

// The document, in OSCAL's JSON names and in the order of the schema.

#[derive(Serialize)]
struct Root {
    #[serde(rename = "component-definition")]
    component_definition: ComponentDefinition,
}

#[derive(Serialize)]
struct ComponentDefinition {
    uuid: String,
    metadata: Metadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Metadata {
    title: String,
    last_modified: String,
    version: String,
    oscal_version: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    links: Vec<Link>,
    roles: Vec<Role>,
    parties: Vec<Party>,
    responsible_parties: Vec<ResponsibleParty>,
    remarks: String,
}

#[derive(Serialize)]
struct Prop {
    name: &'static str,
    ns: Rc<str>,
    value: String,
}

#[derive(Serialize)]
struct Link {
    href: String,
    rel: &'static str,
    text: String,
}

#[derive(Serialize)]
struct Role {
    id: &'static str,
    title: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Party {
    uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_name: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ResponsibleParty {
    role_id: &'static str,
    party_uuids: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ResponsibleRole {
    role_id: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    party_uuids: Vec<String>,
}

/// The two parties: AWS and the customer organisation.
struct Parties {
    aws: String,
    customer: String,
}

impl Parties {
    /// The responsible roles: `provider` and/or `customer`, with their parties when
    /// `with_parties` (a component's roles; a requirement's roles name the role only, the
    /// metadata's responsible parties say who performs it).
    fn roles(&self, provider: bool, customer: bool, with_parties: bool) -> Vec<ResponsibleRole> {
        let role = |role_id, party: &String| ResponsibleRole {
            role_id,
            party_uuids: if with_parties {
                vec![party.clone()]
            } else {
                Vec::new()
            },
        };
        let mut out = Vec::new();
        if provider {
            out.push(role(PROVIDER, &self.aws));
        }
        if customer {
            out.push(role(CUSTOMER, &self.customer));
        }
        out
    }
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Component {
    uuid: String,
    #[serde(rename = "type")]
    kind: &'static str,
    title: String,
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    props: Vec<Prop>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    links: Vec<Link>,
    responsible_roles: Vec<ResponsibleRole>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    control_implementations: Vec<ControlImplementation>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ControlImplementation {
    uuid: String,
    source: &'static str,
    description: String,
    props: Vec<Prop>,
    implemented_requirements: Vec<ImplementedRequirement>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct ImplementedRequirement {
    uuid: String,
    control_id: String,
    description: Rc<RawValue>,
    props: Vec<Prop>,
    responsible_roles: Vec<ResponsibleRole>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remarks: Option<Rc<RawValue>>,
}

/// A NIST SP 800-53 control or enhancement id, ordered as in the catalog: family, number,
/// enhancement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NistId {
    family: String,
    number: u32,
    enhancement: Option<u32>,
}

impl NistId {
    /// Parses `AC-2` or `AC-2(1)` (any case, surrounding blanks ignored).
    pub fn parse(id: &str) -> Option<NistId> {
        fn number(s: &str) -> Option<u32> {
            (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        }
        let (family, rest) = id.trim().split_once('-')?;
        if family.len() < 2 || !family.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let (base, enhancement) = match rest.split_once('(') {
            Some((base, enh)) => (base, Some(number(enh.strip_suffix(')')?)?)),
            None => (rest, None),
        };
        Some(NistId {
            family: family.to_ascii_lowercase(),
            number: number(base)?,
            enhancement,
        })
    }
}

/// The OSCAL control id: `ac-2`, and `ac-2.1` for the enhancement `AC-2(1)`.
impl fmt::Display for NistId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.family, self.number)?;
        if let Some(e) = self.enhancement {
            write!(f, ".{e}")?;
        }
        Ok(())
    }
}

/// The OSCAL control id of a NIST SP 800-53 id: `AC-2` → `ac-2`, `AC-2(1)` → `ac-2.1`; `None`
/// when `id` has neither form.
pub fn oscal_control_id(id: &str) -> Option<String> {
    NistId::parse(id).map(|n| n.to_string())
}

/// Plain text of catalog Markdown: formatting and backticks dropped, a link's target kept in
/// brackets after its text, raw HTML dropped, all whitespace (line breaks too) collapsed to single
/// spaces.
pub fn plain_text(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    let mut links: Vec<String> = Vec::new();
    for ev in Parser::new(md) {
        match ev {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::Rule => out.push(' '),
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.into_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = links.pop().filter(|u| !u.is_empty() && !out.ends_with(u)) {
                    out.push_str(" (");
                    out.push_str(&url);
                    out.push(')');
                }
            }
            Event::End(TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough) => {}
            // The end of a block: paragraph, list item, heading ...
            Event::End(_) => out.push(' '),
            _ => {}
        }
    }
    one_line(&out)
}

/// Plain texts of catalog Markdown, each converted once, and requirement texts, each built once:
/// the same control texts recur in every service of a category.
#[derive(Default)]
struct PlainTexts<'a> {
    plain: HashMap<&'a str, String, foldhash::fast::FixedState>,
    requirements: HashMap<Vec<RequirementKey<'a>>, RequirementTexts, foldhash::fast::FixedState>,
}

/// What the texts of a requirement are made of, per srmatrix control: its id, title and owner,
/// and the identity of its (shared) customer, AWS and evidence texts.
type RequirementKey<'a> = (
    &'a str,
    &'a str,
    Owner,
    *const str,
    *const str,
    *const [String],
);

/// The description and remarks of a requirement, as JSON strings: escaped once, however many
/// services repeat them.
type RequirementTexts = (Rc<RawValue>, Option<Rc<RawValue>>);

impl<'a> PlainTexts<'a> {
    /// [`plain_text`] of `md`.
    fn of(&mut self, md: &'a str) -> &str {
        self.plain.entry(md).or_insert_with(|| plain_text(md))
    }

    /// The description and remarks of a requirement merging the controls `rs`.
    fn requirement(
        &mut self,
        rs: &[&'a ResponsibilityView],
    ) -> Result<RequirementTexts, serde_json::Error> {
        let key: Vec<RequirementKey<'a>> = rs
            .iter()
            .map(|r| {
                (
                    r.control.as_str(),
                    r.title.as_str(),
                    r.owner,
                    Arc::as_ptr(&r.customer),
                    Arc::as_ptr(&r.aws),
                    Arc::as_ptr(&r.evidence),
                )
            })
            .collect();
        if let Some((description, remarks)) = self.requirements.get(&key) {
            return Ok((Rc::clone(description), remarks.clone()));
        }
        let description = rs
            .iter()
            .map(|r| {
                let mut text = format!(
                    "{} {} (owner: {}).",
                    r.control,
                    self.of(&r.title),
                    r.owner.as_str()
                );
                for (who, what) in [("Customer", &r.customer), ("AWS", &r.aws)] {
                    let what = self.of(what);
                    if !what.is_empty() {
                        text.push('\n');
                        text.push_str(who);
                        text.push_str(": ");
                        text.push_str(what);
                    }
                }
                text
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        let remarks = rs
            .iter()
            .filter_map(|r| {
                let evidence: Vec<String> = r
                    .evidence
                    .iter()
                    .map(|e| self.of(e).to_owned())
                    .filter(|e| !e.is_empty())
                    .collect();
                (!evidence.is_empty())
                    .then(|| format!("{} evidence: {}", r.control, evidence.join("; ")))
            })
            .collect::<Vec<_>>();
        let remarks = match remarks.is_empty() {
            true => None,
            false => Some(json_string(&remarks.join("\n"))?),
        };
        let texts = (json_string(&description)?, remarks);
        self.requirements.insert(key, texts.clone());
        Ok(texts)
    }
}

/// A text as a JSON string literal.
fn json_string(text: &str) -> Result<Rc<RawValue>, serde_json::Error> {
    RawValue::from_string(serde_json::to_string(text)?).map(Rc::from)
}

/// Text with runs of whitespace collapsed to one space and no leading or trailing whitespace,
/// as OSCAL's string datatype wants.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Who carries a requirement, as the `responsibility` property says it.
fn responsibility(owner: Owner) -> &'static str {
    match owner {
        Owner::Aws => PROVIDER,
        Owner::Shared => "shared",
        Owner::Customer => CUSTOMER,
    }
}

/// Checks the RFC 3339 shape OSCAL's `date-time-with-timezone` needs: date, `T`, time and a
/// `Z` or numeric offset.
fn check_timestamp(s: &str) -> Result<(), RenderError> {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19);
    let zone = s.ends_with('Z') || {
        let n = b.len();
        n >= 25
            && matches!(b[n - 6], b'+' | b'-')
            && digits(n - 5..n - 3)
            && b[n - 3] == b':'
            && digits(n - 2..n)
    };
    if shape && zone {
        Ok(())
    } else {
        Err(RenderError::Context(format!(
            "{OSCAL_FILE}: generated-at `{s}` is not an RFC 3339 timestamp with a time zone"
        )))
    }
}

/// The document's namespace: its properties' `ns` and the name-based UUIDs derived from it.
struct Names {
    ns: Rc<str>,
    uuids: Uuid,
    aws_ns: Rc<str>,
}

impl Names {
    fn new(ns: &str) -> Names {
        Names {
            ns: Rc::from(ns),
            uuids: Uuid::new_v5(&Uuid::NAMESPACE_URL, ns.as_bytes()),
            aws_ns: Rc::from(AWS_NS),
        }
    }

    /// The UUID of a name.
    fn of(&self, name: &str) -> String {
        Uuid::new_v5(&self.uuids, name.as_bytes()).to_string()
    }

    /// A property in the namespace, on one line; none for an empty value.
    fn prop(&self, name: &'static str, value: &str) -> Option<Prop> {
        let value = one_line(value);
        (!value.is_empty()).then(|| Prop {
            name,
            ns: self.ns.clone(),
            value,
        })
    }
}

/// The srmatrix controls of one service that map to one NIST id.
type Requirements<'a> = BTreeMap<NistId, Vec<&'a ResponsibilityView>>;

/// Writes the OSCAL 1.1.2 component definition of a report context, as pretty JSON ending in a
/// newline.
///
/// Fails when `ctx.meta.generated_at` is no RFC 3339 timestamp with a time zone, or when a
/// control's `nist-800-53` id is neither of the form `AC-2` nor `AC-2(1)`.
pub fn write_component_definition(ctx: &ReportContext) -> Result<Vec<u8>, RenderError> {
    Ok(write_component_definition_to(ctx, Sink::open(&InMemory, OSCAL_FILE)?)?.writer)
}

/// Writes the component definition (see [`write_component_definition`]) to `sink`.
pub(crate) fn write_component_definition_to<W: Write>(
    ctx: &ReportContext,
    mut sink: Sink<W>,
) -> Result<Written<W>, RenderError> {
    check_timestamp(&ctx.meta.generated_at)?;
    if !is_namespace(&ctx.oscal_namespace) {
        return Err(RenderError::Context(format!(
            "{OSCAL_FILE}: the namespace `{}` is not an absolute URI",
            ctx.oscal_namespace
        )));
    }
    let ids = Names::new(&ctx.oscal_namespace);
    let organisation = match one_line(&ctx.meta.organisation) {
        o if o.is_empty() => "Customer".to_owned(),
        o => o,
    };
    let parties = Parties {
        aws: ids.of("party:aws"),
        customer: ids.of(&format!("party:customer:{organisation}")),
    };

    // The NIST ids of each control, as OSCAL control ids.
    let mut nist: BTreeMap<&str, Vec<NistId>> = BTreeMap::new();
    for c in &ctx.controls {
        for refs in c
            .frameworks
            .iter()
            .filter(|f| f.framework == NIST_FRAMEWORK)
        {
            for id in &refs.ids {
                let parsed = NistId::parse(id).ok_or_else(|| {
                    RenderError::Context(format!(
                        "{OSCAL_FILE}: control `{}` maps to {NIST_FRAMEWORK} id `{id}`, \
                         which is neither of the form AC-2 nor AC-2(1)",
                        c.id
                    ))
                })?;
                nist.entry(c.id.as_str()).or_default().push(parsed);
            }
        }
    }

    let mut texts = PlainTexts::default();
    let components = ctx
        .services
        .iter()
        .map(|s| {
            let mut reqs: Requirements<'_> = BTreeMap::new();
            for r in &s.responsibilities {
                for id in nist.get(r.control.as_str()).into_iter().flatten() {
                    let entry = reqs.entry(id.clone()).or_default();
                    if !entry.iter().any(|e| e.control == r.control) {
                        entry.push(r);
                    }
                }
            }
            component(s, reqs, &ids, &parties, &mut texts)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(json_error)?;

    let version = match one_line(&ctx.catalog.version) {
        v if v.is_empty() => "unversioned".to_owned(),
        v => v,
    };
    let mut props: Vec<Prop> = [
        ids.prop("tool", &ctx.meta.tool),
        ids.prop("catalog", &ctx.catalog.name),
        ids.prop("period", &ctx.meta.period),
        ids.prop("framework-scope", &ctx.meta.frameworks.join(", ")),
    ]
    .into_iter()
    .flatten()
    .collect();
    props.extend(
        ctx.accounts
            .iter()
            .filter_map(|a| ids.prop("aws-account", a)),
    );
    let metadata = Metadata {
        title: ctx.title.clone(),
        last_modified: ctx.meta.generated_at.clone(),
        version,
        oscal_version: OSCAL_VERSION,
        props,
        links: vec![Link {
            href: SRM_URL.to_owned(),
            rel: "reference",
            text: "AWS Shared Responsibility Model".to_owned(),
        }],
        roles: vec![
            Role {
                id: PROVIDER,
                title: "Cloud service provider",
                description: "AWS: responsible for security of the cloud, the infrastructure that \
                              runs AWS services.",
            },
            Role {
                id: CUSTOMER,
                title: "Cloud service customer",
                description: "The organisation that uses AWS: responsible for security in the \
                              cloud, what it builds on and configures in AWS services.",
            },
        ],
        parties: vec![
            Party {
                uuid: parties.aws.clone(),
                kind: "organization",
                name: "Amazon Web Services".to_owned(),
                short_name: Some("AWS"),
            },
            Party {
                uuid: parties.customer.clone(),
                kind: "organization",
                name: organisation,
                short_name: None,
            },
        ],
        responsible_parties: vec![
            ResponsibleParty {
                role_id: PROVIDER,
                party_uuids: vec![parties.aws.clone()],
            },
            ResponsibleParty {
                role_id: CUSTOMER,
                party_uuids: vec![parties.customer.clone()],
            },
        ],
        remarks: format!(
            "Generated by {} from the catalog {} {}. Each component is an AWS service in use. \
             Each implemented requirement says, for a NIST SP 800-53 Rev. 5 control, what the \
             customer does and what AWS does under the AWS Shared Responsibility Model, and who \
             is responsible: the provider (AWS), the customer, or both (shared). This assigns \
             responsibility. It is no evidence that a control is implemented.",
            one_line(&ctx.meta.tool),
            one_line(&ctx.catalog.name),
            one_line(&ctx.catalog.version),
        ),
    };

    let mut root = Root {
        component_definition: ComponentDefinition {
            uuid: String::new(),
            metadata,
            components,
        },
    };
    root.component_definition.uuid =
        ids.of(&format!("component-definition:{}", evidence_digest(ctx)));
    serde_json::to_writer_pretty(&mut sink, &root).map_err(json_error)?;
    sink.write_all(b"\n")?;
    sink.finish()
}

/// What the document says is fixed by the evidence it is made from: the SHA-256 of every input and
/// of the catalog (and the policy's, when there is one) with the report's metadata and namespace.
/// The document's UUID names this, so the same evidence gives the same UUID, and other evidence
/// another.
fn evidence_digest(ctx: &ReportContext) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(bytes);
    };
    part(ctx.catalog.sha256.as_bytes());
    for i in &ctx.inputs {
        part(i.name.as_bytes());
        part(i.sha256.as_bytes());
    }
    part(
        ctx.policy
            .as_ref()
            .map_or("", |p| p.sha256.as_str())
            .as_bytes(),
    );
    part(ctx.oscal_namespace.as_bytes());
    for field in [
        &ctx.meta.tool,
        &ctx.meta.generated_at,
        &ctx.meta.organisation,
        &ctx.meta.period,
        &ctx.meta.frameworks.join("\n"),
    ] {
        part(field.as_bytes());
    }
    srmatrix_model::hex(&h.finalize())
}

fn json_error(e: serde_json::Error) -> RenderError {
    crate::json_error(OSCAL_FILE, e)
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn component<'a>(
    s: &ServiceView,
    reqs: Requirements<'a>,
    ids: &Names,
    parties: &Parties,
    texts: &mut PlainTexts<'a>,
) -> Result<Component, serde_json::Error> {
    let mut props: Vec<Prop> = [
        ids.prop("service-id", &s.id),
        ids.prop("category", s.category.as_str()),
        s.guidance_category
            .as_deref()
            .and_then(|g| ids.prop("guidance-category", g)),
    ]
    .into_iter()
    .flatten()
    .collect();
    props.extend(
        s.teams
            .iter()
            .filter_map(|t| ids.prop("owner-team", &t.team)),
    );
    // AWS's own property, so that tools join this component with AWS's component of the service.
    props.extend(s.aws_components.iter().map(|c| Prop {
        name: "service-id",
        ns: ids.aws_ns.clone(),
        value: c.aws_service_id.clone(),
    }));
    let links = s
        .aws_components
        .iter()
        .map(|c| Link {
            href: c.href.clone(),
            rel: "related",
            text: format!(
                "AWS's OSCAL component for this service (service-id {})",
                c.aws_service_id
            ),
        })
        .collect();

    let implemented_requirements: Vec<ImplementedRequirement> = reqs
        .into_iter()
        .map(|(id, rs)| requirement(&s.id, &id, &rs, ids, parties, texts))
        .collect::<Result<_, _>>()?;
    let control_implementations = if implemented_requirements.is_empty() {
        Vec::new()
    } else {
        vec![ControlImplementation {
            uuid: ids.of(&format!("impl:{}:{NIST_FRAMEWORK}", s.id)),
            source: NIST_800_53_REV5_CATALOG,
            description: format!(
                "Who is responsible for each NIST SP 800-53 Rev. 5 control for {} under the AWS \
                 Shared Responsibility Model: the provider (AWS), the customer, or both (shared).",
                one_line(&s.name)
            ),
            props: ids.prop("framework", NIST_FRAMEWORK).into_iter().collect(),
            implemented_requirements,
        }]
    };

    Ok(Component {
        uuid: ids.of(&format!("component:{}", s.id)),
        kind: "service",
        title: s.name.clone(),
        description: format!(
            "{}: an AWS service in the category {}. In use in {} and {}, {} in {}.",
            one_line(&s.name),
            one_line(&s.category_title),
            plural(s.accounts.len() as u64, "account", "accounts"),
            plural(s.regions.len() as u64, "region", "regions"),
            plural(s.resources, "resource", "resources"),
            plural(s.rows, "inventory row", "inventory rows"),
        ),
        props,
        links,
        responsible_roles: parties.roles(true, true, true),
        control_implementations,
    })
}

fn requirement<'a>(
    service: &str,
    id: &NistId,
    rs: &[&'a ResponsibilityView],
    ids: &Names,
    parties: &Parties,
    texts: &mut PlainTexts<'a>,
) -> Result<ImplementedRequirement, serde_json::Error> {
    let control_id = id.to_string();
    let owner = match rs.first() {
        Some(first) if rs.iter().all(|r| r.owner == first.owner) => first.owner,
        _ => Owner::Shared,
    };
    let (description, remarks) = texts.requirement(rs)?;
    let mut props: Vec<Prop> = ids
        .prop("responsibility", responsibility(owner))
        .into_iter()
        .collect();
    props.extend(
        rs.iter()
            .filter_map(|r| ids.prop("srmatrix-control", &r.control)),
    );
    Ok(ImplementedRequirement {
        uuid: ids.of(&format!("req:{service}:{NIST_FRAMEWORK}:{control_id}")),
        description,
        props,
        responsible_roles: parties.roles(
            rs.iter().any(|r| r.owner != Owner::Customer),
            rs.iter().any(|r| r.owner.customer_acts()),
            false,
        ),
        remarks,
        control_id,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::OnceLock;

    use serde_json::Value;
    use srmatrix_model::{AssessmentBuilder, Catalog, InventoryRecord};

    use super::*;
    use crate::ReportMeta;

    fn meta(generated_at: &str, frameworks: &[&str]) -> ReportMeta {
        ReportMeta {
            frameworks: frameworks.iter().map(|f| (*f).to_owned()).collect(),
            ..ReportMeta::for_tests(generated_at)
        }
    }

    fn rec<'a>(line: u64, service: &'a str, team: &'a str, id: &'a str) -> InventoryRecord<'a> {
        InventoryRecord {
            line,
            service,
            account_id: "111111111111",
            region: "eu-west-1",
            resource_id: id,
            owner_team: team,
            resource_count: Some(1),
            ..InventoryRecord::default()
        }
    }

    fn catalog() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::builtin().unwrap())
    }

    fn context_with(generated_at: &str, frameworks: &[&str]) -> ReportContext {
        let catalog = catalog();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("inventory.csv", "native");
        b.input_digest(i, &"ab".repeat(32), 1234);
        b.add(i, &rec(2, "ec2", "platform", "i-1"));
        b.add(i, &rec(3, "s3", "=HYPERLINK(\"http://x\")", "bucket-1"));
        b.add(i, &rec(4, "lambda", "", "fn-1"));
        b.add(i, &rec(5, "Contoso Widget", "platform", "w-1"));
        let a = b.finish(catalog);
        ReportContext::new(&a, catalog, meta(generated_at, frameworks))
    }

    fn context() -> &'static ReportContext {
        static CTX: OnceLock<ReportContext> = OnceLock::new();
        CTX.get_or_init(|| context_with("2026-10-01T00:00:00Z", &[]))
    }

    fn written() -> &'static Value {
        static DOC: OnceLock<Value> = OnceLock::new();
        DOC.get_or_init(|| {
            serde_json::from_slice(&write_component_definition(context()).unwrap()).unwrap()
        })
    }

    fn validator() -> &'static jsonschema::Validator {
        static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
        VALIDATOR.get_or_init(|| {
            let path = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/fixtures/oscal/oscal_component_schema.json"
            );
            let schema: Value =
                serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            jsonschema::draft7::options()
                .should_validate_formats(true)
                .build(&schema)
                .unwrap()
        })
    }

    fn errors(doc: &Value) -> Vec<String> {
        validator()
            .iter_errors(doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    fn components(doc: &Value) -> &Vec<Value> {
        doc["component-definition"]["components"]
            .as_array()
            .unwrap()
    }

    fn requirements(component: &Value) -> &Vec<Value> {
        component["control-implementations"][0]["implemented-requirements"]
            .as_array()
            .unwrap()
    }

    fn prop_values<'a>(v: &'a Value, name: &str) -> Vec<&'a str> {
        v["props"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap())
            .collect()
    }

    fn role_ids(v: &Value) -> Vec<&str> {
        v["responsible-roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["role-id"].as_str().unwrap())
            .collect()
    }

    /// `ac-2` or `ac-2.1`: lower-case family, numbers without leading zeros.
    fn is_oscal_control_id(id: &str) -> bool {
        let number =
            |n: &str| !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit());
        let Some((family, rest)) = id.split_once('-') else {
            return false;
        };
        let (base, enhancement) = match rest.split_once('.') {
            Some((b, e)) => (b, Some(e)),
            None => (rest, None),
        };
        family.len() >= 2
            && family.bytes().all(|b| b.is_ascii_lowercase())
            && number(base)
            && enhancement.is_none_or(number)
    }

    #[test]
    fn nist_ids_become_oscal_control_ids() {
        assert_eq!(oscal_control_id("AC-2").as_deref(), Some("ac-2"));
        assert_eq!(oscal_control_id("AC-2(1)").as_deref(), Some("ac-2.1"));
        assert_eq!(oscal_control_id("SC-28(1)").as_deref(), Some("sc-28.1"));
        assert_eq!(oscal_control_id(" ac-02(12) ").as_deref(), Some("ac-2.12"));
        for bad in [
            "", "AC", "AC-", "AC-2(", "AC-2()", "AC-2(1", "A-2", "AC 2", "1C-2", "AC-x",
        ] {
            assert_eq!(oscal_control_id(bad), None, "{bad}");
        }
        let mut ids: Vec<NistId> = ["SC-7(5)", "AC-22", "SC-7", "AC-2(12)", "AC-2", "AC-3"]
            .iter()
            .map(|i| NistId::parse(i).unwrap())
            .collect();
        ids.sort();
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(ids, ["ac-2", "ac-2.12", "ac-3", "ac-22", "sc-7", "sc-7.5"]);
        assert!(ids.iter().all(|i| is_oscal_control_id(i)));
        assert!(!is_oscal_control_id("AC-2") && !is_oscal_control_id("ac-2(1)"));
    }

    #[test]
    fn plain_text_drops_markdown() {
        assert_eq!(
            plain_text("Use `aws:SecureTransport` and **MFA**\non the\n\nroot user."),
            "Use aws:SecureTransport and MFA on the root user."
        );
        assert_eq!(
            plain_text("See [the guide](https://example.com/g), **now**.\n\n- one\n- two"),
            "See the guide (https://example.com/g), now. one two"
        );
        assert_eq!(plain_text("<https://example.com/>"), "https://example.com/");
        assert_eq!(plain_text("  "), "");
    }

    #[test]
    fn output_validates_against_the_oscal_schema() {
        let errs = errors(written());
        assert!(errs.is_empty(), "{errs:#?}");
    }

    #[test]
    fn schema_rejects_a_missing_uuid_and_a_bad_control_id() {
        let mut doc = written().clone();
        doc["component-definition"]
            .as_object_mut()
            .unwrap()
            .remove("uuid");
        assert!(!errors(&doc).is_empty());
        let mut doc = written().clone();
        doc["component-definition"]["components"][0]["control-implementations"][0]["implemented-requirements"]
            [0]["control-id"] = "bad id".into();
        assert!(!errors(&doc).is_empty());
    }

    #[test]
    fn one_component_per_service_with_unique_oscal_control_ids() {
        let ctx = context();
        let comps = components(written());
        let titles: Vec<&str> = comps.iter().map(|c| c["title"].as_str().unwrap()).collect();
        let names: Vec<&str> = ctx.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(titles, names);
        assert_eq!(
            comps.len(),
            3,
            "ec2, s3, lambda; the unmapped one is no component"
        );
        let uuids: BTreeSet<&str> = comps.iter().map(|c| c["uuid"].as_str().unwrap()).collect();
        assert_eq!(uuids.len(), comps.len());
        for c in comps {
            assert_eq!(c["type"], "service");
            assert_eq!(role_ids(c), [PROVIDER, CUSTOMER]);
            let ci = &c["control-implementations"][0];
            assert_eq!(ci["source"], NIST_800_53_REV5_CATALOG);
            let reqs = requirements(c);
            assert!(!reqs.is_empty());
            let ids: Vec<&str> = reqs
                .iter()
                .map(|r| r["control-id"].as_str().unwrap())
                .collect();
            let unique: BTreeSet<&str> = ids.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "{ids:?}");
            for id in ids {
                assert!(is_oscal_control_id(id), "{id}");
            }
        }
    }

    #[test]
    fn every_nist_id_of_every_responsibility_is_covered() {
        let ctx = context();
        for (s, c) in ctx.services.iter().zip(components(written())) {
            let want: BTreeSet<String> = s
                .responsibilities
                .iter()
                .flat_map(|r| {
                    ctx.controls
                        .iter()
                        .filter(|c| c.id == r.control)
                        .flat_map(|c| &c.frameworks)
                        .filter(|f| f.framework == NIST_FRAMEWORK)
                        .flat_map(|f| &f.ids)
                        .map(|i| oscal_control_id(i).unwrap())
                })
                .collect();
            let got: BTreeSet<String> = requirements(c)
                .iter()
                .map(|r| r["control-id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(got, want, "{}", s.id);
        }
    }

    #[test]
    fn controls_mapping_to_one_nist_id_are_merged() {
        let ctx = context();
        let (s, c) = ctx
            .services
            .iter()
            .zip(components(written()))
            .find(|(s, _)| s.id == "ec2")
            .unwrap();
        // Every srmatrix control that maps to SI-2 for EC2.
        let si2: Vec<&str> = s
            .responsibilities
            .iter()
            .filter(|r| {
                ctx.controls.iter().any(|c| {
                    c.id == r.control
                        && c.frameworks.iter().any(|f| {
                            f.framework == NIST_FRAMEWORK && f.ids.iter().any(|i| i == "SI-2")
                        })
                })
            })
            .map(|r| r.control.as_str())
            .collect();
        assert!(si2.len() > 1, "the catalog maps several controls to SI-2");
        let req = requirements(c)
            .iter()
            .find(|r| r["control-id"] == "si-2")
            .unwrap();
        assert_eq!(prop_values(req, "srmatrix-control"), si2);
        let description = req["description"].as_str().unwrap();
        for control in &si2 {
            assert!(description.contains(control), "{control}: {description}");
        }
        assert_eq!(description.matches("\n\n").count(), si2.len() - 1);
        assert!(!description.contains('`'), "{description}");
    }

    #[test]
    fn responsible_roles_follow_the_owner() {
        let ctx = context();
        let mut seen = BTreeSet::new();
        for (s, c) in ctx.services.iter().zip(components(written())) {
            for req in requirements(c) {
                let controls = prop_values(req, "srmatrix-control");
                let owners: BTreeSet<Owner> = s
                    .responsibilities
                    .iter()
                    .filter(|r| controls.contains(&r.control.as_str()))
                    .map(|r| r.owner)
                    .collect();
                let want = match owners.iter().collect::<Vec<_>>().as_slice() {
                    [Owner::Aws] => (PROVIDER, vec![PROVIDER]),
                    [Owner::Customer] => (CUSTOMER, vec![CUSTOMER]),
                    [Owner::Shared] => ("shared", vec![PROVIDER, CUSTOMER]),
                    _ => ("shared", vec![PROVIDER, CUSTOMER]),
                };
                assert_eq!(prop_values(req, "responsibility"), [want.0], "{req}");
                assert_eq!(role_ids(req), want.1, "{req}");
                seen.insert(want.0);
            }
        }
        assert_eq!(
            seen.len(),
            3,
            "provider, customer and shared all occur: {seen:?}"
        );
    }

    #[test]
    fn metadata_names_parties_roles_and_the_tool() {
        let md = &written()["component-definition"]["metadata"];
        assert_eq!(md["oscal-version"], OSCAL_VERSION);
        assert_eq!(md["last-modified"], "2026-10-01T00:00:00Z");
        assert_eq!(md["title"], context().title.as_str());
        assert_eq!(md["version"], context().catalog.version.as_str());
        assert_eq!(prop_values(md, "tool"), ["srmatrix 0.1.0"]);
        let parties: Vec<&str> = md["parties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(parties, ["Amazon Web Services", "Northwind Analytics"]);
        let roles: Vec<&str> = md["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(roles, [PROVIDER, CUSTOMER]);
    }

    #[test]
    fn same_context_same_bytes_and_stable_component_uuids() {
        let a = write_component_definition(context()).unwrap();
        let b = write_component_definition(&context_with("2026-10-01T00:00:00Z", &[])).unwrap();
        assert_eq!(a, b);
        assert!(a.ends_with(b"}\n"));
        let later: Value = serde_json::from_slice(
            &write_component_definition(&context_with("2026-10-02T00:00:00Z", &[])).unwrap(),
        )
        .unwrap();
        let doc = written();
        assert_ne!(
            doc["component-definition"]["uuid"], later["component-definition"]["uuid"],
            "new content, new document uuid"
        );
        assert_eq!(
            doc["component-definition"]["components"], later["component-definition"]["components"],
            "components keep their uuids"
        );
    }

    #[test]
    fn without_nist_in_scope_components_have_no_control_implementations() {
        let ctx = context_with("2026-10-01T00:00:00Z", &["iso-27001"]);
        let doc: Value =
            serde_json::from_slice(&write_component_definition(&ctx).unwrap()).unwrap();
        let errs = errors(&doc);
        assert!(errs.is_empty(), "{errs:#?}");
        for c in components(&doc) {
            assert!(c.get("control-implementations").is_none(), "{c}");
        }
    }

    #[test]
    fn bad_timestamps_and_nist_ids_are_errors() {
        for bad in ["2026-10-01", "2026-10-01T00:00:00", "yesterday", ""] {
            let mut ctx = context().clone();
            ctx.meta.generated_at = bad.into();
            assert!(write_component_definition(&ctx).is_err(), "{bad}");
        }
        for good in ["2026-10-01T00:00:00+02:00", "2026-10-01T00:00:00.5Z"] {
            let mut ctx = context().clone();
            ctx.meta.generated_at = good.into();
            assert!(write_component_definition(&ctx).is_ok(), "{good}");
        }
        let mut ctx = context().clone();
        let refs = ctx
            .controls
            .iter_mut()
            .flat_map(|c| &mut c.frameworks)
            .find(|f| f.framework == NIST_FRAMEWORK)
            .unwrap();
        refs.ids.push("AC 2".into());
        let err = write_component_definition(&ctx).unwrap_err().to_string();
        assert!(err.contains("`AC 2`"), "{err}");
    }
}
