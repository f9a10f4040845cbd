//! The CSV tokenizer's records, for the `tokenize_differential` fuzz target and its regression
//! test, which compare them with csv-core's (feature `differential`; not part of the importer's
//! API otherwise).

use crate::split::Splitter;
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
        tokenizer.expect_cr(memchr::memchr(b'\r', &chunk.data).is_some());
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
