#!/usr/bin/env python3
"""Check the catalog against AWS's OSCAL content (the CSVs extract.py writes).

Usage: scripts/aws-oscal/prove.py [CATALOG_DIR]   (default: catalog/ of this repo)

a. every Security Hub CSPM control id cited in an `evidence` item of controls.toml or
   statements.toml is in security-hub-controls.csv or security-hub-controls-extra.csv;
b. every AWS Config rule named in backticks in an evidence item that mentions "Config" is in
   config-rules.csv (config_rule or oscal_title), in the assessment_rule column of
   security-hub-controls.csv, or in config-rules-extra.csv;
c. in an evidence item naming both Security Hub controls and Config rules, every rule is linked
   by AWS to one of the controls (component links, the control's assessment method, or the
   "AWS Config rule" named in security-hub-controls-extra.csv);
d. every identifier of every service component in components.csv resolves (the catalog's
   case-insensitive lookup) to its catalog_service, save the pairs listed in
   identifier-exceptions.csv.
Prints what fails and exits 1 when anything does. Standard library only.
"""

import csv
import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests/data/aws-oscal"

SH_ID = re.compile(r"(?<![\w.`-])([A-Z][A-Za-z0-9]*\.\d+)(?![\w.])")
RULE = re.compile(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`")


def read(name):
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def evidence(catalog):
    """(file, where, text) for every `evidence` list, at any depth (controls.toml keeps its
    evidence in per-category sub-tables such as [control.all])."""

    def walk(node, where):
        if isinstance(node, dict):
            for text in node.get("evidence", []) if isinstance(node.get("evidence"), list) else []:
                yield where, text
            for key, value in node.items():
                if key != "evidence":
                    yield from walk(value, f"{where}.{key}" if where else key)
        elif isinstance(node, list):
            for item in node:
                if isinstance(item, dict):
                    label = item.get("id") or "/".join(
                        str(item[k]) for k in ("service", "control") if k in item
                    )
                    yield from walk(item, label or where)

    for name in ("controls.toml", "statements.toml"):
        doc = tomllib.loads((catalog / name).read_text(encoding="utf-8"))
        for key, table in doc.items():
            for where, text in walk(table, ""):
                yield name, where, text


def sh_ids(text):
    """Security Hub CSPM control ids (`S3.1`) in an item that mentions Security Hub (other
    dotted ids, such as ISO 27001 Annex A.7 or SOC 2 A1.2, are not controls)."""
    return SH_ID.findall(text) if "Security Hub" in text else []


def rule_names(text):
    """Backticked AWS Config managed-rule names: lower-kebab, in an item that mentions Config.
    CLI commands (`aws ...`) and parameters (`KmsKeyId`, `rds.force_ssl`) do not match."""
    return RULE.findall(text) if "Config" in text else []


def load_index(catalog):
    index, clashes = {}, []
    with open(catalog / "services.csv", newline="", encoding="utf-8") as f:
        for s in csv.DictReader(f):
            idents = [s["id"], s["name"]]
            for col in ("iam_prefixes", "billing_codes", "cfn_namespaces", "sdk_ids", "aliases"):
                idents += [x for x in s[col].split(";") if x.strip()]
            for i in idents:
                k = i.strip().lower()
                if index.setdefault(k, s["id"]) != s["id"]:
                    clashes.append((k, index[k], s["id"]))
    with open(catalog / "billing-codes.csv", newline="", encoding="utf-8") as f:
        for b in csv.DictReader(f):
            for i in [b["code"]] + [x for x in b["aliases"].split(";") if x.strip()]:
                k = i.strip().lower()
                if index.setdefault(k, "billing:" + b["code"]) != "billing:" + b["code"]:
                    clashes.append((k, index[k], "billing:" + b["code"]))
    return index, clashes


def lookup(index, ident):
    k = ident.strip().lower()
    if k in index:
        return index[k]
    if ":" not in k and "aws::" + k in index:  # bare CloudFormation service name
        return index["aws::" + k]
    return None


def main():
    catalog = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "catalog"
    failures = 0
    sh = {r["id"] for r in read("security-hub-controls.csv")}
    sh_extra = {r["id"]: r for r in read("security-hub-controls-extra.csv")}
    rules = read("config-rules.csv")
    rules_extra = {r["config_rule"] for r in read("config-rules-extra.csv")}
    known_rules = {r["config_rule"] for r in rules} | {r["oscal_title"] for r in rules}
    links = defaultdict(set)  # rule name -> Security Hub control ids
    for r in rules:
        for c in filter(None, r["security_hub_controls"].split(";")):
            links[r["config_rule"]].add(c)
            links[r["oscal_title"]].add(c)
    for r in read("security-hub-controls.csv"):
        for rule in filter(None, r["assessment_rule"].split(";")):
            known_rules.add(rule)
            links[rule].add(r["id"])
    for cid, r in sh_extra.items():
        m = re.search(r"AWS Config rule ([a-z0-9-]+)", r["source"])
        if m:
            links[m.group(1)].add(cid)

    items = list(evidence(catalog))
    cited_sh, cited_rules = defaultdict(list), defaultdict(list)
    for name, where, text in items:
        for cid in sh_ids(text):
            cited_sh[cid].append(f"{name} {where}")
        for rule in rule_names(text):
            cited_rules[rule].append(f"{name} {where}")

    print(f"a. {len(cited_sh)} Security Hub control ids cited")
    in_snapshot = [c for c in cited_sh if c in sh]
    in_extra = [c for c in cited_sh if c not in sh and c in sh_extra]
    unknown = [c for c in cited_sh if c not in sh and c not in sh_extra]
    print(f"   {len(in_snapshot)} in AWS's OSCAL snapshot, {len(in_extra)} only in security-hub-controls-extra.csv: {sorted(in_extra)}")
    for c in sorted(unknown):
        failures += 1
        print(f"   FAIL unknown control {c}: {cited_sh[c]}")

    print(f"b. {len(cited_rules)} AWS Config rule names cited")
    extra_only = [r for r in cited_rules if r not in known_rules and r in rules_extra]
    print(f"   {len(cited_rules) - len(extra_only)} in AWS's OSCAL content, {len(extra_only)} only in config-rules-extra.csv: {sorted(extra_only)}")
    for r in sorted(set(cited_rules) - known_rules - rules_extra):
        failures += 1
        print(f"   FAIL unknown Config rule {r}: {cited_rules[r]}")

    pairs = ambiguous = 0
    print("c. Security Hub control <-> Config rule pairs stated in one evidence item")
    for name, where, text in items:
        cids, rs = sh_ids(text), rule_names(text)
        if not (cids and rs):
            continue
        if len(cids) > 1 and len(rs) > 1:
            # Several controls and several rules: the text does not say which goes with which.
            # Only require that each rule is linked to a cited control or to none cited.
            ambiguous += 1
            unlinked = [r for r in rs if not links[r] & set(cids)]
            if unlinked:
                print(f"   note {name} {where}: {unlinked} not linked to {cids} (item names several of each; not a stated pair)")
            continue
        for rule in rs:
            pairs += 1
            if not links[rule] & set(cids):
                failures += 1
                print(f"   FAIL {name} {where}: `{rule}` is linked by AWS to {sorted(links[rule]) or 'no control'}, not {cids}")
    print(f"   {pairs} pairs checked; {ambiguous} items with several controls and several rules reported as notes")

    index, clashes = load_index(catalog)
    for k, a, b in clashes:
        failures += 1
        print(f"   FAIL identifier {k} claimed by {a} and {b}")
    exceptions = {
        (r["file"], r["service_id"], r["column"], r["identifier"].lower()): r["resolves_to"]
        for r in read("identifier-exceptions.csv")
    }
    checked = 0
    used = set()
    for r in read("components.csv"):
        want = r["catalog_service"]
        idents = [(c, r[c]) for c in ("service_id", "api_endpoint_prefix", "arn_namespace", "iam_prefix") if r[c]]
        if r["cloudtrail_event_source"]:
            idents.append(("cloudtrail_event_source", r["cloudtrail_event_source"].removesuffix(".amazonaws.com")))
        idents += [("label", l) for l in r["labels"].split(";") if l]
        for col, ident in idents:
            checked += 1
            got = lookup(index, ident)
            key = (r["file"], r["service_id"], col, ident.lower())
            if key in exceptions:
                used.add(key)
                if got != exceptions[key]:
                    failures += 1
                    print(f"   FAIL exception {key}: resolves to {got}, listed as {exceptions[key]}")
                continue
            if want == "-":
                continue
            if got != want:
                failures += 1
                print(f"   FAIL {r['file']} {r['service_id']} {col} `{ident}` resolves to {got}, want {want}")
    for key in set(exceptions) - used:
        failures += 1
        print(f"   FAIL stale exception {key}")
    print(f"d. {checked} component identifiers checked ({len(exceptions)} listed exceptions)")
    print("FAILURES:", failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
