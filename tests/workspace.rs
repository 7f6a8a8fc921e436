//! The workspace's shape, held by tests: the protocol crate stays sans-I/O.

use std::process::Command;

/// Crates that would mean I/O or a runtime inside the protocol crate.
const IO_CRATES: [&str; 9] = [
    "tokio",
    "mio",
    "reqwest",
    "hyper",
    "tungstenite",
    "tokio-tungstenite",
    "async-nats",
    "rdkafka",
    "futures-io",
];

/// Every package in `signalr-proto`'s normal dependency tree, by name.
fn proto_dependencies() -> Vec<String> {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "-p", "signalr-proto", "-e", "normal"])
        .args(["--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo tree: {}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    text.lines().filter_map(|line| line.split_whitespace().next()).map(str::to_owned).collect()
}

#[test]
fn the_protocol_crate_has_no_runtime_socket_or_http_client() {
    let dependencies = proto_dependencies();
    assert!(dependencies.iter().any(|d| d == "signalr-proto"), "{dependencies:?}");
    assert!(dependencies.iter().any(|d| d == "serde_json"), "the tree was read: {dependencies:?}");
    let io: Vec<&String> =
        dependencies.iter().filter(|d| IO_CRATES.contains(&d.as_str())).collect();
    assert!(io.is_empty(), "signalr-proto must stay sans-I/O, but depends on {io:?}");
}
