//! Broker outages end to end, against real brokers: the bridge in-process (or as its binary)
//! fed by the RedMist simulator, its broker behind a fault proxy the test controls.
//! - `during_run`: the broker goes away under a steady feed and comes back.
//! - `at_start`: the broker is down when the bridge starts, or refuses it.

#[path = "../shared/child.rs"]
mod child;
#[path = "../shared/fault_proxy.rs"]
mod fault_proxy;
#[path = "../shared/kafka.rs"]
mod kafka;
#[path = "../shared/order.rs"]
mod order;
#[path = "../shared/proxied_kafka.rs"]
mod proxied_kafka;
#[path = "../bridge/support.rs"]
mod support;

mod at_start;
mod during_run;
