//! The CSV tokenizer: records of a [`Chunk`](crate::split::Chunk) split into fields.
//!
//! The grammar is RFC 4180 as the `csv` crate reads it: records end at LF, CRLF or a lone CR;
//! blank lines are skipped; a field that starts with a quote is quoted, `""` inside it is a quote
//! and line breaks inside it are data; after the closing quote, bytes up to the next delimiter are
//! kept as they are; a quote anywhere else is an ordinary byte. Unlike the `csv` crate, a quoted
//! field still open at the end of the input is an error (a cut-off file), not a field. Property
//! tests here and the `tokenize_differential` fuzz target hold the tokenizer, alone and behind
//! the splitter, to `csv-core` (the `csv` crate's reader) on arbitrary bytes: that is the only
//! difference.
//!
//! A record without quotes (nearly every row of a billing export) is found by walking the set bits
//! of [`mask::structure`] over 64-byte blocks, and its fields point into the chunk. A record with
//! quotes is copied, unescaped, into a scratch buffer. Line numbers are counted as records are
//! read, from the chunk's first line.

use crate::mask;

/// `bytes` as text when they are UTF-8: the check of every chunk, and of every record that had to
/// be unescaped, done with SIMD (`simdutf8`, which says only whether; where a field stops being
/// UTF-8 is found by the standard library once a check fails).
#[inline]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// Where the tokenizer is in a chunk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor {
    /// Byte position in the chunk.
    pub pos: usize,
    /// The 1-based line of `pos`.
    pub line: u64,
}

/// A quoted field that is never closed: where it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpenQuote {
    /// Line of the opening quote.
    pub line: u64,
    /// Column (field number) of the field.
    pub column: u64,
    /// Byte position of the opening quote in the chunk.
    pub at: usize,
}

/// Marks a field's bounds as being in the scratch buffer rather than in the chunk (the top bit
/// of its start, which no chunk reaches).
const IN_SCRATCH: usize = 1 << (usize::BITS - 1);

/// Splits records into fields, reusing its buffers from record to record.
#[derive(Default)]
pub(crate) struct Tokenizer {
    /// Fields of the last record that had to be unescaped (`""` inside, or bytes after the
    /// closing quote).
    scratch: Vec<u8>,
    /// Each field's bounds: in the chunk, or in `scratch` when its start has [`IN_SCRATCH`].
    bounds: Vec<(usize, usize)>,
}

/// The fields of the record last read.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a> {
    data: &'a [u8],
    /// `data` as text, when it is known to be UTF-8.
    text: Option<&'a str>,
    scratch: &'a [u8],
    /// `scratch` as text, when `data` is UTF-8 (unescaping removes quotes only: text in, text
    /// out).
    scratch_text: Option<&'a str>,
    bounds: &'a [(usize, usize)],
}

impl<'a> Fields<'a> {
    /// Field `i` as text: `None` when the record lacks it or it is not UTF-8.
    #[inline]
    pub(crate) fn text(&self, i: usize) -> Option<&'a str> {
        let &(s, e) = self.bounds.get(i)?;
        let (src, text, s) = if s & IN_SCRATCH == 0 {
            (self.data, self.text, s)
        } else {
            (self.scratch, self.scratch_text, s & !IN_SCRATCH)
        };
        match text {
            // Fields end at ASCII delimiters and quotes, so their bounds are character
            // boundaries.
            Some(text) => text.get(s..e),
            None => std::str::from_utf8(src.get(s..e)?).ok(),
        }
    }

    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.bounds.len()
    }

    /// Field `i`, if the record has it.
    pub(crate) fn get(&self, i: usize) -> Option<&'a [u8]> {
        self.bounds.get(i).map(|&b| self.slice(b))
    }

    #[inline]
    fn slice(&self, (s, e): (usize, usize)) -> &'a [u8] {
        if s & IN_SCRATCH == 0 {
            &self.data[s..e]
        } else {
            &self.scratch[s & !IN_SCRATCH..e]
        }
    }

    /// Every field in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.bounds.iter().map(|&b| self.slice(b))
    }
}

