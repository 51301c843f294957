//! Showing bytes from the wire safely: never raw to a terminal, never silently altered.

use std::fmt::Write;

/// Characters that change or hide the text around them without showing themselves: C1
/// controls, the soft hyphen, bidi marks, overrides and isolates (an RLO in a greeting would
/// reorder pop3scope's own words after it), zero-width spaces and joiners, the byte-order mark.
/// Every front end shows them escaped.
pub fn is_hidden_format(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}' | '\u{ad}' | '\u{61c}' | '\u{180e}' | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// Escapes bytes for a terminal: printable ASCII, and the letters of text that is valid UTF-8,
/// as they are; control characters (escape sequences included) and the bytes of text that is
/// not UTF-8 as `\xNN`, with `\r`, `\n`, `\t` and `\\` spelled out; the invisible format
/// characters of [`is_hidden_format`] as `\u{202e}`.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let spelled = |c: char| match c {
        '\\' => Some("\\\\"),
        '\r' => Some("\\r"),
        '\n' => Some("\\n"),
        '\t' => Some("\\t"),
        _ => None,
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            for c in text.chars() {
                if let Some(name) = spelled(c) {
                    out.push_str(name);
                } else if c.is_control() && !is_hidden_format(c) {
                    let mut buf = [0u8; 4];
                    for b in c.encode_utf8(&mut buf).bytes() {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                } else if is_hidden_format(c) {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                } else {
                    out.push(c);
                }
            }
        }
        // Not UTF-8 as a whole (a GBK greeting, binary data): a byte pair that happens to be
        // valid UTF-8 inside it is no character the sender wrote, so every byte outside
        // printable ASCII is shown as a number.
        Err(_) => {
            for &b in bytes {
                match spelled(b as char) {
                    Some(name) => out.push_str(name),
                    None if (0x20..0x7f).contains(&b) => out.push(b as char),
                    None => {
                        let _ = write!(out, "\\x{b:02x}");
                    }
                }
            }
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
    fn bidi_overrides_and_zero_width_characters_are_shown_not_obeyed() {
        assert_eq!(escape("+OK \u{202e}olleh".as_bytes()), "+OK \\u{202e}olleh");
        assert_eq!(escape("alice\u{200b}".as_bytes()), "alice\\u{200b}");
        assert_eq!(escape("a\u{85}b".as_bytes()), "a\\u{85}b");
    }

    #[test]
    fn utf8_is_kept_and_other_bytes_are_escaped() {
        assert_eq!(escape("邮件".as_bytes()), "邮件");
        assert_eq!(escape(b"\xff\xfe\xd3"), "\\xff\\xfe\\xd3");
        // CA BC is valid UTF-8 (U+02BC) but here it is half of a GBK text.
        assert_eq!(escape(b"+OK \xd3\xca\xbc\xfe"), "+OK \\xd3\\xca\\xbc\\xfe");
        assert_eq!(escape(b"back\\slash"), "back\\\\slash");
    }
}
