//! The fixed data the generator draws from: products with their SKUs, Regions, teams and the
//! other value lists. Everything is a constant, so the output depends on the seed alone.
//!
//! Product codes, product names (`product/ProductName`, also AWS's FOCUS `ServiceName`) and FOCUS
//! service categories follow the real exports in `/work/shared/data` and the billing identifiers
//! of `catalog/services.csv`; usage types, operations, units, prices and descriptions follow the
//! shapes AWS writes (descriptions such as `$0.005 per 1,000 PUT, COPY, POST, or LIST requests`
//! carry commas and are quoted in the CSV).

/// How the usage amount of a line item is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Amount {
    /// One hour, sometimes part of one.
    Hour,
    /// The resource's size in GB, pro-rated to one hour of a 720-hour month (GB-Mo).
    Storage,
    /// One hour of a monthly fee (1/720 of a month).
    Month,
    /// `m × 10^p` in units of 1e-10, `m` in 1..=999 and `p` in the range (log-uniform).
    Log(u8, u8),
}

/// How a resource name inside an id is made.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Name {
    /// `team-purpose-env-NN`.
    Words,
    /// Lower-case hexadecimal of this length.
    Hex(u8),
    /// Upper-case letters and digits of this length (CloudFront, Route 53 ids).
    Upper(u8),
    /// A random UUID.
    Uuid,
    /// `team-purpose-env-NN/` followed by a UUID (WAF, MSK, CloudFormation).
    WordsUuid,
    /// `team-purpose-env-NN/` followed by lower-case hexadecimal (load balancers, ECS tasks).
    WordsHex(u8),
    /// A fixed name.
    Literal(&'static str),
}

/// The shape of a SKU's resource ids.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Id {
    /// Never a resource id (data transfer, metrics, model tokens ...).
    None,
    /// A prefix and lower-case hexadecimal digits: `i-0123...`.
    Hex(&'static str, u8),
    /// An S3 bucket name.
    Bucket,
    /// An ARN `arn:aws:NS:REGION:ACCOUNT:RES NAME`; region and account may be left empty.
    Arn {
        /// ARN namespace.
        ns: &'static str,
        /// Whether the ARN carries the Region.
        regional: bool,
        /// Whether the ARN carries the account.
        account: bool,
        /// Resource part before the name: `function:`, `table/`.
        res: &'static str,
        /// The name.
        name: Name,
    },
}

/// A regional ARN with account.
const fn arn(ns: &'static str, res: &'static str, name: Name) -> Id {
    Id::Arn {
        ns,
        regional: true,
        account: true,
        res,
        name,
    }
}

/// Commitment discounts that can cover a SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Commit {
    /// None.
    None,
    /// Reserved Instances.
    Ri,
    /// Savings Plans.
    Sp,
    /// Both.
    Both,
}

/// One priced usage of a product.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sku {
    /// Usage type without the Region prefix.
    pub usage: &'static str,
    /// `lineItem/Operation`.
    pub op: &'static str,
    /// `product/productFamily`.
    pub family: &'static str,
    /// `product/instanceType`.
    pub itype: &'static str,
    /// `pricing/unit`.
    pub unit: &'static str,
    /// On-demand rate in USD, as text.
    pub rate: &'static str,
    /// Description; `{rate}` and `{loc}` are replaced.
    pub desc: &'static str,
    /// How the usage amount is drawn.
    pub amount: Amount,
    /// Resource id shape.
    pub id: Id,
    /// FOCUS `ResourceType` (empty: NULL).
    pub ftype: &'static str,
    /// `product/servicecode` when it differs from the product code (`AWSDataTransfer`).
    pub svc: &'static str,
    /// Commitments that can cover it.
    pub commit: Commit,
    /// Relative weight among the product's SKUs.
    pub weight: u32,
    /// Whether the row has an Availability Zone.
    pub az: bool,
}

#[allow(clippy::too_many_arguments)] // one SKU row of the table: every field is needed
const fn sku(
    usage: &'static str,
    op: &'static str,
    family: &'static str,
    unit: &'static str,
    rate: &'static str,
    desc: &'static str,
    amount: Amount,
    id: Id,
) -> Sku {
    Sku {
        usage,
        op,
        family,
        itype: "",
        unit,
        rate,
        desc,
        amount,
        id,
        ftype: "",
        svc: "",
        commit: Commit::None,
        weight: 1,
        az: false,
    }
}

impl Sku {
    const fn itype(mut self, itype: &'static str) -> Sku {
        self.itype = itype;
        self
    }
    const fn w(mut self, weight: u32) -> Sku {
        self.weight = weight;
        self
    }
    const fn commit(mut self, commit: Commit) -> Sku {
        self.commit = commit;
        self
    }
    const fn ftype(mut self, ftype: &'static str) -> Sku {
        self.ftype = ftype;
        self
    }
    const fn svc(mut self, svc: &'static str) -> Sku {
        self.svc = svc;
        self
    }
    const fn az(mut self) -> Sku {
        self.az = true;
        self
    }
}

/// A billed product.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Product {
    /// `lineItem/ProductCode`.
    pub code: &'static str,
    /// `product/ProductName`, also the FOCUS `ServiceName` AWS writes.
    pub name: &'static str,
    /// FOCUS `ServiceCategory`.
    pub category: &'static str,
    /// Relative weight of its rows (Zipf-like over the list).
    pub weight: u32,
    /// Percent of its usage rows without a resource id.
    pub blank: u32,
    /// Global service: Region `global`, no Region prefix.
    pub global: bool,
    /// Its SKUs.
    pub skus: &'static [Sku],
}

