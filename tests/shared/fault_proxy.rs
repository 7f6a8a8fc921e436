//! A TCP fault proxy of our own, for putting between the bridge and a hub or a broker: it
//! forwards bytes both ways and, on command, pauses them, slices them into small writes, delays
//! them, closes every connection cleanly or with a reset, or refuses new connections. Loopback
//! only; every loop ends when the proxy is dropped. Each test binary uses part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Faults {
    paused: AtomicBool,
    refuse: AtomicBool,
    /// 0: forward whole reads; else at most this many bytes per write.
    slice: AtomicU64,
    delay_ms: AtomicU64,
}

pub struct FaultProxy {
    pub addr: SocketAddr,
    faults: Arc<Faults>,
    /// Bumped to end every open connection; the bool says whether with a reset.
    generation: watch::Sender<(u64, bool)>,
    stop: CancellationToken,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let faults = Arc::new(Faults::default());
        let (generation, _) = watch::channel((0, false));
        let stop = CancellationToken::new();
        let proxy = FaultProxy { addr, faults: faults.clone(), generation, stop: stop.clone() };
        let ends = proxy.generation.clone();
        tokio::spawn(async move {
            loop {
                let (inbound, _) = tokio::select! {
                    () = stop.cancelled() => return,
                    accepted = listener.accept() => match accepted { Ok(a) => a, Err(_) => return },
                };
                if faults.refuse.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let (faults, ends, stop) = (faults.clone(), ends.subscribe(), stop.clone());
                tokio::spawn(connection(inbound, upstream, faults, ends, stop));
            }
        });
        proxy
    }

    /// Holds every byte in both directions until [`FaultProxy::resume`].
    pub fn pause(&self) {
        self.faults.paused.store(true, Ordering::SeqCst);
    }
    pub fn resume(&self) {
        self.faults.paused.store(false, Ordering::SeqCst);
    }
    /// Refuses (accepts and closes at once) new connections while set.
    pub fn refuse(&self, refuse: bool) {
        self.faults.refuse.store(refuse, Ordering::SeqCst);
    }
    /// Writes at most `bytes` at a time (0: no slicing), so frames arrive in pieces.
    pub fn slice(&self, bytes: u64) {
        self.faults.slice.store(bytes, Ordering::SeqCst);
    }
    /// Waits this long before forwarding each read.
    pub fn delay(&self, delay: Duration) {
        self.faults.delay_ms.store(delay.as_millis() as u64, Ordering::SeqCst);
    }
    /// Closes every open connection: cleanly, or with a TCP reset.
    pub fn drop_connections(&self, reset: bool) {
        self.generation.send_modify(|g| *g = (g.0 + 1, reset));
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn connection(
    inbound: TcpStream,
    upstream: SocketAddr,
    faults: Arc<Faults>,
    mut ends: watch::Receiver<(u64, bool)>,
    stop: CancellationToken,
) {
    let Ok(outbound) = TcpStream::connect(upstream).await else { return };
    let born = ends.borrow().0;
    let (inbound, outbound) = (Arc::new(inbound), Arc::new(outbound));
    let reset = tokio::select! {
        () = stop.cancelled() => false,
        () = pump(inbound.clone(), outbound.clone(), faults.clone()) => false,
        () = pump(outbound.clone(), inbound.clone(), faults) => false,
        reset = async {
            loop {
                if ends.changed().await.is_err() { return false }
                let (generation, reset) = *ends.borrow();
                if generation != born { return reset }
            }
        } => reset,
    };
    if reset {
        // A zero linger makes the close send RST instead of FIN.
        let _ = inbound.set_zero_linger();
        let _ = outbound.set_zero_linger();
    }
}

/// Copies `from` to `to` under the current faults until either side closes.
async fn pump(from: Arc<TcpStream>, to: Arc<TcpStream>, faults: Arc<Faults>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match read(&from, &mut buf).await {
            Some(0) | None => return,
            Some(n) => n,
        };
        while faults.paused.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let delay = faults.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let slice = faults.slice.load(Ordering::SeqCst) as usize;
        let step = if slice == 0 { n } else { slice };
        for chunk in buf[..n].chunks(step) {
            if write(&to, chunk).await.is_none() {
                return;
            }
        }
    }
}

async fn read(stream: &TcpStream, buf: &mut [u8]) -> Option<usize> {
    loop {
        stream.readable().await.ok()?;
        match stream.try_read(buf) {
            Ok(n) => return Some(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return None,
        }
    }
}

async fn write(stream: &TcpStream, mut bytes: &[u8]) -> Option<()> {
    while !bytes.is_empty() {
        stream.writable().await.ok()?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return None,
        }
    }
    Some(())
}
