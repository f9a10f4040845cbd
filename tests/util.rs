//! Helpers for running the binary and reading fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path below the repository root.
pub fn repo(rel: &str) -> PathBuf {
    root().join(rel)
}

/// Runs `srmatrix` with `args` in `dir`, with a clean SOURCE_DATE_EPOCH.
pub fn srmatrix_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_srmatrix"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("run srmatrix")
}

/// Runs `srmatrix` with `args` in the repository root.
pub fn srmatrix(args: &[&str]) -> Output {
    srmatrix_in(&root(), args)
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it differs.
#[track_caller]
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        stdout(o),
        stderr(o)
    );
}

/// Whether the program a test needs is installed at `path`. Without it the test is skipped with
/// a message, unless `CI` is set: then it fails, naming the Debian `package` (`.ci/run` installs
/// it).
pub fn tool_available(path: &str, package: &str) -> bool {
    if Path::new(path).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {path} is missing: install Debian's {package} package"
    );
    eprintln!("skipped: {path} not found (apt-get install {package}); CI not set");
    false
}

/// SHA-256 of bytes, in lower-case hex (as `sha256sum` prints it).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    srmatrix_model::hex(&sha2::Sha256::digest(bytes))
}
