//! `--extract DIR`: every retrieved message as a `.eml` file, its attachments decoded beside it,
//! and a manifest tying each file to its session, exchange, user and hashes.
//!
//! Contract: every file is created anew (`create_new`: nothing is overwritten, no symbolic
//! link is followed) inside DIR, under a name pop3scope makes from safe characters only (a
//! file name from the message is reduced to letters, digits, `.`, `-` and `_`, and bounded),
//! so nothing is ever written outside DIR. The same message retrieved twice (the same bytes)
//! is written once. A message the capture did not hold whole is written as far as it goes,
//! named `…-incomplete.eml`, and listed as incomplete.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::base::hex;
use crate::mail::{self, MessageFacts};
use crate::pop3::{Exchange, Verb};
use crate::session::{SessionEvent, SessionId, SessionSink};

/// Characters of a file name taken from a message at most.
const MAX_NAME: usize = 64;

/// One message written, as the manifest lists it.
#[derive(Serialize)]
struct Entry {
    file: String,
    session: SessionId,
    exchange: u32,
    command: &'static str,
    user: Option<String>,
    client: String,
    server: String,
    sha256: String,
    md5: String,
    /// The message, as `message` in the JSON of its exchange.
    message: MessageFacts,
    /// Its attachments' files, by index into `message.parts`.
    attachments: Vec<AttachmentFile>,
}

#[derive(Serialize)]
struct AttachmentFile {
    part: usize,
    file: String,
}

/// Writes the messages of the sessions it is shown.
pub struct Extractor {
    dir: PathBuf,
    /// BLAKE3 of every message written: a repeat is known without its SHA-256, which only the
    /// written ones need (BLAKE3 is collision-resistant too, and several times faster).
    written: HashSet<[u8; 32]>,
    /// Per session: its endpoints and the user who logged in, for the manifest.
    sessions: HashMap<SessionId, (String, String, Option<String>)>,
    entries: Vec<Entry>,
    /// Messages retrieved again, not written twice.
    duplicates: u64,
    /// Only this exchange's message is written (the terminal view's save key).
    only: Option<(SessionId, u32)>,
    error: Option<io::Error>,
}

impl Extractor {
    /// Extracts into `dir`, made if missing.
    pub fn new(dir: &Path) -> io::Result<Extractor> {
        fs::create_dir_all(dir)?;
        if !fs::symlink_metadata(dir)?.is_dir() {
            return Err(io::Error::other(format!("{} is not a directory", dir.display())));
        }
        Ok(Extractor {
            dir: dir.to_path_buf(),
            written: HashSet::new(),
            sessions: HashMap::new(),
            entries: Vec::new(),
            duplicates: 0,
            only: None,
            error: None,
        })
    }

    /// Writes only the message of exchange `exchange` of session `session`, and stops once it
    /// is written.
    pub fn only(mut self, session: SessionId, exchange: u32) -> Extractor {
        self.only = Some((session, exchange));
        self
    }

    /// The files written, each message followed by its attachments; no manifest (for a single
    /// message saved from the terminal view).
    pub fn into_files(self) -> io::Result<Vec<String>> {
        if let Some(error) = self.error {
            return Err(error);
        }
        Ok(self
            .entries
            .into_iter()
            .flat_map(|entry| {
                std::iter::once(entry.file).chain(entry.attachments.into_iter().map(|a| a.file))
            })
            .collect())
    }

