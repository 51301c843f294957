//! The NSS key log format: the secrets a TLS client (SSLKEYLOGFILE) or server wrote down, by the
//! ClientHello random of the session they belong to, as Wireshark's `tls.keylog_file` reads them.
//!
//! Each line is `LABEL <client random, 64 hex digits> <secret, hex>`; `#` starts a comment.
//! TLS 1.2 and below need `CLIENT_RANDOM` (the master secret); TLS 1.3 needs the handshake and
//! application traffic secrets of each side. Other labels (`EXPORTER_SECRET`, early data) are
//! read past. Shared between threads. A key log that a live client is still writing is
//! followed: a session whose keys are missing reads what was appended since
//! ([`KeyLog::following`]), so keys written a moment before the session ended are found.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

/// The secrets of one TLS session, as far as the key log holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Secrets {
    /// `CLIENT_RANDOM`: the master secret (TLS 1.2 and below).
    pub master: Option<Vec<u8>>,
    /// `CLIENT_HANDSHAKE_TRAFFIC_SECRET` (TLS 1.3).
    pub client_handshake: Option<Vec<u8>>,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET` (TLS 1.3).
    pub server_handshake: Option<Vec<u8>>,
    /// `CLIENT_TRAFFIC_SECRET_0` (TLS 1.3).
    pub client_traffic: Option<Vec<u8>>,
    /// `SERVER_TRAFFIC_SECRET_0` (TLS 1.3).
    pub server_traffic: Option<Vec<u8>>,
}

/// Reads what was appended to a key log since the last call: whole lines only.
pub type ReadMore = Box<dyn FnMut() -> String + Send>;

/// Secrets by client random.
#[derive(Default)]
pub struct KeyLog {
    sessions: RwLock<HashMap<[u8; 32], Secrets>>,
    /// Lines that were neither a comment, nor blank, nor `LABEL random secret` in hex.
    bad_lines: RwLock<u64>,
    /// For a key log still being written: how to read its new lines.
    more: Option<Mutex<ReadMore>>,
}

impl std::fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLog")
            .field("sessions", &self.sessions())
            .field("growing", &self.is_growing())
            .finish()
    }
}

impl KeyLog {
    /// A key log read whole before the capture: a session with no key in it will never have one.
    pub fn complete(text: &str) -> KeyLog {
        let log = KeyLog::default();
        log.add(text);
        log
    }

    /// A key log a live client is still writing: a session's keys may come after its first
    /// encrypted records. `more` reads the lines appended since it last ran; it runs when a
    /// session's keys are looked up and missing.
    pub fn following(more: ReadMore) -> KeyLog {
        KeyLog {
            more: Some(Mutex::new(more)),
            ..KeyLog::default()
        }
    }

    /// Whether keys may still come.
    pub fn is_growing(&self) -> bool {
        self.more.is_some()
    }

    /// Reads whole lines of the key log; returns how many held a secret.
    pub fn add(&self, text: &str) -> usize {
        let mut read = 0;
        let mut bad = 0;
        let mut sessions = self
            .sessions
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_ascii_whitespace();
            let (Some(label), Some(random), Some(secret), None) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                bad += 1;
                continue;
            };
            let (Some(random), Some(secret)) = (unhex(random), unhex(secret)) else {
                bad += 1;
                continue;
            };
            let Ok(random) = <[u8; 32]>::try_from(random) else {
                bad += 1;
                continue;
            };
            let entry = sessions.entry(random).or_default();
            let slot = match label {
                "CLIENT_RANDOM" => &mut entry.master,
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.client_handshake,
                "SERVER_HANDSHAKE_TRAFFIC_SECRET" => &mut entry.server_handshake,
                "CLIENT_TRAFFIC_SECRET_0" => &mut entry.client_traffic,
                "SERVER_TRAFFIC_SECRET_0" => &mut entry.server_traffic,
                _ => continue,
            };
            *slot = Some(secret);
            read += 1;
        }
        *self
            .bad_lines
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) += bad;
        read
    }

    /// The secrets logged for the session whose ClientHello carried `client_random`.
    pub fn secrets(&self, client_random: &[u8; 32]) -> Option<Secrets> {
        let logged = |log: &KeyLog| {
            let sessions = log
                .sessions
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            sessions.get(client_random).cloned()
        };
        if let Some(found) = logged(self) {
            return Some(found);
        }
        if self.read_appended() == 0 {
            return None;
        }
        logged(self)
    }

    /// For a key log being written: reads the lines appended since the last read. Returns how
    /// many held a secret.
    pub fn read_appended(&self) -> usize {
        let Some(more) = &self.more else {
            return 0;
        };
        let appended = (more.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))();
        if appended.is_empty() {
            0
        } else {
            self.add(&appended)
        }
    }

    /// Sessions with at least one secret.
    pub fn sessions(&self) -> usize {
        self.sessions
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .len()
    }

    /// Lines that could not be read.
    pub fn bad_lines(&self) -> u64 {
        *self
            .bad_lines
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lines_of_python_and_of_rustls_and_skips_the_rest() {
        let random = "ab".repeat(32);
        let text = format!(
            "# TLS secrets log file, generated by OpenSSL / Python\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {random} {}\n\
             EXPORTER_SECRET {random} {}\n\
             CLIENT_RANDOM {random} {}\n\
             \n\
             CLIENT_RANDOM tooshort 00\n\
             garbage\n",
            "01".repeat(32),
            "02".repeat(32),
            "03".repeat(48),
        );
        let log = KeyLog::complete(&text);
        let secrets = log.secrets(&[0xab; 32]).expect("the session's secrets");
        assert_eq!(secrets.server_handshake, Some(vec![1; 32]));
        assert_eq!(secrets.master, Some(vec![3; 48]));
        assert_eq!(secrets.client_traffic, None);
        assert_eq!(log.bad_lines(), 2);
        assert!(!log.is_growing());
    }
}
