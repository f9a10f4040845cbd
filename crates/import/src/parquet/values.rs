//! Typed Parquet values as the text their CSV form has: a batch of one leaf decoded, and its
//! integers, decimals, dates and timestamps written out.

use parquet::column::reader::ColumnReader;
use parquet::data_type::{ByteArray, FixedLenByteArray, Int96};
use parquet::errors::ParquetError;
use parquet::schema::types::ColumnDescPtr;

use super::schema::Kind;

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

/// One leaf being read: its reader, and the batch's levels and values.
pub(super) struct Leaf {
    pub(super) reader: ColumnReader,
    pub(super) desc: ColumnDescPtr,
    pub(super) kind: Kind,
    pub(super) def: Vec<i16>,
    pub(super) rep: Vec<i16>,
    pub(super) values: Values,
    /// Text of non-string values, and the byte range of each.
    pub(super) arena: String,
    pub(super) ranges: Vec<(usize, usize)>,
}

impl Leaf {
    /// Reads up to `max` records: returns how many.
    pub(super) fn read(&mut self, max: usize) -> Result<usize, ParquetError> {
        self.def.clear();
        self.rep.clear();
        let (def, rep) = (Some(&mut self.def), Some(&mut self.rep));
        macro_rules! go {
            ($r:expr, $v:expr) => {{
                $v.clear();
                $r.read_records(max, def, rep, $v).map(|(n, _, _)| n)
            }};
        }
        match (&mut self.reader, &mut self.values) {
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

    /// Formats non-string values into the arena (strings are borrowed as they are).
    pub(super) fn format(&mut self) -> Result<(), String> {
        use std::fmt::Write as _;
        self.arena.clear();
        self.ranges.clear();
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
        match &self.values {
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

    /// The text of each non-null value of the batch, in order.
    pub(super) fn texts(&self) -> Result<Vec<&str>, String> {
        match &self.values {
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

/// Writes days since 1970-01-01 as `YYYY-MM-DD`.
fn date(s: &mut String, days: i128) {
    use std::fmt::Write as _;
    let (y, m, d) = civil(days);
    let _ = write!(s, "{y:04}-{m:02}-{d:02}");
}

/// Writes a timestamp (`units` per second since 1970-01-01 UTC) as RFC 3339, `Z`.
fn timestamp(s: &mut String, units: i128, per_second: i64) {
    use std::fmt::Write as _;
    let per_second = i128::from(per_second.max(1));
    let secs = units.div_euclid(per_second);
    let frac = units.rem_euclid(per_second);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    date(s, days);
    let _ = write!(
        s,
        "T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if frac != 0 {
        let width = per_second.to_string().len() - 1;
        let _ = write!(s, ".{frac:0width$}");
    }
    s.push('Z');
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01).
fn civil(days: i128) -> (i128, u32, u32) {
    // Howard Hinnant's days_from_civil inverse.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
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
