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
pub mod register;
mod tera_value;
mod text;
pub mod views;
mod workbook;
pub mod xlsx;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::str::FromStr;

pub use context::{ReportContext, ReportMeta};
use csv_out::CsvPart;
pub use csv_out::{
    csv_writer_builder, neutralise_csv_field, neutralise_formula, write_csv_documents,
    write_report_csv,
};
pub use text::{escape_markdown, markdown_to_html};

/// A document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// GitHub-flavoured Markdown, `report.md`.
    Markdown,
    /// Self-contained HTML page, `report.html`.
    Html,
    /// One row per service × control, `report.csv`, with `findings.csv`, `team-actions.csv`,
    /// `crosswalk.csv`, `registers.csv`, the registers' shapes (`crm.csv`, `cis.csv`,
    /// `ccm-ssrm.csv`, `soc2-csoc-cuec.csv`) and, against a baseline, `changes.csv`.
    Csv,
    /// The whole report context, `report.json` (see `docs/report-json.md`).
    Json,
    /// An Excel workbook, `report.xlsx`, with an evidence tracker sheet.
    Xlsx,
    /// An OSCAL 1.1.2 component definition, `report.oscal.json`.
    Oscal,
}

/// The CSV documents written beside `report.csv`.
const CSV_COMPANIONS: [&str; 4] = [
    "findings.csv",
    "team-actions.csv",
    "crosswalk.csv",
    "registers.csv",
];

/// The CSV file of each document shape a register can be written as.
pub const DOCUMENT_FILES: [(&str, &str); 4] = [
    ("fedramp-crm", "crm.csv"),
    ("fedramp-cis", "cis.csv"),
    ("ccm-ssrm", "ccm-ssrm.csv"),
    ("soc2-csoc-cuec", "soc2-csoc-cuec.csv"),
];

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

    /// Every file a run with `formats` writes, in output order: a format's own file, and for
    /// CSV its companion documents: `changes.csv` when the report compares with a baseline, and
    /// one file per document shape of its registers (`documents`, from
    /// [`register::documents`]).
    pub fn file_names(
        formats: &[Format],
        with_changes: bool,
        documents: &[&str],
    ) -> Vec<&'static str> {
        let mut names = Vec::new();
        for &f in formats {
            names.push(f.file_name());
            if f == Format::Csv {
                names.extend(CSV_COMPANIONS);
                names.extend(
                    DOCUMENT_FILES
                        .iter()
                        .filter(|(shape, _)| documents.contains(shape))
                        .map(|(_, file)| *file),
                );
                if with_changes {
                    names.push("changes.csv");
                }
            }
        }
        names
    }

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
    /// Writing a document failed (the [`Output`]'s writer returned an error).
    #[error("writing {file}: {source}")]
    Write {
        /// The document.
        file: &'static str,
        /// What the writer said.
        #[source]
        source: io::Error,
    },
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

/// Where rendered documents go: the caller opens one writer per file (the binary: a temporary
/// file beside the report, renamed into place once every document is written; tests: memory).
/// Rendering writes each document as it is produced, so no format holds its whole output.
pub trait Output: Sync {
    /// The writer of one document.
    type Writer: Write + Send;

    /// Opens the writer of the document `file_name`.
    fn create(&self, file_name: &'static str) -> io::Result<Self::Writer>;

    /// A directory for the temporary files of the workbook writer (its rows stream there before
    /// they are packed), or `None` for the system's temporary directory. The binary gives its
    /// staging directory, so that nothing is written outside the output's filesystem.
    fn scratch_dir(&self) -> Option<&std::path::Path> {
        None
    }

    /// Called with a document's writer once the document is complete and flushed, on the
    /// thread that rendered it, while other documents may still be rendering (the binary starts
    /// the file's writeback to disk here, so that writing it out overlaps with rendering).
    fn finished(&self, _writer: &mut Self::Writer) -> io::Result<()> {
        Ok(())
    }
}

/// Documents kept in memory, for [`render`].
#[derive(Debug, Clone, Copy, Default)]
pub struct InMemory;

impl Output for InMemory {
    type Writer = Vec<u8>;

