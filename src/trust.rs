//! Which servers berth trusts when it is the client (registries, git repositories, alert
//! channels, a remote berth): Mozilla's roots (webpki-roots: berth's image is FROM scratch and
//! has no system certificates) plus, per server, the CA certificates its owner gives. rustls
//! with ring, like the server side ([`crate::tls`]). Verification is never turned off.
//!
//! Also tells a certificate failure in words a person can act on ([`CertProblem`]), from
//! rustls' error wherever it sits in an error's chain (or only in its text, when a library
//! flattened it).

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Largest CA certificate text accepted (a chain of a few certificates is a few KiB).
pub const MAX_CA_PEM: usize = 64 * 1024;

/// A TLS client configuration trusting Mozilla's roots plus the certificates in `ca_pem`.
pub fn client_config(ca_pem: Option<&str>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = ca_pem {
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| format!("the CA certificate does not parse: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("the CA certificate is not usable: {e}"))?;
        }
    }
    // ring, like the server side (src/tls.rs): rustls marks it deprecated for lacking the
    // post-quantum key exchange only
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Checks that a CA certificate text holds at least one certificate that parses and that
/// rustls accepts as a root.
pub fn check_ca_pem(pem: &str) -> Result<(), String> {
    if pem.len() > MAX_CA_PEM {
        return Err(format!(
            "a CA certificate has at most {} KiB",
            MAX_CA_PEM / 1024
        ));
    }
    let mut n = 0;
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        cert.map_err(|e| format!("the CA certificate does not parse: {e}"))?;
        n += 1;
    }
    if n == 0 {
        return Err("the CA certificate holds no “-----BEGIN CERTIFICATE-----” block".into());
    }
    client_config(Some(pem)).map(|_| ())
}

/// Why a server's certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// signed by a CA berth does not trust
    UnknownIssuer,
    /// not valid for the address berth asked for
    NotValidForName,
    Expired,
    /// anything else rustls said
    Other(String),
}

impl CertProblem {
    /// Finds rustls' certificate error in `e`'s chain (directly, or inside an io::Error whose
    /// `source` skips it), else in the chain's text.
    pub fn of(e: &(dyn std::error::Error + 'static)) -> Option<CertProblem> {
        let mut text = Vec::new();
        let mut src = Some(e);
        while let Some(s) = src {
            if let Some(p) = Self::of_rustls(s) {
                return Some(p);
            }
            text.push(s.to_string());
            src = s.source();
        }
        Self::in_text(&text.join(": "))
    }

    fn of_rustls(e: &(dyn std::error::Error + 'static)) -> Option<CertProblem> {
        let tls = e.downcast_ref::<rustls::Error>().or_else(|| {
            e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        })?;
        use rustls::CertificateError as C;
        Some(match tls {
            rustls::Error::InvalidCertificate(C::UnknownIssuer) => CertProblem::UnknownIssuer,
            rustls::Error::InvalidCertificate(C::NotValidForName)
            | rustls::Error::InvalidCertificate(C::NotValidForNameContext { .. }) => {
                CertProblem::NotValidForName
            }
            rustls::Error::InvalidCertificate(C::Expired)
            | rustls::Error::InvalidCertificate(C::ExpiredContext { .. }) => CertProblem::Expired,
            other => CertProblem::Other(other.to_string()),
        })
    }

    /// rustls' error as text (`invalid peer certificate: UnknownIssuer`), when only the text
    /// reached the caller.
    pub fn in_text(text: &str) -> Option<CertProblem> {
        let i = text.find("invalid peer certificate")?;
        let detail = &text[i..];
        Some(if detail.contains("UnknownIssuer") {
            CertProblem::UnknownIssuer
        } else if detail.contains("NotValidForName") {
            CertProblem::NotValidForName
        } else if detail.contains("Expired") {
            CertProblem::Expired
        } else {
            CertProblem::Other(detail.to_string())
        })
    }

    /// The reason in words; `whose` names the server (`the registry's`, `the repository's`).
    pub fn reason(&self, whose: &str) -> String {
        match self {
            CertProblem::UnknownIssuer => {
                format!("it is signed by a CA berth does not trust (give {whose} CA certificate)")
            }
            CertProblem::NotValidForName => "it is not valid for this address".into(),
            CertProblem::Expired => "it has expired".into(),
            CertProblem::Other(t) => t.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn a_ca_is_pem_certificates_within_the_limit() {
        assert!(check_ca_pem(&ca_pem()).is_ok());
        let two = format!("{}{}", ca_pem(), ca_pem());
        assert!(check_ca_pem(&two).is_ok());
        let e = check_ca_pem("hello").unwrap_err();
        assert!(e.contains("BEGIN CERTIFICATE"), "{e}");
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(check_ca_pem(broken).is_err());
        let big = format!("{}{}", ca_pem(), " ".repeat(MAX_CA_PEM));
        assert!(check_ca_pem(&big).unwrap_err().contains("64 KiB"));
    }

    #[test]
    fn the_roots_are_mozillas_plus_the_given_ca() {
        // webpki-roots hold well over 100 roots: none comes from the system store
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
        assert!(client_config(None).is_ok());
        assert!(client_config(Some(&ca_pem())).is_ok());
    }

    #[test]
    fn certificate_failures_are_told_in_words() {
        let e = std::io::Error::other(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
        let p = CertProblem::of(&e).unwrap();
        assert_eq!(p, CertProblem::UnknownIssuer);
        assert!(
            p.reason("the repository's")
                .contains("give the repository's CA")
        );
        assert_eq!(
            CertProblem::in_text("error: invalid peer certificate: Expired"),
            Some(CertProblem::Expired)
        );
        assert_eq!(CertProblem::in_text("connection refused"), None);
    }
}
