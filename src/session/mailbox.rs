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
    /// Messages the mirror forgot when the memory budget over all connections was reached
    /// (a `memory_budget` note says when); absent from JSON when none.
    #[serde(skip_serializing_if = "is_zero")]
    pub forgotten: u64,
    /// Heap bytes `messages` holds, estimated.
    #[serde(skip)]
    held: usize,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// What one entry of `messages` costs besides its unique id: the map's node share and the
/// entry itself.
const ENTRY_COST: usize = size_of::<Message>() + size_of::<u32>() + 32;

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
            MailboxChange::Size { number, size } => self.entry(*number).size = *size,
            MailboxChange::Uid { number, uid } => {
                let old = self.entry(*number).uid.replace(uid.clone());
                self.held = self.held + uid.capacity() - old.map_or(0, |old| old.capacity());
            }
            MailboxChange::Retrieved { number, complete } => self.entry(*number).retrieved = *complete,
            MailboxChange::Marked(number) => self.entry(*number).marked = true,
            MailboxChange::Unmarked => self.messages.values_mut().for_each(|m| m.marked = false),
            MailboxChange::Committed => self.committed = Some(true),
        }
    }

    fn entry(&mut self, number: u32) -> &mut Message {
        let held = &mut self.held;
        self.messages.entry(number).or_insert_with(|| {
            *held += ENTRY_COST;
            Message::default()
        })
    }

    /// Heap bytes the per-message mirror holds, estimated.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Forgets the per-message mirror (the counts from STAT stay), counting what was lost in
    /// `forgotten`.
    pub fn forget_messages(&mut self) {
        self.forgotten += self.messages.len() as u64;
        self.messages = BTreeMap::new();
        self.held = 0;
    }
}