    /// Where the files go.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes the manifest; says how many messages were written and how many were repeats.
    pub fn finish(self) -> io::Result<(usize, u64)> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let mut manifest = io::BufWriter::new(create_new(&self.dir, "manifest.json")?);
        // Names and subjects came from the wire: invisible characters escaped, as in JSON Lines.
        super::json::to_json(&mut manifest, &self.entries)?;
        manifest.write_all(b"\n")?;
        manifest.flush()?;
        Ok((self.entries.len(), self.duplicates))
    }

    fn exchange(&mut self, session: SessionId, exchange: &Exchange) -> io::Result<()> {
        if self
            .only
            .is_some_and(|wanted| wanted != (session, exchange.index))
        {
            return Ok(());
        }
        let Some(body) = exchange.reply.as_ref().and_then(|r| r.body.as_ref()) else {
            return Ok(());
        };
        let command = match exchange.verb() {
            Some(Verb::Retr) => "RETR",
            Some(Verb::Top) => "TOP",
            _ => return Ok(()),
        };
        if exchange.ok() != Some(true) {
            return Ok(());
        }
        let Some(raw) = mail::message_bytes(body) else {
            return Ok(());
        };
        if !self.written.insert(*blake3::hash(raw).as_bytes()) {
            self.duplicates += 1;
            return Ok(());
        }
        let sha256 = ring::digest::digest(&ring::digest::SHA256, raw);
        let complete = command == "RETR" && !exchange.incomplete && body.complete_in_memory;
        let stem = format!("s{session:05}-x{:05}", exchange.index);
        let suffix = match (command, complete) {
            ("TOP", _) => "-top",
            (_, false) => "-incomplete",
            _ => "",
        };
        let file = unique_name(&self.dir, &format!("{stem}{suffix}"), "eml");
        create_new(&self.dir, &file)?.write_all(raw)?;
        // The facts name each attachment's file; its bytes come with the reading.
        let mut contents: Vec<(usize, Vec<u8>)> = Vec::new();
        let message = mail::read_with(raw, complete, &mut |part, bytes| {
            contents.push((part, bytes.to_vec()))
        });
        let mut attachments = Vec::new();
        for (part, bytes) in contents {
            let name = message.parts[part]
                .file_name
                .as_deref()
                .map(safe_name)
                .unwrap_or_default();
            let name = if name.is_empty() {
                format!("part{part}")
            } else {
                name
            };
            let file = unique_name(&self.dir, &format!("{stem}-{part}-{name}"), "");
            create_new(&self.dir, &file)?.write_all(&bytes)?;
            attachments.push(AttachmentFile { part, file });
        }
        let (client, server, user) = self.sessions.get(&session).cloned().unwrap_or_default();
        self.entries.push(Entry {
            file,
            session,
            exchange: exchange.index,
            command,
            user,
            client,
            server,
            sha256: hex(sha256.as_ref()),
            md5: hex(&<md5::Md5 as md5::Digest>::digest(raw)),
            message,
            attachments,
        });
        Ok(())
    }
}

impl SessionSink for Extractor {
    fn event(&mut self, event: SessionEvent<'_>) {
        if self.error.is_some() {
            return;
        }
        let result = match event {
            SessionEvent::Started(info) => {
                self.sessions
                    .insert(info.id, (info.client.to_string(), info.server.to_string(), None));
                Ok(())
            }
            SessionEvent::Credential {
                session, credential, ..
            } => {
                if let (Some(entry), Some(user)) = (self.sessions.get_mut(&session), &credential.user) {
                    entry.2 = Some(String::from_utf8_lossy(user).into_owned());
                }
                Ok(())
            }
            SessionEvent::Exchange {
                session, exchange, ..
            } => self.exchange(session, exchange),
            SessionEvent::Ended(summary) => {
                self.sessions.remove(&summary.info.id);
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(error) = result {
            self.error = Some(error);
        }
    }

    fn stopped(&self) -> bool {
        self.error.is_some() || (self.only.is_some() && !self.entries.is_empty())
    }
}

/// A file name from a message made safe: letters, digits, `.`, `-`, `_` kept, anything else
/// `_`, no leading dot, at most 64 characters. `../../etc/passwd` is
/// `.._.._etc_passwd` with its leading dots replaced: `_._.._etc_passwd`.
pub fn safe_name(name: &str) -> String {
    let mut safe: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_NAME)
        .collect();
    if safe.starts_with('.') {
        safe.replace_range(..1, "_");
    }
    safe
}

/// `stem.ext` in `dir`, or `stem-2.ext`, `stem-3.ext`… when it is taken.
fn unique_name(dir: &Path, stem: &str, ext: &str) -> String {
    let name = |n: u32| match (n, ext.is_empty()) {
        (1, true) => stem.to_string(),
        (1, false) => format!("{stem}.{ext}"),
        (n, true) => format!("{stem}-{n}"),
        (n, false) => format!("{stem}-{n}.{ext}"),
    };
    (1..)
        .map(name)
        .find(|candidate| fs::symlink_metadata(dir.join(candidate)).is_err())
        .expect("a free name")
}

/// Creates `name` in `dir`, failing rather than overwriting anything or following a link.
fn create_new(dir: &Path, name: &str) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_messages_stay_inside_the_directory() {
        assert_eq!(safe_name("../../etc/passwd"), "_._.._etc_passwd");
        assert_eq!(safe_name("报告 2026.pdf"), "报告_2026.pdf");
        assert_eq!(safe_name("a\u{0}b\nc"), "abc");
        assert_eq!(safe_name("/absolute"), "_absolute");
        assert_eq!(safe_name(&"x".repeat(1000)).len(), MAX_NAME);
        assert!(!safe_name("..").contains('/'));
    }
}
