//! Cutting an input into chunks at record boundaries, so that chunks can be parsed in parallel.
//!
//! [`Splitter`] reads the input in large blocks and follows just enough of the CSV grammar to know
//! where a record may end: line breaks (LF, CRLF or a lone CR) outside quoted fields. It counts
//! every line break as the bytes go by, so that each chunk knows the line it starts on and a
//! parser working on it alone still names exact lines. It also refuses a physical line longer than
//! the line limit, and a record (quoted line breaks included) longer than it, before either is
//! buffered whole: memory is bounded by the chunk size and the limits, never by the input.
//!
//! The quote rules are the CSV tokenizer's ([`crate::tokenize`]): a quote opens a quoted field only
//! at the start of a field, `""` inside a quoted field is a quote, and a quote anywhere else is an
//! ordinary byte. Both sides agree, so a boundary found here is a record boundary there.

use std::io::{self, Read};

use memchr::{memchr, memchr_iter};

/// Bytes per chunk handed to a parser by default (a chunk ends at the first record boundary past
/// this size). Half a mebibyte: large enough that handing chunks over costs nothing measurable,
/// small enough that the chunks in flight stay a few megabytes.
pub(crate) const CHUNK_BYTES: usize = 1 << 19;

/// A run of whole records.
pub(crate) struct Chunk {
    /// The bytes: whole records, the last one ending with its line break (or at end of input).
    pub data: Vec<u8>,
    /// Where records begin in `data` (after the header in the first chunk).
    pub start: usize,
    /// The 1-based line of `data[start]`.
    pub line: u64,
    /// Position of the chunk in the input, from 0.
    pub index: u64,
}

/// Why splitting stopped.
#[derive(Debug)]
pub(crate) enum SplitError {
    /// The underlying reader failed while reading this line.
    Io { line: u64, error: io::Error },
    /// A physical line is longer than the limit.
    LineTooLong { line: u64 },
    /// A record spanning several lines (quoted line breaks) is longer than the limit.
    RecordTooLong { line: u64 },
    /// A quoted field spanning several lines is larger than the field limit.
    FieldTooLarge { line: u64, column: u64 },
}

/// Reads an input and cuts it into [`Chunk`]s at record boundaries.
pub(crate) struct Splitter<R> {
    reader: R,
    /// Pending bytes in `buf[..filled]`: `[..analysed]` analysed, the rest not yet. The bytes
    /// past `filled` are stale, kept so that reading into them does not zero them again (a
    /// recycled buffer keeps its length for the same reason).
    buf: Vec<u8>,
    filled: usize,
    analysed: usize,
    /// Quotes before this position have been interpreted (an escaped `""` may reach past
    /// `analysed`).
    quotes_done: usize,
    in_quotes: bool,
    /// Line breaks before `buf[0]`.
    breaks_before: u64,
    /// Line breaks in `buf[..analysed]`.
    breaks: u64,
    /// Where the current physical line starts in `buf` (may be negative before `buf[0]`: kept as
    /// an offset into the stream).
    line_start: u64,
    /// Stream offset of `buf[0]`.
    offset: u64,
    /// The last record boundary in `buf`: (position just after the line break, breaks in
    /// `buf[..position]`).
    safe: Option<(usize, u64)>,
    eof: bool,
    started: bool,
    index: u64,
    max_line_bytes: u64,
    max_field_bytes: u64,
    chunk_bytes: usize,
    /// An error found past the last record boundary, reported once the records before it have
    /// been handed out (errors come in input order).
    deferred: Option<SplitError>,
    spare: Vec<Vec<u8>>,
}

impl<R: Read> Splitter<R> {
    /// A splitter over `reader` that refuses lines (and multi-line records) longer than
    /// `max_line_bytes`.
    #[cfg(test)]
    pub(crate) fn new(reader: R, max_line_bytes: u64, max_field_bytes: u64) -> Self {
        Self::with_chunk_bytes(reader, max_line_bytes, max_field_bytes, CHUNK_BYTES)
    }

    /// A splitter handing out chunks of about `chunk_bytes` (at least one record each).
    pub(crate) fn with_chunk_bytes(
        reader: R,
        max_line_bytes: u64,
        max_field_bytes: u64,
        chunk_bytes: usize,
    ) -> Self {
        Splitter {
            reader,
            buf: Vec::new(),
            filled: 0,
            analysed: 0,
            quotes_done: 0,
            in_quotes: false,
            breaks_before: 0,
            breaks: 0,
            line_start: 0,
            offset: 0,
            safe: None,
            eof: false,
            started: false,
            index: 0,
            max_line_bytes,
            max_field_bytes,
            chunk_bytes: chunk_bytes.max(1),
            deferred: None,
            spare: Vec::new(),
        }
    }

