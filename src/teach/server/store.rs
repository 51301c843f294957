//! Where the teaching server's mail lives: a directory of .eml files per user, or the built-in
//! demo mailboxes; users and passwords; one session per mailbox at a time.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One message as a session sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The unique id UIDL shows: stable across sessions (RFC 1939 §7).
    pub uid: String,
    /// Octets with CRLF line ends, before dot-stuffing (RFC 1939 §11).
    pub size: u64,
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no mailbox for {0}")]
    NoMailbox(String),
    #[error("message {0} is gone")]
    Gone(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The mail the server serves. Shared by every connection.
pub trait Store: Send + Sync {
    /// The password of `user`, if there is such a user.
    fn password(&self, user: &str) -> Option<String>;
    /// The messages of `user`'s mailbox, in order (message 1 first).
    fn list(&self, user: &str) -> Result<Vec<Message>, StoreError>;
    /// A message's text with CRLF line ends.
    fn content(&self, user: &str, uid: &str) -> Result<Vec<u8>, StoreError>;
    /// Deletes the messages (UPDATE state, RFC 1939 §6); the ones already gone are no error.
    fn delete(&self, user: &str, uids: &[String]) -> Result<(), StoreError>;
}

/// Turns LF or CRLF line ends into CRLF, and makes sure the text ends with one.
pub fn crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 40 + 2);
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' && (i == 0 || text[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// A UID from a file name (RFC 1939 §7: 1 to 70 characters from 0x21 to 0x7E): the name
/// itself when it is one, else `~` and the MD5 of the name in hex. Different names give
/// different UIDs either way (a name never starts with `~` and is 33 characters long by chance
/// only if it was made so).
fn uid_of(stem: &std::ffi::OsStr) -> String {
    let bytes = stem.as_encoded_bytes();
    let usable = !bytes.is_empty()
        && bytes.len() <= 70
        && !bytes.starts_with(b"~")
        && bytes.iter().all(|b| b.is_ascii_graphic());
    if usable {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        use md5::Digest;
        let digest = md5::Md5::digest(bytes);
        format!("~{}", crate::base::hex(&digest))
    }
}

/// Mailboxes in a directory: `ROOT/USER/*.eml`, ordered by file name. Passwords come from a
/// users file (`user:password` per line).
pub struct DirStore {
    root: PathBuf,
    users: HashMap<String, String>,
}

/// The journal of a deletion in progress, in a user's directory: the names of the files to
/// delete, written (and synced) before the first is removed.
const JOURNAL: &str = ".pop3scope-deleting";

impl DirStore {
    /// A store over `root`; deletions a killed server left half done are finished first.
    pub fn new(root: &Path, users: HashMap<String, String>) -> Self {
        let store = DirStore {
            root: root.to_path_buf(),
            users,
        };
        for user in store.users.keys() {
            let dir = store.root.join(user);
            if !std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_dir()) {
                continue;
            }
            // A journal being written when the server was killed decided nothing.
            let _ = std::fs::remove_file(dir.join(format!("{JOURNAL}.new")));
            if let Err(error) = finish_deletion(&dir) {
                eprintln!(
                    "pop3scope serve: {}: cannot finish a deletion: {error}",
                    dir.display()
                );
            }
        }
        store
    }

    fn files(&self, user: &str) -> Result<Vec<(String, PathBuf)>, StoreError> {
        // A user name is never a path: no separators, no dots first.
        if user.is_empty() || user.contains(['/', '\\']) || user.starts_with('.') {
            return Err(StoreError::NoMailbox(user.to_string()));
        }
        let dir = self.root.join(user);
        // The mailbox never leads out of the root: a user directory that is a symbolic link
        // is no mailbox, and a message is a regular file, never a link (a link to /etc/shadow
        // would be served by RETR, and a linked directory emptied by DELE).
        let is_directory = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_dir());
        if !is_directory {
            return Err(StoreError::NoMailbox(user.to_string()));
        }
        let entries = std::fs::read_dir(&dir).map_err(|_| StoreError::NoMailbox(user.to_string()))?;
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "eml")
                && entry.file_type()?.is_file()
                && let Some(stem) = path.file_stem()
            {
                files.push((uid_of(stem), path));
            }
        }
        // In the order of the file names, as they are (not as their UIDs sort).
        files.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(files)
    }
}

