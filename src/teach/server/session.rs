//! One client's POP3 session on the teaching server: a line in, a response out. No sockets and
//! no clock: the network layer reads the lines, writes the bytes, waits the delays and switches
//! to TLS when told to.

use std::time::Duration;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use md5::{Digest, Md5};

use super::store::{Locks, MailboxLock, Message, Store, StoreError};
use super::{Quirks, ServerConfig};
use crate::base::hex;
use crate::pop3::{Phase, Verb, allows, parse_number};

/// What the network layer does after writing a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    Continue,
    /// Start TLS now: bytes that arrived after the command are thrown away (RFC 2595 §4).
    StartTls,
    Close,
}

/// The bytes to send, and what comes next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub bytes: Vec<u8>,
    /// Wait this long before sending (an authentication failure delay).
    pub delay: Option<Duration>,
    pub then: Then,
}

impl Response {
    fn new(bytes: Vec<u8>) -> Self {
        Response {
            bytes,
            delay: None,
            then: Then::Continue,
        }
    }
}

/// An AUTH exchange in progress (RFC 5034 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Sasl {
    Plain,
    LoginUser,
    LoginPassword(String),
    CramMd5(String),
}

/// Bad commands a client may send before the server drops it (with the drop quirk).
const BAD_COMMANDS_ALLOWED: u32 = 3;

pub struct ServerSession<'a> {
    store: &'a dyn Store,
    locks: &'a Locks,
    config: &'a ServerConfig,
    phase: Phase,
    tls: bool,
    /// The `<…>` of the greeting: APOP and CRAM-MD5 digest it with the password.
    timestamp: String,
    user: Option<String>,
    /// The last command was a USER the server accepted.
    named: bool,
    sasl: Option<Sasl>,
    lock: Option<MailboxLock>,
    messages: Vec<Message>,
    deleted: Vec<bool>,
    bad_commands: u32,
}

fn ok(text: &str) -> Vec<u8> {
    if text.is_empty() {
        b"+OK\r\n".to_vec()
    } else {
        format!("+OK {text}\r\n").into_bytes()
    }
}

fn err(text: &str) -> Vec<u8> {
    format!("-ERR {text}\r\n").into_bytes()
}

