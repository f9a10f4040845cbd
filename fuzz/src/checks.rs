//! What each fuzz target does with its input, and the invariants it asserts.
//!
//! This file is compiled twice: into the fuzz crate (`fuzz/src/lib.rs`), where every
//! `fuzz_targets/<name>.rs` calls the function of the same name, and into the integration tests
//! (`tests/fuzz_regressions.rs`), which replay the saved inputs of `tests/fixtures/fuzz/<name>/`
//! through the same function. A check fails by panicking.

use std::sync::OnceLock;

use srmatrix_import::{Format, ImportOptions, Limits};
use srmatrix_model::catalog::SourceFile;
use srmatrix_model::{
    AssessOptions, AssessmentBuilder, Catalog, CatalogSources, InventoryRecord, Policy, Taxonomy,
};
use srmatrix_render::{Output, ReportContext, ReportMeta, Templates};

/// The built-in catalog, loaded once.
pub fn builtin_catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| match Catalog::builtin() {
        Ok(c) => c,
        Err(e) => panic!("the built-in catalog does not load: {e}"),
    })
}

/// A few records covering a mapped service, an unmapped one, a billing code, an unowned
/// resource and values with Markdown and formula characters.
fn sample_records() -> [InventoryRecord<'static>; 6] {
    let rec = |line, service, team, id| InventoryRecord {
        line,
        service,
        account_id: "111111111111",
        region: "eu-west-1",
        resource_id: id,
        owner_team: team,
        environment: "prod",
        data_classification: "confidential",
        resource_count: Some(1),
        ..InventoryRecord::default()
    };
    [
        rec(2, "ec2", "platform", "i-1"),
        rec(3, "s3", "=HYPERLINK(\"http://x\")", "bucket-1"),
        rec(4, "lambda", "", "fn-1"),
        rec(5, "Contoso | Widget <b>", "pay*ments*", "w-1"),
        rec(6, "AmazonRDS", "data\nteam", "db-1"),
        rec(7, "Tax", "", ""),
    ]
}

/// A small report context, built once, for the template target.
pub fn small_context() -> &'static ReportContext {
    static CTX: OnceLock<ReportContext> = OnceLock::new();
    CTX.get_or_init(|| {
        let catalog = builtin_catalog();
        let mut b = AssessmentBuilder::new();
        let i = b.start_input("inventory.csv", "native");
        b.input_digest(i, &"ab".repeat(32), 1234);
        for r in &sample_records() {
            b.add(i, r);
        }
        let a = b.finish(catalog);
        let meta = ReportMeta {
            organisation: "Northwind | Analytics".into(),
            period: "2026-Q3".into(),
            generated_at: "2026-10-01T00:00:00Z".into(),
            tool: "srmatrix 0.1.0".into(),
            frameworks: Vec::new(),
            taxonomy: Taxonomy::Srm,
            prepared_by: String::new(),
            reviewed_by: String::new(),
            // Every section of the templates is exercised.
            detail: srmatrix_render::context::Detail::Full,
        };
        ReportContext::new(&a, catalog, meta)
    })
}

/// Limits that a fuzz input of a few kilobytes can cross anywhere, chosen from the input so that
/// mutations move them: a line limit a little above the header line's length (so that the header
/// usually passes and a later line may not), a field limit of 1-61 bytes, and a column limit of
/// the header's columns or up to two fewer. With them the limit errors, and which of two threads
/// reports the first one, are fuzzed too; the default limits (megabytes) are far beyond any input.
pub fn tight_limits(data: &[u8]) -> Limits {
    let header = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let columns = 1 + data[..header].iter().filter(|&&b| b == b',').count();
    let n = data.len();
    Limits {
        max_field_bytes: 1 + (n % 61) as u64,
        max_line_bytes: (header + n % 67).max(1) as u64,
        max_columns: columns.saturating_sub(n % 3).max(1),
    }
}

