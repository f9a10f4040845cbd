//! The one reading loop every format goes through: header → format → plan, then each row resolved
//! through the plan into an [`InventoryRecord`] handed to the sink. One record buffer and a few
//! scratch strings are reused for every row.

use std::io::Read;

use crate::format::{
    Format, Plan, fold_key, is_aws_provider, is_non_resource_type, looks_like_arn,
};
use crate::lines::LineCounting;
use crate::{HeaderList, ImportError, InventoryRecord, RowKind, TagKeys};

/// How to read an input.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Force a format instead of detecting it from the header.
    pub format: Option<Format>,
    /// Which tag keys carry team, environment and classification.
    pub tag_keys: TagKeys,
    /// Size limits that stop a hostile file before it exhausts memory.
    pub limits: Limits,
}

/// Size limits of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest field, in bytes.
    pub max_field_bytes: u64,
    /// Longest physical line, in bytes (refused before it is buffered whole).
    pub max_line_bytes: u64,
    /// Most columns in the header or a row.
    pub max_columns: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_bytes: 1 << 20,
            max_line_bytes: 16 << 20,
            max_columns: 4096,
        }
    }
}

/// What was read from one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportStats {
    /// The format read.
    pub format: Format,
    /// Data rows read (a header excluded).
    pub rows: u64,
    /// Rows one field longer or shorter than the header, read as they are.
    pub ragged_rows: u64,
    /// Header names that appear more than once (the first occurrence is used).
    pub duplicate_columns: Vec<String>,
    /// The header, as read (empty for a headerless ARN list).
    pub header: Vec<String>,
}

/// The billing entity of third-party products sold through AWS Marketplace, and the identifier
/// the catalog knows them by.
const MARKETPLACE_ENTITY: &str = "AWS Marketplace";

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
struct ArnParts<'a> {
    region: &'a str,
    account: &'a str,
}

fn arn_parts(arn: &str) -> Option<ArnParts<'_>> {
    let mut it = arn.strip_prefix("arn:")?.splitn(5, ':');
    let _partition = it.next()?;
    let _service = it.next()?;
    let region = it.next().unwrap_or("");
    let account = it.next().unwrap_or("");
    Some(ArnParts { region, account })
}

/// Reusable per-row storage for values that do not live in the record buffer.
#[derive(Default)]
struct Scratch {
    team: String,
    environment: String,
    classification: String,
    json_tags: Vec<(String, String)>,
    json_parsed: bool,
}

