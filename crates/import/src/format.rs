//! The inventory formats srmatrix reads, how each is recognised from its header, and which columns
//! of each feed which field of an [`InventoryRecord`](crate::InventoryRecord).

use std::fmt;
use std::str::FromStr;

use crate::normalise_header;

/// An inventory format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// srmatrix's own CSV: `service,account_id,region,...`.
    Native,
    /// Legacy Cost and Usage Report: `lineItem/ProductCode`, `resourceTags/user:Team`.
    Cur,
    /// CUR with Athena-style names (`line_item_product_code`, `resource_tags_user_team`).
    CurAthena,
    /// CUR 2.0 (Data Exports): snake_case names and a `resource_tags` map written as JSON.
    Cur2,
    /// FinOps FOCUS 1.0-1.2 export.
    Focus,
    /// AWS Config advanced query or resource inventory export.
    AwsConfig,
    /// Resource Groups Tag Editor export (`Identifier`, `Service`, `Type`, `Tag: Key`).
    TagEditor,
    /// AWS Resource Explorer export (`Identifier`/`ARN`, `Resource type`, `AWS account`).
    ResourceExplorer,
    /// One ARN per line, or a CSV with an `arn` column.
    ArnList,
}

impl Format {
    /// Every format, in detection order.
    pub const ALL: [Format; 9] = [
        Format::Cur,
        Format::Cur2,
        Format::CurAthena,
        Format::Focus,
        Format::AwsConfig,
        Format::ResourceExplorer,
        Format::TagEditor,
        Format::Native,
        Format::ArnList,
    ];

    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Native => "native",
            Format::Cur => "cur",
            Format::CurAthena => "cur-athena",
            Format::Cur2 => "cur2",
            Format::Focus => "focus",
            Format::AwsConfig => "aws-config",
            Format::TagEditor => "tag-editor",
            Format::ResourceExplorer => "resource-explorer",
            Format::ArnList => "arn-list",
        }
    }

    /// Whether the literal `NULL` means an empty value (FOCUS exports write it).
    pub(crate) fn null_literal(self) -> bool {
        matches!(self, Format::Focus | Format::Cur2 | Format::CurAthena)
    }

    /// Recognises a format from a header (cells as read). `None` when no format fits.
    pub fn detect(header: &[String]) -> Option<Format> {
        let h: Vec<String> = header.iter().map(|c| normalise_header(c)).collect();
        let has = |name: &str| h.iter().any(|c| c == name);
        let has_prefix = |p: &str| h.iter().any(|c| c.starts_with(p));
        if has_prefix("lineitem/") {
            return Some(Format::Cur);
        }
        if has("line_item_product_code") || has("line_item_usage_account_id") {
            return Some(if has("resource_tags") || has("product") {
                Format::Cur2
            } else {
                Format::CurAthena
            });
        }
        if has("servicename")
            && (has("providername") || has("serviceprovidername") || has("chargecategory"))
        {
            return Some(Format::Focus);
        }
        if has("resourcetype") && has("resourceid") && (has("awsregion") || has("accountid")) {
            return Some(Format::AwsConfig);
        }
        if (has("resource_type")
            || has("aws_account")
            || has("owning_account")
            || has("owningaccountid")
            || has("lastreportedat"))
            && (has("identifier") || has("arn"))
            && !has("service_id")
            && !has("owner_team")
        {
            return Some(Format::ResourceExplorer);
        }
        if has("identifier") && has("service") && (has("type") || has_prefix("tag:")) {
            return Some(Format::TagEditor);
        }
        if has("service") {
            return Some(Format::Native);
        }
        if has("arn") || header.first().is_some_and(|c| looks_like_arn(c)) {
            return Some(Format::ArnList);
        }
        None
    }
}