/// Imports `data` (detected or forced format) into an assessment; when the import succeeds,
/// every row read is accounted for exactly once.
pub fn import_with(data: &[u8], format: Option<Format>, limits: Limits) {
    let catalog = builtin_catalog();
    let opts = ImportOptions {
        format,
        limits,
        ..ImportOptions::default()
    };
    let mut builder = AssessmentBuilder::new();
    let input = builder.start_input("fuzz.csv", "");
    let mut sunk = 0u64;
    let result = srmatrix_import::read("fuzz.csv", data, &opts, |r| {
        sunk += 1;
        builder.add(input, r)
    });
    match result {
        Ok(stats) => {
            if let Some(f) = format {
                assert_eq!(stats.format, f, "a forced format is the format read");
            }
            builder.input_details(
                input,
                stats.format.as_str(),
                stats.ragged_rows,
                &stats.duplicate_columns,
            );
            let a = builder.finish(catalog);
            assert_eq!(a.inputs.len(), 1);
            let s = &a.inputs[0];
            assert_eq!(
                stats.rows, sunk,
                "ImportStats::rows counts the rows handed to the sink"
            );
            assert_eq!(s.rows, stats.rows, "the summary counts every row read");
            assert_eq!(
                s.accounted_rows(),
                s.rows,
                "every row is accounted exactly once: {s:?}"
            );
            assert!(stats.ragged_rows <= stats.rows);
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("fuzz.csv"), "errors name the input: {msg}");
        }
    }
}

/// What a sink saw of one row, for comparing two reads.
type Seen = (u64, String, String, String, String, String, String);

fn seen(r: &InventoryRecord<'_>) -> Seen {
    (
        r.line,
        format!("{:?}", r.kind),
        r.service.to_owned(),
        r.account_id.to_owned(),
        r.resource_id.to_owned(),
        r.owner_team.to_owned(),
        r.environment.to_owned(),
    )
}

/// Reading in tiny chunks on three threads gives the same rows (with the same lines) and the
/// same error as reading on one thread in the default chunks: chunk boundaries, quoted line
/// breaks and thread scheduling never change what is read.
pub fn parallel_matches_sequential(data: &[u8], format: Option<Format>, limits: Limits) {
    let opts = ImportOptions {
        format,
        limits,
        ..ImportOptions::default()
    };
    let mut one = Vec::new();
    let sequential = srmatrix_import::read("fuzz.csv", data, &opts, |r| one.push(seen(r)));
    let tiny = ImportOptions {
        chunk_bytes: 1 + data.len() % 13,
        ..opts
    };
    let mut parts: Vec<Vec<Seen>> = vec![Vec::new(); 3];
    let mut sinks: Vec<_> = parts
        .iter_mut()
        .map(|p| move |r: &InventoryRecord<'_>| p.push(seen(r)))
        .collect();
    let parallel = srmatrix_import::read_parallel("fuzz.csv", data, &tiny, &mut sinks);
    drop(sinks);
    match (sequential, parallel) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "same statistics");
            let mut all: Vec<Seen> = parts.into_iter().flatten().collect();
            all.sort();
            assert_eq!(all, one, "same rows, same lines");
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "same first error"),
        (a, b) => panic!("one read failed, the other did not: {a:?} vs {b:?}"),
    }
}

/// Target `import_detect`: the format detected from the header.
pub fn import_detect(data: &[u8]) {
    for limits in [Limits::default(), tight_limits(data)] {
        import_with(data, None, limits);
        parallel_matches_sequential(data, None, limits);
    }
}

/// Target `import_forced`: the first byte picks a format from [`Format::ALL`].
pub fn import_forced(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let format = Format::ALL[usize::from(first) % Format::ALL.len()];
    for limits in [Limits::default(), tight_limits(rest)] {
        import_with(rest, Some(format), limits);
        parallel_matches_sequential(rest, Some(format), limits);
    }
}

