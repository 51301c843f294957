//! The session phases of RFC 1939 §3 and the pure transition table between them.

/// Where a POP3 session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Phase {
    /// After the greeting: the client must identify itself (RFC 1939 §4).
    Authorization,
    /// Logged in: the client works on the mailbox (RFC 1939 §5).
    Transaction,
    /// After QUIT in TRANSACTION: the server commits deletions and closes (RFC 1939 §6).
    Update,
    /// After STLS, or on port 995: encrypted, nothing more can be read (RFC 2595 §4, RFC 8314).
    Tls,
    /// The capture started mid-session and nothing yet tells the phase.
    Unknown,
}

impl Phase {
    /// The name RFC 1939 gives the state, in capitals, as JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Authorization => "AUTHORIZATION",
            Phase::Transaction => "TRANSACTION",
            Phase::Update => "UPDATE",
            Phase::Tls => "TLS",
            Phase::Unknown => "UNKNOWN",
        }
    }
}

use super::command::{Command, Verb};

/// A rule of the phase table that a command broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// The command is not allowed in the phase it was sent in (RFC 1939 §4–6): a server
    /// answers `-ERR`.
    WrongPhase,
}

/// Whether a server accepts `verb` in `phase` (RFC 1939 §4–7, RFC 2449, RFC 2595, RFC 5034,
/// RFC 6856). Unknown commands are allowed nowhere; in UPDATE, TLS and UNKNOWN nothing can be
/// said, so nothing is.
pub fn allows(phase: Phase, verb: Verb) -> bool {
    use Verb::*;
    match verb {
        User | Pass | Apop | Auth | Stls | Utf8 | Rpop => phase == Phase::Authorization,
        Capa | Quit | Lang => matches!(phase, Phase::Authorization | Phase::Transaction),
        Stat | List | Retr | Dele | Noop | Rset | Top | Uidl | Last => phase == Phase::Transaction,
        Unknown => false,
    }
}

/// The phase a reply is sent in: the command's phase, except QUIT in TRANSACTION, whose reply
/// comes from UPDATE — the server enters UPDATE, removes the marked messages, then replies
/// (RFC 1939 §6).
pub fn of_reply(phase: Phase, verb: Verb) -> Phase {
    match (phase, verb) {
        (Phase::Transaction, Verb::Quit) => Phase::Update,
        (phase, _) => phase,
    }
}

