//! The HTTP transport: which certificates are trusted, which proxy carries the requests, and
//! what a TLS failure means.
//!
//! Trust: the operating system's store (read once per process; `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` are honoured as OpenSSL does), falling back to the bundled webpki roots when
//! the system has none, plus an extra PEM bundle when configured (`YUNXIAO_CA_BUNDLE`).

use std::sync::OnceLock;

use crate::config::ClientConfig;
use crate::error::Error;

/// The system's root certificates, DER-encoded; empty when it has none.
fn system_roots() -> &'static [Vec<u8>] {
    static ROOTS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        for error in &loaded.errors {
            tracing::debug!(target: "yunxiao_appstack", error = %error, "a system certificate could not be read");
        }
        loaded.certs.into_iter().map(|c| c.to_vec()).collect()
    })
}

/// Applies the trust and proxy settings of `config` to a reqwest builder.
pub(crate) fn configure(
    mut http: reqwest::ClientBuilder,
    config: &ClientConfig,
) -> Result<reqwest::ClientBuilder, Error> {
    if config.base_url().scheme() == "https" {
        let roots = system_roots();
        if roots.is_empty() {
            tracing::debug!(target: "yunxiao_appstack", "no system certificates: trusting the bundled roots");
        } else {
            http = http.tls_built_in_root_certs(false);
            for der in roots {
                // A certificate the system has but rustls cannot read is skipped, as curl does.
                if let Ok(cert) = reqwest::Certificate::from_der(der) {
                    http = http.add_root_certificate(cert);
                }
            }
        }
        if let Some(path) = config.ca_bundle() {
            let pem = std::fs::read(path).map_err(|e| {
                Error::configuration(format!("ca_bundle: cannot read {}: {e}", path.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| {
                Error::configuration(format!(
                    "ca_bundle: {} is not a PEM bundle of certificates",
                    path.display()
                ))
            })?;
            if certs.is_empty() {
                return Err(Error::configuration(format!(
                    "ca_bundle: {} holds no certificate",
                    path.display()
                )));
            }
            for cert in certs {
                http = http.add_root_certificate(cert);
            }
        }
    }
    if config.base_url().scheme() == "http" {
        // Plain http is allowed for loopback (or on explicit request); a proxy must not carry
        // the token off the machine in clear text.
        return Ok(http.no_proxy());
    }
    // Proxies come from the resolved settings only (the explicit option, else the builder's
    // environment source), never from reqwest's own reading of the process environment: a
    // client built with `ignore_environment()` must use no proxy variable.
    http = http.no_proxy();
    if let Some(proxy) = config.effective_proxy() {
        let no_proxy = config.no_proxy().and_then(reqwest::NoProxy::from_string);
        let proxy = reqwest::Proxy::all(proxy.expose())
            .map_err(|_| Error::configuration("proxy: not a valid proxy URL"))?
            .no_proxy(no_proxy);
        http = http.proxy(proxy);
    }
    Ok(http)
}

/// Why a server's certificate was refused, when a connection failed for that reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// Signed by nobody the client trusts (a private CA not configured, a self-signed
    /// certificate).
    UnknownIssuer,
    /// Expired, or not valid yet.
    Expired,
    /// Issued for another host name.
    WrongHost,
    /// Revoked, badly signed, or otherwise invalid.
    Invalid,
}

impl CertificateProblem {
    /// `unknown_issuer`, `expired`, `wrong_host` or `invalid`.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateProblem::UnknownIssuer => "unknown_issuer",
            CertificateProblem::Expired => "expired",
            CertificateProblem::WrongHost => "wrong_host",
            CertificateProblem::Invalid => "invalid",
        }
    }

    /// A few words for messages.
    pub fn describe(self) -> &'static str {
        match self {
            CertificateProblem::UnknownIssuer => {
                "its issuer is not trusted (set ca_bundle / YUNXIAO_CA_BUNDLE for a private CA)"
            }
            CertificateProblem::Expired => "it has expired or is not valid yet",
            CertificateProblem::WrongHost => "it was issued for another host name",
            CertificateProblem::Invalid => "it is invalid",
        }
    }
}

/// The certificate problem behind a failed connection, if that was the cause.
pub(crate) fn certificate_problem(
    error: &(dyn std::error::Error + 'static),
) -> Option<CertificateProblem> {
    use rustls::CertificateError as C;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        // reqwest wraps the rustls error in layers of `io::Error`, whose `source()` skips its
        // own payload: unwrap every layer by hand.
        let mut inner: &(dyn std::error::Error + 'static) = cause;
        while let Some(payload) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            inner = payload;
        }
        let tls = inner.downcast_ref::<rustls::Error>();
        if let Some(rustls::Error::InvalidCertificate(problem)) = tls {
            return Some(match problem {
                C::UnknownIssuer => CertificateProblem::UnknownIssuer,
                C::Expired
                | C::ExpiredContext { .. }
                | C::NotValidYet
                | C::NotValidYetContext { .. } => CertificateProblem::Expired,
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    CertificateProblem::WrongHost
                }
                _ => CertificateProblem::Invalid,
            });
        }
        source = cause.source();
    }
    None
}
