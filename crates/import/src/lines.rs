//! Exact line numbers for CSV records.
//!
//! The csv crate's record positions count lines wrongly for CRLF files and skip blank lines, and
//! errors must name the line a user sees in an editor. [`LineCounting`] wraps the input, notes
//! every line break as the bytes stream through, and answers the line of a record from its byte
//! offset. Breaks behind the current record are dropped, so memory is bounded by the reader's
//! look-ahead, not by the size of the input.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A reader that records where line breaks (LF, CRLF or a lone CR) are, and refuses a line
/// longer than a limit before the CSV reader buffers it whole.
pub(crate) struct LineCounting<R> {
    inner: R,
    offset: u64,
    pending_cr: Option<u64>,
    /// Line breaks not yet passed: (first byte, one past the last byte).
    breaks: VecDeque<(u64, u64)>,
    passed: u64,
    /// Every line break seen so far.
    seen: u64,
    /// Offset where the current line starts.
    line_start: u64,
    max_line_bytes: u64,
    /// The line that went over the limit.
    pub(crate) too_long: Option<u64>,
    /// CSV quoting state, to catch a quote left open at the end of the input.
    quote: QuoteState,
    /// Line and column (field number) where the open quoted field began.
    quote_opened: (u64, u64),
    /// Field number on the current line.
    field: u64,
    /// Line and column of a quote still open at the end of the input.
    pub(crate) open_quote: Option<(u64, u64)>,
    /// The line being read when the underlying reader failed.
    pub(crate) failed_at: Option<u64>,
}

/// Where the CSV tokenizer would be, as far as quoting goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    FieldStart,
    Unquoted,
    Quoted,
    AfterQuote,
}

impl<R: Read> LineCounting<R> {
    pub(crate) fn new(inner: R, max_line_bytes: u64) -> Self {
        LineCounting {
            inner,
            offset: 0,
            pending_cr: None,
            breaks: VecDeque::new(),
            passed: 0,
            seen: 0,
            line_start: 0,
            max_line_bytes,
            too_long: None,
            quote: QuoteState::FieldStart,
            quote_opened: (1, 1),
            field: 1,
            open_quote: None,
            failed_at: None,
        }
    }

    fn track_quote(&mut self, b: u8) {
        self.quote = match (self.quote, b) {
            (QuoteState::Quoted, b'"') => QuoteState::AfterQuote,
            (QuoteState::Quoted, _) => QuoteState::Quoted,
            (QuoteState::AfterQuote, b'"') => QuoteState::Quoted,
            (QuoteState::FieldStart, b'"') => {
                self.quote_opened = (self.seen + 1, self.field);
                QuoteState::Quoted
            }
            (_, b',') => {
                self.field += 1;
                QuoteState::FieldStart
            }
            (_, b'\n' | b'\r') => {
                self.field = 1;
                QuoteState::FieldStart
            }
            _ => QuoteState::Unquoted,
        };
    }

    fn push_break(&mut self, first: u64, end: u64) {
        self.breaks.push_back((first, end));
        self.seen += 1;
        self.line_start = end;
    }

    /// The 1-based line of the record whose parse started at byte `start`. Blank lines before the
    /// record are skipped, as the CSV reader skips them. Calls must come in increasing `start`.
    pub(crate) fn line_of(&mut self, start: u64) -> u64 {
        while let Some(&(_, end)) = self.breaks.front() {
            if end > start {
                break;
            }
            self.breaks.pop_front();
            self.passed += 1;
        }
        let mut at = start;
        // The csv reader may report a record as starting inside the CRLF that ends the previous
        // line, or at blank lines it skipped: every break from there on precedes the record.
        while let Some(&(first, end)) = self.breaks.front() {
            if first > at {
                break;
            }
            self.breaks.pop_front();
            self.passed += 1;
            at = end;
        }
        self.passed + 1
    }
}

impl<R: Read> Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                self.failed_at = Some(self.seen + 1);
                return Err(e);
            }
        };
        if n == 0 {
            if let Some(cr) = self.pending_cr.take() {
                self.push_break(cr, cr + 1);
            }
            if self.quote == QuoteState::Quoted {
                self.open_quote = Some(self.quote_opened);
                return Err(io::Error::other("a quoted field is not closed"));
            }
            return Ok(0);
        }
        for (i, &b) in buf[..n].iter().enumerate() {
            let pos = self.offset + i as u64;
            self.track_quote(b);
            if let Some(cr) = self.pending_cr.take() {
                if b == b'\n' {
                    self.push_break(cr, pos + 1);
                    continue;
                }
                self.push_break(cr, cr + 1);
            }
            match b {
                b'\r' => self.pending_cr = Some(pos),
                b'\n' => self.push_break(pos, pos + 1),
                _ => {}
            }
            if pos + 1 - self.line_start > self.max_line_bytes {
                self.too_long = Some(self.seen + 1);
                return Err(io::Error::other("line too long"));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads everything one byte at a time (so CRLF is split across reads), then asks for lines.
    fn lines(text: &[u8], starts: &[u64]) -> Vec<u64> {
        let mut r = LineCounting::new(text, u64::MAX);
        let mut one = [0u8; 1];
        while r.read(&mut one).unwrap() == 1 {}
        starts.iter().map(|&s| r.line_of(s)).collect()
    }

    #[test]
    fn lf_crlf_and_lone_cr() {
        assert_eq!(lines(b"a\nb\nc\n", &[0, 2, 4]), [1, 2, 3]);
        assert_eq!(lines(b"a\r\nb\r\nc\r\n", &[0, 3, 6]), [1, 2, 3]);
        assert_eq!(lines(b"a\rb\rc", &[0, 2, 4]), [1, 2, 3]);
    }

    #[test]
    fn blank_lines_before_a_record_are_counted() {
        // "h\r\n" "x\r\n" "\r\n" "y\r\n": the third record's parse starts at the blank line.
        assert_eq!(lines(b"h\r\nx\r\n\r\ny\r\n", &[0, 3, 6]), [1, 2, 4]);
        assert_eq!(lines(b"h\nx\n\n\ny\n", &[0, 2, 4]), [1, 2, 5]);
        // Starts as the csv crate reports them for CRLF: at the LF of the previous line's CRLF.
        assert_eq!(lines(b"h\r\nx\r\n\r\ny\r\n", &[0, 2, 5]), [1, 2, 4]);
    }

    #[test]
    fn a_line_over_the_limit_is_refused_with_its_number() {
        let text = b"short\nshort\nthis line is too long\nx\n";
        let mut r = LineCounting::new(&text[..], 10);
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
        assert_eq!(r.too_long, Some(3));
    }

    #[test]
    fn a_quote_left_open_is_caught_where_it_opened() {
        let mut out = Vec::new();
        let mut r = LineCounting::new(&b"a,b\n1,\"x\ny\n"[..], u64::MAX);
        assert!(r.read_to_end(&mut out).is_err());
        assert_eq!(r.open_quote, Some((2, 2)));
        for fine in [
            &b"a,\"b \"\"q\"\" c\"\n1,2\n"[..],
            b"a,b\"c\n",
            b"\"a\"\"\"\n",
        ] {
            let mut r = LineCounting::new(fine, u64::MAX);
            out.clear();
            assert!(
                r.read_to_end(&mut out).is_ok(),
                "{:?}",
                String::from_utf8_lossy(fine)
            );
        }
    }

    #[test]
    fn quoted_newlines_count_toward_later_records() {
        // The second record spans lines 2 and 3.
        assert_eq!(lines(b"h\n\"a\nb\"\nc\n", &[0, 2, 8]), [1, 2, 4]);
    }
}