/// Whether a cell is an ARN (a headerless ARN list starts with one).
pub(crate) fn looks_like_arn(cell: &str) -> bool {
    cell.trim()
        .trim_start_matches('\u{feff}')
        .starts_with("arn:")
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                format!(
                    "unknown input format `{s}` (expected one of {})",
                    names.join(", ")
                )
            })
    }
}

/// Column positions of one input, resolved once from its header.
#[derive(Debug, Default, Clone)]
pub(crate) struct Plan {
    /// Columns naming the service, first non-empty wins.
    pub service: Vec<usize>,
    pub account_id: Vec<usize>,
    pub account_name: Vec<usize>,
    pub region: Vec<usize>,
    pub resource_id: Vec<usize>,
    pub resource_type: Vec<usize>,
    /// Billing usage type: it reveals variants (ECS tasks on Fargate, Aurora under RDS).
    pub usage_type: Vec<usize>,
    /// Database engine (`aurora-mysql`, `Aurora MySQL`, `docdb`): it tells an Aurora cluster
    /// from a DocumentDB or Neptune one.
    pub engine: Vec<usize>,
    pub owner_team: Vec<usize>,
    pub environment: Vec<usize>,
    pub data_classification: Vec<usize>,
    pub resource_count: Option<usize>,
    pub line_item_type: Option<usize>,
    pub provider: Vec<usize>,
    /// FOCUS 1.3 `HostProviderName`: a third party's product hosted on AWS is in scope.
    pub host_provider: Vec<usize>,
    /// CUR `bill/BillingEntity`: `AWS Marketplace` rows are third-party products.
    pub billing_entity: Vec<usize>,
    pub arn: Vec<usize>,
    /// `key=value;key=value` cell (native).
    pub tags_kv: Option<usize>,
    /// JSON tags cells (Parquet: string maps), in priority order: each an object
    /// `{"Team": "x"}` or a list of `{"key": .., "value": ..}`. For each wanted key, the first
    /// cell with a non-empty value wins (CUR 2.0: `resource_tags`, then `cost_category`).
    pub tags_json: Vec<usize>,
    /// One column per tag: (position, tag key folded by [`fold_key`]).
    pub tag_columns: Vec<(usize, String)>,
    /// Header cells that appear more than once (normalised); the first non-empty value is used.
    pub duplicate_columns: Vec<String>,
}

