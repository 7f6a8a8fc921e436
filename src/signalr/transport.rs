//! The thin I/O under both dialects: TLS settings, the HTTP client, bearer tokens, and the
//! WebSocket upgrade with its failures told apart (auth, not found, network).

use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{HeaderValue, AUTHORIZATION, USER_AGENT};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use url::Url;

use crate::config::{AuthConfig, Secret, TlsConfig};

/// The socket a session owns.
pub type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A protocol frame as the WebSocket message that carries it (no copy: the buffer moves).
pub fn message(frame: signalr_proto::core::Frame) -> tokio_tungstenite::tungstenite::Message {
    use tokio_tungstenite::tungstenite::Message;
    match frame {
        signalr_proto::core::Frame::Text(text) => Message::text(text),
        signalr_proto::core::Frame::Binary(bytes) => Message::binary(bytes),
    }
}

/// Sent on every request, like the official clients' user agent.
pub const USER_AGENT_VALUE: &str = concat!("signalr-bridge/", env!("CARGO_PKG_VERSION"));

/// Settings that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// Why the WebSocket upgrade failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("the upgrade was refused: credentials missing or not accepted (HTTP {0})")]
    Unauthorized(u16),
    #[error("the upgrade answered HTTP {0}")]
    Status(u16),
    #[error("connection failed: {0}")]
    Network(String),
    #[error("timed out")]
    Timeout,
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// A credentials file the config names cannot be read: not the hub's refusal.
    #[error("cannot read {key} {path}: {reason}; fix: check that the file exists and the bridge's user may read it (the Secret's mount)")]
    File { key: &'static str, path: String, reason: String },
}

/// HTTP client and TLS configuration, shared by the hubs with the same settings.
#[derive(Clone)]
pub struct Transport {
    pub http: reqwest::Client,
    tls: Arc<rustls::ClientConfig>,
    /// Snapshot requests in flight at once, over every hub sharing this transport.
    pub snapshots: Arc<tokio::sync::Semaphore>,
}

/// At most this many snapshot requests at once per transport. A bridge following 1,000
/// events started with 1,000 requests at once: 1,000 connections and their buffers, 44 MB
/// at the peak for 100 hubs, and a burst no API server should have to take from one client.
pub const SNAPSHOTS_AT_ONCE: usize = 8;

/// The transports made so far, one per distinct TLS settings and request timeout.
///
/// Hubs with the same settings share one HTTP client (its connection pool and TLS session
/// cache) and one TLS configuration (its root store). Made per hub, these cost about 40 KB
/// each, which was a fifth of an idle 100-hub bridge's heap.
#[derive(Default)]
pub struct Transports {
    made: std::sync::Mutex<Vec<(TlsConfig, Duration, Transport)>>,
}

impl Transports {
    /// The transport for `tls` and `request_timeout`, made on first use.
    pub fn get(&self, tls: &TlsConfig, request_timeout: Duration) -> Result<Transport, SetupError> {
        let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, transport)) =
            made.iter().find(|(t, timeout, _)| t == tls && *timeout == request_timeout)
        {
            return Ok(transport.clone());
        }
        let transport = Transport::new(tls, request_timeout)?;
        made.push((tls.clone(), request_timeout, transport.clone()));
        Ok(transport)
    }
}

impl Transport {
    pub fn new(tls: &TlsConfig, request_timeout: Duration) -> Result<Transport, SetupError> {
        let tls = Arc::new(client_tls(tls)?);
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .user_agent(USER_AGENT_VALUE)
            .timeout(request_timeout)
            // Snapshots and REST reconciliation come in bursts minutes apart, several requests
            // at once (a snapshot per event): one idle pooled connection per host, kept only for
            // the burst. Unbounded, a 100-hub bridge kept 1,000 idle sockets and their buffers.
            .pool_max_idle_per_host(1)
            .pool_idle_timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| SetupError::Http(e.to_string()))?;
        let snapshots = Arc::new(tokio::sync::Semaphore::new(SNAPSHOTS_AT_ONCE));
        Ok(Transport { http, tls, snapshots })
    }

    /// Upgrades to a WebSocket, sending `authorization` (a whole header value) when given.
    pub async fn connect_ws(
        &self,
        url: &Url,
        authorization: Option<&str>,
        timeout: Duration,
    ) -> Result<WsStream, ConnectError> {
        use tokio_tungstenite::tungstenite::Error as WsError;
        let mut request =
            url.as_str().into_client_request().map_err(|e| ConnectError::Network(e.to_string()))?;
        let headers = request.headers_mut();
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        if let Some(value) = authorization {
            let value = HeaderValue::from_str(value)
                .map_err(|_| ConnectError::Network("credentials are not a valid header".into()))?;
            headers.insert(AUTHORIZATION, value);
        }
        let connector = tokio_tungstenite::Connector::Rustls(self.tls.clone());
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(ws_config()),
            true,
            Some(connector),
        );
        match tokio::time::timeout(timeout, connect).await {
            Err(_) => Err(ConnectError::Timeout),
            Ok(Ok((ws, _response))) => Ok(ws),
            Ok(Err(WsError::Http(response))) => match response.status().as_u16() {
                code @ (401 | 403) => Err(ConnectError::Unauthorized(code)),
                code => Err(ConnectError::Status(code)),
            },
            // tungstenite errors name no URL, so no token can leak through them.
            Ok(Err(e)) => Err(ConnectError::Network(e.to_string())),
        }
    }
}

/// Reads of 16 KiB: tungstenite's default 128 KiB read buffer is zero-filled up front, so
/// every connection held 128 KiB resident even when idle (most of a 100-hub bridge's memory).
/// A larger message still arrives whole; it only takes more reads.
fn ws_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(16 * 1024)
}

