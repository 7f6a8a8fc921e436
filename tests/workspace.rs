//! The workspace's shape, held by tests: the protocol crate stays sans-I/O, and the product is
//! built without the simulator's fault controls.

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

/// What `cargo tree` prints for these arguments, resolved from the lock file alone.
fn cargo_tree(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(output.status.success(), "cargo tree: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Every package in `signalr-proto`'s normal dependency tree, by name.
fn proto_dependencies() -> Vec<String> {
    let text = cargo_tree(&["-p", "signalr-proto", "-e", "normal", "--prefix", "none"]);
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

/// The simulator's features that a build of the bridge turns on: with `normal` edges what the
/// product binary gets (`cargo build`, the Docker image), with `all` what its tests get.
fn simulator_features(edges: &str) -> Vec<String> {
    let edges = format!("{edges},features");
    let text = cargo_tree(&["-p", "signalr-bridge", "-e", &edges, "-i", "signalr-sim"]);
    text.lines()
        .filter_map(|line| line.split_once("signalr-sim feature \""))
        .filter_map(|(_, rest)| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_product_is_built_without_the_simulators_fault_controls() {
    let tests = simulator_features("all");
    assert!(tests.iter().any(|f| f == "faults"), "tests steer the simulator: {tests:?}");
    let product = simulator_features("normal");
    assert!(product.iter().any(|f| f == "default"), "the demo embeds it: {product:?}");
    assert!(
        !product.iter().any(|f| f == "faults"),
        "the bridge's own build must not turn on the simulator's fault controls: {product:?}"
    );
}
