//! Base: the vocabulary every layer shares, with no dependency on any of them.
//!
//! Contract: plain values only (time, direction, language, the safe showing of wire bytes);
//! no I/O beyond reading the locale, no state, nothing that knows about packets, TCP or POP3.

mod escape;
mod time;

pub use escape::{escape, is_hidden_format};
pub use time::Timestamp;

/// Bytes as lower-case hexadecimal, two digits each: digests, key log fields.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The languages pop3scope teaches in: the lessons, the class view, the handouts, the
/// students' page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Chinese (simplified).
    Zh,
}

impl Lang {
    /// From `--lang`: `en`, `zh` (and `zh_CN`, `zh-TW`, …).
    pub fn parse(text: &str) -> Option<Lang> {
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("zh") {
            Some(Lang::Zh)
        } else if lower.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// From the environment, as gettext looks: LC_ALL, LC_MESSAGES, LANG; English otherwise.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|value| !value.is_empty())
            .and_then(|value| Lang::parse(&value))
            .unwrap_or(Lang::En)
    }
}

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
    /// The other way.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }

    /// `c2s` or `s2c`: the direction as the names of exported stream files spell it.
    pub fn short(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        }
    }
}