const fn product(
    code: &'static str,
    name: &'static str,
    category: &'static str,
    weight: u32,
    blank: u32,
    skus: &'static [Sku],
) -> Product {
    Product {
        code,
        name,
        category,
        weight,
        blank,
        global: false,
        skus,
    }
}

impl Product {
    const fn global(mut self) -> Product {
        self.global = true;
        self
    }
}

use Amount::{Hour, Log, Month, Storage};
use Commit::{Both, Ri, Sp};

const EC2_DT: &str =
    "$0.09 per GB - first 10 TB / month data transfer out beyond the global free tier";

/// The products, heaviest first. Weights are `100000 / rank^1.15`, rounded.
#[rustfmt::skip]
pub(crate) static PRODUCTS: &[Product] = &[
    product("AmazonEC2", "Amazon Elastic Compute Cloud", "Compute", 100000, 3, &[
        sku("BoxUsage:t3.micro", "RunInstances", "Compute Instance", "Hrs", "0.0104", "{rate} per On Demand Linux t3.micro Instance Hour", Hour, Id::Hex("i-", 17)).itype("t3.micro").ftype("instance").commit(Both).az().w(3),
        sku("BoxUsage:m5.large", "RunInstances", "Compute Instance", "Hrs", "0.096", "{rate} per On Demand Linux m5.large Instance Hour", Hour, Id::Hex("i-", 17)).itype("m5.large").ftype("instance").commit(Both).az().w(3),
        sku("BoxUsage:c6i.xlarge", "RunInstances", "Compute Instance", "Hrs", "0.17", "{rate} per On Demand Linux c6i.xlarge Instance Hour", Hour, Id::Hex("i-", 17)).itype("c6i.xlarge").ftype("instance").commit(Both).az().w(2),
        sku("BoxUsage:r6g.2xlarge", "RunInstances", "Compute Instance", "Hrs", "0.4032", "{rate} per On Demand Linux r6g.2xlarge Instance Hour", Hour, Id::Hex("i-", 17)).itype("r6g.2xlarge").ftype("instance").commit(Sp).az(),
        sku("BoxUsage:m5.xlarge", "RunInstances:0002", "Compute Instance", "Hrs", "0.376", "{rate} per On Demand Windows m5.xlarge Instance Hour", Hour, Id::Hex("i-", 17)).itype("m5.xlarge").ftype("instance").commit(Sp).az(),
        sku("EBS:VolumeUsage.gp3", "CreateVolume-Gp3", "Storage", "GB-Mo", "0.08", "{rate} per GB-month of General Purpose (gp3) provisioned storage - {loc}", Storage, Id::Hex("vol-", 17)).ftype("volume").az().w(4),
        sku("EBS:VolumeUsage.gp2", "CreateVolume-Gp2", "Storage", "GB-Mo", "0.10", "{rate} per GB-month of General Purpose SSD (gp2) provisioned storage - {loc}", Storage, Id::Hex("vol-", 17)).ftype("volume").az().w(2),
        sku("EBS:SnapshotUsage", "CreateSnapshot", "Storage Snapshot", "GB-Mo", "0.05", "{rate} per GB-Month of snapshot data stored - {loc}", Storage, arn("ec2", "snapshot/snap-", Name::Hex(17))).ftype("snapshot").w(2),
        sku("NatGateway-Hours", "NatGateway", "NAT Gateway", "Hrs", "0.045", "{rate} per NAT Gateway Hour", Hour, Id::Hex("nat-", 17)),
        sku("DataTransfer-Out-Bytes", "RunInstances", "Data Transfer", "GB", "0.09", EC2_DT, Log(3, 9), Id::Hex("i-", 17)).svc("AWSDataTransfer").ftype("instance").w(2),
    ]),
    product("AmazonS3", "Amazon Simple Storage Service", "Storage", 45063, 5, &[
        sku("TimedStorage-ByteHrs", "StandardStorage", "Storage", "GB-Mo", "0.023", "{rate} per GB - first 50 TB / month of storage used", Storage, Id::Bucket).ftype("bucket").w(4),
        sku("Requests-Tier1", "PutObject", "API Request", "Requests", "0.000005", "$0.005 per 1,000 PUT, COPY, POST, or LIST requests", Log(10, 13), Id::Bucket).ftype("bucket").w(3),
        sku("Requests-Tier2", "GetObject", "API Request", "Requests", "0.0000004", "$0.0004 per 1,000 GET and all other requests", Log(10, 13), Id::Bucket).ftype("bucket").w(3),
        sku("DataTransfer-Out-Bytes", "GetObject", "Data Transfer", "GB", "0.09", EC2_DT, Log(3, 9), Id::Bucket).svc("AWSDataTransfer").ftype("bucket"),
        sku("TimedStorage-INT-FA-ByteHrs", "IntelligentTieringFAStorage", "Storage", "GB-Mo", "0.023", "{rate} per GB-Month of storage used in Intelligent-Tiering, Frequent Access Tier", Storage, Id::Bucket).ftype("bucket"),
    ]),
    product("AWSDataTransfer", "AWS Data Transfer", "Networking", 28269, 100, &[
        sku("DataTransfer-Regional-Bytes", "InterZone-Out", "Data Transfer", "GB", "0.01", "$0.010 per GB - regional data transfer - in/out/between EC2 AZs or using elastic IPs or ELB", Log(3, 9), Id::None).w(3),
        sku("DataTransfer-Out-Bytes", "", "Data Transfer", "GB", "0.09", EC2_DT, Log(3, 9), Id::None).w(2),
        sku("DataTransfer-In-Bytes", "", "Data Transfer", "GB", "0.00", "$0.00 per GB - data transfer in per month", Log(3, 9), Id::None),
    ]),
    product("AmazonCloudWatch", "AmazonCloudWatch", "Management and Governance", 20306, 35, &[
        sku("CW:MetricMonitorUsage", "MetricStorage", "Metric", "Metrics", "0.30", "$0.30 per metric-month - first 10,000 metrics", Month, Id::None).w(2),
        sku("TimedStorage-ByteHrs", "HourlyStorageMetering", "Storage Snapshot", "GB-Mo", "0.03", "$0.03 per GB-mo of log storage", Storage, arn("logs", "log-group:/aws/", Name::Words)),
        sku("DataProcessing-Bytes", "PutLogEvents", "Data Payload", "GB", "0.50", "$0.50 per GB - custom log data ingested", Log(3, 9), arn("logs", "log-group:/aws/", Name::Words)).w(3),
        sku("CW:Requests", "GetMetricData", "API Request", "Requests", "0.00001", "$0.01 per 1,000 metrics requested using GetMetricData API", Log(10, 12), Id::None),
        sku("CW:AlarmMonitorUsage", "Unknown", "Alarm", "Alarms", "0.10", "$0.10 per alarm metric month - standard resolution", Month, arn("cloudwatch", "alarm:", Name::Words)),
    ]),
    product("AmazonRDS", "Amazon Relational Database Service", "Databases", 15710, 3, &[
        sku("InstanceUsage:db.r6g.large", "CreateDBInstance:0014", "Database Instance", "Hrs", "0.258", "{rate} per RDS db.r6g.large instance hour (or partial hour) running PostgreSQL", Hour, arn("rds", "db:", Name::Words)).itype("db.r6g.large").commit(Ri).ftype("db").az().w(3),
        sku("InstanceUsage:db.t3.medium", "CreateDBInstance:0002", "Database Instance", "Hrs", "0.068", "{rate} per RDS db.t3.medium instance hour (or partial hour) running MySQL", Hour, arn("rds", "db:", Name::Words)).itype("db.t3.medium").commit(Ri).ftype("db").az().w(2),
        sku("RDS:GP3-Storage", "CreateDBInstance:0014", "Database Storage", "GB-Mo", "0.115", "{rate} per GB-month of provisioned GP3 storage running PostgreSQL", Storage, arn("rds", "db:", Name::Words)).ftype("db").w(2),
        sku("Aurora:StorageIOUsage", "CreateDBInstance:0021", "System Operation", "IOs", "0.0000002", "$0.20 per 1 million I/O requests for Aurora PostgreSQL", Log(10, 13), arn("rds", "cluster:", Name::Words)).ftype("cluster"),
    ]),
    product("AWSELB", "Elastic Load Balancing", "Networking", 12739, 2, &[
        sku("LoadBalancerUsage", "LoadBalancing:Application", "Load Balancer-Application", "Hrs", "0.0225", "{rate} per Application LoadBalancer-hour (or partial hour)", Hour, arn("elasticloadbalancing", "loadbalancer/app/", Name::WordsHex(16))).w(3),
        sku("LCUUsage", "LoadBalancing:Application", "Load Balancer-Application", "LCU-Hrs", "0.008", "$0.008 per used Application load balancer capacity unit-hour (or partial hour)", Log(6, 9), arn("elasticloadbalancing", "loadbalancer/app/", Name::WordsHex(16))).w(3),
        sku("LoadBalancerUsage", "LoadBalancing:Network", "Load Balancer-Network", "Hrs", "0.0225", "{rate} per Network LoadBalancer-hour (or partial hour)", Hour, arn("elasticloadbalancing", "loadbalancer/net/", Name::WordsHex(16))),
    ]),
    product("AmazonVPC", "Amazon Virtual Private Cloud", "Networking", 10669, 5, &[
        sku("VpcEndpoint-Hours", "VpcEndpoint", "VpcEndpoint", "Hrs", "0.01", "{rate} per VPC Endpoint Hour", Hour, Id::Hex("vpce-", 17)).w(2),
        sku("PublicIPv4:InUseAddress", "AssociateAddressVPC", "IP Address", "Hrs", "0.005", "{rate} per In-use public IPv4 address per hour", Hour, Id::Hex("eipalloc-", 17)).w(2),
        sku("VPN-Usage-Hours:ipsec.1", "CreateVpnConnection", "Cloud Connectivity", "Hrs", "0.05", "{rate} per VPN Connection-Hour", Hour, Id::Hex("vpn-", 17)),
        sku("TransitGateway-Hours", "TransitGatewayVPC", "Transit Gateway", "Hrs", "0.05", "{rate} per Transit Gateway attachment hour", Hour, arn("ec2", "transit-gateway-attachment/tgw-attach-", Name::Hex(17))),
    ]),
    product("AWSLambda", "AWS Lambda", "Compute", 9151, 2, &[
        sku("Lambda-GB-Second", "Invoke", "Serverless", "Lambda-GB-Second", "0.0000166667", "AWS Lambda - Total Compute - {loc}", Log(9, 13), arn("lambda", "function:", Name::Words)).ftype("function").commit(Sp).w(3),
        sku("Request", "Invoke", "Serverless", "Requests", "0.0000002", "AWS Lambda - Total Requests - {loc}", Log(10, 13), arn("lambda", "function:", Name::Words)).ftype("function").w(3),
        sku("Lambda-GB-Second-ARM", "Invoke", "Serverless", "Lambda-GB-Second", "0.0000133334", "AWS Lambda - Total Compute (ARM) - {loc}", Log(9, 13), arn("lambda", "function:", Name::Words)).ftype("function").commit(Sp),
    ]),
    product("AmazonDynamoDB", "Amazon DynamoDB", "Databases", 7991, 3, &[
        sku("WriteRequestUnits", "PayPerRequestThroughput", "Amazon DynamoDB PayPerRequest Throughput", "WriteRequestUnits", "0.00000125", "$1.25 per million write request units (WRU)", Log(10, 13), arn("dynamodb", "table/", Name::Words)).ftype("table").w(2),
        sku("ReadRequestUnits", "PayPerRequestThroughput", "Amazon DynamoDB PayPerRequest Throughput", "ReadRequestUnits", "0.00000025", "$0.25 per million read request units (RRU)", Log(10, 13), arn("dynamodb", "table/", Name::Words)).ftype("table").w(2),
        sku("TimedStorage-ByteHrs", "StandardStorage", "Database Storage", "GB-Mo", "0.25", "$0.25 per GB-Month of storage used beyond first 25 free GB-Months", Storage, arn("dynamodb", "table/", Name::Words)).ftype("table"),
    ]),
    product("AmazonECS", "Amazon Elastic Container Service", "Other", 7079, 3, &[
        sku("Fargate-vCPU-Hours:perCPU", "FargateTask", "Compute", "hours", "0.04048", "AWS Fargate - vCPU - {loc}", Hour, arn("ecs", "task/", Name::WordsHex(32))).commit(Sp).w(3),
        sku("Fargate-GB-Hours", "FargateTask", "Compute", "hours", "0.004445", "AWS Fargate - Memory - {loc}", Log(9, 11), arn("ecs", "task/", Name::WordsHex(32))).commit(Sp).w(3),
    ]),
    product("AmazonEKS", "Amazon Elastic Container Service for Kubernetes", "Other", 6345, 2, &[
        sku("AmazonEKS-Hours:perCluster", "CreateOperation", "Compute", "Hours", "0.10", "{rate} per hour per EKS cluster", Hour, arn("eks", "cluster/", Name::Words)).ftype("cluster"),
    ]),
    product("AWSQueueService", "Amazon Simple Queue Service", "Integration", 5740, 3, &[
        sku("Requests-Tier1", "GetQueueAttributes", "API Request", "Requests", "0.0000004", "$0.40 per million Amazon SQS standard requests in Tier1 in {loc}", Log(10, 13), arn("sqs", "", Name::Words)).ftype("queue"),
    ]),
    product("AmazonCloudFront", "Amazon CloudFront", "Networking", 5236, 4, &[
        sku("US-DataTransfer-Out-Bytes", "GET", "Data Transfer", "GB", "0.085", "$0.085 per GB - first 10 TB / month data transfer out (United States, Mexico, & Canada)", Log(3, 9), Id::Arn { ns: "cloudfront", regional: false, account: true, res: "distribution/E", name: Name::Upper(13) }).ftype("distribution").w(3),
        sku("EU-Requests-Tier2-HTTPS", "GET", "Request", "Requests", "0.0000012", "$0.0120 per 10,000 HTTPS Requests", Log(10, 13), Id::Arn { ns: "cloudfront", regional: false, account: true, res: "distribution/E", name: Name::Upper(13) }).ftype("distribution").w(2),
    ]).global(),
    product("awskms", "AWS Key Management Service", "Identity", 4808, 3, &[
        sku("KMS-Keys", "CreateKey", "Encryption Key", "Keys", "1.00", "$1 per customer managed key per month - {loc}", Month, arn("kms", "key/", Name::Uuid)),
        sku("KMS-Requests", "GenerateDataKey", "API Request", "Requests", "0.000003", "$0.03 per 10,000 requests", Log(10, 13), arn("kms", "key/", Name::Uuid)).w(2),
    ]),
    product("AmazonRoute53", "Amazon Route 53", "Networking", 4441, 4, &[
        sku("HostedZone", "", "DNS Zone", "HostedZone", "0.50", "$0.50 per Hosted Zone for the first 25 Hosted Zones", Month, Id::Arn { ns: "route53", regional: false, account: false, res: "hostedzone/Z", name: Name::Upper(20) }),
        sku("DNS-Queries", "", "DNS Query", "Queries", "0.0000004", "$0.40 per 1,000,000 queries for the first 1 Billion queries", Log(10, 13), Id::Arn { ns: "route53", regional: false, account: false, res: "hostedzone/Z", name: Name::Upper(20) }).w(2),
    ]).global(),
    product("AmazonSNS", "Amazon Simple Notification Service", "Integration", 4123, 3, &[
        sku("Requests-Tier1", "", "API Request", "Requests", "0.0000005", "$0.50 per 1 million Amazon SNS requests", Log(10, 13), arn("sns", "", Name::Words)).ftype("topic"),
    ]),
    product("AWSCloudTrail", "AWS CloudTrail", "Management and Governance", 3846, 3, &[
        sku("PaidEventsRecorded", "None", "Management Tools - AWS CloudTrail Paid Events Recorded", "Events", "0.00002", "$2.00 per 100,000 management events recorded", Log(10, 13), arn("cloudtrail", "trail/", Name::Words)).ftype("trail"),
        sku("DataEventsRecorded", "None", "Management Tools - AWS CloudTrail Data Events Recorded", "Events", "0.000001", "$0.10 per 100,000 data events recorded", Log(10, 13), arn("cloudtrail", "trail/", Name::Words)).ftype("trail"),
    ]),
    product("AWSConfig", "AWS Config", "Management and Governance", 3601, 40, &[
        sku("ConfigurationItemRecorded", "None", "Management Tools - AWS Config", "ConfigurationItemRecorded", "0.003", "$0.003 per Configuration Item recorded in {loc}", Log(10, 12), Id::None).w(2),
        sku("ConfigRuleEvaluations", "None", "Management Tools - AWS Config Rules", "ConfigRuleEvaluations", "0.001", "$0.001 per rule evaluation for the first 100,000 rule evaluations", Log(10, 12), arn("config", "config-rule/config-rule-", Name::Hex(6))),
    ]),
    product("AmazonGuardDuty", "Amazon GuardDuty", "Security", 3384, 3, &[
        sku("PaidEventsAnalyzed", "", "Security Services - Amazon GuardDuty", "Events", "0.000004", "$4.00 per million CloudTrail management events analyzed", Log(10, 13), arn("guardduty", "detector/", Name::Hex(32))),
        sku("PaidLogsAnalyzed", "", "Security Services - Amazon GuardDuty", "GB", "1.00", "$1.00 per GB of VPC Flow Log and DNS Query Log analysis, first 500 GB / month", Log(3, 9), arn("guardduty", "detector/", Name::Hex(32))),
    ]),
    product("AmazonECR", "Amazon EC2 Container Registry (ECR)", "Other", 3190, 3, &[
        sku("TimedStorage-ByteHrs", "", "EC2 Container Registry", "GB-Mo", "0.10", "$0.10 per GB-month of data storage", Storage, arn("ecr", "repository/", Name::Words)).ftype("repository"),
    ]),
    product("AmazonElastiCache", "Amazon ElastiCache", "Databases", 3016, 2, &[
        sku("NodeUsage:cache.r6g.large", "CreateCacheCluster:0002", "Cache Instance", "Hrs", "0.206", "{rate} per Redis cache.r6g.large node-hour (or partial hour)", Hour, arn("elasticache", "cluster:", Name::Words)).itype("cache.r6g.large").commit(Ri).ftype("cluster"),
    ]),
    product("AWSSystemsManager", "AWS Systems Manager", "Management and Governance", 2859, 30, &[
        sku("SSM-Automation-StepCount", "Automation", "AWS Systems Manager", "Steps", "0.002", "$0.002 per basic step, after the first 100,000 steps each month", Log(10, 12), Id::None),
        sku("PS-Advanced-Param-Tier1", "PutParameter", "AWS Systems Manager", "Parameter-Months", "0.05", "$0.05 per advanced parameter per month", Month, arn("ssm", "parameter/", Name::Words)).w(2),
    ]),
    product("AmazonStates", "AWS Step Functions", "Compute", 2717, 3, &[
        sku("StateTransition", "StartExecution", "AWS Step Functions", "StateTransitions", "0.000025", "$0.025 per 1,000 state transitions", Log(10, 13), arn("states", "stateMachine:", Name::Words)),
    ]),
    product("AWSSecretsManager", "AWS Secrets Manager", "Security", 2587, 3, &[
        sku("AWSSecretsManager-Secrets", "", "Secret", "Secrets", "0.40", "$0.40 per secret per month", Month, arn("secretsmanager", "secret:", Name::Words)).ftype("secret"),
        sku("AWSSecretsManager-APIRequest", "GetSecretValue", "API Request", "API Requests", "0.000005", "$0.05 per 10,000 API requests", Log(10, 12), arn("secretsmanager", "secret:", Name::Words)).ftype("secret"),
    ]),
    product("AmazonApiGateway", "Amazon API Gateway", "Networking", 2468, 3, &[
        sku("ApiGatewayRequest", "ApiGatewayRequest", "API Calls", "Requests", "0.0000035", "$3.50/million requests - first 333 million requests/month", Log(10, 13), Id::Arn { ns: "apigateway", regional: true, account: false, res: "/restapis/", name: Name::Hex(10) }),
        sku("ApiGatewayHttpRequest", "ApiGatewayHttpApi", "API Calls", "Requests", "0.000001", "$1.00/million requests - HTTP API first 300 million requests/month", Log(10, 13), Id::Arn { ns: "apigateway", regional: true, account: false, res: "/apis/", name: Name::Hex(10) }),
    ]),
    product("AmazonEFS", "Amazon Elastic File System", "Storage", 2359, 3, &[
        sku("TimedStorage-ByteHrs", "", "Storage", "GB-Mo", "0.30", "{rate} per GB-Mo for Standard storage in {loc}", Storage, arn("elasticfilesystem", "file-system/fs-", Name::Hex(17))).ftype("file-system"),
    ]),
    product("AWSGlue", "AWS Glue", "Analytics", 2259, 3, &[
        sku("Jobrun", "Jobrun", "AWS Glue", "DPU-Hour", "0.44", "{rate} per DPU-Hour for each Apache Spark or Spark Streaming job, billed per second with a 1-minute minimum", Log(8, 10), arn("glue", "job/", Name::Words)),
        sku("Crawler-DPU-Hour", "CrawlerRun", "AWS Glue", "DPU-Hour", "0.44", "{rate} per DPU-Hour for AWS Glue crawlers, billed per second, with a 10-minute minimum per crawler run", Log(8, 10), arn("glue", "crawler/", Name::Words)),
    ]),
    product("AmazonAthena", "Amazon Athena", "Analytics", 2167, 3, &[
        sku("DataScannedInTB", "RunQuery", "Athena Queries", "Terabytes", "5.00", "$5.00 per Terabyte Scanned", Log(3, 7), arn("athena", "workgroup/", Name::Words)),
    ]),
    product("AmazonKinesis", "Amazon Kinesis", "Analytics", 2081, 3, &[
        sku("Storage-ShardHour", "shardHourStorage", "Kinesis Streams", "ShardHour", "0.015", "{rate} per shard hour", Hour, arn("kinesis", "stream/", Name::Words)).ftype("stream"),
        sku("PutRequestPayloadUnits", "PutRecord", "Kinesis Streams", "PutRequestPayloadUnits", "0.000000014", "$0.014 per 1,000,000 PUT Payload Units", Log(10, 13), arn("kinesis", "stream/", Name::Words)).ftype("stream"),
    ]),
    product("AmazonKinesisFirehose", "Amazon Kinesis Firehose", "Analytics", 2001, 3, &[
        sku("BilledBytes", "PutRecordBatch", "Kinesis Firehose", "GB", "0.029", "$0.029 per GB of data ingested, first 500 TB / month", Log(3, 9), arn("firehose", "deliverystream/", Name::Words)),
    ]),
    product("AWSSecurityHub", "AWS Security Hub", "Security", 1927, 3, &[
        sku("PaidComplianceCheck", "", "Security Hub", "Checks", "0.001", "$0.0010 per security check for the first 100,000 checks/account/region/month", Log(10, 12), arn("securityhub", "hub/", Name::Literal("default"))),
    ]),
    product("awswaf", "AWS WAF", "Security", 1858, 3, &[
        sku("WebACL", "", "Web Application Firewall", "Months", "5.00", "$5.00 per web ACL created (prorated hourly)", Month, arn("wafv2", "regional/webacl/", Name::WordsUuid)),
        sku("Request", "", "Web Application Firewall", "Requests", "0.0000006", "$0.60 per million requests processed", Log(10, 13), arn("wafv2", "regional/webacl/", Name::WordsUuid)),
    ]),
    product("AWSEvents", "CloudWatch Events", "Integration", 1794, 3, &[
        sku("Event-64K-Chunks", "PutEvents", "CloudWatch Events", "Events", "0.000001", "$1.00 per million custom events", Log(10, 13), arn("events", "event-bus/", Name::Words)),
    ]),
    product("AmazonRedshift", "Amazon Redshift", "Databases", 1733, 2, &[
        sku("Node:ra3.xlplus", "RunComputeNode:0001", "Compute Instance", "Hrs", "1.086", "{rate} per RA3 XLPlus Node (or partial hour)", Hour, arn("redshift", "cluster:", Name::Words)).itype("ra3.xlplus").commit(Ri).ftype("cluster"),
    ]),
    product("AmazonES", "Amazon OpenSearch Service", "Analytics", 1676, 2, &[
        sku("ESInstance:r6g.large", "ESDomain", "Amazon OpenSearch Service Instance", "Hrs", "0.167", "{rate} per r6g.large.search instance hour (or partial hour)", Hour, arn("es", "domain/", Name::Words)).itype("r6g.large.search").commit(Ri).ftype("domain"),
    ]),
    product("AmazonMSK", "Amazon Managed Streaming for Apache Kafka", "Analytics", 1623, 2, &[
        sku("Kafka.m5.large", "RunBroker", "Managed Streaming for Apache Kafka (MSK)", "Hrs", "0.21", "{rate} per Kafka.m5.large broker hour (or partial hour) - {loc}", Hour, arn("kafka", "cluster/", Name::WordsUuid)).itype("kafka.m5.large"),
    ]),
    product("AWSBackup", "AWS Backup", "Storage", 1572, 3, &[
        sku("WarmStorage-ByteHrs-EBS", "Storage", "AWS Backup Storage", "GB-Mo", "0.05", "$0.05 per GB-Month of EBS snapshot backup storage", Storage, arn("backup", "backup-vault:", Name::Words)),
    ]),
    product("AmazonSageMaker", "Amazon SageMaker", "AI and Machine Learning", 1525, 3, &[
        sku("Notebk:ml.t3.medium", "RunInstance:Notebook", "ML Instance", "Hrs", "0.05", "{rate} per On-Demand Notebook ml.t3.medium hour in {loc}", Hour, arn("sagemaker", "notebook-instance/", Name::Words)).itype("ml.t3.medium").commit(Sp),
        sku("Host:ml.m5.large", "RunInstance:Host", "ML Instance", "Hrs", "0.115", "{rate} per Hosting ml.m5.large hour in {loc}", Hour, arn("sagemaker", "endpoint/", Name::Words)).itype("ml.m5.large").commit(Sp),
    ]),
    product("AmazonBedrock", "Amazon Bedrock", "AI and Machine Learning", 1480, 100, &[
        sku("Claude3.5Sonnet-input-tokens", "InvokeModelInference", "Amazon Bedrock", "1K tokens", "0.003", "$0.003 per 1K input tokens for Claude 3.5 Sonnet in {loc}", Log(10, 13), Id::None),
        sku("Claude3.5Sonnet-output-tokens", "InvokeModelInference", "Amazon Bedrock", "1K tokens", "0.015", "$0.015 per 1K output tokens for Claude 3.5 Sonnet in {loc}", Log(10, 12), Id::None),
    ]),
    product("AWSCertificateManager", "AWS Certificate Manager", "Security", 1438, 3, &[
        sku("PaidPrivateCA", "", "AWS Certificate Manager", "Months", "400.00", "$400 per month for each private certificate authority (CA), prorated hourly", Month, arn("acm-pca", "certificate-authority/", Name::Uuid)),
    ]),
    product("AmazonInspectorV2", "Amazon Inspector", "Security", 1397, 3, &[
        sku("InspectorV2:EC2Instances", "", "Inspector", "Instance-Months", "1.2528", "$1.2528 per EC2 instance per month, prorated hourly", Month, Id::Hex("i-", 17)).ftype("instance"),
    ]),
    product("AmazonMacie", "Amazon Macie", "Security", 1359, 3, &[
        sku("Macie-BucketsEvaluated", "", "Macie", "Buckets", "0.10", "$0.10 per bucket per month for bucket inventory and monitoring", Month, Id::Bucket).ftype("bucket"),
    ]),
    product("AmazonCognito", "Amazon Cognito", "Security", 1323, 3, &[
        sku("CognitoUserPoolsMAU", "", "User Pool MAU", "MAU", "0.0055", "$0.0055 per monthly active user (MAU), next 40,000 MAUs", Log(10, 12), arn("cognito-idp", "userpool/", Name::Upper(9))),
    ]),
    product("AWSCloudFormation", "AWS CloudFormation", "Management and Governance", 1288, 3, &[
        sku("HandlerOperations", "", "Management Tools - AWS CloudFormation", "Handler-Operations", "0.0009", "$0.0009 per handler operation", Log(10, 12), arn("cloudformation", "stack/", Name::WordsUuid)).ftype("stack"),
    ]),
    product("AmazonFSx", "Amazon FSx", "Storage", 1255, 3, &[
        sku("Storage.SSD:Windows", "CreateFileSystem", "Storage", "GB-Mo", "0.13", "{rate} per GB-month of SSD storage capacity, Single-AZ, for FSx for Windows File Server", Storage, arn("fsx", "file-system/fs-", Name::Hex(17))).ftype("file-system"),
    ]),
    product("AmazonDocDB", "Amazon DocumentDB (with MongoDB compatibility)", "Databases", 1224, 2, &[
        sku("InstanceUsage:db.r6g.large", "CreateDBInstance:0021", "Database Instance", "Hrs", "0.277", "{rate} per db.r6g.large instance hour (or partial hour)", Hour, arn("rds", "db:", Name::Words)).itype("db.r6g.large").commit(Ri),
    ]),
    product("AmazonNeptune", "Amazon Neptune", "Databases", 1194, 2, &[
        sku("InstanceUsage:db.r5.large", "CreateDBInstance:0018", "Database Instance", "Hrs", "0.348", "{rate} per db.r5.large instance hour (or partial hour)", Hour, arn("rds", "db:", Name::Words)).itype("db.r5.large").commit(Ri),
    ]),
    product("AmazonMQ", "Amazon MQ", "Integration", 1166, 2, &[
        sku("BrokerUsage:mq.m5.large", "CreateBroker:0001", "Broker Instances", "Hrs", "0.288", "{rate} per Broker Hour for ActiveMQ, mq.m5.large, Single-AZ", Hour, arn("mq", "broker:", Name::WordsUuid)).itype("mq.m5.large"),
    ]),
    product("AWSXRay", "AWS X-Ray", "Management and Governance", 1138, 100, &[
        sku("XRay-TracesStored", "", "AWS X-Ray", "Traces", "0.000005", "$5.00 per 1 million traces recorded", Log(10, 12), Id::None),
    ]),
    product("AmazonQuickSight", "Amazon QuickSight", "Analytics", 1112, 3, &[
        sku("QS-User-Enterprise-Month", "", "Users", "Month", "24.00", "$24 per Enterprise Edition author per month", Month, arn("quicksight", "user/default/", Name::Words)),
    ]),
    product("AmazonSES", "Amazon Simple Email Service", "Business Applications", 1087, 3, &[
        sku("Send-Email", "SendEmail", "Sending Email", "Count", "0.0001", "$0.10 per 1,000 emails sent", Log(10, 12), arn("ses", "identity/", Name::Words)),
    ]),
    product("AWSDirectConnect", "AWS Direct Connect", "Networking", 1063, 3, &[
        sku("DataXfer-Out", "DataXfer-Out", "Data Transfer", "GB", "0.02", "{rate} per GB data transfer out, Direct Connect location to {loc}", Log(3, 9), Id::Hex("dxcon-", 8)),
    ]),
    product("AWSGlobalAccelerator", "AWS Global Accelerator", "Networking", 1040, 3, &[
        sku("AcceleratorFixedFee", "AcceleratorFixedFee", "Accelerator", "Hrs", "0.025", "{rate} per accelerator-hour (or partial hour)", Hour, Id::Arn { ns: "globalaccelerator", regional: false, account: true, res: "accelerator/", name: Name::Uuid }),
    ]).global(),
    product("AWSNetworkFirewall", "AWS Network Firewall", "Networking", 1018, 3, &[
        sku("Endpoint-Hour", "vpce:Firewall", "Firewall", "Hrs", "0.395", "{rate} per firewall endpoint hour", Hour, arn("network-firewall", "firewall/", Name::Words)),
    ]),
    product("AmazonGlacier", "Amazon Glacier", "Storage", 997, 3, &[
        sku("TimedStorage-ByteHrs", "", "Storage", "GB-Mo", "0.0036", "{rate} per GB-Month of storage used in Glacier, first 50 TB", Storage, arn("glacier", "vaults/", Name::Words)),
    ]),
    product("CodeBuild", "CodeBuild", "Developer Tools", 976, 3, &[
        sku("Build-Min:Linux:g1.small", "LINUX", "Compute", "Minutes", "0.005", "{rate} per build minute for build.general1.small", Log(10, 12), arn("codebuild", "project/", Name::Words)),
    ]),
    product("AWSCodePipeline", "AWS CodePipeline", "Developer Tools", 957, 3, &[
        sku("activePipeline", "", "DevOps", "Pipelines", "1.00", "$1 per active pipeline per month", Month, arn("codepipeline", "", Name::Words)),
    ]),
    product("AmazonTimestream", "Amazon Timestream", "Databases", 938, 3, &[
        sku("DataIngestion-Bytes", "WriteRecords", "Timestream", "GB", "0.50", "$0.50 per million writes of 1KB size", Log(3, 9), arn("timestream", "database/", Name::Words)),
    ]),
    product("AmazonMWAA", "Amazon Managed Workflows for Apache Airflow", "Integration", 919, 2, &[
        sku("Environment:Small", "CreateEnvironment", "Apache Airflow", "Hrs", "0.49", "{rate} per hour for a small environment, on-demand", Hour, arn("airflow", "environment/", Name::Words)),
    ]),
    product("AmazonPrometheus", "Amazon Managed Service for Prometheus", "Management and Governance", 902, 3, &[
        sku("AMP:MetricSampleCount", "RemoteWrite", "Amazon Managed Service for Prometheus", "Samples", "0.0000009", "$0.90 per 10M samples for the first 2 billion samples", Log(10, 13), arn("aps", "workspace/ws-", Name::Uuid)),
    ]),
    product("AWSTransfer", "AWS Transfer Family", "Migration", 885, 2, &[
        sku("ProtocolHours", "SFTP", "Protocol hours", "Hrs", "0.30", "{rate} per hour per protocol, SFTP endpoint", Hour, arn("transfer", "server/s-", Name::Hex(17))),
    ]),
    product("AmazonWorkSpaces", "Amazon WorkSpaces", "Other", 868, 2, &[
        sku("AutoStop-User:Standard", "", "Amazon WorkSpaces", "Month", "9.75", "$9.75 per month for a Standard bundle with 80 GB root, 50 GB user volumes, AutoStop", Month, Id::Hex("ws-", 9)),
    ]),
];

