//! HTTPS: the certificate berth serves and the listener that speaks TLS (rustls with ring).
//!
//! A certificate and key given as files (BERTH_TLS_CERT_FILE / BERTH_TLS_KEY_FILE, e.g. Docker
//! secrets) are served as they are. Otherwise berth creates a self-signed certificate (rcgen)
//! in `DATA_DIR/tls/` on first start and keeps it; its SHA-256 fingerprint is logged so users
//! can check what their browser shows before they trust it.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::config::ServeArgs;

/// A TLS handshake must finish within this, or the connection is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once; more connections wait in the kernel's backlog.
const HANDSHAKES_AT_ONCE: usize = 64;

/// What berth serves over HTTPS.
pub struct Tls {
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the leaf certificate, as `AB:CD:…` (what browsers and openssl show).
    pub fingerprint: String,
    /// Where the certificate came from, for the log.
    pub origin: CertOrigin,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertOrigin {
    Given(PathBuf),
    SelfSigned { path: PathBuf, created: bool },
}

/// The certificate and key from the files given, or the self-signed pair in the data directory
/// (created on first start, for `localhost`, `127.0.0.1` and the public URL's host).
pub fn load(args: &ServeArgs) -> anyhow::Result<Tls> {
    let (certs, key, origin) = match (&args.tls_cert_file, &args.tls_key_file) {
        (Some(c), Some(k)) => {
            let (certs, key) = read_pair(c, k)?;
            (certs, key, CertOrigin::Given(c.clone()))
        }
        (None, None) => self_signed(args)?,
        _ => anyhow::bail!(
            "give both BERTH_TLS_CERT_FILE and BERTH_TLS_KEY_FILE, or neither (berth then serves a self-signed certificate)"
        ),
    };
    let fingerprint = fingerprint(&certs[0]);
    // ring builds anywhere with a C compiler (aws-lc needs more tools); rustls 0.23.48 marks it
    // deprecated because it lacks the post-quantum key exchange (X25519MLKEM768) aws-lc has.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not fit together")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        config: Arc::new(config),
        fingerprint,
        origin,
    })
}

fn read_pair(
    cert: &Path,
    key: &Path,
) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("cannot read the TLS certificate {}: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!(
            "the TLS certificate file {} holds no PEM certificate",
            cert.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("cannot read the TLS key {}: {e}", key.display()))?;
    Ok((certs, key))
}

type Pair = (
    Vec<CertificateDer<'static>>,
    PrivateKeyDer<'static>,
    CertOrigin,
);

fn self_signed(args: &ServeArgs) -> anyhow::Result<Pair> {
    let dir = args.data_dir.join("tls");
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    if cert_path.exists() && key_path.exists() {
        let (certs, key) = read_pair(&cert_path, &key_path)?;
        let origin = CertOrigin::SelfSigned {
            path: cert_path,
            created: false,
        };
        return Ok((certs, key, origin));
    }
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    if let Some(u) = &args.public_url
        && !names.contains(&u.host)
    {
        names.push(u.host.clone());
    }
    let mut params = rcgen::CertificateParams::new(names).context("certificate names")?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "berth (self-signed)");
    let key_pair = rcgen::KeyPair::generate().context("generating the TLS key")?;
    let cert = params
        .self_signed(&key_pair)
        .context("signing the TLS certificate")?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    write_private(&key_path, key_pair.serialize_pem().as_bytes())
        .with_context(|| format!("cannot write {}", key_path.display()))?;
    std::fs::write(&cert_path, cert.pem())
        .with_context(|| format!("cannot write {}", cert_path.display()))?;
    let key = PrivateKeyDer::try_from(key_pair.serialize_der())
        .map_err(|e| anyhow::anyhow!("the generated TLS key: {e}"))?;
    let origin = CertOrigin::SelfSigned {
        path: cert_path,
        created: true,
    };
    Ok((vec![cert.der().clone()], key, origin))
}

/// Writes a new file readable by its owner only (mode 0600), replacing a stale one.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// SHA-256 of a DER certificate as upper-case hex pairs joined by colons.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Accepts TCP connections and completes their TLS handshakes off the accept loop (a slow or
/// silent client holds only its own task, for at most [`HANDSHAKE_TIMEOUT`]).
pub struct TlsListener {
    ready: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let acceptor = TlsAcceptor::from(config);
        let (tx, ready) = tokio::sync::mpsc::channel(HANDSHAKES_AT_ONCE);
        let slots = Arc::new(tokio::sync::Semaphore::new(HANDSHAKES_AT_ONCE));
        let acceptor_task = tokio::spawn(async move {
            loop {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    return;
                };
                let (tcp, peer) = match listener.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::debug!("https accept: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                // responses go out as several TLS records: without this, Nagle's algorithm
                // holds the last one for the client's delayed ACK (40 ms here)
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!("TLS handshake with {peer} failed: {e}"),
                        Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
                    }
                });
            }
        });
        Ok(TlsListener {
            ready,
            local,
            acceptor_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // the accept task ended (it never does while the listener lives): accept nothing more
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_like_openssl() {
        let f = fingerprint(b"abc");
        assert_eq!(f.len(), 32 * 3 - 1);
        assert!(f.starts_with("BA:78:16:BF:"), "{f}");
    }

    #[test]
    fn a_self_signed_certificate_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let args = ServeArgs::for_test(dir.path().to_path_buf(), "unix:///x".into());
        let first = load(&args).unwrap();
        assert!(matches!(
            first.origin,
            CertOrigin::SelfSigned { created: true, .. }
        ));
        let again = load(&args).unwrap();
        assert!(matches!(
            again.origin,
            CertOrigin::SelfSigned { created: false, .. }
        ));
        assert_eq!(first.fingerprint, again.fingerprint);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let key = dir.path().join("tls/key.pem");
            assert_eq!(
                std::fs::metadata(key).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let mut half = args;
        half.tls_cert_file = Some(dir.path().join("tls/cert.pem"));
        assert!(load(&half).is_err(), "a certificate without its key");
    }
}
