//! Server replies: the status line, response codes, capabilities, the greeting's timestamp.

use crate::base::Lang;

/// `+OK` or `-ERR` (RFC 1939 §3). Only these two, in upper case, make a status line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Status {
    /// `+OK`: the command succeeded.
    #[serde(rename = "+OK")]
    Ok,
    /// `-ERR`: the command failed or was refused.
    #[serde(rename = "-ERR")]
    Err,
}

impl Status {
    /// The status as the wire spells it: `+OK` or `-ERR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "+OK",
            Status::Err => "-ERR",
        }
    }
}

/// A parsed status line: the status, and the text after it (without the separating space).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLine<'a> {
    /// Whether the server accepted.
    pub status: Status,
    /// The rest of the line, borrowed from it; may start with a `[CODE]` (RFC 2449 §8).
    pub text: &'a [u8],
}

/// Reads a status line; `None` when the line is not one (a `+` challenge, data, garbage).
pub fn parse_status(line: &[u8]) -> Option<StatusLine<'_>> {
    let (status, rest) = if let Some(rest) = line.strip_prefix(b"+OK") {
        (Status::Ok, rest)
    } else if let Some(rest) = line.strip_prefix(b"-ERR") {
        (Status::Err, rest)
    } else {
        return None;
    };
    match rest.first() {
        None => Some(StatusLine { status, text: rest }),
        Some(b' ') => Some(StatusLine {
            status,
            text: &rest[1..],
        }),
        // "+OKAY" is not a status line; a tab is tolerated as a separator.
        Some(b'\t') => Some(StatusLine {
            status,
            text: &rest[1..],
        }),
        Some(_) => None,
    }
}

/// A response code at the very start of the text: `[SYS/TEMP]` (RFC 2449 §8, RFC 3206).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResponseCode {
    /// The code in upper case, with its sub-levels: `SYS/TEMP`.
    pub code: String,
}

impl ResponseCode {
    /// The code at the start of a status line's text (`[IN-USE] mailbox locked`); `None` when
    /// there is none, or it holds bytes other than letters, digits, `/` and `-`.
    pub fn parse(text: &[u8]) -> Option<ResponseCode> {
        let inner = text.strip_prefix(b"[")?;
        let end = inner.iter().position(|&b| b == b']')?;
        let code = &inner[..end];
        let valid = !code.is_empty()
            && code
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'/' || b == b'-');
        valid.then(|| ResponseCode {
            code: String::from_utf8_lossy(code).to_ascii_uppercase(),
        })
    }

    /// What a known code means, with its RFC.
    pub fn meaning(&self) -> Option<&'static str> {
        let top = self.code.split('/').next().unwrap_or_default();
        Some(match (top, self.code.as_str()) {
            (_, "SYS/TEMP") => "a temporary problem on the server; trying later may work (RFC 3206 §4)",
            (_, "SYS/PERM") => "a permanent problem on the server; trying again will not help (RFC 3206 §4)",
            ("LOGIN-DELAY", _) => "logged in too soon after the last login (RFC 2449 §8.1.1)",
            ("IN-USE", _) => "another session holds the mailbox lock (RFC 2449 §8.1.2)",
            ("AUTH", _) => "the credentials are wrong, not a server problem (RFC 3206 §5)",
            ("UTF8", _) => "the mailbox needs UTF-8 mode (RFC 6856 §2)",
            ("SYS", _) => "a server problem (RFC 3206 §4)",
            _ => return None,
        })
    }

    /// What a known code means, with its RFC, in `lang` ([`ResponseCode::meaning`] in English).
    pub fn meaning_in(&self, lang: Lang) -> Option<&'static str> {
        if lang == Lang::En {
            return self.meaning();
        }
        let top = self.code.split('/').next().unwrap_or_default();
        Some(match (top, self.code.as_str()) {
            (_, "SYS/TEMP") => "服务器上的临时问题；稍后再试也许可以（RFC 3206 §4）",
            (_, "SYS/PERM") => "服务器上的永久问题；再试也没有用（RFC 3206 §4）",
            ("LOGIN-DELAY", _) => "距上次登录的时间太短（RFC 2449 §8.1.1）",
            ("IN-USE", _) => "另一个会话锁住了这个邮箱（RFC 2449 §8.1.2）",
            ("AUTH", _) => "用户名或密码不对，不是服务器的问题（RFC 3206 §5）",
            ("UTF8", _) => "这个邮箱需要 UTF-8 模式（RFC 6856 §2）",
            ("SYS", _) => "服务器的问题（RFC 3206 §4）",
            _ => return None,
        })
    }
}

