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
//!
//! Given a [`KeyLog`], it also decrypts ([`decrypt`]): once the ServerHello names the version
//! and suite, each whole record is opened with the session's secrets and the application data
//! is handed on ([`TlsObserver::take_plaintext`]) for the POP3 decoder to read as if it were
//! clear. What stops decryption (no key, a suite not supported, a record that does not
//! authenticate, a record cut short) is a [`TlsProblem`], and the rest goes on. Records wait
//! for their keys (a key log still being written) up to [`MAX_WAITING`] bytes.

use md5::{Digest, Md5};
use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, TlsRecordType, parse_tls_extensions,
    parse_tls_message_handshake, parse_tls_record_header,
};

use std::sync::Arc;

use crate::base::Direction;
use crate::base::hex;

pub mod decrypt;
mod keylog;

pub use decrypt::Refusal;
pub use keylog::{KeyLog, ReadMore, Secrets};

use decrypt::Decryptor;

/// Bytes of sealed records kept while their session's keys are not in the key log yet.
pub const MAX_WAITING: usize = 1 << 20;

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
    /// The JA4 fingerprint of the ClientHello (FoxIO's successor to JA3: sorted, so that
    /// clients that shuffle their extensions keep one fingerprint).
    pub ja4: Option<String>,
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
    /// Records opened with the key log, each way.
    pub decrypted_records: [u64; 2],
}

/// Why a TLS session, or one of its directions, is not (or no longer) decrypted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsProblem {
    /// The key log has no secrets for this session (its ClientHello random).
    NoKey,
    /// The suite the server chose is not one pop3scope decrypts.
    Unsupported(String),
    /// A record of this direction did not authenticate: the key is wrong, or the bytes were
    /// damaged. The direction is not decrypted from there.
    NotAuthentic(Direction),
    /// A gap, or the end of the capture, cut a record of this direction.
    RecordCut(Direction),
    /// The records waiting for the session's keys were given up: too many bytes waited, or
    /// the memory budget over all connections was reached.
    GaveUpWaiting,
}

/// Where decryption stands.
enum Crypto {
    /// No key log.
    Off,
    /// Before the ServerHello, or waiting for the key log to have this session's secrets:
    /// sealed records (side, header, body) are kept.
    Waiting {
        records: Vec<(usize, [u8; 5], Vec<u8>)>,
        /// What they cost, each with its keeping: even empty records count.
        bytes: usize,
    },
    On(Box<Decryptor>),
    /// Given up: the reason was said.
    Refused,
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
    /// Decrypting: the current record's header and the body so far.
    sealed_header: [u8; 5],
    sealed: Vec<u8>,
    /// Decrypting: a record failed to open, or a gap came; the direction is no longer opened.
    stopped: bool,
}

/// Reads one TLS connection's two directions.
pub struct TlsObserver {
    sides: [Side; 2],
    facts: TlsFacts,
    keylog: Option<Arc<KeyLog>>,
    client_random: Option<[u8; 32]>,
    /// From the ServerHello: TLS 1.3 or not, the suite, the server's random.
    server_hello: Option<(bool, u16, Vec<u8>)>,
    crypto: Crypto,
    plaintext: [Vec<u8>; 2],
    problems: Vec<TlsProblem>,
}

/// What keeping one waiting record costs beyond its body.
const WAITING_RECORD_COST: usize = 64;

impl Default for TlsObserver {
    fn default() -> Self {
        TlsObserver::new(None)
    }
}

impl TlsObserver {
    /// An observer that decrypts with `keylog` when it is given.
    pub fn new(keylog: Option<Arc<KeyLog>>) -> Self {
        TlsObserver {
            sides: Default::default(),
            facts: TlsFacts::default(),
            crypto: if keylog.is_some() {
                Crypto::Waiting {
                    records: Vec::new(),
                    bytes: 0,
                }
            } else {
                Crypto::Off
            },
            keylog,
            client_random: None,
            server_hello: None,
            plaintext: Default::default(),
            problems: Vec::new(),
        }
    }

