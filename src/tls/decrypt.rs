//! Opening TLS records with the secrets of a key log: TLS 1.3 (RFC 8446 §5.2, §7) and the AEAD
//! suites of TLS 1.2 (RFC 5246 §6.2.3.3, RFC 5288, RFC 7905).
//!
//! Contract: pure — whole records in, their plaintext and content type out. The AEAD, HKDF and
//! HMAC are ring's; what is written here is the protocol around them: which secret opens which
//! record, the key schedule's labels, the TLS 1.2 key expansion, nonces and additional data,
//! the switch from handshake to application keys at each side's Finished, and KeyUpdate. A
//! record that does not authenticate is an error, never a guess.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::{hkdf, hmac};
use tls_parser::{TlsCipherEnc, TlsCipherEncMode, TlsCipherSuite, TlsPRF};

use super::keylog::Secrets;

/// Why a session's records cannot be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The key log has no secret for this session (or not the ones its version needs).
    NoKey,
    /// A cipher suite pop3scope does not decrypt, by name.
    Unsupported(String),
}

/// The hash of the key schedule (TLS 1.3) or the PRF (TLS 1.2).
#[derive(Clone, Copy, Debug)]
enum Hash {
    Sha256,
    Sha384,
}

impl Hash {
    fn hkdf(self) -> hkdf::Algorithm {
        match self {
            Hash::Sha256 => hkdf::HKDF_SHA256,
            Hash::Sha384 => hkdf::HKDF_SHA384,
        }
    }

    fn hmac(self) -> hmac::Algorithm {
        match self {
            Hash::Sha256 => hmac::HMAC_SHA256,
            Hash::Sha384 => hmac::HMAC_SHA384,
        }
    }

    fn len(self) -> usize {
        match self {
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }
}

/// A suite pop3scope opens: its AEAD, hash, and how its nonce is made.
#[derive(Clone, Copy, Debug)]
struct Suite {
    aead: &'static aead::Algorithm,
    hash: Hash,
    /// TLS 1.2 AES-GCM: a 4-byte implicit salt and an 8-byte nonce sent before each record's
    /// ciphertext (RFC 5288 §3). Otherwise a 12-byte IV XORed with the sequence number.
    explicit_nonce: bool,
}

impl Suite {
    fn of(id: u16, tls13: bool) -> Result<Suite, Refusal> {
        let Some(suite) = TlsCipherSuite::from_id(id) else {
            return Err(Refusal::Unsupported(format!("0x{id:04x}")));
        };
        let hash = match suite.prf {
            TlsPRF::Sha384 => Hash::Sha384,
            TlsPRF::Sha256 | TlsPRF::Default => Hash::Sha256,
            _ => return Err(Refusal::Unsupported(suite.name.to_string())),
        };
        let aead = match (suite.enc, suite.enc_mode, suite.enc_size) {
            (TlsCipherEnc::Aes, TlsCipherEncMode::Gcm, 128) => &aead::AES_128_GCM,
            (TlsCipherEnc::Aes, TlsCipherEncMode::Gcm, 256) => &aead::AES_256_GCM,
            (TlsCipherEnc::Chacha20_Poly1305, _, _) => &aead::CHACHA20_POLY1305,
            _ => return Err(Refusal::Unsupported(suite.name.to_string())),
        };
        Ok(Suite {
            aead,
            hash,
            explicit_nonce: !tls13 && suite.enc == TlsCipherEnc::Aes,
        })
    }
}

/// A direction's current key, IV and record sequence number.
struct Keys {
    key: LessSafeKey,
    iv: [u8; 12],
    seq: u64,
}

impl Keys {
    fn new(suite: Suite, key: &[u8], iv: &[u8]) -> Keys {
        let mut full_iv = [0; 12];
        full_iv[..iv.len()].copy_from_slice(iv);
        Keys {
            key: LessSafeKey::new(UnboundKey::new(suite.aead, key).expect("key length of the suite")),
            iv: full_iv,
            seq: 0,
        }
    }

