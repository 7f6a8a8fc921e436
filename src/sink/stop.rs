//! The publisher's hard stop: what the engine still holds gets a last moment to settle (a local
//! write, Kafka reports already on their way); what stays undelivered goes back to the spool,
//! with what is still queued, so a restart publishes it in order; what cannot be kept is counted.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tracing::{error, info, warn};

use super::publisher::{since, BatchTarget, Engine, Run};
use super::PublisherReport;
use crate::event::Event;
use crate::queue::QueueRx;
use crate::telemetry::Metrics;

/// How long a hard stop still gives a file, stdout or librdkafka to finish what is under way.
const FINAL_FLUSH: Duration = Duration::from_secs(1);

/// Closes the queue at a hard stop: `held` (undelivered events taken off it, oldest first) and
/// what is still queued go to the spool when there is one; what cannot be kept is counted lost.
pub(super) fn close(
    metrics: &Metrics,
    label: &'static str,
    mut rx: QueueRx,
    held: Vec<Event>,
    delivered: u64,
) -> PublisherReport {
    let closed = rx.close(held);
    for _ in 0..closed.drained {
        metrics.event_dequeued(None);
    }
    if closed.saved + closed.kept > 0 {
        info!(
            sink = label,
            saved = closed.saved,
            spooled = closed.kept,
            "Undelivered events are in the spool for the next start."
        );
    }
    // `kept` counts the spool's unacknowledged events, those in flight from it included.
    let undelivered = closed.lost + closed.saved + closed.kept;
    if closed.lost > 0 {
        error!(sink = label, lost = closed.lost, delivered, "Hard stop: events lost.");
    } else if undelivered > 0 {
        warn!(sink = label, undelivered, delivered, "Hard stop: events kept for later.");
    } else {
        warn!(sink = label, delivered, "Hard stop with nothing pending.");
    }
    if undelivered > 0 {
        metrics.undelivered(label, undelivered);
    }
    PublisherReport { delivered, undelivered, lost: closed.lost }
}

impl Run<'_> {
    /// After a hard stop: settles, saves or counts everything pending. `origins` holds the spool
    /// sequence of each event the engine holds, oldest first.
    pub(super) async fn stop(
        &self,
        engine: Engine,
        rx: QueueRx,
        mut delivered: u64,
        mut origins: VecDeque<Option<u64>>,
    ) -> PublisherReport {
        let mut from_memory = Vec::new();
        for (event, started) in self.last_moment(engine).await {
            let origin = origins.pop_front().flatten();
            match (started, origin) {
                (Some(started), origin) => {
                    let since_read = since(OffsetDateTime::now_utc(), event.time);
                    self.sent.published(started.elapsed(), since_read);
                    delivered += 1;
                    if let Some(seq) = origin {
                        rx.ack(seq);
                    }
                }
                // Still in the spool, unacknowledged: published again after the restart.
                (None, Some(_)) => {}
                (None, None) => from_memory.push(event),
            }
        }
        close(self.metrics, self.label, rx, from_memory, delivered)
    }

    /// Every event the engine holds, oldest first, with when its delivery started if a last
    /// flush or report delivered it now.
    async fn last_moment(&self, engine: Engine) -> Vec<(Event, Option<Instant>)> {
        match engine {
            Engine::Batch { target: BatchTarget::Stream(mut s), batch } if !batch.is_empty() => {
                // A local write is cheap to finish; a broker that is down is not waited for.
                let started = Instant::now();
                let flushed = tokio::time::timeout(FINAL_FLUSH, s.commit(&batch)).await;
                let at = matches!(flushed, Ok(Ok(()))).then_some(started);
                batch.into_iter().map(|e| (e, at)).collect()
            }
            Engine::Batch { batch, .. } => batch.into_iter().map(|e| (e, None)).collect(),
            Engine::Window(w) => w.into_events().into_iter().map(|e| (e, None)).collect(),
            Engine::Kafka(w) => {
                // librdkafka may still be holding reports that are only a moment away.
                let settled = w.finish(FINAL_FLUSH).await;
                settled.into_iter().map(|(f, ok)| (f.event, ok.then_some(f.started))).collect()
            }
        }
    }
}