    fn create(&self, _file_name: &'static str) -> io::Result<Vec<u8>> {
        Ok(Vec::new())
    }
}

/// A document written through an [`Output`]: its file name and its flushed writer.
#[derive(Debug)]
pub struct Written<W> {
    /// File name in the output directory.
    pub file_name: &'static str,
    /// The writer the document went to, flushed.
    pub writer: W,
}

/// A document being written: a buffered writer that names its file in errors.
pub(crate) struct Sink<W: Write> {
    file: &'static str,
    w: BufWriter<W>,
}

impl<W: Write> Sink<W> {
    /// Opens the document `file` through `out`.
    pub(crate) fn open<O: Output<Writer = W>>(
        out: &O,
        file: &'static str,
    ) -> Result<Sink<W>, RenderError> {
        let w = out
            .create(file)
            .map_err(|source| RenderError::Write { file, source })?;
        Ok(Sink {
            file,
            w: BufWriter::with_capacity(1 << 16, w),
        })
    }

    /// Writes bytes.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> Result<(), RenderError> {
        let file = self.file;
        self.w
            .write_all(bytes)
            .map_err(|source| RenderError::Write { file, source })
    }

    /// Flushes the buffer and hands the writer back.
    pub(crate) fn finish(self) -> Result<Written<W>, RenderError> {
        let file = self.file;
        let writer = self.w.into_inner().map_err(|e| RenderError::Write {
            file,
            source: e.into_error(),
        })?;
        Ok(Written {
            file_name: file,
            writer,
        })
    }
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.w.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.w.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// Renders `formats` from one context into memory: a document per file, in format order (CSV
/// gives several). See [`render_to`].
pub fn render(
    ctx: &ReportContext,
    formats: &[Format],
    templates: &Templates,
) -> Result<Vec<Document>, RenderError> {
    Ok(render_to(ctx, formats, templates, &InMemory)?
        .into_iter()
        .map(|w| Document {
            file_name: w.file_name,
            bytes: w.writer,
        })
        .collect())
}

/// Renders `formats` from one context, each document written to its own writer from `out` as it
/// is produced. The work is split into jobs (Markdown and HTML together, since they share one
/// Tera engine and context; the CSV documents in three parts; every other format alone) run on
/// one thread per core (the calling thread one of them), longest job first.
/// Returns the flushed writers in format order (CSV gives several), a format listed twice
/// rendered once; the first error, in format order, fails the whole call, and the caller
/// discards what was written.
pub fn render_to<O: Output>(
    ctx: &ReportContext,
    formats: &[Format],
    templates: &Templates,
    out: &O,
) -> Result<Vec<Written<O::Writer>>, RenderError> {
    let mut once: Vec<Format> = Vec::with_capacity(formats.len());
    for &f in formats {
        if !once.contains(&f) {
            once.push(f);
        }
    }
    let formats = once.as_slice();
    let templated: Vec<Format> = formats
        .iter()
        .copied()
        .filter(|f| matches!(f, Format::Markdown | Format::Html))
        .collect();
    let mut jobs: Vec<Job> = Vec::new();
    for &f in formats.iter().filter(|f| !templated.contains(f)) {
        match f {
            Format::Csv => jobs.extend(CsvPart::ALL.map(Job::Csv)),
            f => jobs.push(Job::Direct(f)),
        }
    }
    if !templated.is_empty() {
        jobs.push(Job::Templates);
    }
    let size = ContextSize::of(ctx);
    jobs.sort_by_key(|job| std::cmp::Reverse(job.cost(&size)));
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(jobs.len())
        .max(1);
    let queue = std::sync::Mutex::new(jobs.into_iter());
    // Takes jobs off the queue until it is empty.
    let work = || {
        let mut done = Vec::new();
        loop {
            let next = match queue.lock() {
                Ok(mut jobs) => jobs.next(),
                Err(_) => None,
            };
            let Some(job) = next else { break };
            let result = match job {
                Job::Templates => {
                    render_templates(ctx, &templated, templates, out, HELD_PAGE_LIMIT)
                }
                Job::Direct(format) => render_direct(ctx, format, out),
                Job::Csv(part) => csv_out::write_csv_part(ctx, out, part),
            }
            .and_then(|mut docs| {
                for d in &mut docs {
                    out.finished(&mut d.writer)
                        .map_err(|source| RenderError::Write {
                            file: d.file_name,
                            source,
                        })?;
                }
                Ok(docs)
            });
            done.push((job, result));
        }
        done
    };
    // The calling thread works too, beside one thread per other core: it would only wait, and
    // the memory it freed before (its allocator's) is used again rather than a new thread's.
    let finished: Vec<(Job, Rendered<O::Writer>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mut finished = work();
        finished.extend(handles.into_iter().flat_map(join));
        finished
    });
    let mut templated_docs = Vec::new();
    let mut direct = Vec::new();
    let mut csv_parts = Vec::new();
    for (job, result) in finished {
        match job {
            Job::Templates => templated_docs = result?,
            Job::Direct(format) => direct.push((format, result)),
            Job::Csv(part) => csv_parts.push((part, result)),
        }
    }
    csv_parts.sort_by_key(|(part, _)| *part);
    let mut documents = Vec::new();
    for &format in formats {
        if format == Format::Csv {
            for (_, result) in csv_parts.drain(..) {
                documents.extend(result?);
            }
        } else if let Some(i) = direct.iter().position(|(f, _)| *f == format) {
            documents.extend(direct.swap_remove(i).1?);
        } else if let Some(i) = templated_docs
            .iter()
            .position(|d| d.file_name == format.file_name())
        {
            documents.push(templated_docs.remove(i));
        }
    }
    Ok(documents)
}