/// Target `import_parquet`: the first byte picks a format from [`Format::ALL`] (or detection,
/// past the last), the rest is read as a Parquet file, on one thread and on three. Both reads
/// give the same rows and statistics, or the same error, which names the input and comes from
/// the reader's checks (not from a panic it caught); a read that succeeds accounts for every row
/// of the footer exactly once.
pub fn import_parquet(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let format = Format::ALL
        .get(usize::from(first) % (Format::ALL.len() + 1))
        .copied();
    let opts = ImportOptions {
        format,
        ..ImportOptions::default()
    };
    let read = |threads: usize| {
        let mut parts: Vec<Vec<Seen>> = vec![Vec::new(); threads];
        let mut sinks: Vec<_> = parts
            .iter_mut()
            .map(|p| move |r: &InventoryRecord<'_>| p.push(seen(r)))
            .collect();
        let source = srmatrix_import::ParquetSource::bytes(rest.to_vec());
        let result = srmatrix_import::read_parquet("fuzz.parquet", source, &opts, &mut sinks);
        drop(sinks);
        let mut rows: Vec<Seen> = parts.into_iter().flatten().collect();
        rows.sort();
        (result, rows)
    };
    let (one, one_rows) = read(1);
    let (three, three_rows) = read(3);
    match (one, three) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "same statistics on one thread and three");
            assert_eq!(one_rows, three_rows, "same rows on one thread and three");
            let info = a.parquet.as_ref().map(|p| p.rows);
            assert_eq!(info, Some(a.rows), "every row of the footer is read");
            assert_eq!(
                a.rows,
                one_rows.len() as u64,
                "every row goes to a sink once"
            );
            if let Some(f) = format {
                assert_eq!(a.format, f, "a forced format is the format read");
            }
            let mut builder = AssessmentBuilder::new();
            let input = builder.start_input("fuzz.parquet", a.format.as_str());
            let source = srmatrix_import::ParquetSource::bytes(rest.to_vec());
            let mut sink = |r: &InventoryRecord<'_>| builder.add(input, r);
            let again = srmatrix_import::read_parquet(
                "fuzz.parquet",
                source,
                &opts,
                std::slice::from_mut(&mut sink),
            );
            assert!(again.is_ok(), "a second read succeeds too: {again:?}");
            let assessment = builder.finish(builtin_catalog());
            let s = &assessment.inputs[0];
            assert_eq!(s.rows, a.rows);
            assert_eq!(
                s.accounted_rows(),
                s.rows,
                "every row accounted once: {s:?}"
            );
        }
        (Err(a), Err(b)) => {
            let (a, b) = (a.to_string(), b.to_string());
            assert_eq!(a, b, "the same first error on one thread and three");
            assert!(a.starts_with("fuzz.parquet"), "errors name the input: {a}");
            assert!(
                !a.contains("the Parquet reader failed"),
                "a panic in the reader, caught: {a}"
            );
        }
        (a, b) => panic!("one read failed, the other did not: {a:?} vs {b:?}"),
    }
}