/// rustls with the webpki roots plus the configured CA file; verification always on.
fn client_tls(tls: &TlsConfig) -> Result<rustls::ClientConfig, SetupError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &tls.ca_file {
        let fail = |reason: String| SetupError::CaFile { path: path.display().to_string(), reason };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| fail(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| fail(e.to_string()))?;
        if certs.is_empty() {
            return Err(fail("no certificate in the file".into()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| fail(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError::Http(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    if tls.insecure_skip_verify {
        config.dangerous().set_certificate_verifier(Arc::new(insecure::AcceptAny(provider)));
    }
    Ok(config)
}

/// Credentials for one connect, read fresh each time (files may have been rotated).
#[derive(Clone)]
pub enum Credentials {
    Bearer(Secret),
    Basic { username: String, password: Secret },
}

impl Credentials {
    /// The `Authorization` header value.
    pub fn header(&self) -> String {
        use base64::Engine as _;
        match self {
            Credentials::Bearer(token) => format!("Bearer {}", token.expose()),
            Credentials::Basic { username, password } => {
                let pair = format!("{username}:{}", password.expose());
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
            }
        }
    }
}

/// The configured credentials, if any: HTTP Basic (password from config or a file re-read now),
/// else the bearer token.
pub fn current_credentials(auth: &AuthConfig) -> Result<Option<Credentials>, TokenError> {
    let Some(username) = &auth.username else {
        return Ok(current_token(auth)?.map(Credentials::Bearer));
    };
    let password = match (&auth.password, &auth.password_file) {
        (Some(p), _) => p.clone(),
        (None, Some(path)) => Secret::new(
            std::fs::read_to_string(path)
                .map_err(|e| TokenError::File {
                    key: "auth.password_file",
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?
                .trim_end_matches(['\r', '\n']),
        ),
        (None, None) => Secret::new(""),
    };
    Ok(Some(Credentials::Basic { username: username.clone(), password }))
}

/// The bearer token for this connect: the fixed one, or the file's current content (re-read on
/// every connect, so a rotated token is picked up).
pub fn current_token(auth: &AuthConfig) -> Result<Option<Secret>, TokenError> {
    if let Some(token) = &auth.bearer_token {
        return Ok(Some(token.clone()));
    }
    let Some(path) = &auth.bearer_token_file else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|e| TokenError::File {
        key: "auth.bearer_token_file",
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    Ok(Some(Secret::new(text.trim())))
}

mod insecure {
    //! `insecure_skip_verify`: any certificate is accepted; signatures on the handshake are
    //! still checked, so the session is at least bound to the key the server presented.
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, Error, SignatureScheme};

    #[derive(Debug)]
    pub struct AcceptAny(pub Arc<CryptoProvider>);

    impl ServerCertVerifier for AcceptAny {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            let algs = &self.0.signature_verification_algorithms;
            rustls::crypto::verify_tls12_signature(message, cert, dss, algs)
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            let algs = &self.0.signature_verification_algorithms;
            rustls::crypto::verify_tls13_signature(message, cert, dss, algs)
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn hubs_with_the_same_settings_share_one_transport() {
        let transports = Transports::default();
        let plain = TlsConfig::default();
        let insecure = TlsConfig { insecure_skip_verify: true, ..Default::default() };
        let second = Duration::from_secs(1);
        let a = transports.get(&plain, second).unwrap();
        let b = transports.get(&plain, second).unwrap();
        assert!(Arc::ptr_eq(&a.tls, &b.tls), "same settings, one transport");
        let c = transports.get(&insecure, second).unwrap();
        assert!(!Arc::ptr_eq(&a.tls, &c.tls), "other TLS settings, another transport");
        let d = transports.get(&plain, Duration::from_secs(2)).unwrap();
        assert!(!Arc::ptr_eq(&a.tls, &d.tls), "another timeout, another transport");
        assert_eq!(transports.made.lock().unwrap().len(), 3);
    }

    #[test]
    fn token_file_is_reread_on_every_call() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "first").unwrap();
        let auth =
            AuthConfig { bearer_token_file: Some(file.path().to_path_buf()), ..Default::default() };
        assert_eq!(current_token(&auth).unwrap().unwrap().expose(), "first");
        std::fs::write(file.path(), "second\n").unwrap();
        assert_eq!(current_token(&auth).unwrap().unwrap().expose(), "second");
    }

    #[test]
    fn basic_credentials_header_and_password_file() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "p@ss:word").unwrap();
        let auth = AuthConfig {
            username: Some("hpcadmin".into()),
            password_file: Some(file.path().to_path_buf()),
            ..Default::default()
        };
        let creds = current_credentials(&auth).unwrap().unwrap();
        // base64("hpcadmin:p@ss:word")
        assert_eq!(creds.header(), "Basic aHBjYWRtaW46cEBzczp3b3Jk");
        let bearer = AuthConfig { bearer_token: Some(Secret::new("t")), ..Default::default() };
        assert_eq!(current_credentials(&bearer).unwrap().unwrap().header(), "Bearer t");
        assert!(current_credentials(&AuthConfig::default()).unwrap().is_none());
    }

    #[test]
    fn missing_token_file_is_a_clear_error() {
        let auth = AuthConfig {
            bearer_token_file: Some("/nonexistent/token".into()),
            ..Default::default()
        };
        let err = current_token(&auth).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/token"), "{err}");
    }

    #[test]
    fn bad_ca_file_is_a_clear_error() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "not a certificate").unwrap();
        let tls =
            TlsConfig { ca_file: Some(file.path().to_path_buf()), insecure_skip_verify: false };
        let err = Transport::new(&tls, Duration::from_secs(1)).err().unwrap().to_string();
        assert!(err.contains("no certificate"), "{err}");
    }
}
