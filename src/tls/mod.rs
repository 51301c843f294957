//! TLS as a listener sees it: what the handshake leaves in the clear, and the sizes of what
//! is encrypted. For a POP3 session on port 995 or after STLS.
//!
//! Contract: pure — fed each direction's bytes (and gaps) in stream order, it reads the record
//! layer (RFC 8446 §5, RFC 5246 §6.2) and, while a direction is not yet encrypted, its
//! handshake messages: the ClientHello (offered versions, cipher suites, SNI, ALPN, the JA3
//! fingerprint), the ServerHello (the version and suite chosen), the certificate chain of TLS
//! 1.2 and below (subject, issuer, validity, names, self-signed), and alerts. Bounded: at most
//! [`MAX_HANDSHAKE`] bytes of handshake kept per direction, records counted whatever their
//! size; after a gap a direction is only counted. Parsing is tls-parser's and x509-parser's.

use md5::{Digest, Md5};
use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, TlsRecordType, parse_tls_extensions,
    parse_tls_message_handshake, parse_tls_record_header,
};

use crate::base::Direction;
use crate::base::hex;

/// Handshake bytes kept per direction at most (a certificate chain fits many times over).
pub const MAX_HANDSHAKE: usize = 64 * 1024;

/// Certificates of a chain described at most.
const MAX_CERTIFICATES: usize = 8;

/// What a TLS session showed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TlsFacts {
    /// The version the ClientHello's record layer and legacy field give (`TLS 1.2` for a TLS
    /// 1.3 client, as RFC 8446 §4.1.2 asks).
    pub client_hello_version: Option<String>,
    /// The versions the client offers (supported_versions), newest first as sent.
    pub offered_versions: Vec<String>,
    /// The version the server chose: supported_versions of the ServerHello, else its field.
    pub version: Option<String>,
    /// The cipher suite the server chose, by its IANA name.
    pub cipher: Option<String>,
    /// Server Name Indication: the host name the client asked for.
    pub sni: Option<String>,
    /// Application protocols the client offered (ALPN).
    pub alpn: Vec<String>,
    /// The JA3 string of the ClientHello and its MD5: the client's fingerprint.
    pub ja3: Option<String>,
    /// MD5 of [`TlsFacts::ja3`].
    pub ja3_hash: Option<String>,
    /// The server's certificates, leaf first (TLS 1.2 and below; TLS 1.3 encrypts them).
    pub certificates: Vec<CertificateFacts>,
    /// Alerts seen in the clear, as `level description`.
    pub alerts: Vec<String>,
    /// Records each way: client to server, server to client.
    pub records: [u64; 2],
    /// Application-data records each way (all encrypted records, in TLS 1.3).
    pub application_records: [u64; 2],
    /// Bytes of application-data records each way, headers included.
    pub application_bytes: [u64; 2],
}

/// One certificate of the server's chain.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CertificateFacts {
    /// The subject's distinguished name.
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// Valid from, and until.
    pub not_before: String,
    /// Valid until.
    pub not_after: String,
    /// DNS names and addresses of subjectAltName.
    pub names: Vec<String>,
    /// Subject and issuer are the same: nobody vouches for it.
    pub self_signed: bool,
}

/// One direction's reading state.
#[derive(Default)]
struct Side {
    /// Bytes of a record header not complete yet.
    header: Vec<u8>,
    /// The current record: its type and what is left of its body.
    record: Option<(TlsRecordType, usize)>,
    /// Handshake bytes in the clear, messages not yet read.
    handshake: Vec<u8>,
    /// The body of the alert record being read.
    alert: Vec<u8>,
    /// ChangeCipherSpec seen (or application data): the rest is encrypted.
    encrypted: bool,
    /// A gap, or more handshake than kept: only counted from now on.
    blind: bool,
}

/// Reads one TLS connection's two directions.
#[derive(Default)]
pub struct TlsObserver {
    sides: [Side; 2],
    facts: TlsFacts,
}

impl TlsObserver {
    /// What was seen so far.
    pub fn facts(&self) -> &TlsFacts {
        &self.facts
    }