impl<'a> ServerSession<'a> {
    /// A new connection. `nonce` makes the greeting's timestamp unique (RFC 1939 §7: the
    /// process id and the time, say); `tls` is true on an implicit-TLS port.
    pub fn new(
        store: &'a dyn Store,
        locks: &'a Locks,
        config: &'a ServerConfig,
        nonce: &str,
        tls: bool,
    ) -> Self {
        ServerSession {
            store,
            locks,
            config,
            phase: Phase::Authorization,
            tls,
            timestamp: format!("<{nonce}@{}>", config.hostname),
            user: None,
            named: false,
            sasl: None,
            lock: None,
            messages: Vec::new(),
            deleted: Vec::new(),
            bad_commands: 0,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    fn quirks(&self) -> &Quirks {
        &self.config.quirks
    }

    pub fn greeting(&self) -> Vec<u8> {
        let greeting = if self.quirks().no_apop_timestamp {
            ok("POP3 server ready")
        } else {
            ok(&format!("POP3 server ready {}", self.timestamp))
        };
        self.with_line_ends(Response::new(greeting)).bytes
    }

    /// A line the network layer says on its own (a line too long), with the line ends the
    /// quirks ask for.
    pub fn notice(&self, text: &str) -> Vec<u8> {
        self.with_line_ends(Response::new(err(text))).bytes
    }

    /// The client's next line, without its line end.
    pub fn line(&mut self, line: &[u8]) -> Response {
        if let Some(state) = self.sasl.take() {
            return self.sasl_response(state, line);
        }
        let text = String::from_utf8_lossy(line);
        let mut words = text.split(' ');
        let keyword = words.next().unwrap_or_default().to_ascii_uppercase();
        let args: Vec<&str> = words.collect();
        // PASS must come right after a USER the server accepted (RFC 1939 §7).
        let named = std::mem::take(&mut self.named);
        if let Some(response) = self.wrong_arguments(&keyword, &args) {
            return self.with_line_ends(Response::new(response));
        }
        let verb = Verb::from_keyword(keyword.as_bytes());
        let response = match (self.phase, verb) {
            (_, Verb::Capa) => Response::new(self.capabilities()),
            (_, Verb::Quit) => self.quit(),
            (Phase::Authorization, Verb::User) => self.user(&args),
            (Phase::Authorization, Verb::Pass) if named => self.pass(&text),
            (Phase::Authorization, Verb::Pass) => Response::new(err("No username given.")),
            (Phase::Authorization, Verb::Apop) => self.apop(&args),
            (Phase::Authorization, Verb::Auth) => self.auth(&args),
            (Phase::Authorization, Verb::Stls) => self.stls(),
            (Phase::Transaction, Verb::Stat) => self.stat(),
            (Phase::Transaction, Verb::List) => self.scan(&args, |n, m| format!("{n} {}", m.size)),
            (Phase::Transaction, Verb::Uidl) => self.scan(&args, |n, m| format!("{n} {}", m.uid)),
            (Phase::Transaction, Verb::Retr) => self.retrieve(&args, None),
            (Phase::Transaction, Verb::Top) => match args.get(1).and_then(|n| parse_number(n.as_bytes())) {
                Some(lines) if args.len() == 2 => self.retrieve(&args[..1], Some(lines as usize)),
                _ => Response::new(err("TOP takes a message number and a line count")),
            },
            (Phase::Transaction, Verb::Dele) => self.delete(&args),
            (Phase::Transaction, Verb::Noop) => Response::new(ok("")),
            (Phase::Transaction, Verb::Rset) => {
                self.deleted.iter_mut().for_each(|d| *d = false);
                Response::new(ok(&format!("{} messages", self.messages.len())))
            }
            _ => return self.bad_command(verb),
        };
        self.with_line_ends(response)
    }

    /// `-ERR` for a known command with the wrong number of arguments (RFC 1939 §5–7).
    /// (PASS, APOP, AUTH and TOP check their own.)
    fn wrong_arguments(&self, keyword: &str, args: &[&str]) -> Option<Vec<u8>> {
        use Verb::*;
        let verb = Verb::from_keyword(keyword.as_bytes());
        if !matches!(
            verb,
            Capa | Quit | Stls | Stat | Noop | Rset | List | Uidl | Retr | Dele | User
        ) {
            return None;
        }
        let (fewest, most) = verb.arity();
        (args.len() < fewest || args.len() > most)
            .then(|| err(&format!("Wrong number of arguments for {keyword}.")))
    }

    /// The connection ended without QUIT: nothing is deleted (RFC 1939 §6), the lock goes.
    pub fn disconnected(&mut self) {
        self.lock = None;
    }

    /// `-ERR` for a command this server does not take here: in the words of the decoder's phase
    /// table when the command belongs to another phase, else as unknown.
    fn bad_command(&mut self, verb: Verb) -> Response {
        self.bad_commands += 1;
        let text = if verb != Verb::Unknown && !allows(self.phase, verb) {
            format!("{} is not allowed in {}", verb.name(), self.phase.name())
        } else {
            "Unknown command.".to_string()
        };
        let mut response = Response::new(err(&text));
        if self.quirks().drop_after_bad_commands && self.bad_commands >= BAD_COMMANDS_ALLOWED {
            response
                .bytes
                .extend_from_slice(&err("Too many bad commands, goodbye."));
            response.then = Then::Close;
            self.lock = None;
        }
        self.with_line_ends(response)
    }

    fn capabilities(&self) -> Vec<u8> {
        let mut lines = vec!["TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE"];
        if self.phase == Phase::Authorization {
            if self.config.tls_available && !self.tls {
                lines.push("STLS");
            }
            lines.push("USER");
            lines.push("SASL PLAIN LOGIN CRAM-MD5");
        }
        if self.quirks().login_delay {
            lines.push("LOGIN-DELAY 300");
        }
        lines.push("EXPIRE NEVER");
        lines.push("IMPLEMENTATION pop3scope-teaching-server");
        let mut out = ok("Capability list follows");
        for line in lines {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        out
    }

    fn quit(&mut self) -> Response {
        let mut response = Response::new(ok("Logging out."));
        response.then = Then::Close;
        if self.phase == Phase::Transaction {
            // UPDATE: the marked messages go now, and only now (RFC 1939 §6).
            self.phase = Phase::Update;
            let marked: Vec<String> = self
                .messages
                .iter()
                .zip(&self.deleted)
                .filter(|(_, d)| **d)
                .map(|(m, _)| m.uid.clone())
                .collect();
            if let Some(user) = &self.user
                && !marked.is_empty()
            {
                response.bytes = match self.store.delete(user, &marked) {
                    Ok(()) => ok("Logging out, messages deleted."),
                    Err(error) => err(&format!("[SYS/TEMP] Some messages were not deleted: {error}")),
                };
            }
        }
        self.lock = None;
        self.with_line_ends(response)
    }

    fn user(&mut self, args: &[&str]) -> Response {
        match args {
            [name] if !name.is_empty() => {
                self.user = Some((*name).to_string());
                self.named = true;
                Response::new(ok(""))
            }
            _ => Response::new(err("USER takes a mailbox name")),
        }
    }

    fn pass(&mut self, line: &str) -> Response {
        // The password is the rest of the line: it may hold spaces (RFC 1939 §7).
        let password = line.get(5..).unwrap_or_default().to_string();
        let Some(user) = self.user.clone() else {
            return Response::new(err("No username given."));
        };
        let right = self.store.password(&user).is_some_and(|p| p == password);
        self.log_in(&user, right)
    }

    fn apop(&mut self, args: &[&str]) -> Response {
        let [user, digest] = args else {
            return Response::new(err("APOP takes a name and a digest"));
        };
        if self.quirks().no_apop_timestamp {
            return Response::new(err("APOP is not available: the greeting had no timestamp"));
        }
        let right = self.store.password(user).is_some_and(|password| {
            let expected = Md5::digest(format!("{}{password}", self.timestamp).as_bytes());
            hex(&expected) == digest.to_ascii_lowercase()
        });
        self.log_in(user, right)
    }

    fn auth(&mut self, args: &[&str]) -> Response {
        let Some(mechanism) = args.first() else {
            // AUTH alone: the mechanisms, an older convention clients still use.
            return Response::new(b"+OK\r\nPLAIN\r\nLOGIN\r\nCRAM-MD5\r\n.\r\n".to_vec());
        };
        // An initial response (RFC 5034 §4) answers the first challenge at once.
        match (mechanism.to_ascii_uppercase().as_str(), args.get(1)) {
            ("PLAIN", Some(initial)) => self.sasl_response(Sasl::Plain, initial.as_bytes()),
            ("PLAIN", None) => {
                self.sasl = Some(Sasl::Plain);
                Response::new(b"+ \r\n".to_vec())
            }
            ("LOGIN", Some(initial)) => self.sasl_response(Sasl::LoginUser, initial.as_bytes()),
            ("LOGIN", None) => {
                self.sasl = Some(Sasl::LoginUser);
                Response::new(b"+ VXNlcm5hbWU6\r\n".to_vec())
            }
            ("CRAM-MD5", Some(_)) => Response::new(err("[AUTH] CRAM-MD5 takes no initial response.")),
            ("CRAM-MD5", None) => {
                let challenge = self.timestamp.clone();
                let encoded = base64::engine::general_purpose::STANDARD.encode(&challenge);
                self.sasl = Some(Sasl::CramMd5(challenge));
                Response::new(format!("+ {encoded}\r\n").into_bytes())
            }
            _ => Response::new(err("Unsupported authentication mechanism.")),
        }
    }

    fn sasl_response(&mut self, state: Sasl, line: &[u8]) -> Response {
        if line == b"*" {
            return Response::new(err("Authentication cancelled."));
        }
        // "=" is an empty response (RFC 5034 §4).
        let decoded = if line == b"=" {
            Vec::new()
        } else {
            match base64::engine::general_purpose::STANDARD.decode(line) {
                Ok(decoded) => decoded,
                Err(_) => return Response::new(err("[AUTH] The response is not base64.")),
            }
        };
        let text = String::from_utf8_lossy(&decoded).into_owned();
        match state {
            Sasl::Plain => {
                // authzid NUL authcid NUL passwd (RFC 4616 §2): acting for someone else is
                // not something this server allows.
                let mut parts = text.split('\0');
                let (Some(authzid), Some(user), Some(password)) = (parts.next(), parts.next(), parts.next())
                else {
                    return Response::new(err("[AUTH] Malformed PLAIN response."));
                };
                if !authzid.is_empty() && authzid != user {
                    return Response::new(err("[AUTH] Authentication failed."));
                }
                let right = self.store.password(user).is_some_and(|p| p == password);
                self.log_in(user, right)
            }
            Sasl::LoginUser => {
                self.sasl = Some(Sasl::LoginPassword(text));
                Response::new(b"+ UGFzc3dvcmQ6\r\n".to_vec())
            }
            Sasl::LoginPassword(user) => {
                let right = self.store.password(&user).is_some_and(|p| p == text);
                self.log_in(&user, right)
            }
            Sasl::CramMd5(challenge) => {
                let Some((user, digest)) = text.rsplit_once(' ') else {
                    return Response::new(err("[AUTH] Malformed CRAM-MD5 response."));
                };
                let right = self.store.password(user).is_some_and(|password| {
                    hmac::Hmac::<Md5>::new_from_slice(password.as_bytes()).is_ok_and(|mut mac| {
                        mac.update(challenge.as_bytes());
                        hex(&mac.finalize().into_bytes()) == digest.to_ascii_lowercase()
                    })
                });
                self.log_in(user, right)
            }
        }
    }

    /// The end of every login: the right password, a free mailbox, then TRANSACTION.
    fn log_in(&mut self, user: &str, right: bool) -> Response {
        if !right {
            let mut response = Response::new(err("[AUTH] Authentication failed."));
            if self.quirks().auth_failure_delay {
                response.delay = Some(Duration::from_secs(2));
            }
            return response;
        }
        if self.quirks().sys_temp {
            return Response::new(err("[SYS/TEMP] Temporary failure; try again later."));
        }
        if self.quirks().login_delay {
            return Response::new(err("[LOGIN-DELAY] Only one login every 300 seconds."));
        }
        let Some(lock) = self.locks.take(user) else {
            return Response::new(err("[IN-USE] Mailbox is locked by another POP3 session."));
        };
        match self.store.list(user) {
            Ok(messages) => {
                self.deleted = vec![false; messages.len()];
                self.messages = messages;
                self.lock = Some(lock);
                self.user = Some(user.to_string());
                self.phase = Phase::Transaction;
                Response::new(ok("Logged in."))
            }
            Err(StoreError::NoMailbox(_)) => Response::new(err("[SYS/PERM] No mailbox for this user.")),
            Err(error) => Response::new(err(&format!("[SYS/TEMP] {error}"))),
        }
    }

    fn stls(&mut self) -> Response {
        if !self.config.tls_available || self.tls {
            return Response::new(err("STLS is not available."));
        }
        self.tls = true;
        // Nothing said in plain text counts once TLS is up (RFC 2595 §4).
        self.user = None;
        let mut response = Response::new(ok("Begin TLS negotiation now."));
        response.then = Then::StartTls;
        response
    }

    /// The message a number names, unless it is out of range or marked.
    fn message(&self, arg: Option<&&str>) -> Result<usize, Vec<u8>> {
        let Some(number) = arg.and_then(|a| parse_number(a.as_bytes())) else {
            return Err(err("A message number is needed."));
        };
        let index = (number as usize).wrapping_sub(1);
        match self.deleted.get(index) {
            None => Err(err(&format!("There's no message {number}."))),
            Some(true) => Err(err(&format!("Message {number} is deleted."))),
            Some(false) => Ok(index),
        }
    }

    fn stat(&self) -> Response {
        let (count, octets) = self
            .messages
            .iter()
            .zip(&self.deleted)
            .filter(|(_, d)| !**d)
            .fold((0, 0), |(c, o), (m, _)| (c + 1, o + m.size));
        Response::new(ok(&format!("{count} {octets}")))
    }

    fn scan(&self, args: &[&str], line: impl Fn(usize, &Message) -> String) -> Response {
        if let Some(arg) = args.first() {
            return Response::new(match self.message(Some(arg)) {
                Ok(index) => ok(&line(index + 1, &self.messages[index])),
                Err(error) => error,
            });
        }
        let live: Vec<(usize, &Message)> = self
            .messages
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.deleted[*i])
            .collect();
        let mut out = ok(&format!("{} messages", live.len()));
        for (index, message) in live {
            out.extend_from_slice(line(index + 1, message).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        Response::new(out)
    }

    /// RETR, or TOP with `body_lines`: the message dot-stuffed, then the final dot.
    fn retrieve(&self, args: &[&str], body_lines: Option<usize>) -> Response {
        let index = match self.message(args.first()) {
            Ok(index) if args.len() == 1 => index,
            Ok(_) => return Response::new(err("Noise after message number.")),
            Err(error) => return Response::new(error),
        };
        let message = &self.messages[index];
        let Some(user) = &self.user else {
            return Response::new(err("Not logged in."));
        };
        let text = match self.store.content(user, &message.uid) {
            Ok(text) => text,
            Err(error) => return Response::new(err(&format!("[SYS/TEMP] {error}"))),
        };
        let mut out = match body_lines {
            None => ok(&format!("{} octets", message.size)),
            Some(_) => ok(""),
        };
        let mut in_body = false;
        let mut body_left = body_lines.unwrap_or(usize::MAX);
        for line in text.split_inclusive(|&b| b == b'\n') {
            if in_body {
                if body_left == 0 {
                    break;
                }
                body_left -= 1;
            }
            if line == b"\r\n" {
                in_body = true;
            }
            if line.first() == Some(&b'.') && !self.quirks().no_dot_stuffing {
                out.push(b'.');
            }
            out.extend_from_slice(line);
        }
        out.extend_from_slice(b".\r\n");
        Response::new(out)
    }

    fn delete(&mut self, args: &[&str]) -> Response {
        match self.message(args.first()) {
            Ok(index) => {
                self.deleted[index] = true;
                Response::new(ok("Marked to be deleted."))
            }
            Err(error) => Response::new(error),
        }
    }

    /// The bare-LF quirk: a server that ends its lines with LF alone.
    fn with_line_ends(&self, mut response: Response) -> Response {
        if self.quirks().bare_lf {
            let mut bytes = Vec::with_capacity(response.bytes.len());
            for (i, &b) in response.bytes.iter().enumerate() {
                if b == b'\r' && response.bytes.get(i + 1) == Some(&b'\n') {
                    continue;
                }
                bytes.push(b);
            }
            response.bytes = bytes;
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teach::server::store::DemoStore;

    struct Talk {
        store: DemoStore,
        locks: Locks,
        config: ServerConfig,
    }

    impl Talk {
        fn new() -> Self {
            Talk::with(Quirks::default())
        }
        fn with(quirks: Quirks) -> Self {
            Talk {
                store: DemoStore::default(),
                locks: Locks::default(),
                config: ServerConfig {
                    quirks,
                    tls_available: true,
                    hostname: "teaching.test".to_string(),
                },
            }
        }
        fn session(&self) -> ServerSession<'_> {
            ServerSession::new(&self.store, &self.locks, &self.config, "1.2", false)
        }
    }

    fn say(session: &mut ServerSession, line: &str) -> String {
        String::from_utf8(session.line(line.as_bytes()).bytes).unwrap()
    }

    fn logged_in(talk: &Talk) -> ServerSession<'_> {
        let mut session = talk.session();
        assert_eq!(say(&mut session, "USER alice"), "+OK\r\n");
        assert_eq!(say(&mut session, "PASS wonderland"), "+OK Logged in.\r\n");
        session
    }

    #[test]
    fn the_greeting_carries_a_timestamp_for_apop() {
        let talk = Talk::new();
        assert_eq!(
            talk.session().greeting(),
            b"+OK POP3 server ready <1.2@teaching.test>\r\n"
        );
    }

    #[test]
    fn mailbox_commands_wait_for_a_login() {
        let talk = Talk::new();
        let mut session = talk.session();
        assert_eq!(
            say(&mut session, "STAT"),
            "-ERR STAT is not allowed in AUTHORIZATION\r\n"
        );
        assert_eq!(
            say(&mut session, "PASS wonderland"),
            "-ERR No username given.\r\n"
        );
        assert_eq!(say(&mut session, "USER alice"), "+OK\r\n");
        assert_eq!(
            say(&mut session, "PASS nope"),
            "-ERR [AUTH] Authentication failed.\r\n"
        );
        assert_eq!(session.phase(), Phase::Authorization);
    }

    #[test]
    fn transaction_lists_and_retrieves_dot_stuffed() {
        let talk = Talk::new();
        let mut session = logged_in(&talk);
        assert!(say(&mut session, "STAT").starts_with("+OK 4 "));
        let list = say(&mut session, "LIST");
        assert!(
            list.starts_with("+OK 4 messages\r\n1 ") && list.ends_with("\r\n.\r\n"),
            "{list}"
        );
        assert!(say(&mut session, "LIST 2").starts_with("+OK 2 "));
        assert_eq!(say(&mut session, "LIST 9"), "-ERR There's no message 9.\r\n");
        let retr = say(&mut session, "RETR 3");
        assert!(retr.contains("\r\n..this line starts with a dot"), "{retr}");
        assert!(retr.contains("\r\n..\r\n...two dots\r\n"), "{retr}");
        assert!(retr.ends_with("\r\n.\r\n"));
        let top = say(&mut session, "TOP 1 0");
        assert!(top.ends_with("charset=utf-8\r\n\r\n.\r\n"), "{top}");
        assert_eq!(say(&mut session, "UIDL 1"), "+OK 1 alice-1\r\n");
    }

    #[test]
    fn dele_marks_rset_unmarks_and_only_quit_deletes() {
        let talk = Talk::new();
        let mut session = logged_in(&talk);
        assert_eq!(say(&mut session, "DELE 1"), "+OK Marked to be deleted.\r\n");
        assert_eq!(say(&mut session, "RETR 1"), "-ERR Message 1 is deleted.\r\n");
        assert_eq!(say(&mut session, "RSET"), "+OK 4 messages\r\n");
        assert!(say(&mut session, "RETR 1").starts_with("+OK"));
        say(&mut session, "DELE 2");
        session.disconnected();
        drop(session);
        assert_eq!(
            talk.store.list("alice").unwrap().len(),
            4,
            "no QUIT: nothing deleted"
        );
        let mut session = logged_in(&talk);
        say(&mut session, "DELE 2");
        assert_eq!(
            say(&mut session, "QUIT"),
            "+OK Logging out, messages deleted.\r\n"
        );
        let uids: Vec<String> = talk
            .store
            .list("alice")
            .unwrap()
            .into_iter()
            .map(|m| m.uid)
            .collect();
        assert_eq!(uids, ["alice-1", "alice-3", "alice-4"]);
    }

    #[test]
    fn a_second_session_finds_the_mailbox_in_use() {
        let talk = Talk::new();
        let first = logged_in(&talk);
        let mut second = talk.session();
        say(&mut second, "USER alice");
        assert_eq!(
            say(&mut second, "PASS wonderland"),
            "-ERR [IN-USE] Mailbox is locked by another POP3 session.\r\n"
        );
        drop(first);
        // A refused PASS needs a new USER before the next one (RFC 1939 §7).
        assert_eq!(say(&mut second, "PASS wonderland"), "-ERR No username given.\r\n");
        say(&mut second, "USER alice");
        assert_eq!(say(&mut second, "PASS wonderland"), "+OK Logged in.\r\n");
    }

    #[test]
    fn apop_and_every_sasl_mechanism_log_in() {
        let talk = Talk::new();
        let mut session = talk.session();
        let digest = hex(&Md5::digest(b"<1.2@teaching.test>wonderland"));
        assert_eq!(
            say(&mut session, &format!("APOP alice {digest}")),
            "+OK Logged in.\r\n"
        );
        drop(session);

        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        let mut session = talk.session();
        assert_eq!(
            say(
                &mut session,
                &format!("AUTH PLAIN {}", b64("\0alice\0wonderland"))
            ),
            "+OK Logged in.\r\n"
        );
        drop(session);

        let mut session = talk.session();
        assert_eq!(say(&mut session, "AUTH LOGIN"), "+ VXNlcm5hbWU6\r\n");
        assert_eq!(say(&mut session, &b64("alice")), "+ UGFzc3dvcmQ6\r\n");
        assert_eq!(say(&mut session, &b64("wonderland")), "+OK Logged in.\r\n");
        drop(session);

        let mut session = talk.session();
        let challenge = say(&mut session, "AUTH CRAM-MD5");
        let challenge = base64::engine::general_purpose::STANDARD
            .decode(challenge.trim_start_matches("+ ").trim_end())
            .unwrap();
        let mut mac = hmac::Hmac::<Md5>::new_from_slice(b"wonderland").unwrap();
        mac.update(&challenge);
        let answer = format!("alice {}", hex(&mac.finalize().into_bytes()));
        assert_eq!(say(&mut session, &b64(&answer)), "+OK Logged in.\r\n");
    }

    #[test]
    fn arguments_are_checked_and_sasl_takes_initial_responses() {
        let talk = Talk::new();
        let mut session = talk.session();
        assert_eq!(
            say(&mut session, "QUIT now"),
            "-ERR Wrong number of arguments for QUIT.\r\n"
        );
        let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        assert_eq!(
            say(&mut session, &format!("AUTH LOGIN {}", b64("alice"))),
            "+ UGFzc3dvcmQ6\r\n"
        );
        assert_eq!(say(&mut session, &b64("wonderland")), "+OK Logged in.\r\n");
        assert_eq!(
            say(&mut session, "STAT 1"),
            "-ERR Wrong number of arguments for STAT.\r\n"
        );
        assert_eq!(
            say(&mut session, "LIST 1 2"),
            "-ERR Wrong number of arguments for LIST.\r\n"
        );
        drop(session);
        let mut session = talk.session();
        // Acting for bob with alice's password is refused (RFC 4616 §2).
        let as_bob = format!("AUTH PLAIN {}", b64("bob\0alice\0wonderland"));
        assert_eq!(
            say(&mut session, &as_bob),
            "-ERR [AUTH] Authentication failed.\r\n"
        );
        assert_eq!(
            say(&mut session, "AUTH PLAIN ="),
            "-ERR [AUTH] Malformed PLAIN response.\r\n"
        );
        assert_eq!(
            say(&mut session, "AUTH CRAM-MD5 ="),
            "-ERR [AUTH] CRAM-MD5 takes no initial response.\r\n"
        );
    }

    #[test]
    fn stls_is_offered_before_login_and_switches() {
        let talk = Talk::new();
        let mut session = talk.session();
        assert!(say(&mut session, "CAPA").contains("\r\nSTLS\r\n"));
        let response = session.line(b"STLS");
        assert_eq!(response.then, Then::StartTls);
        assert!(!say(&mut session, "CAPA").contains("STLS"));
        assert_eq!(say(&mut session, "STLS"), "-ERR STLS is not available.\r\n");
    }

    proptest::proptest! {
        /// Any lines, in any state: a response each, never a panic; and without QUIT, no
        /// message is ever deleted.
        #[test]
        fn any_input_gets_answers_and_loses_no_mail(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::collection::vec(proptest::num::u8::ANY, 0..80),
                    proptest::sample::select(vec![
                        b"USER alice".to_vec(), b"PASS wonderland".to_vec(), b"AUTH LOGIN".to_vec(),
                        b"AUTH PLAIN".to_vec(), b"*".to_vec(), b"DELE 1".to_vec(), b"DELE 9".to_vec(),
                        b"RETR 3".to_vec(), b"TOP 3 1".to_vec(), b"LIST".to_vec(), b"UIDL 2".to_vec(),
                        b"RSET".to_vec(), b"STLS".to_vec(), b"CAPA".to_vec(), b"APOP alice 00".to_vec(),
                    ]),
                ],
                0..40,
            )
        ) {
            let talk = Talk::new();
            let mut session = talk.session();
            for line in &lines {
                let response = session.line(line);
                proptest::prop_assert!(response.bytes.starts_with(b"+") || response.bytes.starts_with(b"-ERR"));
                if response.then == Then::Close {
                    break;
                }
            }
            session.disconnected();
            proptest::prop_assert_eq!(talk.store.list("alice").unwrap().len(), 4);
        }
    }

    #[test]
    fn the_other_quirks_refuse_logins_or_bend_the_line_format() {
        let refusing = |quirks: Quirks| {
            let talk = Talk::with(quirks);
            let mut session = talk.session();
            say(&mut session, "USER alice");
            say(&mut session, "PASS wonderland")
        };
        let login_delay = Quirks {
            login_delay: true,
            ..Quirks::default()
        };
        assert_eq!(
            refusing(login_delay),
            "-ERR [LOGIN-DELAY] Only one login every 300 seconds.\r\n"
        );
        let sys_temp = Quirks {
            sys_temp: true,
            ..Quirks::default()
        };
        assert_eq!(
            refusing(sys_temp),
            "-ERR [SYS/TEMP] Temporary failure; try again later.\r\n"
        );
        let talk = Talk::with(Quirks {
            bare_lf: true,
            no_apop_timestamp: true,
            ..Quirks::default()
        });
        let mut session = talk.session();
        assert_eq!(session.greeting(), b"+OK POP3 server ready\n");
        assert_eq!(
            say(&mut session, "APOP alice 00"),
            "-ERR APOP is not available: the greeting had no timestamp\n"
        );
    }

    #[test]
    fn quirks_show_what_real_servers_do() {
        let talk = Talk::with(Quirks {
            no_dot_stuffing: true,
            drop_after_bad_commands: true,
            auth_failure_delay: true,
            ..Quirks::default()
        });
        let mut session = logged_in(&talk);
        assert!(say(&mut session, "RETR 3").contains("\r\n.\r\n..two dots\r\n"));
        drop(session);
        let mut session = talk.session();
        say(&mut session, "USER alice");
        assert_eq!(session.line(b"PASS nope").delay, Some(Duration::from_secs(2)));
        say(&mut session, "FOO");
        say(&mut session, "BAR");
        let last = session.line(b"BAZ");
        assert_eq!(last.then, Then::Close);
        assert!(String::from_utf8_lossy(&last.bytes).ends_with("-ERR Too many bad commands, goodbye.\r\n"));
    }
}
