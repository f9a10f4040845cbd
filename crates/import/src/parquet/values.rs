//! Typed Parquet values as the text their CSV form has: a batch of one leaf decoded, and its
//! integers, decimals, dates and timestamps written out.

use parquet::basic::Type as Physical;
use parquet::column::page::PageReader;
use parquet::column::reader::{ColumnReader, get_column_reader};
use parquet::data_type::{ByteArray, FixedLenByteArray, Int96};
use parquet::errors::ParquetError;
use parquet::schema::types::ColumnDescPtr;

use super::schema::Kind;
use super::text::TextColumn;

/// What reads a leaf's chunk: srmatrix's reader for text in plain or dictionary pages, the
/// crate's for everything else.
pub(super) enum Reader {
    /// The crate's reader, and the values it decoded for the batch.
    Crate(Box<ColumnReader>, Values),
    Text(Box<TextColumn>),
}

impl Reader {
    /// The crate's reader of a chunk of the column `desc`, from its pages.
    pub(super) fn of_crate(desc: &ColumnDescPtr, pages: Box<dyn PageReader>) -> Reader {
        let values = match desc.physical_type() {
            Physical::BOOLEAN => Values::Bool(Vec::new()),
            Physical::INT32 => Values::I32(Vec::new()),
            Physical::INT64 => Values::I64(Vec::new()),
            Physical::INT96 => Values::I96(Vec::new()),
            Physical::FLOAT => Values::F32(Vec::new()),
            Physical::DOUBLE => Values::F64(Vec::new()),
            Physical::BYTE_ARRAY => Values::Bytes(Vec::new()),
            Physical::FIXED_LEN_BYTE_ARRAY => Values::Fixed(Vec::new()),
        };
        Reader::Crate(Box::new(get_column_reader(desc.clone(), pages)), values)
    }
}

