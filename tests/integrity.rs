//! Evidence integrity: the output directory is one evidence set, replaced whole or not at all;
//! `verify` trusts nothing in a manifest; no output name replaces a file the run reads; the
//! command line never panics on closed streams, odd paths or absurd flags.

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{assert_exit, repo, stderr, stdout};

const BIN: &str = env!("CARGO_BIN_EXE_srmatrix");

fn cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1790812800")
        .env_remove("SRMATRIX_TEST_PAUSE_BEFORE_SWAP_MS");
    c
}

fn run(dir: &Path, args: &[&str]) -> Output {
    cmd(dir, args).output().unwrap()
}

/// `srmatrix report -i inventory.csv --out out` in `dir`, with `extra` arguments.
fn report(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["report", "-i", "inventory.csv", "--out", "out"];
    args.extend(extra);
    run(dir, &args)
}

/// A directory with the bundled example as `inventory.csv`.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(
        repo("inputs/inventory.csv"),
        dir.path().join("inventory.csv"),
    )
    .unwrap();
    dir
}

/// Every file of `dir` with its bytes, sorted by name.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

fn names(dir: &Path) -> Vec<String> {
    snapshot(dir).into_iter().map(|(n, _)| n).collect()
}

/// Staging directories left next to `out` (`.out.srmatrix-*`).
fn leftovers(parent: &Path) -> Vec<String> {
    names(parent)
        .into_iter()
        .filter(|n| n.contains(".srmatrix-"))
        .collect()
}

/// Waits until a run paused before its swap has staged its whole set (its manifest is written).
fn wait_until_staged(parent: &Path, child: &mut Child) {
    let start = Instant::now();
    loop {
        let staged = leftovers(parent)
            .iter()
            .any(|n| parent.join(n).join("manifest.json").exists());
        if staged {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the run ended ({status}) before staging a set");
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no staged set appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a report into `d/out` in `formats` that pauses just before its swap, and returns it
/// once its whole set is staged.
fn paused_report(d: &Path, formats: &str, pause_ms: u32) -> Child {
    let mut child = cmd(
        d,
        &[
            "report",
            "-i",
            "inventory.csv",
            "--out",
            "out",
            "-f",
            formats,
        ],
    )
    .env("SRMATRIX_TEST_PAUSE_BEFORE_SWAP_MS", pause_ms.to_string())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    wait_until_staged(d, &mut child);
    child
}

#[test]
fn a_new_run_replaces_the_whole_set_and_keeps_only_foreign_files() {
    let dir = workspace();
    let d = dir.path();
    let o = report(d, &["-f", "json"]);
    assert_exit(&o, 0);
    fs::rename(d.join("out/report.json"), d.join("q2.json")).unwrap();
    let o = report(d, &["-f", "md,csv", "--baseline", "q2.json"]);
    assert_exit(&o, 0);
    assert!(names(&d.join("out")).contains(&"changes.csv".to_owned()));
    fs::write(d.join("out/notes.txt"), "the reviewer's own notes").unwrap();

    // Without --baseline and CSV, the earlier run's changes.csv and CSVs must not linger in the set.
    let o = report(d, &["-f", "md"]);
    assert_exit(&o, 0);
    assert_eq!(
        names(&d.join("out")),
        ["manifest.json", "notes.txt", "report.md"]
    );
    assert_eq!(
        fs::read_to_string(d.join("out/notes.txt")).unwrap(),
        "the reviewer's own notes"
    );
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));

    // verify reports the file the manifest does not list.
    let o = run(d, &["verify", "out"]);
    assert_exit(&o, 1);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.contains("NOT IN MANIFEST") && l.ends_with("notes.txt")),
        "{}",
        stdout(&o)
    );
    assert_exit(&run(d, &["verify", "out", "--allow-unlisted"]), 0);
    // A hidden file (`.gitkeep`, `.DS_Store`) is shown, not a failure.
    fs::remove_file(d.join("out/notes.txt")).unwrap();
    fs::write(d.join("out/.DS_Store"), "").unwrap();
    let o = run(d, &["verify", "out"]);
    assert_exit(&o, 0);
    assert!(
        stdout(&o).contains("hidden, not in manifest"),
        "{}",
        stdout(&o)
    );
}

