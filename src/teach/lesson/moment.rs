//! A moment of a capture named by meaning, so that re-recording the capture does not break the
//! lesson:
//!
//! ```text
//! greeting                       the server's first line
//! command RETR 1                 the command line `RETR 1` (exactly those arguments)
//! command PASS *                 PASS with any arguments
//! reply to LIST                  the reply to `LIST` without arguments
//! reply to DELE 1 #2             the second reply to `DELE 1`
//! first command in TRANSACTION   also: first reply in AUTHORIZATION, …
//! note gap_in_reply              a note (its code as in the JSON output)
//! tls                            where TLS begins
//! end                            the end of the session
//! … in session 2                 any of these in session 2 (default: session 1)
//! ```
//!
//! Words are case-insensitive; command keywords are matched case-insensitively, arguments
//! exactly. A moment must name exactly one row: when several match, `#N` picks one.

use crate::pop3::Phase;
use crate::teach::Error;
use crate::view::timeline::{LineKind, SessionView, Timeline};

/// Where a step is: a row of a session's conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    /// Index into the timeline's sessions.
    pub session: usize,
    /// Index into that session's lines.
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct CommandPattern {
    keyword: String,
    /// `None`: any arguments (`*`).
    args: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Greeting,
    End,
    Tls,
    Note(String),
    Command(CommandPattern),
    Reply(CommandPattern),
    FirstCommandIn(Phase),
    FirstReplyIn(Phase),
}

/// A parsed moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    target: Target,
    /// 1-based.
    nth: Option<usize>,
    /// 1-based, across the lesson's captures.
    session: usize,
}

fn phase(word: &str) -> Result<Phase, Error> {
    match word.to_ascii_uppercase().as_str() {
        "AUTHORIZATION" => Ok(Phase::Authorization),
        "TRANSACTION" => Ok(Phase::Transaction),
        "UPDATE" => Ok(Phase::Update),
        "TLS" => Ok(Phase::Tls),
        other => Err(Error::Moment(format!(
            "\"{other}\" is not a phase (AUTHORIZATION, TRANSACTION, UPDATE, TLS)"
        ))),
    }
}

fn command(words: &[&str]) -> Result<CommandPattern, Error> {
    let Some((keyword, args)) = words.split_first() else {
        return Err(Error::Moment(
            "a command is missing after \"command\" or \"reply to\"".to_string(),
        ));
    };
    let args = match args {
        ["*"] => None,
        args => Some(args.iter().map(|a| (*a).to_string()).collect()),
    };
    Ok(CommandPattern {
        keyword: keyword.to_ascii_uppercase(),
        args,
    })
}

