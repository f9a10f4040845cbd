//! srmatrix's own reader of text column chunks whose pages are plain or dictionary encoded: each
//! value comes out as a range of a text arena (the chunk's dictionary, checked as UTF-8 once per
//! entry, or the batch's copy of its plain values).
//!
//! Why not the `parquet` crate's column reader for these: it hands out every value as its own
//! reference-counted slice of the page (`ByteArray`), so a dictionary-encoded value costs an
//! atomic increment when it is gathered from the dictionary and an atomic decrement when the
//! batch is cleared, and its text has to be found again for every row. On the 1M-row CUR 2.0
//! benchmark file that was about a sixth of all CPU time (`get_batch_with_dict` 8%, the slices'
//! drops and clones 6.6%, UTF-8 look-ups 3%). Only chunks whose metadata lists nothing but
//! `PLAIN`, `PLAIN_DICTIONARY`, `RLE_DICTIONARY` and `RLE` (levels) are read here; any other
//! chunk, and every non-text column, goes through the crate. The two readers are compared on
//! chunks the crate writes and on hand-made pages (unit tests below), and on every Parquet
//! fixture.
//!
//! A page is decoded [`STRETCH`] levels at a time, so memory does not grow with page size.

use bytes::Bytes;
use parquet::basic::Encoding;
use parquet::column::page::{Page, PageReader};
use parquet::errors::{ParquetError, Result};

use super::hybrid::Hybrid;

/// Levels of a page decoded at a time (in tests, few: pages and bit-packed runs are then cut
/// into stretches everywhere).
const STRETCH: usize = if cfg!(test) { 7 } else { 4096 };

/// Whether a chunk with these encodings is read here (see the module's overview).
pub(super) fn readable(mut encodings: impl Iterator<Item = Encoding>) -> bool {
    encodings.all(|e| {
        matches!(
            e,
            Encoding::PLAIN | Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY | Encoding::RLE
        )
    })
}

/// The start of a dictionary entry that is not UTF-8 (see `TextColumn::entries`).
const NOT_UTF8: u32 = u32::MAX;

fn not_utf8(at: u32) -> String {
    format!("a value is not UTF-8 text (byte offset {at} within the value)")
}

fn corrupt(what: impl std::fmt::Display) -> ParquetError {
    ParquetError::General(format!("corrupt page: {what}"))
}

/// Where a value's text is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Span {
    /// The dictionary's entry.
    Entry(u32),
    /// A byte range of the batch's text.
    Batch(usize, usize),
}

/// Where the values of the data page being read come from.
enum PageValues {
    /// Dictionary indices.
    Entries(Hybrid),
    /// Length-prefixed byte arrays from this offset of the page.
    Plain(Bytes, usize),
}

/// One text column chunk being read.
pub(super) struct TextColumn {
    pages: Box<dyn PageReader>,
    max_def: i16,
    max_rep: i16,
    /// The dictionary's entries as text, and each entry's range of it (or, for an entry that is
    /// not UTF-8, [`NOT_UTF8`] and where its bytes stop being so): eight bytes an entry, since
    /// rows look entries up at random in dictionaries of up to hundreds of thousands.
    dict_text: String,
    entries: Vec<(u32, u32)>,
    has_dict: bool,
    /// The data page being read: its level decoders, its values, and its levels not yet
    /// decoded.
    rep_levels: Hybrid,
    def_levels: Hybrid,
    values: PageValues,
    page_left: usize,
    /// The stretch of the page decoded: its levels, its values (dictionary entries, or byte
    /// ranges of the page), how many levels it has and how many of them and of the values are
    /// read.
    stretch_def: Vec<i16>,
    stretch_rep: Vec<i16>,
    stretch_entries: Vec<u32>,
    stretch_plain: Vec<(usize, usize)>,
    stretch_len: usize,
    level_at: usize,
    value_at: usize,
    /// The batch: its values, the text of its plain values, and the first plain value that is
    /// not UTF-8 (reported when the batch's text is asked for, as the crate's reader does).
    batch: Vec<Span>,
    batch_text: String,
    bad: Option<usize>,
}