/// What a line of a CAPA reply means, when pop3scope knows the capability.
pub fn capability_meaning(line: &[u8]) -> Option<&'static str> {
    Capability::parse(line).and_then(|c| c.meaning())
}

/// What a line of a CAPA reply means, in `lang`, when pop3scope knows the capability.
pub fn capability_meaning_in(line: &[u8], lang: Lang) -> Option<&'static str> {
    Capability::parse(line).and_then(|c| c.meaning_in(lang))
}

/// One line of a CAPA reply: a capability and its parameters (RFC 2449 §6), e.g.
/// `SASL PLAIN LOGIN`, `LOGIN-DELAY 300 USER`, `EXPIRE NEVER`, `IMPLEMENTATION Dovecot`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Capability {
    /// The tag in upper case (tags are case-insensitive).
    pub name: String,
    /// The parameters after the tag, as sent: `PLAIN LOGIN` for SASL, `300 USER` for LOGIN-DELAY.
    pub args: Vec<String>,
}

impl Capability {
    /// Splits a CAPA line at whitespace, bytes that are not UTF-8 replaced; `None` for a blank
    /// line.
    pub fn parse(line: &[u8]) -> Option<Capability> {
        let text = String::from_utf8_lossy(line);
        let mut words = text.split_ascii_whitespace();
        let name = words.next()?.to_ascii_uppercase();
        Some(Capability {
            name,
            args: words.map(str::to_string).collect(),
        })
    }

    /// What a registered capability announces (RFC 2449 §6, RFC 2595, RFC 3206, RFC 6856).
    pub fn meaning(&self) -> Option<&'static str> {
        Some(match self.name.as_str() {
            "TOP" => "the TOP command works (RFC 2449 §6.1)",
            "USER" => "USER/PASS login works (RFC 2449 §6.2)",
            "SASL" => "AUTH works with these mechanisms (RFC 2449 §6.3)",
            "RESP-CODES" => "-ERR replies carry [codes] (RFC 2449 §6.4)",
            "LOGIN-DELAY" => "the least number of seconds between logins (RFC 2449 §6.5)",
            "PIPELINING" => "commands may be sent without waiting for replies (RFC 2449 §6.6)",
            "EXPIRE" => "days the server keeps mail after it was retrieved (RFC 2449 §6.7)",
            "UIDL" => "the UIDL command works (RFC 2449 §6.8)",
            "IMPLEMENTATION" => "the server software (RFC 2449 §6.9)",
            "STLS" => "STLS can switch to TLS (RFC 2595 §4)",
            "AUTH-RESP-CODE" => "a failed login says [AUTH] when the credentials are wrong (RFC 3206 §6)",
            "UTF8" => "the UTF8 command works (RFC 6856 §2)",
            "LANG" => "the LANG command works (RFC 6856 §3)",
            _ => return None,
        })
    }

    /// What a registered capability announces, in `lang` ([`Capability::meaning`] in English).
    pub fn meaning_in(&self, lang: Lang) -> Option<&'static str> {
        if lang == Lang::En {
            return self.meaning();
        }
        Some(match self.name.as_str() {
            "TOP" => "可以使用 TOP 命令（RFC 2449 §6.1）",
            "USER" => "可以用 USER/PASS 登录（RFC 2449 §6.2）",
            "SASL" => "可以用 AUTH 和这些机制登录（RFC 2449 §6.3）",
            "RESP-CODES" => "-ERR 回复带有 [响应码]（RFC 2449 §6.4）",
            "LOGIN-DELAY" => "两次登录之间至少要隔的秒数（RFC 2449 §6.5）",
            "PIPELINING" => "可以不等回复就接着发送命令（RFC 2449 §6.6）",
            "EXPIRE" => "邮件被取回之后服务器还保留它的天数（RFC 2449 §6.7）",
            "UIDL" => "可以使用 UIDL 命令（RFC 2449 §6.8）",
            "IMPLEMENTATION" => "服务器软件（RFC 2449 §6.9）",
            "STLS" => "可以用 STLS 切换到 TLS（RFC 2595 §4）",
            "AUTH-RESP-CODE" => "用户名或密码不对时，登录失败的回复带有 [AUTH]（RFC 3206 §6）",
            "UTF8" => "可以使用 UTF8 命令（RFC 6856 §2）",
            "LANG" => "可以使用 LANG 命令（RFC 6856 §3）",
            _ => return None,
        })
    }
}

