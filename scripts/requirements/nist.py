#!/usr/bin/env python3
"""Build the NIST SP 800-53 Rev. 5 framework register (nist-800-53.csv).

One row per control or enhancement selected by any of seven baselines:
NIST LOW, MODERATE, HIGH and FedRAMP Rev. 5 LOW, MODERATE, HIGH, LI-SaaS.
Rows are in NIST catalog order (family order of SP 800-53 Rev. 5, then
control number, each control followed by its enhancements).

Inputs (standard library only; works offline):
  * NIST OSCAL profiles  NIST_SP-800-53_rev5_{LOW,MODERATE,HIGH}-baseline_profile-min.json
  * NIST OSCAL catalog   NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json
                         (titles of its 370 ids and the family titles)
  * FedRAMP OSCAL profiles FedRAMP_rev5_{LOW,MODERATE,HIGH,LI-SaaS}-baseline_profile-min.json
  * nist-extra-titles.csv  id,title for ids absent from the HIGH catalog,
                           extracted from NIST's full SP 800-53 Rev. 5 catalog
  * nist-customer-only.csv id,reason for requirements that concern only the
                           customer organisation itself

Defaults: the shared data is looked up as ../shared/data/... relative to the
repository root (--root, default: the current directory, e.g. /work/main);
the two small CSV files are looked up, and the output written, beside this
script.

Usage:
  python3 build.py [--root DIR] [--nist-dir DIR] [--fedramp-dir DIR]
                   [--extra-titles CSV] [--customer-only CSV] [--out CSV]
  --out - writes to stdout. The script verifies the result (counts, no
  duplicates, every FedRAMP id present, every title found) and exits 1 on
  any failure, writing nothing.
"""

import argparse
import csv
import io
import json
import os
import re
import sys

FAMILY_ORDER = ["ac", "at", "au", "ca", "cm", "cp", "ia", "ir", "ma", "mp",
                "pe", "pl", "pm", "ps", "pt", "ra", "sa", "sc", "si", "sr"]

# (column value, directory key, file name, expected size or None)
BASELINES = [
    ("nist-800-53-low", "nist", "NIST_SP-800-53_rev5_LOW-baseline_profile-min.json", None),
    ("nist-800-53-moderate", "nist", "NIST_SP-800-53_rev5_MODERATE-baseline_profile-min.json", None),
    ("nist-800-53-high", "nist", "NIST_SP-800-53_rev5_HIGH-baseline_profile-min.json", None),
    ("fedramp-low", "fedramp", "FedRAMP_rev5_LOW-baseline_profile-min.json", 156),
    ("fedramp-moderate", "fedramp", "FedRAMP_rev5_MODERATE-baseline_profile-min.json", 323),
    ("fedramp-high", "fedramp", "FedRAMP_rev5_HIGH-baseline_profile-min.json", 410),
    ("fedramp-li-saas", "fedramp", "FedRAMP_rev5_LI-SaaS-baseline_profile-min.json", 156),
]
HIGH_CATALOG = "NIST_SP-800-53_rev5_HIGH-baseline-resolved-profile_catalog-min.json"

COLUMNS = ["id", "title", "family", "family_title", "parent", "level",
           "qualifier", "baselines", "customer_only"]

OSCAL_ID = re.compile(r"^([a-z]{2})-([0-9]+)(?:\.([0-9]+))?$")
PRINTED_ID = re.compile(r"^([A-Z]{2})-([0-9]+)(?:\(([0-9]+)\))?$")


class BuildError(Exception):
    pass


def printed(oscal_id):
    """ac-2.1 -> AC-2(1); ac-2 -> AC-2."""
    m = OSCAL_ID.match(oscal_id)
    if not m:
        raise BuildError(f"not an SP 800-53 control id: {oscal_id!r}")
    fam, num, enh = m.groups()
    return f"{fam.upper()}-{num}" + (f"({enh})" if enh else "")


def sort_key(oscal_id):
    fam, num, enh = OSCAL_ID.match(oscal_id).groups()
    if fam not in FAMILY_ORDER:
        raise BuildError(f"unknown family in {oscal_id!r}")
    return (FAMILY_ORDER.index(fam), int(num), int(enh) if enh else 0)


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise BuildError(f"{path}: {e}") from e


def profile_ids(path):
    """Ids selected by an OSCAL profile (include-controls/with-ids only)."""
    prof = load_json(path)["profile"]
    ids = []
    for imp in prof["imports"]:
        if "include-all" in imp or "exclude-controls" in imp:
            raise BuildError(f"{path}: include-all/exclude-controls not supported")
        for inc in imp.get("include-controls", []):
            if set(inc) - {"with-ids"}:
                raise BuildError(f"{path}: only with-ids selections are supported")
            ids.extend(inc["with-ids"])
    if len(ids) != len(set(ids)):
        raise BuildError(f"{path}: duplicate ids in the profile")
    return ids


def catalog_titles(path):
    """Titles, withdrawn flags and family titles from an OSCAL catalog."""
    cat = load_json(path)["catalog"]
    titles, withdrawn, families = {}, set(), {}

    def walk(controls):
        for c in controls:
            titles[c["id"]] = c["title"]
            for p in c.get("props", []):
                if p.get("name") == "status" and p.get("value") == "withdrawn":
                    withdrawn.add(c["id"])
            walk(c.get("controls", []))

    for g in cat.get("groups", []):
        families[g["id"]] = g["title"]
        walk(g.get("controls", []))
    return titles, withdrawn, families


