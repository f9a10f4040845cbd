//! The organisation policy: init, check, and what it does to a report.

use std::fs;

use crate::util::{assert_exit, repo, srmatrix_in, stderr, stdout};

fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        repo("inputs/inventory.csv"),
        dir.path().join("inventory.csv"),
    )
    .unwrap();
    dir
}

#[test]
fn init_writes_a_valid_starter_and_never_overwrites() {
    let dir = workdir();
    assert_exit(&srmatrix_in(dir.path(), &["init"]), 0);
    let first = fs::read(dir.path().join("srmatrix.toml")).unwrap();
    let o = srmatrix_in(dir.path(), &["init"]);
    assert_exit(&o, 1);
    assert!(stderr(&o).contains("not overwriting"));
    assert_eq!(fs::read(dir.path().join("srmatrix.toml")).unwrap(), first);
    let o = srmatrix_in(dir.path(), &["policy", "check"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("srmatrix.toml: ok"));
}

#[test]
fn policy_check_names_the_line_of_each_problem() {
    let dir = workdir();
    fs::write(
        dir.path().join("p.toml"),
        "organisation = \"X\"\n\n[[inherit]]\ndomain = \"nope\"\nfrom = \"MSP\"\n\n[[exception]]\ncontrol = \"SRM-ENC-01\"\nservice = \"s3\"\njustification = \"\"\napprover = \"CISO\"\nexpires = \"soon\"\n",
    )
    .unwrap();
    let o = srmatrix_in(dir.path(), &["policy", "check", "--policy", "p.toml"]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(err.contains("p.toml:4:10: unknown domain `nope`"), "{err}");
    assert!(
        err.contains("p.toml:12:11: `expires` = `soon` is not a date"),
        "{err}"
    );
    assert!(
        err.contains("p.toml:10:17: `justification` is empty"),
        "{err}"
    );
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "inventory.csv",
            "--out",
            "out",
            "--policy",
            "p.toml",
        ],
    );
    assert_exit(&o, 1);
    assert!(!dir.path().join("out").exists());
}

/// `policy check` and `report` take an unquoted TOML date for `expires`; a scope that includes
/// and excludes one account, and a control assigned twice, are errors naming both places.
#[test]
fn policy_takes_toml_dates_and_refuses_contradictions() {
    let dir = workdir();
    let good = "[[exception]]\ncontrol = \"SRM-ENC-01\"\nservice = \"s3\"\njustification = \"legacy\"\napprover = \"CISO\"\nexpires = 2099-12-31\n";
    let bad = format!(
        "{good}\n[[assign]]\ncontrol = \"SRM-IR-02\"\nteam = \"SecOps\"\n\n[[assign]]\ncontrol = \"SRM-IR-02\"\nteam = \"Platform\"\n\n[scope]\ninclude_accounts = [\"410381759246\"]\nexclude_accounts = [\"410381759246\"]\n"
    );
    fs::write(dir.path().join("bad.toml"), bad).unwrap();
    let o = srmatrix_in(dir.path(), &["policy", "check", "--policy", "bad.toml"]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(
        err.contains("bad.toml:13:11: control `SRM-IR-02` is assigned again here (to `Platform`) and already at line 9, column 11"),
        "{err}"
    );
    assert!(
        err.contains("bad.toml:18:21: account `410381759246` is excluded here and included at line 17, column 21"),
        "{err}"
    );
    assert!(!err.contains("expires"), "the TOML date is accepted: {err}");
    fs::write(dir.path().join("good.toml"), good).unwrap();
    let o = srmatrix_in(dir.path(), &["policy", "check", "--policy", "good.toml"]);
    assert_exit(&o, 0);
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "inventory.csv",
            "--out",
            "out",
            "--policy",
            "good.toml",
            "--format",
            "md",
        ],
    );
    assert_exit(&o, 0);
    let md = fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(
        md.contains("| legacy | CISO | 2099-12-31 | active |"),
        "the date as written"
    );
}