/// Reads one input and hands each data row to `sink`.
pub fn read<R: Read>(
    input: &str,
    reader: R,
    opts: &ImportOptions,
    mut sink: impl FnMut(&InventoryRecord<'_>),
) -> Result<ImportStats, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(LineCounting::new(reader, opts.limits.max_line_bytes));
    let limits = opts.limits;
    let too_long = |rdr: &csv::Reader<LineCounting<R>>, e: csv::Error| {
        let lines = rdr.get_ref();
        if let Some(line) = lines.too_long {
            return ImportError::TooLarge {
                input: input.to_owned(),
                line,
                column: 1,
                what: format!("a line longer than {} bytes", limits.max_line_bytes),
            };
        }
        if let Some((line, column)) = lines.open_quote {
            return ImportError::OpenQuote {
                input: input.to_owned(),
                line,
                column,
            };
        }
        match (lines.failed_at, ImportError::from_csv(input, e)) {
            (Some(line), ImportError::Io { error, .. }) => ImportError::Io {
                input: format!("{input}:{line}"),
                error,
            },
            (_, other) => other,
        }
    };
    let mut rec = csv::ByteRecord::new();
    let first = rdr.read_byte_record(&mut rec);
    if !first.map_err(|e| too_long(&rdr, e))? {
        return Err(ImportError::Empty {
            input: input.to_owned(),
        });
    }
    let header_line = line_of(&mut rdr, &rec);
    if let Some(first) = rec.get(0) {
        let order = match first {
            [0xFF, 0xFE, ..] => Some("little-endian"),
            [0xFE, 0xFF, ..] => Some("big-endian"),
            [_, 0, ..] => Some("little-endian, no byte-order mark"),
            [0, _, ..] => Some("big-endian, no byte-order mark"),
            _ => None,
        };
        if let Some(order) = order {
            return Err(ImportError::Utf16 {
                input: input.to_owned(),
                order,
            });
        }
    }
    if rec.len() > limits.max_columns {
        return Err(ImportError::TooLarge {
            input: input.to_owned(),
            line: header_line,
            column: limits.max_columns as u64 + 1,
            what: format!("more than {} columns", limits.max_columns),
        });
    }
    let header = utf8_fields(input, header_line, &rec)?;
    let format = match opts.format {
        Some(f) => f,
        None => Format::detect(&header).ok_or_else(|| ImportError::UnknownFormat {
            input: input.to_owned(),
            found: HeaderList(&header).to_string(),
        })?,
    };
    let plan = Plan::build(format, &header).map_err(|column| ImportError::MissingColumn {
        input: input.to_owned(),
        line: header_line,
        column,
        found: HeaderList(&header).to_string(),
    })?;
    let headerless = format == Format::ArnList && header.first().is_some_and(|c| looks_like_arn(c));
    let width = rec.len();
    let wanted = Wanted::new(&opts.tag_keys);
    let mut stats = ImportStats {
        format,
        rows: 0,
        ragged_rows: 0,
        duplicate_columns: plan.duplicate_columns.clone(),
        header: if headerless {
            Vec::new()
        } else {
            header.clone()
        },
    };
    let mut scratch = Scratch::default();
    let mut first_is_data = headerless;
    loop {
        let line = if first_is_data {
            first_is_data = false;
            header_line
        } else {
            let next = rdr.read_byte_record(&mut rec);
            if !next.map_err(|e| too_long(&rdr, e))? {
                break;
            }
            line_of(&mut rdr, &rec)
        };
        if rec.len() != width {
            // Real exports write rows one field short (a trailing column left off) or one field
            // long with an empty last field (a trailing comma); both are read, counted and
            // reported. Anything else is an error: reading it by position would misplace values.
            let short_by_one = rec.len() + 1 == width;
            let long_by_empty = rec.len() == width + 1
                && rec
                    .get(width)
                    .is_some_and(|f| f.iter().all(u8::is_ascii_whitespace));
            if !(short_by_one || long_by_empty) {
                return Err(ImportError::Ragged {
                    input: input.to_owned(),
                    line,
                    column: width.min(rec.len()) as u64 + 1,
                    expected: width as u64,
                    found: rec.len() as u64,
                });
            }
            stats.ragged_rows += 1;
        }
        if rec.len() > limits.max_columns {
            return Err(ImportError::TooLarge {
                input: input.to_owned(),
                line,
                column: limits.max_columns as u64 + 1,
                what: format!("more than {} columns", limits.max_columns),
            });
        }
        for (i, field) in rec.iter().enumerate() {
            if field.len() as u64 > limits.max_field_bytes {
                return Err(ImportError::TooLarge {
                    input: input.to_owned(),
                    line,
                    column: i as u64 + 1,
                    what: format!("a field larger than {} bytes", limits.max_field_bytes),
                });
            }
            if let Err(e) = std::str::from_utf8(field) {
                return Err(ImportError::InvalidUtf8 {
                    input: input.to_owned(),
                    line,
                    column: i as u64 + 1,
                    offset: e.valid_up_to(),
                });
            }
        }
        let row = Row {
            rec: &rec,
            null_literal: format.null_literal(),
        };
        // A native row is a resource (or `resource_count` of them); other formats' rows are line
        // items or listings whose resources are counted as distinct resource ids.
        let resource_count = match row.get(plan.resource_count) {
            "" if format == Format::Native => Some(1),
            "" => None,
            n => n
                .parse::<u64>()
                .map(Some)
                .map_err(|_| ImportError::BadValue {
                    input: input.to_owned(),
                    line,
                    column: plan.resource_count.map_or(1, |c| c as u64 + 1),
                    message: format!("resource_count `{n}` is not a whole number of resources"),
                })?,
        };
        let arn = row.first(&plan.arn);
        let arn = if arn.starts_with("arn:") { arn } else { "" };
        let parts = arn_parts(arn);
        let mut service = row.first(&plan.service);
        if service.is_empty() {
            // Only an explicit service column is trusted over an ARN; a partial ARN stays as
            // written and the catalog does not resolve it (it is reported as unmapped).
            service = arn;
        }
        if row
            .first(&plan.billing_entity)
            .eq_ignore_ascii_case(MARKETPLACE_ENTITY)
        {
            // Marketplace product codes are opaque per product: the billing entity says what
            // the row is.
            service = MARKETPLACE_ENTITY;
        }
        let mut account_id = row.first(&plan.account_id);
        let mut region = row.first(&plan.region);
        if let Some(p) = &parts {
            if account_id.is_empty() {
                account_id = p.account;
            }
            if region.is_empty() {
                region = p.region;
            }
        }
        let line_item_type = row.get(plan.line_item_type);
        let provider = row.first(&plan.provider);
        let host = row.first(&plan.host_provider);
        // In scope: AWS's own rows, and a third party's product hosted on AWS (FOCUS 1.3).
        let in_scope = provider.is_empty()
            || is_aws_provider(provider)
            || (!host.is_empty() && is_aws_provider(host));
        let kind = if !in_scope {
            RowKind::OtherProvider(provider)
        } else if is_non_resource_type(line_item_type) {
            RowKind::NonResource
        } else {
            RowKind::Resource
        };
        scratch.json_parsed = false;
        for (explicit, keys, out) in [
            (&plan.owner_team, &wanted.team, 0),
            (&plan.environment, &wanted.environment, 1),
            (&plan.data_classification, &wanted.classification, 2),
        ] {
            let v = row.first(explicit);
            let value = if v.is_empty() {
                tag_value(&row, &plan, keys, &mut scratch)
            } else {
                Some(v.to_owned())
            };
            let slot = match out {
                0 => &mut scratch.team,
                1 => &mut scratch.environment,
                _ => &mut scratch.classification,
            };
            slot.clear();
            if let Some(v) = value {
                slot.push_str(v.trim());
            }
        }
        stats.rows += 1;
        sink(&InventoryRecord {
            line,
            kind,
            line_item_type,
            service,
            account_id,
            account_name: row.first(&plan.account_name),
            region,
            resource_id: row.first(&plan.resource_id),
            resource_type: row.first(&plan.resource_type),
            owner_team: &scratch.team,
            environment: &scratch.environment,
            data_classification: &scratch.classification,
            resource_count,
        });
    }
    Ok(stats)
}