impl Tokenizer {
    /// Reads the next record of `data` from `cur`; returns its line, or `None` at the end.
    pub(crate) fn next(&mut self, data: &[u8], cur: &mut Cursor) -> Result<Option<u64>, OpenQuote> {
        let mut pos = cur.pos;
        // Skip line breaks: the end of the previous record and blank lines.
        loop {
            match data.get(pos) {
                Some(b'\n') => {
                    cur.line += 1;
                    pos += 1;
                }
                Some(b'\r') => {
                    cur.line += 1;
                    pos += 1;
                    if data.get(pos) == Some(&b'\n') {
                        pos += 1;
                    }
                }
                Some(_) => break,
                None => {
                    cur.pos = pos;
                    return Ok(None);
                }
            }
        }
        let line = cur.line;
        self.bounds.clear();
        self.scratch.clear();
        // Walk the record's commas up to its line break; a quote before the line break sends the
        // record to the quoted path.
        let mut start = pos;
        for at in mask::Positions::structure(data, pos) {
            match data[at] {
                b',' => {
                    self.bounds.push((start, at));
                    start = at + 1;
                }
                b'"' => {
                    // The fields before it are plain and stay; the quoted path goes on from
                    // the field the quote is in.
                    let column = self.bounds.len() as u64 + 1;
                    self.quoted_record(data, cur, start, at, column)?;
                    return Ok(Some(line));
                }
                // LF or CR: the record ends; the next call steps over the line break.
                _ => {
                    self.bounds.push((start, at));
                    cur.pos = at;
                    return Ok(Some(line));
                }
            }
        }
        self.bounds.push((start, data.len()));
        cur.pos = data.len();
        Ok(Some(line))
    }

    /// Reads the rest of a record that has a quote at `quote`, in field number `column` (from 1),
    /// which starts at `field`; the fields before it are in `bounds` already. Walks the same
    /// structure bits as [`Tokenizer::next`]: inside quotes, commas and line breaks are data (the
    /// breaks counted as lines) and `""` is one quote. A field without quotes, or quoted with
    /// nothing to unescape (no `""` inside, nothing after the closing quote), points into the
    /// chunk; any other is copied, unescaped, into the scratch buffer.
    fn quoted_record(
        &mut self,
        data: &[u8],
        cur: &mut Cursor,
        mut field: usize,
        quote: usize,
        mut column: u64,
    ) -> Result<(), OpenQuote> {
        let mut piece = Piece::Plain;
        // Bytes of the field in `data` before `copied` are accounted for: in the field's bounds
        // (a closed quote's content), in the scratch buffer, or dropped (quotes).
        let mut copied = field;
        // The quote the walk is inside, if any.
        let mut open: Option<OpenQuote> = None;
        let mut walk = mask::Positions::structure(data, quote);
        while let Some(at) = walk.next() {
            match (data[at], open.is_some()) {
                // Only a quote that starts its field opens one; elsewhere it is data.
                (b'"', false) if at == field => {
                    open = Some(OpenQuote {
                        line: cur.line,
                        column,
                        at,
                    });
                    copied = at + 1;
                }
                (b'"', false) | (b',', true) => {}
                (b'"', true) => {
                    if data.get(at + 1) == Some(&b'"') {
                        // `""` is one quote: keep it, and step over the second one.
                        let scratch = self.in_scratch(&mut piece);
                        scratch.extend_from_slice(&data[copied..at]);
                        scratch.push(b'"');
                        copied = at + 2;
                        walk.skip_to(at + 2);
                    } else {
                        match piece {
                            Piece::Plain => piece = Piece::Closed(field + 1, at),
                            _ => self.scratch.extend_from_slice(&data[copied..at]),
                        }
                        copied = at + 1;
                        open = None;
                    }
                }
                (b'\n', true) => cur.line += 1,
                // A lone CR; a CRLF counts once, at its LF.
                (_, true) => {
                    if data.get(at + 1) != Some(&b'\n') {
                        cur.line += 1;
                    }
                }
                (b',', false) => {
                    // Most fields of a quoted record are plain: pushed here, without `end_field`'s cases.
                    if let Piece::Plain = piece {
                        self.bounds.push((field, at));
                    } else {
                        self.end_field(data, field, copied, at, &mut piece);
                    }
                    field = at + 1;
                    copied = at + 1;
                    column += 1;
                }
                // A line break outside quotes ends the record; the next call steps over it.
                (_, false) => {
                    self.end_field(data, field, copied, at, &mut piece);
                    cur.pos = at;
                    return Ok(());
                }
            }
        }
        if let Some(open) = open {
            return Err(open);
        }
        self.end_field(data, field, copied, data.len(), &mut piece);
        cur.pos = data.len();
        Ok(())
    }

