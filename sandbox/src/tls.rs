//! `--tls`: a throwaway certificate authority and server certificate made at start, and the
//! rustls acceptor that serves them.
//!
//! Everything is generated in memory with `rcgen` on the `ring` provider (the one reqwest's
//! rustls uses), so serving https pulls no C code into the build. Only the CA's certificate is
//! written to disk (`ca.pem`), for clients to trust; the keys never leave the process.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;
use tracing::warn;

/// The file name of the CA certificate inside the TLS directory.
pub const CA_FILE_NAME: &str = "ca.pem";

/// The names a server certificate is issued for by default: every loopback spelling.
pub const DEFAULT_TLS_HOSTNAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// How the sandbox serves https; see [`crate::SandboxConfig::tls`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Where to write `ca.pem`; `None` makes a private temporary directory that is removed
    /// when the server stops. A given directory is created if missing and left in place.
    pub dir: Option<PathBuf>,
    /// The names (DNS names or IP addresses) the server certificate is issued for instead of
    /// [`DEFAULT_TLS_HOSTNAMES`] and the bound address, e.g. `example.invalid` to make clients
    /// refuse it for the wrong host name. Empty: the defaults.
    pub hostnames: Vec<String>,
    /// Issues a server certificate that expired in 2001, to make clients refuse it as expired.
    pub expired: bool,
}

/// The generated certificates, the written CA file and the acceptor serving them.
pub(crate) struct TlsMaterial {
    ca_pem: String,
    ca_path: PathBuf,
    acceptor: TlsAcceptor,
    /// Removes the temporary directory when the last holder drops it.
    _dir: Option<TempDir>,
}

impl fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("ca_path", &self.ca_path)
            .finish_non_exhaustive()
    }
}

impl TlsMaterial {
    /// Generates a CA and a server certificate for `addr` (or `options.hostnames`), writes the
    /// CA's PEM and builds the acceptor.
    pub(crate) fn generate(options: &TlsOptions, addr: SocketAddr) -> io::Result<TlsMaterial> {
        let (ca_pem, chain, key) = generate_certificates(options, addr).map_err(invalid)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .map_err(invalid)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(invalid)?;
        // The server speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let (dir, temp) = match &options.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                (dir.clone(), None)
            }
            None => {
                let temp = TempDir::create()?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let ca_path = dir.join(CA_FILE_NAME);
        std::fs::write(&ca_path, ca_pem.as_bytes())?;
        // An absolute path stays right whatever the reader's working directory.
        let ca_path = std::fs::canonicalize(&ca_path).unwrap_or(ca_path);
        Ok(TlsMaterial {
            ca_pem,
            ca_path,
            acceptor,
            _dir: temp,
        })
    }

    /// The CA certificate, PEM-encoded.
    pub(crate) fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Where the CA certificate was written.
    pub(crate) fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// The acceptor for incoming connections.
    pub(crate) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}

fn invalid(error: impl std::error::Error + Send + Sync + 'static) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, error)
}

/// The names the server certificate is issued for.
fn server_names(options: &TlsOptions, addr: SocketAddr) -> Vec<String> {
    if !options.hostnames.is_empty() {
        return options.hostnames.clone();
    }
    let mut names: Vec<String> = DEFAULT_TLS_HOSTNAMES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let ip = addr.ip();
    let is_default = ip.is_unspecified()
        || ip == IpAddr::V4(Ipv4Addr::LOCALHOST)
        || ip == IpAddr::V6(Ipv6Addr::LOCALHOST);
    if !is_default {
        names.push(ip.to_string());
    }
    names
}

type Generated = (String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The CA's PEM, the server's chain (leaf, then CA) and the server's key.
fn generate_certificates(
    options: &TlsOptions,
    addr: SocketAddr,
) -> Result<Generated, rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::default();
    let mut ca_name = DistinguishedName::new();
    // A name of its own per CA: a client that trusts another sandbox's CA must see an unknown
    // issuer, not a same-named issuer whose signature does not match.
    let fingerprint: String = ca_key
        .public_key_raw()
        .iter()
        .rev()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    ca_name.push(
        DnType::CommonName,
        format!("yunxiao-sandbox throwaway CA {fingerprint}"),
    );
    ca_name.push(DnType::OrganizationName, "yunxiao-sandbox");
    ca_params.distinguished_name = ca_name;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key)?;

    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(server_names(options, addr))?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "yunxiao-sandbox");
    params.distinguished_name = name;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    if options.expired {
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(2001, 1, 1);
    }
    let server = params.signed_by(&server_key, &ca, &ca_key)?;

    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let chain = vec![server.der().clone(), ca.der().clone()];
    Ok((ca.pem(), chain, key))
}

/// A private directory under the system's temporary directory, removed on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn create() -> io::Result<TempDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        for attempt in 0..16u32 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!(
                "yunxiao-sandbox-tls-{}-{n}-{nanos:x}-{attempt}",
                std::process::id()
            ));
            // `create_dir` fails if it exists: nobody else's directory is ever reused.
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "cannot create a temporary directory for the CA certificate",
        ))
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            warn!(path = %self.path.display(), error = %e, "cannot remove the TLS directory");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_default_to_loopback_plus_the_bound_address() {
        let local: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        assert_eq!(
            server_names(&TlsOptions::default(), local),
            ["127.0.0.1", "localhost", "::1"]
        );
        let other: SocketAddr = "10.1.2.3:1".parse().expect("addr");
        assert_eq!(
            server_names(&TlsOptions::default(), other)
                .last()
                .map(String::as_str),
            Some("10.1.2.3")
        );
        let wrong = TlsOptions {
            hostnames: vec!["example.invalid".into()],
            ..TlsOptions::default()
        };
        assert_eq!(server_names(&wrong, local), ["example.invalid"]);
    }

    #[test]
    fn a_temporary_directory_is_removed_with_its_material() {
        let addr: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        let material = TlsMaterial::generate(&TlsOptions::default(), addr).expect("generated");
        let path = material.ca_path().to_path_buf();
        let written = std::fs::read_to_string(&path).expect("written");
        assert_eq!(written, material.ca_pem());
        assert!(written.starts_with("-----BEGIN CERTIFICATE-----"));
        drop(material);
        assert!(!path.exists(), "{} is removed", path.display());
    }

    #[test]
    fn a_bad_hostname_is_an_error_not_a_panic() {
        let addr: SocketAddr = "127.0.0.1:1".parse().expect("addr");
        let bad = TlsOptions {
            hostnames: vec!["not a name\u{0}".into()],
            ..TlsOptions::default()
        };
        // rcgen accepts most strings as DNS names; whatever it does, no panic.
        let _ = TlsMaterial::generate(&bad, addr);
    }
}