#[cfg(unix)]
#[test]
fn an_interrupted_run_leaves_the_previous_set_byte_identical() {
    let dir = workspace();
    let d = dir.path();
    assert_exit(&report(d, &[]), 0);
    let before = snapshot(&d.join("out"));
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let mut child = paused_report(d, "json,xlsx", 30000);
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "SIG{signal}");
        assert_eq!(snapshot(&d.join("out")), before, "SIG{signal}");
        assert!(leftovers(d).is_empty(), "SIG{signal}: {:?}", leftovers(d));
        assert_exit(&run(d, &["verify", "out"]), 0);
    }
}

#[cfg(unix)]
#[test]
fn a_killed_run_never_leaves_a_mixed_set_and_the_next_run_recovers() {
    let dir = workspace();
    let d = dir.path();
    assert_exit(&report(d, &[]), 0);
    let before = snapshot(&d.join("out"));
    let mut child = paused_report(d, "json", 30000);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(snapshot(&d.join("out")), before);
    assert_exit(&run(d, &["verify", "out"]), 0);
    assert_eq!(
        leftovers(d).len(),
        1,
        "SIGKILL leaves its staging directory"
    );

    let o = report(d, &["-f", "json"]);
    assert_exit(&o, 0);
    assert!(stderr(&o).contains("recovering"), "{}", stderr(&o));
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
    assert_eq!(names(&d.join("out")), ["manifest.json", "report.json"]);
    assert_exit(&run(d, &["verify", "out"]), 0);
}

#[test]
fn a_swap_cut_between_its_two_renames_is_rolled_forward_even_by_a_failing_run() {
    // Where a filesystem cannot exchange directories the swap is two renames; a crash between
    // them leaves the whole new set and the old set beside a missing --out.
    let dir = workspace();
    let d = dir.path();
    assert_exit(&report(d, &["-f", "md"]), 0);
    fs::write(d.join("out/notes.txt"), "the reviewer's").unwrap();
    fs::rename(d.join("out"), d.join(".out.srmatrix-Xy12Zq-old")).unwrap();
    assert_exit(
        &run(
            d,
            &[
                "report",
                "-i",
                "inventory.csv",
                "--out",
                "new",
                "-f",
                "json",
            ],
        ),
        0,
    );
    fs::rename(d.join("new"), d.join(".out.srmatrix-Xy12Zq")).unwrap();
    let new_set = snapshot(&d.join(".out.srmatrix-Xy12Zq"));
    fs::write(d.join("bad.csv"), "service\n\"s3\n").unwrap();
    let o = run(d, &["report", "-i", "bad.csv", "--out", "out"]);
    assert_exit(&o, 1);
    assert!(leftovers(d).is_empty(), "{:?}", leftovers(d));
    let mut want = new_set;
    want.push(("notes.txt".to_owned(), b"the reviewer's".to_vec()));
    want.sort();
    assert_eq!(
        snapshot(&d.join("out")),
        want,
        "the new set, with the foreign file back"
    );
    assert_exit(&run(d, &["verify", "out", "--allow-unlisted"]), 0);
}

#[test]
fn outputs_of_a_set_whose_manifest_was_lost_do_not_linger() {
    let dir = workspace();
    let d = dir.path();
    assert_exit(&report(d, &["-f", "json,md"]), 0);
    fs::remove_file(d.join("out/manifest.json")).unwrap();
    fs::write(d.join("out/notes.txt"), "keep").unwrap();
    assert_exit(&report(d, &["-f", "md"]), 0);
    assert_eq!(
        names(&d.join("out")),
        ["manifest.json", "notes.txt", "report.md"]
    );
}