impl Store for DirStore {
    fn password(&self, user: &str) -> Option<String> {
        self.users.get(user).cloned()
    }

    fn list(&self, user: &str) -> Result<Vec<Message>, StoreError> {
        self.files(user)?
            .into_iter()
            .map(|(uid, path)| {
                let size = crlf(&read_message(&path)?).len() as u64;
                Ok(Message { uid, size })
            })
            .collect()
    }

    fn content(&self, user: &str, uid: &str) -> Result<Vec<u8>, StoreError> {
        let (_, path) = self
            .files(user)?
            .into_iter()
            .find(|(u, _)| u == uid)
            .ok_or_else(|| StoreError::Gone(uid.to_string()))?;
        Ok(crlf(&read_message(&path)?))
    }

    fn delete(&self, user: &str, uids: &[String]) -> Result<(), StoreError> {
        // Each UID names one file, so each deletion removes exactly the file listed. The
        // commit is all or nothing: the names are journaled (and synced) first, then removed;
        // a server killed in between finishes the journal when it starts again.
        let doomed: Vec<String> = self
            .files(user)?
            .into_iter()
            .filter(|(uid, _)| uids.contains(uid))
            .filter_map(|(_, path)| path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        if doomed.is_empty() {
            return Ok(());
        }
        let dir = self.root.join(user);
        write_journal(&dir, &doomed)?;
        finish_deletion(&dir)?;
        Ok(())
    }
}

/// Writes the journal of a deletion atomically: to a temporary file, synced, then renamed.
fn write_journal(dir: &Path, names: &[String]) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = dir.join(format!("{JOURNAL}.new"));
    let mut file = std::fs::File::create(&temporary)?;
    for name in names {
        writeln!(file, "{name}")?;
    }
    file.sync_all()?;
    std::fs::rename(&temporary, dir.join(JOURNAL))?;
    // The rename itself must survive a crash too.
    std::fs::File::open(dir)?.sync_all()
}

/// Removes what the journal in `dir` lists (those already gone are fine), then the journal.
fn finish_deletion(dir: &Path) -> std::io::Result<()> {
    let journal = dir.join(JOURNAL);
    let text = match std::fs::read_to_string(&journal) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    for name in text.lines() {
        // A name, never a path: nothing outside the directory is touched.
        if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
            continue;
        }
        match std::fs::remove_file(dir.join(name)) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    std::fs::remove_file(journal)
}

/// A message file's bytes, refusing a file that became a symbolic link since it was listed.
fn read_message(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let mut bytes = Vec::new();
    options.open(path)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads a users file: `user:password` per line, spaces around either ignored; `#` starts a
/// comment.
pub fn read_users(text: &str) -> Result<HashMap<String, String>, crate::teach::Error> {
    let mut users = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, password) = line
            .split_once(':')
            .ok_or(crate::teach::Error::UsersFile { line: n + 1 })?;
        users.insert(user.trim().to_string(), password.trim().to_string());
    }
    Ok(users)
}

/// The built-in mailboxes, in memory (deletions last until the server stops): the users and
/// messages of captures/ (alice/wonderland, bob/builder, empty@example.test/nothing).
pub struct DemoStore {
    users: HashMap<String, String>,
    mailboxes: Mutex<HashMap<String, Vec<DemoMessage>>>,
}

/// (UID, text with CRLF line ends)
type DemoMessage = (String, Vec<u8>);

fn demo_message(n: &str, from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
    crlf(
        format!(
            "From: {from}\nTo: {to}\nSubject: {subject}\n\
             Date: Mon, 01 Jan 2024 10:00:00 +0000\nMessage-ID: <{n}@pop3scope.example.test>\n\
             MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n{body}"
        )
        .as_bytes(),
    )
}

const ALICE: &str = "Alice <alice@example.test>";
const BOB: &str = "Bob <bob@example.test>";

