//! The display filter: one language for the interactive view's `f` and `--filter` on the
//! streaming output.
//!
//! ```text
//! retr -err                        words: every one must match (a command, a phase, +ok,
//!                                  -err, notes, a note's code, or text in the line)
//! command == RETR and status == -ERR
//! user == alice or not phase == TRANSACTION
//! (client ~ 10.0.0.) and note == size_mismatch
//! ```
//!
//! Fields: `session`, `user`, `client`, `server`, `address` (either end), `command`, `status`,
//! `phase`, `note`, `text`; operators `==`, `!=` and `~` (contains); `and` (or nothing between),
//! `or`, `not`, parentheses. Words and values are matched without regard to case. Pure: a
//! [`Subject`] in, a yes or no out.

use std::net::SocketAddr;

use crate::pop3::{Exchange, Phase, Status};
use crate::view::timeline::{LineKind, SessionView};

/// Words, operators and parentheses a filter may have.
const MAX_TOKENS: usize = 1_000;

/// What a filter looks at: a row of the conversation, or an exchange of the output.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    /// The session's number.
    pub session: u64,
    /// The session's endpoints.
    pub client: SocketAddr,
    /// The server's address and port.
    pub server: SocketAddr,
    /// The user the session named (USER, APOP, AUTH), if any so far.
    pub user: Option<&'a [u8]>,
    /// The exchange the row belongs to.
    pub exchange: Option<&'a Exchange>,
    /// The phase the row is in.
    pub phase: Phase,
    /// The row's text as shown (escaped).
    pub text: String,
    /// Note codes on the row (an exchange's, or a note row's own).
    pub notes: Vec<&'static str>,
}

/// A parsed filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    expr: Expr,
    /// As typed, for the prompt and the title.
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Word(String),
    Compare(Field, Op, String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Session,
    User,
    Client,
    Server,
    Address,
    Command,
    Status,
    Phase,
    Note,
    Text,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Is,
    IsNot,
    Contains,
}

impl Filter {
    /// Parses a filter; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let tokens = tokenize(text);
        if tokens.is_empty() {
            return Err("an empty filter".to_string());
        }
        // Nesting costs stack: a filter longer than any person types is refused.
        if tokens.len() > MAX_TOKENS {
            return Err(format!("more than {MAX_TOKENS} words and signs"));
        }
        let mut at = 0;
        let expr = parse_or(&tokens, &mut at)?;
        if at < tokens.len() {
            return Err(format!("unexpected \"{}\"", tokens[at]));
        }
        Ok(Filter {
            expr,
            text: text.trim().to_string(),
        })
    }

    /// Whether `subject` passes.
    pub fn matches(&self, subject: &Subject<'_>) -> bool {
        eval(&self.expr, subject)
    }
}