/// The largest HTML page kept in memory between finding its scripts and writing it (a report of
/// 400 services × 40 controls is about 4 MB); a larger one is rendered a second time instead.
const HELD_PAGE_LIMIT: usize = 8 << 20;

/// A writer that remembers the last byte it passed on and the first error of the writer under
/// it: Tera keeps only the kind of an I/O error, and the report should name the real one.
struct Tracked<W: Write> {
    inner: W,
    last: Option<u8>,
    error: Option<io::Error>,
}

impl<W: Write> Tracked<W> {
    fn new(inner: W) -> Self {
        Tracked {
            inner,
            last: None,
            error: None,
        }
    }
}

impl<W: Write> Write for Tracked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.inner.write(buf) {
            Ok(n) => {
                if let Some(&b) = buf.get(..n).and_then(|written| written.last()) {
                    self.last = Some(b);
                }
                Ok(n)
            }
            Err(e) => {
                let kind = e.kind();
                self.error.get_or_insert(e);
                Err(io::Error::from(kind))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        // A document smaller than the sink's buffer fails here, not in `write`: the error is
        // kept the same way, so that it is reported as a write error naming the file.
        self.inner.flush().map_err(|e| {
            let kind = e.kind();
            self.error.get_or_insert(e);
            io::Error::from(kind)
        })
    }
}

/// What a job gives: its documents, or the error that stopped it.
type Rendered<W> = Result<Vec<Written<W>>, RenderError>;

/// A unit of rendering work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    /// The templated formats (Markdown, HTML): one engine, one template context.
    Templates,
    /// A format written by code, CSV apart.
    Direct(Format),
    /// Some of the CSV documents.
    Csv(CsvPart),
}

/// The sizes of a report context that a job's time grows with.
struct ContextSize {
    /// Rows of the service × control matrix (`report.csv`, the Responsibilities sheet).
    responsibilities: u64,
    /// Actions over every team's list.
    team_actions: u64,
    /// Rows over every register.
    register_rows: u64,
}

impl ContextSize {
    fn of(ctx: &ReportContext) -> Self {
        let count = |n: usize| n as u64;
        ContextSize {
            responsibilities: count(ctx.services.iter().map(|s| s.responsibilities.len()).sum()),
            team_actions: count(ctx.team_actions.iter().map(|t| t.actions.len()).sum()),
            register_rows: count(ctx.registers.iter().map(|r| r.rows.len()).sum()),
        }
    }
}