/// Tag keys wanted for each field, folded once.
struct Wanted {
    team: Vec<String>,
    environment: Vec<String>,
    classification: Vec<String>,
}

impl Wanted {
    fn new(keys: &TagKeys) -> Wanted {
        let fold = |v: &[String]| v.iter().map(|k| fold_key(k)).collect();
        Wanted {
            team: fold(&keys.team),
            environment: fold(&keys.environment),
            classification: fold(&keys.classification),
        }
    }
}

/// A row's fields as text (UTF-8 already checked).
struct Row<'r> {
    rec: &'r csv::ByteRecord,
    null_literal: bool,
}

impl<'r> Row<'r> {
    fn at(&self, col: usize) -> &'r str {
        let v = self
            .rec
            .get(col)
            .and_then(|f| std::str::from_utf8(f).ok())
            .unwrap_or("")
            .trim();
        if self.null_literal && v == "NULL" {
            ""
        } else {
            v
        }
    }

    fn get(&self, col: Option<usize>) -> &'r str {
        col.map_or("", |c| self.at(c))
    }

    fn first(&self, cols: &[usize]) -> &'r str {
        cols.iter()
            .map(|&c| self.at(c))
            .find(|v| !v.is_empty())
            .unwrap_or("")
    }
}

/// The first non-empty value of a wanted key: the `k=v;k=v` cell, then tag columns, then JSON tags.
fn tag_value(row: &Row<'_>, plan: &Plan, keys: &[String], scratch: &mut Scratch) -> Option<String> {
    for key in keys {
        let kv = row.get(plan.tags_kv);
        for pair in kv.split(';') {
            if let Some((k, v)) = pair.split_once('=')
                && fold_key(k) == *key
                && !v.trim().is_empty()
            {
                return Some(v.trim().to_owned());
            }
        }
        for (col, name) in &plan.tag_columns {
            if name == key {
                let v = row.at(*col);
                if !v.is_empty() {
                    return Some(v.to_owned());
                }
            }
        }
        if plan.tags_json.is_some() {
            if !scratch.json_parsed {
                scratch.json_parsed = true;
                scratch.json_tags.clear();
                parse_json_tags(row.get(plan.tags_json), &mut scratch.json_tags);
            }
            if let Some((_, v)) = scratch
                .json_tags
                .iter()
                .find(|(k, v)| k == key && !v.is_empty())
            {
                return Some(v.clone());
            }
        }
    }
    None
}

