//! Renders an srmatrix assessment as documents: Markdown and HTML from Tera templates, CSV with
//! `csv::Writer`.
//!
//! Every document is rendered from one [`ReportContext`], built once from the assessment. The
//! built-in templates (the repository's `templates/` directory) are embedded; a user's template of
//! the same name shadows the built-in one ([`Templates::shadow`]). Rendering reads no file: the
//! templates see the context and nothing else.

pub mod context;
mod csv_out;
pub mod diff;
mod html;
pub mod oscal;
mod text;
pub mod views;
pub mod xlsx;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

pub use context::{ReportContext, ReportMeta};
pub use csv_out::{neutralise_formula, write_csv_documents, write_report_csv};
pub use text::{escape_markdown, markdown_to_html};

/// A document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// GitHub-flavoured Markdown, `report.md`.
    Markdown,
    /// Self-contained HTML page, `report.html`.
    Html,
    /// One row per service × control, `report.csv`, with `findings.csv`, `team-actions.csv`,
    /// `crosswalk.csv`, `crm.csv` and `caiq.csv`.
    Csv,
    /// The whole report context, `report.json` (see `docs/report-json.md`).
    Json,
    /// An Excel workbook, `report.xlsx`, with an evidence tracker sheet.
    Xlsx,
    /// An OSCAL 1.1.2 component definition, `report.oscal.json`.
    Oscal,
}

impl Format {
    /// Every format, in output order.
    pub const ALL: [Format; 6] = [
        Format::Markdown,
        Format::Html,
        Format::Csv,
        Format::Json,
        Format::Xlsx,
        Format::Oscal,
    ];

    /// The formats written when none is asked for.
    pub const DEFAULT: [Format; 3] = [Format::Markdown, Format::Html, Format::Csv];

    /// The file the format is written to.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::Csv => "report.csv",
            Format::Json => "report.json",
            Format::Xlsx => xlsx::XLSX_FILE,
            Format::Oscal => oscal::OSCAL_FILE,
        }
    }

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
            Format::Oscal => "oscal",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "xlsx" => Ok(Format::Xlsx),
            "oscal" => Ok(Format::Oscal),
            other => Err(format!(
                "unknown format `{other}` (expected md, html, csv, json, xlsx or oscal)"
            )),
        }
    }
}

/// A rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// File name in the output directory.
    pub file_name: &'static str,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A document that could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed to parse or render; the message names the template and line.
    #[error("template {template} ({origin}): {message}")]
    Template {
        /// Template name.
        template: String,
        /// Where it came from: `builtin` or a path.
        origin: String,
        /// Tera's report.
        message: String,
    },
    /// The workbook could not be written.
    #[error("report.xlsx: {0}")]
    Xlsx(String),
    /// The context could not be serialised.
    #[error("report context: {0}")]
    Context(String),
    /// CSV output failed.
    #[error("{file}: {message}")]
    Csv {
        /// The CSV file being written.
        file: &'static str,
        /// What failed.
        message: String,
    },
}

/// One template: its text and where it came from.
#[derive(Debug, Clone)]
struct TemplateSource {
    origin: String,
    text: String,
}

/// The report templates: built-in ones, shadowed by name by a user's.
#[derive(Debug, Clone)]
pub struct Templates {
    sources: BTreeMap<String, TemplateSource>,
}