    /// TLS 1.3 keys from a traffic secret (RFC 8446 §7.3).
    fn from_secret(suite: Suite, secret: &[u8]) -> Keys {
        let key = expand_label(suite.hash, secret, b"key", suite.aead.key_len());
        let iv = expand_label(suite.hash, secret, b"iv", 12);
        Keys::new(suite, &key, &iv)
    }

    /// The IV with the sequence number XORed into its last 8 bytes (RFC 8446 §5.3, RFC 7905 §2).
    fn nonce(&self) -> Nonce {
        let mut nonce = self.iv;
        for (byte, seq) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *byte ^= seq;
        }
        Nonce::assume_unique_for_key(nonce)
    }
}

/// Where a TLS 1.3 direction is in its key schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Records are under the handshake traffic secret, until this side's Finished.
    Handshake,
    /// Records are under the application traffic secret (updated by KeyUpdate).
    Application,
}

/// One direction of a session being decrypted.
struct Side {
    keys: Option<Keys>,
    /// TLS 1.3: the secret of the next stage, and the one in use (KeyUpdate derives from it).
    next_secret: Option<Vec<u8>>,
    secret: Option<Vec<u8>>,
    stage: Stage,
    /// TLS 1.3: handshake messages inside encrypted records, not yet whole.
    handshake: Vec<u8>,
}

/// An opened record: its plaintext is `body[range]` of the body [`Decryptor::open`] was given,
/// decrypted in place.
#[derive(Debug, PartialEq, Eq)]
pub struct Opened {
    /// The real content type: 23 application data, 22 handshake, 21 alert.
    pub content_type: u8,
    /// Where the plaintext is in the body, padding left out.
    pub range: std::ops::Range<usize>,
}

/// A record that would not open: the key is wrong, or the record was damaged.
#[derive(Debug, PartialEq, Eq)]
pub struct NotAuthentic;

/// Handshake bytes inside encrypted records kept at most, waiting for a message to be whole.
const MAX_INNER_HANDSHAKE: usize = 64 * 1024;

/// The decryption of one TLS session: index 0 is the client's direction, 1 the server's.
pub struct Decryptor {
    suite: Suite,
    tls13: bool,
    sides: [Side; 2],
}

impl Decryptor {
    /// Keys for a session, from what its ServerHello chose and the key log's secrets for its
    /// ClientHello random.
    pub fn new(
        tls13: bool,
        suite_id: u16,
        client_random: &[u8; 32],
        server_random: &[u8],
        secrets: Option<Secrets>,
    ) -> Result<Decryptor, Refusal> {
        let suite = Suite::of(suite_id, tls13)?;
        let secrets = secrets.ok_or(Refusal::NoKey)?;
        let side = |keys, next_secret| Side {
            keys,
            next_secret,
            secret: None,
            stage: Stage::Handshake,
            handshake: Vec::new(),
        };
        let sides = if tls13 {
            let (Some(client_hs), Some(server_hs), Some(client), Some(server)) = (
                secrets.client_handshake,
                secrets.server_handshake,
                secrets.client_traffic,
                secrets.server_traffic,
            ) else {
                return Err(Refusal::NoKey);
            };
            [
                side(Some(Keys::from_secret(suite, &client_hs)), Some(client)),
                side(Some(Keys::from_secret(suite, &server_hs)), Some(server)),
            ]
        } else {
            let master = secrets.master.ok_or(Refusal::NoKey)?;
            // RFC 5246 §6.3: the key block, with the server's random first.
            let seed = [server_random, &client_random[..]].concat();
            let key_len = suite.aead.key_len();
            let iv_len = if suite.explicit_nonce { 4 } else { 12 };
            let block = prf(
                suite.hash,
                &master,
                b"key expansion",
                &seed,
                2 * (key_len + iv_len),
            );
            let (keys, ivs) = block.split_at(2 * key_len);
            [
                // Used from this side's ChangeCipherSpec on.
                side(None, Some([&keys[..key_len], &ivs[..iv_len]].concat())),
                side(None, Some([&keys[key_len..], &ivs[iv_len..]].concat())),
            ]
        };
        Ok(Decryptor { suite, tls13, sides })
    }