impl Job {
    /// Estimated time in microseconds: for each job, what it took per row of the matrix, per
    /// team action and per register row in profiles of `srmatrix report` on the 1M-row CUR of
    /// `scripts/bench.sh` (3,835 matrix rows, 3,224 team actions, 1,422 register rows) and on
    /// its variant with eight times the teams (22,585 team actions), 2026-12-08
    /// (docs/performance.md). Jobs start longest first, so that the job that finishes last is
    /// a short one; the CSV documents are three jobs so that the last one is short.
    fn cost(self, size: &ContextSize) -> u64 {
        // Microseconds per matrix row, per team action and per register row. Both profiles had
        // the same registers: their rows' share of each job is that of the Registers sheet, the
        // registers' JSON and their template values in the bundled example's profile.
        let (per_row, per_action, per_register_row) = match self {
            Job::Direct(Format::Xlsx) => (42, 2, 20),
            Job::Templates => (7, 9, 18),
            Job::Direct(Format::Json) => (11, 3, 9),
            Job::Direct(Format::Oscal) => (12, 1, 0),
            Job::Csv(CsvPart::Report) => (7, 0, 0),
            Job::Csv(CsvPart::Teams) => (0, 1, 0),
            Job::Csv(CsvPart::Registers) => (0, 0, 8),
            Job::Direct(Format::Markdown | Format::Html | Format::Csv) => (0, 0, 0),
        };
        (per_row * size.responsibilities)
            .saturating_add(per_action * size.team_actions)
            .saturating_add(per_register_row * size.register_rows)
    }
}

/// A JSON serialisation error of `file`: the writer's I/O errors stay I/O errors.
pub(crate) fn json_error(file: &'static str, e: serde_json::Error) -> RenderError {
    if e.is_io() {
        RenderError::Write {
            file,
            source: e.into(),
        }
    } else {
        RenderError::Context(format!("{file}: {e}"))
    }
}

/// The result of a render thread; a panic in it is re-raised here.
fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Renders the templated formats with one engine and one context.
/// Renders the templated formats; an HTML page larger than `held_page_limit` is rendered twice
/// rather than held.
fn render_templates<O: Output>(
    ctx: &ReportContext,
    formats: &[Format],
    templates: &Templates,
    out: &O,
    held_page_limit: usize,
) -> Result<Vec<Written<O::Writer>>, RenderError> {
    let tera = templates.engine()?;
    let tctx = tera_value::to_context(ctx).map_err(|e| RenderError::Context(e.to_string()))?;
    let mut docs = Vec::new();
    for &format in formats {
        let name = format.file_name();
        // Pages stream into their files. The HTML page's Content-Security-Policy, near its top,
        // lists the hashes of its inline scripts: the page is rendered once to find them and
        // kept, or, when it is larger than `held_page_limit`, rendered again into the file.
        let mut sink = Sink::open(out, name)?;
        let mut page = Tracked::new(&mut sink);
        let rendered = if format == Format::Html {
            // Tera writes many small pieces: buffered, the scans see large blocks.
            let mut scanned =
                BufWriter::with_capacity(1 << 16, html::ScannedPage::new(held_page_limit));
            tera.render_to(name, &tctx, &mut scanned)
                .map_err(|e| templates.error(name, &e))?;
            let (sources, held) = match scanned.into_inner() {
                Ok(scanned) => scanned.finish(),
                Err(e) => {
                    return Err(RenderError::Write {
                        file: name,
                        source: e.into_error(),
                    });
                }
            };
            let mut with_sources =
                BufWriter::with_capacity(1 << 16, html::WithScriptSources::new(&mut page, sources));
            match held {
                Some(bytes) => bytes
                    .chunks(1 << 16)
                    .try_for_each(|piece| with_sources.write_all(piece))
                    .map_err(tera::Error::from),
                None => tera.render_to(name, &tctx, &mut with_sources),
            }
            .and_then(|()| {
                with_sources
                    .into_inner()
                    .map_err(|e| tera::Error::from(e.into_error()))
                    .and_then(|w| w.finish().map(|_| ()).map_err(tera::Error::from))
            })
        } else {
            let mut buffered = BufWriter::with_capacity(1 << 16, &mut page);
            tera.render_to(name, &tctx, &mut buffered)
                .and_then(|()| buffered.flush().map_err(tera::Error::from))
        };
        if let Err(e) = rendered {
            return Err(match page.error.take() {
                Some(source) => RenderError::Write { file: name, source },
                None => templates.error(name, &e),
            });
        }
        if page.last != Some(b'\n') {
            sink.write_all(b"\n")?;
        }
        docs.push(sink.finish()?);
    }
    Ok(docs)
}