/// A Region: code, name (`product/location`), usage type prefix, legal entity index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Region {
    /// `us-east-1`.
    pub code: &'static str,
    /// `US East (N. Virginia)`.
    pub name: &'static str,
    /// `USE1`.
    pub prefix: &'static str,
    /// Relative weight of its resources.
    pub weight: u32,
}

/// The six Regions resources live in; index [`GLOBAL`] is the global pseudo-Region.
pub(crate) static REGIONS: &[Region] = &[
    Region {
        code: "us-east-1",
        name: "US East (N. Virginia)",
        prefix: "USE1",
        weight: 38,
    },
    Region {
        code: "us-west-2",
        name: "US West (Oregon)",
        prefix: "USW2",
        weight: 24,
    },
    Region {
        code: "eu-west-1",
        name: "EU (Ireland)",
        prefix: "EU",
        weight: 14,
    },
    Region {
        code: "eu-central-1",
        name: "EU (Frankfurt)",
        prefix: "EUC1",
        weight: 10,
    },
    Region {
        code: "ap-southeast-2",
        name: "Asia Pacific (Sydney)",
        prefix: "APS2",
        weight: 8,
    },
    Region {
        code: "ap-northeast-1",
        name: "Asia Pacific (Tokyo)",
        prefix: "APN1",
        weight: 6,
    },
    Region {
        code: "global",
        name: "Global",
        prefix: "",
        weight: 0,
    },
];