    /// `len` bytes of `dir` are missing: its records can no longer be framed.
    pub fn gap(&mut self, dir: Direction) {
        self.sides[dir.index()].blind = true;
    }

    /// The next bytes of one direction.
    pub fn bytes(&mut self, dir: Direction, mut input: &[u8]) {
        let s = dir.index();
        while !input.is_empty() && !self.sides[s].blind {
            let side = &mut self.sides[s];
            match side.record {
                None => {
                    let need = 5 - side.header.len();
                    let take = need.min(input.len());
                    side.header.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if side.header.len() < 5 {
                        return;
                    }
                    let Ok((_, header)) = parse_tls_record_header(&side.header) else {
                        side.blind = true;
                        return;
                    };
                    side.header.clear();
                    side.record = Some((header.record_type, usize::from(header.len)));
                    self.facts.records[s] += 1;
                    if header.record_type == TlsRecordType::ApplicationData {
                        self.facts.application_records[s] += 1;
                        self.facts.application_bytes[s] += 5 + u64::from(header.len);
                        side.encrypted = true;
                    }
                    if header.record_type == TlsRecordType::ChangeCipherSpec {
                        side.encrypted = true;
                    }
                }
                Some((kind, left)) => {
                    let take = left.min(input.len());
                    let body = &input[..take];
                    input = &input[take..];
                    side.record = (left > take).then_some((kind, left - take));
                    match kind {
                        TlsRecordType::Handshake if !side.encrypted => {
                            if side.handshake.len() + body.len() > MAX_HANDSHAKE {
                                side.blind = true;
                                return;
                            }
                            side.handshake.extend_from_slice(body);
                            self.read_handshake(dir);
                        }
                        TlsRecordType::Alert if !side.encrypted => {
                            if side.alert.len() < 2 {
                                side.alert
                                    .extend_from_slice(&body[..body.len().min(2 - side.alert.len())]);
                            }
                            if side.record.is_none() {
                                if let [level, description] = side.alert[..] {
                                    self.facts.alerts.push(alert_text(level, description));
                                }
                                side.alert.clear();
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    /// Reads every complete handshake message waiting in `dir`.
    fn read_handshake(&mut self, dir: Direction) {
        let s = dir.index();
        let buffer = std::mem::take(&mut self.sides[s].handshake);
        let mut rest = buffer.as_slice();
        while rest.len() >= 4 {
            let len = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
            if rest.len() < 4 + len {
                break;
            }
            if let Ok((_, TlsMessage::Handshake(message))) = parse_tls_message_handshake(&rest[..4 + len]) {
                self.handshake_message(&message);
            }
            rest = &rest[4 + len..];
        }
        self.sides[s].handshake = rest.to_vec();
    }

    fn handshake_message(&mut self, message: &TlsMessageHandshake<'_>) {
        let facts = &mut self.facts;
        match message {
            TlsMessageHandshake::ClientHello(hello) => {
                facts.client_hello_version = Some(version_name(hello.version.0));
                let extensions = hello.ext.unwrap_or_default();
                let parsed = parse_tls_extensions(extensions)
                    .map(|(_, e)| e)
                    .unwrap_or_default();
                let mut curves = Vec::new();
                let mut point_formats = Vec::new();
                for extension in &parsed {
                    match extension {
                        TlsExtension::SNI(names) => {
                            facts.sni = names
                                .first()
                                .map(|(_, name)| String::from_utf8_lossy(name).into_owned());
                        }
                        TlsExtension::ALPN(protocols) => {
                            facts.alpn = protocols
                                .iter()
                                .map(|p| String::from_utf8_lossy(p).into_owned())
                                .collect();
                        }
                        TlsExtension::SupportedVersions(versions) => {
                            facts.offered_versions = versions
                                .iter()
                                .filter(|v| !is_grease(v.0))
                                .map(|v| version_name(v.0))
                                .collect();
                        }
                        TlsExtension::EllipticCurves(groups) => {
                            curves = groups.iter().map(|g| g.0).filter(|&g| !is_grease(g)).collect();
                        }
                        TlsExtension::EcPointFormats(formats) => point_formats = formats.to_vec(),
                        _ => {}
                    }
                }
                let join = |values: &mut dyn Iterator<Item = u16>| {
                    values.map(|v| v.to_string()).collect::<Vec<_>>().join("-")
                };
                let ja3 = format!(
                    "{},{},{},{},{}",
                    hello.version.0,
                    join(&mut hello.ciphers.iter().map(|c| c.0).filter(|&c| !is_grease(c))),
                    join(&mut extension_types(extensions).into_iter().filter(|&t| !is_grease(t))),
                    join(&mut curves.into_iter()),
                    join(&mut point_formats.into_iter().map(u16::from)),
                );
                facts.ja3_hash = Some(hex(&Md5::digest(ja3.as_bytes())));
                facts.ja3 = Some(ja3);
            }
            TlsMessageHandshake::ServerHello(hello) => {
                facts.cipher = Some(hello.cipher.get_ciphersuite().map_or_else(
                    || format!("0x{:04x}", hello.cipher.0),
                    |suite| suite.name.to_string(),
                ));
                let chosen =
                    hello
                        .ext
                        .and_then(|ext| parse_tls_extensions(ext).ok())
                        .and_then(|(_, extensions)| {
                            extensions.into_iter().find_map(|e| match e {
                                TlsExtension::SupportedVersions(v) => v.first().map(|v| v.0),
                                _ => None,
                            })
                        });
                facts.version = Some(version_name(chosen.unwrap_or(hello.version.0)));
            }
            TlsMessageHandshake::Certificate(chain) => {
                facts.certificates = chain
                    .cert_chain
                    .iter()
                    .take(MAX_CERTIFICATES)
                    .filter_map(|raw| certificate(raw.data))
                    .collect();
            }
            _ => {}
        }
    }
}

/// What a certificate says, or `None` if it does not parse.
fn certificate(der: &[u8]) -> Option<CertificateFacts> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    let names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    x509_parser::extensions::GeneralName::DNSName(dns) => Some(dns.to_string()),
                    x509_parser::extensions::GeneralName::IPAddress(ip) => Some(format!("{ip:?}")),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(CertificateFacts {
        self_signed: subject == issuer,
        not_before: cert.validity().not_before.to_string(),
        not_after: cert.validity().not_after.to_string(),
        subject,
        issuer,
        names,
    })
}

/// The extension types of a ClientHello, in the order sent (JA3 keeps the order).
fn extension_types(mut extensions: &[u8]) -> Vec<u16> {
    let mut types = Vec::new();
    while extensions.len() >= 4 {
        let kind = u16::from_be_bytes([extensions[0], extensions[1]]);
        let len = usize::from(u16::from_be_bytes([extensions[2], extensions[3]]));
        types.push(kind);
        extensions = extensions.get(4 + len..).unwrap_or_default();
    }
    types
}

/// GREASE values (RFC 8701): `0x?a?a`, sent to keep servers tolerant; JA3 leaves them out.
fn is_grease(value: u16) -> bool {
    value & 0x0f0f == 0x0a0a && value >> 8 == value & 0xff
}

fn version_name(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".to_string(),
        0x0301 => "TLS 1.0".to_string(),
        0x0302 => "TLS 1.1".to_string(),
        0x0303 => "TLS 1.2".to_string(),
        0x0304 => "TLS 1.3".to_string(),
        other => format!("0x{other:04x}"),
    }
}

fn alert_text(level: u8, description: u8) -> String {
    let level = match level {
        1 => "warning",
        2 => "fatal",
        _ => "level?",
    };
    // RFC 8446 §6 numbers the descriptions; the common ones by name.
    let name = match description {
        0 => "close_notify",
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        42 => "bad_certificate",
        46 => "certificate_unknown",
        48 => "unknown_ca",
        70 => "protocol_version",
        80 => "internal_error",
        112 => "unrecognized_name",
        _ => "",
    };
    format!("{level} {description} {name}").trim_end().to_string()
}

#[cfg(test)]
mod tests;