/// Renders a format that needs no template.
fn render_direct<O: Output>(
    ctx: &ReportContext,
    format: Format,
    out: &O,
) -> Result<Vec<Written<O::Writer>>, RenderError> {
    let written = match format {
        Format::Csv => return write_csv_documents(ctx, out),
        Format::Xlsx => {
            xlsx::write_workbook_to(ctx, Sink::open(out, format.file_name())?, out.scratch_dir())?
        }
        Format::Oscal => {
            oscal::write_component_definition_to(ctx, Sink::open(out, format.file_name())?)?
        }
        Format::Json => {
            let mut sink = Sink::open(out, format.file_name())?;
            serde_json::to_writer_pretty(&mut sink, ctx)
                .map_err(|e| json_error(format.file_name(), e))?;
            sink.write_all(b"\n")?;
            sink.finish()?
        }
        Format::Markdown | Format::Html => return Ok(Vec::new()),
    };
    Ok(vec![written])
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use srmatrix_model::{AssessmentBuilder, Catalog, InventoryRecord};

    use super::*;

    fn context() -> &'static ReportContext {
        static CTX: OnceLock<ReportContext> = OnceLock::new();
        CTX.get_or_init(|| {
            let catalog = Catalog::builtin().unwrap();
            let mut b = AssessmentBuilder::new();
            let i = b.start_input("inventory.csv", "native");
            for (line, service) in [(2, "ec2"), (3, "s3"), (4, "Contoso Widget")] {
                b.add(
                    i,
                    &InventoryRecord {
                        line,
                        service,
                        account_id: "111111111111",
                        resource_id: "r-1",
                        owner_team: "platform",
                        resource_count: Some(1),
                        ..InventoryRecord::default()
                    },
                );
            }
            let a = b.finish(&catalog);
            let meta = ReportMeta::for_tests("2026-10-01T00:00:00Z");
            ReportContext::new(&a, &catalog, meta)
        })
    }

    /// Writers that accept `limit` bytes, then fail: for the document `failing` only.
    struct FailingAfter {
        failing: &'static str,
        limit: usize,
    }

    struct LimitedWriter {
        left: usize,
    }

    impl Write for LimitedWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if buf.len() > self.left {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            self.left -= buf.len();
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Output for FailingAfter {
        type Writer = LimitedWriter;

        fn create(&self, file_name: &'static str) -> io::Result<LimitedWriter> {
            let left = if file_name == self.failing {
                self.limit
            } else {
                usize::MAX
            };
            Ok(LimitedWriter { left })
        }
    }

    #[test]
    fn a_page_too_large_to_hold_is_rendered_again_to_the_same_bytes() {
        let formats = [Format::Markdown, Format::Html];
        let templates = Templates::builtin();
        let held =
            render_templates(context(), &formats, &templates, &InMemory, HELD_PAGE_LIMIT).unwrap();
        let html = &held[1].writer;
        assert!(html.len() < HELD_PAGE_LIMIT, "the test page is held");
        for limit in [0, html.len() / 2, html.len() - 1, html.len()] {
            let again =
                render_templates(context(), &formats, &templates, &InMemory, limit).unwrap();
            assert!(again[1].writer == *html, "limit {limit}");
            assert!(again[0].writer == held[0].writer);
        }
        let page = String::from_utf8_lossy(html);
        assert!(
            page.contains("script-src 'sha256-"),
            "the policy lists the script's hash"
        );
        assert!(!page.contains(html::SCRIPT_HASHES_TOKEN));
    }

    #[test]
    fn csv_documents_written_in_parts_come_in_document_order() {
        let whole = write_csv_documents(context(), &InMemory).unwrap();
        assert!(whole.len() >= 8, "every CSV document");
        for formats in [
            &[Format::Csv, Format::Json][..],
            &[Format::Json, Format::Csv],
            &[Format::Csv, Format::Json, Format::Csv],
        ] {
            let rendered = render(context(), formats, &Templates::builtin()).unwrap();
            let csv: Vec<&Document> = rendered
                .iter()
                .filter(|d| d.file_name.ends_with(".csv"))
                .collect();
            assert_eq!(csv.len(), whole.len());
            for (part, doc) in csv.iter().zip(&whole) {
                assert_eq!(part.file_name, doc.file_name);
                assert!(part.bytes == doc.writer, "{}", doc.file_name);
            }
        }
    }

    #[test]
    fn a_failing_writer_is_reported_with_its_file_for_every_format() {
        let documents = render(context(), &Format::ALL, &Templates::builtin()).unwrap();
        assert!(documents.len() >= Format::ALL.len());
        for doc in &documents {
            assert!(!doc.bytes.is_empty(), "{}", doc.file_name);
            for limit in [0, doc.bytes.len() / 2] {
                let out = FailingAfter {
                    failing: doc.file_name,
                    limit,
                };
                let err = render_to(context(), &Format::ALL, &Templates::builtin(), &out)
                    .map(|_| ())
                    .unwrap_err();
                match &err {
                    RenderError::Write { file, source } => {
                        assert_eq!(*file, doc.file_name);
                        assert_eq!(source.kind(), io::ErrorKind::StorageFull, "{err}");
                    }
                    other => panic!("{}: {other}", doc.file_name),
                }
                assert!(
                    err.to_string()
                        .starts_with(&format!("writing {}", doc.file_name))
                );
            }
        }
    }

    /// Documents in memory whose `finished` call is recorded, and fails for `failing`.
    struct Finishing {
        failing: &'static str,
        finished: std::sync::Mutex<Vec<(&'static str, usize)>>,
    }

    struct Named(&'static str, Vec<u8>);

    impl Output for Finishing {
        type Writer = Named;

        fn create(&self, file_name: &'static str) -> io::Result<Named> {
            Ok(Named(file_name, Vec::new()))
        }

        fn finished(&self, Named(name, bytes): &mut Named) -> io::Result<()> {
            self.finished.lock().unwrap().push((name, bytes.len()));
            if *name == self.failing {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "sync failed"));
            }
            Ok(())
        }
    }

    impl Write for Named {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.1.write(buf)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_document_is_finished_once_complete_and_a_failure_names_it() {
        let documents = render(context(), &Format::ALL, &Templates::builtin()).unwrap();
        let out = Finishing {
            failing: "",
            finished: Default::default(),
        };
        render_to(context(), &Format::ALL, &Templates::builtin(), &out).unwrap();
        let mut finished = out.finished.into_inner().unwrap();
        finished.sort();
        let mut whole: Vec<(&str, usize)> = documents
            .iter()
            .map(|d| (d.file_name, d.bytes.len()))
            .collect();
        whole.sort();
        assert_eq!(finished, whole, "each document once, with all its bytes");
        let out = Finishing {
            failing: "report.json",
            finished: Default::default(),
        };
        let err = render_to(context(), &Format::ALL, &Templates::builtin(), &out)
            .map(|_| ())
            .unwrap_err();
        assert!(
            matches!(&err, RenderError::Write { file: "report.json", source } if source.kind() == io::ErrorKind::StorageFull),
            "{err}"
        );
    }

    /// Documents in memory that record the thread each was finished on.
    struct Threads(std::sync::Mutex<Vec<std::thread::ThreadId>>);

    impl Output for Threads {
        type Writer = Vec<u8>;

        fn create(&self, _: &'static str) -> io::Result<Vec<u8>> {
            Ok(Vec::new())
        }

        fn finished(&self, _: &mut Vec<u8>) -> io::Result<()> {
            self.0.lock().unwrap().push(std::thread::current().id());
            Ok(())
        }
    }

    #[test]
    fn the_calling_thread_renders_too() {
        let out = Threads(Default::default());
        render_to(context(), &Format::ALL, &Templates::builtin(), &out).unwrap();
        let threads = out.0.into_inner().unwrap();
        assert!(threads.len() >= Format::ALL.len());
        assert!(threads.contains(&std::thread::current().id()));
    }

    /// However the registers are shared between the two threads (none, one, a few or every
    /// framework selected), they are those built one after the other on one thread, in order.
    #[test]
    fn registers_on_two_threads_are_those_built_on_one() {
        let catalog = Catalog::builtin().unwrap();
        let ctx = context();
        let selections: [(&[&str], usize); 5] = [
            (
                &[],
                catalog
                    .frameworks
                    .iter()
                    .filter(|f| !f.register.is_empty())
                    .count(),
            ),
            (&["no-such-framework"], 0),
            (&["soc2"], 1),
            (&["hipaa", "nist-800-53"], 2),
            (&["soc2", "pci-dss", "iso-27001", "csa-ccm", "cis-aws"], 5),
        ];
        for (selection, registers) in selections {
            let selection: Vec<String> = selection.iter().map(|s| (*s).to_owned()).collect();
            let one = register::registers(&catalog, &selection, &ctx.services);
            let (two, beside) =
                register::registers_beside(&catalog, &selection, &ctx.services, || 7);
            assert_eq!(beside, 7);
            assert_eq!(
                serde_json::to_string(&two).unwrap(),
                serde_json::to_string(&one).unwrap(),
                "{selection:?}"
            );
            assert_eq!(two.len(), registers, "{selection:?}");
        }
    }

    #[test]
    fn the_template_context_is_what_tera_would_make_of_the_report_context() {
        let ours = tera_value::to_value(context()).unwrap();
        let theirs = tera::Value::from_serializable(context());
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
    }

    #[test]
    fn streamed_documents_equal_the_in_memory_ones() {
        let out = FailingAfter {
            failing: "",
            limit: 0,
        };
        let streamed = render_to(context(), &Format::ALL, &Templates::builtin(), &out).unwrap();
        let documents = render(context(), &Format::ALL, &Templates::builtin()).unwrap();
        let streamed_names: Vec<&str> = streamed.iter().map(|w| w.file_name).collect();
        let names: Vec<&str> = documents.iter().map(|d| d.file_name).collect();
        assert_eq!(streamed_names, names);
        for (w, d) in streamed.iter().zip(&documents) {
            assert_eq!(usize::MAX - w.writer.left, d.bytes.len(), "{}", d.file_name);
        }
    }

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
    fn file_names_are_the_files_rendered() {
        let mut ctx = context().clone();
        for with_changes in [false, true] {
            if with_changes {
                let baseline = serde_json::to_value(&ctx).unwrap();
                ctx.compare_with(&baseline).unwrap();
            }
            let docs = render_to(&ctx, &Format::ALL, &Templates::builtin(), &InMemory).unwrap();
            let mut rendered: Vec<&str> = docs.iter().map(|d| d.file_name).collect();
            let catalog = Catalog::builtin().unwrap();
            let documents = register::documents(&catalog, &ctx.meta.frameworks);
            assert_eq!(
                documents,
                ["fedramp-crm", "fedramp-cis", "ccm-ssrm", "soc2-csoc-cuec"]
            );
            let mut named = Format::file_names(&Format::ALL, with_changes, &documents);
            rendered.sort_unstable();
            named.sort_unstable();
            assert_eq!(rendered, named);
        }
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