/// Index of the global pseudo-Region in [`REGIONS`].
pub(crate) const GLOBAL: usize = 6;

/// Owner teams (`resourceTags/user:Team`).
pub(crate) static TEAMS: &[&str] = &[
    "payments",
    "checkout",
    "search",
    "platform",
    "data-eng",
    "ml-research",
    "identity",
    "mobile",
    "marketing-web",
    "security",
    "finance-apps",
    "logistics",
];

/// Environments; the first four also name accounts.
pub(crate) static ENVIRONMENTS: &[&str] = &["prod", "staging", "dev", "sandbox", "test"];

/// Data classifications.
pub(crate) static CLASSIFICATIONS: &[&str] = &["public", "internal", "confidential", "restricted"];

/// Words for resource names.
pub(crate) static PURPOSES: &[&str] = &[
    "api", "web", "worker", "etl", "cache", "events", "ingest", "reports", "auth", "orders",
    "billing", "search", "feed", "sync", "export", "audit",
];

/// Number of accounts.
pub(crate) const ACCOUNTS: usize = 40;

/// Number of cost centers (`CC-1001` ...).
pub(crate) const COST_CENTERS: u32 = 24;

/// A third-party product sold through AWS Marketplace.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarketplaceProduct {
    /// Opaque product code.
    pub code: &'static str,
    /// `product/ProductName`.
    pub name: &'static str,
    /// FOCUS `ServiceName`.
    pub focus_name: &'static str,
    /// FOCUS `PublisherName`.
    pub publisher: &'static str,
    /// Hourly rate.
    pub rate: &'static str,
}

