//! The reference loop: what a competent engineer writes in an afternoon with the `csv` crate.
//!
//! One thread, one reused `csv::ByteRecord`, gzip read through `flate2::bufread::MultiGzDecoder`
//! when the input starts with the gzip magic bytes. The three grouping columns are resolved from
//! the header once; rows are grouped by (account, service, team) in a hash map whose owned key is
//! built only when a group is new. No UTF-8 check, no tag resolution, no catalog: the floor a
//! real importer is compared against.

use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// The group key, owned.
type Key = (Vec<u8>, Vec<u8>, Vec<u8>);

/// A group key borrowed from the record: hashes like [`Key`] and compares equal to it.
struct KeyRef<'a>(&'a [u8], &'a [u8], &'a [u8]);

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // A tuple hashes its fields in order, and `Vec<u8>` hashes as `[u8]`.
        self.0.hash(state);
        self.1.hash(state);
        self.2.hash(state);
    }
}

impl hashbrown::Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.0 == key.0.as_slice() && self.1 == key.1.as_slice() && self.2 == key.2.as_slice()
    }
}

/// The grouping columns of a known export.
const LAYOUTS: [(&str, [&str; 3]); 2] = [
    (
        "cur",
        [
            "lineItem/UsageAccountId",
            "lineItem/ProductCode",
            "resourceTags/user:Team",
        ],
    ),
    ("focus", ["SubAccountId", "ServiceName", "Tags"]),
];

/// What the loop counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// `cur` or `focus`: which columns were grouped by.
    pub layout: &'static str,
    /// Data rows read.
    pub rows: u64,
    /// Distinct (account, service, team) groups.
    pub groups: usize,
}

/// Opens a file, through a gzip decoder when it starts with the gzip magic bytes.
pub fn open(path: &Path) -> Result<Box<dyn Read>> {
    let file = File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let gzip = reader
        .fill_buf()
        .with_context(|| format!("{}: cannot read", path.display()))?
        .starts_with(&[0x1f, 0x8b]);
    if gzip {
        Ok(Box::new(flate2::bufread::MultiGzDecoder::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

/// Groups the rows of a CUR or FOCUS export by account × service × team.
pub fn run<R: Read>(input: R) -> Result<Summary> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .buffer_capacity(1 << 16)
        .from_reader(input);
    let mut rec = csv::ByteRecord::new();
    if !rdr.read_byte_record(&mut rec)? {
        bail!("the input is empty");
    }
    let find = |name: &str| rec.iter().position(|h| h == name.as_bytes());
    let Some((layout, [a, s, t])) = LAYOUTS.iter().find_map(|(layout, names)| {
        Some((*layout, [find(names[0])?, find(names[1])?, find(names[2])?]))
    }) else {
        bail!("the header has neither the legacy CUR nor the FOCUS grouping columns");
    };
    let mut groups: hashbrown::HashMap<Key, u64, foldhash::fast::RandomState> =
        hashbrown::HashMap::default();
    let mut rows = 0u64;
    while rdr.read_byte_record(&mut rec)? {
        rows += 1;
        let key = KeyRef(
            rec.get(a).unwrap_or_default(),
            rec.get(s).unwrap_or_default(),
            rec.get(t).unwrap_or_default(),
        );
        if let Some(n) = groups.get_mut(&key) {
            *n += 1;
        } else {
            groups.insert((key.0.to_vec(), key.1.to_vec(), key.2.to_vec()), 1);
        }
    }
    Ok(Summary {
        layout,
        rows,
        groups: groups.len(),
    })
}

/// Runs the loop over a file (`-` for standard input).
pub fn run_path(path: &Path) -> Result<Summary> {
    if path.as_os_str() == "-" {
        return run(io::stdin().lock());
    }
    run(open(path)?).with_context(|| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;
    use crate::generator::{self, ExportFormat, Options};

    #[test]
    fn groups_cur_and_focus_and_reads_gzip() {
        for format in [ExportFormat::Cur, ExportFormat::Focus] {
            let opts = Options {
                rows: 4000,
                format,
                ..Options::default()
            };
            let bytes = generator::to_vec(&opts);
            let plain = run(&bytes[..]).unwrap();
            assert_eq!(plain.rows, 4000);
            assert!(plain.groups > 100, "{plain:?}");
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&bytes).unwrap();
            let gz = gz.finish().unwrap();
            let dir = std::env::temp_dir().join(format!(
                "srmatrix-bench-baseline-{}-{format:?}",
                std::process::id()
            ));
            std::fs::write(&dir, &gz).unwrap();
            let zipped = run_path(&dir).unwrap();
            std::fs::remove_file(&dir).unwrap();
            assert_eq!(zipped, plain);
        }
    }

    #[test]
    fn counts_each_group_once() {
        let text = "lineItem/UsageAccountId,lineItem/ProductCode,resourceTags/user:Team\n\
                    1,AmazonS3,a\n1,AmazonS3,a\n1,AmazonS3,\n2,AmazonS3,a\n";
        let s = run(text.as_bytes()).unwrap();
        assert_eq!((s.layout, s.rows, s.groups), ("cur", 4, 3));
        assert!(run("a,b\n1,2\n".as_bytes()).is_err());
    }
}
