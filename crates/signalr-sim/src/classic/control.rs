//! Steering a running classic simulator from tests: transport faults (drop, silence, shutdown
//! frame, forgetting connections) and raw frames (the `faults` feature), observation of
//! connections and invocations, and the HPC job controls that make the hubs emit events.

use std::net::SocketAddr;
use std::sync::Arc;
#[cfg(feature = "faults")]
use std::time::Duration;

#[cfg(feature = "faults")]
use tokio::time::Instant;

use crate::feed::{FeedPlan, FeedStats};
use crate::FeedRun;

use super::feed::HpcFeed;
#[cfg(feature = "faults")]
use super::session::Out;
use super::state::{Invocation, Shared};

/// Commands for a running [`super::ClassicSimulator`]. Cheap to clone.
#[derive(Clone)]
pub struct ClassicControl {
    pub(super) shared: Arc<Shared>,
    pub(super) addr: SocketAddr,
}

impl ClassicControl {
    /// `http://<addr>/hpc`.
    pub fn base_url(&self) -> url::Url {
        let text = format!("http://{}/hpc", self.addr);
        url::Url::parse(&text).unwrap_or_else(|_| unreachable!("a socket address makes a URL"))
    }
    /// Starts sending `feed` to every connection that listens to a job (leave `rate_per_sec`
    /// at 0 so the ticker stays out of the way). Call it inside a Tokio runtime.
    pub fn start_feed(&self, feed: Arc<HpcFeed>, plan: FeedPlan) -> FeedRun {
        let stats = Arc::new(FeedStats::default());
        let stop = self.shared.cancel.child_token();
        let (shared, task_stats, task_stop) = (self.shared.clone(), stats.clone(), stop.clone());
        tokio::spawn(async move {
            tokio::select! {
                _ = task_stop.cancelled() => {}
                _ = super::feed::run(shared, feed, plan, task_stats) => {}
            }
        });
        FeedRun::new(stats, stop)
    }
    /// Drops every socket abruptly; connections stay known, so `/reconnect` resumes them.
    #[cfg(feature = "faults")]
    pub fn drop_connections(&self) {
        self.shared.drop_transports();
    }
    /// Sends nothing (not even keep-alives) and reads nothing for `for_`.
    #[cfg(feature = "faults")]
    pub fn go_silent(&self, for_: Duration) {
        self.shared.go_silent(Instant::now() + for_);
    }
    /// Sends `{"C":…,"T":1,"M":[]}` and closes each socket (code 1000).
    #[cfg(feature = "faults")]
    pub fn shutdown_frame(&self) {
        self.shared.send_all(Out::Shutdown);
    }
    /// Forgets every connection (as after OnDisconnected): reconnects get 404, so clients must
    /// negotiate again.
    #[cfg(feature = "faults")]
    pub fn forget_connections(&self) {
        self.shared.forget_all();
    }
    /// Sends `text` as one WebSocket text frame to every socket.
    #[cfg(feature = "faults")]
    pub fn inject_raw(&self, text: String) {
        self.shared.send_all(Out::Frame(text.into()));
    }
    /// Sockets now attached to a connection.
    pub fn connection_count(&self) -> usize {
        self.shared.live_count()
    }
    /// WebSocket transports opened so far, resumed ones included (a count that only grows).
    pub fn transports_opened(&self) -> u64 {
        self.shared.transports_opened()
    }
    /// Waits until exactly `n` sockets are attached.
    pub async fn wait_for_connections(&self, n: usize) {
        let mut rx = self.shared.watch_live();
        let _ = rx.wait_for(|count| *count == n).await;
    }
    /// Every hub invocation from clients so far: (hub, method, arguments JSON array). The hub
    /// is the canonical name when it resolved, else as the client sent it.
    pub fn invocations_received(&self) -> Vec<Invocation> {
        self.shared.invocations()
    }
    /// Waits until at least `n` hub invocations have arrived.
    pub async fn wait_for_invocations(&self, n: usize) {
        let mut rx = self.shared.watch_invocation_count();
        let _ = rx.wait_for(|count| *count >= n).await;
    }
    /// Submits a job with the configured number of tasks; returns its id.
    pub fn submit_job(&self) -> u32 {
        self.submit_job_with_tasks(self.shared.config.tasks_per_job)
    }
    pub fn submit_job_with_tasks(&self, tasks: u32) -> u32 {
        self.shared.with_model(|model| model.submit_job(tasks))
    }
    /// Renames a job and sets the node groups it asks for (what REST lists and filters on).
    pub fn describe_job(&self, job: u32, name: &str, node_groups: &[&str]) -> bool {
        self.shared.with_model(|model| (model.describe(job, name, node_groups), Vec::new()))
    }
    /// Moves the job one step; false when it is unknown or already ended.
    pub fn advance(&self, job: u32) -> bool {
        self.shared.with_model(|model| {
            let events = model.advance(job);
            (!events.is_empty(), events)
        })
    }
    /// Runs the job through every remaining step to `Finished`.
    pub fn finish(&self, job: u32) {
        self.shared.with_model(|model| ((), model.finish(job)));
    }
    /// Ends the job in `Failed`.
    pub fn fail(&self, job: u32) {
        self.shared.with_model(|model| ((), model.end(job, "Failed")));
    }
    /// Ends the job in `Canceled`.
    pub fn cancel(&self, job: u32) {
        self.shared.with_model(|model| ((), model.end(job, "Canceled")));
    }
    /// The job's current state name.
    pub fn job_state(&self, job: u32) -> Option<&'static str> {
        self.shared.read_model(|model| model.job(job).map(|j| j.state))
    }
}
