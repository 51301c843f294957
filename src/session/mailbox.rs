//! The mailbox mirror: what a session taught about the mailbox on the server (RFC 1939 §5–6).

use std::collections::BTreeMap;

/// One message as the session saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Message {
    /// Size in octets, from LIST.
    pub size: Option<u64>,
    /// Unique id, from UIDL.
    pub uid: Option<String>,
    /// Downloaded whole by RETR; a RETR the capture lost part of does not count.
    pub retrieved: bool,
    /// Marked by DELE and not unmarked by RSET.
    pub marked: bool,
}

/// What the session learned about the mailbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Mailbox {
    /// From STAT: message count and total octets.
    pub count: Option<u32>,
    /// Total size in octets, from STAT; `None` without STAT or when its reply had no number.
    pub octets: Option<u64>,
    /// The messages the session named, by message number (RFC 1939 §5).
    pub messages: BTreeMap<u32, Message>,
    /// `Some(true)`: QUIT in TRANSACTION was answered, so the marked messages were deleted.
    /// `Some(false)`: messages were marked, but the session ended without that: none deleted.
    pub committed: Option<bool>,
}

/// One thing an exchange taught about the mailbox (RFC 1939 §5–6). Front ends replay them to
/// show the mailbox as it stood after any exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailboxChange {
    /// STAT: the message count and total octets.
    Stat {
        /// Messages in the maildrop.
        count: u32,
        /// Their total size in octets; `None` if the reply's number did not parse.
        octets: Option<u64>,
    },
    /// LIST: a message's size.
    Size {
        /// The message number.
        number: u32,
        /// Its size in octets; `None` if the listing's number did not parse.
        size: Option<u64>,
    },
    /// UIDL: a message's unique id.
    Uid {
        /// The message number.
        number: u32,
        /// Its unique id, lossily decoded as UTF-8.
        uid: String,
    },
    /// RETR: the message was downloaded (`complete` false when the capture lost part of it).
    Retrieved {
        /// The message number.
        number: u32,
        /// The whole message was captured.
        complete: bool,
    },
    /// DELE: marked for deletion.
    Marked(u32),
    /// RSET: every mark removed.
    Unmarked,
    /// QUIT answered in TRANSACTION: the marked messages are deleted.
    Committed,
}

impl Mailbox {
    /// Brings the mirror up to date with one change; replaying an exchange's changes in order
    /// gives the mailbox as it stood after it.
    pub fn apply(&mut self, change: &MailboxChange) {
        match change {
            MailboxChange::Stat { count, octets } => {
                self.count = Some(*count);
                self.octets = *octets;
            }
            MailboxChange::Size { number, size } => self.messages.entry(*number).or_default().size = *size,
            MailboxChange::Uid { number, uid } => {
                self.messages.entry(*number).or_default().uid = Some(uid.clone());
            }
            MailboxChange::Retrieved { number, complete } => {
                self.messages.entry(*number).or_default().retrieved = *complete;
            }
            MailboxChange::Marked(number) => self.messages.entry(*number).or_default().marked = true,
            MailboxChange::Unmarked => self.messages.values_mut().for_each(|m| m.marked = false),
            MailboxChange::Committed => self.committed = Some(true),
        }
    }
}
