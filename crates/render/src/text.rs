//! Text transformations for templates: catalog Markdown to safe HTML, and escaping of values for
//! Markdown documents.

use std::borrow::Cow;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag};
use tera::{Kwargs, State, Tera, Value};

/// Renders Markdown to HTML with raw HTML removed (shown as text) and only `http`, `https`,
/// `mailto` and in-page (`#`) links kept; any other link target becomes `#`.
pub fn markdown_to_html(md: &str) -> String {
    let parser =
        Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH).map(|ev| {
            match ev {
                Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => Event::Start(Tag::Link {
                    link_type,
                    dest_url: safe_url(dest_url),
                    title,
                    id,
                }),
                Event::Start(Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => Event::Start(Tag::Image {
                    link_type,
                    dest_url: CowStr::Borrowed(if dest_url.starts_with('#') { "#" } else { "" }),
                    title,
                    id,
                }),
                other => other,
            }
        });
    let mut html = String::with_capacity(md.len() + md.len() / 2);
    pulldown_cmark::html::push_html(&mut html, parser);
    html.trim_end().to_owned()
}

/// The link target if it is http(s), mailto or in-page, else `#`. What is checked is what is
/// written: surrounding whitespace is dropped, not percent-encoded in front of the checked prefix
/// (`[x](<\t#a:b>)` used to become `href="%09#a:b"`, a relative link; found by the `markdown`
/// fuzz target).
fn safe_url(url: CowStr<'_>) -> CowStr<'_> {
    let trimmed = url.trim();
    let lower = trimmed.to_ascii_lowercase();
    let allowed = lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("mailto:")
        || lower.starts_with('#');
    if !allowed {
        CowStr::Borrowed("#")
    } else if trimmed.len() == url.len() {
        url
    } else {
        CowStr::from(trimmed.to_owned())
    }
}

/// Escapes a value for a Markdown document: the one escaper of every value that comes from an
/// input, a policy or a baseline report, wherever the template puts it (a paragraph, a list item,
/// a heading, a table cell). The value reads exactly as it is in GitHub-flavoured Markdown and
/// CommonMark renderers and can neither format text, nor make a link or raw HTML, nor break a
/// table row:
///
/// - Markdown punctuation (`\ ` * _ { } [ ] < > # | ~ & $`) is backslash-escaped everywhere,
///   `-`, `+`, `!`, `=` and an ordered-list marker (`1.`, `1)`) where they begin the value;
/// - line breaks become spaces;
/// - GFM's extended autolinks are defeated: the `:` of `://` and the `.` after `www` are
///   backslash-escaped (both are recognised while inlines are parsed, so an escape ends them),
///   and an `@` between an address's local part and its domain becomes the code span `` `@` ``
///   (e-mail addresses are recognised after parsing, in the merged text, where an escape is gone;
///   a code span splits the text and still reads, and copies, as `@`).
///
/// A value escaped here is text: templates never put it inside a code span, where backslash
/// escapes do not apply.
pub fn escape_markdown(s: &str) -> Cow<'_, str> {
    /// Escaped wherever they are.
    const SPECIAL: &[char] = &[
        '\\', '`', '*', '_', '{', '}', '[', ']', '<', '>', '#', '|', '~', '&', '$',
    ];
    /// Escaped where they begin the value (a list item, a setext underline, an image).
    const LEADING: &[char] = &['-', '+', '!', '='];
    let needs = s.contains(|c: char| {
        SPECIAL.contains(&c) || matches!(c, '\n' | '\r' | ':' | '@' | '.' | ')')
    }) || s.starts_with(LEADING);
    if !needs {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        match c {
            '\r' | '\n' => out.push(' '),
            c if SPECIAL.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c if i == 0 && LEADING.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            ':' if s[i + 1..].starts_with("//") => out.push_str("\\:"),
            '.' if i >= 3 && bytes[i - 3..i].eq_ignore_ascii_case(b"www") => out.push_str("\\."),
            '@' if i > 0
                && is_local_part(bytes[i - 1])
                && bytes.get(i + 1).is_some_and(|&b| is_domain_part(b)) =>
            {
                out.push_str("`@`");
            }
            c => out.push(c),
        }
    }
    // "1." or "1)" at the start would begin an ordered list.
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && matches!(bytes.get(digits), Some(b'.' | b')')) {
        out.insert(digits, '\\');
    }
    Cow::Owned(out)
}