impl Selector {
    pub fn parse(text: &str) -> Result<Selector, Error> {
        let mut words: Vec<&str> = text.split_whitespace().collect();
        if words.first().is_some_and(|w| w.eq_ignore_ascii_case("the")) {
            words.remove(0);
        }
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let mut session = 1;
        if let Some(at) = lower.windows(2).rposition(|w| w[0] == "in" && w[1] == "session") {
            let number = words
                .get(at + 2)
                .ok_or_else(|| Error::Moment("a number is missing after \"in session\"".to_string()))?;
            session =
                number.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                    Error::Moment(format!("\"{number}\" is not a session number (1, 2, …)"))
                })?;
            if words.len() > at + 3 {
                return Err(Error::Moment(format!(
                    "unexpected \"{}\" after the session number",
                    words[at + 3..].join(" ")
                )));
            }
            words.truncate(at);
        }
        let mut nth = None;
        if let Some(last) = words.last()
            && let Some(number) = last.strip_prefix('#')
        {
            nth = Some(
                number
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| Error::Moment(format!("\"{last}\" is not a count (#1, #2, …)")))?,
            );
            words.pop();
        }
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        let target = match lower.as_slice() {
            ["greeting"] => Target::Greeting,
            ["end"] => Target::End,
            ["tls"] => Target::Tls,
            ["note", code] => Target::Note((*code).to_string()),
            ["command", ..] => Target::Command(command(&words[1..])?),
            ["reply", "to", ..] => Target::Reply(command(&words[2..])?),
            ["first", "command", "in", p] => Target::FirstCommandIn(phase(p)?),
            ["first", "reply", "in", p] => Target::FirstReplyIn(phase(p)?),
            _ => {
                return Err(Error::Moment(format!(
                    "\"{text}\" names no moment: write greeting, command VERB [ARGS], reply to VERB [ARGS], \
                     first command in PHASE, first reply in PHASE, note CODE, tls or end, optionally \
                     followed by #N and \"in session N\""
                )));
            }
        };
        Ok(Selector { target, nth, session })
    }

    /// Whether the moment is a reply (a predict question needs one).
    pub fn is_reply(&self) -> bool {
        matches!(self.target, Target::Reply(_) | Target::FirstReplyIn(_))
    }

    /// The one row the moment names, or what went wrong.
    pub fn resolve(&self, timeline: &Timeline) -> Result<Moment, Error> {
        let sessions = timeline.sessions.len();
        let session = timeline.sessions.get(self.session - 1).ok_or_else(|| {
            Error::Moment(format!(
                "session {} does not exist: the captures hold {sessions} session{}",
                self.session,
                if sessions == 1 { "" } else { "s" }
            ))
        })?;
        let matches: Vec<usize> = (0..session.lines.len())
            .filter(|&line| self.matches(session, line))
            .collect();
        let first_only = matches!(self.target, Target::FirstCommandIn(_) | Target::FirstReplyIn(_));
        let chosen = match (self.nth, matches.len(), first_only) {
            (_, 0, _) => None,
            (None, _, true) | (None, 1, _) => matches.first().copied(),
            (None, n, false) => {
                return Err(Error::Moment(format!(
                    "matches {n} rows of session {}: add #1 … #{n} to choose one",
                    self.session
                )));
            }
            (Some(k), n, _) if k > n => {
                return Err(Error::Moment(format!(
                    "#{k} asked, but only {n} row{} of session {} match{}",
                    if n == 1 { "" } else { "s" },
                    self.session,
                    if n == 1 { "es" } else { "" }
                )));
            }
            (Some(k), _, _) => matches.get(k - 1).copied(),
        };
        let line = chosen.ok_or_else(|| {
            Error::Moment(format!(
                "matches no row of session {}{}",
                self.session,
                self.hint(session)
            ))
        })?;
        Ok(Moment {
            session: self.session - 1,
            line,
        })
    }

    /// For a command not found: the commands the session does have.
    fn hint(&self, session: &SessionView) -> String {
        if !matches!(self.target, Target::Command(_) | Target::Reply(_)) {
            return String::new();
        }
        let mut seen: Vec<String> = Vec::new();
        for exchange in &session.exchanges {
            if let Some(command) = &exchange.command {
                let mut text = String::from_utf8_lossy(&command.keyword).to_ascii_uppercase();
                for arg in &command.args {
                    text.push(' ');
                    text.push_str(&String::from_utf8_lossy(arg));
                }
                if command.verb == crate::pop3::Verb::Pass {
                    text = "PASS *".to_string();
                }
                if !seen.contains(&text) {
                    seen.push(text);
                }
            }
        }
        format!(" (its commands: {})", seen.join(", "))
    }

    fn matches(&self, session: &SessionView, line: usize) -> bool {
        let kind = session.lines[line].kind;
        let exchange = |n: usize| &session.exchanges[n];
        let command_is = |n: usize, pattern: &CommandPattern| {
            exchange(n).command.as_ref().is_some_and(|command| {
                command.keyword.eq_ignore_ascii_case(pattern.keyword.as_bytes())
                    && pattern.args.as_ref().is_none_or(|args| {
                        args.len() == command.args.len()
                            && args
                                .iter()
                                .zip(&command.args)
                                .all(|(a, b)| a.as_bytes() == b.as_slice())
                    })
            })
        };
        match (&self.target, kind) {
            (Target::Greeting, LineKind::Greeting)
            | (Target::End, LineKind::Ended)
            | (Target::Tls, LineKind::TlsStarted) => true,
            (Target::Note(code), LineKind::Note(n)) => session.notes[n].0.code.name() == *code,
            (Target::Note(code), LineKind::Reply(n)) => {
                exchange(n).notes.iter().any(|note| note.code.name() == *code)
            }
            (Target::Note(code), LineKind::Command(n)) if exchange(n).reply.is_none() => {
                exchange(n).notes.iter().any(|note| note.code.name() == *code)
            }
            (Target::Command(pattern), LineKind::Command(n)) => command_is(n, pattern),
            (Target::Reply(pattern), LineKind::Reply(n)) => command_is(n, pattern),
            (Target::FirstCommandIn(phase), LineKind::Command(n)) => exchange(n).phase == *phase,
            (Target::FirstReplyIn(phase), LineKind::Reply(n)) => exchange(n).phase == *phase,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::CaptureReader;
    use crate::pipeline::Config;

    fn timeline(capture: &str) -> Timeline {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("captures")
            .join(capture);
        let reader = CaptureReader::new(std::fs::File::open(path).unwrap()).unwrap();
        crate::view::timeline::load(reader, &Config::default()).0
    }

    fn row(timeline: &Timeline, moment: &str) -> Result<String, String> {
        let at = Selector::parse(moment)
            .and_then(|selector| selector.resolve(timeline))
            .map_err(|e| e.to_string())?;
        let session = &timeline.sessions[at.session];
        Ok(crate::view::explain::line_text(session, at.line, false))
    }

    #[test]
    fn moments_name_rows_by_meaning() {
        let t = timeline("01-full-session.pcap");
        assert!(row(&t, "greeting").unwrap().starts_with("+OK Dovecot"));
        assert_eq!(row(&t, "command RETR 1").unwrap(), "RETR 1");
        assert_eq!(row(&t, "the reply to STAT in session 1").unwrap(), "+OK 4 1704");
        assert_eq!(row(&t, "command pass *").unwrap(), "PASS ********");
        assert_eq!(row(&t, "first command in TRANSACTION").unwrap(), "CAPA");
        assert_eq!(row(&t, "reply to CAPA #2").unwrap(), "+OK  [+6 lines]");
        assert!(row(&t, "end").unwrap().contains("QUIT"));
    }

    #[test]
    fn a_moment_must_name_exactly_one_row() {
        let t = timeline("01-full-session.pcap");
        assert_eq!(
            row(&t, "command CAPA").unwrap_err(),
            "matches 2 rows of session 1: add #1 … #2 to choose one"
        );
        let missing = row(&t, "reply to RETR 9").unwrap_err();
        assert!(
            missing.starts_with("matches no row of session 1 (its commands: CAPA, USER alice, PASS *"),
            "{missing}"
        );
        assert_eq!(
            row(&t, "greeting in session 2").unwrap_err(),
            "session 2 does not exist: the captures hold 1 session"
        );
        assert_eq!(
            row(&t, "command CAPA #3").unwrap_err(),
            "#3 asked, but only 2 rows of session 1 match"
        );
    }

    #[test]
    fn a_moment_that_is_not_one_says_what_is_allowed() {
        let error = Selector::parse("the reply").unwrap_err().to_string();
        assert!(error.contains("names no moment"), "{error}");
        assert!(
            Selector::parse("first command in LIMBO")
                .unwrap_err()
                .to_string()
                .contains("is not a phase")
        );
    }
}
