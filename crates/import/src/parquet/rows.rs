//! A batch's columns as rows: a flat column's values spread over its rows by their definition
//! levels, a map column's wanted entries per row, and one row's text by header position.

use super::values::Leaf;
use crate::reader::{RowText, trim};

/// A flat column's text per row from its definition levels and non-null values.
pub(super) fn spread<'t>(
    def: &[i16],
    max_def: i16,
    texts: &[&'t str],
    n: usize,
) -> Result<Vec<&'t str>, String> {
    if max_def == 0 {
        if texts.len() != n {
            return Err(format!("{} values for {n} rows", texts.len()));
        }
        return Ok(texts.to_vec());
    }
    if def.len() != n {
        return Err(format!("{} definition levels for {n} rows", def.len()));
    }
    let mut out = Vec::with_capacity(n);
    let mut values = texts.iter();
    for &d in def {
        out.push(if d == max_def {
            values
                .next()
                .copied()
                .ok_or_else(|| format!("fewer values than the {n} rows define"))?
        } else {
            ""
        });
    }
    Ok(out)
}

/// The entries of a map column whose key a wanted key asks for, per row, as (the wanted key's
/// number in [`Wanted::keys`](crate::reader::Wanted::keys), value): `starts[r]..starts[r+1]`
/// index `entries` for row `r`.
pub(super) fn map_entries<'t>(
    (k, kt): (&Leaf, &[&'t str]),
    (v, vt): (&Leaf, &[&'t str]),
    entry_def: i16,
    n: usize,
    mut wanted: impl FnMut(&str) -> Option<usize>,
    entries: &mut Vec<(usize, &'t str)>,
    starts: &mut Vec<usize>,
) -> Result<(), String> {
    let (kmax, vmax) = (k.desc.max_def_level(), v.desc.max_def_level());
    if k.def.len() != k.rep.len() || v.def.len() != k.def.len() || v.rep != k.rep {
        return Err("the map's key and value columns disagree on its entries".into());
    }
    const KEY_SLOTS: usize = 64;
    let mut seen: [(usize, usize, Option<usize>); KEY_SLOTS] = [(0, usize::MAX, None); KEY_SLOTS];
    let mut keys = kt.iter();
    let mut values = vt.iter();
    let mut rows = 0usize;
    for ((&rep, &kd), &vd) in k.rep.iter().zip(&k.def).zip(&v.def) {
        if rep == 0 {
            rows += 1;
            starts.push(entries.len());
        }
        let key = if kd == kmax {
            keys.next().copied()
        } else {
            None
        };
        let value = if vd == vmax {
            values.next().copied()
        } else {
            None
        };
        // Keys are dictionary-encoded: the same bytes again are looked up once per batch.
        let found = match key {
            Some(key) if kd >= entry_def => {
                let at = key.as_ptr() as usize;
                let slot = (at >> 3 ^ at >> 13 ^ key.len()) % KEY_SLOTS;
                match seen.get(slot) {
                    Some(&(addr, len, w)) if addr == at && len == key.len() => w,
                    _ => {
                        let w = wanted(key);
                        if let Some(entry) = seen.get_mut(slot) {
                            *entry = (at, key.len(), w);
                        }
                        w
                    }
                }
            }
            _ => None,
        };
        if let Some(w) = found {
            entries.push((w, trim(value.unwrap_or(""))));
        }
    }
    starts.push(entries.len());
    if rows != n {
        return Err(format!(
            "the map has {rows} rows where the other columns have {n}"
        ));
    }
    Ok(())
}

/// A map column's wanted entries over a batch: `starts[r]..starts[r+1]` index `entries` for
/// row `r`.
pub(super) struct MapBatch<'t> {
    /// The column's header position.
    pub(super) col: usize,
    /// (wanted key number, value) per entry.
    pub(super) entries: Vec<(usize, &'t str)>,
    pub(super) starts: Vec<usize>,
}

/// One row of a batch.
pub(super) struct ParquetRow<'r> {
    /// Per header position, the batch's text of that column.
    pub(super) cols: &'r [Option<&'r [&'r str]>],
    pub(super) row: usize,
    /// The batch's map columns.
    pub(super) maps: &'r [MapBatch<'r>],
}

impl<'r> RowText<'r> for ParquetRow<'r> {
    fn at(&self, col: usize) -> &'r str {
        self.cols
            .get(col)
            .copied()
            .flatten()
            .and_then(|texts| texts.get(self.row))
            .map_or("", |v| trim(v))
    }

    fn map_tags(&self, col: usize) -> Option<&'r [(usize, &'r str)]> {
        let map = self.maps.iter().find(|m| m.col == col)?;
        let at = |r: usize| map.starts.get(r).copied().unwrap_or(0);
        Some(
            map.entries
                .get(at(self.row)..at(self.row + 1))
                .unwrap_or_default(),
        )
    }
}
