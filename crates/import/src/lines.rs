//! Exact line numbers for CSV records.
//!
//! The csv crate's record positions count lines wrongly for CRLF files and skip blank lines, and
//! errors must name the line a user sees in an editor. [`LineCounting`] wraps the input, notes
//! every line break as the bytes stream through, and answers the line of a record from its byte
//! offset. Breaks behind the current record are dropped, so memory is bounded by the reader's
//! look-ahead, not by the size of the input.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A reader that records where line breaks (LF, CRLF or a lone CR) are.
pub(crate) struct LineCounting<R> {
    inner: R,
    offset: u64,
    pending_cr: Option<u64>,
    /// Line breaks not yet passed: (first byte, one past the last byte).
    breaks: VecDeque<(u64, u64)>,
    passed: u64,
}

impl<R: Read> LineCounting<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineCounting {
            inner,
            offset: 0,
            pending_cr: None,
            breaks: VecDeque::new(),
            passed: 0,
        }
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
        let n = self.inner.read(buf)?;
        if n == 0 {
            if let Some(cr) = self.pending_cr.take() {
                self.breaks.push_back((cr, cr + 1));
            }
            return Ok(0);
        }
        for (i, &b) in buf[..n].iter().enumerate() {
            let pos = self.offset + i as u64;
            if let Some(cr) = self.pending_cr.take() {
                if b == b'\n' {
                    self.breaks.push_back((cr, pos + 1));
                    continue;
                }
                self.breaks.push_back((cr, cr + 1));
            }
            match b {
                b'\r' => self.pending_cr = Some(pos),
                b'\n' => self.breaks.push_back((pos, pos + 1)),
                _ => {}
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
        let mut r = LineCounting::new(text);
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
    fn quoted_newlines_count_toward_later_records() {
        // The second record spans lines 2 and 3.
        assert_eq!(lines(b"h\n\"a\nb\"\nc\n", &[0, 2, 8]), [1, 2, 4]);
    }
}
