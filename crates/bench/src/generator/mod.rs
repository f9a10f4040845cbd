//! A deterministic generator of large, realistic AWS billing exports.
//!
//! Two shapes of the same logical data: a legacy Cost and Usage Report (35 columns with the real
//! legacy header names, `identity/LineItemId` ... `resourceTags/user:CostCenter`) and a FOCUS 1.0
//! export as AWS writes it (46 columns, strings quoted, `NULL` for blanks, tags as a JSON object).
//!
//! What the rows look like:
//! - 62 real product codes with a Zipf-like skew (`AmazonEC2`, `AmazonS3`, `AWSDataTransfer` ...
//!   heavy), each with a few SKUs: usage types, operations, units, prices and descriptions in AWS's
//!   shapes, several with commas and so quoted;
//! - 40 accounts under one payer, 6 Regions plus global services;
//! - resource ids from a fixed pool (`resources`, default 50,000), so that, as with hourly line
//!   items, the same resources repeat and distinct resources do not grow with rows; about 20% of
//!   the rows have no resource id;
//! - `Team`, `Environment`, `DataClassification` and `CostCenter` tags, each blank on a share of
//!   the resources;
//! - `Tax` (2.5%), `Credit` (1.5%) and `Fee` (1%) line items, `DiscountedUsage` and
//!   `SavingsPlanCoveredUsage` on the instance SKUs, and a few AWS Marketplace rows.
//!
//! Everything is drawn from SplitMix64 seeded by the seed, and every number is written with
//! integer arithmetic: the same options give the same bytes on every platform and with every
//! version of the dependencies.

mod catalog;

use std::io::{self, Write};

use catalog::{
    ACCOUNTS, Amount, CLASSIFICATIONS, COST_CENTERS, CREDITS, Commit, ENVIRONMENTS, GLOBAL, Id,
    MARKETPLACE, Name, PRODUCTS, PURPOSES, REGIONS, SUPPORT_CODE, SUPPORT_NAME, TEAMS,
};

/// The export shape to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ExportFormat {
    /// Legacy Cost and Usage Report (`lineItem/ProductCode`, `resourceTags/user:Team`).
    #[default]
    Cur,
    /// FOCUS 1.0 as AWS Data Exports writes it (`ServiceName`, `SubAccountId`, `Tags`).
    Focus,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Data rows (the header not counted).
    pub rows: u64,
    /// CUR or FOCUS.
    pub format: ExportFormat,
    /// Seed of the pseudo-random number generator.
    pub seed: u64,
    /// Size of the resource pool: the most distinct resource ids the file can hold.
    pub resources: u32,
    /// The shape knobs below, all off by default (then the bytes are those of earlier versions).
    pub shape: Shape,
}

/// Knobs that vary the shape of the data for benchmarks: quoting, width, groups, distinct
/// resources. They draw from their own random stream, so the rows stay the same otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shape {
    /// Percent of rows whose line-item description (usage rows) and extra attributes are quoted
    /// text with commas, doubled quotes and a line break, as real descriptions and product
    /// attributes can be.
    pub quoted_percent: u8,
    /// Extra product-attribute columns at the end of every row (`product/attribute1` ..., FOCUS
    /// `x_Attribute1` ...).
    pub extra_columns: u16,
    /// Variants of every team name (`payments-3`), drawn per resource: about this many times the
    /// groups. 0 or 1: the team names as they are.
    pub team_variants: u16,
    /// Percent of usage rows with a resource id whose resource is short-lived: an id of its own,
    /// never seen again (distinct resources then grow with rows).
    pub short_lived_percent: u8,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rows: 1000,
            format: ExportFormat::Cur,
            seed: 1,
            resources: DEFAULT_RESOURCES,
            shape: Shape::default(),
        }
    }
}

/// The default size of the resource pool.
pub const DEFAULT_RESOURCES: u32 = 50_000;

/// The legacy CUR header, in column order.
pub const CUR_HEADER: [&str; 35] = [
    "identity/LineItemId",
    "identity/TimeInterval",
    "bill/BillingEntity",
    "bill/BillType",
    "bill/PayerAccountId",
    "bill/BillingPeriodStartDate",
    "lineItem/UsageAccountId",
    "lineItem/LineItemType",
    "lineItem/UsageStartDate",
    "lineItem/UsageEndDate",
    "lineItem/ProductCode",
    "lineItem/UsageType",
    "lineItem/Operation",
    "lineItem/AvailabilityZone",
    "lineItem/ResourceId",
    "lineItem/UsageAmount",
    "lineItem/UnblendedRate",
    "lineItem/UnblendedCost",
    "lineItem/BlendedCost",
    "lineItem/LineItemDescription",
    "product/ProductName",
    "product/productFamily",
    "product/servicecode",
    "product/region",
    "product/location",
    "product/instanceType",
    "pricing/term",
    "pricing/unit",
    "pricing/publicOnDemandCost",
    "reservation/ReservationARN",
    "savingsPlan/SavingsPlanARN",
    "resourceTags/user:Team",
    "resourceTags/user:Environment",
    "resourceTags/user:DataClassification",
    "resourceTags/user:CostCenter",
];

/// The FOCUS header, in column order (the columns of the FinOps Foundation's FOCUS 1.0 sample of
/// AWS data, plus the `x_` columns AWS adds).
pub const FOCUS_HEADER: [&str; 46] = [
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_Operation",
    "x_ServiceCode",
    "x_UsageType",
];

/// The header of a format.
pub fn header(format: ExportFormat) -> &'static [&'static str] {
    match format {
        ExportFormat::Cur => &CUR_HEADER,
        ExportFormat::Focus => &FOCUS_HEADER,
    }
}

/// One service identifier the generator writes: the CUR product code and the FOCUS
/// `ServiceName` of the same rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceIdentifier {
    /// `lineItem/ProductCode`.
    pub product_code: &'static str,
    /// FOCUS `ServiceName` (AWS writes the product name).
    pub service_name: &'static str,
    /// Whether the rows are AWS Marketplace rows (`bill/BillingEntity` = AWS Marketplace): the
    /// product code is opaque and the importer reads the row as `AWS Marketplace`.
    pub marketplace: bool,
}

/// Every service identifier the generator can write, products first, then AWS Support and the
/// Marketplace products.
pub fn service_identifiers() -> Vec<ServiceIdentifier> {
    let mut out: Vec<ServiceIdentifier> = PRODUCTS
        .iter()
        .map(|p| ServiceIdentifier {
            product_code: p.code,
            service_name: p.name,
            marketplace: false,
        })
        .collect();
    out.push(ServiceIdentifier {
        product_code: SUPPORT_CODE,
        service_name: SUPPORT_NAME,
        marketplace: false,
    });
    out.extend(MARKETPLACE.iter().map(|m| ServiceIdentifier {
        product_code: m.code,
        service_name: m.focus_name,
        marketplace: true,
    }));
    out
}

