//! The end of an official-client run under node: its exit and its one JSON line of results.
//! Included by the test binaries that drive the JS clients.

use std::process::Output;
use std::time::Duration;

use tokio::task::JoinHandle;

/// Waits for the node client (60 s at most, so a hung client fails the test instead of hanging
/// it), checks it succeeded, and parses the JSON it printed.
pub async fn results(output: JoinHandle<std::io::Result<Output>>) -> serde_json::Value {
    let output = tokio::time::timeout(Duration::from_secs(60), output)
        .await
        .expect("node client finished")
        .unwrap()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "node failed: {stdout}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("bad output {stdout:?}: {e}"))
}
