//! The native inventory: a CSV file with a header.
//!
//! Columns are matched case-insensitively (spaces and dashes count as underscores): `service`
//! (required, any identifier form), `account_id`, `region`, `resource_id`, `resource_type`,
//! `owner_team`, `environment`, `data_classification`, `tags` (`key=value;key=value`) and
//! `resource_count` (a pre-aggregated row stands for that many resources; 1 when absent or empty).
//! Any other column is kept as a tag named by its header. When `owner_team`, `environment` or
//! `data_classification` is empty, the value comes from the first matching tag key of [`crate::TagKeys`].
//!
//! Read with [`crate::read`]; this module holds the format's tests.

#[cfg(test)]
mod tests {
    use crate::{Format, ImportError, ImportOptions, read};

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
        let stats = read("inv.csv", text, &ImportOptions::default(), |r| {
            out.push(Row {
                line: r.line,
                service: r.service.into(),
                account: r.account_id.into(),
                team: r.owner_team.into(),
                env: r.environment.into(),
                class: r.data_classification.into(),
                count: r.resource_count.unwrap_or(0),
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
            "inv.csv:1:1: cannot tell the format from the header (found: `svc`, `region`); name it with --input-format"
        );
        let forced = ImportOptions {
            format: Some(Format::Native),
            ..ImportOptions::default()
        };
        let e = read("inv.csv", &b"svc,region\ns3,x\n"[..], &forced, |_| {}).unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv.csv:1:1: no `service` column in the header (found: `svc`, `region`)"
        );
    }

    #[test]
    fn ragged_row_names_line_and_column() {
        let e = rows(b"service,region,account_id\ns3,eu,1\nsqs\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv.csv:3:2: row has 1 fields but the header has 3"
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
    fn duplicate_columns_first_non_empty_wins() {
        let r = rows(b"service,owner_team,Owner Team\ns3,,payments\nsqs,web,ops\n").unwrap();
        assert_eq!(
            (r[0].team.as_str(), r[1].team.as_str()),
            ("payments", "web")
        );
    }

    #[test]
    fn ragged_beyond_one_field_is_an_error() {
        let e = rows(b"service,region,Service\ns3\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv.csv:2:2: row has 1 fields but the header has 3"
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
        assert_eq!(
            Format::detect(&["Service".into(), "region".into()]),
            Some(Format::Native)
        );
    }
}