#[cfg(unix)]
#[test]
fn two_runs_into_one_directory_take_turns() {
    let dir = workspace();
    let d = dir.path();
    let mut first = paused_report(d, "md", 1500);
    let mut second = cmd(
        d,
        &["report", "-i", "inventory.csv", "--out", "out", "-f", "csv"],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut err = String::new();
    let mut second_err = BufReader::new(second.stderr.take().unwrap());
    second_err.read_line(&mut err).unwrap();
    assert!(err.contains("waiting for another srmatrix run"), "{err}");
    assert!(
        first.try_wait().unwrap().is_none(),
        "the second run waited while the first held the directory"
    );
    assert!(first.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    assert_eq!(
        names(&d.join("out")),
        [
            "ccm-ssrm.csv",
            "cis.csv",
            "crm.csv",
            "crosswalk.csv",
            "findings.csv",
            "manifest.json",
            "registers.csv",
            "report.csv",
            "soc2-csoc-cuec.csv",
            "team-actions.csv"
        ],
        "the second set replaced the first whole"
    );
    assert_exit(&run(d, &["verify", "out"]), 0);
}

#[test]
fn no_output_name_replaces_a_file_the_run_reads() {
    let dir = workspace();
    let d = dir.path();
    fs::create_dir(d.join("out")).unwrap();
    fs::write(d.join("out/findings.csv"), "service\ns3\n").unwrap();
    let o = run(d, &["report", "-i", "out/findings.csv", "--out", "out"]);
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("it is also the input"),
        "{}",
        stderr(&o)
    );

    // A template directory that is the output directory.
    fs::write(d.join("out/report.md"), "{{ summary.services }}\n").unwrap();
    let o = report(d, &["--templates", "out"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("the template"), "{}", stderr(&o));

    // The baseline, and a policy reached through a symlink.
    fs::write(d.join("out/report.json"), "{}").unwrap();
    let o = report(d, &["-f", "json", "--baseline", "out/report.json"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("the baseline"), "{}", stderr(&o));
    #[cfg(unix)]
    {
        fs::write(d.join("out/manifest.json"), "").unwrap();
        std::os::unix::fs::symlink(d.join("out/manifest.json"), d.join("policy.toml")).unwrap();
        let o = report(d, &["--policy", "policy.toml"]);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains("the policy"), "{}", stderr(&o));
    }
    assert_eq!(
        fs::read_to_string(d.join("out/findings.csv")).unwrap(),
        "service\ns3\n",
        "nothing was written"
    );

    let o = run(d, &["report", "-i", "inventory.csv", "--out", "-"]);
    assert_exit(&o, 2);
    assert!(!d.join("-").exists());
}

#[test]
fn the_same_input_twice_is_refused() {
    let dir = workspace();
    let d = dir.path();
    for args in [
        ["inventory.csv", "inventory.csv"],
        ["inventory.csv", "./inventory.csv"],
    ] {
        let o = run(d, &["report", "-i", args[0], args[1], "--out", "out"]);
        assert_exit(&o, 2);
        assert!(stderr(&o).contains("are the same input"), "{}", stderr(&o));
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d.join("inventory.csv"), d.join("again.csv")).unwrap();
        let o = run(d, &["inspect", "inventory.csv", "again.csv"]);
        assert_exit(&o, 2);
    }
    assert!(!d.join("out").exists());
}

/// A manifest written by hand into `dir/out`, listing `outputs` as given.
fn forged_manifest(d: &Path, version: u32, outputs: &str) {
    fs::create_dir_all(d.join("out")).unwrap();
    let json = format!(
        r#"{{"manifest_version":{version},"tool":"srmatrix","generated_at":"x","command_line":[],"catalog":"c","catalog_files":[],"policy":null,"inputs":[],"outputs":{outputs}}}"#
    );
    fs::write(d.join("out/manifest.json"), json).unwrap();
}

#[test]
fn verify_trusts_nothing_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("secret"), "x").unwrap();
    let hash = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
    for (outputs, want) in [
        (
            format!(r#"[{{"path":"../secret","bytes":1,"sha256":"{hash}"}}]"#),
            "`../secret` is not a plain file name",
        ),
        (
            format!(
                r#"[{{"path":"{}","bytes":1,"sha256":"{hash}"}}]"#,
                d.join("secret").display()
            ),
            "is not a plain file name",
        ),
        ("[]".to_owned(), "lists no output"),
    ] {
        forged_manifest(d, 2, &outputs);
        let o = run(d, &["verify", "out"]);
        assert_exit(&o, 1);
        assert!(stdout(&o).contains(want), "{want}: {}", stdout(&o));
        assert!(stdout(&o).contains("NOT INTACT"));
        assert!(!stdout(&o).contains(" ok "), "{}", stdout(&o));
    }
    forged_manifest(
        d,
        7,
        &format!(r#"[{{"path":"a","bytes":1,"sha256":"{hash}"}}]"#),
    );
    let o = run(d, &["verify", "out"]);
    assert_exit(&o, 1);
    assert!(stdout(&o).contains("manifest_version 7"), "{}", stdout(&o));

    fs::write(
        d.join("out/manifest.json"),
        r#"{"manifest_version":2,"tool":"x"}"#,
    )
    .unwrap();
    let o = run(d, &["verify", "out"]);
    assert_exit(&o, 1);
    assert!(stdout(&o).contains("NOT INTACT"), "{}", stdout(&o));
}

#[cfg(unix)]
#[test]
fn verify_never_reads_a_fifo() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hash = "0".repeat(64);
    forged_manifest(
        d,
        2,
        &format!(r#"[{{"path":"pipe","bytes":1,"sha256":"{hash}"}}]"#),
    );
    mkfifo(&d.join("out/pipe"));
    let child = cmd(d, &["verify", "out"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let o = output_unless_blocked(child, "verify blocked on a FIFO");
    assert_exit(&o, 1);
    assert!(stdout(&o).contains("NOT A REGULAR FILE"), "{}", stdout(&o));
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_once_as_the_first_input() {
    // The first input's digest begins before the catalog loads, on regular files only: opening
    // the pipe early and closing it again would leave its writer without a reader.
    let dir = workspace();
    let d = dir.path();
    let path = d.join("pipe.csv");
    mkfifo(&path);
    let text = fs::read(d.join("inventory.csv")).unwrap();
    let sha = crate::util::sha256_hex(&text);
    let writer = std::thread::spawn(move || fs::write(path, text));
    let child = cmd(
        d,
        &[
            "report", "-i", "pipe.csv", "--out", "out", "--format", "json",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let o = output_unless_blocked(child, "report blocked on a named pipe");
    writer.join().unwrap().expect("the writer had its reader");
    assert_exit(&o, 0);
    let manifest = fs::read_to_string(d.join("out/manifest.json")).unwrap();
    assert!(
        manifest.contains(&sha),
        "the pipe's bytes are hashed: {manifest}"
    );
}

/// Makes a named pipe at `path`.
#[cfg(unix)]
fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// The output of `child` once it exits; kills it and fails with `blocked` after 20 seconds.
#[cfg(unix)]
fn output_unless_blocked(mut child: Child, blocked: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("{blocked}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn verify_works_from_anywhere_and_tells_a_moved_input_from_a_modified_one() {
    let dir = workspace();
    let d = dir.path();
    assert_exit(&report(d, &[]), 0);
    let elsewhere = tempfile::tempdir().unwrap();
    let out = d.join("out");
    let o = run(elsewhere.path(), &["verify", out.to_str().unwrap()]);
    assert_exit(&o, 0);

    fs::create_dir(d.join("archive")).unwrap();
    fs::rename(d.join("inventory.csv"), d.join("out/inventory.csv")).unwrap();
    let o = run(
        elsewhere.path(),
        &["verify", out.to_str().unwrap(), "--allow-unlisted"],
    );
    assert_exit(&o, 0);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.contains("moved (intact)") && l.ends_with("inventory.csv")),
        "{}",
        stdout(&o)
    );
    fs::rename(d.join("out/inventory.csv"), d.join("inventory.csv")).unwrap();
    fs::OpenOptions::new()
        .append(true)
        .open(d.join("inventory.csv"))
        .unwrap()
        .write_all(b"s3\n")
        .unwrap();
    let o = run(elsewhere.path(), &["verify", out.to_str().unwrap()]);
    assert_exit(&o, 1);
    assert!(
        stdout(&o)
            .lines()
            .any(|l| l.contains("MODIFIED") && l.ends_with("inventory.csv")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn an_input_found_modified_elsewhere_fails_even_when_inputs_are_optional() {
    let dir = workspace();
    let d = dir.path().join("w");
    fs::create_dir(&d).unwrap();
    fs::rename(dir.path().join("inventory.csv"), d.join("inventory.csv")).unwrap();
    assert_exit(&run(&d, &["init"]), 0);
    assert_exit(&report(&d, &["-f", "md"]), 0);
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("out/manifest.json")).unwrap()).unwrap();
    assert!(
        m["policy"]["absolute"]
            .as_str()
            .unwrap()
            .ends_with("srmatrix.toml")
    );
    // The whole directory moves; then the input is edited.
    let moved = dir.path().join("w2");
    fs::rename(&d, &moved).unwrap();
    assert_exit(&run(&moved, &["verify", "out"]), 0);
    fs::OpenOptions::new()
        .append(true)
        .open(moved.join("inventory.csv"))
        .unwrap()
        .write_all(b"s3\n")
        .unwrap();
    let o = run(&moved, &["verify", "out", "--inputs-optional"]);
    assert_exit(&o, 1);
    assert!(stdout(&o).contains("MODIFIED"), "{}", stdout(&o));
}

#[test]
fn two_registers_of_one_shape_are_refused_for_csv_and_xlsx() {
    let dir = workspace();
    let d = dir.path();
    let o = report(d, &["-f", "csv", "--framework", "fedramp-low,fedramp-high"]);
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("fedramp-crm"), "{}", stderr(&o));
    assert!(!d.join("out").exists());
    assert_exit(
        &report(
            d,
            &["-f", "md,json", "--framework", "fedramp-low,fedramp-high"],
        ),
        0,
    );
}

#[cfg(unix)]
#[test]
fn paths_that_are_not_utf8_work_and_are_recorded_exactly() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = workspace();
    let d = dir.path();
    let name = std::ffi::OsStr::from_bytes(b"inv\xff.csv");
    fs::copy(d.join("inventory.csv"), d.join(name)).unwrap();
    let o = Command::new(BIN)
        .arg("report")
        .arg("-i")
        .arg(name)
        .args(["--out", "out", "-f", "md"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_exit(&o, 0);
    let m: serde_json::Value =
        serde_json::from_slice(&fs::read(d.join("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["inputs"][0]["path"], "inv\\xff.csv");
    assert!(
        m["inputs"][0]["absolute_hex"]
            .as_str()
            .unwrap()
            .ends_with("ff2e637376")
    );
    assert!(
        m["command_line"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "inv\\xff.csv")
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let o = run(
        elsewhere.path(),
        &["verify", d.join("out").to_str().unwrap()],
    );
    assert_exit(&o, 0);
}

#[test]
fn closed_or_full_output_streams_never_panic() {
    let dir = workspace();
    let d = dir.path();
    // A reader that goes away after the first line: `srmatrix inspect ... | head -1`.
    for args in [
        &["inspect", "inventory.csv"][..],
        &["catalog", "services"][..],
        &["catalog", "services", "--format", "csv"][..],
        &["explain", "ec2"][..],
        &["man"][..],
    ] {
        let mut child = cmd(d, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert_exit(&o, 0);
        assert!(o.stderr.is_empty(), "{args:?}: {}", stderr(&o));
    }
    // A closed standard error cannot stop a report half-way.
    let mut child = cmd(d, &["report", "-i", "inventory.csv", "--out", "out"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert!(child.wait().unwrap().success());
    assert_exit(&run(d, &["verify", "out"]), 0);
    // A full disk behind standard output is an error, not a panic.
    if Path::new("/dev/full").exists() {
        let o = cmd(d, &["catalog", "services"])
            .stdout(
                fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            )
            .output()
            .unwrap();
        assert_exit(&o, 1);
        assert!(stderr(&o).contains("srmatrix: error:"), "{}", stderr(&o));
    }
}

#[test]
fn absurd_thread_counts_are_usage_errors() {
    let dir = workspace();
    for n in ["1025", "100000000000", "-1"] {
        let o = run(dir.path(), &["inspect", "inventory.csv", "--threads", n]);
        assert_exit(&o, 2);
    }
    assert_exit(
        &run(
            dir.path(),
            &["inspect", "inventory.csv", "--threads", "1024"],
        ),
        0,
    );
}

#[test]
fn formats_srmatrix_does_not_read_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A Parquet file is read whatever its name; a cut-off one is named as such, not read as CSV.
    fs::write(d.join("cur.csv"), b"PAR1\x15\x04\x15\x80\xff\xfe binary").unwrap();
    let o = run(d, &["report", "-i", "cur.csv", "--out", "out"]);
    assert_exit(&o, 1);
    assert!(
        stderr(&o).contains("cur.csv: cannot read the footer (the file is cut off or corrupt)"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("UTF-8"), "{}", stderr(&o));
    assert!(!d.join("out").exists());
}

#[test]
fn values_in_messages_are_escaped_for_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let name = "inv\x1b[2J\x07.csv";
    fs::write(d.join(name), "service\n\"s3\n").unwrap();
    let o = run(d, &["inspect", name]);
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
    assert!(err.contains("inv\\x1b[2J\\x07.csv"), "{err}");
}

#[test]
fn quiet_means_only_errors() {
    let dir = workspace();
    let o = run(
        dir.path(),
        &["-q", "report", "-i", "inventory.csv", "--out", "out"],
    );
    assert_exit(&o, 0);
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let o = run(
        dir.path(),
        &["report", "-i", "inventory.csv", "--out", "out", "--quiet"],
    );
    assert_exit(&o, 0);
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    let o = run(dir.path(), &["verify", "out", "-q"]);
    assert_exit(&o, 0);
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
}

#[test]
fn completions_man_page_and_help_describe_the_whole_command() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = run(dir.path(), &["completions", shell]);
        assert_exit(&o, 0);
        let script = stdout(&o);
        for word in ["report", "verify", "inventory", "baseline"] {
            assert!(script.contains(word), "{shell}: {word}");
        }
    }
    let o = run(dir.path(), &["man"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).starts_with(".ie") || stdout(&o).contains(".TH srmatrix"));
    let o = run(dir.path(), &["man", "report"]);
    assert_exit(&o, 0);
    assert!(stdout(&o).contains("srmatrix\\-report"), "{}", stdout(&o));
    assert!(stdout(&o).contains("\\-\\-inventory"));
    assert_exit(&run(dir.path(), &["man", "nope"]), 2);
    let o = run(dir.path(), &["--help"]);
    for format in [
        "md",
        "html",
        "csv",
        "json",
        "xlsx",
        "oscal",
        "manifest.json",
    ] {
        assert!(stdout(&o).contains(format), "{format}");
    }
}
