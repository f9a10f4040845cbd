//! The CSV tokenizer's records and csv-core's, for the tokenizer's property tests, the
//! `tokenize_differential` fuzz target and its regression test, which compare the two (feature
//! `differential`; not part of the importer's API otherwise).

use crate::split::{Splitter, count_breaks};
use crate::tokenize::{Cursor, Tokenizer};

/// One record as the importer reads it: its 1-based line and its fields, unescaped.
pub type Record = (u64, Vec<Vec<u8>>);

/// A quoted field never closed: its line, column (field number) and the byte offset of its
/// opening quote in the input.
pub type OpenQuote = (u64, u64, usize);

/// Every record of `data` as the reader's pipeline reads it: the splitter cuts the input into
/// chunks of about `chunk_bytes` (removing a leading UTF-8 byte-order mark), and each chunk is
/// tokenized alone from the line the splitter says it starts on. No size limit applies.
pub fn records(data: &[u8], chunk_bytes: usize) -> Result<Vec<Record>, OpenQuote> {
    let mut splitter = Splitter::with_chunk_bytes(data, u64::MAX, u64::MAX, chunk_bytes);
    let mut offset = if data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let mut tokenizer = Tokenizer::default();
    let mut out = Vec::new();
    // Reading from a byte slice cannot fail, and no limit is set: the splitter cannot fail.
    while let Ok(Some(chunk)) = splitter.next_chunk() {
        let mut cur = Cursor {
            pos: chunk.start,
            line: chunk.line,
        };
        loop {
            match tokenizer.next(&chunk.data, &mut cur) {
                Ok(Some(line)) => {
                    let fields = tokenizer.fields(&chunk.data, None);
                    out.push((line, fields.iter().map(<[u8]>::to_vec).collect()));
                }
                Ok(None) => break,
                Err(open) => return Err((open.line, open.column, open.at + offset)),
            }
        }
        offset += chunk.data.len();
    }
    Ok(out)
}

/// Records (line, fields) of `text` as `csv-core` reads them, configured as the `csv` crate's
/// defaults (comma, `"` quotes doubled to escape, any of CR, LF and CRLF ending a record, no
/// comments). Lines are counted as srmatrix names them (LF, CRLF and a lone CR each end one)
/// from where csv-core's records start: the first byte after the previous record that is no line
/// break (csv-core skips blank lines), after the leading UTF-8 byte-order mark csv-core removes
/// (as the splitter does).
pub fn csv_core_records(text: &[u8]) -> Vec<Record> {
    use csv_core::ReadRecordResult;
    let mut rdr = csv_core::ReaderBuilder::new().build();
    // Buffers as large as the input: csv-core can never report them full.
    let mut out = vec![0u8; text.len() + 1];
    let mut ends = vec![0usize; text.len() + 2];
    let (mut pos, mut outpos, mut endpos) = (0, 0, 0);
    let mut start = None;
    let mut records = Vec::new();
    loop {
        if start.is_none() {
            let from = if pos == 0 && text.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                pos
            };
            let skipped = text[from..]
                .iter()
                .position(|b| !matches!(b, b'\r' | b'\n'))
                .unwrap_or(text.len() - from);
            start = Some(from + skipped);
        }
        let (res, nin, nout, nend) =
            rdr.read_record(&text[pos..], &mut out[outpos..], &mut ends[endpos..]);
        pos += nin;
        outpos += nout;
        endpos += nend;
        match res {
            ReadRecordResult::InputEmpty => {}
            ReadRecordResult::Record => {
                let at = start.take().unwrap_or(0);
                let mut from = 0;
                let fields = ends[..endpos]
                    .iter()
                    .map(|&end| {
                        let f = out[from..end].to_vec();
                        from = end;
                        f
                    })
                    .collect();
                records.push((1 + count_breaks(&text[..at]), fields));
                (outpos, endpos) = (0, 0);
            }
            ReadRecordResult::End
            | ReadRecordResult::OutputFull
            | ReadRecordResult::OutputEndsFull => return records,
        }
    }
}