    /// The heap memory it holds: records waiting for keys, the records being put together,
    /// handshake bytes not read yet, plaintext not taken.
    pub fn held_bytes(&self) -> usize {
        let sides: usize = self
            .sides
            .iter()
            .map(|side| side.sealed.capacity() + side.handshake.capacity() + side.header.capacity())
            .sum();
        let plaintext: usize = self.plaintext.iter().map(Vec::capacity).sum();
        let waiting = match self.crypto {
            Crypto::Waiting { bytes, .. } => bytes,
            _ => 0,
        };
        waiting + sides + plaintext
    }

    /// Gives up the records waiting for the session's keys, when the memory budget over all
    /// connections is reached: the session is then not decrypted, and says why.
    pub fn relieve(&mut self) {
        if matches!(self.crypto, Crypto::Waiting { .. }) {
            self.crypto = Crypto::Refused;
            self.problems.push(TlsProblem::GaveUpWaiting);
        }
    }

    /// What was seen so far.
    pub fn facts(&self) -> &TlsFacts {
        &self.facts
    }

    /// The application data decrypted in `dir` since the last call.
    pub fn take_plaintext(&mut self, dir: Direction) -> Vec<u8> {
        std::mem::take(&mut self.plaintext[dir.index()])
    }

    /// What stopped decryption since the last call.
    pub fn take_problems(&mut self) -> Vec<TlsProblem> {
        std::mem::take(&mut self.problems)
    }

    /// Whether records of this session are being opened.
    pub fn decrypting(&self) -> bool {
        matches!(self.crypto, Crypto::On(_))
    }

    /// `len` bytes of `dir` are missing: its records can no longer be framed.
    pub fn gap(&mut self, dir: Direction) {
        let side = &mut self.sides[dir.index()];
        side.blind = true;
        if matches!(self.crypto, Crypto::On(_)) && !side.stopped {
            side.stopped = true;
            self.problems.push(TlsProblem::RecordCut(dir));
        }
    }