impl TextColumn {
    /// Reads the pages of a chunk of a column with these maximum levels.
    pub(super) fn new(pages: Box<dyn PageReader>, max_def: i16, max_rep: i16) -> TextColumn {
        TextColumn {
            pages,
            max_def,
            max_rep,
            dict_text: String::new(),
            entries: Vec::new(),
            has_dict: false,
            rep_levels: Hybrid::default(),
            def_levels: Hybrid::default(),
            values: PageValues::Plain(Bytes::new(), 0),
            page_left: 0,
            stretch_def: Vec::new(),
            stretch_rep: Vec::new(),
            stretch_entries: Vec::new(),
            stretch_plain: Vec::new(),
            stretch_len: 0,
            level_at: 0,
            value_at: 0,
            batch: Vec::new(),
            batch_text: String::new(),
            bad: None,
        }
    }

    /// Reads up to `max` records into the batch, their levels into `def` and `rep` (each only
    /// when the column has such levels, like the crate's reader): returns how many.
    pub(super) fn read(
        &mut self,
        max: usize,
        def: &mut Vec<i16>,
        rep: &mut Vec<i16>,
    ) -> Result<usize> {
        self.batch.clear();
        self.batch_text.clear();
        self.bad = None;
        self.records(max, Some((def, rep)))
    }

    /// Whether every level of the current page is read.
    fn at_page_end(&self) -> bool {
        self.level_at == self.stretch_len && self.page_left == 0
    }

    /// Skips `n` records (whole pages unread where their headers give their rows): returns how
    /// many there were.
    pub(super) fn skip(&mut self, n: usize) -> Result<usize> {
        let mut skipped = 0;
        while skipped < n {
            if self.at_page_end() {
                match self.pages.peek_next_page()? {
                    Some(meta) if meta.is_dict => {
                        self.next_page()?;
                        continue;
                    }
                    Some(meta) => {
                        let rows = if self.max_rep == 0 {
                            meta.num_levels
                        } else {
                            meta.num_rows
                        };
                        if let Some(rows) = rows.filter(|&r| r <= n - skipped) {
                            self.pages.skip_next_page()?;
                            skipped += rows;
                            continue;
                        }
                    }
                    None => break,
                }
            }
            let got = self.records(n - skipped, None)?;
            if got == 0 {
                break;
            }
            skipped += got;
        }
        Ok(skipped)
    }

    /// Reads up to `max` records, keeping their levels and values when `keep` is given.
    fn records(
        &mut self,
        max: usize,
        mut keep: Option<(&mut Vec<i16>, &mut Vec<i16>)>,
    ) -> Result<usize> {
        let mut records = 0;
        loop {
            if self.level_at == self.stretch_len {
                // A flat column's records are its levels: once they are read, nothing more of
                // the page is decoded (a fault further on is the next batch's, as in the crate).
                if records == max && self.max_rep == 0 {
                    break;
                }
                if self.page_left > 0 {
                    self.next_stretch()?;
                    continue;
                }
                if records == max && self.pages.at_record_boundary()? {
                    break;
                }
                // Skipping a flat column returns at each page's end, so that the next pages can
                // be skipped unread.
                if keep.is_none() && self.max_rep == 0 && records > 0 {
                    break;
                }
                if !self.next_page()? {
                    break;
                }
                continue;
            }
            let (from, left) = (self.level_at, self.stretch_len - self.level_at);
            // The levels read now: up to the start of record `max + 1`, or the stretch's end.
            let take = if self.max_rep == 0 {
                left.min(max - records)
            } else {
                let mut take = left;
                for (i, &r) in self.stretch_rep[from..from + left].iter().enumerate() {
                    if r == 0 {
                        if records == max {
                            take = i;
                            break;
                        }
                        records += 1;
                    }
                }
                take
            };
            if take == 0 {
                break;
            }
            if self.max_rep == 0 {
                records += take;
            }
            let to = from + take;
            let values = if self.max_def > 0 {
                let defs = &self.stretch_def[from..to];
                defs.iter().filter(|&&d| d == self.max_def).count()
            } else {
                take
            };
            if let Some((def, rep)) = keep.as_mut() {
                if self.max_def > 0 {
                    def.extend_from_slice(&self.stretch_def[from..to]);
                }
                if self.max_rep > 0 {
                    rep.extend_from_slice(&self.stretch_rep[from..to]);
                }
                self.keep_values(values)?;
            }
            self.value_at += values;
            self.level_at = to;
        }
        Ok(records)
    }

