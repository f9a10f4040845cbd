#!/usr/bin/env python3
"""Extract test data from AWS's OSCAL content for AWS services.

Usage: scripts/aws-oscal/extract.py SRC [OUT]

SRC is a copy of github.com/awslabs/oscal-content-for-aws-services (the directory holding
catalogs/, component-definitions/, LICENSE, NOTICE and PROVENANCE.md; here
shared/data/aws-oscal, the directory beside the repository). OUT defaults to tests/data/aws-oscal beside this script's repo.

Writes, in OUT:
  security-hub-controls.csv  id,severity,title,assessment_rule
      every control of catalogs/aws_security-hub.oscal.json; title is the control's short
      title (its `statement` part), assessment_rule the AWS Config rule its
      `assessment-method` names (the rule Security Hub creates in the account; for a few
      controls a parameterised instance of a managed rule, e.g. restricted-rdp).
  config-rules.csv  config_rule,config_rule_id,security_hub_controls,component_file,oscal_title
      every `software` component with a ConfigRuleId prop. config_rule is the AWS Config
      managed rule name (lower-kebab of ConfigRuleId, except the few managed rules whose name
      differs from their identifier, see RULE_NAME_EXCEPTIONS); oscal_title is the component
      title, the name of the rule Security Hub creates in the account (usually the same).
  components.csv  file,title,service_id,api_endpoint_prefix,arn_namespace,iam_prefix,
      cloudtrail_event_source,labels,lifecycle_stage,catalog_service
      every `service` component; catalog_service comes from the hand-checked
      scripts/aws-oscal/component-map.csv (keyed by file and service_id).
  LICENSE, NOTICE  copied unchanged.
Only the Python standard library is used. Output is sorted and deterministic.
"""

import csv
import json
import shutil
import sys
from pathlib import Path

NS = "http://aws.amazon.com/ns/oscal"

# AWS Config managed rules whose name is not the lower-kebab form of their identifier
# (AWS Config Developer Guide, "List of AWS Config Managed Rules", each rule's page
# gives "Identifier:").
RULE_NAME_EXCEPTIONS = {
    "CLOUD_TRAIL_ENABLED": "cloudtrail-enabled",
    "INCOMING_SSH_DISABLED": "restricted-ssh",
    "RESTRICTED_INCOMING_TRAFFIC": "restricted-common-ports",
    "EC2_INSTANCE_MANAGED_BY_SSM": "ec2-instance-managed-by-systems-manager",
    "MULTI_REGION_CLOUD_TRAIL_ENABLED": "multi-region-cloudtrail-enabled",
    "CLOUDTRAIL_S3_DATA_EVENTS_ENABLED": "cloudtrail-s3-dataevents-enabled",
}


def rule_name(rule_id: str) -> str:
    return RULE_NAME_EXCEPTIONS.get(rule_id, rule_id.lower().replace("_", "-"))


def props(obj, name):
    return [p["value"] for p in obj.get("props", []) if p["name"] == name]


def one(obj, name):
    values = props(obj, name)
    return values[0] if values else ""


def walk_controls(group):
    for control in group.get("controls", []):
        yield control
        yield from walk_controls(control)
    for sub in group.get("groups", []):
        yield from walk_controls(sub)


def control_sort_key(cid):
    prefix, _, number = cid.partition(".")
    return (prefix.lower(), int(number) if number.isdigit() else 0, cid)


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def security_hub(src, out):
    catalog = json.loads((src / "catalogs/aws_security-hub.oscal.json").read_text())["catalog"]
    rows = []
    for c in walk_controls(catalog):
        parts = {p["name"]: p for p in c.get("parts", [])}
        title = parts.get("statement", {}).get("prose", "").strip()
        rule = ""
        method = parts.get("assessment-method")
        if method:
            rule = ";".join(
                p["value"] for p in method.get("props", []) if p["name"] == "TechnicalControlId"
            )
        rows.append((c["id"], one(c, "SeverityLabel"), " ".join(title.split()), rule))
    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate Security Hub control id"
    rows.sort(key=lambda r: control_sort_key(r[0]))
    write_csv(out / "security-hub-controls.csv", ["id", "severity", "title", "assessment_rule"], rows)
    return rows


