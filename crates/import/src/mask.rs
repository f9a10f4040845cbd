//! Where a block of CSV bytes holds its structure: one bit per byte, set on a comma, a line feed,
//! a carriage return or a quote (or on quotes alone, for the splitter).
//!
//! The tokenizer walks the set bits of 64-byte blocks to find a record's fields: one bit
//! operation per delimiter, where a search call per field (`memchr3`) spent most of its time
//! starting and stopping on fields a dozen bytes long. On x86-64 a block is compared 16 bytes at a
//! time with SSE2, which every x86-64 processor has, through `safe_arch`'s safe functions (our
//! crates forbid `unsafe`); elsewhere, and for a block shorter than 64 bytes, byte by byte. Tests
//! hold the two to each other.

/// Bytes per block: one bit each in a `u64`.
pub(crate) const BLOCK: usize = 64;

/// Bit `i` set when byte `i` of `bytes` is `,`, `\n`, `\r` or `"`, over the first
/// [`BLOCK`] bytes (all of them when there are fewer).
#[inline]
pub(crate) fn structure(bytes: &[u8]) -> u64 {
    bits(bytes, STRUCTURE)
}

/// Bit `i` set when byte `i` of `bytes` is `"`, over the first [`BLOCK`] bytes.
#[inline]
pub(crate) fn quotes(bytes: &[u8]) -> u64 {
    bits(bytes, [b'"'])
}

/// The bytes [`structure`] marks.
const STRUCTURE: [u8; 4] = [b',', b'\n', b'\r', b'"'];

/// Bit `i` set when byte `i` of `bytes` is one of `needles`, over the first [`BLOCK`] bytes.
#[inline(always)]
fn bits<const N: usize>(bytes: &[u8], needles: [u8; N]) -> u64 {
    match bytes.first_chunk::<BLOCK>() {
        Some(block) => whole_block(block, needles),
        None => bytewise(bytes, needles),
    }
}

/// The bits of a whole block, 16 bytes per SSE2 comparison.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn whole_block<const N: usize>(block: &[u8; BLOCK], needles: [u8; N]) -> u64 {
    use safe_arch::{
        bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, move_mask_i8_m128i,
        set_splat_i8_m128i, zeroed_m128i,
    };
    let splats = needles.map(|n| set_splat_i8_m128i(n as i8));
    let mut bits = 0u64;
    for (k, part) in block.as_chunks::<16>().0.iter().enumerate() {
        let v = load_unaligned_m128i(part);
        let hit = splats.iter().fold(zeroed_m128i(), |hit, &splat| {
            bitor_m128i(hit, cmp_eq_mask_i8_m128i(v, splat))
        });
        // The mask holds 16 bits, one per byte.
        bits |= u64::from(move_mask_i8_m128i(hit) as u16) << (16 * k);
    }
    bits
}

/// The bits of a whole block, byte by byte (targets without SSE2).
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn whole_block<const N: usize>(block: &[u8; BLOCK], needles: [u8; N]) -> u64 {
    bytewise(block, needles)
}

/// The bits of up to [`BLOCK`] bytes, one byte at a time.
fn bytewise<const N: usize>(bytes: &[u8], needles: [u8; N]) -> u64 {
    bytes
        .iter()
        .take(BLOCK)
        .enumerate()
        .fold(0, |bits, (i, b)| {
            bits | (u64::from(needles.contains(b)) << i)
        })
}

/// The positions of the marked bytes of `bytes[from..end]`, in order: the set bits of one
/// 64-byte mask at a time. The one walk the tokenizer and the splitter share.
pub(crate) struct Positions<'a, const QUOTES_ONLY: bool> {
    bytes: &'a [u8],
    end: usize,
    /// Start of the block `found` covers.
    block: usize,
    found: u64,
}

impl<'a> Positions<'a, false> {
    /// Commas, line breaks and quotes of `bytes[from..]`.
    pub(crate) fn structure(bytes: &'a [u8], from: usize) -> Self {
        Self::new(bytes, from, bytes.len())
    }
}

impl<'a> Positions<'a, true> {
    /// Quotes of `bytes[from..end]` (the bytes after `end` are read, not reported).
    pub(crate) fn quotes(bytes: &'a [u8], from: usize, end: usize) -> Self {
        Self::new(bytes, from, end.min(bytes.len()))
    }
}

