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

use super::command::Verb;

/// The phase after the server's final reply to a command, given the phase the command was
/// processed in. `ok` is `Some(true)` for `+OK`, `Some(false)` for `-ERR`, `None` when no reply
/// was seen. In `Unknown`, a reply that only one phase allows tells the phase: the result is
/// then marked inferred by the caller.
pub fn after_reply(phase: Phase, verb: Verb, ok: Option<bool>) -> Phase {
    use Phase::{Authorization, Tls, Transaction, Update};
    use Verb::*;
    match (phase, verb, ok) {
        (Authorization | Phase::Unknown, Pass | Apop | Auth | Rpop, Some(true)) => Transaction,
        (Authorization | Phase::Unknown, Stls, Some(true)) => Tls,
        // QUIT in TRANSACTION enters UPDATE whatever the reply (RFC 1939 §6).
        (Transaction, Quit, Some(_)) => Update,
        (Phase::Unknown, Stat | List | Retr | Dele | Noop | Rset | Top | Uidl | Last, Some(true)) => {
            Transaction
        }
        (Phase::Unknown, User, Some(true)) => Authorization,
        (phase, _, _) => phase,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_successful_login_enters_transaction() {
        for verb in [Verb::Pass, Verb::Apop, Verb::Auth] {
            assert_eq!(
                after_reply(Phase::Authorization, verb, Some(true)),
                Phase::Transaction
            );
            assert_eq!(
                after_reply(Phase::Authorization, verb, Some(false)),
                Phase::Authorization
            );
        }
    }

    #[test]
    fn quit_enters_update_only_from_transaction() {
        assert_eq!(
            after_reply(Phase::Transaction, Verb::Quit, Some(true)),
            Phase::Update
        );
        assert_eq!(
            after_reply(Phase::Transaction, Verb::Quit, Some(false)),
            Phase::Update
        );
        assert_eq!(
            after_reply(Phase::Authorization, Verb::Quit, Some(true)),
            Phase::Authorization
        );
    }

    #[test]
    fn stls_accepted_means_tls_and_refused_means_plain_text() {
        assert_eq!(
            after_reply(Phase::Authorization, Verb::Stls, Some(true)),
            Phase::Tls
        );
        assert_eq!(
            after_reply(Phase::Authorization, Verb::Stls, Some(false)),
            Phase::Authorization
        );
    }

    #[test]
    fn a_reply_only_transaction_allows_reveals_the_phase_of_a_mid_session_capture() {
        assert_eq!(
            after_reply(Phase::Unknown, Verb::Retr, Some(true)),
            Phase::Transaction
        );
        assert_eq!(
            after_reply(Phase::Unknown, Verb::Retr, Some(false)),
            Phase::Unknown
        );
        assert_eq!(
            after_reply(Phase::Unknown, Verb::User, Some(true)),
            Phase::Authorization
        );
    }
}
