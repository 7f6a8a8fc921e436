//! Stamps the commit the binary was built from into `signalr_bridge_build_info`: the
//! `SIGNALR_BRIDGE_COMMIT` environment variable when set (the Dockerfile passes its `REVISION`
//! build argument, the build context has no `.git`), else `git rev-parse`, else "unknown".

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SIGNALR_BRIDGE_COMMIT");
    // A new commit moves the branch HEAD points to; rebuild the stamp then. Only paths that
    // exist are watched: a missing one would make Cargo run this script on every build (a
    // worktree's `.git` file, a packed ref, a source tarball).
    let git_path = |path: &str| {
        let out = Command::new("git").args(["rev-parse", "--git-path", path]).output().ok()?;
        let found = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && std::path::Path::new(&found).exists()).then_some(found)
    };
    let branch = Command::new("git").args(["symbolic-ref", "-q", "HEAD"]).output().ok();
    let branch = branch.and_then(|o| String::from_utf8(o.stdout).ok()).unwrap_or_default();
    for path in ["HEAD", branch.trim(), "packed-refs"] {
        if let Some(found) = (!path.is_empty()).then(|| git_path(path)).flatten() {
            println!("cargo:rerun-if-changed={found}");
        }
    }
    let from_git = || {
        let out = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
        let commit = String::from_utf8(out.stdout).ok()?;
        out.status.success().then(|| commit.trim().to_owned())
    };
    let commit = std::env::var("SIGNALR_BRIDGE_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(from_git)
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=SIGNALR_BRIDGE_COMMIT={commit}");
}