/// A byte GFM's e-mail autolink takes into the local part before the `@`.
fn is_local_part(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-' | b'_')
}

/// A byte GFM's e-mail autolink takes into the domain after the `@`.
fn is_domain_part(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

/// Fits catalog Markdown (the catalog's statements, evidence, sources and category texts, and
/// the program's own finding actions) in one Markdown table cell: pipes are escaped and line
/// breaks become spaces; the rest stays Markdown, to be rendered as such. Not for values from
/// inputs, a policy or a baseline: those go through [`escape_markdown`].
pub fn markdown_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\r', '\n'], " ")
}

pub(crate) fn register_filters(tera: &mut Tera) {
    tera.register_filter("markdown", |s: &str, _: Kwargs, _: &State| {
        Value::safe_string(&markdown_to_html(s))
    });
    tera.register_filter("md_escape", |s: &str, _: Kwargs, _: &State| {
        escape_markdown(s).into_owned()
    });
    tera.register_filter("md_cell", |s: &str, _: Kwargs, _: &State| markdown_cell(s));
    // A list of strings as a JSON array, for an HTML attribute a script reads with `JSON.parse`:
    // every character of every item stays data (a `|` in a team name is no separator).
    tera.register_filter("json", |items: Vec<String>, _: Kwargs, _: &State| {
        serde_json::Value::from(items).to_string()
    });
    tera.register_filter("lower_ascii", |s: &str, _: Kwargs, _: &State| {
        s.to_ascii_lowercase()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_renders_and_drops_raw_html() {
        assert_eq!(
            markdown_to_html("Use `aws s3` **now**"),
            "<p>Use <code>aws s3</code> <strong>now</strong></p>"
        );
        let html = markdown_to_html("hi <script>alert(1)</script> <b>x</b>");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let block = markdown_to_html("<div onclick=\"x()\">block</div>");
        assert!(!block.contains("<div"), "{block}");
    }

    #[test]
    fn markdown_neutralises_dangerous_links() {
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            " data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            let html = markdown_to_html(&format!("[click]({bad})"));
            assert!(html.contains("href=\"#\""), "{bad}: {html}");
        }
        let ok = markdown_to_html(
            "[AWS](https://aws.amazon.com/compliance/shared-responsibility-model/)",
        );
        assert!(
            ok.contains("href=\"https://aws.amazon.com/compliance/shared-responsibility-model/\"")
        );
        let img = markdown_to_html("![x](https://tracker.example/pixel.png)");
        assert!(!img.contains("tracker"), "no remote images: {img}");
        // Whitespace around a target is dropped, not encoded in front of the checked prefix.
        for (md, href) in [
            ("[x](<\t#r:\0>)", "#r:%00"),
            (
                "[x](< https://aws.amazon.com/ >)",
                "https://aws.amazon.com/",
            ),
        ] {
            let html = markdown_to_html(md);
            assert!(html.contains(&format!("href=\"{href}\"")), "{md}: {html}");
        }
    }

    #[test]
    fn escape_markdown_neutralises_formatting_and_table_breaks() {
        assert_eq!(escape_markdown("payments"), "payments");
        assert_eq!(escape_markdown("a|b"), "a\\|b");
        assert_eq!(escape_markdown("line1\nline2"), "line1 line2");
        assert_eq!(
            escape_markdown("*bold* [x](y) <b>"),
            "\\*bold\\* \\[x\\](y) \\<b\\>"
        );
        assert_eq!(escape_markdown("- item"), "\\- item");
        assert_eq!(escape_markdown("eu-west-1"), "eu-west-1");
        assert_eq!(escape_markdown("1. first"), "1\\. first");
        assert_eq!(escape_markdown("12 rows (3.5)"), "12 rows (3.5)");
        assert_eq!(escape_markdown("=== x"), "\\=== x");
        assert_eq!(escape_markdown("R&D $5"), "R\\&D \\$5");
    }

    #[test]
    fn escape_markdown_defeats_gfm_autolinks() {
        assert_eq!(
            escape_markdown("see https://evil.example/x"),
            "see https\\://evil.example/x"
        );
        assert_eq!(escape_markdown("ftp://e.example"), "ftp\\://e.example");
        assert_eq!(escape_markdown("www.evil.example"), "www\\.evil.example");
        assert_eq!(escape_markdown("WWW.evil.example"), "WWW\\.evil.example");
        assert_eq!(
            escape_markdown("mailto:ops@evil.example"),
            "mailto:ops`@`evil.example"
        );
        assert_eq!(escape_markdown("a_b@c.example"), "a\\_b`@`c.example");
        // No address: nothing before the `@`, or no domain after it.
        assert_eq!(escape_markdown("@team"), "@team");
        assert_eq!(escape_markdown("team@ x"), "team@ x");
        // A backtick of the value stays escaped next to the code span.
        assert_eq!(escape_markdown("a`@b.c"), "a\\`@b.c");
        assert_eq!(escape_markdown("a.`@b"), "a.\\`@b");
        assert_eq!(escape_markdown("x.@b"), "x.`@`b");
        // Multi-byte text before a `.` is no `www`.
        assert_eq!(escape_markdown("éw.x"), "éw.x");
        assert_eq!(escape_markdown("ww.x"), "ww.x");
    }

    /// The text (text and code) a renderer shows for `md`, and any event that is not text: a
    /// link, an image, raw HTML, emphasis, a line break.
    fn rendered(md: &str) -> (String, Vec<String>) {
        let mut text = String::new();
        let mut other = Vec::new();
        let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
        for ev in Parser::new_ext(md, opts) {
            match ev {
                Event::Text(t) | Event::Code(t) => text.push_str(&t),
                Event::Start(
                    Tag::Paragraph
                    | Tag::Table(_)
                    | Tag::TableHead
                    | Tag::TableRow
                    | Tag::TableCell
                    | Tag::List(None)
                    | Tag::Item
                    | Tag::Strong
                    | Tag::Heading { .. },
                )
                | Event::End(_) => {}
                ev => other.push(format!("{ev:?}")),
            }
        }
        (text, other)
    }

    /// Values a template could hold: every Markdown character, line breaks, URLs, addresses.
    const VALUE: &str =
        "([a-z0-9 `*_{}()<>#+!|~&.:/@=$;'\"\\\\\\[\\]\\-]|\\n|\\r|www\\.|https?://|a@b\\.c){0,8}";

    proptest::proptest! {
        /// In every context the report template gives a value (mid-line in a paragraph, after a
        /// bold label of a list item, in a table cell, in a heading, and at the start of a
        /// paragraph), the escaped value renders as exactly its own text (line breaks as spaces)
        /// and as nothing else: no link, image, raw HTML, emphasis, list, heading or row break.
        #[test]
        fn an_escaped_value_renders_as_its_own_text(v in VALUE) {
            let e = escape_markdown(&v);
            let flat = v.replace(['\r', '\n'], " ");
            let mut contexts = vec![
                (format!("x {e} y\n"), format!("x {flat} y")),
                (format!("- **A:** {e} z\n"), format!("A: {flat} z")),
                (format!("| h |\n|---|\n| x{e}y |\n"), format!("hx{flat}y")),
                (format!("### T: {e} z\n"), format!("T: {flat} z")),
            ];
            // At the start of a line (no template puts a value there, but the escaper holds
            // there too), except leading blanks, which indent a code block.
            if !flat.starts_with([' ', '\t']) {
                contexts.push((format!("{e}z\n"), format!("{flat}z")));
            }
            for (md, want) in contexts {
                let (text, other) = rendered(&md);
                proptest::prop_assert_eq!(&text, &want, "{:?}", md);
                proptest::prop_assert!(other.is_empty(), "{:?}: {:?}", md, other);
            }
        }
    }

    /// Expressions a Markdown template may print without `md_escape`: numbers, the program's
    /// own codes and labels, and catalog ids and titles. Anything else (a value from an input,
    /// the policy or a baseline report) must go through `md_escape`.
    const TRUSTED: &[&str] = &[
        "g.code",
        "g.count",
        "g.severity",
        "r.rows | length",
        "row.controls | join(sep=\", \")",
        "row.status_label",
        "s.category",
        "s.count",
        "s.label",
        "unmapped_others.identifiers",
        "unmapped_others.resources",
        "unmapped_others.rows",
        "a.control",
        "a.owner",
        "a.services | join(sep=\", \")",
        "accounts | length",
        "c.control",
        "c.count",
        "c.domain_title",
        "c.id",
        "c.inheritance",
        "c.key",
        "c.label",
        "c.owners.aws",
        "c.owners.customer",
        "c.owners.shared",
        "c.title",
        "cat.title",
        "catalog.controls",
        "catalog.name",
        "catalog.services",
        "catalog.version",
        "cell.letter",
        "changes.exception_changes | length",
        "changes.findings_closed | length",
        "changes.findings_opened | length",
        "changes.ownership_changes | length",
        "changes.services_adopted | length",
        "changes.services_retired | length",
        "f.code",
        "f.count",
        "f.severity",
        "fw.title",
        "group.title",
        "i.blank_resource_ids",
        "i.blank_service_rows",
        "i.bytes",
        "i.format",
        "i.mapped_rows",
        "i.non_resource_rows",
        "i.non_service_rows",
        "i.out_of_scope_rows",
        "i.ragged_rows",
        "i.resources",
        "i.rows",
        "i.sha256",
        "i.unmapped_rows",
        "meta.tool",
        "n",
        "n.rows",
        "n.title",
        "r.control",
        "r.owner",
        "regions | length",
        "req.id",
        "row.service",
        "s",
        "s.category_title",
        "s.category_title | lower",
        "s.guidance_category",
        "s.id",
        "s.name",
        "s.owners.aws",
        "s.owners.customer",
        "s.owners.shared",
        "s.resources",
        "s.rows",
        "s.sensitive_resources",
        "s.specific_statements",
        "s.deployment_defaults",
        "s.lifecycle.status",
        "s.lifecycle.closed_on",
        "s.lifecycle.end_of_support_on",
        "r.rows",
        "s.unowned_resources",
        "s.whitepaper_2016",
        "summary.controls",
        "summary.coverage_percent",
        "summary.mapped_rows",
        "summary.non_resource_rows",
        "summary.non_service_rows",
        "summary.other_provider_rows",
        "summary.rows",
        "summary.service_coverage_percent",
        "summary.services",
        "summary.unmapped_identifiers",
        "summary.unowned_resources",
        "t.actions | length",
        "t.resources",
        "u.resources",
        "u.rows",
    ];

    /// Catalog Markdown (and the program's finding actions) that a template fits in a table cell
    /// with `md_cell`.
    const CATALOG_MARKDOWN: &[&str] = &[
        "a.customer",
        "a.title",
        "c.description",
        "c.frameworks_text",
        "c.source",
        "c.title",
        "e",
        "f.action",
        "g.action",
        "r.aws",
        "r.customer",
        "r.source",
        "r.title",
        "s.assumed_variant",
        "s.category_reason",
        "s.deployment.reason",
        "s.lifecycle.migration",
        "s.lifecycle.source",
    ];

    /// Every `{{ … }}` of the built-in Markdown templates: a value from an input, the policy or a
    /// baseline goes through `md_escape` and never sits in a code span (where an escape shows
    /// as a backslash and a backtick of the value ends the span); `md_cell` takes only catalog
    /// Markdown; everything else printed as it is is a number, a code or a catalog id.
    #[test]
    fn markdown_templates_escape_every_value_outside_code_spans() {
        let mut problems = Vec::new();
        for (name, text) in crate::Templates::builtin_sources() {
            if !name.ends_with(".md") {
                continue;
            }
            for (n, line) in text.lines().enumerate() {
                let mut in_code = false;
                let mut rest = line;
                while !rest.is_empty() {
                    if let Some(r) = rest.strip_prefix("{%") {
                        rest = r.split_once("%}").map_or("", |(_, r)| r);
                    } else if let Some(r) = rest.strip_prefix("{{") {
                        let (expr, r) = r.split_once("}}").unwrap();
                        rest = r;
                        let expr = expr.trim();
                        let at = format!("{name}:{}: {{{{ {expr} }}}}", n + 1);
                        if let Some(value) = expr.strip_suffix("| md_escape") {
                            if in_code {
                                problems.push(format!("{at}: an escaped value in a code span"));
                            }
                            assert!(!value.contains('|'), "{at}: md_escape last and alone");
                        } else if let Some(value) = expr.strip_suffix("| md_cell") {
                            if !CATALOG_MARKDOWN.contains(&value.trim()) {
                                problems.push(format!("{at}: md_cell is for catalog Markdown"));
                            }
                        } else if !TRUSTED.contains(&expr) {
                            problems.push(format!("{at}: not escaped with md_escape"));
                        }
                    } else if let Some(r) = rest.strip_prefix("\\`") {
                        rest = r;
                    } else {
                        let c = rest.chars().next().unwrap();
                        in_code ^= c == '`';
                        rest = &rest[c.len_utf8()..];
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn markdown_cell_keeps_one_row() {
        assert_eq!(markdown_cell("a | b\nc"), "a \\| b c");
    }
}