impl Default for DemoStore {
    fn default() -> Self {
        let alice = vec![
            demo_message(
                "alice-1",
                "March Hare <hare@example.test>",
                ALICE,
                "Tea at six",
                "Hello Alice,\n\nTea is at six o'clock, as always.\nPlease bring the jam.\n\n-- \nThe March Hare\n",
            ),
            demo_message(
                "alice-2",
                "Mad Hatter <hatter@example.test>",
                ALICE,
                "Why is a raven like a writing-desk?",
                "I haven't the slightest idea.\nHave you guessed the riddle yet?\n",
            ),
            demo_message(
                "alice-3",
                "Dormouse <dormouse@example.test>",
                ALICE,
                "Lines that start with a dot",
                ".this line starts with a dot and is dot-stuffed on the wire\n.\n..two dots\nThe line above the previous one was a lone dot.\n",
            ),
            demo_message(
                "alice-4",
                "Caterpillar <caterpillar@example.test>",
                ALICE,
                "Who are you?",
                "Whö are yöu? — an 8-bit UTF-8 body.\n",
            ),
        ];
        let long_body: String = (1..=2400)
            .map(|i| format!("Line {i:05} of a long message, to watch it cross many TCP segments.\n"))
            .collect();
        let bob = vec![
            demo_message(
                "bob-1",
                "Wendy <wendy@example.test>",
                BOB,
                "Can we fix it?",
                "Yes we can!\n",
            ),
            demo_message(
                "bob-2",
                "Scoop <scoop@example.test>",
                BOB,
                "The big one",
                &long_body,
            ),
        ];
        let mut mailboxes = HashMap::new();
        for (user, messages) in [("alice", alice), ("bob", bob), ("empty@example.test", Vec::new())] {
            let numbered = messages
                .into_iter()
                .enumerate()
                .map(|(i, text)| (format!("{user}-{}", i + 1).replace('@', "."), text))
                .collect();
            mailboxes.insert(user.to_string(), numbered);
        }
        let users = [
            ("alice", "wonderland"),
            ("bob", "builder"),
            ("empty@example.test", "nothing"),
        ]
        .into_iter()
        .map(|(u, p)| (u.to_string(), p.to_string()))
        .collect();
        DemoStore {
            users,
            mailboxes: Mutex::new(mailboxes),
        }
    }
}

impl Store for DemoStore {
    fn password(&self, user: &str) -> Option<String> {
        self.users.get(user).cloned()
    }

    fn list(&self, user: &str) -> Result<Vec<Message>, StoreError> {
        let mailboxes = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        let messages = mailboxes
            .get(user)
            .ok_or_else(|| StoreError::NoMailbox(user.to_string()))?;
        Ok(messages
            .iter()
            .map(|(uid, text)| Message {
                uid: uid.clone(),
                size: text.len() as u64,
            })
            .collect())
    }

    fn content(&self, user: &str, uid: &str) -> Result<Vec<u8>, StoreError> {
        let mailboxes = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        mailboxes
            .get(user)
            .and_then(|m| m.iter().find(|(u, _)| u == uid))
            .map(|(_, text)| text.clone())
            .ok_or_else(|| StoreError::Gone(uid.to_string()))
    }

    fn delete(&self, user: &str, uids: &[String]) -> Result<(), StoreError> {
        let mut mailboxes = self.mailboxes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(messages) = mailboxes.get_mut(user) {
            messages.retain(|(uid, _)| !uids.contains(uid));
        }
        Ok(())
    }
}

/// Which mailboxes are in use: one session per mailbox (RFC 1939 §8: the server locks it).
#[derive(Clone, Default)]
pub struct Locks {
    held: Arc<Mutex<HashSet<String>>>,
}

/// Holds a mailbox's lock; dropping it lets the next session in.
pub struct MailboxLock {
    locks: Locks,
    user: String,
}

impl Locks {
    /// The lock of `user`'s mailbox, or `None` when another session holds it.
    pub fn take(&self, user: &str) -> Option<MailboxLock> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.insert(user.to_string()).then(|| MailboxLock {
            locks: self.clone(),
            user: user.to_string(),
        })
    }
}