    /// Adds the stretch's next `n` values to the batch.
    fn keep_values(&mut self, n: usize) -> Result<()> {
        let (a, b) = (self.value_at, self.value_at + n);
        if let PageValues::Plain(buf, _) = &self.values {
            let ranges = self
                .stretch_plain
                .get(a..b)
                .ok_or_else(|| corrupt("fewer values than levels"))?;
            for &(s, e) in ranges {
                let start = self.batch_text.len();
                match std::str::from_utf8(buf.get(s..e).unwrap_or_default()) {
                    Ok(text) => self.batch_text.push_str(text),
                    Err(err) => {
                        self.bad.get_or_insert(err.valid_up_to());
                    }
                }
                self.batch.push(Span::Batch(start, self.batch_text.len()));
            }
        } else {
            let ix = self
                .stretch_entries
                .get(a..b)
                .ok_or_else(|| corrupt("fewer values than levels"))?;
            self.batch.extend(ix.iter().map(|&i| Span::Entry(i)));
        }
        Ok(())
    }

    /// The text of each non-null value of the batch, in order.
    pub(super) fn texts(&self) -> std::result::Result<Vec<&str>, String> {
        if let Some(at) = self.bad {
            return Err(not_utf8(at as u32));
        }
        let mut out = Vec::with_capacity(self.batch.len());
        for &span in &self.batch {
            out.push(self.text(span).ok_or_else(|| self.text_error(span))?);
        }
        Ok(out)
    }

    /// The text of each of the batch's `n` rows of a flat column (empty for a null), from its
    /// definition levels `def`: [`TextColumn::texts`] and [`spread`](super::rows::spread) in
    /// one pass.
    pub(super) fn rows(&self, def: &[i16], n: usize) -> std::result::Result<Vec<&str>, String> {
        if let Some(at) = self.bad {
            return Err(not_utf8(at as u32));
        }
        if self.max_def == 0 {
            let texts = self.texts()?;
            if texts.len() != n {
                return Err(format!("{} values for {n} rows", texts.len()));
            }
            return Ok(texts);
        }
        if def.len() != n || self.max_rep != 0 {
            return Err(format!("{} definition levels for {n} rows", def.len()));
        }
        let mut out = Vec::with_capacity(n);
        let mut values = self.batch.iter();
        for &d in def {
            out.push(if d == self.max_def {
                let &span = values
                    .next()
                    .ok_or_else(|| format!("fewer values than the {n} rows define"))?;
                self.text(span).ok_or_else(|| self.text_error(span))?
            } else {
                ""
            });
        }
        Ok(out)
    }

    /// A value's text: `None` for a dictionary entry that is not UTF-8 or is missing.
    #[inline(always)]
    fn text(&self, span: Span) -> Option<&str> {
        match span {
            Span::Entry(i) => match self.entries.get(i as usize) {
                Some(&(NOT_UTF8, _)) | None => None,
                Some(&(a, b)) => self.dict_text.get(a as usize..b as usize),
            },
            Span::Batch(a, b) => self.batch_text.get(a..b),
        }
    }

    /// Why [`TextColumn::text`] gave no text.
    #[cold]
    fn text_error(&self, span: Span) -> String {
        match span {
            Span::Entry(i) => match self.entries.get(i as usize) {
                Some(&(NOT_UTF8, at)) => not_utf8(at),
                _ => format!("dictionary entry {i} is missing"),
            },
            Span::Batch(..) => "a value outside the batch's text".into(),
        }
    }