def read_csv_map(path, value_col):
    out = {}
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            m = PRINTED_ID.match(row["id"])
            if not m:
                raise BuildError(f"{path}: bad id {row['id']!r}")
            fam, num, enh = m.groups()
            key = f"{fam.lower()}-{num}" + (f".{enh}" if enh else "")
            if key in out:
                raise BuildError(f"{path}: duplicate id {row['id']}")
            out[key] = row[value_col].strip()
    return out


def build(args):
    dirs = {"nist": args.nist_dir, "fedramp": args.fedramp_dir}
    selected = {}          # baseline column -> set of ids
    for name, key, fname, expected in BASELINES:
        ids = profile_ids(os.path.join(dirs[key], fname))
        if expected is not None and len(ids) != expected:
            raise BuildError(f"{fname}: {len(ids)} ids, expected {expected}")
        selected[name] = set(ids)

    titles, withdrawn, families = catalog_titles(os.path.join(args.nist_dir, HIGH_CATALOG))
    # Families no HIGH-baseline control belongs to (SP 800-53 Rev. 5 titles, public domain).
    families.setdefault("pm", "Program Management")
    families.setdefault("pt", "Personally Identifiable Information Processing and Transparency")
    extra = read_csv_map(args.extra_titles, "title")
    customer_only = read_csv_map(args.customer_only, "reason")

    # Every baseline's ids, and the controls the SRM catalog cites that no baseline selects
    # (their titles are in the extra titles file).
    union = set().union(*selected.values()) | set(extra)
    for i in union:
        if not OSCAL_ID.match(i):
            raise BuildError(f"bad id {i!r}")
    rows = []
    missing = []
    for i in sorted(union, key=sort_key):
        fam, num, enh = OSCAL_ID.match(i).groups()
        if i in titles and i in extra:
            if titles[i] != extra[i]:
                raise BuildError(f"{printed(i)}: title differs between HIGH catalog and extra titles")
        title = titles.get(i) or extra.get(i)
        if not title:
            missing.append(printed(i))
            continue
        if fam not in families:
            raise BuildError(f"no family title for {fam.upper()}")
        rows.append({
            "id": printed(i),
            "title": title,
            "family": fam.upper(),
            "family_title": families[fam],
            "parent": f"{fam.upper()}-{num}" if enh else "",
            "level": "enhancement" if enh else "control",
            "qualifier": "withdrawn" if i in withdrawn else "",
            "baselines": " ".join(n for n, *_ in BASELINES if i in selected[n]),
            "customer_only": customer_only.get(i, ""),
        })
    if missing:
        raise BuildError("no title for: " + ", ".join(missing))

    # Extra titles and customer-only reasons must not name ids outside the register.
    for src, m in (("customer-only", customer_only),):
        stray = sorted(set(m) - union, key=sort_key)
        if stray:
            raise BuildError(f"{src} names ids in no baseline: " + ", ".join(map(printed, stray)))
    unused_extra = sorted(set(extra) & set(titles), key=sort_key)
    if unused_extra:
        raise BuildError("extra titles repeat ids of the HIGH catalog: "
                         + ", ".join(map(printed, unused_extra)))

    # Verification.
    ids = [r["id"] for r in rows]
    if len(ids) != len(set(ids)):
        raise BuildError("duplicate ids in the register")
    if len(rows) != len(union):
        raise BuildError(f"{len(rows)} rows but the baselines and extra titles have {len(union)} ids")
    present = set(ids)
    for name, *_ in BASELINES:
        lost = [printed(i) for i in selected[name] if printed(i) not in present]
        if lost:
            raise BuildError(f"{name}: ids missing from the register: {lost}")
        counted = sum(1 for r in rows if name in r["baselines"].split())
        if counted != len(selected[name]):
            raise BuildError(f"{name}: {counted} rows tagged, profile selects {len(selected[name])}")
    for r in rows:
        if r["parent"] and r["parent"] not in present:
            # Allowed by SP 800-53 (an enhancement needs its base control in
            # a system, but every profile here selects both); report it.
            raise BuildError(f"{r['id']}: parent {r['parent']} not in the register")
    if withdrawn & union:
        print("warning: withdrawn ids selected: "
              + ", ".join(printed(i) for i in sorted(withdrawn & union, key=sort_key)),
              file=sys.stderr)
    return rows, selected


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=".",
                    help="repository root; shared data is ROOT/../shared/data (default: .)")
    ap.add_argument("--nist-dir", help="directory of the NIST OSCAL files")
    ap.add_argument("--fedramp-dir", help="directory of the FedRAMP OSCAL profiles")
    ap.add_argument("--extra-titles", default=os.path.join(here, "nist-extra-titles.csv"))
    ap.add_argument("--customer-only", default=os.path.join(here, "nist-customer-only.csv"))
    ap.add_argument("--out", default=None,
                    help="output CSV (default: ROOT/catalog/requirements/nist-800-53.csv), - for stdout")
    args = ap.parse_args(argv)
    shared = os.path.join(args.root, "..", "shared", "data")
    args.nist_dir = args.nist_dir or os.path.join(shared, "nist-800-53")
    args.fedramp_dir = args.fedramp_dir or os.path.join(shared, "fedramp")
    args.out = args.out or os.path.join(args.root, "catalog", "requirements", "nist-800-53.csv")
    try:
        rows, selected = build(args)
    except (BuildError, KeyError, OSError) as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 1
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    if args.out == "-":
        sys.stdout.write(buf.getvalue())
    else:
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(buf.getvalue())
        os.replace(tmp, args.out)
    counts = " ".join(f"{n}={len(selected[n])}" for n, *_ in BASELINES)
    print(f"build.py: {len(rows)} rows ({counts})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
