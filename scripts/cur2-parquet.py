#!/usr/bin/env python3
"""Turns a generated legacy CUR CSV (`srmatrix-bench gen --format cur`) into a CUR 2.0 export in
Parquet, shaped as AWS Data Exports writes it: snake_case columns, `product` and `resource_tags`
as MAP(VARCHAR, VARCHAR) (tag keys `user_team`, ...; empty tags left out), typed dates and costs,
Snappy, DuckDB's default row groups (122,880 rows), or ROWS rows per group (one group for the
whole file when ROWS is at least its rows). The benchmark's CUR 2.0 Parquet inputs
(scripts/bench.sh); needs `pip install duckdb`.

Usage: scripts/cur2-parquet.py CUR.csv OUT.parquet [ROWS]
"""
import sys

import duckdb

src = sys.argv[1].replace("'", "''")
out = sys.argv[2].replace("'", "''")
row_groups = f", ROW_GROUP_SIZE {int(sys.argv[3])}" if len(sys.argv) > 3 else ""


def tag_entry(key, column):
    return f"{{'key': '{key}', 'value': nullif(trim(\"{column}\"), '')}}"


tags = ", ".join(
    tag_entry(k, c)
    for k, c in [
        ("user_team", "resourceTags/user:Team"),
        ("user_environment", "resourceTags/user:Environment"),
        ("user_data_classification", "resourceTags/user:DataClassification"),
        ("user_cost_center", "resourceTags/user:CostCenter"),
    ]
)
product = ", ".join(
    tag_entry(k, c)
    for k, c in [
        ("product_name", "product/ProductName"),
        ("location", "product/location"),
        ("instance_type", "product/instanceType"),
    ]
)
duckdb.sql(
    f"""
COPY (
  SELECT
    "identity/LineItemId"                                   AS identity_line_item_id,
    "identity/TimeInterval"                                 AS identity_time_interval,
    "bill/BillingEntity"                                    AS bill_billing_entity,
    "bill/BillType"                                         AS bill_bill_type,
    "bill/PayerAccountId"                                   AS bill_payer_account_id,
    CAST("bill/BillingPeriodStartDate" AS TIMESTAMP)        AS bill_billing_period_start_date,
    "lineItem/UsageAccountId"                               AS line_item_usage_account_id,
    "lineItem/LineItemType"                                 AS line_item_line_item_type,
    CAST("lineItem/UsageStartDate" AS TIMESTAMP)            AS line_item_usage_start_date,
    CAST("lineItem/UsageEndDate" AS TIMESTAMP)              AS line_item_usage_end_date,
    "lineItem/ProductCode"                                  AS line_item_product_code,
    "lineItem/UsageType"                                    AS line_item_usage_type,
    "lineItem/Operation"                                    AS line_item_operation,
    nullif("lineItem/AvailabilityZone", '')                 AS line_item_availability_zone,
    nullif("lineItem/ResourceId", '')                       AS line_item_resource_id,
    CAST(nullif("lineItem/UsageAmount", '') AS DOUBLE)      AS line_item_usage_amount,
    CAST(nullif("lineItem/UnblendedRate", '') AS DECIMAL(38, 10)) AS line_item_unblended_rate,
    CAST(nullif("lineItem/UnblendedCost", '') AS DECIMAL(38, 10)) AS line_item_unblended_cost,
    CAST(nullif("lineItem/BlendedCost", '') AS DECIMAL(38, 10))   AS line_item_blended_cost,
    "lineItem/LineItemDescription"                          AS line_item_line_item_description,
    map_from_entries(list_filter([{product}], lambda e: e.value IS NOT NULL)) AS product,
    nullif("product/productFamily", '')                     AS product_product_family,
    nullif("product/servicecode", '')                       AS product_servicecode,
    nullif("product/region", '')                            AS product_region_code,
    nullif("pricing/term", '')                              AS pricing_term,
    nullif("pricing/unit", '')                              AS pricing_unit,
    CAST(nullif("pricing/publicOnDemandCost", '') AS DECIMAL(38, 10)) AS pricing_public_on_demand_cost,
    nullif("reservation/ReservationARN", '')                AS reservation_reservation_a_r_n,
    nullif("savingsPlan/SavingsPlanARN", '')                AS savings_plan_savings_plan_a_r_n,
    map_from_entries(list_filter([{tags}], lambda e: e.value IS NOT NULL)) AS resource_tags
  FROM read_csv('{src}', header = true, all_varchar = true, null_padding = true)
) TO '{out}' (FORMAT parquet, COMPRESSION snappy{row_groups})
"""
)