    /// Decodes the page's next stretch of levels and their values.
    fn next_stretch(&mut self) -> Result<()> {
        let n = self.page_left.min(STRETCH);
        self.stretch_rep.clear();
        self.stretch_def.clear();
        if self.max_rep > 0 {
            self.rep_levels
                .read(n, &mut self.stretch_rep, |v| v as i16)
                .map_err(corrupt)?;
        }
        if self.max_def > 0 {
            self.def_levels
                .read(n, &mut self.stretch_def, |v| v as i16)
                .map_err(corrupt)?;
        }
        let count = if self.max_def > 0 {
            self.stretch_def
                .iter()
                .filter(|&&d| d == self.max_def)
                .count()
        } else {
            n
        };
        match &mut self.values {
            PageValues::Entries(ix) => {
                self.stretch_entries.clear();
                ix.read(count, &mut self.stretch_entries, |v| v)
                    .map_err(corrupt)?;
                let entries = self.entries.len();
                if let Some(&i) = self
                    .stretch_entries
                    .iter()
                    .find(|&&i| i as usize >= entries)
                {
                    return Err(corrupt(format!(
                        "dictionary index {i} beyond its {entries} entries"
                    )));
                }
            }
            PageValues::Plain(data, p) => {
                self.stretch_plain.clear();
                for _ in 0..count {
                    let len = data
                        .get(*p..*p + 4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                        .ok_or_else(|| corrupt("a value's length is cut off"))?;
                    let start = *p + 4;
                    let end = start
                        .checked_add(len)
                        .filter(|&e| e <= data.len())
                        .ok_or_else(|| corrupt("a value runs past the page"))?;
                    self.stretch_plain.push((start, end));
                    *p = end;
                }
            }
        }
        self.page_left -= n;
        self.stretch_len = n;
        self.level_at = 0;
        self.value_at = 0;
        Ok(())
    }

    /// Takes the next page: a dictionary page is loaded, a data page's decoders set up at its
    /// start. Returns whether there was a page.
    fn next_page(&mut self) -> Result<bool> {
        let Some(page) = self.pages.get_next_page()? else {
            return Ok(false);
        };
        let (buf, num_values, encoding, v2_levels) = match page {
            Page::DictionaryPage {
                buf,
                num_values,
                encoding,
                ..
            } => {
                if self.has_dict {
                    return Err(corrupt("a second dictionary page in one column chunk"));
                }
                if !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                    return Err(corrupt(format!("a dictionary page encoded as {encoding}")));
                }
                self.load_dictionary(&buf, num_values as usize)?;
                return Ok(true);
            }
            Page::DataPage {
                buf,
                num_values,
                encoding,
                def_level_encoding,
                rep_level_encoding,
                ..
            } => {
                for (max, e) in [
                    (self.max_rep, rep_level_encoding),
                    (self.max_def, def_level_encoding),
                ] {
                    if max > 0 && e != Encoding::RLE {
                        return Err(corrupt(format!(
                            "levels encoded as {e}, which the chunk's metadata does not list"
                        )));
                    }
                }
                (buf, num_values, encoding, None)
            }
            Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                def_levels_byte_len,
                rep_levels_byte_len,
                ..
            } => (
                buf,
                num_values,
                encoding,
                Some((rep_levels_byte_len as usize, def_levels_byte_len as usize)),
            ),
        };
        let mut at = 0;
        let (rep_len, def_len) = v2_levels.unzip();
        self.rep_levels = levels_of(&buf, &mut at, self.max_rep, rep_len)?;
        self.def_levels = levels_of(&buf, &mut at, self.max_def, def_len)?;
        let data = buf.slice(at.min(buf.len())..);
        self.values = match encoding {
            Encoding::PLAIN => PageValues::Plain(data, 0),
            Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY => {
                if !self.has_dict {
                    return Err(corrupt(
                        "dictionary-encoded values without a dictionary page",
                    ));
                }
                // A page of nulls may hold no values at all, not even the indices' bit width.
                let width = data.first().copied().unwrap_or(0);
                if width > 32 {
                    return Err(corrupt(format!("dictionary indices of {width} bits")));
                }
                PageValues::Entries(Hybrid::new(data.slice(data.len().min(1)..), width))
            }
            e => {
                return Err(corrupt(format!(
                    "values encoded as {e}, which the chunk's metadata does not list"
                )));
            }
        };
        self.page_left = num_values as usize;
        self.stretch_len = 0;
        self.level_at = 0;
        self.value_at = 0;
        Ok(true)
    }

    /// Loads a plain-encoded dictionary page of `n` byte arrays.
    fn load_dictionary(&mut self, buf: &[u8], n: usize) -> Result<()> {
        self.dict_text.clear();
        self.entries.clear();
        let mut p = 0usize;
        for _ in 0..n {
            let len = buf
                .get(p..p + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                .ok_or_else(|| corrupt("a dictionary entry's length is cut off"))?;
            let start = p + 4;
            let bytes = start
                .checked_add(len)
                .and_then(|end| buf.get(start..end))
                .ok_or_else(|| corrupt("a dictionary entry runs past its page"))?;
            p = start + len;
            self.entries.push(match std::str::from_utf8(bytes) {
                Ok(text) => {
                    let a = self.dict_text.len();
                    self.dict_text.push_str(text);
                    let end = u32::try_from(self.dict_text.len())
                        .ok()
                        .filter(|&e| e < NOT_UTF8)
                        .ok_or_else(|| corrupt("a dictionary of 4 GiB or more"))?;
                    (a as u32, end)
                }
                Err(e) => (NOT_UTF8, e.valid_up_to() as u32),
            });
        }
        self.has_dict = true;
        Ok(())
    }
}