/// Folds a tag key for matching: lower-case ASCII letters and digits only, so that `Team`,
/// `team`, `business_unit`, `Business-Unit` and `businessunit` compare equal.
pub(crate) fn fold_key(key: &str) -> String {
    key.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl Plan {
    /// Builds the plan of a format over a header. Errors name a missing required column.
    pub fn build(format: Format, header: &[String]) -> Result<Plan, &'static str> {
        let norm: Vec<String> = header.iter().map(|c| normalise_header(c)).collect();
        let mut plan = Plan::default();
        let mut seen = std::collections::HashSet::new();
        for n in &norm {
            if !seen.insert(n.as_str()) && !plan.duplicate_columns.contains(n) {
                plan.duplicate_columns.push(n.clone());
            }
        }
        // Every column of each name, names in priority order: duplicated or merged headers are
        // all read, the first non-empty value wins.
        let find = |names: &[&str]| -> Vec<usize> {
            names
                .iter()
                .flat_map(|name| {
                    norm.iter()
                        .enumerate()
                        .filter(move |(_, c)| c.as_str() == *name)
                        .map(|(i, _)| i)
                })
                .collect()
        };
        let one = |names: &[&str]| find(names).first().copied();
        match format {
            Format::Native => {
                plan.service = find(&["service"]);
                plan.account_id = find(&["account_id"]);
                plan.account_name = find(&["account_name"]);
                plan.region = find(&["region"]);
                plan.resource_id = find(&["resource_id"]);
                plan.resource_type = find(&["resource_type"]);
                plan.engine = find(&["engine"]);
                plan.owner_team = find(&["owner_team"]);
                plan.environment = find(&["environment"]);
                plan.data_classification = find(&["data_classification"]);
                plan.resource_count = one(&["resource_count"]);
                plan.tags_kv = one(&["tags"]);
                plan.arn = find(&["arn"]);
                let known = [
                    "service",
                    "account_id",
                    "region",
                    "resource_id",
                    "resource_type",
                    "engine",
                    "owner_team",
                    "environment",
                    "data_classification",
                    "resource_count",
                    "tags",
                    "arn",
                ];
                for (i, n) in norm.iter().enumerate() {
                    if !known.contains(&n.as_str()) {
                        plan.tag_columns.push((i, fold_key(n)));
                    }
                }
            }
            Format::Cur => {
                plan.service = find(&[
                    "lineitem/productcode",
                    "product/servicecode",
                    "product/productname",
                ]);
                plan.account_id = find(&["lineitem/usageaccountid", "bill/payeraccountid"]);
                plan.account_name = find(&["lineitem/usageaccountname"]);
                plan.region = find(&["product/regioncode", "product/region"]);
                plan.resource_id = find(&["lineitem/resourceid"]);
                plan.resource_type = find(&["product/productfamily"]);
                plan.usage_type = find(&["lineitem/usagetype"]);
                plan.engine = find(&["product/databaseengine"]);
                plan.line_item_type = one(&["lineitem/lineitemtype"]);
                plan.billing_entity = find(&["bill/billingentity"]);
                for (i, n) in norm.iter().enumerate() {
                    if let Some(key) = n.strip_prefix("resourcetags/") {
                        let key = key.strip_prefix("user:").unwrap_or(key);
                        plan.tag_columns.push((i, fold_key(key)));
                    } else if let Some(key) = n.strip_prefix("costcategory/") {
                        plan.tag_columns.push((i, fold_key(key)));
                    }
                }
            }
            Format::CurAthena | Format::Cur2 => {
                plan.service = find(&[
                    "line_item_product_code",
                    "product_servicecode",
                    "product_product_name",
                ]);
                plan.account_id = find(&["line_item_usage_account_id", "bill_payer_account_id"]);
                plan.account_name = find(&["line_item_usage_account_name"]);
                plan.region = find(&["product_region_code", "product_region"]);
                plan.resource_id = find(&["line_item_resource_id"]);
                plan.resource_type = find(&["product_product_family"]);
                plan.usage_type = find(&["line_item_usage_type"]);
                plan.engine = find(&["product_database_engine"]);
                plan.line_item_type = one(&["line_item_line_item_type"]);
                plan.billing_entity = find(&["bill_billing_entity"]);
                // Resource tags first, then cost categories, as the legacy CUR's columns.
                plan.tags_json = [one(&["resource_tags"]), one(&["cost_category"])]
                    .into_iter()
                    .flatten()
                    .collect();
                for (i, n) in norm.iter().enumerate() {
                    if let Some(key) = n.strip_prefix("resource_tags_") {
                        let key = key.strip_prefix("user_").unwrap_or(key);
                        plan.tag_columns.push((i, fold_key(key)));
                    } else if let Some(key) = n.strip_prefix("cost_category_") {
                        plan.tag_columns.push((i, fold_key(key)));
                    }
                }
            }
            Format::Focus => {
                plan.service = find(&["servicename", "x_servicecode"]);
                plan.account_id = find(&["subaccountid"]);
                plan.account_name = find(&["subaccountname"]);
                plan.region = find(&["regionid"]);
                plan.resource_id = find(&["resourceid"]);
                plan.resource_type = find(&["resourcetype"]);
                plan.usage_type = find(&["x_usagetype"]);
                plan.line_item_type = one(&["chargecategory"]);
                plan.provider = find(&["serviceprovidername", "providername"]);
                plan.host_provider = find(&["hostprovidername"]);
                plan.tags_json = one(&["tags"]).into_iter().collect();
            }
            Format::AwsConfig => {
                plan.service = find(&["resourcetype"]);
                plan.account_id = find(&["accountid"]);
                plan.region = find(&["awsregion"]);
                plan.resource_id = find(&["resourceid", "arn"]);
                plan.resource_type = find(&["resourcetype"]);
                plan.engine = find(&["configuration.engine", "engine"]);
                plan.arn = find(&["arn"]);
                plan.tags_json = one(&["tags"]).into_iter().collect();
                for (i, n) in norm.iter().enumerate() {
                    if let Some(key) = n.strip_prefix("tags.").or_else(|| n.strip_prefix("tag:")) {
                        plan.tag_columns.push((i, fold_key(key)));
                    }
                }
            }
            Format::TagEditor | Format::ResourceExplorer => {
                plan.service = find(&["service"]);
                plan.account_id = find(&[
                    "aws_account",
                    "owning_account",
                    "owningaccountid",
                    "account",
                    "account_id",
                ]);
                plan.region = find(&["region"]);
                plan.resource_id = find(&["identifier", "arn"]);
                plan.resource_type = find(&["type", "resource_type", "resourcetype"]);
                plan.arn = find(&["arn", "identifier"]);
                // Resource Explorer writes tags as a JSON list of {"Key", "Value"}; Tag Editor
                // writes a tag count there and one `Tag: Key` column per key.
                if format == Format::ResourceExplorer {
                    plan.tags_json = one(&["tags"]).into_iter().collect();
                }
                for (i, n) in norm.iter().enumerate() {
                    if let Some(key) = n.strip_prefix("tag:") {
                        plan.tag_columns
                            .push((i, fold_key(key.trim_start_matches('_'))));
                    }
                }
            }
            Format::ArnList => {
                plan.arn = find(&["arn"]);
                if plan.arn.is_empty() {
                    plan.arn = vec![0];
                }
                plan.resource_id = plan.arn.clone();
                plan.owner_team = find(&["owner_team"]);
                plan.environment = find(&["environment"]);
                plan.data_classification = find(&["data_classification"]);
                plan.account_id = find(&["account_id"]);
                plan.region = find(&["region"]);
            }
        }
        if plan.service.is_empty() && plan.arn.is_empty() {
            return Err(match format {
                Format::Cur => "lineItem/ProductCode",
                Format::CurAthena | Format::Cur2 => "line_item_product_code",
                Format::Focus => "ServiceName",
                Format::AwsConfig => "resourceType",
                Format::TagEditor | Format::ResourceExplorer => "Service",
                Format::Native => "service",
                Format::ArnList => "arn",
            });
        }
        Ok(plan)
    }
}