/// Decoded values of one leaf, for one batch.
pub(super) enum Values {
    Bool(Vec<bool>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I96(Vec<Int96>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Bytes(Vec<ByteArray>),
    Fixed(Vec<FixedLenByteArray>),
}

/// One leaf being read: its reader, and the batch's levels and text.
pub(super) struct Leaf {
    pub(super) reader: Reader,
    pub(super) desc: ColumnDescPtr,
    pub(super) kind: Kind,
    pub(super) def: Vec<i16>,
    pub(super) rep: Vec<i16>,
    /// Text of non-string values, and the byte range of each.
    pub(super) arena: String,
    pub(super) ranges: Vec<(usize, usize)>,
}

impl Leaf {
    /// A leaf of the column `desc`, read as `kind` by `reader`.
    pub(super) fn new(reader: Reader, desc: ColumnDescPtr, kind: Kind) -> Leaf {
        Leaf {
            reader,
            desc,
            kind,
            def: Vec::new(),
            rep: Vec::new(),
            arena: String::new(),
            ranges: Vec::new(),
        }
    }

    /// Reads up to `max` records: returns how many.
    pub(super) fn read(&mut self, max: usize) -> Result<usize, ParquetError> {
        self.def.clear();
        self.rep.clear();
        let (reader, values) = match &mut self.reader {
            Reader::Text(t) => return t.read(max, &mut self.def, &mut self.rep),
            Reader::Crate(reader, values) => (&mut **reader, values),
        };
        let (def, rep) = (Some(&mut self.def), Some(&mut self.rep));
        macro_rules! go {
            ($r:expr, $v:expr) => {{
                $v.clear();
                $r.read_records(max, def, rep, $v).map(|(n, _, _)| n)
            }};
        }
        match (reader, values) {
            (ColumnReader::BoolColumnReader(r), Values::Bool(v)) => go!(r, v),
            (ColumnReader::Int32ColumnReader(r), Values::I32(v)) => go!(r, v),
            (ColumnReader::Int64ColumnReader(r), Values::I64(v)) => go!(r, v),
            (ColumnReader::Int96ColumnReader(r), Values::I96(v)) => go!(r, v),
            (ColumnReader::FloatColumnReader(r), Values::F32(v)) => go!(r, v),
            (ColumnReader::DoubleColumnReader(r), Values::F64(v)) => go!(r, v),
            (ColumnReader::ByteArrayColumnReader(r), Values::Bytes(v)) => go!(r, v),
            (ColumnReader::FixedLenByteArrayColumnReader(r), Values::Fixed(v)) => go!(r, v),
            _ => Err(ParquetError::General(
                "column reader and value buffer of different types".into(),
            )),
        }
    }

    /// Skips `n` records (whole pages before them unread where the page headers allow):
    /// returns how many were there to skip.
    pub(super) fn skip(&mut self, n: usize) -> Result<usize, ParquetError> {
        let reader = match &mut self.reader {
            Reader::Text(t) => return t.skip(n),
            Reader::Crate(reader, _) => &mut **reader,
        };
        match reader {
            ColumnReader::BoolColumnReader(r) => r.skip_records(n),
            ColumnReader::Int32ColumnReader(r) => r.skip_records(n),
            ColumnReader::Int64ColumnReader(r) => r.skip_records(n),
            ColumnReader::Int96ColumnReader(r) => r.skip_records(n),
            ColumnReader::FloatColumnReader(r) => r.skip_records(n),
            ColumnReader::DoubleColumnReader(r) => r.skip_records(n),
            ColumnReader::ByteArrayColumnReader(r) => r.skip_records(n),
            ColumnReader::FixedLenByteArrayColumnReader(r) => r.skip_records(n),
        }
    }

    /// Formats non-string values into the arena (strings are borrowed as they are).
    pub(super) fn format(&mut self) -> Result<(), String> {
        use std::fmt::Write as _;
        self.arena.clear();
        self.ranges.clear();
        let Reader::Crate(_, values) = &self.reader else {
            return Ok(());
        };
        let kind = self.kind;
        let (s, ranges) = (&mut self.arena, &mut self.ranges);
        // Each value's text is appended to the arena, and its range noted.
        macro_rules! each {
            ($values:expr, |$v:ident| $write:expr) => {
                for $v in $values {
                    let start = s.len();
                    $write;
                    ranges.push((start, s.len()));
                }
            };
        }
        match values {
            Values::Bytes(v) if kind != Kind::Text => {
                each!(v, |b| decimal_bytes(s, b.data(), kind)?)
            }
            Values::Fixed(v) if kind != Kind::Text => {
                each!(v, |b| decimal_bytes(s, b.data(), kind)?)
            }
            Values::Bytes(_) | Values::Fixed(_) => {}
            Values::Bool(v) => each!(v, |b| s.push_str(if *b { "true" } else { "false" })),
            Values::I32(v) => each!(v, |n| integer(
                s,
                if kind == Kind::UInt {
                    i128::from(*n as u32)
                } else {
                    i128::from(*n)
                },
                kind
            )),
            Values::I64(v) => each!(v, |n| integer(
                s,
                if kind == Kind::UInt {
                    i128::from(*n as u64)
                } else {
                    i128::from(*n)
                },
                kind
            )),
            Values::I96(v) => each!(v, |n| timestamp(s, i128::from(n.to_nanos()), 1_000_000_000)),
            Values::F32(v) => each!(v, |n| write!(s, "{n}").map_err(|e| e.to_string())?),
            Values::F64(v) => each!(v, |n| write!(s, "{n}").map_err(|e| e.to_string())?),
        }
        Ok(())
    }

    /// The text of each of the batch's `n` rows of a flat column (empty for a null).
    pub(super) fn rows(&self, n: usize) -> Result<Vec<&str>, String> {
        if let Reader::Text(t) = &self.reader {
            return t.rows(&self.def, n);
        }
        super::rows::spread(&self.def, self.desc.max_def_level(), &self.texts()?, n)
    }

    /// The text of each non-null value of the batch, in order.
    pub(super) fn texts(&self) -> Result<Vec<&str>, String> {
        let values = match &self.reader {
            Reader::Text(t) => return t.texts(),
            Reader::Crate(_, values) => values,
        };
        match values {
            Values::Bytes(v) if self.kind == Kind::Text => {
                utf8_values(v.iter().map(ByteArray::data))
            }
            Values::Fixed(v) if self.kind == Kind::Text => utf8_values(v.iter().map(|b| b.data())),
            _ => Ok(self
                .ranges
                .iter()
                .map(|&(a, b)| self.arena.get(a..b).unwrap_or(""))
                .collect()),
        }
    }
}

/// Slots of the cache of [`utf8_values`].
const UTF8_CACHE: usize = 512;

/// The values as text, each checked to be UTF-8. Dictionary-encoded values (most billing
/// columns) are slices of the same few dictionary entries: a value whose bytes are the very bytes
/// of one checked before (same address, same length, alive for the whole batch) reuses its text
/// instead of being checked again.
fn utf8_values<'v>(values: impl Iterator<Item = &'v [u8]>) -> Result<Vec<&'v str>, String> {
    let mut seen: [(usize, &str); UTF8_CACHE] = [(0, ""); UTF8_CACHE];
    let mut out = Vec::with_capacity(values.size_hint().0);
    for b in values {
        let at = b.as_ptr() as usize;
        let slot = (at >> 3 ^ at >> 13 ^ b.len()) % UTF8_CACHE;
        let text = match seen.get(slot) {
            Some(&(addr, text)) if addr == at && text.len() == b.len() => text,
            _ => {
                let text = std::str::from_utf8(b).map_err(|e| {
                    format!(
                        "a value is not UTF-8 text (byte offset {} within the value)",
                        e.valid_up_to()
                    )
                })?;
                if let Some(entry) = seen.get_mut(slot) {
                    *entry = (at, text);
                }
                text
            }
        };
        out.push(text);
    }
    Ok(out)
}