/// Reads JSON tags: `{"Team": "x"}` (FOCUS, CUR 2.0, where CUR 2.0 keys carry a `user_` prefix)
/// or `[{"key": "Team", "value": "x"}]` (AWS Config). Keys are folded; anything else is ignored.
fn parse_json_tags(text: &str, out: &mut Vec<(String, String)>) {
    if text.is_empty() {
        return;
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let as_text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut push = |k: &str, v: String| {
        let k = k
            .strip_prefix("user:")
            .or_else(|| k.strip_prefix("user_"))
            .unwrap_or(k);
        out.push((fold_key(k), v));
    };
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in &map {
                push(k, as_text(v));
            }
        }
        serde_json::Value::Array(items) => {
            for item in &items {
                let field = |names: [&str; 2]| names.iter().find_map(|n| item.get(n));
                if let (Some(k), Some(v)) = (field(["key", "Key"]), field(["value", "Value"])) {
                    push(&as_text(k), as_text(v));
                }
            }
        }
        _ => {}
    }
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
                .map(|s| s.trim_start_matches('\u{feff}').to_owned())
                .map_err(|e| ImportError::InvalidUtf8 {
                    input: input.to_owned(),
                    line,
                    column: i as u64 + 1,
                    offset: e.valid_up_to(),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, PartialEq)]
    struct Got {
        line: u64,
        kind: String,
        lit: String,
        service: String,
        account: String,
        region: String,
        resource: String,
        team: String,
        env: String,
        class: String,
    }

    fn read_all(
        text: &[u8],
        format: Option<Format>,
    ) -> Result<(ImportStats, Vec<Got>), ImportError> {
        let mut out = Vec::new();
        let opts = ImportOptions {
            format,
            ..ImportOptions::default()
        };
        let stats = read("in.csv", text, &opts, |r| {
            out.push(Got {
                line: r.line,
                kind: format!("{:?}", r.kind),
                lit: r.line_item_type.into(),
                service: r.service.into(),
                account: r.account_id.into(),
                region: r.region.into(),
                resource: r.resource_id.into(),
                team: r.owner_team.into(),
                env: r.environment.into(),
                class: r.data_classification.into(),
            })
        })?;
        Ok((stats, out))
    }

    #[test]
    fn legacy_cur_product_code_tags_and_line_item_types() {
        let text = b"\"lineItem/LineItemType\",\"lineItem/UsageAccountId\",\"lineItem/ProductCode\",\"product/servicecode\",\"product/region\",\"lineItem/ResourceId\",\"resourceTags/user:Team\",\"resourceTags/user:Environment\"\r\n\
            Usage,111122223333,AmazonEC2,AWSDataTransfer,us-east-1,i-1,payments,prod\r\n\
            Tax,111122223333,AmazonEC2,,,,,\r\n\
            Usage,111122223333,,AmazonS3,eu-west-1,bucket,,\r\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::Cur);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (
                rows[0].service.as_str(),
                rows[0].team.as_str(),
                rows[0].env.as_str()
            ),
            ("AmazonEC2", "payments", "prod")
        );
        assert_eq!(rows[0].kind, "Resource");
        assert_eq!(rows[1].kind, "NonResource");
        assert_eq!(rows[1].lit, "Tax");
        assert_eq!(
            rows[2].service, "AmazonS3",
            "servicecode when the product code is blank"
        );
        assert_eq!(rows[2].line, 4);
    }

    #[test]
    fn cur2_resource_tags_json_map() {
        let text = b"line_item_line_item_type,line_item_usage_account_id,line_item_product_code,product_region_code,line_item_resource_id,resource_tags\n\
            Usage,111122223333,AmazonRDS,eu-west-1,db-1,\"{\"\"user_team\"\":\"\"data\"\",\"\"user_data_classification\"\":\"\"restricted\"\"}\"\n\
            Credit,111122223333,AmazonRDS,,,{}\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::Cur2);
        assert_eq!(
            (rows[0].team.as_str(), rows[0].class.as_str()),
            ("data", "restricted")
        );
        assert_eq!(rows[1].kind, "NonResource");
    }

    #[test]
    fn focus_other_providers_null_literals_and_tags() {
        let text = b"ProviderName,ServiceName,SubAccountId,RegionId,ResourceId,ChargeCategory,Tags\n\
            AWS,Amazon Simple Queue Service,111,us-west-2,arn:aws:sqs:us-west-2:111:q,Usage,\"{\"\"Team\"\":\"\"web\"\"}\"\n\
            Microsoft,Virtual Machines,sub,eastus,vm1,Usage,NULL\n\
            AWS,Amazon S3,111,NULL,NULL,Tax,NULL\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::Focus);
        assert_eq!(rows[0].team, "web");
        assert_eq!(rows[1].kind, "OtherProvider(\"Microsoft\")");
        assert_eq!(
            (rows[2].region.as_str(), rows[2].resource.as_str()),
            ("", ""),
            "NULL is empty"
        );
        assert_eq!(rows[2].kind, "NonResource");
    }

    #[test]
    fn aws_config_types_and_key_value_tag_lists() {
        let text = b"resourceId,resourceType,awsRegion,accountId,tags\n\
            i-1,AWS::EC2::Instance,eu-west-1,111,\"[{\"\"key\"\":\"\"Owner\"\",\"\"value\"\":\"\"platform\"\"}]\"\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::AwsConfig);
        assert_eq!(
            (rows[0].service.as_str(), rows[0].team.as_str()),
            ("AWS::EC2::Instance", "platform")
        );
    }

    #[test]
    fn tag_editor_tag_columns() {
        let text = b"Identifier,Service,Type,Region,Tags,Tag: Team,Tag: Environment\n\
            i-1,EC2,Instance,eu-west-1,2,ml,dev\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::TagEditor);
        assert_eq!(
            (
                rows[0].service.as_str(),
                rows[0].team.as_str(),
                rows[0].env.as_str()
            ),
            ("EC2", "ml", "dev")
        );
    }

    #[test]
    fn marketplace_rows_by_billing_entity_and_hosted_third_parties() {
        let text = b"bill_billing_entity,line_item_product_code,line_item_line_item_type\nAWS Marketplace,4h7ynb1jlx0exampleprod,Usage\nAWS,AmazonS3,Usage\n";
        let (_, rows) = read_all(text, None).unwrap();
        assert_eq!(
            (rows[0].service.as_str(), rows[1].service.as_str()),
            ("AWS Marketplace", "AmazonS3")
        );
        let focus = b"ServiceProviderName,HostProviderName,ServiceName,ChargeCategory\nContoso Ltd.,AWS,Contoso Log Shipper,Usage\nMicrosoft,Microsoft,Virtual Machines,Usage\n";
        let (_, rows) = read_all(focus, None).unwrap();
        assert_eq!(rows[0].kind, "Resource", "hosted on AWS: in scope");
        assert_eq!(rows[1].kind, "OtherProvider(\"Microsoft\")");
    }

    #[test]
    fn headerless_arn_list_gives_service_account_and_region() {
        let text =
            b"arn:aws:lambda:eu-west-1:111122223333:function:f\n\narn:aws:s3:::bucket\narn:aws\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!(stats.format, Format::ArnList);
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (
                rows[0].line,
                rows[0].account.as_str(),
                rows[0].region.as_str()
            ),
            (1, "111122223333", "eu-west-1")
        );
        assert_eq!(
            rows[0].service,
            "arn:aws:lambda:eu-west-1:111122223333:function:f"
        );
        assert_eq!(rows[1].line, 3);
        assert_eq!(
            rows[2].service, "arn:aws",
            "partial ARN kept, counted (and left unmapped)"
        );
    }

    #[test]
    fn explicit_service_beats_arn() {
        let text = b"service,arn\nsqs,arn:aws:s3:::bucket\n";
        let (_, rows) = read_all(text, None).unwrap();
        assert_eq!(rows[0].service, "sqs");
        assert_eq!(rows[0].resource, "");
    }

    #[test]
    fn rows_one_short_or_one_empty_long_are_read_and_counted() {
        let text = b"lineItem/ProductCode,lineItem/UsageAccountId,lineItem/ResourceId\nAmazonS3,1\nAmazonS3,1,b,\n";
        let (stats, rows) = read_all(text, None).unwrap();
        assert_eq!((stats.ragged_rows, rows.len()), (2, 2));
        let (stats, rows) = read_all(b"service,region\ns3\n", None).unwrap();
        assert_eq!((stats.ragged_rows, rows[0].service.as_str()), (1, "s3"));
        let err = read_all(b"service,region\ns3,eu,x\n", None).unwrap_err();
        assert!(
            matches!(
                err,
                ImportError::Ragged {
                    line: 2,
                    column: 3,
                    ..
                }
            ),
            "a non-empty extra field: {err}"
        );
        let err = read_all(b"lineItem/ProductCode,a,b\nAmazonS3\n", None).unwrap_err();
        assert!(
            matches!(err, ImportError::Ragged { line: 2, .. }),
            "two short is an error"
        );
    }

    #[test]
    fn forced_format_and_unknown_header() {
        let err = read_all(b"foo,bar\n1,2\n", None).unwrap_err();
        assert!(err.to_string().contains("cannot tell the format"), "{err}");
        let err = read_all(b"foo,bar\n1,2\n", Some(Format::Focus)).unwrap_err();
        assert!(err.to_string().contains("no `ServiceName` column"), "{err}");
    }

    #[test]
    fn limits_stop_huge_fields_lines_and_column_counts() {
        let small = ImportOptions {
            limits: Limits {
                max_field_bytes: 8,
                max_line_bytes: 64,
                max_columns: 3,
            },
            ..ImportOptions::default()
        };
        let run = |text: &[u8]| {
            read("in.csv", text, &small, |_| {})
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            run(b"service\ns3\nabcdefghij\n"),
            "in.csv:3:1: the input has a field larger than 8 bytes; raise the limit (--max-field-bytes) if the file is genuine"
        );
        let long = [b"service\n".as_slice(), &[b'x'; 100], b"\n"].concat();
        assert!(
            run(&long).starts_with("in.csv:2:1: the input has a line longer than 64 bytes"),
            "{}",
            run(&long)
        );
        assert!(
            run(b"service,a,b,c\ns3,1,2,3\n")
                .starts_with("in.csv:1:4: the input has more than 3 columns")
        );
    }

    #[test]
    fn utf16_is_named() {
        let text = b"\xff\xfes\x00e\x00r\x00v\x00i\x00c\x00e\x00\n\x00";
        let err = read_all(text, None).unwrap_err();
        assert!(err.to_string().contains("UTF-16 (little-endian)"), "{err}");
        let no_bom = b"s\x00e\x00r\x00v\x00i\x00c\x00e\x00\n\x00";
        assert!(matches!(
            read_all(no_bom, None),
            Err(ImportError::Utf16 { .. })
        ));
    }
}
