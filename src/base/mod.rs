//! Base: the vocabulary every layer shares, with no dependency on any of them.
//!
//! Contract: plain values only (time, direction, the safe showing of wire bytes); no I/O, no
//! state, nothing that knows about packets, TCP or POP3.

mod escape;
mod time;

pub use escape::escape;
pub use time::Timestamp;

/// Which way bytes travel in a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Direction {
    /// From the client to the server: commands and SASL responses.
    #[serde(rename = "client")]
    ClientToServer,
    /// From the server to the client: the greeting, replies and SASL challenges.
    #[serde(rename = "server")]
    ServerToClient,
}

impl Direction {
    /// 0 for the client's direction, 1 for the server's: an index into per-direction arrays.
    pub fn index(self) -> usize {
        self as usize
    }
    /// `c2s` or `s2c`: the direction as the names of exported stream files spell it.
    pub fn short(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        }
    }
}