/// Writes a whole export to `out` and returns the bytes written. `out` is written in large
/// chunks; wrap it in a `BufWriter` only if it is slow to write small pieces to.
pub fn write<W: Write>(opts: &Options, mut out: W) -> io::Result<u64> {
    const CHUNK: usize = 1 << 20;
    let mut generator = Generator::new(opts);
    let mut buf = Vec::with_capacity(CHUNK + 4096);
    generator.header(&mut buf);
    let mut total = 0u64;
    for _ in 0..opts.rows {
        generator.row(&mut buf);
        if buf.len() >= CHUNK {
            out.write_all(&buf)?;
            total += buf.len() as u64;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    total += buf.len() as u64;
    out.flush()?;
    Ok(total)
}

/// A whole export in memory.
pub fn to_vec(opts: &Options) -> Vec<u8> {
    let mut generator = Generator::new(opts);
    let mut buf = Vec::with_capacity(opts.rows as usize * 512 + 4096);
    generator.header(&mut buf);
    for _ in 0..opts.rows {
        generator.row(&mut buf);
    }
    buf
}

/// SplitMix64 (Steele, Lea and Flood 2014): tiny, fast, and defined here so that the output never
/// depends on a dependency's version.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (multiply-shift; the bias is far below anything a benchmark sees).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// An index into cumulative weights.
    fn pick(&mut self, cumulative: &[u64]) -> usize {
        let total = cumulative.last().copied().unwrap_or(0);
        let x = self.below(total.max(1));
        cumulative.partition_point(|&c| c <= x)
    }
}

/// Cumulative sums of weights.
fn cumulative(weights: impl Iterator<Item = u64>) -> Vec<u64> {
    weights
        .scan(0u64, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

/// Fixed-point money and quantities: 10 decimal places.
const SCALE: u64 = 10_000_000_000;

/// Parses a decimal such as `0.0104` into units of 1e-10.
fn parse_fixed(text: &str) -> u64 {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let mut v: u64 = int.bytes().fold(0, |a, b| a * 10 + u64::from(b - b'0')) * SCALE;
    let mut unit = SCALE / 10;
    for b in frac.bytes().take(10) {
        v += u64::from(b - b'0') * unit;
        unit /= 10;
    }
    v
}

/// An account of the organisation.
struct Account {
    id: String,
    name: String,
    team: u8,
    env: u8,
}

/// Text of a SKU in one Region, built once.
struct SkuText {
    usage_type: String,
    desc_cur: String,
    desc_focus: String,
    sku_id: String,
    price_id: String,
}

/// A SKU with everything the row writers need.
struct SkuRt {
    product: usize,
    sku: &'static catalog::Sku,
    rate: u64,
    rate_text: String,
    rate_focus: String,
    focus_unit: &'static str,
    service_code: &'static str,
    texts: Vec<SkuText>,
    pool_start: u32,
    pool_len: u32,
}

/// A resource of the pool (or, for SKUs without ids, an anonymous holder of attributes).
#[derive(Clone, Copy)]
struct Resource {
    id_start: u32,
    id_len: u32,
    size_gb: u32,
    account: u8,
    region: u8,
    az: u8,
    team: u8,
    env: u8,
    class: u8,
    cost_center: u8,
    /// Variant of the team name ([`Shape::team_variants`]).
    variant: u16,
}

/// No tag value.
const BLANK: u8 = u8::MAX;

/// Hour strings of the billing period.
struct Hours {
    /// `2026-09-14T03:00:00Z/2026-09-14T04:00:00Z`.
    interval: Vec<String>,
    /// `2026-09-14T03:00:00Z`.
    iso: Vec<String>,
    /// `2026-09-14 03:00:00`.
    focus: Vec<String>,
}

/// Hours in the billing period (September 2026).
const HOURS: usize = 720;

/// What a line item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Usage,
    DiscountedUsage,
    SavingsPlanCoveredUsage,
    Marketplace,
    Tax,
    Credit,
    SupportFee,
    ReservationFee,
}

/// One logical line item, before it is written in either shape.
struct Line {
    kind: Kind,
    /// Product index (usage, tax, credit, reservation fee).
    product: usize,
    sku: usize,
    resource: usize,
    blank_id: bool,
    hour: usize,
    amount: u64,
    cost: u64,
    /// Account of a tax, credit or fee row (usage rows take the resource's).
    account: usize,
    /// Region of a reservation fee.
    region: usize,
    /// Reservation or Savings Plan index; for a credit, the account its description names.
    commitment: usize,
    /// Marketplace product index.
    market: usize,
    /// Credit description index, or the reservation's subscription id.
    extra: u64,
    /// Bits of `identity/LineItemId`.
    id: [u64; 3],
    /// Quoted multi-line description and attributes ([`Shape::quoted_percent`]).
    quoted: bool,
    /// A short-lived resource's own number (0: the pool resource's id).
    fresh: u64,
}

/// The generator: the precomputed tables and the row stream.
pub struct Generator {
    format: ExportFormat,
    rng: Rng,
    payer: String,
    accounts: Vec<Account>,
    product_weights: Vec<u64>,
    product_blank: Vec<u64>,
    sku_first: Vec<usize>,
    sku_weights: Vec<Vec<u64>>,
    skus: Vec<SkuRt>,
    resources: Vec<Resource>,
    ids: Vec<u8>,
    account_weights: Vec<u64>,
    region_weights: Vec<u64>,
    hours: Hours,
    month_interval: String,
    month_start_iso: String,
    month_end_iso: String,
    reservations: Vec<String>,
    savings_plans: Vec<String>,
    marketplace_sku: usize,
    ec2_product: usize,
    rds_product: usize,
    shape: Shape,
    /// The shape knobs' own random stream.
    shape_rng: Rng,
    /// Short-lived resources so far.
    fresh: u64,
}

const HEX: &[u8; 16] = b"0123456789abcdef";
const UPPER: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn push_hex(s: &mut String, rng: &mut Rng, n: usize) {
    for _ in 0..n {
        s.push(char::from(HEX[rng.below(16) as usize]));
    }
}

fn push_upper(s: &mut String, rng: &mut Rng, n: usize) {
    for _ in 0..n {
        s.push(char::from(UPPER[rng.below(36) as usize]));
    }
}

fn push_uuid(s: &mut String, rng: &mut Rng) {
    for (i, n) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if i > 0 {
            s.push('-');
        }
        push_hex(s, rng, n);
    }
}

/// A CSV field as the legacy CUR writes it: quoted only when it must be.
fn csv_minimal(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// A CSV string field as the FOCUS export writes it: always quoted.
fn csv_quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The FOCUS unit for a CUR pricing unit.
fn focus_unit(unit: &str) -> &str {
    match unit {
        "Hrs" | "hours" => "Hours",
        "GB-Mo" => "GB-Months",
        other => other,
    }
}

impl Generator {
    /// Builds the tables for `opts` and positions the row stream at the first row.
    pub fn new(opts: &Options) -> Generator {
        let mut setup = Rng(opts.seed ^ 0xA076_1D64_78BD_642F);
        let payer = account_id(&mut setup);
        let accounts: Vec<Account> = (0..ACCOUNTS)
            .map(|i| {
                let team = (i % TEAMS.len()) as u8;
                let env = ((i / TEAMS.len()) % 4) as u8;
                Account {
                    id: account_id(&mut setup),
                    name: format!(
                        "{}-{}",
                        TEAMS[usize::from(team)],
                        ENVIRONMENTS[usize::from(env)]
                    ),
                    team,
                    env,
                }
            })
            .collect();
        // Account k carries weight 40 - k: a few large accounts, a long tail.
        let account_weights = cumulative((0..ACCOUNTS as u64).map(|k| ACCOUNTS as u64 - k));
        let region_weights = cumulative(REGIONS[..GLOBAL].iter().map(|r| u64::from(r.weight)));

        let mut skus = Vec::new();
        let mut sku_first = Vec::new();
        let mut sku_weights = Vec::new();
        for (p, product) in PRODUCTS.iter().enumerate() {
            sku_first.push(skus.len());
            sku_weights.push(cumulative(product.skus.iter().map(|s| u64::from(s.weight))));
            for (k, sku) in product.skus.iter().enumerate() {
                let texts = (0..REGIONS.len())
                    .map(|r| sku_text(product, sku, r, (p * 16 + k) as u64))
                    .collect();
                let rate = parse_fixed(sku.rate);
                let mut rate_text = String::new();
                let mut rate_focus = String::new();
                push_str_dec(&mut rate_text, rate, 1);
                push_str_fixed(&mut rate_focus, rate, 11);
                skus.push(SkuRt {
                    product: p,
                    sku,
                    rate,
                    rate_text,
                    rate_focus,
                    focus_unit: focus_unit(sku.unit),
                    service_code: if sku.svc.is_empty() {
                        product.code
                    } else {
                        sku.svc
                    },
                    texts,
                    pool_start: 0,
                    pool_len: 0,
                });
            }
        }
        let product_weights = cumulative(PRODUCTS.iter().map(|p| u64::from(p.weight)));
        // Marketplace software runs on m5.large instances of the EC2 pool.
        let ec2_product = product_index("AmazonEC2");
        let marketplace_sku = sku_first[ec2_product]
            + PRODUCTS[ec2_product]
                .skus
                .iter()
                .position(|s| s.usage == "BoxUsage:m5.large")
                .unwrap_or(0);
        let product_blank = PRODUCTS.iter().map(|p| u64::from(p.blank)).collect();

        let mut generator = Generator {
            format: opts.format,
            rng: Rng(opts.seed),
            payer,
            accounts,
            product_weights,
            product_blank,
            sku_first,
            sku_weights,
            skus,
            resources: Vec::new(),
            ids: Vec::new(),
            account_weights,
            region_weights,
            hours: hours(),
            month_interval: "2026-09-01T00:00:00Z/2026-10-01T00:00:00Z".to_owned(),
            month_start_iso: "2026-09-01T00:00:00Z".to_owned(),
            month_end_iso: "2026-10-01T00:00:00Z".to_owned(),
            reservations: Vec::new(),
            savings_plans: Vec::new(),
            marketplace_sku,
            ec2_product,
            rds_product: product_index("AmazonRDS"),
            shape: opts.shape,
            shape_rng: Rng(opts.seed ^ 0x5348_4150_4553_2026),
            fresh: 0,
        };
        generator.build_pool(&mut setup, opts.resources);
        generator.build_commitments(&mut setup);
        generator
    }

    /// Splits the resource pool among the SKUs that have resource ids, by row share.
    fn build_pool(&mut self, rng: &mut Rng, resources: u32) {
        let total_product: u64 = PRODUCTS.iter().map(|p| u64::from(p.weight)).sum();
        let share = |s: &SkuRt| -> u64 {
            let product = &PRODUCTS[s.product];
            let sku_total: u64 = product.skus.iter().map(|k| u64::from(k.weight)).sum();
            u64::from(product.weight) * u64::from(s.sku.weight) * 1_000_000
                / sku_total.max(1)
                / total_product.max(1)
        };
        let total_share: u64 = self
            .skus
            .iter()
            .filter(|s| !matches!(s.sku.id, Id::None))
            .map(share)
            .sum();
        for i in 0..self.skus.len() {
            let with_ids = !matches!(self.skus[i].sku.id, Id::None);
            let n = if with_ids {
                (u64::from(resources) * share(&self.skus[i]) / total_share.max(1)).max(1)
            } else {
                64
            };
            self.skus[i].pool_start = self.resources.len() as u32;
            self.skus[i].pool_len = n as u32;
            for _ in 0..n {
                let mut r = self.new_resource(rng, i, with_ids);
                if self.shape.team_variants > 1 {
                    r.variant = self.shape_rng.below(u64::from(self.shape.team_variants)) as u16;
                }
                self.resources.push(r);
            }
        }
    }

    fn new_resource(&mut self, rng: &mut Rng, sku: usize, with_id: bool) -> Resource {
        let s = &self.skus[sku];
        let product = &PRODUCTS[s.product];
        let account = rng.pick(&self.account_weights);
        let region = if product.global {
            GLOBAL
        } else {
            rng.pick(&self.region_weights)
        };
        let acct = &self.accounts[account];
        let team = match rng.below(100) {
            0..15 => BLANK,
            15..22 => rng.below(TEAMS.len() as u64) as u8,
            _ => acct.team,
        };
        let env = match rng.below(100) {
            0..10 => BLANK,
            10..18 => rng.below(ENVIRONMENTS.len() as u64) as u8,
            _ => acct.env,
        };
        let class = match rng.below(100) {
            0..35 => BLANK,
            35..45 => 0,
            45..74 => 1,
            74..91 => 2,
            _ => 3,
        };
        let cost_center = if rng.below(100) < 25 {
            BLANK
        } else {
            rng.below(u64::from(COST_CENTERS)) as u8
        };
        const SIZES: [u32; 10] = [8, 20, 30, 50, 100, 200, 500, 1000, 2000, 8000];
        let size_gb = SIZES[rng.below(SIZES.len() as u64) as usize];
        let az = rng.below(3) as u8;
        let id_start = self.ids.len() as u32;
        if with_id {
            let team_name = TEAMS[usize::from(if team == BLANK { acct.team } else { team })];
            let env_name = ENVIRONMENTS[usize::from(if env == BLANK { acct.env } else { env })];
            let id = resource_id(
                rng,
                &s.sku.id,
                REGIONS[region].code,
                &acct.id,
                team_name,
                env_name,
            );
            self.ids.extend_from_slice(id.as_bytes());
        }
        Resource {
            id_start,
            id_len: self.ids.len() as u32 - id_start,
            size_gb,
            account: account as u8,
            region: region as u8,
            az,
            team,
            env,
            class,
            cost_center,
            variant: 0,
        }
    }

    /// Reserved Instances (two per Region) and Savings Plans (three) of the payer.
    fn build_commitments(&mut self, rng: &mut Rng) {
        for region in &REGIONS[..GLOBAL] {
            for _ in 0..2 {
                let mut s = format!(
                    "arn:aws:ec2:{}:{}:reserved-instances/",
                    region.code, self.payer
                );
                push_uuid(&mut s, rng);
                self.reservations.push(s);
            }
        }
        for _ in 0..3 {
            let mut s = format!("arn:aws:savingsplans::{}:savingsplan/", self.payer);
            push_uuid(&mut s, rng);
            self.savings_plans.push(s);
        }
    }

    /// Appends the header line.
    pub fn header(&self, buf: &mut Vec<u8>) {
        let quote = self.format == ExportFormat::Focus;
        let extra = (1..=self.shape.extra_columns).map(|k| match self.format {
            ExportFormat::Cur => format!("product/attribute{k}"),
            ExportFormat::Focus => format!("x_Attribute{k}"),
        });
        let names = header(self.format)
            .iter()
            .map(|&n| n.to_owned())
            .chain(extra);
        for (i, name) in names.enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            if quote {
                buf.push(b'"');
                buf.extend_from_slice(name.as_bytes());
                buf.push(b'"');
            } else {
                buf.extend_from_slice(name.as_bytes());
            }
        }
        buf.push(b'\n');
    }

    /// Appends the next data row.
    pub fn row(&mut self, buf: &mut Vec<u8>) {
        let line = self.next_line();
        match self.format {
            ExportFormat::Cur => self.write_cur(&line, buf),
            ExportFormat::Focus => self.write_focus(&line, buf),
        }
        if self.shape.extra_columns > 0 {
            // The row ends with its line feed: the attributes go before it.
            buf.pop();
            for k in 1..=self.shape.extra_columns {
                buf.push(b',');
                let quoted = line.quoted && k % 3 == 1;
                let focus = self.format == ExportFormat::Focus;
                if quoted || focus {
                    buf.push(b'"');
                }
                put(buf, "Attribute ");
                put_u64(buf, u64::from(k));
                put(
                    buf,
                    if k % 2 == 0 {
                        " standard"
                    } else {
                        " general purpose"
                    },
                );
                if quoted {
                    put(buf, QUOTED_NOTE);
                }
                if quoted || focus {
                    buf.push(b'"');
                }
            }
            buf.push(b'\n');
        }
    }

    /// A CSV field (quoted or not) as a quoted one with [`QUOTED_NOTE`] inside.
    fn put_with_note(b: &mut Vec<u8>, field: &str) {
        match field.strip_suffix('"') {
            Some(open) if field.starts_with('"') => put(b, open),
            _ => {
                b.push(b'"');
                put(b, field);
            }
        }
        put(b, QUOTED_NOTE);
        b.push(b'"');
    }

    /// The team tag's value of a resource.
    fn put_team(&self, b: &mut Vec<u8>, res: &Resource) {
        put(b, TEAMS[usize::from(res.team)]);
        if self.shape.team_variants > 1 {
            b.push(b'-');
            put_u64(b, u64::from(res.variant));
        }
    }

    /// The resource id of a line, with a short-lived resource's number.
    fn put_resource_id(&self, b: &mut Vec<u8>, line: &Line, res: &Resource) {
        b.extend_from_slice(self.resource_id(res));
        if line.fresh > 0 {
            put(b, "-s");
            put_hex(b, line.fresh, 8);
        }
    }

    fn next_line(&mut self) -> Line {
        let rng = &mut self.rng;
        let id = [rng.next(), rng.next(), rng.next()];
        let roll = rng.below(10_000);
        let hour = rng.below(HOURS as u64) as usize;
        let mut line = Line {
            kind: Kind::Usage,
            product: 0,
            sku: 0,
            resource: 0,
            blank_id: false,
            hour,
            amount: 0,
            cost: 0,
            account: 0,
            region: GLOBAL,
            commitment: 0,
            market: 0,
            extra: 0,
            id,
            quoted: false,
            fresh: 0,
        };
        match roll {
            0..250 => {
                line.kind = Kind::Tax;
                line.product = rng.pick(&self.product_weights);
                line.account = rng.pick(&self.account_weights);
                line.cost = log_amount(rng, 7, 10);
            }
            250..400 => {
                line.kind = Kind::Credit;
                line.product = rng.pick(&self.product_weights);
                line.account = rng.pick(&self.account_weights);
                line.cost = log_amount(rng, 8, 11);
                line.extra = rng.below(CREDITS.len() as u64);
                line.commitment = rng.pick(&self.account_weights);
            }
            400..460 => {
                line.kind = Kind::SupportFee;
                line.account = rng.pick(&self.account_weights);
                line.cost = log_amount(rng, 10, 11);
            }
            460..500 => {
                line.kind = Kind::ReservationFee;
                line.product = if rng.below(10) < 3 {
                    self.rds_product
                } else {
                    self.ec2_product
                };
                line.account = rng.pick(&self.account_weights);
                line.region = rng.pick(&self.region_weights);
                line.cost = log_amount(rng, 10, 11);
                line.commitment = line.region * 2 + rng.below(2) as usize;
                line.extra = 1_000_000_000 + rng.below(9_000_000_000);
            }
            500..530 => {
                line.kind = Kind::Marketplace;
                line.market = rng.below(MARKETPLACE.len() as u64) as usize;
                line.sku = self.marketplace_sku;
                let s = &self.skus[line.sku];
                line.resource = (s.pool_start + rng.below(u64::from(s.pool_len)) as u32) as usize;
                line.amount = SCALE;
                line.cost = mul_rate(parse_fixed(MARKETPLACE[line.market].rate), SCALE);
            }
            _ => {
                let p = rng.pick(&self.product_weights);
                let k = rng.pick(&self.sku_weights[p]);
                let i = self.sku_first[p] + k;
                let s = &self.skus[i];
                line.product = p;
                line.sku = i;
                line.resource = (s.pool_start + rng.below(u64::from(s.pool_len)) as u32) as usize;
                line.blank_id =
                    matches!(s.sku.id, Id::None) || rng.below(100) < self.product_blank[p];
                let res = &self.resources[line.resource];
                line.amount = match s.sku.amount {
                    Amount::Hour => {
                        if rng.below(100) < 92 {
                            SCALE
                        } else {
                            (1 + rng.below(59)) * SCALE / 60
                        }
                    }
                    Amount::Storage => u64::from(res.size_gb) * SCALE / HOURS as u64,
                    Amount::Month => SCALE / HOURS as u64,
                    Amount::Log(lo, hi) => log_amount(rng, lo, hi),
                };
                line.cost = mul_rate(s.rate, line.amount);
                let roll = rng.below(100);
                line.kind = match (s.sku.commit, roll) {
                    (Commit::Ri | Commit::Both, 0..20) => Kind::DiscountedUsage,
                    (Commit::Both, 20..45) | (Commit::Sp, 0..30) => Kind::SavingsPlanCoveredUsage,
                    _ => Kind::Usage,
                };
                if line.kind == Kind::DiscountedUsage {
                    line.commitment =
                        usize::from(res.region).min(GLOBAL - 1) * 2 + rng.below(2) as usize;
                } else if line.kind == Kind::SavingsPlanCoveredUsage {
                    line.commitment = rng.below(self.savings_plans.len() as u64) as usize;
                }
            }
        }
        let shape = self.shape;
        if shape.quoted_percent > 0 {
            line.quoted = self.shape_rng.below(100) < u64::from(shape.quoted_percent);
        }
        let identified = matches!(
            line.kind,
            Kind::Usage | Kind::DiscountedUsage | Kind::SavingsPlanCoveredUsage
        ) && !line.blank_id;
        if shape.short_lived_percent > 0
            && identified
            && self.shape_rng.below(100) < u64::from(shape.short_lived_percent)
        {
            self.fresh += 1;
            line.fresh = self.fresh;
        }
        line
    }

    fn write_cur(&self, line: &Line, b: &mut Vec<u8>) {
        put_hex(b, line.id[0], 16);
        put_hex(b, line.id[1], 16);
        put_hex(b, line.id[2], 8);
        b.push(b',');
        let usage_row = matches!(
            line.kind,
            Kind::Usage | Kind::DiscountedUsage | Kind::SavingsPlanCoveredUsage | Kind::Marketplace
        );
        let (interval, start, end) = if usage_row {
            (
                &self.hours.interval[line.hour],
                &self.hours.iso[line.hour],
                &self.hours.iso[line.hour + 1],
            )
        } else {
            (
                &self.month_interval,
                &self.month_start_iso,
                &self.month_end_iso,
            )
        };
        put(b, interval);
        b.push(b',');
        put(
            b,
            if line.kind == Kind::Marketplace {
                "AWS Marketplace,"
            } else {
                "AWS,"
            },
        );
        put(
            b,
            if line.kind == Kind::ReservationFee {
                "Purchase,"
            } else {
                "Anniversary,"
            },
        );
        put(b, &self.payer);
        put(b, ",2026-09-01T00:00:00Z,");
        if usage_row {
            self.write_cur_usage(line, b, start, end);
        } else {
            self.write_cur_charge(line, b, start, end);
        }
    }

    fn write_cur_usage(&self, line: &Line, b: &mut Vec<u8>, start: &str, end: &str) {
        let s = &self.skus[line.sku];
        let res = &self.resources[line.resource];
        let region = usize::from(res.region);
        let text = &s.texts[region];
        let market = (line.kind == Kind::Marketplace).then(|| &MARKETPLACE[line.market]);
        let product = &PRODUCTS[s.product];
        put(b, &self.accounts[usize::from(res.account)].id);
        put(
            b,
            match line.kind {
                Kind::DiscountedUsage => ",DiscountedUsage,",
                Kind::SavingsPlanCoveredUsage => ",SavingsPlanCoveredUsage,",
                _ => ",Usage,",
            },
        );
        put(b, start);
        b.push(b',');
        put(b, end);
        b.push(b',');
        put(b, market.map_or(product.code, |m| m.code));
        b.push(b',');
        if market.is_some() {
            put_region_prefix(b, region);
            put(b, "SoftwareUsage:m5.large");
        } else {
            put(b, &text.usage_type);
        }
        b.push(b',');
        put(b, s.sku.op);
        b.push(b',');
        if s.sku.az {
            put(b, REGIONS[region].code);
            b.push(b'a' + res.az);
        }
        b.push(b',');
        if !line.blank_id {
            self.put_resource_id(b, line, res);
        }
        b.push(b',');
        put_dec(b, line.amount, false, 1);
        b.push(b',');
        let (rate_text, cost, blended) = match line.kind {
            Kind::DiscountedUsage => ("0.0", 0, line.cost / 10 * 6),
            Kind::Marketplace => (market.map_or("", |m| m.rate), line.cost, line.cost),
            _ => (s.rate_text.as_str(), line.cost, line.cost),
        };
        put(b, rate_text);
        b.push(b',');
        put_dec(b, cost, false, 1);
        b.push(b',');
        put_dec(b, blended, false, 1);
        b.push(b',');
        match market {
            Some(m) => {
                put(b, "AWS Marketplace hourly software usage|");
                put(b, REGIONS[region].code);
                put(b, "|m5.large,");
                put(b, &csv_minimal(m.name));
                put(b, ",,,");
            }
            None => {
                if line.quoted {
                    Self::put_with_note(b, &text.desc_cur);
                } else {
                    put(b, &text.desc_cur);
                }
                b.push(b',');
                put(b, product.name);
                b.push(b',');
                put(b, s.sku.family);
                b.push(b',');
                put(b, s.service_code);
                b.push(b',');
            }
        }
        put(b, REGIONS[region].code);
        b.push(b',');
        put(b, REGIONS[region].name);
        b.push(b',');
        put(b, s.sku.itype);
        put(
            b,
            if line.kind == Kind::DiscountedUsage {
                ",Reserved,"
            } else {
                ",OnDemand,"
            },
        );
        put(b, s.sku.unit);
        b.push(b',');
        put_dec(b, line.cost, false, 1);
        b.push(b',');
        if line.kind == Kind::DiscountedUsage {
            put(b, &self.reservations[line.commitment]);
        }
        b.push(b',');
        if line.kind == Kind::SavingsPlanCoveredUsage {
            put(b, &self.savings_plans[line.commitment]);
        }
        b.push(b',');
        if res.team != BLANK {
            self.put_team(b, res);
        }
        for (value, list) in [(res.env, ENVIRONMENTS), (res.class, CLASSIFICATIONS)] {
            b.push(b',');
            if value != BLANK {
                put(b, list[usize::from(value)]);
            }
        }
        b.push(b',');
        if res.cost_center != BLANK {
            put(b, "CC-");
            put_u64(b, 1001 + u64::from(res.cost_center));
        }
        b.push(b'\n');
    }

    /// Tax, credit and fee rows: monthly, no resource, no tags.
    fn write_cur_charge(&self, line: &Line, b: &mut Vec<u8>, start: &str, end: &str) {
        let product = &PRODUCTS[line.product];
        let (code, name) = if line.kind == Kind::SupportFee {
            (SUPPORT_CODE, SUPPORT_NAME)
        } else {
            (product.code, product.name)
        };
        put(b, &self.accounts[line.account].id);
        put(
            b,
            match line.kind {
                Kind::Tax => ",Tax,",
                Kind::Credit => ",Credit,",
                _ => ",Fee,",
            },
        );
        put(b, start);
        b.push(b',');
        put(b, end);
        b.push(b',');
        put(b, code);
        b.push(b',');
        let negative = line.kind == Kind::Credit;
        // Usage type, operation, zone, resource id, amount and rate.
        match line.kind {
            Kind::ReservationFee => {
                put_region_prefix(b, line.region);
                put(
                    b,
                    if line.product == self.ec2_product {
                        "HeavyUsage:m5.large,RunInstances,,,1.0,"
                    } else {
                        "HeavyUsage:db.r6g.large,CreateDBInstance:0014,,,1.0,"
                    },
                );
                put_dec(b, line.cost, false, 1);
                b.push(b',');
            }
            Kind::SupportFee => put(b, "Dollar,,,,,,"),
            _ => put(b, ",,,,,,"),
        }
        put_dec(b, line.cost, negative, 1);
        b.push(b',');
        put_dec(b, line.cost, negative, 1);
        b.push(b',');
        match line.kind {
            Kind::Tax => {
                put(b, "Tax for product code ");
                put(b, code);
            }
            Kind::Credit => self.put_credit_description(b, line, false),
            Kind::SupportFee => put(b, "\"AWS Support (Business), 10% of monthly usage\""),
            _ => {
                put(b, "\"Sign up charge for subscription: ");
                put_u64(b, line.extra);
                put(b, ", planId: ");
                put_u64(b, 2236 + line.extra % 97);
                b.push(b'"');
            }
        }
        b.push(b',');
        put(b, name);
        match line.kind {
            Kind::ReservationFee => {
                put(b, ",,");
                put(b, code);
                b.push(b',');
                put(b, REGIONS[line.region].code);
                b.push(b',');
                put(b, REGIONS[line.region].name);
                put(b, ",,Reserved,Quantity,,");
                put(b, &self.reservations[line.commitment]);
                put(b, ",,,,,\n");
            }
            Kind::SupportFee => put(b, ",AWS Support,,,,,,,,,,,,,\n"),
            _ => put(b, ",,,,,,,,,,,,,,\n"),
        }
    }

    fn put_credit_description(&self, b: &mut Vec<u8>, line: &Line, focus: bool) {
        let text = CREDITS[line.extra as usize];
        let (head, tail) = match text.split_once("{acct}") {
            Some((h, t)) => (h, Some(t)),
            None => (text, None),
        };
        let quoted = focus || text.contains(',');
        if quoted {
            b.push(b'"');
        }
        put(b, head);
        if let Some(tail) = tail {
            put(b, &self.accounts[line.commitment].id);
            put(b, tail);
        }
        if quoted {
            b.push(b'"');
        }
    }

    fn resource_id(&self, res: &Resource) -> &[u8] {
        let start = res.id_start as usize;
        &self.ids[start..start + res.id_len as usize]
    }

    fn write_focus(&self, line: &Line, b: &mut Vec<u8>) {
        let usage_row = matches!(
            line.kind,
            Kind::Usage | Kind::DiscountedUsage | Kind::SavingsPlanCoveredUsage | Kind::Marketplace
        );
        if usage_row {
            self.write_focus_usage(line, b);
        } else {
            self.write_focus_charge(line, b);
        }
    }

    fn write_focus_usage(&self, line: &Line, b: &mut Vec<u8>) {
        let s = &self.skus[line.sku];
        let res = &self.resources[line.resource];
        let region = usize::from(res.region);
        let text = &s.texts[region];
        let market = (line.kind == Kind::Marketplace).then(|| &MARKETPLACE[line.market]);
        let product = &PRODUCTS[s.product];
        let account = &self.accounts[usize::from(res.account)];
        // AvailabilityZone
        if s.sku.az {
            b.push(b'"');
            put(b, REGIONS[region].code);
            b.push(b'a' + res.az);
            put(b, "\",");
        } else {
            put(b, "NULL,");
        }
        let (billed, effective) = match line.kind {
            Kind::DiscountedUsage => (0, line.cost / 10 * 6),
            Kind::SavingsPlanCoveredUsage => (0, line.cost / 10 * 7),
            _ => (line.cost, line.cost),
        };
        put_fixed(b, billed, false, 11);
        b.push(b',');
        self.put_focus_billing(b);
        put(b, "\"Usage\",NULL,");
        match market {
            Some(_) => {
                put(b, "\"AWS Marketplace hourly software usage|");
                put(b, REGIONS[region].code);
                put(b, "|m5.large\"");
            }
            None if line.quoted => Self::put_with_note(b, &text.desc_focus),
            None => put(b, &text.desc_focus),
        }
        put(b, ",\"Usage-Based\",\"");
        put(b, &self.hours.focus[line.hour + 1]);
        put(b, "\",\"");
        put(b, &self.hours.focus[line.hour]);
        put(b, "\",");
        match line.kind {
            Kind::DiscountedUsage => {
                put(b, "\"Usage\",\"");
                put(b, &self.reservations[line.commitment]);
                put(b, "\",NULL,\"Used\",\"Reserved Instance\",");
            }
            Kind::SavingsPlanCoveredUsage => {
                put(b, "\"Spend\",\"");
                put(b, &self.savings_plans[line.commitment]);
                put(b, "\",NULL,\"Used\",\"Savings Plan\",");
            }
            _ => put(b, "NULL,NULL,NULL,NULL,NULL,"),
        }
        put_fixed(b, line.amount, false, 15);
        put(b, ",\"");
        put(b, s.focus_unit);
        put(b, "\",");
        put_fixed(b, line.cost, false, 11);
        b.push(b',');
        match market {
            Some(m) => put_fixed(b, parse_fixed(m.rate), false, 11),
            None => put(b, &s.rate_focus),
        }
        b.push(b',');
        put_fixed(b, effective, false, 11);
        put(b, ",\"Amazon Web Services, Inc.\",");
        put_fixed(b, line.cost, false, 11);
        put(b, ",\"");
        put(b, market.map_or(s.sku.rate, |m| m.rate));
        put(
            b,
            if matches!(
                line.kind,
                Kind::DiscountedUsage | Kind::SavingsPlanCoveredUsage
            ) {
                "\",\"Committed\","
            } else {
                "\",\"Standard\","
            },
        );
        put_fixed(b, line.amount, false, 11);
        put(b, ",\"");
        put(b, s.focus_unit);
        put(b, "\",\"AWS\",\"");
        put(
            b,
            market.map_or("Amazon Web Services, Inc.", |m| m.publisher),
        );
        put(b, "\",\"");
        put(b, REGIONS[region].code);
        if region == GLOBAL {
            put(b, "\",NULL,");
        } else {
            put(b, "\",\"");
            put(b, REGIONS[region].name);
            put(b, "\",");
        }
        if line.blank_id {
            put(b, "NULL,");
        } else {
            b.push(b'"');
            self.put_resource_id(b, line, res);
            put(b, "\",");
        }
        put(b, "NULL,");
        if s.sku.ftype.is_empty() || line.blank_id {
            put(b, "NULL,\"");
        } else {
            b.push(b'"');
            put(b, s.sku.ftype);
            put(b, "\",\"");
        }
        match market {
            Some(m) => {
                put(b, "Other\",\"");
                put(b, m.focus_name);
                put(b, "\",\"");
                put(b, &text.sku_id);
                put(b, "\",\"");
                put(b, &text.sku_id);
                put(b, ".4799GE89SK.6YS6EN2CT7\",\"");
            }
            None => {
                put(b, product.category);
                put(b, "\",\"");
                put(b, product.name);
                put(b, "\",\"");
                put(b, &text.sku_id);
                put(b, "\",\"");
                put(b, &text.price_id);
                put(b, "\",\"");
            }
        }
        put(b, &account.id);
        put(b, "\",\"");
        put(b, &account.name);
        put(b, "\",");
        self.put_focus_tags(b, res);
        if s.sku.op.is_empty() {
            put(b, ",NULL,\"");
        } else {
            put(b, ",\"");
            put(b, s.sku.op);
            put(b, "\",\"");
        }
        put(b, market.map_or(s.service_code, |m| m.code));
        put(b, "\",\"");
        if market.is_some() {
            put_region_prefix(b, region);
            put(b, "SoftwareUsage:m5.large");
        } else {
            put(b, &text.usage_type);
        }
        put(b, "\"\n");
    }

    fn write_focus_charge(&self, line: &Line, b: &mut Vec<u8>) {
        let product = &PRODUCTS[line.product];
        let name = if line.kind == Kind::SupportFee {
            SUPPORT_NAME
        } else {
            product.name
        };
        let negative = line.kind == Kind::Credit;
        put(b, "NULL,");
        put_fixed(b, line.cost, negative, 11);
        b.push(b',');
        self.put_focus_billing(b);
        put(
            b,
            match line.kind {
                Kind::Tax => "\"Tax\",NULL,",
                Kind::Credit => "\"Credit\",NULL,",
                _ => "\"Purchase\",NULL,",
            },
        );
        match line.kind {
            Kind::Tax => {
                put(b, "\"Tax for product code ");
                put(b, product.code);
                b.push(b'"');
            }
            Kind::Credit => self.put_credit_description(b, line, true),
            Kind::SupportFee => put(b, "\"AWS Support (Business), 10% of monthly usage\""),
            _ => {
                put(b, "\"Sign up charge for subscription: ");
                put_u64(b, line.extra);
                put(b, ", planId: ");
                put_u64(b, 2236 + line.extra % 97);
                b.push(b'"');
            }
        }
        put(
            b,
            if line.kind == Kind::SupportFee {
                ",\"Recurring\","
            } else {
                ",\"One-Time\","
            },
        );
        put(b, "\"2026-10-01 00:00:00\",\"2026-09-01 00:00:00\",");
        if line.kind == Kind::ReservationFee {
            put(b, "\"Usage\",\"");
            put(b, &self.reservations[line.commitment]);
            put(b, "\",NULL,NULL,\"Reserved Instance\",");
        } else {
            put(b, "NULL,NULL,NULL,NULL,NULL,");
        }
        put(b, "NULL,NULL,");
        put_fixed(b, line.cost, negative, 11);
        put(b, ",NULL,");
        put_fixed(b, line.cost, negative, 11);
        put(b, ",\"Amazon Web Services, Inc.\",");
        put_fixed(b, line.cost, negative, 11);
        put(
            b,
            match line.kind {
                Kind::Tax => ",NULL,NULL,NULL,NULL,",
                Kind::Credit => ",NULL,\"Other\",NULL,NULL,",
                _ => ",NULL,\"Standard\",NULL,NULL,",
            },
        );
        put(b, "\"AWS\",\"Amazon Web Services, Inc.\",");
        if line.kind == Kind::ReservationFee {
            b.push(b'"');
            put(b, REGIONS[line.region].code);
            put(b, "\",\"");
            put(b, REGIONS[line.region].name);
            put(b, "\",");
        } else {
            put(b, "NULL,NULL,");
        }
        put(b, "NULL,NULL,NULL,\"");
        put(
            b,
            if line.kind == Kind::SupportFee {
                "Other"
            } else {
                product.category
            },
        );
        put(b, "\",\"");
        put(b, name);
        put(b, "\",NULL,NULL,\"");
        let account = &self.accounts[line.account];
        put(b, &account.id);
        put(b, "\",\"");
        put(b, &account.name);
        put(b, "\",NULL,NULL,\"");
        put(
            b,
            if line.kind == Kind::SupportFee {
                SUPPORT_CODE
            } else {
                product.code
            },
        );
        put(b, "\",NULL\n");
    }

    fn put_focus_billing(&self, b: &mut Vec<u8>) {
        b.push(b'"');
        put(b, &self.payer);
        put(
            b,
            "\",\"Northwind Traders\",\"USD\",\"2026-10-01 00:00:00\",\"2026-09-01 00:00:00\",",
        );
    }

    /// `{"Team": "payments", "Environment": "prod", ...}` as a quoted CSV field, or `NULL`.
    fn put_focus_tags(&self, b: &mut Vec<u8>, res: &Resource) {
        let mut first = true;
        let mut cc = String::new();
        if res.cost_center != BLANK {
            cc = format!("CC-{}", 1001 + u32::from(res.cost_center));
        }
        let pairs = [
            ("Team", res.team, TEAMS),
            ("Environment", res.env, ENVIRONMENTS),
            ("DataClassification", res.class, CLASSIFICATIONS),
        ];
        for (key, value, list) in pairs {
            if value == BLANK {
                continue;
            }
            put(b, if first { "\"{\"\"" } else { ", \"\"" });
            first = false;
            put(b, key);
            put(b, "\"\": \"\"");
            if key == "Team" {
                self.put_team(b, res);
            } else {
                put(b, list[usize::from(value)]);
            }
            put(b, "\"\"");
        }
        if !cc.is_empty() {
            put(b, if first { "\"{\"\"" } else { ", \"\"" });
            first = false;
            put(b, "CostCenter\"\": \"\"");
            put(b, &cc);
            put(b, "\"\"");
        }
        if first {
            put(b, "NULL");
        } else {
            put(b, "}\"");
        }
    }
}

/// What [`Shape::quoted_percent`] adds inside a quoted field: commas, doubled quotes, a line feed.
const QUOTED_NOTE: &str =
    "; note: reviewed, \"\"approved\"\" by finance\nsecond line, see ticket 4711";

/// Index of a product in [`PRODUCTS`] by its code (0 if absent).
fn product_index(code: &str) -> usize {
    PRODUCTS.iter().position(|p| p.code == code).unwrap_or(0)
}

/// A 12-digit account id.
fn account_id(rng: &mut Rng) -> String {
    (100_000_000_000 + rng.below(900_000_000_000)).to_string()
}

/// Usage type, descriptions and SKU ids of a SKU in a Region.
fn sku_text(product: &catalog::Product, sku: &catalog::Sku, region: usize, salt: u64) -> SkuText {
    let r = &REGIONS[region];
    let usage_type = if product.global || region == 0 || region == GLOBAL {
        sku.usage.to_owned()
    } else {
        format!("{}-{}", r.prefix, sku.usage)
    };
    let desc = sku
        .desc
        .replace("{rate}", &format!("${}", sku.rate))
        .replace("{loc}", r.name);
    let mut rng = Rng(salt.wrapping_mul(31).wrapping_add(region as u64) ^ 0x5EED_5EED);
    let mut sku_id = String::new();
    push_upper(&mut sku_id, &mut rng, 16);
    let price_id = format!("{sku_id}.JRTCKXETXF.6YS6EN2CT7");
    SkuText {
        usage_type,
        desc_cur: csv_minimal(&desc),
        desc_focus: csv_quoted(&desc),
        sku_id,
        price_id,
    }
}

/// A resource id of the given shape.
fn resource_id(
    rng: &mut Rng,
    id: &Id,
    region: &str,
    account: &str,
    team: &str,
    env: &str,
) -> String {
    let words = |rng: &mut Rng| {
        format!(
            "{team}-{}-{env}-{}",
            PURPOSES[rng.below(PURPOSES.len() as u64) as usize],
            rng.below(1000)
        )
    };
    match *id {
        Id::None => String::new(),
        Id::Hex(prefix, n) => {
            let mut s = prefix.to_owned();
            push_hex(&mut s, rng, usize::from(n));
            s
        }
        Id::Bucket => format!("{}-{}", words(rng), &account[8..]),
        Id::Arn {
            ns,
            regional,
            account: with_account,
            res,
            name,
        } => {
            let mut s = format!(
                "arn:aws:{ns}:{}:{}:{res}",
                if regional { region } else { "" },
                if with_account { account } else { "" }
            );
            match name {
                Name::Words => s.push_str(&words(rng)),
                Name::Hex(n) => push_hex(&mut s, rng, usize::from(n)),
                Name::Upper(n) => push_upper(&mut s, rng, usize::from(n)),
                Name::Uuid => push_uuid(&mut s, rng),
                Name::WordsUuid => {
                    s.push_str(&words(rng));
                    s.push('/');
                    push_uuid(&mut s, rng);
                }
                Name::WordsHex(n) => {
                    s.push_str(&words(rng));
                    s.push('/');
                    push_hex(&mut s, rng, usize::from(n));
                }
                Name::Literal(text) => s.push_str(text),
            }
            s
        }
    }
}

/// The hour strings of September 2026 (721 instants, 720 intervals).
fn hours() -> Hours {
    let mut iso = Vec::with_capacity(HOURS + 1);
    let mut focus = Vec::with_capacity(HOURS + 1);
    for h in 0..=HOURS {
        let (month, day, hour) = if h == HOURS {
            (10, 1, 0)
        } else {
            (9, 1 + h / 24, h % 24)
        };
        iso.push(format!("2026-{month:02}-{day:02}T{hour:02}:00:00Z"));
        focus.push(format!("2026-{month:02}-{day:02} {hour:02}:00:00"));
    }
    let interval = (0..HOURS)
        .map(|h| format!("{}/{}", iso[h], iso[h + 1]))
        .collect();
    Hours {
        interval,
        iso,
        focus,
    }
}

/// `m × 10^p` in units of 1e-10, `m` in 1..=999 and `p` in `lo..=hi`.
fn log_amount(rng: &mut Rng, lo: u8, hi: u8) -> u64 {
    let m = 1 + rng.below(999);
    let p = u32::from(lo) + rng.below(u64::from(hi - lo) + 1) as u32;
    m * 10u64.pow(p)
}

/// Rate × amount, both in units of 1e-10.
fn mul_rate(rate: u64, amount: u64) -> u64 {
    (u128::from(rate) * u128::from(amount) / u128::from(SCALE)) as u64
}

#[inline]
fn put(b: &mut Vec<u8>, s: &str) {
    b.extend_from_slice(s.as_bytes());
}

fn put_region_prefix(b: &mut Vec<u8>, region: usize) {
    if region != 0 && region != GLOBAL {
        put(b, REGIONS[region].prefix);
        b.push(b'-');
    }
}

fn put_hex(b: &mut Vec<u8>, v: u64, digits: u32) {
    for i in (0..digits).rev() {
        b.push(HEX[((v >> (i * 4)) & 0xF) as usize]);
    }
}

fn put_u64(b: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    b.extend_from_slice(&tmp[i..]);
}

/// A fixed-point value (1e-10 units) with its trailing zeros trimmed, at least `min_frac` decimals.
fn put_dec(b: &mut Vec<u8>, v: u64, negative: bool, min_frac: usize) {
    if negative && v != 0 {
        b.push(b'-');
    }
    put_u64(b, v / SCALE);
    let mut frac = v % SCALE;
    let mut digits = [b'0'; 10];
    for d in digits.iter_mut().rev() {
        *d = b'0' + (frac % 10) as u8;
        frac /= 10;
    }
    let mut n = 10;
    while n > min_frac && digits[n - 1] == b'0' {
        n -= 1;
    }
    if n > 0 {
        b.push(b'.');
        b.extend_from_slice(&digits[..n]);
    }
}

/// A fixed-point value (1e-10 units) with exactly `frac` decimals (zero-padded past 10).
fn put_fixed(b: &mut Vec<u8>, v: u64, negative: bool, frac: usize) {
    if negative && v != 0 {
        b.push(b'-');
    }
    put_u64(b, v / SCALE);
    b.push(b'.');
    let mut rest = v % SCALE;
    let mut digits = [b'0'; 10];
    for d in digits.iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    b.extend_from_slice(&digits[..frac.min(10)]);
    for _ in 10..frac {
        b.push(b'0');
    }
}

fn push_str_dec(s: &mut String, v: u64, min_frac: usize) {
    let mut b = Vec::new();
    put_dec(&mut b, v, false, min_frac);
    s.push_str(&String::from_utf8_lossy(&b));
}

fn push_str_fixed(s: &mut String, v: u64, frac: usize) {
    let mut b = Vec::new();
    put_fixed(&mut b, v, false, frac);
    s.push_str(&String::from_utf8_lossy(&b));
}

#[cfg(test)]
mod tests;