    /// How many chunks have been handed out.
    pub(crate) fn chunks_cut(&self) -> u64 {
        self.index
    }

    /// Gives back a chunk's buffer for reuse. Its bytes stay as they are: they are overwritten
    /// before they are read, and a buffer that keeps its length is not zeroed again.
    pub(crate) fn recycle(&mut self, data: Vec<u8>) {
        if self.spare.len() < 4 {
            self.spare.push(data);
        }
    }

    /// The next chunk of whole records, or `None` at the end of the input.
    pub(crate) fn next_chunk(&mut self) -> Result<Option<Chunk>, SplitError> {
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        loop {
            if self.eof {
                if self.filled == 0 {
                    return Ok(None);
                }
                let (end, breaks) = (self.filled, self.breaks);
                return Ok(Some(self.cut(end, breaks)));
            }
            if let Some((end, breaks)) = self.safe
                && end >= self.chunk_bytes
            {
                return Ok(Some(self.cut(end, breaks)));
            }
            if let Err(e) = self.fill().and_then(|()| self.analyse()) {
                // The whole records before the problem go out first.
                return match self.safe {
                    Some((end, breaks)) if end > 0 => {
                        self.deferred = Some(e);
                        Ok(Some(self.cut(end, breaks)))
                    }
                    _ => Err(e),
                };
            }
        }
    }

    /// Says what is too large about the pending record, which spans several lines: the quoted
    /// field still open at the first byte past the limit, when it alone is over the field limit,
    /// else the record. Only the record's first bytes up to that byte are looked at, however many
    /// are buffered, so the answer does not depend on the chunk size.
    fn diagnose_long_record(&self) -> SplitError {
        let (start, breaks) = self.safe.unwrap_or((0, 0));
        let line = self.breaks_before + breaks + 1;
        let limit = usize::try_from(self.max_line_bytes.saturating_add(3)).unwrap_or(usize::MAX);
        let data = &self.buf[start..start.saturating_add(limit).min(self.filled)];
        let mut tokenizer = crate::tokenize::Tokenizer::default();
        let mut cur = crate::tokenize::Cursor { pos: 0, line };
        loop {
            match tokenizer.next(data, &mut cur) {
                Ok(Some(_)) => {}
                Ok(None) => return SplitError::RecordTooLong { line },
                Err(open) => {
                    if (data.len() - open.at) as u64 > self.max_field_bytes {
                        return SplitError::FieldTooLarge {
                            line: open.line,
                            column: open.column,
                        };
                    }
                    return SplitError::RecordTooLong { line };
                }
            }
        }
    }