def component_files(src):
    return sorted((src / "component-definitions").glob("*.oscal.json"))


def config_rules(src, out):
    rows = {}
    for path in component_files(src):
        cd = json.loads(path.read_text())["component-definition"]
        for comp in cd.get("components", []):
            if comp["type"] != "software":
                continue
            rule_id = one(comp, "ConfigRuleId")
            if not rule_id:
                continue
            controls = sorted(
                {
                    req["control-id"]
                    for impl in comp.get("control-implementations", [])
                    for req in impl.get("implemented-requirements", [])
                },
                key=control_sort_key,
            )
            key = (rule_name(rule_id), rule_id, comp["title"])
            entry = rows.setdefault(key, {"controls": set(), "files": set()})
            entry["controls"].update(controls)
            entry["files"].add(path.name)
    out_rows = [
        (
            name,
            rid,
            ";".join(sorted(e["controls"], key=control_sort_key)),
            ";".join(sorted(e["files"])),
            title,
        )
        for (name, rid, title), e in sorted(rows.items())
    ]
    write_csv(
        out / "config-rules.csv",
        ["config_rule", "config_rule_id", "security_hub_controls", "component_file", "oscal_title"],
        out_rows,
    )
    return out_rows


def load_map(path):
    mapping = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            key = (row["file"], row["service_id"])
            assert key not in mapping, f"component-map.csv: {key} twice"
            mapping[key] = row["catalog_service"]
    return mapping


def components(src, out, map_path, catalog_dir):
    mapping = load_map(map_path) if map_path.exists() else {}
    uuids = {}
    rows = []
    missing = []
    for path in component_files(src):
        cd = json.loads(path.read_text())["component-definition"]
        for comp in cd.get("components", []):
            if comp["type"] != "service":
                continue
            sid = one(comp, "service-id")
            key = (path.name, sid)
            if mapping and key not in mapping:
                missing.append(key)
            uuids[key] = comp["uuid"]
            rows.append(
                (
                    path.name,
                    comp["title"],
                    sid,
                    one(comp, "apiEndpointPrefix"),
                    one(comp, "arnNamespace"),
                    one(comp, "iamServicePrefix"),
                    one(comp, "cloudTrailEventSource"),
                    ";".join(dict.fromkeys(props(comp, "label"))),
                    one(comp, "lifecycle-stage"),
                    mapping.get(key, ""),
                )
            )
    if missing:
        sys.exit(f"component-map.csv lacks {len(missing)} components, first {missing[:5]}")
    keys = {(r[0], r[2]) for r in rows}
    extra = set(mapping) - keys
    if extra:
        sys.exit(f"component-map.csv names components that do not exist: {sorted(extra)[:5]}")
    rows.sort(key=lambda r: (r[0], r[2]))
    write_csv(
        out / "components.csv",
        [
            "file",
            "title",
            "service_id",
            "api_endpoint_prefix",
            "arn_namespace",
            "iam_prefix",
            "cloudtrail_event_source",
            "labels",
            "lifecycle_stage",
            "catalog_service",
        ],
        rows,
    )
    # The catalog's link from each service to AWS's own component (OSCAL output).
    write_csv(
        catalog_dir / "aws-components.csv",
        ["service", "aws_service_id", "component_definition", "component_uuid"],
        sorted((r[9], r[2], r[0], uuids[(r[0], r[2])]) for r in rows),
    )
    return rows


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src = Path(sys.argv[1])
    repo = Path(__file__).resolve().parents[2]
    out = Path(sys.argv[2]) if len(sys.argv) == 3 else repo / "tests/data/aws-oscal"
    out.mkdir(parents=True, exist_ok=True)
    sh = security_hub(src, out)
    rules = config_rules(src, out)
    comps = components(
        src, out, Path(__file__).resolve().parent / "component-map.csv", repo / "catalog"
    )
    for name in ("LICENSE", "NOTICE"):
        shutil.copyfile(src / name, out / name)
    print(f"{len(sh)} Security Hub controls, {len(rules)} Config rules, {len(comps)} service components -> {out}")


if __name__ == "__main__":
    main()
