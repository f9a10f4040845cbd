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

/// Escapes text from inputs for a Markdown document: Markdown punctuation is backslash-escaped,
/// and line breaks become spaces, so a value can neither format text nor break a table row.
pub fn escape_markdown(s: &str) -> Cow<'_, str> {
    const SPECIAL: &[char] = &[
        '\\', '`', '*', '_', '{', '}', '[', ']', '<', '>', '(', ')', '#', '+', '-', '!', '|', '~',
        '&', '.',
    ];
    if !s.contains(|c: char| SPECIAL.contains(&c) || c == '\n' || c == '\r') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\r' | '\n' => out.push(' '),
            '.' | '-' | '+' | '!' | '(' | ')' | '&' => out.push(c),
            c if SPECIAL.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    // `.`, `-`, `+`, `!`, `(`, `)` and `&` only matter at the start of a line or in rare
    // sequences; escape them where they begin the value.
    if out.starts_with(['-', '+', '!', '&']) {
        out.insert(0, '\\');
    } else {
        // "1." or "1)" at the start would begin an ordered list.
        let digits = out.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && matches!(out.as_bytes().get(digits), Some(b'.' | b')')) {
            out.insert(digits, '\\');
        }
    }
    Cow::Owned(out)
}

/// Makes catalog Markdown fit in one Markdown table cell: pipes are escaped and line breaks
/// become spaces.
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
    }

    #[test]
    fn markdown_cell_keeps_one_row() {
        assert_eq!(markdown_cell("a | b\nc"), "a \\| b c");
    }
}