const POLICY: &str = r#"
organisation = "Policy Org"
period = "2026-Q3"

[tags]
team = ["cost-center"]

[[assign]]
domain = "iam"
team = "Platform Security"

[[inherit]]
control = "SRM-LOG-03"
from = "Contoso MDR"

[[out_of_scope]]
control = "SRM-TRN-01"
justification = "Covered by the group-wide programme"

[[exception]]
control = "SRM-ENC-01"
service = "s3"
justification = "legacy bucket"
approver = "CISO"
expires = "2026-09-30"

[[exception]]
control = "SRM-ENC-01"
service = "rds"
justification = "migration"
approver = "CISO"
expires = "2027-03-31"

[scope]
exclude_accounts = ["749316052813"]
"#;

#[test]
fn the_policy_shapes_the_report() {
    let dir = workdir();
    fs::write(dir.path().join("srmatrix.toml"), POLICY).unwrap();
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "inventory.csv",
            "--out",
            "out",
            "--generated-at",
            "2026-10-01T00:00:00Z",
            "--format",
            "md,csv,json",
        ],
    );
    assert_exit(&o, 0);
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("out/report.json")).unwrap()).unwrap();
    assert_eq!(
        v["meta"]["organisation"], "Policy Org",
        "organisation from the policy"
    );
    assert_eq!(v["meta"]["period"], "2026-Q3");

    let input = &v["inputs"][0];
    let excluded = input["out_of_scope_rows"].as_u64().unwrap();
    assert!(excluded > 0, "rows of the excluded account are counted");
    assert!(
        !v["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "749316052813")
    );
    let parts = [
        "mapped_rows",
        "unmapped_rows",
        "non_service_rows",
        "blank_service_rows",
        "non_resource_rows",
        "out_of_scope_rows",
    ];
    let sum: u64 = parts.iter().map(|k| input[*k].as_u64().unwrap()).sum();
    assert_eq!(sum, input["rows"].as_u64().unwrap(), "nothing lost");

    let teams: Vec<&str> = v["team_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["team"].as_str().unwrap())
        .collect();
    assert!(teams.contains(&"Platform Security"), "{teams:?}");
    for t in v["team_actions"].as_array().unwrap() {
        for a in t["actions"].as_array().unwrap() {
            let control = a["control"].as_str().unwrap();
            assert!(
                control != "SRM-LOG-03" && control != "SRM-TRN-01",
                "inherited and out-of-scope controls leave no action"
            );
            if control.starts_with("SRM-IAM-") {
                assert_eq!(t["team"], "Platform Security", "IAM is assigned");
            }
        }
    }
    let codes: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["subject"].as_str().unwrap()))
        .collect();
    assert!(
        codes.contains(&("expired-exception", "s3 × SRM-ENC-01")),
        "{codes:?}"
    );
    assert!(
        !codes
            .iter()
            .any(|(c, s)| *c == "expired-exception" && s.starts_with("rds")),
        "rds exception still active"
    );

    let csv = fs::read_to_string(dir.path().join("out/report.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(csv.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let (ctl, ccm) = (
        h.iter().position(|x| x == "control_id").unwrap(),
        h.iter().position(|x| x == "ccm_ssrm_ownership").unwrap(),
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert!(
        rows.iter()
            .filter(|r| &r[ctl] == "SRM-LOG-03")
            .all(|r| &r[ccm] == "Third-party outsourced")
    );
    let md = fs::read_to_string(dir.path().join("out/report.md")).unwrap();
    assert!(md.contains("## Organisation policy"));
    assert!(md.contains("| 2026-09-30 | **expired** |"));

    // A flag wins over the policy.
    let o = srmatrix_in(
        dir.path(),
        &[
            "report",
            "-i",
            "inventory.csv",
            "--out",
            "out2",
            "--org",
            "Flag Org",
            "--format",
            "json",
        ],
    );
    assert_exit(&o, 0);
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("out2/report.json")).unwrap()).unwrap();
    assert_eq!(v["meta"]["organisation"], "Flag Org");
}
