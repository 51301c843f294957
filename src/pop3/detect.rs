//! POP3 recognised by content, for connections on ports that are not POP3's (`--detect`): the
//! way Zeek's dynamic protocol detection finds a protocol on any port, from the first line each
//! side sends. Pure: the caller collects the bytes.

use super::command::{Command, Verb};
use super::reply::parse_status;

/// Bytes of a side's first line looked at most: RFC 2449 §4 bounds a reply's first line to 512
/// octets (commands to 255); a longer first line is not POP3.
pub const MAX_FIRST_LINE: usize = 512;

/// What the first lines say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A status line from the side that accepted the connection, and (if it spoke) a POP3
    /// command from the side that opened it.
    Pop3,
    /// A first line that no POP3 endpoint sends, or one longer than POP3 allows.
    NotPop3,
    /// Not enough yet: a side's first line is still incomplete.
    Undecided,
}

/// The first line of `bytes` (without its line ending), `Err(())` when it is too long for
/// POP3, `Ok(None)` while incomplete.
fn first_line(bytes: &[u8]) -> Result<Option<&[u8]>, ()> {
    match memchr::memchr(b'\n', bytes) {
        Some(lf) if lf < MAX_FIRST_LINE => {
            let line = &bytes[..lf];
            Ok(Some(line.strip_suffix(b"\r").unwrap_or(line)))
        }
        Some(_) => Err(()),
        None if bytes.len() >= MAX_FIRST_LINE => Err(()),
        None => Ok(None),
    }
}

/// Judges a connection from the first bytes each side sent: the client (who opened it) and
/// the server (who accepted it). `finished` says no more bytes will come before the verdict is
/// needed (a gap, the end): a client that sent a POP3 command and got nothing back yet is then
/// taken as POP3.
pub fn verdict(client: &[u8], server: &[u8], finished: bool) -> Verdict {
    let (Ok(client), Ok(server)) = (first_line(client), first_line(server)) else {
        return Verdict::NotPop3;
    };
    let command_ok = client.map(|line| {
        let keyword = line.split(|&b| b == b' ').next().unwrap_or_default();
        Verb::from_keyword(keyword) != Verb::Unknown && Command::is_plausible(line)
    });
    match (command_ok, server.map(|line| parse_status(line).is_some())) {
        (Some(false), _) | (_, Some(false)) => Verdict::NotPop3,
        (_, Some(true)) => Verdict::Pop3,
        (Some(true), None) if finished => Verdict::Pop3,
        (None, None) if finished => Verdict::NotPop3,
        _ => Verdict::Undecided,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_greeting_from_the_server_is_pop3() {
        assert_eq!(verdict(b"", b"+OK Dovecot ready.\r\n", false), Verdict::Pop3);
        assert_eq!(verdict(b"CAPA\r\n", b"+OK ready\r\n", false), Verdict::Pop3);
        assert_eq!(verdict(b"", b"-ERR go away\r\n", false), Verdict::Pop3);
    }

    #[test]
    fn redis_http_and_smtp_are_not() {
        assert_eq!(verdict(b"PING\r\n", b"+PONG\r\n", false), Verdict::NotPop3);
        assert_eq!(verdict(b"*1\r\n$4\r\nPING\r\n", b"", false), Verdict::NotPop3);
        assert_eq!(verdict(b"GET / HTTP/1.1\r\n", b"", false), Verdict::NotPop3);
        assert_eq!(
            verdict(b"", b"220 mail.example ESMTP\r\n", false),
            Verdict::NotPop3
        );
    }

    #[test]
    fn it_waits_for_whole_first_lines_and_not_longer_than_pop3_allows() {
        assert_eq!(verdict(b"", b"+O", false), Verdict::Undecided);
        assert_eq!(verdict(b"USER alice\r\n", b"", false), Verdict::Undecided);
        assert_eq!(verdict(b"USER alice\r\n", b"", true), Verdict::Pop3);
        assert_eq!(verdict(b"", &[b'+'; MAX_FIRST_LINE], false), Verdict::NotPop3);
        assert_eq!(verdict(b"", b"", true), Verdict::NotPop3);
    }
}
