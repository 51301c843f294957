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
    /// The domain the user belongs to (NTLM).
    pub domain: Option<Vec<u8>>,
    /// The name of the client's machine (NTLM).
    pub workstation: Option<Vec<u8>>,
}

/// Reads the identity from the client's responses of a mechanism (base64 as sent, the initial
/// response first): PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), XOAUTH2 and OAUTHBEARER
/// (RFC 7628), NTLM (its AUTHENTICATE message: user, domain, workstation; MS-NLMP §2.2.1.3).
/// Other mechanisms reveal nothing this can read.
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
        "NTLM" => {
            if let Some([domain, user, workstation]) = decoded.iter().find_map(|message| ntlm_names(message))
            {
                identity.domain = domain;
                identity.user = user;
                identity.workstation = workstation;
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

/// The domain, user and workstation names of an NTLM AUTHENTICATE message (type 3, MS-NLMP
/// §2.2.1.3): each a length, a maximum length and an offset into the message, in UTF-16LE when
/// the NEGOTIATE_UNICODE flag is set, else in the OEM code page (kept as bytes). `None` for any
/// other message; a name whose bounds fall outside the message is `None`.
fn ntlm_names(message: &[u8]) -> Option<[Option<Vec<u8>>; 3]> {
    const NEGOTIATE_UNICODE: u32 = 0x0000_0001;
    let u16_at = |at: usize| Some(u16::from_le_bytes(message.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(message.get(at..at + 4)?.try_into().ok()?));
    if !message.starts_with(b"NTLMSSP\0") || u32_at(8)? != 3 {
        return None;
    }
    let unicode = u32_at(60).is_some_and(|flags| flags & NEGOTIATE_UNICODE != 0);
    let name = |at: usize| -> Option<Vec<u8>> {
        let len = usize::from(u16_at(at)?);
        let offset = usize::try_from(u32_at(at + 4)?).ok()?;
        let bytes = message.get(offset..offset.checked_add(len)?)?;
        if bytes.is_empty() {
            return None;
        }
        Some(if unicode {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units).into_bytes()
        } else {
            bytes.to_vec()
        })
    };
    Some([name(28), name(36), name(44)])
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The AUTHENTICATE message of Arkime's synthetic NTLM capture (the POP3 flow of
    /// `tests/pcap/ntlm_synthetic.pcap`).
    const AUTHENTICATE: &[u8] = b"TlRMTVNTUAADAAAAGAAYAFgAAAAYABgAcAAAAA4ADgCIAAAACAAIAJYAAAAQABAAngAAABAAEACuAAAABQIAAgoAYUoAAAAPAAAAAAAAAAAAAAAAAAAAAExMTExMTExMTExMTExMTExMTExMTExMTE5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTlAATwBQADMARABPAE0AbABpAGEAbQBQAE8AUAAzAEgATwBTAFQAS0tLS0tLS0tLS0tLS0tLSw==";
    const NEGOTIATE: &[u8] = b"TlRMTVNTUAABAAAABwIAAgcABwAoAAAACAAIAC8AAAAKAGFKAAAAD1BPUDNET01QT1AzSE9TVA==";

    #[test]
    fn ntlm_names_the_user_the_domain_and_the_workstation() {
        let identity = identity("NTLM", &[NEGOTIATE.to_vec(), AUTHENTICATE.to_vec()]);
        assert_eq!(identity.user.as_deref(), Some(&b"liam"[..]));
        assert_eq!(identity.domain.as_deref(), Some(&b"POP3DOM"[..]));
        assert_eq!(identity.workstation.as_deref(), Some(&b"POP3HOST"[..]));
        assert_eq!(identity.secret, None, "the NTLM response is not a password");
    }

    #[test]
    fn a_cut_or_lying_ntlm_message_names_nobody_and_never_panics() {
        let message = decode_base64(AUTHENTICATE);
        for cut in 0..message.len() {
            let _ = ntlm_names(&message[..cut]);
        }
        let mut lying = message.clone();
        lying[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(ntlm_names(&lying).map(|[_, user, _]| user), Some(None));
    }
}
