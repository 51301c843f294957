//! Client commands: keyword, arguments, and what each one is for (RFC 1939 §4–7, RFC 2449,
//! RFC 2595, RFC 5034, RFC 6856).

use crate::base::Lang;

/// The commands pop3scope knows. Keywords are case-insensitive on the wire (`retr 2` is RETR).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verb {
    /// USER name: names the mailbox (RFC 1939 §7).
    User,
    /// PASS string: the password, in clear text (RFC 1939 §7).
    Pass,
    /// APOP name digest: logs in with an MD5 digest of the greeting's timestamp and the
    /// secret (RFC 1939 §7).
    Apop,
    /// AUTH \[mechanism \[initial-response\]\]: a SASL login (RFC 5034 §4); alone, lists the
    /// mechanisms.
    Auth,
    /// STLS: switches the connection to TLS (RFC 2595 §4).
    Stls,
    /// CAPA: lists what the server can do (RFC 2449 §5).
    Capa,
    /// QUIT: ends the session; in TRANSACTION it commits the deletions (RFC 1939 §6).
    Quit,
    /// STAT: the number of messages and their total size in octets (RFC 1939 §5).
    Stat,
    /// LIST \[msg\]: the size of one message, or of each (RFC 1939 §5).
    List,
    /// RETR msg: a whole message (RFC 1939 §5).
    Retr,
    /// DELE msg: marks a message for deletion at QUIT (RFC 1939 §5).
    Dele,
    /// NOOP: does nothing; keeps the connection alive (RFC 1939 §5).
    Noop,
    /// RSET: unmarks every message marked for deletion (RFC 1939 §5).
    Rset,
    /// TOP msg n: a message's headers and the first n lines of its body (RFC 1939 §7).
    Top,
    /// UIDL \[msg\]: the unique id of one message, or of each (RFC 1939 §7).
    Uidl,
    /// UTF8: switches the session to UTF-8 (RFC 6856 §2).
    Utf8,
    /// LANG \[tag\]: lists the languages of the server's texts, or chooses one (RFC 6856 §3).
    Lang,
    /// RFC 1460, removed in RFC 1725.
    Last,
    /// RFC 1081, removed in RFC 1725.
    Rpop,
    /// Anything else: kept as sent, decoded as a single-line exchange.
    Unknown,
}