impl Templates {
    /// The names of the built-in templates.
    pub const BUILTIN_NAMES: [&'static str; 2] = ["report.md", "report.html"];

    /// The templates shipped in the binary.
    pub fn builtin() -> Templates {
        let mut sources = BTreeMap::new();
        for (name, text) in Templates::builtin_sources() {
            sources.insert(
                name.to_owned(),
                TemplateSource {
                    origin: "builtin".into(),
                    text: text.to_owned(),
                },
            );
        }
        Templates { sources }
    }

    /// Adds a template, replacing a built-in one of the same name.
    pub fn shadow(&mut self, name: &str, origin: &str, text: String) {
        self.sources.insert(
            name.to_owned(),
            TemplateSource {
                origin: origin.to_owned(),
                text,
            },
        );
    }

    /// The built-in templates: (name, text).
    pub fn builtin_sources() -> Vec<(&'static str, &'static str)> {
        vec![
            ("report.md", include_str!("../../../templates/report.md")),
            (
                "report.html",
                include_str!("../../../templates/report.html"),
            ),
        ]
    }

    /// Where the template of this name comes from.
    pub fn origin(&self, name: &str) -> Option<&str> {
        self.sources.get(name).map(|s| s.origin.as_str())
    }

    fn engine(&self) -> Result<tera::Tera, RenderError> {
        let mut tera = tera::Tera::default();
        tera.autoescape_on([".html"]);
        text::register_filters(&mut tera);
        for (name, src) in &self.sources {
            tera.add_raw_template(name, &src.text)
                .map_err(|e| self.error(name, &e))?;
        }
        Ok(tera)
    }

    fn error(&self, name: &str, e: &tera::Error) -> RenderError {
        RenderError::Template {
            template: name.to_owned(),
            origin: self.origin(name).unwrap_or("builtin").to_owned(),
            message: error_chain(e),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        cur = s.source();
    }
    msg
}

/// Renders the requested formats of a report context, each format on its own thread (the
/// template formats share one, since they share the template context). Documents come back in
/// the order of `formats`, whatever order the threads finish in.
pub fn render(
    ctx: &ReportContext,
    formats: &[Format],
    templates: &Templates,
) -> Result<Vec<Document>, RenderError> {
    let templated: Vec<Format> = formats
        .iter()
        .copied()
        .filter(|f| matches!(f, Format::Markdown | Format::Html))
        .collect();
    let (templated_docs, direct) = std::thread::scope(|scope| {
        let tera_job = (!templated.is_empty())
            .then(|| scope.spawn(|| render_templates(ctx, &templated, templates)));
        let jobs: Vec<_> = formats
            .iter()
            .map(|&format| {
                let job = (!templated.contains(&format))
                    .then(|| scope.spawn(move || render_direct(ctx, format)));
                (format, job)
            })
            .collect();
        let direct: Vec<_> = jobs
            .into_iter()
            .map(|(format, job)| (format, job.map(join)))
            .collect();
        (tera_job.map(join), direct)
    });
    let mut templated_docs = templated_docs.transpose()?.unwrap_or_default();
    let mut documents = Vec::new();
    for (format, result) in direct {
        match result {
            Some(docs) => documents.extend(docs?),
            None => {
                if let Some(i) = templated_docs
                    .iter()
                    .position(|d| d.file_name == format.file_name())
                {
                    documents.push(templated_docs.remove(i));
                }
            }
        }
    }
    Ok(documents)
}

/// The result of a render thread; a panic in it is re-raised here.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Renders the template formats (Markdown, HTML) with one template context.
fn render_templates(
    ctx: &ReportContext,
    formats: &[Format],
    templates: &Templates,
) -> Result<Vec<Document>, RenderError> {
    let tera = templates.engine()?;
    let tctx =
        tera::Context::from_serialize(ctx).map_err(|e| RenderError::Context(error_chain(&e)))?;
    let mut out = Vec::new();
    for &format in formats {
        let name = format.file_name();
        let mut s = tera
            .render(name, &tctx)
            .map_err(|e| templates.error(name, &e))?;
        if !s.ends_with('\n') {
            s.push('\n');
        }
        if format == Format::Html {
            s = html::allow_inline_scripts(&s);
        }
        out.push(Document {
            file_name: name,
            bytes: s.into_bytes(),
        });
    }
    Ok(out)
}

/// Renders a format written by code: CSV (several files), JSON, XLSX, OSCAL.
fn render_direct(ctx: &ReportContext, format: Format) -> Result<Vec<Document>, RenderError> {
    let bytes = match format {
        Format::Csv => return write_csv_documents(ctx),
        Format::Xlsx => xlsx::write_workbook(ctx)?,
        Format::Oscal => oscal::write_component_definition(ctx)?,
        Format::Json => {
            let mut v =
                serde_json::to_vec_pretty(ctx).map_err(|e| RenderError::Context(e.to_string()))?;
            v.push(b'\n');
            v
        }
        Format::Markdown | Format::Html => return Ok(Vec::new()),
    };
    Ok(vec![Document {
        file_name: format.file_name(),
        bytes,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_and_name_their_files() {
        assert_eq!("MD".parse::<Format>(), Ok(Format::Markdown));
        assert_eq!("markdown".parse::<Format>(), Ok(Format::Markdown));
        assert_eq!(" html ".parse::<Format>(), Ok(Format::Html));
        assert!("pdf".parse::<Format>().is_err());
        let names: Vec<_> = Format::ALL.iter().map(|f| f.file_name()).collect();
        assert_eq!(
            names,
            [
                "report.md",
                "report.html",
                "report.csv",
                "report.json",
                "report.xlsx",
                "report.oscal.json"
            ]
        );
    }

    #[test]
    fn builtin_templates_parse() {
        Templates::builtin().engine().unwrap();
    }

    #[test]
    fn user_template_shadows_builtin_and_errors_name_it() {
        let mut t = Templates::builtin();
        t.shadow("report.md", "/tmp/mine/report.md", "{% if %}".into());
        assert_eq!(t.origin("report.md"), Some("/tmp/mine/report.md"));
        let err = t.engine().unwrap_err().to_string();
        assert!(
            err.starts_with("template report.md (/tmp/mine/report.md):"),
            "{err}"
        );
    }
}