    /// The connection ended: a record left half-read is cut; keys that never came are said
    /// to be missing.
    pub fn end(&mut self) {
        self.retry_keys();
        match self.crypto {
            Crypto::On(_) => {
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    let side = &mut self.sides[dir.index()];
                    let half_read = side.record.is_some() || !side.header.is_empty();
                    if half_read && !side.stopped && !side.blind {
                        side.stopped = true;
                        self.problems.push(TlsProblem::RecordCut(dir));
                    }
                }
            }
            Crypto::Waiting { .. } if self.server_hello.is_some() => {
                self.crypto = Crypto::Refused;
                self.problems.push(TlsProblem::NoKey);
            }
            _ => {}
        }
    }

    /// Whether the current record of `s` is kept whole to be opened.
    fn keeps_records(&self, s: usize) -> bool {
        !self.sides[s].stopped && matches!(self.crypto, Crypto::Waiting { .. } | Crypto::On(_))
    }

    /// A whole record of `s` that is not handshake in the clear: opened, or kept for its keys.
    fn sealed_record(&mut self, s: usize, header: [u8; 5], mut body: Vec<u8>) {
        if let Crypto::Waiting { records, bytes } = &mut self.crypto {
            *bytes += body.len() + WAITING_RECORD_COST;
            records.push((s, header, body));
            if self.server_hello.is_some() {
                self.retry_keys();
            }
            if matches!(self.crypto, Crypto::Waiting { bytes, .. } if bytes > MAX_WAITING) {
                self.crypto = Crypto::Refused;
                self.problems.push(TlsProblem::GaveUpWaiting);
            }
            return;
        }
        let Crypto::On(decryptor) = &mut self.crypto else {
            return;
        };
        if header[0] == 20 {
            decryptor.change_cipher_spec(s);
            return;
        }
        if !decryptor.active(s) {
            return;
        }
        match decryptor.open(s, header, &mut body) {
            Ok(opened) => {
                self.facts.decrypted_records[s] += 1;
                match opened.content_type {
                    // The record's own buffer becomes the plaintext when nothing waits before it.
                    23 if self.plaintext[s].is_empty() && opened.range.start == 0 => {
                        body.truncate(opened.range.end);
                        self.plaintext[s] = body;
                    }
                    23 => self.plaintext[s].extend_from_slice(&body[opened.range]),
                    21 => {
                        if let [level, description, ..] = body[opened.range] {
                            self.facts.alerts.push(alert_text(level, description));
                        }
                    }
                    _ => {}
                }
            }
            Err(decrypt::NotAuthentic) => {
                self.sides[s].stopped = true;
                let dir = [Direction::ClientToServer, Direction::ServerToClient][s];
                self.problems.push(TlsProblem::NotAuthentic(dir));
            }
        }
    }

    /// Looks the session's secrets up (again: a growing key log may have them now); once
    /// found, the records kept for them are opened in order.
    fn retry_keys(&mut self) {
        let (Crypto::Waiting { .. }, Some(keylog), Some(random), Some((tls13, suite, server_random))) = (
            &self.crypto,
            &self.keylog,
            &self.client_random,
            &self.server_hello,
        ) else {
            return;
        };
        let decryptor = match Decryptor::new(*tls13, *suite, random, server_random, keylog.secrets(random)) {
            Ok(decryptor) => decryptor,
            Err(Refusal::NoKey) if keylog.is_growing() => return,
            Err(Refusal::NoKey) => {
                self.crypto = Crypto::Refused;
                self.problems.push(TlsProblem::NoKey);
                return;
            }
            Err(Refusal::Unsupported(name)) => {
                self.crypto = Crypto::Refused;
                self.problems.push(TlsProblem::Unsupported(name));
                return;
            }
        };
        let Crypto::Waiting { records, .. } =
            std::mem::replace(&mut self.crypto, Crypto::On(Box::new(decryptor)))
        else {
            return;
        };
        for (s, header, body) in records {
            self.sealed_record(s, header, body);
        }
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
                    side.sealed_header.copy_from_slice(&side.header);
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
                    let clear =
                        matches!(kind, TlsRecordType::Handshake | TlsRecordType::Alert) && !side.encrypted;
                    if !clear && self.keeps_records(s) {
                        let side = &mut self.sides[s];
                        side.sealed.extend_from_slice(body);
                        if side.record.is_none() {
                            let header = side.sealed_header;
                            let sealed = std::mem::take(&mut side.sealed);
                            self.sealed_record(s, header, sealed);
                        }
                        continue;
                    }
                    let side = &mut self.sides[s];
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
                self.client_random = hello.random.try_into().ok();
                facts.client_hello_version = Some(version_name(hello.version.0));
                let extensions = hello.ext.unwrap_or_default();
                let parsed = parse_tls_extensions(extensions)
                    .map(|(_, e)| e)
                    .unwrap_or_default();
                let mut curves = Vec::new();
                let mut point_formats = Vec::new();
                let mut first_alpn: Option<&[u8]> = None;
                let mut signature_algorithms: Vec<u16> = Vec::new();
                for extension in &parsed {
                    match extension {
                        TlsExtension::SNI(names) => {
                            facts.sni = names
                                .first()
                                .map(|(_, name)| String::from_utf8_lossy(name).into_owned());
                        }
                        TlsExtension::ALPN(protocols) => {
                            first_alpn = protocols.first().copied();
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
                        TlsExtension::SignatureAlgorithms(algorithms) => {
                            signature_algorithms = algorithms.clone()
                        }
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
                let supported: Vec<u16> = parsed
                    .iter()
                    .find_map(|e| match e {
                        TlsExtension::SupportedVersions(versions) => {
                            Some(versions.iter().map(|v| v.0).collect())
                        }
                        _ => None,
                    })
                    .unwrap_or_default();
                let hello = ClientHello {
                    version: supported
                        .into_iter()
                        .filter(|&v| !is_grease(v))
                        .max()
                        .unwrap_or(hello.version.0),
                    sni: facts.sni.is_some(),
                    ciphers: hello.ciphers.iter().map(|c| c.0).collect(),
                    extensions: extension_types(extensions),
                    first_alpn,
                    signature_algorithms,
                };
                facts.ja4 = Some(ja4(&hello));
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
                let version = chosen.unwrap_or(hello.version.0);
                facts.version = Some(version_name(version));
                self.server_hello = Some((version == 0x0304, hello.cipher.0, hello.random.to_vec()));
                self.retry_keys();
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

/// What JA4 reads of a ClientHello.
struct ClientHello<'a> {
    /// The highest of supported_versions, else the hello's own version field.
    version: u16,
    sni: bool,
    ciphers: Vec<u16>,
    extensions: Vec<u16>,
    first_alpn: Option<&'a [u8]>,
    signature_algorithms: Vec<u16>,
}

/// The JA4 fingerprint, as FoxIO's specification (technical_details/JA4.md) defines it:
/// `t` (TCP), the version, `d`/`i` (SNI or not), the counts of ciphers and extensions, the
/// first and last characters of the first ALPN value; then truncated SHA-256s of the sorted
/// ciphers and of the sorted extensions (less SNI and ALPN) with the signature algorithms.
/// GREASE values are left out everywhere.
fn ja4(hello: &ClientHello<'_>) -> String {
    let version = match hello.version {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        _ => "00",
    };
    let ciphers: Vec<u16> = hello.ciphers.iter().copied().filter(|&c| !is_grease(c)).collect();
    let extensions: Vec<u16> = hello
        .extensions
        .iter()
        .copied()
        .filter(|&e| !is_grease(e))
        .collect();
    let alpn = match hello.first_alpn {
        None | Some([]) => "00".to_string(),
        Some(value) => {
            let (first, last) = (value[0], value[value.len() - 1]);
            if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
                format!("{}{}", char::from(first), char::from(last))
            } else {
                let digits = hex(value);
                format!("{}{}", &digits[..1], &digits[digits.len() - 1..])
            }
        }
    };
    let a = format!(
        "t{version}{}{:02}{:02}{alpn}",
        if hello.sni { 'd' } else { 'i' },
        ciphers.len().min(99),
        extensions.len().min(99),
    );
    let listed = |values: &[u16]| {
        values
            .iter()
            .map(|v| format!("{v:04x}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let truncated_sha256 =
        |text: &str| hex(&ring::digest::digest(&ring::digest::SHA256, text.as_bytes()).as_ref()[..6]);
    let mut sorted_ciphers = ciphers.clone();
    sorted_ciphers.sort_unstable();
    let b = if sorted_ciphers.is_empty() {
        "000000000000".to_string()
    } else {
        truncated_sha256(&listed(&sorted_ciphers))
    };
    let mut sorted_extensions: Vec<u16> = extensions
        .into_iter()
        .filter(|&e| e != 0x0000 && e != 0x0010)
        .collect();
    sorted_extensions.sort_unstable();
    let signatures: Vec<u16> = hello
        .signature_algorithms
        .iter()
        .copied()
        .filter(|&s| !is_grease(s))
        .collect();
    let c = match (sorted_extensions.is_empty(), signatures.is_empty()) {
        (true, _) => "000000000000".to_string(),
        (false, true) => truncated_sha256(&listed(&sorted_extensions)),
        (false, false) => {
            truncated_sha256(&format!("{}_{}", listed(&sorted_extensions), listed(&signatures)))
        }
    };
    format!("{a}_{b}_{c}")
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