/// Whether a billing line-item type or FOCUS charge category is not a resource: tax, credits,
/// refunds, fees, commitment purchases and fees, discounts.
pub(crate) fn is_non_resource_type(line_item_type: &str) -> bool {
    const NON_RESOURCE: [&str; 16] = [
        "tax",
        "credit",
        "refund",
        "fee",
        "rifee",
        "savingsplanrecurringfee",
        "savingsplanupfrontfee",
        "savingsplannegation",
        "bundleddiscount",
        "edpdiscount",
        "privateratediscount",
        "distributordiscount",
        "discount",
        "purchase",
        "adjustment",
        "support",
    ];
    let t = line_item_type.trim();
    NON_RESOURCE.iter().any(|n| t.eq_ignore_ascii_case(n))
}

/// Whether a FOCUS provider name is AWS.
pub(crate) fn is_aws_provider(name: &str) -> bool {
    let n = name.trim();
    n.is_empty()
        || n.eq_ignore_ascii_case("aws")
        || n.eq_ignore_ascii_case("amazon web services")
        || n.eq_ignore_ascii_case("amazon web services, inc.")
        || n.to_ascii_lowercase().starts_with("amazon web services")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn detects_every_format_from_its_header() {
        let cases = [
            (
                h(&["identity/LineItemId", "lineItem/ProductCode"]),
                Format::Cur,
            ),
            (
                h(&["line_item_product_code", "resource_tags_user_team"]),
                Format::CurAthena,
            ),
            (
                h(&["line_item_product_code", "resource_tags"]),
                Format::Cur2,
            ),
            (h(&["ProviderName", "ServiceName", "Tags"]), Format::Focus),
            (h(&["ServiceProviderName", "ServiceName"]), Format::Focus),
            (
                h(&["resourceId", "resourceType", "awsRegion", "accountId"]),
                Format::AwsConfig,
            ),
            (
                h(&["Identifier", "Service", "Type", "Region", "Tag: Team"]),
                Format::TagEditor,
            ),
            (
                h(&["ARN", "Resource type", "Region", "AWS account"]),
                Format::ResourceExplorer,
            ),
            (
                h(&[
                    "Arn",
                    "OwningAccountId",
                    "Region",
                    "ResourceType",
                    "Service",
                    "Tags",
                ]),
                Format::ResourceExplorer,
            ),
            (h(&["service", "account_id"]), Format::Native),
            (h(&["arn", "owner_team"]), Format::ArnList),
            (h(&["arn:aws:s3:::bucket"]), Format::ArnList),
        ];
        for (header, want) in cases {
            assert_eq!(Format::detect(&header), Some(want), "{header:?}");
        }
        assert_eq!(Format::detect(&h(&["foo", "bar"])), None);
    }

    #[test]
    fn tag_keys_fold_across_spellings() {
        for k in ["Team", "team", "TEAM"] {
            assert_eq!(fold_key(k), "team");
        }
        assert_eq!(fold_key("business_unit"), fold_key("Business-Unit"));
    }

    #[test]
    fn cur_plan_reads_tags_and_cost_categories() {
        let header = h(&[
            "lineItem/ProductCode",
            "resourceTags/user:Team",
            "costCategory/BusinessUnit",
            "product/servicecode",
        ]);
        let plan = Plan::build(Format::Cur, &header).unwrap();
        assert_eq!(
            plan.service,
            vec![0, 3],
            "product code first, servicecode as fallback"
        );
        assert_eq!(
            plan.tag_columns,
            vec![(1, "team".to_owned()), (2, "businessunit".to_owned())]
        );
    }

    #[test]
    fn cur2_plan_reads_resource_tags_then_cost_categories() {
        let header = h(&["cost_category", "line_item_product_code", "resource_tags"]);
        let plan = Plan::build(Format::Cur2, &header).unwrap();
        assert_eq!(
            plan.tags_json,
            vec![2, 0],
            "resource tags first, whatever the order"
        );
        let focus = Plan::build(Format::Focus, &h(&["ServiceName", "Tags"])).unwrap();
        assert_eq!(focus.tags_json, vec![1]);
    }

    #[test]
    fn non_resource_types() {
        for t in [
            "Tax",
            "Credit",
            "Refund",
            "Fee",
            "RIFee",
            "SavingsPlanRecurringFee",
            "SavingsPlanUpfrontFee",
            "SavingsPlanNegation",
            "BundledDiscount",
            "EdpDiscount",
            "PrivateRateDiscount",
            "DistributorDiscount",
            "Discount",
            "Purchase",
            "Adjustment",
            "Support",
            " tax ",
            "CREDIT",
        ] {
            assert!(is_non_resource_type(t), "{t}");
        }
        for t in [
            "Usage",
            "DiscountedUsage",
            "SavingsPlanCoveredUsage",
            "",
            "Taxes",
            "Ta",
            "SavingsPlanRecurringFeeAndMoreThan32Bytes",
            "Tax\u{e9}",
            "T\u{c0}x",
        ] {
            assert!(!is_non_resource_type(t), "{t}");
        }
    }

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        assert!("xlsx".parse::<Format>().is_err());
    }
}