/// The whole phase machine: the phase after the server's final reply to `command` sent in
/// `phase`, and the rule the command broke, if any. `ok` is `Some(true)` for `+OK`,
/// `Some(false)` for `-ERR`, `None` when no reply was seen. In `Unknown`, a reply that only one
/// phase allows tells the phase: the caller marks the result inferred. Pure: one `match` on
/// the tuple, no state.
pub fn transition(phase: Phase, command: &Command, ok: Option<bool>) -> (Phase, Option<Violation>) {
    use Phase::{Authorization, Tls, Transaction, Update};
    use Verb::*;
    let verb = command.verb;
    let known = !matches!(phase, Phase::Unknown | Tls);
    let violation = (known && verb != Unknown && !allows(phase, verb)).then_some(Violation::WrongPhase);
    // AUTH without a mechanism only lists the mechanisms (the pre-RFC 5034 form servers still
    // answer): a `+OK` to it logs nobody in.
    let logs_in = verb != Auth || command.starts_sasl();
    let next = match (phase, verb, ok) {
        (Authorization | Phase::Unknown, Pass | Apop | Auth | Rpop, Some(true)) if logs_in => Transaction,
        (Authorization | Phase::Unknown, Stls, Some(true)) => Tls,
        // QUIT in TRANSACTION enters UPDATE whatever the reply (RFC 1939 §6).
        (Transaction, Quit, Some(_)) => Update,
        (Phase::Unknown, Stat | List | Retr | Dele | Noop | Rset | Top | Uidl | Last, Some(true)) => {
            Transaction
        }
        (Phase::Unknown, User, Some(true)) => Authorization,
        (phase, _, _) => phase,
    };
    (next, violation)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command with `verb`'s keyword and the arguments a login gives it.
    fn command(verb: Verb) -> Command {
        let line = match verb {
            Verb::Auth => "AUTH PLAIN".to_string(),
            Verb::Apop => "APOP alice c4c9334bac560ecc979e58001b3e22fb".to_string(),
            Verb::Pass => "PASS secret".to_string(),
            Verb::Retr | Verb::Dele | Verb::Top => format!("{} 1", verb.name()),
            _ => verb.name().to_string(),
        };
        Command::parse(line.as_bytes())
    }

    fn transition(phase: Phase, verb: Verb, ok: Option<bool>) -> (Phase, Option<Violation>) {
        super::transition(phase, &command(verb), ok)
    }

    /// The phase after the reply, for the tests about where a command leads.
    fn after(phase: Phase, verb: Verb, ok: Option<bool>) -> Phase {
        transition(phase, verb, ok).0
    }

    #[test]
    fn a_successful_login_enters_transaction() {
        for verb in [Verb::Pass, Verb::Apop, Verb::Auth] {
            assert_eq!(after(Phase::Authorization, verb, Some(true)), Phase::Transaction);
            assert_eq!(
                after(Phase::Authorization, verb, Some(false)),
                Phase::Authorization
            );
        }
    }

    #[test]
    fn a_bare_auth_lists_mechanisms_and_logs_nobody_in() {
        // RFC 5034 §4 and the older listing form: `AUTH` alone answered `+OK` and a list.
        let bare = Command::parse(b"AUTH");
        assert_eq!(
            super::transition(Phase::Authorization, &bare, Some(true)),
            (Phase::Authorization, None)
        );
        assert_eq!(
            super::transition(Phase::Unknown, &bare, Some(true)).0,
            Phase::Unknown
        );
    }

    #[test]
    fn quit_enters_update_only_from_transaction() {
        assert_eq!(after(Phase::Transaction, Verb::Quit, Some(true)), Phase::Update);
        assert_eq!(after(Phase::Transaction, Verb::Quit, Some(false)), Phase::Update);
        assert_eq!(
            after(Phase::Authorization, Verb::Quit, Some(true)),
            Phase::Authorization
        );
    }

    #[test]
    fn stls_accepted_means_tls_and_refused_means_plain_text() {
        assert_eq!(after(Phase::Authorization, Verb::Stls, Some(true)), Phase::Tls);
        assert_eq!(
            after(Phase::Authorization, Verb::Stls, Some(false)),
            Phase::Authorization
        );
    }

    #[test]
    fn a_reply_only_transaction_allows_reveals_the_phase_of_a_mid_session_capture() {
        assert_eq!(after(Phase::Unknown, Verb::Retr, Some(true)), Phase::Transaction);
        assert_eq!(after(Phase::Unknown, Verb::Retr, Some(false)), Phase::Unknown);
        assert_eq!(
            after(Phase::Unknown, Verb::User, Some(true)),
            Phase::Authorization
        );
    }

    #[test]
    fn a_command_outside_its_phase_is_a_violation_and_changes_nothing() {
        assert_eq!(
            transition(Phase::Authorization, Verb::Stat, Some(false)),
            (Phase::Authorization, Some(Violation::WrongPhase))
        );
        assert_eq!(
            transition(Phase::Transaction, Verb::User, Some(false)),
            (Phase::Transaction, Some(Violation::WrongPhase))
        );
        // Mid-session nothing can be said about the phase, so nothing is a violation.
        assert_eq!(
            transition(Phase::Unknown, Verb::User, Some(false)),
            (Phase::Unknown, None)
        );
        assert_eq!(
            transition(Phase::Transaction, Verb::Unknown, Some(false)),
            (Phase::Transaction, None)
        );
    }

    #[test]
    fn the_reply_to_quit_in_transaction_comes_from_update() {
        assert_eq!(of_reply(Phase::Transaction, Verb::Quit), Phase::Update);
        assert_eq!(of_reply(Phase::Authorization, Verb::Quit), Phase::Authorization);
        assert_eq!(of_reply(Phase::Transaction, Verb::Retr), Phase::Transaction);
    }
}
