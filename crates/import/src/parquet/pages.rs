//! The pages of a column chunk, each dictionary page checked before the `parquet` crate decodes
//! it.
//!
//! The crate sizes a dictionary by the value count its page header declares: it fills a vector of
//! that many values before reading any. A corrupt or crafted header declaring half a billion
//! values in a page of a few bytes asked for 12 GB and ended the process (found by the
//! `import_parquet` fuzz target). A dictionary page's values are plain-encoded, so each takes at
//! least a known number of bits of the page (a byte array its 4-byte length, a boolean one bit);
//! a page declaring more values than its bytes can hold is refused as corrupt, before it is
//! decoded.

use parquet::basic::Type as Physical;
use parquet::column::page::{Page, PageMetadata, PageReader};
use parquet::errors::{ParquetError, Result};
use parquet::schema::types::ColumnDescriptor;

/// A column chunk's pages, with dictionary pages checked (see the module's overview).
pub(super) struct CheckedPages {
    inner: Box<dyn PageReader>,
    /// The fewest bits a plain-encoded value of the column takes.
    value_bits: usize,
}

impl CheckedPages {
    /// The pages of `inner`, a chunk of the column `desc` describes.
    pub(super) fn new(inner: Box<dyn PageReader>, desc: &ColumnDescriptor) -> CheckedPages {
        let value_bits = match desc.physical_type() {
            Physical::BOOLEAN => 1,
            Physical::INT32 | Physical::FLOAT | Physical::BYTE_ARRAY => 32,
            Physical::INT64 | Physical::DOUBLE => 64,
            Physical::INT96 => 96,
            // A zero length would make every count fit: counted as a byte.
            Physical::FIXED_LEN_BYTE_ARRAY => {
                8 * usize::try_from(desc.type_length()).unwrap_or(0).max(1)
            }
        };
        CheckedPages { inner, value_bits }
    }

    /// `page` as it is, unless it is a dictionary page declaring more values than it holds.
    fn check(&self, page: Option<Page>) -> Result<Option<Page>> {
        if let Some(Page::DictionaryPage {
            buf, num_values, ..
        }) = &page
        {
            let room = buf.len().saturating_mul(8) / self.value_bits;
            if usize::try_from(*num_values).map_or(true, |n| n > room) {
                return Err(ParquetError::General(format!(
                    "corrupt dictionary page: it declares {num_values} values in {} bytes",
                    buf.len()
                )));
            }
        }
        Ok(page)
    }
}

impl Iterator for CheckedPages {
    type Item = Result<Page>;

    fn next(&mut self) -> Option<Self::Item> {
        self.get_next_page().transpose()
    }
}

impl PageReader for CheckedPages {
    fn get_next_page(&mut self) -> Result<Option<Page>> {
        let page = self.inner.get_next_page()?;
        self.check(page)
    }

    fn peek_next_page(&mut self) -> Result<Option<PageMetadata>> {
        self.inner.peek_next_page()
    }

    fn skip_next_page(&mut self) -> Result<()> {
        self.inner.skip_next_page()
    }

    fn supports_deferred_dictionary(&self) -> bool {
        self.inner.supports_deferred_dictionary()
    }

    fn take_deferred_dictionary(&mut self) -> Result<Option<Page>> {
        let page = self.inner.take_deferred_dictionary()?;
        self.check(page)
    }

    fn at_record_boundary(&mut self) -> Result<bool> {
        self.inner.at_record_boundary()
    }
}

/// Pages handed out in order, with their headers' metadata when peeked: a chunk's pages for
/// tests that make them by hand.
#[cfg(test)]
pub(super) struct Pages(pub(super) std::collections::VecDeque<Page>);

#[cfg(test)]
impl Iterator for Pages {
    type Item = Result<Page>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.pop_front().map(Ok)
    }
}

#[cfg(test)]
impl PageReader for Pages {
    fn get_next_page(&mut self) -> Result<Option<Page>> {
        Ok(self.0.pop_front())
    }

    fn peek_next_page(&mut self) -> Result<Option<PageMetadata>> {
        Ok(self.0.front().map(|p| PageMetadata {
            num_rows: None,
            num_levels: Some(p.num_values() as usize),
            is_dict: matches!(p, Page::DictionaryPage { .. }),
        }))
    }

    fn skip_next_page(&mut self) -> Result<()> {
        self.0.pop_front();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use parquet::basic::{Encoding, Repetition};
    use parquet::schema::types::{ColumnPath, Type};

    use super::*;

    fn column(physical: Physical, length: i32) -> ColumnDescriptor {
        let ty = Type::primitive_type_builder("c", physical)
            .with_repetition(Repetition::OPTIONAL)
            .with_length(length)
            .build()
            .unwrap();
        ColumnDescriptor::new(Arc::new(ty), 1, 0, ColumnPath::from("c"))
    }

    fn dictionary(bytes: usize, num_values: u32) -> Page {
        Page::DictionaryPage {
            buf: Bytes::from(vec![0u8; bytes]),
            num_values,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        }
    }

    /// A dictionary page is read when its values fit in its bytes, and refused, before anything
    /// is allocated for them, when they cannot; other pages pass untouched.
    #[test]
    fn a_dictionary_page_declaring_more_values_than_it_holds_is_refused() {
        for (physical, length, bytes, fits) in [
            (Physical::BYTE_ARRAY, 0, 40, 10),
            (Physical::INT32, 0, 40, 10),
            (Physical::INT64, 0, 40, 5),
            (Physical::INT96, 0, 36, 3),
            (Physical::BOOLEAN, 0, 2, 16),
            (Physical::FIXED_LEN_BYTE_ARRAY, 16, 64, 4),
        ] {
            let desc = column(physical, length);
            for (n, ok) in [(fits, true), (fits + 1, false), (u32::MAX, false)] {
                let pages = Pages([dictionary(bytes, n)].into());
                let got = CheckedPages::new(Box::new(pages), &desc).get_next_page();
                assert_eq!(got.is_ok(), ok, "{physical:?}: {n} values in {bytes} bytes");
                if let Err(e) = got {
                    assert!(e.to_string().contains("corrupt dictionary page"), "{e}");
                }
            }
        }
        let data = Page::DataPage {
            buf: Bytes::new(),
            num_values: u32::MAX,
            encoding: Encoding::PLAIN,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        };
        let desc = column(Physical::BYTE_ARRAY, 0);
        let mut pages = CheckedPages::new(Box::new(Pages([data].into())), &desc);
        assert!(matches!(
            pages.get_next_page(),
            Ok(Some(Page::DataPage { .. }))
        ));
        assert!(matches!(pages.get_next_page(), Ok(None)));
    }
}
