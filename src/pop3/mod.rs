//! POP3: framing, pairing, phases, anomalies. Pure: bytes in, events out; no I/O, no clock.
//!
//! Contract:
//! - [`Decoder`] takes one connection's two byte streams (and the gaps in them) in stream
//!   order and emits [`Pop3Event`]s: the greeting, then one [`Exchange`] per client command,
//!   complete with its reply, in the order the client sent them (pipelining included).
//! - Whether a reply is multi-line is decided by the command it answers and its status, never
//!   by the reply's text or by looking ahead (RFC 1939 §3).
//! - The events are the same however the bytes are split into chunks.
//! - Anomalies are [`Note`]s with a stable [`NoteCode`]; decoding never stops on them. Gaps end
//!   the exchange they cut (marked incomplete) and the decoder resynchronises on the next line
//!   that is plainly a command or a status line.
//! - Bytes from the wire are kept as bytes; nothing is decoded lossily here.

mod command;
mod decoder;
pub mod detect;
mod exchange;
mod line;
mod notes;
mod phase;
mod reply;
pub mod sasl;

pub use command::{Command, Verb, parse_number};
pub use decoder::{Decoder, DecoderOptions};
pub use exchange::{Body, Exchange, Greeting, Pop3Event, Position, Reply, SaslLine};
pub use notes::{Note, NoteCode};
pub use phase::{Phase, Violation, allows, of_reply, transition};
pub use reply::{
    Capability, ResponseCode, Status, StatusLine, apop_timestamp, capability_meaning, capability_meaning_in,
    octets_in_text, parse_status,
};
