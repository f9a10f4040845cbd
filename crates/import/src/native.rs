//! The native inventory: a CSV file with a header.
//!
//! Columns are matched case-insensitively (spaces and dashes count as underscores): `service`
//! (required, any identifier form), `account_id`, `region`, `resource_id`, `resource_type`,
//! `owner_team`, `environment`, `data_classification`, `tags` (`key=value;key=value`) and
//! `resource_count` (a pre-aggregated row stands for that many resources; 1 when absent or empty).
//! Any other column is kept as a tag named by its header. When `owner_team`, `environment` or
//! `data_classification` is empty, the value comes from the first matching tag key of [`TagKeys`].

use std::io::Read;

use crate::lines::LineCounting;
use crate::{HeaderList, ImportError, ImportStats, InventoryRecord, TagKeys, normalise_header};

/// The format name shown in reports.
pub const FORMAT: &str = "native";

/// Column positions, resolved once from the header.
#[derive(Debug, Default)]
struct Columns {
    service: usize,
    account_id: Option<usize>,
    region: Option<usize>,
    resource_id: Option<usize>,
    resource_type: Option<usize>,
    owner_team: Option<usize>,
    environment: Option<usize>,
    data_classification: Option<usize>,
    tags: Option<usize>,
    resource_count: Option<usize>,
    /// Other columns, kept as tags: (position, normalised header).
    extra: Vec<(usize, String)>,
}

impl Columns {
    fn resolve(input: &str, header: &[String]) -> Result<Columns, ImportError> {
        let mut cols = Columns::default();
        let mut service = None;
        for (i, raw) in header.iter().enumerate() {
            let name = normalise_header(raw);
            let slot = match name.as_str() {
                "service" => &mut service,
                "account_id" => &mut cols.account_id,
                "region" => &mut cols.region,
                "resource_id" => &mut cols.resource_id,
                "resource_type" => &mut cols.resource_type,
                "owner_team" => &mut cols.owner_team,
                "environment" => &mut cols.environment,
                "data_classification" => &mut cols.data_classification,
                "tags" => &mut cols.tags,
                "resource_count" => &mut cols.resource_count,
                _ => {
                    cols.extra.push((i, name));
                    continue;
                }
            };
            if let Some(first) = *slot {
                return Err(ImportError::DuplicateColumn {
                    input: input.to_owned(),
                    line: 1,
                    column: i as u64 + 1,
                    first: first as u64 + 1,
                    name: raw.trim().to_owned(),
                });
            }
            *slot = Some(i);
        }
        cols.service = service.ok_or_else(|| ImportError::MissingColumn {
            input: input.to_owned(),
            line: 1,
            column: "service",
            found: HeaderList(header).to_string(),
        })?;
        Ok(cols)
    }
}

/// Whether a header (already split into cells) is a native inventory header.
pub fn detect(header: &[String]) -> bool {
    header.iter().any(|h| normalise_header(h) == "service")
}

