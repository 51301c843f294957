//! The teaching POP3 server (`pop3scope serve`): RFC 1939 with CAPA, PIPELINING, RESP-CODES,
//! STLS, SASL PLAIN/LOGIN/CRAM-MD5, APOP, UIDL and TOP, so a class has a server to watch
//! without a mail system.
//!
//! Contract:
//! - [`session::ServerSession`] is the protocol: a line in, a response out, no socket, no clock.
//!   DELE marks, RSET unmarks, only QUIT in TRANSACTION deletes (UPDATE); a connection that
//!   ends otherwise deletes nothing. One session per mailbox ([`store::Locks`]): the next gets
//!   `-ERR [IN-USE]`.
//! - [`net`] serves it on TCP: a thread per client, bounded line lengths, idle timeouts, TLS
//!   after STLS with a self-signed certificate made at start; loopback unless told otherwise.
//! - Quirks ([`Quirks`]) make it behave like the real servers a class should recognise.

pub mod net;
pub mod session;
pub mod store;

/// Ways real servers behave that a class should see; all off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Wait 2 s before answering a failed login, as Dovecot does against guessing.
    pub auth_failure_delay: bool,
    /// Refuse logins with `-ERR [LOGIN-DELAY]`, and say `LOGIN-DELAY 300` in CAPA.
    pub login_delay: bool,
    /// Refuse logins with `-ERR [SYS/TEMP]`.
    pub sys_temp: bool,
    /// Drop the client after three bad commands.
    pub drop_after_bad_commands: bool,
    /// Send lines starting with a dot as they are (breaks RFC 1939 §3).
    pub no_dot_stuffing: bool,
    /// End lines with LF alone (breaks RFC 1939 §3).
    pub bare_lf: bool,
    /// A greeting without the `<…>` timestamp: no APOP.
    pub no_apop_timestamp: bool,
}

impl Quirks {
    /// (name on the command line, what it does)
    pub const NAMES: &'static [(&'static str, &'static str)] = &[
        ("auth-delay", "wait 2 s before answering a failed login"),
        (
            "login-delay",
            "refuse logins with -ERR [LOGIN-DELAY]; LOGIN-DELAY 300 in CAPA",
        ),
        ("sys-temp", "refuse logins with -ERR [SYS/TEMP]"),
        ("drop-bad", "drop a client after three bad commands"),
        ("no-dot-stuffing", "send lines that start with a dot unstuffed"),
        ("bare-lf", "end lines with LF alone"),
        ("no-timestamp", "no <timestamp> in the greeting, so no APOP"),
    ];

    /// Turns on the quirk named `name` (see [`Quirks::NAMES`]).
    pub fn enable(&mut self, name: &str) -> Result<(), crate::teach::Error> {
        let flag = match name {
            "auth-delay" => &mut self.auth_failure_delay,
            "login-delay" => &mut self.login_delay,
            "sys-temp" => &mut self.sys_temp,
            "drop-bad" => &mut self.drop_after_bad_commands,
            "no-dot-stuffing" => &mut self.no_dot_stuffing,
            "bare-lf" => &mut self.bare_lf,
            "no-timestamp" => &mut self.no_apop_timestamp,
            _ => {
                let names: Vec<&str> = Quirks::NAMES.iter().map(|(n, _)| *n).collect();
                return Err(crate::teach::Error::NoSuchQuirk {
                    name: name.to_string(),
                    known: names.join(", "),
                });
            }
        };
        *flag = true;
        Ok(())
    }
}

/// What every session of a server shares.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub quirks: Quirks,
    /// STLS is offered (a certificate is ready).
    pub tls_available: bool,
    /// The host name in the greeting's timestamp.
    pub hostname: String,
}
