//! Parquet's RLE / bit-packing hybrid encoding, in which pages store definition and repetition
//! levels and dictionary indices: runs of one repeated value, and runs of values packed in as
//! few bits as the widest needs, each run after a ULEB128 header. Read a stretch of values at a
//! time, for [`TextColumn`](super::text::TextColumn), whose tests compare whole columns read
//! through it with the `parquet` crate's reading of them.

use bytes::Bytes;

/// A decoder of Parquet's RLE / bit-packing hybrid encoding of fixed-width values, read a
/// stretch at a time.
#[derive(Default)]
pub(super) struct Hybrid {
    data: Bytes,
    /// The next run's header.
    at: usize,
    width: u32,
    /// The run being read: a repeated value, or bit-packed values from a byte offset.
    run: Run,
}

#[derive(Default)]
enum Run {
    #[default]
    Done,
    Repeated {
        value: u32,
        left: usize,
    },
    Packed {
        start: usize,
        next: usize,
        count: usize,
    },
}

impl Hybrid {
    /// Values of `width` bits encoded in `data`.
    pub(super) fn new(data: Bytes, width: u8) -> Hybrid {
        Hybrid {
            data,
            at: 0,
            width: u32::from(width),
            run: Run::Done,
        }
    }

    /// Appends the next `n` values to `out`.
    pub(super) fn read<T: Copy>(
        &mut self,
        n: usize,
        out: &mut Vec<T>,
        conv: impl Fn(u32) -> T,
    ) -> std::result::Result<(), String> {
        let width = self.width;
        let mask = if width == 32 {
            u32::MAX
        } else {
            (1u32 << width) - 1
        };
        let mut left = n;
        while left > 0 {
            match &mut self.run {
                Run::Done => self.run = self.header(left, n)?,
                Run::Repeated { value, left: run } => {
                    let take = (*run).min(left);
                    out.extend(std::iter::repeat_n(conv(*value), take));
                    *run -= take;
                    left -= take;
                    if *run == 0 {
                        self.run = Run::Done;
                    }
                }
                Run::Packed { start, next, count } => {
                    let take = (*count - *next).min(left);
                    let bytes = self.data.get(*start..).unwrap_or_default();
                    for k in *next..*next + take {
                        let bit = k * width as usize;
                        let (byte, shift) = (bit / 8, bit % 8);
                        let word = match bytes.get(byte..byte + 8) {
                            Some(w) => {
                                u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])
                            }
                            None => {
                                let mut w = [0u8; 8];
                                let tail = bytes.get(byte..).unwrap_or_default();
                                let k = tail.len().min(8);
                                w[..k].copy_from_slice(&tail[..k]);
                                u64::from_le_bytes(w)
                            }
                        };
                        out.push(conv((word >> shift) as u32 & mask));
                    }
                    *next += take;
                    left -= take;
                    if *next == *count {
                        self.run = Run::Done;
                    }
                }
            }
        }
        Ok(())
    }

    /// Reads the next run's header (`left` of `n` values still wanted, for the error).
    fn header(&mut self, left: usize, n: usize) -> std::result::Result<Run, String> {
        let data = &self.data;
        let mut p = self.at;
        let mut header: u64 = 0;
        let mut shift = 0;
        loop {
            let &b = data
                .get(p)
                .ok_or_else(|| format!("{left} of {n} encoded values are missing"))?;
            p += 1;
            header |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
            if shift > 35 {
                return Err("a run header longer than five bytes".into());
            }
        }
        let width = self.width;
        let run = if header & 1 == 0 {
            let value_bytes = width.div_ceil(8) as usize;
            let bytes = data
                .get(p..p + value_bytes)
                .ok_or_else(|| "a repeated value is cut off".to_string())?;
            p += value_bytes;
            let mut value: u32 = 0;
            for (i, &b) in bytes.iter().enumerate() {
                value |= u32::from(b) << (8 * i);
            }
            if width < 32 && value >> width != 0 {
                return Err(format!("a repeated value {value} wider than {width} bits"));
            }
            let left = usize::try_from(header >> 1).unwrap_or(usize::MAX);
            if left == 0 {
                Run::Done
            } else {
                Run::Repeated { value, left }
            }
        } else {
            let groups = usize::try_from(header >> 1).unwrap_or(usize::MAX);
            let bytes = groups.saturating_mul(width as usize);
            let start = p;
            p = p
                .checked_add(bytes)
                .filter(|&end| end <= data.len())
                .ok_or_else(|| "bit-packed values are cut off".to_string())?;
            let count = groups.saturating_mul(8);
            if count == 0 {
                Run::Done
            } else {
                Run::Packed {
                    start,
                    next: 0,
                    count,
                }
            }
        };
        self.at = p;
        Ok(run)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `n` values of the hybrid encoding of `width`-bit values into `out` (for tests).
    fn hybrid<T: Copy>(
        data: &[u8],
        width: u8,
        n: usize,
        out: &mut Vec<T>,
        conv: impl Fn(u32) -> T,
    ) -> std::result::Result<(), String> {
        Hybrid::new(Bytes::copy_from_slice(data), width).read(n, out, conv)
    }

    #[test]
    fn hybrid_runs_decode_repeated_and_bit_packed_values() {
        let mut out = Vec::new();
        // A run of five 3s (width 2), then one bit-packed group of eight values 0..=7 (width 3,
        // three bytes, least significant bits first).
        let data = [0x0A, 0x03, 0x03, 0x88, 0xC6, 0xFA];
        hybrid(&data, 3, 13, &mut out, |v| v).unwrap();
        assert_eq!(out, [3, 3, 3, 3, 3, 0, 1, 2, 3, 4, 5, 6, 7]);
        // Values past the ones asked for are left; too few are an error, never a panic.
        out.clear();
        hybrid(&data, 3, 7, &mut out, |v| v).unwrap();
        assert_eq!(out, [3, 3, 3, 3, 3, 0, 1]);
        assert!(hybrid(&data, 3, 14, &mut Vec::new(), |v| v).is_err());
        assert!(hybrid(&data[..4], 3, 13, &mut Vec::new(), |v| v).is_err());
        assert!(hybrid(&[0x80; 8], 3, 1, &mut Vec::new(), |v| v).is_err());
        // A repeated value wider than the bit width is corrupt.
        assert!(hybrid(&[0x02, 0x09], 3, 1, &mut Vec::new(), |v| v).is_err());
    }
}