    /// The scratch buffer, the field being read moved into it at its first `""`: until then,
    /// inside its opening quote, nothing of it was copied. (A `""` is only ever met inside an
    /// open quote, and a field's quote opens once: after it closes, its quotes are data.)
    fn in_scratch(&mut self, piece: &mut Piece) -> &mut Vec<u8> {
        debug_assert!(!matches!(piece, Piece::Closed(..)));
        if let Piece::Plain = *piece {
            *piece = Piece::Scratch(self.scratch.len());
        }
        &mut self.scratch
    }

    /// Ends the field that started at `field` at the delimiter at `at`, whose bytes from
    /// `copied` on are not accounted for yet.
    #[inline]
    fn end_field(
        &mut self,
        data: &[u8],
        field: usize,
        copied: usize,
        at: usize,
        piece: &mut Piece,
    ) {
        let bounds = match *piece {
            // Unquoted: the field as it is.
            Piece::Plain => (field, at),
            // Quoted, and nothing after the closing quote: its content.
            Piece::Closed(s, e) if copied == at => (s, e),
            // Bytes after the closing quote are kept after its content.
            Piece::Closed(s, e) => {
                let start = self.scratch.len();
                self.scratch.extend_from_slice(&data[s..e]);
                self.scratch.extend_from_slice(&data[copied..at]);
                (start | IN_SCRATCH, self.scratch.len())
            }
            Piece::Scratch(start) => {
                self.scratch.extend_from_slice(&data[copied..at]);
                (start | IN_SCRATCH, self.scratch.len())
            }
        };
        self.bounds.push(bounds);
        *piece = Piece::Plain;
    }

    /// The fields of the record last read from `data`; `text` is `data` as text, when the
    /// caller has checked that it is UTF-8.
    pub(crate) fn fields<'a>(&'a self, data: &'a [u8], text: Option<&'a str>) -> Fields<'a> {
        // Unescaping removes quotes only: text in, text out.
        let scratch_text = text.and_then(|_| utf8(&self.scratch));
        Fields {
            data,
            text,
            scratch: &self.scratch,
            scratch_text,
            bounds: &self.bounds,
        }
    }
}