/// What a filter sees of one row of a session's conversation.
pub fn subject_of(session: &SessionView, line: usize) -> Subject<'_> {
    let exchange = session.exchange_of(line);
    let mut notes: Vec<&'static str> =
        exchange.map_or_else(Vec::new, |e| e.notes.iter().map(|n| n.code.name()).collect());
    if let Some(LineKind::Note(n)) = session.lines.get(line).map(|l| l.kind) {
        notes.push(session.notes[n].0.code.name());
    }
    Subject {
        session: session.info.id,
        client: session.info.client,
        server: session.info.server,
        user: session.credentials.iter().find_map(|c| c.user.as_deref()),
        exchange,
        phase: session.phase_at(line).0,
        text: crate::view::explain::line_text(session, line, false),
        notes,
    }
}

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    let flush = |word: &mut String, tokens: &mut Vec<String>| {
        if !word.is_empty() {
            tokens.push(std::mem::take(word));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => flush(&mut word, &mut tokens),
            '(' | ')' | '~' => {
                flush(&mut word, &mut tokens);
                tokens.push(c.to_string());
            }
            '=' | '!' if chars.peek() == Some(&'=') => {
                flush(&mut word, &mut tokens);
                chars.next();
                tokens.push(format!("{c}="));
            }
            c => word.push(c),
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

fn parse_or(tokens: &[String], at: &mut usize) -> Result<Expr, String> {
    let mut left = parse_and(tokens, at)?;
    while tokens.get(*at).is_some_and(|t| t.eq_ignore_ascii_case("or")) {
        *at += 1;
        let right = parse_and(tokens, at)?;
        left = Expr::Or(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn parse_and(tokens: &[String], at: &mut usize) -> Result<Expr, String> {
    let mut left = parse_not(tokens, at)?;
    loop {
        match tokens.get(*at) {
            Some(t) if t.eq_ignore_ascii_case("and") => *at += 1,
            // Words side by side must all match, as in the interactive view.
            Some(t) if t != ")" && !t.eq_ignore_ascii_case("or") => {}
            _ => return Ok(left),
        }
        let right = parse_not(tokens, at)?;
        left = Expr::And(Box::new(left), Box::new(right));
    }
}

fn parse_not(tokens: &[String], at: &mut usize) -> Result<Expr, String> {
    match tokens.get(*at) {
        Some(t) if t.eq_ignore_ascii_case("not") => {
            *at += 1;
            Ok(Expr::Not(Box::new(parse_not(tokens, at)?)))
        }
        Some(t) if t == "(" => {
            *at += 1;
            let inner = parse_or(tokens, at)?;
            if tokens.get(*at).map(String::as_str) != Some(")") {
                return Err("a \"(\" without its \")\"".to_string());
            }
            *at += 1;
            Ok(inner)
        }
        Some(t) if t == ")" => Err("a \")\" without its \"(\"".to_string()),
        Some(t) => {
            *at += 1;
            let op = match tokens.get(*at).map(String::as_str) {
                Some("==") => Some(Op::Is),
                Some("!=") => Some(Op::IsNot),
                Some("~") => Some(Op::Contains),
                _ => None,
            };
            let Some(op) = op else {
                return Ok(Expr::Word(t.to_lowercase()));
            };
            let field = field(t).ok_or_else(|| {
                format!(
                    "no field \"{t}\": session, user, client, server, address, command, status, phase, note, text"
                )
            })?;
            *at += 1;
            let value = tokens
                .get(*at)
                .filter(|v| !matches!(v.as_str(), "(" | ")"))
                .ok_or_else(|| format!("\"{t}\" and its operator want a value"))?;
            *at += 1;
            Ok(Expr::Compare(field, op, value.to_lowercase()))
        }
        None => Err("the filter ends where a word or a comparison belongs".to_string()),
    }
}

fn field(name: &str) -> Option<Field> {
    Some(match name.to_ascii_lowercase().as_str() {
        "session" => Field::Session,
        "user" => Field::User,
        "client" => Field::Client,
        "server" => Field::Server,
        "address" | "addr" => Field::Address,
        "command" | "cmd" => Field::Command,
        "status" => Field::Status,
        "phase" => Field::Phase,
        "note" | "notes" => Field::Note,
        "text" => Field::Text,
        _ => return None,
    })
}

fn eval(expr: &Expr, s: &Subject<'_>) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, s) && eval(b, s),
        Expr::Or(a, b) => eval(a, s) || eval(b, s),
        Expr::Not(a) => !eval(a, s),
        Expr::Word(word) => word_matches(word, s),
        Expr::Compare(field, op, value) => {
            let values = field_values(*field, s);
            match op {
                Op::Is => values.iter().any(|v| v == value),
                Op::IsNot => !values.iter().any(|v| v == value),
                Op::Contains => values.iter().any(|v| v.contains(value.as_str())),
            }
        }
    }
}

/// A field's values, in lower case (an address has two; an exchange may have several notes).
fn field_values(field: Field, s: &Subject<'_>) -> Vec<String> {
    let status = s.exchange.and_then(|e| e.reply.as_ref()).map(|r| r.status);
    match field {
        Field::Session => vec![s.session.to_string()],
        Field::User => s
            .user
            .map(|u| String::from_utf8_lossy(u).to_lowercase())
            .into_iter()
            .collect(),
        Field::Client => vec![s.client.to_string()],
        Field::Server => vec![s.server.to_string()],
        Field::Address => vec![s.client.to_string(), s.server.to_string()],
        Field::Command => s
            .exchange
            .and_then(|e| e.command.as_ref())
            .map(|c| String::from_utf8_lossy(&c.keyword).to_lowercase())
            .into_iter()
            .collect(),
        Field::Status => status.map(|st| st.as_str().to_lowercase()).into_iter().collect(),
        Field::Phase => vec![s.phase.name().to_lowercase()],
        Field::Note => s.notes.iter().map(|n| n.to_string()).collect(),
        Field::Text => vec![s.text.to_lowercase()],
    }
}

/// A bare word, as the interactive view has always read them.
fn word_matches(word: &str, s: &Subject<'_>) -> bool {
    let phase = s.phase.name().to_lowercase();
    if word.len() >= 4 && phase.starts_with(word) {
        return true;
    }
    let status = s.exchange.and_then(|e| e.reply.as_ref()).map(|r| r.status);
    match word {
        "+ok" | "ok" => return status == Some(Status::Ok),
        "-err" | "err" => return status == Some(Status::Err),
        "notes" | "note" | "!" => return !s.notes.is_empty(),
        _ => {}
    }
    if s.notes.contains(&word) {
        return true;
    }
    if s.exchange
        .and_then(|e| e.command.as_ref())
        .is_some_and(|c| c.verb.name().eq_ignore_ascii_case(word))
    {
        return true;
    }
    s.text.to_lowercase().contains(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject<'a>(exchange: &'a Exchange, phase: Phase) -> Subject<'a> {
        Subject {
            session: 3,
            client: "10.0.0.5:40000".parse().unwrap(),
            server: "192.0.2.1:110".parse().unwrap(),
            user: Some(b"Alice"),
            exchange: Some(exchange),
            phase,
            text: "RETR 1".to_string(),
            notes: vec!["size_mismatch"],
        }
    }

    fn retr_err() -> Exchange {
        use crate::pop3::{Command, Position, Reply};
        Exchange {
            index: 4,
            command: Some(Command::parse(b"RETR 1")),
            sent: Some(Position::default()),
            sent_octets: 8,
            phase: Phase::Transaction,
            phase_after: Phase::Transaction,
            inferred: false,
            reply: Some(Reply {
                status: Status::Err,
                text: b"no such message".to_vec(),
                code: None,
                body: None,
                first: Position::default(),
                last: Position::default(),
                end: 0,
            }),
            sasl: Vec::new(),
            notes: Vec::new(),
            incomplete: false,
            missing_bytes: 0,
            decrypted: false,
        }
    }

    #[test]
    fn comparisons_words_and_their_combinations() {
        let exchange = retr_err();
        let s = subject(&exchange, Phase::Transaction);
        let yes = |f: &str| Filter::parse(f).unwrap().matches(&s);
        assert!(yes("command == RETR and status == -ERR"));
        assert!(yes("command==retr status==-err"));
        assert!(!yes("command == RETR and status == +OK"));
        assert!(yes("user == alice or session == 9"));
        assert!(yes("not phase == AUTHORIZATION"));
        assert!(yes("(client ~ 10.0.0.) and note == size_mismatch"));
        assert!(yes("address ~ 192.0.2.1:110"));
        assert!(yes("retr -err trans"));
        assert!(yes("size_mismatch"));
        assert!(!yes("user != alice"));
        assert!(yes("session == 3 and not (status == +ok)"));
    }

    #[test]
    fn mistakes_are_said() {
        assert!(Filter::parse("").is_err());
        assert!(Filter::parse("colour == red").unwrap_err().contains("no field"));
        assert!(
            Filter::parse("(command == RETR")
                .unwrap_err()
                .contains("without its")
        );
        assert!(Filter::parse("command ==").unwrap_err().contains("want a value"));
        assert!(Filter::parse("retr )").unwrap_err().contains("unexpected"));
        assert!(
            Filter::parse(&"(".repeat(100_000))
                .unwrap_err()
                .contains("more than")
        );
    }
}