    /// TLS 1.2: `side` sent ChangeCipherSpec; its next record is the first encrypted one.
    pub fn change_cipher_spec(&mut self, side: usize) {
        if self.tls13 {
            // TLS 1.3 sends it only for middleboxes (RFC 8446 §D.4); it changes nothing.
            return;
        }
        let suite = self.suite;
        let s = &mut self.sides[side];
        if let Some(material) = s.next_secret.take() {
            let (key, iv) = material.split_at(suite.aead.key_len());
            s.keys = Some(Keys::new(suite, key, iv));
        }
    }

    /// Whether records of `side` are encrypted now (TLS 1.2: after its ChangeCipherSpec).
    pub fn active(&self, side: usize) -> bool {
        self.sides[side].keys.is_some()
    }

    /// Opens one whole record of `side`, decrypting its body in place: its 5-byte header and
    /// its body. A body that does not authenticate is left as it was.
    pub fn open(&mut self, side: usize, header: [u8; 5], body: &mut [u8]) -> Result<Opened, NotAuthentic> {
        let suite = self.suite;
        let tls13 = self.tls13;
        let s = &mut self.sides[side];
        let keys = s.keys.as_mut().ok_or(NotAuthentic)?;
        let opened = match open_with(suite, tls13, keys, header, body) {
            Ok(opened) => opened,
            // A TLS 1.3 side whose Finished the capture lost (or that skipped it) may already be
            // under its application secret.
            Err(NotAuthentic) if tls13 && s.stage == Stage::Handshake => {
                let secret = s.next_secret.take().ok_or(NotAuthentic)?;
                let mut keys = Keys::from_secret(suite, &secret);
                let opened = open_with(suite, tls13, &mut keys, header, body)?;
                s.keys = Some(keys);
                s.secret = Some(secret);
                s.stage = Stage::Application;
                opened
            }
            Err(NotAuthentic) => return Err(NotAuthentic),
        };
        if tls13 && opened.content_type == 22 {
            self.inner_handshake(side, &body[opened.range.clone()]);
        }
        Ok(opened)
    }

    /// TLS 1.3 handshake messages inside records: Finished ends the handshake stage of its
    /// side, KeyUpdate moves the side to its next secret (RFC 8446 §4.4.4, §4.6.3, §7.2).
    fn inner_handshake(&mut self, side: usize, plaintext: &[u8]) {
        let suite = self.suite;
        let s = &mut self.sides[side];
        if s.handshake.len() + plaintext.len() > MAX_INNER_HANDSHAKE {
            s.handshake.clear();
            return;
        }
        s.handshake.extend_from_slice(plaintext);
        let mut at = 0;
        while let Some(head) = s.handshake.get(at..at + 4) {
            let len = usize::from(head[1]) << 16 | usize::from(head[2]) << 8 | usize::from(head[3]);
            if s.handshake.len() < at + 4 + len {
                break;
            }
            match (head[0], s.stage) {
                (20, Stage::Handshake) => {
                    if let Some(secret) = s.next_secret.take() {
                        s.keys = Some(Keys::from_secret(suite, &secret));
                        s.secret = Some(secret);
                    }
                    s.stage = Stage::Application;
                }
                (24, Stage::Application) => {
                    if let Some(secret) = &s.secret {
                        let next = expand_label(suite.hash, secret, b"traffic upd", suite.hash.len());
                        s.keys = Some(Keys::from_secret(suite, &next));
                        s.secret = Some(next);
                    }
                }
                _ => {}
            }
            at += 4 + len;
        }
        s.handshake.drain(..at);
    }
}