/// Where the content of the field being read is.
#[derive(Clone, Copy)]
enum Piece {
    /// In the chunk from the field's start: nothing quoted yet.
    Plain,
    /// A closed quote's content, `data[start..end]`, nothing else yet.
    Closed(usize, usize),
    /// In the scratch buffer from this position.
    Scratch(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `text` as (line, fields), or the open quote.
    fn records(text: &[u8]) -> Result<Vec<(u64, Vec<String>)>, OpenQuote> {
        let mut t = Tokenizer::default();
        let mut cur = Cursor { pos: 0, line: 1 };
        let mut out = Vec::new();
        while let Some(line) = t.next(text, &mut cur)? {
            let fields = t
                .fields(text, None)
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            out.push((line, fields));
        }
        Ok(out)
    }

    #[test]
    fn lf_crlf_lone_cr_and_blank_lines() {
        let got = records(b"a,b\r\n\r\nc,d\re\n\nf").unwrap();
        let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(lines, [1, 3, 4, 6]);
        assert_eq!(got[1].1, ["c", "d"]);
        assert_eq!(got[3].1, ["f"]);
    }

    #[test]
    fn quoted_fields_escapes_and_line_breaks() {
        let got = records(b"h\n\"a\nb\",\"x\"\"y\",\"q\"tail,\nnext,\"\"\n").unwrap();
        assert_eq!(
            got[1],
            (
                2,
                vec!["a\nb".into(), "x\"y".into(), "qtail".into(), String::new()]
            )
        );
        assert_eq!(got[2], (4, vec!["next".into(), String::new()]));
    }

    /// Quoted fields with nothing to unescape are read in place, the others from the scratch
    /// buffer; both give their text, with or without the chunk checked as UTF-8 beforehand.
    #[test]
    fn fields_in_place_and_unescaped_give_their_text() {
        let data = "h\nplain,\"ça, va\nbien\",\"x\"\"é\",\"q\"tail,,\"\"\n".as_bytes();
        let mut t = Tokenizer::default();
        let mut cur = Cursor { pos: 0, line: 1 };
        t.next(data, &mut cur).unwrap();
        assert_eq!(t.next(data, &mut cur).unwrap(), Some(2));
        let want = ["plain", "ça, va\nbien", "x\"é", "qtail", "", ""];
        // Two fields unescaped, the others in place.
        assert_eq!(t.bounds.iter().filter(|b| b.0 & IN_SCRATCH != 0).count(), 2);
        let text = std::str::from_utf8(data).ok();
        for checked in [text, None] {
            let f = t.fields(data, checked);
            assert_eq!(f.len(), want.len());
            for (i, w) in want.iter().enumerate() {
                assert_eq!(f.text(i), Some(*w), "field {i}");
                assert_eq!(f.get(i), Some(w.as_bytes()), "field {i}");
            }
            assert_eq!(f.text(want.len()), None);
        }
        // A record without quotes after one with: nothing of the earlier scratch is read.
        let data = b"\"a\"\"\",b\nc,d\n";
        let mut cur = Cursor { pos: 0, line: 1 };
        t.next(data, &mut cur).unwrap();
        t.next(data, &mut cur).unwrap();
        let f = t.fields(data, std::str::from_utf8(data).ok());
        assert_eq!(f.iter().collect::<Vec<_>>(), [b"c", b"d"]);
        assert!(
            t.scratch.is_empty(),
            "the scratch buffer is emptied per record"
        );
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_is_data() {
        let got = records(b"a,b\"c,d\n").unwrap();
        assert_eq!(got[0].1, ["a", "b\"c", "d"]);
    }

    #[test]
    fn an_open_quote_names_where_it_opened() {
        assert_eq!(
            records(b"a,b\n1,\"x\ny\n"),
            Err(OpenQuote {
                line: 2,
                column: 2,
                at: 6
            })
        );
    }

    /// A record's line and fields.
    type Record = (u64, Vec<Vec<u8>>);

    use crate::differential::csv_core_records as reference;

    /// Our records of `text`, with the fields as bytes.
    fn ours(text: &[u8]) -> Result<Vec<Record>, OpenQuote> {
        let mut t = Tokenizer::default();
        let mut cur = Cursor { pos: 0, line: 1 };
        let mut out = Vec::new();
        while let Some(line) = t.next(text, &mut cur)? {
            let fields: Vec<Vec<u8>> = t.fields(text, None).iter().map(<[u8]>::to_vec).collect();
            out.push((line, fields));
        }
        Ok(out)
    }

    /// Our records of `text` as the reader gets them: cut into chunks of about `chunk` bytes by
    /// the splitter, each chunk tokenized on its own from the line the splitter says it starts
    /// on. The splitter removes a leading byte-order mark, as the `csv` crate does.
    fn ours_in_chunks(text: &[u8], chunk: usize) -> Result<Vec<Record>, OpenQuote> {
        crate::differential::records(text, chunk).map_err(|(line, column, at)| OpenQuote {
            line,
            column,
            at,
        })
    }

    /// Bytes biased toward what makes CSV hard: quotes, commas, CR, LF, a few letters.
    fn csv_bytes() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        // Single bytes, mostly structure, and runs of plain bytes long enough that records and
        // fields cross the tokenizer's 64-byte blocks.
        proptest::collection::vec(
            prop_oneof![
                6 => proptest::sample::select(b"\",\r\n".to_vec()).prop_map(|b| vec![b]),
                3 => proptest::sample::select(b"ab ".to_vec()).prop_map(|b| vec![b]),
                1 => any::<u8>().prop_map(|b| vec![b]),
                1 => proptest::collection::vec(proptest::sample::select(b"ab ".to_vec()), 1..140),
            ],
            0..80,
        )
        .prop_map(|parts| parts.concat())
    }

    /// Checks `ours` against csv-core on `text`. The one difference, by design: a quoted field
    /// still open at the end of the input is an error for us (a cut-off file) where csv-core
    /// ends the field there; then closing it with one more quote reads as csv-core read the
    /// input, and the error names the quote that opened it.
    fn agrees(
        text: &[u8],
        ours: impl Fn(&[u8]) -> Result<Vec<Record>, OpenQuote>,
    ) -> Result<(), String> {
        let reference = reference(text);
        match ours(text) {
            Ok(got) if got == reference => Ok(()),
            Ok(got) => Err(format!("ours {got:?}\ncsv-core {reference:?}")),
            Err(open) => {
                if text.get(open.at) != Some(&b'"') {
                    return Err(format!("{open:?} does not point at a quote"));
                }
                let closed = [text, b"\""].concat();
                match ours(&closed) {
                    Ok(got) if got == reference => Ok(()),
                    other => Err(format!(
                        "open quote {open:?}; closed: ours {other:?}\ncsv-core {reference:?}"
                    )),
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// The SIMD UTF-8 check says what the standard library's says, on text that is mostly
        /// ASCII with multi-byte characters, cut ones and stray bytes at any place, long enough
        /// to cross the library's 64-byte blocks.
        #[test]
        fn utf8_checks_agree_with_the_standard_library(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    &b"a"[..], b",", b"\"", b"\n", b"\xC3\xA9", b"\xE2\x82\xAC",
                    b"\xF0\x9F\x98\x80", b"\xC3", b"\xE2\x82", b"\x80", b"\xFF", b"\xED\xA0\x80",
                    b"abcdefghijklmnopqrstuvwxyz0123456789",
                ]),
                0..120,
            ),
        ) {
            let bytes = parts.concat();
            proptest::prop_assert_eq!(utf8(&bytes), std::str::from_utf8(&bytes).ok());
        }

        /// The tokenizer reads arbitrary bytes as csv-core does: the same records, the same
        /// fields, a line for each where it starts, except for the documented open quote.
        #[test]
        fn the_tokenizer_agrees_with_csv_core(text in csv_bytes()) {
            if let Err(e) = agrees(&text, ours) {
                proptest::prop_assert!(false, "{:?}: {}", String::from_utf8_lossy(&text), e);
            }
        }

        /// And so does the reader's pipeline: the splitter cutting the input into chunks of 1 to
        /// 16 bytes, or 60 to 300 (so that its quote scans cross 64-byte blocks), at the record
        /// boundaries it finds, and the tokenizer reading each chunk alone.
        #[test]
        fn split_and_tokenized_records_agree_with_csv_core(
            text in csv_bytes(),
            chunk in proptest::prop_oneof![1usize..17, 60usize..300],
        ) {
            if let Err(e) = agrees(&text, |t| ours_in_chunks(t, chunk)) {
                proptest::prop_assert!(false, "{:?} in chunks of {}: {}", String::from_utf8_lossy(&text), chunk, e);
            }
        }

        /// Each field's text is its bytes, whether the chunk was checked as UTF-8 beforehand
        /// (fields in place and unescaped ones both sliced from checked text) or not.
        #[test]
        fn field_text_is_the_field_bytes(text in csv_bytes(), accent in proptest::bool::ANY) {
            let mut text = text;
            if accent {
                text.extend_from_slice("é,\"ü\"\"\"\n".as_bytes());
            }
            let checked = std::str::from_utf8(&text).ok();
            let mut t = Tokenizer::default();
            let mut cur = Cursor { pos: 0, line: 1 };
            while let Ok(Some(_)) = t.next(&text, &mut cur) {
                for known in [checked, None] {
                    let f = t.fields(&text, known);
                    for i in 0..f.len() {
                        let bytes = f.get(i).unwrap();
                        proptest::prop_assert_eq!(f.text(i), std::str::from_utf8(bytes).ok());
                    }
                }
            }
        }
    }

    #[test]
    fn an_open_quote_at_the_end_is_the_one_difference_from_csv_core() {
        // csv-core ends the field at the end of the input; we refuse it, naming the quote.
        let text = b"a,b\n1,\"x\ny";
        assert_eq!(
            reference(text),
            [
                (1, vec![b"a".to_vec(), b"b".to_vec()]),
                (2, vec![b"1".to_vec(), b"x\ny".to_vec()])
            ]
        );
        assert_eq!(
            ours(text),
            Err(OpenQuote {
                line: 2,
                column: 2,
                at: 6
            })
        );
        assert_eq!(agrees(text, ours), Ok(()));
        assert_eq!(agrees(text, |t| ours_in_chunks(t, 3)), Ok(()));
    }

    /// The tokenizer reads every record exactly as the `csv` crate does (which accepts a quote
    /// left open at the end; those inputs are left out here).
    #[test]
    fn agrees_with_the_csv_crate() {
        let cases: &[&[u8]] = &[
            b"a,b,c\n1,2,3\n",
            b"a,\"b,c\"\n\"1\"\"\",2\r\n",
            b"\n\n a , b \r\r\n\"\"\n",
            b"x\"y,\"z\"w,\"\"\"\"\n,,\n",
            b"\"a\rb\",c\rd\n",
            b"\"a\"b\"c\",d\n",
        ];
        for &text in cases {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text);
            let want: Vec<Vec<String>> = rdr
                .byte_records()
                .map(|r| {
                    r.unwrap()
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect()
                })
                .collect();
            let got: Vec<Vec<String>> = records(text).unwrap().into_iter().map(|r| r.1).collect();
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(text));
        }
    }
}