/// Marketplace products (`bill/BillingEntity` = AWS Marketplace).
pub(crate) static MARKETPLACE: &[MarketplaceProduct] = &[
    MarketplaceProduct {
        code: "3xk8q1ml0vy6ixbr4n2fq7h5d",
        name: "Red Hat OpenShift Service on AWS",
        focus_name: "Red Hat OpenShift Service on AWS",
        publisher: "Red Hat Inc.",
        rate: "0.342",
    },
    MarketplaceProduct {
        code: "b8x4examplecode0mkt91zq7",
        name: "Fabrikam Backup Appliance \u{2014} BYOL, \u{c9}dition Pro",
        focus_name: "AWS Marketplace",
        publisher: "Fabrikam, Inc.",
        rate: "0.12",
    },
    MarketplaceProduct {
        code: "6ajp3dh0nnpr4sqrqbo8qxlz9",
        name: "Contoso Observability Suite, Pro (per host)",
        focus_name: "AWS Marketplace",
        publisher: "Contoso Ltd.",
        rate: "0.05",
    },
];

/// Credit descriptions; `{acct}` is replaced by an account id.
pub(crate) static CREDITS: &[&str] = &[
    "AWS Open Source Promotional Credits, credit from account: {acct}",
    "AWS Activate Credits, Portfolio Plus",
    "Migration Acceleration Program credit, phase 2",
    "Service credit for SLA breach, us-east-1",
];

/// The AWS Support plan billed as a fee.
pub(crate) const SUPPORT_CODE: &str = "AWSSupportBusiness";
/// Its product name and FOCUS `ServiceName`.
pub(crate) const SUPPORT_NAME: &str = "AWS Support (Business)";