/// `1234 octets` at the start of a reply text (RFC 1939 §7's example): a size the server
/// announces. A hint only: framing never depends on it.
pub fn octets_in_text(text: &[u8]) -> Option<u64> {
    let mut words = text.split(|&b| b == b' ');
    let number = super::command::parse_number(words.next()?)?;
    (words.next()? == b"octets").then_some(u64::from(number))
}

/// The `<…@…>` timestamp of an APOP-capable greeting (RFC 1939 §7).
pub fn apop_timestamp(greeting_text: &[u8]) -> Option<&[u8]> {
    let start = greeting_text.iter().position(|&b| b == b'<')?;
    let len = greeting_text[start..].iter().position(|&b| b == b'>')?;
    let stamp = &greeting_text[start..=start + len];
    stamp.contains(&b'@').then_some(stamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(
            parse_status(b"+OK"),
            Some(StatusLine {
                status: Status::Ok,
                text: b""
            })
        );
        assert_eq!(
            parse_status(b"+OK 2 320"),
            Some(StatusLine {
                status: Status::Ok,
                text: b"2 320"
            })
        );
        assert_eq!(parse_status(b"-ERR no such message").unwrap().status, Status::Err);
        assert_eq!(parse_status(b"+ VXNlcm5hbWU6"), None);
        assert_eq!(parse_status(b"+OKAY"), None);
        assert_eq!(parse_status(b"+ok"), None);
    }

    #[test]
    fn response_codes_only_at_the_start() {
        assert_eq!(ResponseCode::parse(b"[sys/temp] later").unwrap().code, "SYS/TEMP");
        assert_eq!(
            ResponseCode::parse(b"[AUTH] Authentication failed.")
                .unwrap()
                .code,
            "AUTH"
        );
        // Exchange Online ends its greeting with a bracketed base64 blob: not a code.
        assert_eq!(
            ResponseCode::parse(b"The Microsoft Exchange POP3 service is ready. [UwBOADIA]"),
            None
        );
    }

    #[test]
    fn capabilities_have_a_tag_and_parameters() {
        let sasl = Capability::parse(b"SASL PLAIN LOGIN CRAM-MD5").unwrap();
        assert_eq!((sasl.name.as_str(), sasl.args.len()), ("SASL", 3));
        assert_eq!(
            Capability::parse(b"login-delay 300 USER").unwrap().name,
            "LOGIN-DELAY"
        );
        assert!(Capability::parse(b"PIPELINING").unwrap().meaning().is_some());
        assert!(Capability::parse(b"X-GOOGLE-RICO").unwrap().meaning().is_none());
        assert_eq!(Capability::parse(b""), None);
    }

    #[test]
    fn apop_timestamp_from_the_greeting() {
        assert_eq!(
            apop_timestamp(b"POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
            Some(&b"<1896.697170952@dbc.mtview.ca.us>"[..])
        );
        assert_eq!(apop_timestamp(b"POP3 ready"), None);
    }
}