impl<'a, const QUOTES_ONLY: bool> Positions<'a, QUOTES_ONLY> {
    #[inline(always)]
    fn new(bytes: &'a [u8], from: usize, end: usize) -> Self {
        let mut walk = Positions {
            bytes,
            end,
            block: from,
            found: 0,
        };
        walk.load();
        walk
    }

    /// Reads the bits of the block at `self.block`, none past `end`.
    #[inline(always)]
    fn load(&mut self) {
        if self.block >= self.end {
            self.found = 0;
            return;
        }
        let rest = &self.bytes[self.block..];
        let found = if QUOTES_ONLY {
            quotes(rest)
        } else {
            structure(rest)
        };
        self.found = match self.end - self.block {
            n if n >= BLOCK => found,
            n => found & ((1u64 << n) - 1),
        };
    }

    /// Forgets the positions before `pos` (bytes already dealt with, such as the second quote
    /// of a `""`).
    #[inline]
    pub(crate) fn skip_to(&mut self, pos: usize) {
        match pos.checked_sub(self.block) {
            Some(n) if n < BLOCK => self.found &= u64::MAX << n,
            Some(_) => {
                self.block = pos;
                self.load();
            }
            None => {}
        }
    }
}

impl<const QUOTES_ONLY: bool> Iterator for Positions<'_, QUOTES_ONLY> {
    type Item = usize;

    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        while self.found == 0 {
            self.block += BLOCK;
            if self.block >= self.end {
                return None;
            }
            self.load();
        }
        let at = self.block + self.found.trailing_zeros() as usize;
        self.found &= self.found - 1;
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn each_structure_byte_sets_its_own_bit() {
        let mut block = [b'x'; BLOCK];
        block[0] = b',';
        block[15] = b'\n';
        block[16] = b'\r';
        block[63] = b'"';
        assert_eq!(structure(&block), 1 | 1 << 15 | 1 << 16 | 1 << 63);
        assert_eq!(structure(&block[..16]), 1 | 1 << 15);
        assert_eq!(structure(b""), 0);
        // Bytes that only look alike: high bytes (negative as i8), NUL, other punctuation.
        assert_eq!(
            structure(&[0x80, 0xAC, 0x8A, 0xA2, 0, b';', b'\'', b'\t']),
            0
        );
        assert_eq!(quotes(&block), 1 << 63);
    }

    proptest! {
        /// The walk reports exactly the marked bytes in range, in order, and skipping forgets
        /// exactly the positions before the skip.
        #[test]
        fn the_walk_reports_every_marked_byte_once(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b','), Just(b'"'), Just(b'x'), Just(b'\n')],
                0..300,
            ),
            from in 0usize..300,
            end in 0usize..320,
            skip in 0usize..320,
        ) {
            let marked = |quotes_only: bool, range: std::ops::Range<usize>| -> Vec<usize> {
                range
                    .filter(|&i| i < bytes.len())
                    .filter(|&i| if quotes_only { bytes[i] == b'"' } else { STRUCTURE.contains(&bytes[i]) })
                    .collect()
            };
            let all: Vec<usize> = Positions::structure(&bytes, from).collect();
            prop_assert_eq!(&all, &marked(false, from..bytes.len()));
            let quoted: Vec<usize> = Positions::quotes(&bytes, from, end).collect();
            prop_assert_eq!(&quoted, &marked(true, from..end));
            // Take the first position, then skip to `skip`: the rest from there on.
            let mut walk = Positions::structure(&bytes, from);
            if let Some(first) = walk.next() {
                walk.skip_to(skip);
                let rest: Vec<usize> = walk.collect();
                prop_assert_eq!(rest, marked(false, (first + 1).max(skip)..bytes.len()));
            }
        }

        /// Whole blocks agree with the byte-by-byte reading, from any starting offset.
        #[test]
        fn whole_blocks_agree_with_bytewise(
            bytes in proptest::collection::vec(
                prop_oneof![Just(b','), Just(b'\n'), Just(b'\r'), Just(b'"'), any::<u8>()],
                2 * BLOCK..4 * BLOCK,
            ),
            from in 0..BLOCK,
        ) {
            let rest = &bytes[from..];
            prop_assert_eq!(structure(rest), bytewise(rest, STRUCTURE));
            prop_assert_eq!(quotes(rest), bytewise(rest, [b'"']));
            let block: &[u8; BLOCK] = rest.first_chunk().unwrap();
            prop_assert_eq!(whole_block(block, STRUCTURE), bytewise(block, STRUCTURE));
            prop_assert_eq!(whole_block(block, [b'"']), bytewise(block, [b'"']));
        }
    }
}