/// Writes an integer (or a date, timestamp or decimal stored as one).
fn integer(s: &mut String, n: i128, kind: Kind) {
    use std::fmt::Write as _;
    match kind {
        Kind::Decimal(scale) => decimal(s, n, scale),
        Kind::Date => date(s, n),
        Kind::Timestamp(per_second) => timestamp(s, n, per_second),
        _ => {
            let _ = write!(s, "{n}");
        }
    }
}

/// The widest decimal scale written out in full.
const MAX_SCALE: i32 = 100;

// Hand-written: no decimal crate is in the tree; tested against the parquet crate's private one.
/// Writes `unscaled × 10^-scale` in plain decimal notation.
fn decimal(s: &mut String, unscaled: i128, scale: i32) {
    use std::fmt::Write as _;
    if !(-MAX_SCALE..=MAX_SCALE).contains(&scale) {
        // No real decimal has such a scale (Parquet's widest has 38 digits): a corrupt schema.
        let _ = write!(s, "{unscaled}e{}", -i64::from(scale));
        return;
    }
    if scale <= 0 {
        let _ = write!(s, "{unscaled}");
        for _ in 0..scale.unsigned_abs() {
            if unscaled != 0 {
                s.push('0');
            }
        }
        return;
    }
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale.unsigned_abs() as usize;
    if unscaled < 0 {
        s.push('-');
    }
    if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        s.push_str(int);
        s.push('.');
        s.push_str(frac);
    } else {
        s.push_str("0.");
        for _ in digits.len()..scale {
            s.push('0');
        }
        s.push_str(&digits);
    }
}

/// A decimal stored as big-endian two's complement bytes.
fn decimal_bytes(s: &mut String, b: &[u8], kind: Kind) -> Result<(), String> {
    let Kind::Decimal(scale) = kind else {
        return Err("a binary value that is neither text nor a decimal".into());
    };
    if b.len() > 16 {
        return Err(format!(
            "a decimal of {} bytes; srmatrix reads up to 16",
            b.len()
        ));
    }
    let negative = b.first().is_some_and(|&x| x & 0x80 != 0);
    let mut n: i128 = if negative { -1 } else { 0 };
    for &x in b {
        n = (n << 8) | i128::from(x);
    }
    decimal(s, n, scale);
    Ok(())
}

/// Writes days since 1970-01-01 as `YYYY-MM-DD`; a day beyond chrono's range (years ±262,143:
/// a corrupt value) as its number.
fn date(s: &mut String, days: i128) {
    use std::fmt::Write as _;
    let day = i64::try_from(days)
        .ok()
        .and_then(|d| d.checked_mul(86_400))
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0));
    let _ = match day {
        Some(d) => write!(s, "{}", d.format("%Y-%m-%d")),
        None => write!(s, "{days}"),
    };
}