/// Reads a native inventory and hands each data row to `sink`.
///
/// `input` names the input in errors. Blank lines are skipped; a UTF-8 byte-order mark and CRLF
/// line ends are accepted.
pub fn read<R: Read>(
    input: &str,
    reader: R,
    keys: &TagKeys,
    mut sink: impl FnMut(&InventoryRecord<'_>),
) -> Result<ImportStats, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(LineCounting::new(reader));
    let mut rec = csv::ByteRecord::new();
    if !rdr
        .read_byte_record(&mut rec)
        .map_err(|e| ImportError::from_csv(input, e))?
    {
        return Err(ImportError::Empty {
            input: input.to_owned(),
        });
    }
    let header_line = line_of(&mut rdr, &rec);
    let header = utf8_fields(input, header_line, &rec)?;
    let cols = Columns::resolve(input, &header)?;
    let width = rec.len();
    let mut stats = ImportStats {
        format: FORMAT,
        rows: 0,
    };
    while rdr
        .read_byte_record(&mut rec)
        .map_err(|e| ImportError::from_csv(input, e))?
    {
        let line = line_of(&mut rdr, &rec);
        if rec.len() != width {
            return Err(ImportError::Ragged {
                input: input.to_owned(),
                line,
                column: width.min(rec.len()) as u64 + 1,
                expected: width as u64,
                found: rec.len() as u64,
            });
        }
        for (i, field) in rec.iter().enumerate() {
            if let Err(e) = std::str::from_utf8(field) {
                return Err(ImportError::InvalidUtf8 {
                    input: input.to_owned(),
                    line,
                    column: i as u64 + 1,
                    offset: e.valid_up_to(),
                });
            }
        }
        let get = |col: Option<usize>| -> &str {
            col.and_then(|c| rec.get(c))
                .and_then(|f| std::str::from_utf8(f).ok())
                .unwrap_or("")
                .trim()
        };
        let tags = get(cols.tags);
        let tagged = |explicit: Option<usize>, wanted: &[String]| -> &str {
            let v = get(explicit);
            if v.is_empty() {
                find_tag(tags, &cols.extra, &rec, wanted)
            } else {
                v
            }
        };
        let resource_count = match get(cols.resource_count) {
            "" => 1,
            n => n.parse::<u64>().map_err(|_| ImportError::BadValue {
                input: input.to_owned(),
                line,
                column: cols.resource_count.map_or(1, |c| c as u64 + 1),
                message: format!("resource_count `{n}` is not a whole number of resources"),
            })?,
        };
        stats.rows += 1;
        sink(&InventoryRecord {
            line,
            service: get(Some(cols.service)),
            account_id: get(cols.account_id),
            region: get(cols.region),
            resource_id: get(cols.resource_id),
            resource_type: get(cols.resource_type),
            owner_team: tagged(cols.owner_team, &keys.team),
            environment: tagged(cols.environment, &keys.environment),
            data_classification: tagged(cols.data_classification, &keys.classification),
            resource_count,
        });
    }
    Ok(stats)
}

fn line_of<R: Read>(rdr: &mut csv::Reader<LineCounting<R>>, rec: &csv::ByteRecord) -> u64 {
    let start = rec.position().map_or(0, |p| p.byte());
    rdr.get_mut().line_of(start)
}

fn utf8_fields(input: &str, line: u64, rec: &csv::ByteRecord) -> Result<Vec<String>, ImportError> {
    rec.iter()
        .enumerate()
        .map(|(i, f)| {
            std::str::from_utf8(f)
                .map(str::to_owned)
                .map_err(|e| ImportError::InvalidUtf8 {
                    input: input.to_owned(),
                    line,
                    column: i as u64 + 1,
                    offset: e.valid_up_to(),
                })
        })
        .collect()
}

