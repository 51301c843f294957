//! `--filter`: only the exchanges a display filter lets through are printed, with their
//! session's start, greeting and end around them; a session with none is not printed at all.
//!
//! Contract: a session printer in front of another: events of shown sessions reach it in their
//! order; a session's start and greeting wait (bounded: one of each per open session) until its
//! first exchange that passes, the greeting's text cut to a status line's length. The user a filter asks about is the one the session named so far
//! (USER, APOP, a login's credential).

use std::collections::HashMap;
use std::io;

use crate::pipeline::EngineStats;
use crate::pop3::{Greeting, Verb};
use crate::session::{SessionEvent, SessionId, SessionInfo, SessionSink};
use crate::view::filter::{Filter, Subject};

use super::SessionPrinter;

/// Octets of a greeting's text kept while its session waits to be shown.
const MAX_HELD_GREETING: usize = 512;

/// What is known of a session not shown yet, or shown.
struct Seen {
    info: SessionInfo,
    greeting: Option<Greeting>,
    user: Option<Vec<u8>>,
    shown: bool,
    /// Whether the last exchange was printed: its credential follows it.
    last_shown: bool,
}

/// Passes a printer only what a filter lets through.
pub(super) struct Filtered<P> {
    filter: Option<Filter>,
    printer: P,
    sessions: HashMap<SessionId, Seen>,
}

impl<P: SessionSink> Filtered<P> {
    pub(super) fn new(printer: P, filter: Option<Filter>) -> Self {
        Filtered {
            filter,
            printer,
            sessions: HashMap::new(),
        }
    }

    /// Prints the session's start and greeting, once.
    fn show(&mut self, session: SessionId) {
        let Some(seen) = self.sessions.get_mut(&session) else {
            return;
        };
        if std::mem::replace(&mut seen.shown, true) {
            return;
        }
        self.printer.event(SessionEvent::Started(&seen.info));
        if let Some(greeting) = seen.greeting.take() {
            self.printer.event(SessionEvent::Greeting {
                session,
                greeting: &greeting,
            });
        }
    }
}

impl<P: SessionSink> SessionSink for Filtered<P> {
    fn event(&mut self, event: SessionEvent<'_>) {
        let Some(filter) = &self.filter else {
            self.printer.event(event);
            return;
        };
        match event {
            SessionEvent::Started(info) => {
                self.sessions.insert(
                    info.id,
                    Seen {
                        info: info.clone(),
                        greeting: None,
                        user: None,
                        shown: false,
                        last_shown: false,
                    },
                );
            }
            SessionEvent::Greeting { session, greeting } => match self.sessions.get_mut(&session) {
                Some(seen) if !seen.shown => {
                    // Held for every open session: a status line's worth at most (RFC 2449
                    // §4 allows 512 octets; a longer one is noted reply_too_long anyway).
                    let mut held = greeting.clone();
                    held.text.truncate(MAX_HELD_GREETING);
                    seen.greeting = Some(held);
                }
                _ => self.printer.event(event),
            },
            SessionEvent::Exchange {
                session, exchange, ..
            } => {
                let Some(seen) = self.sessions.get_mut(&session) else {
                    return;
                };
                if let Some(command) = &exchange.command
                    && matches!(command.verb, Verb::User | Verb::Apop)
                    && let Some(user) = command.args.first()
                {
                    seen.user = Some(user.clone());
                }
                let reply = exchange.reply.as_ref().map_or_else(String::new, |r| {
                    format!("{} {}", r.status.as_str(), crate::base::escape(&r.text))
                });
                let subject = Subject {
                    session,
                    client: seen.info.client,
                    server: seen.info.server,
                    user: seen.user.as_deref(),
                    exchange: Some(exchange),
                    phase: exchange.phase,
                    text: format!("{} {reply}", crate::view::explain::command_text(exchange, false)),
                    notes: exchange.notes.iter().map(|n| n.code.name()).collect(),
                };
                let pass = filter.matches(&subject);
                seen.last_shown = pass;
                if pass {
                    self.show(session);
                    self.printer.event(event);
                }
            }
            SessionEvent::Credential {
                session, credential, ..
            } => {
                if let Some(seen) = self.sessions.get_mut(&session) {
                    if let Some(user) = &credential.user {
                        seen.user = Some(user.clone());
                    }
                    if seen.last_shown {
                        self.printer.event(event);
                    }
                }
            }
            SessionEvent::TlsStarted { session, .. } | SessionEvent::Note { session, .. } => {
                if self.sessions.get(&session).is_some_and(|seen| seen.shown) {
                    self.printer.event(event);
                }
            }
            SessionEvent::Ended(summary) => {
                if self
                    .sessions
                    .remove(&summary.info.id)
                    .is_some_and(|seen| seen.shown)
                {
                    self.printer.event(event);
                }
            }
        }
    }

    fn stopped(&self) -> bool {
        self.printer.stopped()
    }
}

impl<P: SessionPrinter> SessionPrinter for Filtered<P> {
    fn finish(self, stats: &EngineStats) -> io::Result<()> {
        self.printer.finish(stats)
    }
}
