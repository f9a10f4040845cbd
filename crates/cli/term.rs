//! Standard output and standard error that never panic, and terminal-safe text.
//!
//! `print!` and friends panic when a write fails (`srmatrix inspect big.csv | head`, a closed
//! stderr, `> /dev/full`); they are denied in this crate. Writes to standard output go through
//! [`out`] and return the error, so a command stops at the first failed write; `main` ends quietly
//! with success when the reader went away (a broken pipe, as ripgrep does) and reports any other
//! failure. Messages on standard error go through [`err`], which drops write errors: there is
//! nowhere left to report them. [`note`] is a message that `--quiet` silences.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: from now on, only errors are written to standard error.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Writes to standard output; the error says why it could not.
pub fn out(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    stdout.write_fmt(args)
}

/// Writes an error or warning to standard error, whatever `--quiet` says; a failed write is
/// dropped.
pub fn err(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// Writes an informational message to standard error unless `--quiet`; a failed write is
/// dropped.
pub fn note(args: fmt::Arguments<'_>) {
    if !quiet() {
        err(args);
    }
}

/// Flushes standard output (the last line of a command's output may still be buffered).
pub fn flush_out() -> io::Result<()> {
    io::stdout().lock().flush()
}

/// `println!` to standard output through [`out`]: evaluates to an `io::Result<()>`.
macro_rules! outln {
    () => { $crate::term::out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::term::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` through [`note`]: silenced by `--quiet`, never fails.
macro_rules! noteln {
    ($($arg:tt)*) => { $crate::term::note(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` through [`err`]: shown even with `--quiet`, never fails.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::term::err(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, noteln, outln};

/// Whether an error (or anything in its chain) is a write to a reader that went away.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<csv::Error>().is_some_and(
                |c| matches!(c.kind(), csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::BrokenPipe),
            )
    })
}

/// Text made safe to show on a terminal or in a log: every control character (escape sequences,
/// carriage returns, line breaks, bidirectional overrides) is shown as an escape such as `\x1b`,
/// `\n` or `\u{202e}` instead of being sent raw, so that a value from an input can neither move
/// the cursor, recolour the terminal, nor forge a line of output. A backslash stays as it is.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path as shown on the terminal: bytes that are not UTF-8 as `\xNN`, control characters
/// escaped (see [`escape`]).
pub fn path(p: &std::path::Path) -> String {
    escape(&crate::manifest::path_text(p.as_os_str())).into_owned()
}

/// C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_sent() {
        assert_eq!(escape("plain text \\ ok"), "plain text \\ ok");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(
            escape("a\x1b[31mred\x07\r\nsrmatrix: wrote x"),
            "a\\x1b[31mred\\x07\\r\\nsrmatrix: wrote x"
        );
        assert_eq!(escape("\u{202e}txt.exe\u{9b}"), "\\u{202e}txt.exe\\u{9b}");
        assert_eq!(escape("tab\there\x7f"), "tab\\there\\x7f");
    }

    #[test]
    fn broken_pipes_are_recognised_through_context() {
        let e = anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe)).context("writing");
        assert!(is_broken_pipe(&e));
        let e = anyhow::Error::from(io::Error::from(io::ErrorKind::StorageFull));
        assert!(!is_broken_pipe(&e));
        let csv_err = csv::Error::from(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&anyhow::Error::from(csv_err)));
        let json_err = serde_json::Error::io(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&anyhow::Error::from(json_err)));
    }
}
