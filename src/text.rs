//! Showing bytes from the wire safely: never raw to a terminal, never silently altered.

use std::fmt::Write;

/// Escapes bytes for a terminal: printable ASCII and valid UTF-8 letters as they are; control
/// characters (escape sequences included) and bytes that are not UTF-8 as `\xNN`, with `\r`,
/// `\n`, `\t` and `\\` spelled out.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escape_sequences_are_shown_not_obeyed() {
        assert_eq!(escape(b"\x1b[2J+OK"), "\\x1b[2J+OK");
        assert_eq!(escape(b"a\r\nb"), "a\\r\\nb");
    }

    #[test]
    fn utf8_is_kept_and_other_bytes_are_escaped() {
        assert_eq!(escape("邮件".as_bytes()), "邮件");
        assert_eq!(escape(b"\xff\xfe\xd3"), "\\xff\\xfe\\xd3");
        assert_eq!(escape(b"back\\slash"), "back\\\\slash");
    }
}