/// The decoder of a page's levels that start at `at` in `buf` (none when the column has no such
/// levels): `len` bytes of them in a v2 page, a length-prefixed run in a v1 page.
fn levels_of(buf: &Bytes, at: &mut usize, max: i16, len: Option<usize>) -> Result<Hybrid> {
    if max == 0 {
        return Ok(Hybrid::default());
    }
    let len = match len {
        Some(len) => len,
        None => {
            let prefix = buf
                .get(*at..*at + 4)
                .ok_or_else(|| corrupt("the levels' length is cut off"))?;
            *at += 4;
            u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize
        }
    };
    let end = at
        .checked_add(len)
        .filter(|&end| end <= buf.len())
        .ok_or_else(|| corrupt("the levels run past the page"))?;
    let data = buf.slice(*at..end);
    *at = end;
    Ok(Hybrid::new(data, (16 - max.leading_zeros()) as u8))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use parquet::basic::Encoding;
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::{WriterProperties, WriterVersion};
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use proptest::prelude::*;

    use super::super::pages::Pages;
    use super::super::schema::Kind;
    use super::super::values::{Leaf, Reader};
    use super::*;

    /// A row: a flat optional text, a required text, and an optional map of text to optional
    /// text.
    type Row = (
        Option<Vec<u8>>,
        Vec<u8>,
        Option<Vec<(Vec<u8>, Option<Vec<u8>>)>>,
    );

    const SCHEMA: &str = "message m {
        optional binary flat (STRING);
        required binary req (STRING);
        optional group tags (MAP) {
            repeated group key_value {
                required binary key (STRING);
                optional binary value (STRING);
            }
        }
    }";

    /// The rows written by the `parquet` crate with these properties.
    fn write(rows: &[Row], props: WriterProperties) -> Bytes {
        let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
        let mut w = SerializedFileWriter::new(Vec::new(), schema, Arc::new(props)).unwrap();
        let mut rg = w.next_row_group().unwrap();
        let ba = |b: &Vec<u8>| ByteArray::from(b.clone());
        // Each leaf's values, definition and repetition levels.
        let mut leaves: [(Vec<ByteArray>, Vec<i16>, Vec<i16>); 4] = Default::default();
        for (flat, req, tags) in rows {
            leaves[0].1.push(i16::from(flat.is_some()));
            leaves[0].0.extend(flat.iter().map(ba));
            leaves[1].0.push(ba(req));
            match tags {
                None | Some(_) if tags.as_ref().is_none_or(Vec::is_empty) => {
                    let d = i16::from(tags.is_some());
                    for l in &mut leaves[2..] {
                        l.1.push(d);
                        l.2.push(0);
                    }
                }
                _ => {
                    for (i, (k, v)) in tags.iter().flatten().enumerate() {
                        let r = i16::from(i > 0);
                        leaves[2].0.push(ba(k));
                        leaves[2].1.push(2);
                        leaves[2].2.push(r);
                        leaves[3].0.extend(v.iter().map(ba));
                        leaves[3].1.push(if v.is_some() { 3 } else { 2 });
                        leaves[3].2.push(r);
                    }
                }
            }
        }
        for (values, def, rep) in &leaves {
            let mut col = rg.next_column().unwrap().unwrap();
            let w = col.typed::<ByteArrayType>();
            let def = (!def.is_empty()).then_some(def.as_slice());
            let rep = (!rep.is_empty()).then_some(rep.as_slice());
            w.write_batch(values, def, rep).unwrap();
            col.close().unwrap();
        }
        rg.close().unwrap();
        Bytes::from(w.into_inner().unwrap())
    }

    fn leaf(reader: Reader, desc: parquet::schema::types::ColumnDescPtr) -> Leaf {
        Leaf::new(reader, desc, Kind::Text)
    }

    /// Everything a batch gives: the records read, the levels, the text or its error, and for
    /// a flat column each row's text or the error.
    type Batch = (
        usize,
        Vec<i16>,
        Vec<i16>,
        std::result::Result<Vec<String>, String>,
        Option<std::result::Result<Vec<String>, String>>,
    );

    fn batch(l: &mut Leaf, max: usize) -> Batch {
        let n = l.read(max).unwrap();
        let owned = |t: Vec<&str>| t.into_iter().map(str::to_owned).collect();
        let texts = l.texts().map(owned);
        let rows = (l.desc.max_rep_level() == 0).then(|| l.rows(n).map(owned));
        (n, l.def.clone(), l.rep.clone(), texts, rows)
    }

    /// Reads every column of `file` with both readers: after skipping `skip` records, in
    /// batches of the sizes given (cycled), until both end; returns how many chunks were read
    /// here (chunks listing other encodings are left to the crate).
    fn compare(file: Bytes, skip: usize, sizes: &[usize]) -> usize {
        let reader = SerializedFileReader::new(file).unwrap();
        let mut ours = 0;
        for g in 0..reader.num_row_groups() {
            let rg = reader.get_row_group(g).unwrap();
            let meta = reader.metadata().row_group(g);
            for c in 0..meta.num_columns() {
                if !readable(meta.column(c).encodings()) {
                    continue;
                }
                ours += 1;
                let desc = reader.metadata().file_metadata().schema_descr().column(c);
                let (d, r) = (desc.max_def_level(), desc.max_rep_level());
                let pages = || rg.get_column_page_reader(c).unwrap();
                let mut theirs = leaf(Reader::of_crate(&desc, pages()), desc.clone());
                let mut own = leaf(
                    Reader::Text(Box::new(TextColumn::new(pages(), d, r))),
                    desc.clone(),
                );
                assert_eq!(own.skip(skip).unwrap(), theirs.skip(skip).unwrap(), "skip");
                for (i, &size) in sizes.iter().cycle().enumerate() {
                    let a = batch(&mut theirs, size);
                    let b = batch(&mut own, size);
                    assert_eq!(b, a, "column {c}, batch {i} of {size}");
                    if a.0 == 0 {
                        break;
                    }
                }
            }
        }
        ours
    }

    fn text() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => (0..6usize).prop_map(|i| format!("v{i}").into_bytes()),
            2 => "[a-zé ]{0,12}".prop_map(String::into_bytes),
            1 => Just(vec![b'x', 0xFF]),
        ]
    }

    fn rows() -> impl Strategy<Value = Vec<Row>> {
        let entry = (text(), proptest::option::weighted(0.8, text()));
        let row = (
            proptest::option::weighted(0.8, text()),
            text(),
            proptest::option::weighted(0.8, proptest::collection::vec(entry, 0..4)),
        );
        proptest::collection::vec(row, 0..300)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Chunks in every shape the two encodings take (dictionary pages, a dictionary that
        /// overflows into plain pages, plain only; v1 and v2 pages; many small pages) read the
        /// same here as through the crate: the same records per batch, levels, texts and errors.
        #[test]
        fn text_chunks_read_like_the_crate_reads_them(
            rows in rows(),
            dictionary in any::<bool>(),
            v2 in any::<bool>(),
            dict_limit in prop_oneof![Just(64usize), Just(1 << 20)],
            page_rows in 1usize..50,
            skip in 0usize..320,
            sizes in proptest::collection::vec(1usize..70, 1..4),
        ) {
            let props = WriterProperties::builder()
                .set_writer_version(if v2 { WriterVersion::PARQUET_2_0 } else { WriterVersion::PARQUET_1_0 })
                .set_dictionary_enabled(dictionary)
                .set_encoding(Encoding::PLAIN)
                .set_dictionary_page_size_limit(dict_limit)
                .set_data_page_row_count_limit(page_rows)
                .set_write_batch_size(page_rows)
                .build();
            let file = write(&rows, props);
            prop_assert_eq!(compare(file, skip, &sizes), 4);
        }
    }

    /// Levels as length-prefixed runs of one value each.
    fn levels(ls: &[i16]) -> Vec<u8> {
        let runs: Vec<u8> = ls.iter().flat_map(|&l| [2, l as u8]).collect();
        let mut out = (runs.len() as u32).to_le_bytes().to_vec();
        out.extend(runs);
        out
    }

    /// A v1 page of a map's key column (definition level 2 is a key; repetition 1 continues a
    /// row) with plain values.
    fn page(rep: &[i16], def: &[i16], values: &[&str]) -> Page {
        let mut buf = levels(rep);
        buf.extend(levels(def));
        for v in values {
            buf.extend((v.len() as u32).to_le_bytes());
            buf.extend(v.as_bytes());
        }
        Page::DataPage {
            buf: Bytes::from(buf),
            num_values: rep.len() as u32,
            encoding: Encoding::PLAIN,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        }
    }

    /// Rows that continue from one v1 page into the next (other writers than the crate's cut
    /// pages anywhere) are read whole, as the crate reads them, and so are levels above the
    /// column's maximum (a null, for both).
    /// A flat column's batch that ends where a stretch of its page ends is read without
    /// decoding the next stretch: a fault there is the next batch's.
    #[test]
    fn a_fault_after_a_batch_is_the_next_batchs() {
        let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
        let descr = parquet::schema::types::SchemaDescriptor::new(schema);
        let desc = descr.column(0);
        let mut buf = levels(&[1; 2 * STRETCH]);
        for v in 0..STRETCH {
            buf.extend(1u32.to_le_bytes());
            buf.push(b'a' + v as u8);
        }
        // The next value's length is cut off.
        buf.extend([5, 0]);
        let page = Page::DataPage {
            buf: Bytes::from(buf),
            num_values: 2 * STRETCH as u32,
            encoding: Encoding::PLAIN,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        };
        let pages = Box::new(Pages([page].into()));
        let mut own = leaf(Reader::Text(Box::new(TextColumn::new(pages, 1, 0))), desc);
        assert_eq!(own.read(STRETCH).unwrap(), STRETCH);
        assert_eq!(
            own.rows(STRETCH).unwrap(),
            ["a", "b", "c", "d", "e", "f", "g"]
        );
        let err = own.read(STRETCH).unwrap_err().to_string();
        assert!(err.contains("a value's length is cut off"), "{err}");
    }

    #[test]
    fn rows_across_pages_read_like_the_crate_reads_them() {
        let schema = Arc::new(parse_message_type(SCHEMA).unwrap());
        let descr = parquet::schema::types::SchemaDescriptor::new(schema);
        let desc = descr.column(2);
        let pages = || {
            Box::new(Pages(
                [
                    page(&[0, 1, 0], &[2, 2, 2], &["a", "b", "c"]),
                    page(&[1, 1, 0], &[2, 3, 2], &["d", "f"]),
                    page(&[1, 0, 0, 1], &[2, 2, 0, 2], &["g", "h", "i"]),
                ]
                .into(),
            ))
        };
        for (skip, sizes) in [
            (0, [1, 1]),
            (0, [2, 3]),
            (1, [1, 2]),
            (2, [1, 1]),
            (3, [1, 1]),
        ] {
            let mut theirs = leaf(Reader::of_crate(&desc, pages()), desc.clone());
            let mut own = leaf(
                Reader::Text(Box::new(TextColumn::new(pages(), 2, 1))),
                desc.clone(),
            );
            assert_eq!(
                own.skip(skip).unwrap(),
                theirs.skip(skip).unwrap(),
                "skip {skip}"
            );
            for (i, &size) in sizes.iter().cycle().take(6).enumerate() {
                let a = batch(&mut theirs, size);
                assert_eq!(batch(&mut own, size), a, "skip {skip}, batch {i} of {size}");
            }
        }
    }
}