/// The value of the first wanted key found in the `tags` cell, else in the extra columns.
fn find_tag<'r>(
    tags: &'r str,
    extra: &[(usize, String)],
    rec: &'r csv::ByteRecord,
    wanted: &[String],
) -> &'r str {
    for key in wanted {
        for pair in tags.split(';') {
            if let Some((k, v)) = pair.split_once('=')
                && k.trim().eq_ignore_ascii_case(key)
                && !v.trim().is_empty()
            {
                return v.trim();
            }
        }
        let norm_key = normalise_header(key);
        for (col, name) in extra {
            if *name == norm_key {
                let v = rec
                    .get(*col)
                    .and_then(|f| std::str::from_utf8(f).ok())
                    .unwrap_or("")
                    .trim();
                if !v.is_empty() {
                    return v;
                }
            }
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Default)]
    struct Row {
        line: u64,
        service: String,
        account: String,
        team: String,
        env: String,
        class: String,
        count: u64,
    }

    fn rows(text: &[u8]) -> Result<Vec<Row>, ImportError> {
        let mut out = Vec::new();
        let stats = read("inv.csv", text, &TagKeys::default(), |r| {
            out.push(Row {
                line: r.line,
                service: r.service.into(),
                account: r.account_id.into(),
                team: r.owner_team.into(),
                env: r.environment.into(),
                class: r.data_classification.into(),
                count: r.resource_count,
            })
        })?;
        assert_eq!(stats.rows as usize, out.len());
        Ok(out)
    }

    #[test]
    fn reads_columns_in_any_order_and_case() {
        let r = rows(b"Account_ID,SERVICE,Owner Team\n111,s3,web\n222,AmazonEC2,\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            (
                r[0].line,
                r[0].service.as_str(),
                r[0].account.as_str(),
                r[0].team.as_str()
            ),
            (2, "s3", "111", "web")
        );
        assert_eq!(r[1].team, "");
        assert_eq!(r[1].count, 1);
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let r =
            rows(b"\xEF\xBB\xBFservice,region\r\ns3,eu-west-1\r\n\r\nsqs,us-east-1\r\n").unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].service, "sqs");
        assert_eq!(r[1].line, 4);
    }

    #[test]
    fn owner_team_falls_back_to_tags_then_extra_columns() {
        let text = b"service,owner_team,tags,Team,env\n\
            s3,,cost-center=1;Team=payments;environment=prod,ignored,\n\
            s3,,cost-center=1,data,dev\n\
            s3,explicit,team=other,x,\n";
        let r = rows(text).unwrap();
        assert_eq!(r[0].team, "payments");
        assert_eq!(r[0].env, "prod");
        assert_eq!(r[1].team, "data", "extra column `Team` is a tag");
        assert_eq!(r[1].env, "dev");
        assert_eq!(r[2].team, "explicit");
    }

    #[test]
    fn resource_count_pre_aggregates() {
        let r = rows(b"service,resource_count\ns3,12\ns3,\n").unwrap();
        assert_eq!(r[0].count, 12);
        assert_eq!(r[1].count, 1);
        let e = rows(b"service,resource_count\ns3,-1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv.csv:2:2: resource_count `-1` is not a whole number of resources"
        );
    }

    #[test]
    fn missing_service_column_names_the_header() {
        let e = rows(b"svc,region\ns3,x\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv.csv:1:1: no `service` column in the header (found: `svc`, `region`)"
        );
    }

    #[test]
    fn ragged_row_names_line_and_column() {
        let e = rows(b"service,region,account_id\ns3,eu,1\nsqs,us\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv.csv:3:3: row has 2 fields but the header has 3"
        );
        let e = rows(b"service\ns3\nsqs,extra\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv.csv:3:2: row has 2 fields but the header has 1"
        );
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let e = rows(b"service,region\ns3,eu\nsqs,b\xffad\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv.csv:3:2: field is not valid UTF-8 (byte offset 1 within the field)"
        );
    }

    #[test]
    fn duplicate_known_column_is_an_error() {
        let e = rows(b"service,region,Service\ns3,eu,sqs\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv.csv:1:3: column `Service` appears twice in the header (first at column 1)"
        );
    }

    #[test]
    fn empty_input_is_an_error_and_header_only_is_empty_inventory() {
        assert!(matches!(rows(b""), Err(ImportError::Empty { .. })));
        assert_eq!(rows(b"service\n").unwrap(), vec![]);
    }

    #[test]
    fn quoted_fields_with_commas_and_newlines() {
        let r = rows(b"service,tags\n\"Amazon S3\",\"team=a,b\"\n\"sq\ns\",\n").unwrap();
        assert_eq!(r[0].service, "Amazon S3");
        assert_eq!(r[0].team, "a,b");
        assert_eq!(r[1].service, "sq\ns");
        assert_eq!(r[1].line, 3);
    }

    #[test]
    fn detects_native_header() {
        assert!(detect(&["Service".into(), "region".into()]));
        assert!(!detect(&["lineItem/ProductCode".into()]));
    }
}