fn open_with(
    suite: Suite,
    tls13: bool,
    keys: &mut Keys,
    header: [u8; 5],
    body: &mut [u8],
) -> Result<Opened, NotAuthentic> {
    let tag = suite.aead.tag_len();
    let explicit = if suite.explicit_nonce { 8 } else { 0 };
    let nonce = if suite.explicit_nonce {
        let sent = body.get(..8).ok_or(NotAuthentic)?;
        let mut nonce = [0; 12];
        nonce[..4].copy_from_slice(&keys.iv[..4]);
        nonce[4..].copy_from_slice(sent);
        Nonce::assume_unique_for_key(nonce)
    } else {
        keys.nonce()
    };
    let plain_len = body.len().checked_sub(explicit + tag).ok_or(NotAuthentic)?;
    let mut tls12_aad = [0; 13];
    let aad: &[u8] = if tls13 {
        &header
    } else {
        // RFC 5246 §6.2.3.3: sequence number, type, version, and the plaintext's length.
        tls12_aad[..8].copy_from_slice(&keys.seq.to_be_bytes());
        tls12_aad[8..11].copy_from_slice(&header[..3]);
        tls12_aad[11..].copy_from_slice(&(plain_len as u16).to_be_bytes());
        &tls12_aad
    };
    // On failure ring leaves the buffer unspecified: the record is not used again.
    keys.key
        .open_in_place(nonce, Aad::from(aad), &mut body[explicit..])
        .map_err(|_| NotAuthentic)?;
    keys.seq += 1;
    let plaintext = explicit..explicit + plain_len;
    if !tls13 {
        return Ok(Opened {
            content_type: header[0],
            range: plaintext,
        });
    }
    // RFC 8446 §5.4: the real type is the last byte that is not padding.
    let end = body[plaintext.clone()]
        .iter()
        .rposition(|&b| b != 0)
        .ok_or(NotAuthentic)?;
    Ok(Opened {
        content_type: body[end],
        range: 0..end,
    })
}

/// A length for ring's HKDF output.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label with an empty context (RFC 8446 §7.1).
fn expand_label(hash: Hash, secret: &[u8], label: &[u8], len: usize) -> Vec<u8> {
    let prk = hkdf::Prk::new_less_safe(hash.hkdf(), secret);
    let length = (len as u16).to_be_bytes();
    let label_len = [(b"tls13 ".len() + label.len()) as u8];
    let info: [&[u8]; 5] = [&length, &label_len, b"tls13 ", label, &[0]];
    let mut out = vec![0; len];
    prk.expand(&info, Len(len))
        .and_then(|okm| okm.fill(&mut out))
        .expect("HKDF output of a valid length");
    out
}

/// The TLS 1.2 PRF: P_hash over HMAC (RFC 5246 §5).
fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let key = hmac::Key::new(hash.hmac(), secret);
    let label_seed = [label, seed].concat();
    let mut a = hmac::sign(&key, &label_seed);
    let mut out = Vec::with_capacity(len + hash.len());
    while out.len() < len {
        let mut block = hmac::Context::with_key(&key);
        block.update(a.as_ref());
        block.update(&label_seed);
        out.extend_from_slice(block.sign().as_ref());
        a = hmac::sign(&key, a.as_ref());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_1_2_prf_gives_the_published_test_vector() {
        // The P_SHA256 vector of the IETF TLS list (as in Go's and rustls's tests).
        let secret = hex_bytes("9bbe436ba940f017b17652849a71db35");
        let seed = hex_bytes("a0ba9f936cda311827a6f796ffd5198c");
        let out = prf(Hash::Sha256, &secret, b"test label", &seed, 100);
        assert_eq!(
            crate::base::hex(&out),
            "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66"
        );
    }

    #[test]
    fn the_tls_1_3_key_schedule_gives_rfc_8448s_keys() {
        // RFC 8448 §3, the server's handshake traffic secret and the key and IV made from it.
        let secret = hex_bytes("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
        assert_eq!(
            crate::base::hex(&expand_label(Hash::Sha256, &secret, b"key", 16)),
            "3fce516009c21727d0f2e4e86ee403bc"
        );
        assert_eq!(
            crate::base::hex(&expand_label(Hash::Sha256, &secret, b"iv", 12)),
            "5d313eb2671276ee13000b30"
        );
    }

    fn hex_bytes(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&text[at..at + 2], 16).unwrap())
            .collect()
    }
}