/// Writes a timestamp (`units` per second since 1970-01-01 UTC) as RFC 3339 in UTC (`Z`), with
/// the unit's digits of fraction when there is one; beyond chrono's range, as its number.
fn timestamp(s: &mut String, units: i128, per_second: i64) {
    use chrono::SecondsFormat;
    let per_second = i128::from(per_second.clamp(1, 1_000_000_000));
    let (secs, frac) = (units.div_euclid(per_second), units.rem_euclid(per_second));
    let nanos = u32::try_from(frac * (1_000_000_000 / per_second)).ok();
    let at = i64::try_from(secs)
        .ok()
        .zip(nanos)
        .and_then(|(secs, nanos)| chrono::DateTime::from_timestamp(secs, nanos));
    let Some(at) = at else {
        use std::fmt::Write as _;
        let _ = write!(s, "{units}");
        return;
    };
    let digits = match per_second {
        _ if frac == 0 => SecondsFormat::Secs,
        1_000 => SecondsFormat::Millis,
        1_000_000 => SecondsFormat::Micros,
        _ => SecondsFormat::Nanos,
    };
    s.push_str(&at.to_rfc3339_opts(digits, true));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl Fn(&mut String)) -> String {
        let mut s = String::new();
        f(&mut s);
        s
    }

    #[test]
    fn typed_values_read_as_their_csv_text() {
        assert_eq!(text(|s| decimal(s, 960_000_000, 10)), "0.0960000000");
        assert_eq!(text(|s| decimal(s, -12_345, 2)), "-123.45");
        assert_eq!(text(|s| decimal(s, 7, 0)), "7");
        assert_eq!(text(|s| decimal(s, 7, -2)), "700");
        assert_eq!(text(|s| decimal(s, -5, 3)), "-0.005");
        let mut s = String::new();
        decimal_bytes(&mut s, &[0xFF, 0x85], Kind::Decimal(1)).unwrap();
        assert_eq!(s, "-12.3", "big-endian two's complement");
        assert!(decimal_bytes(&mut s, &[0; 17], Kind::Decimal(1)).is_err());
        assert!(decimal_bytes(&mut s, b"ab", Kind::Text).is_err());
        assert_eq!(text(|s| date(s, 0)), "1970-01-01");
        assert_eq!(text(|s| date(s, 20_697)), "2026-09-01");
        assert_eq!(text(|s| date(s, -1)), "1969-12-31");
        assert_eq!(text(|s| date(s, 11_016)), "2000-02-29");
        assert_eq!(
            text(|s| timestamp(s, 1_788_220_800_000_000, 1_000_000)),
            "2026-09-01T00:00:00Z"
        );
        assert_eq!(
            text(|s| timestamp(s, 1_788_224_523_250, 1_000)),
            "2026-09-01T01:02:03.250Z"
        );
        assert_eq!(
            text(|s| timestamp(s, -1, 1_000)),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(text(|s| integer(s, 42, Kind::Int)), "42");
        assert_eq!(
            text(|s| integer(s, 4_294_967_295, Kind::UInt)),
            "4294967295"
        );
    }

    /// A decimal as the `parquet` crate's record API writes it (`scale` ≥ 1; at scale 0 it
    /// writes `7.`, and it asserts that the scale is within 0..=precision).
    fn parquet_decimal(bytes: &[u8], scale: i32) -> String {
        use parquet::data_type::Decimal;
        use parquet::record::Field;
        let value = ByteArray::from(bytes.to_vec());
        Field::Decimal(Decimal::from_bytes(value, scale, scale)).to_string()
    }

    /// A decimal by integer arithmetic: the whole part, and the fraction padded to the scale.
    fn arithmetic_decimal(unscaled: i128, scale: u32) -> String {
        let Some(p) = 10i128.checked_pow(scale) else {
            return String::new();
        };
        if scale == 0 {
            return unscaled.to_string();
        }
        let (int, frac) = (unscaled / p, (unscaled % p).unsigned_abs());
        let sign = if unscaled < 0 && int == 0 { "-" } else { "" };
        format!("{sign}{int}.{frac:0width$}", width = scale as usize)
    }

    proptest::proptest! {
        #[test]
        fn decimals_match_the_parquet_crate_and_integer_arithmetic(
            unscaled in proptest::prelude::any::<i128>(),
            small in -1_000_000i128..1_000_000,
            scale in 0u32..=38,
        ) {
            for n in [unscaled, small] {
                let ours = text(|s| decimal(s, n, scale as i32));
                proptest::prop_assert_eq!(&ours, &arithmetic_decimal(n, scale));
                if scale > 0 {
                    let theirs = parquet_decimal(&n.to_be_bytes(), scale as i32);
                    proptest::prop_assert_eq!(&ours, &theirs);
                }
                // A negative scale appends zeros.
                if let Some(v) = n.checked_mul(10i128.pow(scale)) {
                    let ours = text(|s| decimal(s, n, -(scale as i32)));
                    proptest::prop_assert_eq!(ours, v.to_string());
                }
            }
        }

        #[test]
        fn decimal_bytes_match_the_parquet_crate(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..=16),
            scale in 1i32..=MAX_SCALE,
        ) {
            let mut ours = String::new();
            decimal_bytes(&mut ours, &bytes, Kind::Decimal(scale))
                .map_err(proptest::test_runner::TestCaseError::fail)?;
            proptest::prop_assert_eq!(ours, parquet_decimal(&bytes, scale));
        }
    }

    #[test]
    fn extreme_values_do_not_panic() {
        for n in [i128::from(i64::MIN), i128::from(i64::MAX)] {
            for kind in [
                Kind::Date,
                Kind::Timestamp(1_000),
                Kind::Timestamp(1_000_000_000),
                Kind::Decimal(38),
                Kind::Decimal(-40),
                Kind::Decimal(i32::MIN),
                Kind::Decimal(i32::MAX),
            ] {
                assert!(!text(|s| integer(s, n, kind)).is_empty(), "{kind:?} {n}");
            }
        }
    }
}
