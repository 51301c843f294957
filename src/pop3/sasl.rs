//! SASL (RFC 5034, RFC 4422) and the secret policy: what a login reveals, and what is masked.
//!
//! Contract: pure functions over the decoder's [`Exchange`]s. [`identity`] reads who logged in
//! (and with which secret) from a mechanism's responses; [`is_secret_arg`] and
//! [`is_secret_sasl`] say which bytes every front end masks as [`MASK`] unless the user asked
//! to see secrets. Text, JSON, the timeline and the lessons all ask here, so a password is
//! masked the same way everywhere.

use base64::Engine as _;

use crate::base::Direction;
use crate::pop3::{Command, Exchange, Note, NoteCode, Verb};

/// What a masked secret is shown as.
pub const MASK: &str = "********";

/// Who a SASL exchange logged in as, as far as its responses tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SaslIdentity {
    /// The user name (the authentication identity).
    pub user: Option<Vec<u8>>,
    /// The password or token; a digest when `is_digest`.
    pub secret: Option<Vec<u8>>,
    /// The secret is a digest (CRAM-MD5): it proves the password without revealing it.
    pub is_digest: bool,
}

/// Reads the identity from the client's responses of a mechanism (base64 as sent, the initial
/// response first): PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), XOAUTH2 and OAUTHBEARER
/// (RFC 7628). Other mechanisms reveal nothing this can read.
pub fn identity(mechanism: &str, responses: &[Vec<u8>]) -> SaslIdentity {
    let decoded: Vec<Vec<u8>> = responses.iter().map(|r| decode_base64(r)).collect();
    let mut identity = SaslIdentity::default();
    match mechanism {
        "PLAIN" => {
            if let Some(plain) = decoded.first() {
                // authzid NUL authcid NUL password
                let mut parts = plain.split(|&b| b == 0).skip(1);
                identity.user = parts.next().map(<[u8]>::to_vec);
                identity.secret = parts.next().map(<[u8]>::to_vec);
            }
        }
        "LOGIN" => {
            identity.user = decoded.first().cloned();
            identity.secret = decoded.get(1).cloned();
        }
        "CRAM-MD5" => {
            if let Some(response) = decoded.first() {
                let mut parts = response.rsplitn(2, |&b| b == b' ');
                identity.secret = parts.next().map(<[u8]>::to_vec);
                identity.user = parts.next().map(<[u8]>::to_vec);
                identity.is_digest = true;
            }
        }
        "XOAUTH2" | "OAUTHBEARER" => {
            if let Some(blob) = decoded.first() {
                for field in blob.split(|&b| b == 0x01 || b == b',') {
                    if let Some(user) = field.strip_prefix(b"user=").or_else(|| field.strip_prefix(b"a=")) {
                        identity.user = Some(user.to_vec());
                    }
                    if let Some(token) = field.strip_prefix(b"auth=") {
                        identity.secret = Some(token.to_vec());
                    }
                }
            }
        }
        _ => {}
    }
    identity
}

/// What is malformed in the client's responses of a mechanism, as notes: a response that is
/// not base64 (RFC 5034 §4: every response is base64, `=` an empty one, `*` a cancel), and
/// an AUTH PLAIN message that is not `authzid NUL authcid NUL password` (RFC 4616 §2).
pub fn problems(mechanism: &[u8], responses: &[&[u8]]) -> Vec<Note> {
    let mut notes = Vec::new();
    let engine = &base64::engine::general_purpose::STANDARD;
    let mut decoded = Vec::new();
    for response in responses.iter().filter(|r| **r != b"*" && **r != b"=") {
        match engine.decode(response) {
            Ok(bytes) => decoded.push(bytes),
            Err(_) => {
                if !notes.iter().any(|n: &Note| n.code == NoteCode::BadBase64) {
                    notes.push(Note::new(
                        NoteCode::BadBase64,
                        &response[..response.len().min(Note::MAX_SAMPLE)],
                    ));
                }
            }
        }
    }
    if mechanism.eq_ignore_ascii_case(b"PLAIN")
        && let Some(plain) = decoded.first()
    {
        let nuls = plain.iter().filter(|&&b| b == 0).count();
        if nuls != 2 {
            notes.push(Note::new(
                NoteCode::BadAuthPlain,
                format!("{nuls} NUL separators, not 2"),
            ));
        }
    }
    notes
}

/// Decodes base64 (`=` alone is an empty response, RFC 5034 §4); undecodable text stays as is.
pub fn decode_base64(text: &[u8]) -> Vec<u8> {
    if text == b"=" {
        return Vec::new();
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap_or_else(|_| text.to_vec())
}

/// Whether argument `index` of a command is a secret to mask: the password of PASS, the SASL
/// initial response of AUTH.
pub fn is_secret_arg(command: &Command, index: usize) -> bool {
    match command.verb {
        Verb::Pass => index == 0,
        Verb::Auth => index == 1,
        _ => false,
    }
}

/// Whether SASL line `index` of an exchange is a secret to mask: every client response, except
/// the user name of AUTH LOGIN and the CRAM-MD5 response (a name and a digest).
pub fn is_secret_sasl(exchange: &Exchange, index: usize) -> bool {
    let (command, sasl) = (exchange.command.as_ref(), &exchange.sasl);
    let Some(line) = sasl.get(index) else {
        return false;
    };
    if line.from == Direction::ServerToClient {
        return false;
    }
    let mechanism = command
        .and_then(|c| c.args.first())
        .map(|m| m.to_ascii_uppercase());
    let client_index = sasl[..index]
        .iter()
        .filter(|l| l.from == Direction::ClientToServer)
        .count();
    let has_initial_response = command.is_some_and(|c| c.args.len() > 1);
    match mechanism.as_deref() {
        Some(b"CRAM-MD5") => false,
        // The first LOGIN response is the user name, unless the initial response carried it.
        Some(b"LOGIN") => client_index != 0 || has_initial_response,
        _ => line.data != b"*",
    }
}
