//! Stamps the commit the binary was built from into `signalr_bridge_build_info`: the
//! `SIGNALR_BRIDGE_COMMIT` environment variable when set (the Dockerfile passes its `REVISION`
//! build argument, the build context has no `.git`), else `git rev-parse`, else "unknown".

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=SIGNALR_BRIDGE_COMMIT");
    // A new commit moves the branch HEAD points to; rebuild the stamp then.
    println!("cargo:rerun-if-changed=.git/HEAD");
    if let Ok(head) = std::fs::read_to_string(".git/HEAD") {
        if let Some(branch) = head.strip_prefix("ref: ") {
            println!("cargo:rerun-if-changed=.git/{}", branch.trim());
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