impl Verb {
    /// The verb a keyword names, compared without regard to case; [`Verb::Unknown`] for any
    /// other.
    pub fn from_keyword(keyword: &[u8]) -> Verb {
        const TABLE: [(&[u8], Verb); 19] = [
            (b"USER", Verb::User),
            (b"PASS", Verb::Pass),
            (b"APOP", Verb::Apop),
            (b"AUTH", Verb::Auth),
            (b"STLS", Verb::Stls),
            (b"CAPA", Verb::Capa),
            (b"QUIT", Verb::Quit),
            (b"STAT", Verb::Stat),
            (b"LIST", Verb::List),
            (b"RETR", Verb::Retr),
            (b"DELE", Verb::Dele),
            (b"NOOP", Verb::Noop),
            (b"RSET", Verb::Rset),
            (b"TOP", Verb::Top),
            (b"UIDL", Verb::Uidl),
            (b"UTF8", Verb::Utf8),
            (b"LANG", Verb::Lang),
            (b"LAST", Verb::Last),
            (b"RPOP", Verb::Rpop),
        ];
        TABLE
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(keyword))
            .map_or(Verb::Unknown, |(_, verb)| *verb)
    }

    /// The keyword in capitals, as the RFCs spell it; `?` for [`Verb::Unknown`].
    pub fn name(self) -> &'static str {
        match self {
            Verb::User => "USER",
            Verb::Pass => "PASS",
            Verb::Apop => "APOP",
            Verb::Auth => "AUTH",
            Verb::Stls => "STLS",
            Verb::Capa => "CAPA",
            Verb::Quit => "QUIT",
            Verb::Stat => "STAT",
            Verb::List => "LIST",
            Verb::Retr => "RETR",
            Verb::Dele => "DELE",
            Verb::Noop => "NOOP",
            Verb::Rset => "RSET",
            Verb::Top => "TOP",
            Verb::Uidl => "UIDL",
            Verb::Utf8 => "UTF8",
            Verb::Lang => "LANG",
            Verb::Last => "LAST",
            Verb::Rpop => "RPOP",
            Verb::Unknown => "?",
        }
    }

    /// How many arguments the command takes: (fewest, most).
    pub fn arity(self) -> (usize, usize) {
        match self {
            Verb::User | Verb::Pass | Verb::Retr | Verb::Dele | Verb::Rpop => (1, 1),
            Verb::Apop | Verb::Top => (2, 2),
            Verb::Auth => (0, 2),
            Verb::List | Verb::Uidl | Verb::Lang => (0, 1),
            Verb::Unknown => (0, usize::MAX),
            _ => (0, 0),
        }
    }

    /// What the command asks for, in a learner's words, with its RFC section.
    pub fn meaning(self) -> &'static str {
        match self {
            Verb::User => "names the mailbox to log in to (RFC 1939 §7)",
            Verb::Pass => "sends the password in clear text (RFC 1939 §7)",
            Verb::Apop => {
                "logs in with an MD5 digest of the greeting's timestamp and the password (RFC 1939 §7)"
            }
            Verb::Auth => {
                "starts a SASL login with the mechanism named (RFC 5034); AUTH alone, an older convention, lists the mechanisms"
            }
            Verb::Stls => "asks to switch the connection to TLS (RFC 2595 §4)",
            Verb::Capa => "asks what the server can do (RFC 2449 §5)",
            Verb::Quit => "ends the session; in TRANSACTION it commits the deletions (RFC 1939 §6)",
            Verb::Stat => "asks for the number of messages and their total size (RFC 1939 §5)",
            Verb::List => "asks for message sizes: all, or the one numbered (RFC 1939 §5)",
            Verb::Retr => "downloads a whole message (RFC 1939 §5)",
            Verb::Dele => "marks a message for deletion; nothing is deleted before QUIT (RFC 1939 §5)",
            Verb::Noop => "does nothing; keeps the connection alive (RFC 1939 §5)",
            Verb::Rset => "unmarks every message marked for deletion (RFC 1939 §5)",
            Verb::Top => "downloads the headers and the first lines of the body (RFC 1939 §7)",
            Verb::Uidl => "asks for unique ids that stay the same across sessions (RFC 1939 §7)",
            Verb::Utf8 => "switches the session to UTF-8 (RFC 6856 §2)",
            Verb::Lang => "lists or chooses the language of the server's texts (RFC 6856 §3)",
            Verb::Last => "asks for the highest message number accessed (RFC 1460; removed since RFC 1725)",
            Verb::Rpop => "logs in by trusted host (RFC 1081; removed since RFC 1725)",
            Verb::Unknown => "is not a POP3 command pop3scope knows",
        }
    }

    /// What the command asks for, in `lang` ([`Verb::meaning`] in English).
    pub fn meaning_in(self, lang: Lang) -> &'static str {
        if lang == Lang::En {
            return self.meaning();
        }
        match self {
            Verb::User => "指明要登录的邮箱（RFC 1939 §7）",
            Verb::Pass => "以明文发送密码（RFC 1939 §7）",
            Verb::Apop => "用问候中的时间戳和密码算出的 MD5 摘要登录（RFC 1939 §7）",
            Verb::Auth => "用指定的机制开始 SASL 登录（RFC 5034）；单独的 AUTH 是较早的约定，列出可用的机制",
            Verb::Stls => "请求把连接切换到 TLS（RFC 2595 §4）",
            Verb::Capa => "询问服务器能做什么（RFC 2449 §5）",
            Verb::Quit => "结束会话；在事务处理状态（TRANSACTION）中它会提交删除（RFC 1939 §6）",
            Verb::Stat => "询问邮件的数目和总大小（RFC 1939 §5）",
            Verb::List => "询问邮件的大小：全部邮件，或指定编号的那一封（RFC 1939 §5）",
            Verb::Retr => "下载一封完整的邮件（RFC 1939 §5）",
            Verb::Dele => "把一封邮件标记为删除；QUIT 之前什么都不会删除（RFC 1939 §5）",
            Verb::Noop => "什么也不做；让连接保持活动（RFC 1939 §5）",
            Verb::Rset => "撤销所有邮件的删除标记（RFC 1939 §5）",
            Verb::Top => "下载邮件的首部和正文的前几行（RFC 1939 §7）",
            Verb::Uidl => "询问在不同会话之间保持不变的唯一标识（RFC 1939 §7）",
            Verb::Utf8 => "把会话切换到 UTF-8（RFC 6856 §2）",
            Verb::Lang => "列出或选择服务器文字所用的语言（RFC 6856 §3）",
            Verb::Last => "询问访问过的最大邮件编号（RFC 1460；自 RFC 1725 起已删除）",
            Verb::Rpop => "凭受信任的主机登录（RFC 1081；自 RFC 1725 起已删除）",
            Verb::Unknown => "不是 pop3scope 认识的 POP3 命令",
        }
    }
}