    /// Reads one block into the buffer (or notes the end of the input).
    fn fill(&mut self) -> Result<(), SplitError> {
        let len = self.filled;
        let want = self.chunk_bytes.max(len / 2);
        if self.buf.len() < len + want {
            // Exactly what is wanted (`want` itself grows with a long pending record): a doubled
            // capacity would stay with the buffer as it circulates between the threads. Only
            // the growth is zeroed; a recycled buffer mostly has the room already.
            self.buf.reserve_exact(len + want - self.buf.len());
            self.buf.resize(len + want, 0);
        }
        let mut got = 0;
        let result = loop {
            match self.reader.read(&mut self.buf[len + got..len + want]) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    got += n;
                    // Large reads keep the per-block work low; a pipe may hand out less.
                    if got >= want / 2 {
                        break Ok(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.filled = len + got;
        if let Err(error) = result {
            let breaks = self.breaks + count_breaks(&self.buf[self.analysed..self.filled]);
            return Err(SplitError::Io {
                line: self.breaks_before + breaks + 1,
                error,
            });
        }
        if got == 0 {
            self.eof = true;
        }
        if !self.started && (self.filled >= 3 || self.eof) {
            self.started = true;
            if self.buf[..self.filled].starts_with(b"\xEF\xBB\xBF") {
                self.buf.copy_within(3..self.filled, 0);
                self.filled -= 3;
                self.offset += 3;
                self.line_start += 3;
            }
        }
        Ok(())
    }

    /// Follows quotes and line breaks over the bytes not yet analysed. The last byte is held back
    /// until more input or the end is known, so that a CR or a quote can see the byte after it.
    fn analyse(&mut self) -> Result<(), SplitError> {
        if !self.started {
            return Ok(());
        }
        let end = if self.eof {
            self.filled
        } else {
            self.filled.saturating_sub(1)
        };
        if end <= self.analysed {
            return Ok(());
        }
        let bytes = &self.buf[..self.filled];
        let segment = &bytes[self.analysed..end];
        let lone_cr = memchr_iter(b'\r', segment).any(|i| {
            let at = self.analysed + i;
            bytes.get(at + 1) != Some(&b'\n')
        });
        if lone_cr {
            self.analyse_bytewise(end)
        } else {
            self.analyse_fast(end)
        }
    }

    /// Line breaks are LF or CRLF only: jump from line break to line break.
    fn analyse_fast(&mut self, end: usize) -> Result<(), SplitError> {
        let from = self.analysed;
        let mut lf = from;
        while let Some(i) = memchr(b'\n', &self.buf[lf..end]) {
            let at = lf + i;
            self.scan_quotes(at);
            let content_end = if at > 0 && self.buf[at - 1] == b'\r' {
                at - 1
            } else {
                at
            };
            self.check_limits(content_end, at + 1)?;
            self.breaks += 1;
            self.line_start = self.offset + at as u64 + 1;
            if !self.in_quotes {
                self.safe = Some((at + 1, self.breaks));
            }
            lf = at + 1;
        }
        self.scan_quotes(end);
        self.check_limits(self.content_end(end), end)?;
        self.analysed = end;
        Ok(())
    }

    /// Lone CRs present: look at every byte.
    fn analyse_bytewise(&mut self, end: usize) -> Result<(), SplitError> {
        for at in self.analysed..end {
            let b = self.buf[at];
            if b == b'"' {
                self.scan_quotes(at + 1);
                continue;
            }
            // A CRLF counts once, at its LF, as `analyse_fast` counts it: the next block may be
            // analysed by either, and a CRLF may straddle two blocks.
            let content_end = match b {
                b'\n' if at > 0 && self.buf[at - 1] == b'\r' => at - 1,
                b'\n' => at,
                b'\r' if self.buf[..self.filled].get(at + 1) == Some(&b'\n') => continue,
                b'\r' => at,
                _ => continue,
            };
            self.scan_quotes(at);
            self.check_limits(content_end, at + 1)?;
            self.breaks += 1;
            self.line_start = self.offset + at as u64 + 1;
            if !self.in_quotes {
                self.safe = Some((at + 1, self.breaks));
            }
        }
        self.scan_quotes(end);
        self.check_limits(self.content_end(end), end)?;
        self.analysed = end;
        Ok(())
    }

    /// Interprets the quotes in `buf[quotes_done..to]`.
    fn scan_quotes(&mut self, to: usize) {
        let done = scan_quotes(
            &self.buf[..self.filled],
            self.quotes_done,
            to,
            &mut self.in_quotes,
        );
        self.quotes_done = self.quotes_done.max(done);
    }

    /// Where the content of the line being read ends when the analysed bytes stop at `end`: a CR
    /// just before `end` whose LF is the byte held back is part of a CRLF, not of the line, as it
    /// is once the LF is analysed (otherwise a line exactly at the limit would be refused or not
    /// depending on where a read ended).
    fn content_end(&self, end: usize) -> usize {
        if end > 0 && self.buf[end - 1] == b'\r' && self.buf[..self.filled].get(end) == Some(&b'\n')
        {
            end - 1
        } else {
            end
        }
    }

    /// Fails at the first limit crossed by `buf[..to]`: the current physical line (its content
    /// ending at `content_end`) longer than the line limit, or the current record (from the last
    /// record boundary, quoted line breaks included) longer than the line limit and a CRLF. When
    /// both are crossed, the one crossed at the earlier byte is reported (the record on a tie), so
    /// that what is reported depends only on the input, never on how much of it was buffered
    /// when the check ran.
    fn check_limits(&self, content_end: usize, to: usize) -> Result<(), SplitError> {
        let line_len = (self.offset + content_end as u64).saturating_sub(self.line_start);
        let line_crossed_at = self
            .line_start
            .saturating_add(self.max_line_bytes.saturating_add(1));
        let record_start = self.offset + self.safe.map_or(0, |(end, _)| end) as u64;
        let record_crossed_at = record_start.saturating_add(self.max_line_bytes.saturating_add(3));
        let record_crossed = self.offset + to as u64 >= record_crossed_at;
        match (line_len > self.max_line_bytes, record_crossed) {
            (true, true) if record_crossed_at <= line_crossed_at => {
                Err(self.diagnose_long_record())
            }
            (true, _) => Err(SplitError::LineTooLong {
                line: self.breaks_before + self.breaks + 1,
            }),
            (false, true) => Err(self.diagnose_long_record()),
            (false, false) => Ok(()),
        }
    }

    /// Hands out `buf[..end]` as a chunk and keeps the rest.
    fn cut(&mut self, end: usize, breaks: u64) -> Chunk {
        let mut rest = self.spare.pop().unwrap_or_default();
        let left = self.filled - end;
        if rest.len() < left {
            rest.resize(left, 0);
        }
        rest[..left].copy_from_slice(&self.buf[end..self.filled]);
        self.filled = left;
        let mut data = std::mem::replace(&mut self.buf, rest);
        data.truncate(end);
        let chunk = Chunk {
            data,
            start: 0,
            line: self.breaks_before + 1,
            index: self.index,
        };
        self.index += 1;
        self.breaks_before += breaks;
        self.breaks -= breaks;
        self.offset += end as u64;
        self.analysed -= end.min(self.analysed);
        self.quotes_done -= end.min(self.quotes_done);
        self.safe = None;
        chunk
    }
}

/// Interprets the quotes of `bytes[from..to]`, `in_quotes` saying whether `from` is inside a
/// quoted field, and updates it; returns where the next scan starts (past `to` when a `""`
/// straddles it). A block of 64 bytes at a time ([`quote_parity`]) where it can, quote by quote
/// ([`quotes_one_by_one`]) where not: the same result (a property test holds them to each other).
fn scan_quotes(bytes: &[u8], from: usize, to: usize, in_quotes: &mut bool) -> usize {
    let mut pos = from;
    while pos < to {
        let end = to.min(pos + crate::mask::BLOCK);
        pos = if quote_parity(bytes, pos, end, in_quotes) {
            end
        } else {
            quotes_one_by_one(bytes, pos, end, in_quotes)
        };
    }
    pos
}

/// Interprets the quotes of `bytes[from..to]` one by one: outside a quoted field, a quote after
/// a delimiter opens one (elsewhere it is data); inside, `""` is a quote and any other quote
/// closes the field. Returns where the next scan starts: `to`, or past the second quote of a
/// `""` that straddles it.
fn quotes_one_by_one(bytes: &[u8], from: usize, to: usize, in_quotes: &mut bool) -> usize {
    let mut done = to;
    let mut walk = crate::mask::Positions::quotes(bytes, from, to);
    while let Some(at) = walk.next() {
        if *in_quotes {
            if bytes.get(at + 1) == Some(&b'"') {
                // `""` is a quote inside the field: step over the second one, which may lie
                // past `to` (then the next scan starts after it).
                done = done.max(at + 2);
                walk.skip_to(at + 2);
            } else {
                *in_quotes = false;
            }
        } else {
            let prev = if at == 0 { b'\n' } else { bytes[at - 1] };
            if matches!(prev, b',' | b'\n' | b'\r') {
                *in_quotes = true;
            }
        }
    }
    done
}

/// Interprets the quotes of `bytes[from..end]` (at most a block) at once, when every quote
/// that would open a field follows a delimiter or a closing quote. Then each quote toggles
/// being inside a quoted field (a `""` inside one closes and reopens it, which comes to the same
/// as reading it as a quote), and being inside after each byte is the parity of the quotes up to
/// it. Returns false, having changed nothing, when a quote would open elsewhere (inside an
/// unquoted field a quote is data) or when the last byte is a quote followed by another (a `""`
/// the block would cut): [`quotes_one_by_one`] reads those.
fn quote_parity(bytes: &[u8], from: usize, end: usize, in_quotes: &mut bool) -> bool {
    let n = end - from;
    let block = &bytes[from..];
    let keep = u64::MAX >> (crate::mask::BLOCK - n);
    let quotes = crate::mask::quotes(block) & keep;
    if quotes == 0 {
        return true;
    }
    if bytes[end - 1] == b'"' && bytes.get(end) == Some(&b'"') {
        return false;
    }
    let delimiters = crate::mask::structure(block) & !quotes & keep;
    // Bit i: inside a quoted field after byte i.
    let mut inside = prefix_xor(quotes);
    if *in_quotes {
        inside = !inside;
    }
    let opens = quotes & inside;
    let closes = quotes & !inside;
    let after_delimiter = from == 0 || matches!(bytes[from - 1], b',' | b'\n' | b'\r');
    let may_open = (delimiters << 1) | (closes << 1) | u64::from(after_delimiter);
    if opens & !may_open != 0 {
        return false;
    }
    *in_quotes = inside >> (n - 1) & 1 == 1;
    true
}

/// Bit i of the result: the parity of bits 0 to i of `x`.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

/// Line breaks (LF, CRLF, lone CR) in `bytes`.
pub(crate) fn count_breaks(bytes: &[u8]) -> u64 {
    if memchr::memchr2(b'\n', b'\r', bytes).is_none() {
        return 0;
    }
    let lf = memchr_iter(b'\n', bytes).count() as u64;
    let lone_cr = memchr_iter(b'\r', bytes)
        .filter(|&i| bytes.get(i + 1) != Some(&b'\n'))
        .count() as u64;
    lf + lone_cr
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `n` bytes per read, to split CRLF, quotes and escapes
    /// across reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn chunks(text: &[u8], step: usize) -> Vec<(Vec<u8>, u64)> {
        let mut s = Splitter::new(Trickle(text, step), u64::MAX, u64::MAX);
        let mut out = Vec::new();
        while let Some(c) = s.next_chunk().unwrap() {
            out.push((c.data, c.line));
        }
        out
    }

    /// Recycled buffers keep their old bytes past the pending ones (so that they are not zeroed
    /// again): those bytes must never be read. Buffers handed back full of quotes and line
    /// breaks give the same chunks as fresh ones, for every chunk size and read size.
    #[test]
    fn stale_bytes_of_recycled_buffers_are_never_read() {
        let text: &[u8] =
            b"\xEF\xBB\xBFid,note\r\n1,\"a\"\"\r\nb\"\r\n2,x\r3,\"\"\n4,\"q\"\"\"\n5,\"\r\"\r\n6,y";
        for chunk in 1..=text.len() + 1 {
            for step in [1, 2, 3, 7, text.len()] {
                let fresh: Vec<(Vec<u8>, u64)> = {
                    let mut s = Splitter::with_chunk_bytes(Trickle(text, step), 99, 99, chunk);
                    std::iter::from_fn(|| s.next_chunk().unwrap())
                        .map(|c| (c.data, c.line))
                        .collect()
                };
                let mut s = Splitter::with_chunk_bytes(Trickle(text, step), 99, 99, chunk);
                for _ in 0..4 {
                    s.recycle(b"\"\r\n\"".repeat(text.len()));
                }
                let mut reused = Vec::new();
                while let Some(c) = s.next_chunk().unwrap() {
                    reused.push((c.data.clone(), c.line));
                    let mut stale = c.data;
                    stale.iter_mut().for_each(|b| *b = b'"');
                    stale.extend_from_slice(b"\r\r\n\"\"");
                    s.recycle(stale);
                }
                assert_eq!(reused, fresh, "chunks of {chunk}, reads of {step}");
            }
        }
    }

    /// A `""` whose second quote falls in the next 64-byte block of a quote scan (the
    /// splitter's, the tokenizer's) is one quote: the line break after it is inside the field,
    /// never a record boundary, however the input arrives.
    #[test]
    fn an_escaped_quote_across_a_mask_block_keeps_the_field_open() {
        // After the `""`: a line break inside the field, or more of the field on the same line
        // (the scan then goes on in the block it restarted at). Then a quoted line break two
        // records on: a scan that lost track of the quotes would cut there.
        for (k, inside) in (0..140).flat_map(|k| [(k, &b"\nstill inside"[..]), (k, &b"y"[..])]) {
            let mut first = b"1,\"".to_vec();
            first.extend(std::iter::repeat_n(b'x', k));
            first.extend_from_slice(b"\"\"");
            first.extend_from_slice(inside);
            first.extend_from_slice(b"\",2\n");
            let records: [&[u8]; 5] = [b"id,note\n", &first, b"3,4\n", b"5,\"z\nw\",6\n", b"7,8\n"];
            let text = records.concat();
            let boundaries: Vec<usize> = records
                .iter()
                .scan(0, |end, r| {
                    *end += r.len();
                    Some(*end)
                })
                .collect();
            // The tokenizer's walk over the record's structure bits agrees.
            let want = crate::differential::csv_core_records(&text);
            assert_eq!(
                crate::differential::records(&text, 1 << 16).ok(),
                Some(want)
            );
            for (chunk, step) in (1..=text.len()).flat_map(|c| [(c, 13), (c, text.len())]) {
                let reader = Trickle(&text, step);
                let mut s = Splitter::with_chunk_bytes(reader, u64::MAX, u64::MAX, chunk);
                let mut end = 0;
                while let Some(c) = s.next_chunk().unwrap() {
                    end += c.data.len();
                    assert!(
                        boundaries.contains(&end),
                        "{k} x, chunks of {chunk}, reads of {step}: cut at {end}"
                    );
                }
                assert_eq!(end, text.len());
            }
        }
    }

    #[test]
    fn the_input_comes_back_whole_with_the_bom_removed() {
        for step in [1, 2, 3, 7, 1 << 20] {
            let text = b"\xEF\xBB\xBFh\r\n\"a\nb\",\"c\"\"\n\"\rx\n";
            let got: Vec<u8> = chunks(text, step).into_iter().flat_map(|c| c.0).collect();
            assert_eq!(got, &text[3..], "step {step}");
        }
    }

    /// Takes chunks until the splitter fails.
    fn first_error(mut s: Splitter<Trickle<'_>>) -> SplitError {
        loop {
            match s.next_chunk() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("no error"),
                Err(e) => return e,
            }
        }
    }

    #[test]
    fn a_line_over_the_limit_is_refused_with_its_number() {
        let text = b"short\nshort\nthis line is too long\nx\n";
        for step in [1, 5, 100] {
            let err = first_error(Splitter::new(Trickle(text, step), 10, u64::MAX));
            assert!(
                matches!(err, SplitError::LineTooLong { line: 3 }),
                "{err:?}"
            );
        }
    }

    #[test]
    fn a_quoted_record_over_the_limit_is_refused_where_it_starts() {
        let text = b"h\nok\n\"a\nb\nc\nd\ne\nf\ng\"\n";
        let err = first_error(Splitter::new(Trickle(text, 1), 6, u64::MAX));
        assert!(
            matches!(err, SplitError::RecordTooLong { line: 3 }),
            "{err:?}"
        );
    }

    #[test]
    fn count_breaks_counts_lf_crlf_and_lone_cr() {
        assert_eq!(count_breaks(b"a\nb\r\nc\rd"), 3);
        assert_eq!(count_breaks(b"\r\n\r\n"), 2);
    }

    /// Scans `bytes` up to each cut in turn, as the splitter does line by line: the state after
    /// each scan, with blocks read at once where they can be, or quote by quote only.
    fn scans(bytes: &[u8], cuts: &[usize], blocks: bool) -> Vec<(usize, bool)> {
        let (mut done, mut in_quotes) = (0, false);
        let mut states = Vec::new();
        for &to in cuts {
            if done < to {
                done = if blocks {
                    scan_quotes(bytes, done, to, &mut in_quotes)
                } else {
                    quotes_one_by_one(bytes, done, to, &mut in_quotes)
                };
            }
            states.push((done, in_quotes));
        }
        states
    }

    #[test]
    fn quoted_rows_are_read_a_block_at_a_time() {
        // A FOCUS-like row: every field quoted, commas and a `""` inside, a line break inside.
        let row = b"\"a, b\",\"x\"\"y\",\"\",\"line\nbreak\",plain,\"1,000,000 queries\",\"z\"\n";
        let bytes: Vec<u8> = row.iter().copied().cycle().take(64 * 40).collect();
        let mut in_quotes = false;
        let mut whole = 0;
        for from in (0..bytes.len() - 64).step_by(64) {
            let before = in_quotes;
            if quote_parity(&bytes, from, from + 64, &mut in_quotes) {
                whole += 1;
            } else {
                in_quotes = before;
                quotes_one_by_one(&bytes, from, from + 64, &mut in_quotes);
            }
        }
        // Only blocks ending inside a `""` go quote by quote.
        assert!(whole >= 30, "{whole} of 39 blocks at once");
        // A quote inside an unquoted field is data: that block goes quote by quote.
        let mut in_quotes = false;
        assert!(!quote_parity(b"ab\"c,d\n", 0, 7, &mut in_quotes));
        assert!(!in_quotes);
    }

    proptest::proptest! {
        /// Blocks read at once give what reading quote by quote gives, wherever the scans stop.
        #[test]
        fn blocks_and_quote_by_quote_agree(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"\"\",\"\r\nab".to_vec()),
                0..400,
            ),
            cuts in proptest::collection::vec(0usize..400, 0..12),
        ) {
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            cuts.push(bytes.len());
            cuts.sort_unstable();
            proptest::prop_assert_eq!(scans(&bytes, &cuts, true), scans(&bytes, &cuts, false));
        }
    }
}
