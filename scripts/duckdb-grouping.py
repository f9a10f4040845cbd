#!/usr/bin/env python3
"""DuckDB doing srmatrix's whole grouping over a legacy CUR CSV (the generator's columns),
written to CSV in srmatrix's native aggregated format: the comparison in docs/performance.md
("The same query with srmatrix's whole grouping") and the data-lake path's first step.

Usage: scripts/duckdb-grouping.py CUR.csv OUT.csv [RUNS]   (needs `pip install duckdb`)
Prints the median time of RUNS runs (default 3), each in a fresh connection, and the groups.
It is cur_to_native.duckdb.sql (tests/fixtures/formats/native-aggregated/) with plain column
references instead of the JSON look-ups that make that query work on any CUR naming.
"""
import duckdb, sys, time, statistics
path = sys.argv[1].replace("'", "''")
out = sys.argv[2].replace("'", "''")
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
q = f"""
COPY (
WITH rows AS (
  SELECT
    CASE WHEN nullif(trim("bill/BillingEntity"),'') = 'AWS Marketplace' THEN 'AWS Marketplace'
         ELSE nullif(trim("lineItem/ProductCode"),'') END AS service,
    nullif(trim("lineItem/UsageAccountId"),'') AS account_id,
    COALESCE(nullif(trim("product/region"),''),
             nullif(regexp_replace(COALESCE("lineItem/AvailabilityZone",''), '[a-z]$', ''),'')) AS region,
    nullif(trim("lineItem/ResourceId"),'') AS resource_id,
    nullif(trim("lineItem/LineItemType"),'') AS line_item_type,
    nullif(trim("resourceTags/user:Team"),'') AS owner_team,
    nullif(trim("resourceTags/user:Environment"),'') AS environment,
    nullif(trim("resourceTags/user:DataClassification"),'') AS data_classification
  FROM read_csv('{path}', header = true, all_varchar = true, null_padding = true)
)
SELECT service, account_id, region, owner_team, environment, data_classification,
  COUNT(DISTINCT resource_id) + MAX(CASE WHEN resource_id IS NULL THEN 1 ELSE 0 END) AS resource_count
FROM rows
WHERE line_item_type IN ('Usage', 'DiscountedUsage', 'SavingsPlanCoveredUsage')
  AND service NOT LIKE 'AWSSupport%' AND service NOT IN ('AWSDeveloperSupport', 'OCBPremiumSupport')
GROUP BY ALL
ORDER BY ALL
) TO '{out}' (HEADER, DELIMITER ',');
"""
times = []
for _ in range(runs):
    con = duckdb.connect()
    t = time.perf_counter(); con.execute(q); times.append(time.perf_counter() - t)
    con.close()
n = sum(1 for _ in open(sys.argv[2])) - 1
print(f"{path}: median {statistics.median(times):.3f} s of {times}, {n} groups")