/// A command line as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// What the keyword names.
    pub verb: Verb,
    /// The keyword exactly as sent (`retr`, `RETR`, `XTND`).
    pub keyword: Vec<u8>,
    /// The arguments as sent, split at each space (PASS: the rest of the line, whole).
    pub args: Vec<Vec<u8>>,
    /// The line exactly as captured, its line ending (CR LF, or a bare LF) included; only the
    /// start of a line longer than the decoder keeps. Empty for a command made by hand.
    pub wire: Vec<u8>,
}

impl Command {
    /// Splits a command line (without its line ending). PASS takes the rest of the line as one
    /// argument, since a password may contain spaces (RFC 1939 §7).
    pub fn parse(line: &[u8]) -> Command {
        let (keyword, rest) = match line.iter().position(|&b| b == b' ') {
            Some(space) => (&line[..space], Some(&line[space + 1..])),
            None => (line, None),
        };
        let verb = Verb::from_keyword(keyword);
        let args = match rest {
            None => Vec::new(),
            Some(rest) if verb == Verb::Pass => vec![rest.to_vec()],
            Some(rest) => rest.split(|&b| b == b' ').map(<[u8]>::to_vec).collect(),
        };
        Command {
            verb,
            keyword: keyword.to_vec(),
            args,
            wire: Vec::new(),
        }
    }

    /// The argument as a message number, if it is one (RFC 1939 §3: decimal, 1-based).
    pub fn number(&self, index: usize) -> Option<u32> {
        parse_number(self.args.get(index)?)
    }

    /// Whether a `+OK` to this command is followed by data lines and a `.` line (RFC 1939 §3).
    /// Decided by the command alone, never by looking at the reply.
    pub fn has_multiline_reply(&self) -> bool {
        match self.verb {
            Verb::Retr | Verb::Top | Verb::Capa => true,
            Verb::List | Verb::Uidl | Verb::Lang | Verb::Auth => self.args.is_empty(),
            _ => false,
        }
    }

    /// AUTH with a mechanism: the server may answer with `+ ` challenges before its final reply.
    pub fn starts_sasl(&self) -> bool {
        self.verb == Verb::Auth && !self.args.is_empty()
    }

    /// Whether a line looks plainly like a command: a known keyword, or 3–4 letters alone.
    pub fn is_plausible(line: &[u8]) -> bool {
        let keyword = line.split(|&b| b == b' ').next().unwrap_or_default();
        Verb::from_keyword(keyword) != Verb::Unknown
    }
}

/// A message number or size as RFC 1939 §3 writes it: 1 to 9 ASCII digits and nothing
/// else; `None` otherwise.
pub fn parse_number(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(Command::parse(b"retr 2").verb, Verb::Retr);
        assert_eq!(Command::parse(b"Quit").verb, Verb::Quit);
        assert_eq!(Command::parse(b"XTND XMIT").verb, Verb::Unknown);
    }

    #[test]
    fn pass_keeps_spaces_in_the_password() {
        let pass = Command::parse(b"PASS correct horse battery");
        assert_eq!(pass.args, vec![b"correct horse battery".to_vec()]);
    }

    #[test]
    fn framing_is_decided_by_the_command_and_its_arguments() {
        assert!(Command::parse(b"LIST").has_multiline_reply());
        assert!(!Command::parse(b"LIST 1").has_multiline_reply());
        assert!(Command::parse(b"TOP 1 0").has_multiline_reply());
        assert!(Command::parse(b"AUTH").has_multiline_reply());
        assert!(!Command::parse(b"AUTH PLAIN").has_multiline_reply());
        assert!(Command::parse(b"AUTH PLAIN").starts_sasl());
        assert!(!Command::parse(b"STAT").has_multiline_reply());
    }
}
