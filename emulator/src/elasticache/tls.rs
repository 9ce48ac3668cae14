//! The emulator's own certificate authority: generated once per emulator, it signs one
//! certificate per TLS node (for the node's loopback address), and clients trust it through
//! `GET /_emulator/ca.pem`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificate: {0}")]
    Cert(#[from] rcgen::Error),
    #[error("certificate file: {0}")]
    Io(#[from] std::io::Error),
}

pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
    pub pem: String,
    pub path: PathBuf,
}

/// Files a TLS node starts with.
#[derive(Debug, Clone)]
pub struct NodeFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub ca: PathBuf,
}

impl Ca {
    /// A fresh CA whose certificate is written to `<dir>/ca.pem`.
    pub fn generate(dir: &Path) -> Result<Self, TlsError> {
        let key = KeyPair::generate()?;
        let cert = Self::params()?.self_signed(&key)?;
        let pem = cert.pem();
        std::fs::create_dir_all(dir)?;
        let path = dir.join("ca.pem");
        std::fs::write(&path, &pem)?;
        Ok(Self {
            cert,
            key,
            pem,
            path,
        })
    }

    /// The CA kept in `dir` by an earlier run (`ca.pem` + `ca.key`), else a new one that is
    /// kept there: clients that trust it keep working after an emulator restart.
    pub fn load_or_generate(dir: &Path) -> Result<Self, TlsError> {
        let (path, key_path) = (dir.join("ca.pem"), dir.join("ca.key"));
        if let (Ok(pem), Ok(key_pem)) = (
            std::fs::read_to_string(&path),
            std::fs::read_to_string(&key_path),
        ) {
            if let Ok(key) = KeyPair::from_pem(&key_pem) {
                // Same subject and key as the saved certificate: what it signs verifies
                // against the ca.pem clients already have.
                let cert = Self::params()?.self_signed(&key)?;
                return Ok(Self {
                    cert,
                    key,
                    pem,
                    path,
                });
            }
        }
        let ca = Self::generate(dir)?;
        write_private(&key_path, &ca.key.serialize_pem())?;
        Ok(ca)
    }

    fn params() -> Result<CertificateParams, TlsError> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "awsemu local ElastiCache CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ok(params)
    }

    /// A server certificate for `ip`, `localhost` and the host clients are told to use
    /// (`--advertise-host`, a name or an address), written into `dir`.
    pub fn issue(
        &self,
        ip: IpAddr,
        advertised: Option<&str>,
        dir: &Path,
    ) -> Result<NodeFiles, TlsError> {
        let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
        params.subject_alt_names.push(SanType::IpAddress(ip));
        match advertised.map(|h| (h, h.parse::<IpAddr>())) {
            Some((_, Ok(a))) if a != ip => params.subject_alt_names.push(SanType::IpAddress(a)),
            Some((h, Err(_))) if h != "localhost" => params
                .subject_alt_names
                .push(SanType::DnsName(h.try_into()?)),
            _ => {}
        }
        params
            .distinguished_name
            .push(DnType::CommonName, ip.to_string());
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.cert, &self.key)?;
        std::fs::create_dir_all(dir)?;
        let files = NodeFiles {
            cert: dir.join("node.crt"),
            key: dir.join("node.key"),
            ca: self.path.clone(),
        };
        std::fs::write(&files.cert, cert.pem())?;
        std::fs::write(&files.key, key.serialize_pem())?;
        Ok(files)
    }
}

/// Writes a private key readable by the owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?
        .write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_pem_files_for_a_node() {
        let dir = tempfile::tempdir().unwrap();
        let ca = Ca::generate(dir.path()).unwrap();
        assert!(ca.pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let f = ca
            .issue("127.100.0.1".parse().unwrap(), None, &dir.path().join("n"))
            .unwrap();
        let key = std::fs::read_to_string(f.key).unwrap();
        assert!(key.contains("PRIVATE KEY"));
        assert_ne!(std::fs::read_to_string(f.cert).unwrap(), ca.pem);
    }

    #[test]
    fn a_kept_ca_is_loaded_again() {
        let dir = tempfile::tempdir().unwrap();
        let first = Ca::load_or_generate(dir.path()).unwrap();
        let again = Ca::load_or_generate(dir.path()).unwrap();
        assert_eq!(first.pem, again.pem);
        assert_eq!(first.key.public_key_der(), again.key.public_key_der());
    }
}