impl Drop for MailboxLock {
    fn drop(&mut self) {
        let mut held = self.locks.held.lock().unwrap_or_else(|e| e.into_inner());
        held.remove(&self.user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_become_crlf_once() {
        assert_eq!(crlf(b"a\nb\r\nc"), b"a\r\nb\r\nc\r\n");
        assert_eq!(crlf(b""), b"\r\n");
    }

    #[test]
    fn a_mailbox_is_locked_by_one_session_at_a_time() {
        let locks = Locks::default();
        let first = locks.take("alice").expect("free");
        assert!(locks.take("alice").is_none());
        drop(first);
        assert!(locks.take("alice").is_some());
    }

    #[test]
    fn a_deletion_cut_short_is_finished_when_the_server_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let alice = dir.path().join("alice");
        std::fs::create_dir(&alice).unwrap();
        for name in ["1.eml", "2.eml", "3.eml"] {
            std::fs::write(alice.join(name), "Subject: x\n\nhi\n").unwrap();
        }
        // Killed after the journal was written and one file removed: the commit was decided.
        write_journal(&alice, &["1.eml".to_string(), "3.eml".to_string()]).unwrap();
        std::fs::remove_file(alice.join("1.eml")).unwrap();
        let store = DirStore::new(dir.path(), read_users("alice:a\n").unwrap());
        let left: Vec<String> = store.list("alice").unwrap().into_iter().map(|m| m.uid).collect();
        assert_eq!(left, ["2"]);
        assert!(!alice.join(JOURNAL).exists());
        // Killed before the journal: nothing was decided, nothing goes.
        std::fs::write(alice.join(format!("{JOURNAL}.new")), "2.eml\n").unwrap();
        let store = DirStore::new(dir.path(), read_users("alice:a\n").unwrap());
        assert_eq!(store.list("alice").unwrap().len(), 1);
        assert!(!alice.join(format!("{JOURNAL}.new")).exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_mailbox_never_leads_out_of_its_root() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("shadow"), "root:secret\n").unwrap();
        std::fs::create_dir(outside.path().join("bobs")).unwrap();
        std::fs::write(outside.path().join("bobs/1.eml"), "Subject: not yours\n\nx\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("alice")).unwrap();
        std::fs::write(dir.path().join("alice/1.eml"), "Subject: x\n\nhi\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("shadow"), dir.path().join("alice/2.eml")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("bobs"), dir.path().join("bob")).unwrap();
        let store = DirStore::new(dir.path(), read_users("alice:a\nbob:b\n").unwrap());
        // The link is no message: RETR cannot serve /etc/shadow.
        assert_eq!(store.list("alice").unwrap().len(), 1);
        // A linked user directory is no mailbox: DELE cannot empty a directory outside.
        assert!(matches!(store.list("bob"), Err(StoreError::NoMailbox(_))));
        assert!(store.delete("bob", &["1".to_string()]).is_err());
        assert!(outside.path().join("bobs/1.eml").exists());
    }

    #[test]
    fn a_directory_store_deletes_only_what_it_is_told() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("alice")).unwrap();
        for name in ["1.eml", "2.eml", "3.eml"] {
            std::fs::write(dir.path().join("alice").join(name), "Subject: x\n\nhi\n").unwrap();
        }
        // Names that are not UIDs as they are: a space, non-ASCII, a clash once cleaned up.
        for name in ["0 2.eml", "02.eml", "é.eml"] {
            std::fs::write(dir.path().join("alice").join(name), "Subject: y\n\nho\n").unwrap();
        }
        let store = DirStore::new(dir.path(), read_users("alice:wonderland\n").unwrap());
        let uids: Vec<String> = store.list("alice").unwrap().into_iter().map(|m| m.uid).collect();
        let unique: HashSet<&String> = uids.iter().collect();
        assert_eq!((uids.len(), unique.len()), (6, 6), "{uids:?}");
        assert!(
            uids.iter()
                .all(|u| u.len() <= 70 && u.bytes().all(|b| b.is_ascii_graphic()))
        );
        store
            .delete("alice", &[uid_of(std::ffi::OsStr::new("0 2"))])
            .unwrap();
        assert!(
            dir.path().join("alice/02.eml").exists(),
            "only the file named goes"
        );
        assert!(!dir.path().join("alice/0 2.eml").exists());
        for name in ["02.eml", "é.eml"] {
            std::fs::remove_file(dir.path().join("alice").join(name)).unwrap();
        }
        let listed = store.list("alice").unwrap();
        assert_eq!(
            listed.iter().map(|m| m.uid.as_str()).collect::<Vec<_>>(),
            ["1", "2", "3"]
        );
        assert_eq!(listed[0].size, 18, "\"Subject: x\\r\\n\\r\\nhi\\r\\n\"");
        store.delete("alice", &["2".to_string()]).unwrap();
        assert_eq!(store.list("alice").unwrap().len(), 2);
        assert!(store.list("../alice").is_err());
    }
}