/// Target `catalog`: the first byte picks one of the catalog files, the rest (lossy UTF-8)
/// replaces its text. Loading returns Ok or Err; a catalog that loads answers lookups of its own
/// service ids.
pub fn catalog(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let names = CatalogSources::FILE_NAMES;
    let name = names[usize::from(first) % names.len()];
    let mut src = CatalogSources::builtin();
    let Some(slot) = src.slot_mut(name) else {
        panic!("no slot for {name}");
    };
    slot.text = String::from_utf8_lossy(rest).into_owned();
    match Catalog::load(&src) {
        Ok(c) => {
            for (i, s) in c.services.iter().enumerate() {
                assert_eq!(c.service_index(&s.id), Some(i), "service {} by id", s.id);
                for ctl in 0..c.controls.len() {
                    let _ = c.resolve(i, ctl);
                }
            }
            for (i, ctl) in c.controls.iter().enumerate() {
                assert_eq!(c.control_index(&ctl.id), Some(i), "control {}", ctl.id);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Target `policy`: the input (lossy UTF-8) as a policy file against the built-in catalog. A
/// policy that loads is applied to a small assessment.
pub fn policy(data: &[u8]) {
    let catalog = builtin_catalog();
    let file = SourceFile {
        origin: "fuzz-policy.toml".into(),
        text: String::from_utf8_lossy(data).into_owned(),
    };
    match Policy::load(&file, catalog) {
        Ok(p) => {
            let _ = p.tag_keys();
            let mut b = AssessmentBuilder::with_scope(p.scope.clone());
            let i = b.start_input("inventory.csv", "native");
            for r in &sample_records() {
                b.add(i, r);
            }
            let opts = AssessOptions {
                policy: Some(p),
                as_of: "2026-10-01".into(),
                ..AssessOptions::default()
            };
            let a = b.finish_with(catalog, &opts);
            let s = &a.inputs[0];
            assert_eq!(s.accounted_rows(), s.rows, "every row accounted: {s:?}");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Target `template`: the input (lossy UTF-8) shadows `report.md`, rendered with a small
/// context. Ok or Err, never a panic.
pub fn template(data: &[u8]) {
    let mut templates = Templates::builtin();
    templates.shadow(
        "report.md",
        "fuzz/report.md",
        String::from_utf8_lossy(data).into_owned(),
    );
    match srmatrix_render::render_to(
        small_context(),
        &[srmatrix_render::Format::Markdown],
        &templates,
        &Capped,
    ) {
        Ok(docs) => assert_eq!(docs.len(), 1),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Tags `markdown_to_html` may emit: the Markdown constructs with tables and strikethrough.
const ALLOWED_TAGS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "em",
    "strong",
    "del",
    "code",
    "pre",
    "a",
    "img",
    "ul",
    "ol",
    "li",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
];

/// Attributes `markdown_to_html` may emit (`style` only for table-cell alignment, `class` only
/// for the language of a fenced code block).
const ALLOWED_ATTRIBUTES: &[&str] = &["href", "src", "alt", "title", "start", "style", "class"];

/// Link targets that may appear in `href` or `src`.
fn safe_target(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    v.is_empty()
        || l.starts_with('#')
        || l.starts_with("http://")
        || l.starts_with("https://")
        || l.starts_with("mailto:")
}

/// Checks HTML from `markdown_to_html`: only known tags and attributes (so no `on...=` event
/// handler), no `<script`, every `href` and `src` http(s), mailto or in-page.
pub fn check_safe_html(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "<script in {html:?}");
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            panic!("unclosed tag in {html:?}");
        };
        let tag = &after[..end];
        rest = &after[end + 1..];
        let body = tag.strip_prefix('/').unwrap_or(tag);
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        assert!(
            ALLOWED_TAGS.contains(&name.as_str()),
            "tag <{tag}> in {html:?}"
        );
        // Attributes: name="value" pairs (values are HTML-escaped, so hold no quote).
        let mut attrs = &tag[name.len()..];
        while let Some(eq) = attrs.find("=\"") {
            let attr_name = attrs[..eq]
                .rsplit(|c: char| c.is_ascii_whitespace())
                .next()
                .unwrap_or("")
                .to_ascii_lowercase();
            let v = &attrs[eq + 2..];
            let Some(close) = v.find('"') else {
                panic!("unterminated attribute in <{tag}>");
            };
            let value = &v[..close];
            // Values of `alt` and `title` are text and may say anything (even `javascript:`);
            // what must not appear is an event handler, a script URL or free-form style.
            assert!(
                ALLOWED_ATTRIBUTES.contains(&attr_name.as_str()),
                "attribute {attr_name} in <{tag}>"
            );
            if attr_name == "href" || attr_name == "src" {
                assert!(safe_target(value), "{attr_name}={value:?} in {html:?}");
            }
            if attr_name == "class" {
                assert!(value.starts_with("language-"), "class={value:?} in <{tag}>");
            }
            if attr_name == "style" {
                assert!(
                    [
                        "text-align: left",
                        "text-align: center",
                        "text-align: right"
                    ]
                    .contains(&value),
                    "style={value:?} in <{tag}>"
                );
            }
            attrs = &v[close + 1..];
        }
    }
}

/// Undoes `escape_markdown`: every backslash escapes the character after it.
fn unescape_markdown(e: &str) -> String {
    let mut out = String::with_capacity(e.len());
    let mut chars = e.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n) => out.push(n),
                None => panic!("dangling backslash at the end of {e:?}"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Target `markdown`: `markdown_to_html` emits no script, event handler or unsafe link, and
/// `escape_markdown` keeps a value on one line and in one table cell.
pub fn markdown(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    check_safe_html(&srmatrix_render::markdown_to_html(&s));

    let e = srmatrix_render::escape_markdown(&s);
    assert!(
        !e.contains(['\n', '\r']),
        "line break in escaped {e:?} of {s:?}"
    );
    let bytes = e.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'|' {
            let backslashes = bytes[..i].iter().rev().take_while(|&&c| c == b'\\').count();
            assert!(backslashes % 2 == 1, "unescaped | at {i} in {e:?} of {s:?}");
        }
    }
    assert_eq!(
        unescape_markdown(&e),
        s.replace(['\r', '\n'], " "),
        "escaping loses or changes text: {e:?}"
    );
    // In a one-column table the escaped value stays one cell of one row.
    let table = format!("| h |\n| --- |\n| {e} |\n");
    let html = srmatrix_render::markdown_to_html(&table);
    assert_eq!(
        html.matches("<td").count(),
        1,
        "escaped {s:?} as {e:?} splits the table row: {html}"
    );
    assert_eq!(
        html.matches("<tr").count(),
        2,
        "escaped {s:?} as {e:?} breaks the table: {html}"
    );
}

/// Most bytes a rendered template may write in the `template` target.
const OUTPUT_CAP: usize = 4 << 20;

/// Documents counted, not kept, and refused past [`OUTPUT_CAP`] with a write error (what a full
/// disk gives). Templates may loop without bound, a documented gap (they are trusted like code:
/// `docs/security.md`), so a template whose nested loops write gigabytes is not a finding; without
/// the cap it ends the run as an out-of-memory crash.
struct Capped;

/// The writer of [`Capped`]: bytes written so far.
struct CappedWriter(usize);

impl std::io::Write for CappedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0 + buf.len() > OUTPUT_CAP {
            return Err(std::io::Error::other("output cap of the template target"));
        }
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Output for Capped {
    type Writer = CappedWriter;

    fn create(&self, _file_name: &'static str) -> std::io::Result<CappedWriter> {
        Ok(CappedWriter(0))
    }
}

/// Target `tokenize_differential`: the importer's CSV tokenizer, behind the splitter cutting the
/// input into chunks of a size the first byte picks (1 to 64 bytes, or the default), reads the
/// same records, fields and lines as csv-core. The one documented difference: a quoted field
/// still open at the end of the input is an error naming its opening quote (a cut-off file),
/// where csv-core ends the field; closing it with one more quote then reads as csv-core read it.
pub fn tokenize_differential(data: &[u8]) {
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let chunk = match pick % 65 {
        0 => 512 * 1024,
        n => usize::from(n),
    };
    // csv-core removes one leading UTF-8 byte-order mark itself, as the splitter does.
    let reference = srmatrix_import::differential::csv_core_records(data);
    match srmatrix_import::differential::records(data, chunk) {
        Ok(ours) => assert_eq!(ours, reference, "records differ from csv-core's"),
        Err((line, column, at)) => {
            assert_eq!(data.get(at), Some(&b'"'), "open quote at {line}:{column}");
            let closed = [data, b"\""].concat();
            let ours = srmatrix_import::differential::records(&closed, chunk);
            assert_eq!(
                ours.as_ref(),
                Ok(&reference),
                "closing the quote opened at {line}:{column}"
            );
        }
    }
}
