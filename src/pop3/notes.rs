//! Anomalies: a stable code, the rule it is about, and what it means.

use crate::base::Lang;

/// Something worth a second look, attached to the exchange (or the session) it concerns.
/// Codes are stable: JSON consumers match on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NoteCode {
    /// A line ended with LF alone instead of CRLF (RFC 1939 §3); noted once per direction.
    BareLf,
    /// A command line over 255 octets, CRLF included (RFC 2449 §4).
    CommandTooLong,
    /// A reply's status line over 512 octets, CRLF included (RFC 2449 §4).
    ReplyTooLong,
    /// A keyword that is no command pop3scope knows ([`Verb::Unknown`](crate::pop3::Verb::Unknown)).
    UnknownCommand,
    /// A command the phase it was sent in does not allow (RFC 1939 §4–6).
    WrongPhase,
    /// Too few or too many arguments, or a message number that is not one (RFC 1939 §4–7).
    BadArguments,
    /// A server line with no command waiting for a reply.
    ReplyWithoutCommand,
    /// A line that is neither `+OK` nor `-ERR` where a status line belongs (RFC 1939 §3).
    NotAStatusLine,
    /// The capture has the connection's start, but the first status line answered a command:
    /// there was no greeting (RFC 1939 §4).
    NoGreeting,
    /// A command got no reply before the connection or the capture ended.
    NoReply,
    /// Server bytes are missing from the capture: the reply they cut is incomplete.
    GapInReply,
    /// Client bytes are missing: a command may be lost, and later replies may pair wrongly.
    GapInCommands,
    /// Bytes skipped after a gap, up to a line that is plainly a command or a status line.
    ResyncSkipped,
    /// A multi-line reply ended without its `.` line: the connection ended, or a status line
    /// came in its place (RFC 1939 §3).
    TerminatorMissing,
    /// A retrieved message's octets differ from the size LIST or the `+OK` line announced
    /// (RFC 1939 §11).
    SizeMismatch,
    /// Data after the end of a multi-line reply: the server may not have byte-stuffed a line
    /// starting with `.` (RFC 1939 §3).
    UnstuffedTerminator,
    /// Client bytes sent after STLS and before its reply, to be read as plain text
    /// (RFC 2595 §4; command injection).
    StlsInjectionClient,
    /// Plain text the server sent after its `+OK` to STLS (RFC 2595 §4; response injection).
    StlsInjectionServer,
    /// The client answered a SASL challenge with `*` (RFC 5034 §4).
    SaslCancelled,
    /// A login whose secret anyone on the path can read: PASS, or a SASL mechanism that only
    /// base64-encodes it.
    CleartextPassword,
    /// A line over 64 KiB: its octets were counted, not all kept.
    LineTruncated,
    /// A multi-line reply outgrew [`DecoderOptions::max_body`](crate::pop3::DecoderOptions::max_body):
    /// its later lines were counted, not kept.
    BodyNotKept,
    /// A status line after the reply to QUIT, when the server should have closed (RFC 1939 §6).
    DataAfterQuit,
    /// The connection ended in the middle of a line.
    PartialLineAtEnd,
    /// More commands waited for their replies than the decoder keeps: one was reported without
    /// its reply (the pairing after it may be off).
    TooManyPending,
    /// An AUTH exchange went on for more SASL lines than are kept; the rest were counted.
    SaslTooLong,
    /// A retransmission carried bytes that differ from the ones already seen at the same
    /// stream offset: the first copy was kept, as the receiving host would have (a sign of
    /// evasion or a broken middlebox).
    ConflictingRetransmission,
    /// The decoders of all connections together held more memory than the budget allows: this
    /// connection gave up its partial lines, kept body lines, SASL lines and waiting commands
    /// (each loss also noted where it happened).
    MemoryBudget,
    /// A line with a CR inside it that is not followed by LF (RFC 1939 §3: lines end with CR LF):
    /// two implementations may split such a line differently.
    LoneCr,
    /// A SASL response that is not base64 (RFC 5034 §4).
    BadBase64,
    /// An AUTH PLAIN message that is not `authzid NUL authcid NUL password` (RFC 4616 §2).
    BadAuthPlain,
    /// The client sent what looks like a server's status line (`+OK`, `-ERR`): the two sides
    /// are mixed up, or the flow is not the POP3 it seems.
    ClientSentReply,
    /// The server sent what looks like a client's command where a status line belongs.
    ServerSentCommand,
    /// After repeated violations and no exchange that made sense, the flow is judged not to be
    /// POP3: it is no longer decoded as POP3 (its bytes are counted), as Zeek's dynamic protocol
    /// detection gives up an analyzer.
    NotPop3,
    /// A retrieved message whose MIME does not read: a transfer encoding that does not decode,
    /// or no header lines (RFC 2045 §6, RFC 5322 §2.1).
    BrokenMime,
    /// A message read from a TOP reply stops where TOP stopped: its parts after that are
    /// missing or cut, so its MIME facts cover only what came (RFC 1939 §7).
    TopCutShort,
    /// A TLS session the key log has no secrets for: only what its handshake shows is known.
    TlsNoKey,
    /// A TLS record that does not open with the logged key (a wrong key, or damaged bytes):
    /// that side is not decrypted from there.
    TlsNotAuthentic,
    /// A TLS cipher suite pop3scope does not decrypt (CBC, CCM, export suites…).
    TlsUnsupported,
    /// A gap, or the end of the capture, cut a TLS record: that side is not decrypted from
    /// there.
    TlsRecordCut,
}

impl serde::Serialize for NoteCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl NoteCode {
    /// The code as JSON, the text output and lesson files spell it: `wrong_phase`.
    pub fn name(self) -> &'static str {
        use NoteCode::*;
        match self {
            BareLf => "bare_lf",
            CommandTooLong => "command_too_long",
            ReplyTooLong => "reply_too_long",
            UnknownCommand => "unknown_command",
            WrongPhase => "wrong_phase",
            BadArguments => "bad_arguments",
            ReplyWithoutCommand => "reply_without_command",
            NotAStatusLine => "not_a_status_line",
            NoGreeting => "no_greeting",
            NoReply => "no_reply",
            GapInReply => "gap_in_reply",
            GapInCommands => "gap_in_commands",
            ResyncSkipped => "resync_skipped",
            TerminatorMissing => "terminator_missing",
            SizeMismatch => "size_mismatch",
            UnstuffedTerminator => "unstuffed_terminator",
            StlsInjectionClient => "stls_injection_client",
            StlsInjectionServer => "stls_injection_server",
            SaslCancelled => "sasl_cancelled",
            CleartextPassword => "cleartext_password",
            LineTruncated => "line_truncated",
            BodyNotKept => "body_not_kept",
            DataAfterQuit => "data_after_quit",
            PartialLineAtEnd => "partial_line_at_end",
            TooManyPending => "too_many_pending",
            SaslTooLong => "sasl_too_long",
            ConflictingRetransmission => "conflicting_retransmission",
            MemoryBudget => "memory_budget",
            LoneCr => "lone_cr",
            BadBase64 => "bad_base64",
            BadAuthPlain => "bad_auth_plain",
            ClientSentReply => "client_sent_reply",
            ServerSentCommand => "server_sent_command",
            NotPop3 => "not_pop3",
            BrokenMime => "broken_mime",
            TopCutShort => "top_cut_short",
            TlsNoKey => "tls_no_key",
            TlsNotAuthentic => "tls_not_authentic",
            TlsUnsupported => "tls_unsupported",
            TlsRecordCut => "tls_record_cut",
        }
    }

    /// The rule, with its RFC section.
    pub fn explanation(self) -> &'static str {
        use NoteCode::*;
        match self {
            BareLf => "a line ended with LF alone; POP3 lines end with CRLF (RFC 1939 §3)",
            CommandTooLong => "a command line over 255 octets (RFC 2449 §4)",
            ReplyTooLong => "a reply's first line over 512 octets (RFC 2449 §4)",
            UnknownCommand => "a command that is not POP3 (RFC 1939 §3: servers answer -ERR)",
            WrongPhase => "a command the current phase does not allow (RFC 1939 §3)",
            BadArguments => "the wrong number or form of arguments for this command (RFC 1939 §4–7)",
            ReplyWithoutCommand => "the server replied with no command waiting for a reply",
            NotAStatusLine => "a line where a +OK or -ERR status line belongs (RFC 1939 §3)",
            NoGreeting => "the capture has no server greeting (RFC 1939 §4)",
            NoReply => "the command got no reply before the capture or the connection ended",
            GapInReply => "bytes of this reply are missing from the capture; it is incomplete",
            GapInCommands => {
                "client bytes are missing from the capture; a command may be lost and replies may pair wrongly"
            }
            ResyncSkipped => "bytes skipped until a line that is plainly a command or a status line",
            TerminatorMissing => {
                "a multi-line reply ended without its '.' line: the server stopped, or the capture lost the end (RFC 1939 §3)"
            }
            SizeMismatch => "the octets received differ from the size the server announced (RFC 1939 §11)",
            UnstuffedTerminator => {
                "data after the end of a multi-line reply: the server may not byte-stuff lines starting with '.' (RFC 1939 §3)"
            }
            StlsInjectionClient => {
                "the client sent data after STLS before the server's reply: it will be read as plain text (RFC 2595 §4; command injection)"
            }
            StlsInjectionServer => {
                "the server sent plain text after its +OK to STLS: response injection (RFC 2595 §4)"
            }
            SaslCancelled => "the client cancelled the SASL exchange with '*' (RFC 5034 §4)",
            CleartextPassword => "a password or token crossed the network in clear text (or only base64)",
            LineTruncated => "a line too long to keep whole; its bytes were counted",
            BodyNotKept => "the reply is too large to keep in memory; its lines were counted, not kept",
            DataAfterQuit => "data after the reply to QUIT, when the server should close (RFC 1939 §6)",
            PartialLineAtEnd => "the connection ended in the middle of a line",
            TooManyPending => {
                "more commands waited for their replies than are kept (10,000): a command was reported without its reply, as Zeek does; a client pipelining this far is unusual"
            }
            SaslTooLong => {
                "the AUTH exchange went on far longer than any mechanism needs: the first 64 lines are kept, the rest counted"
            }
            ConflictingRetransmission => {
                "a retransmission carried different bytes for data already seen: the first copy was kept, as the receiver would have; other tools may show the second (an evasion trick or a broken middlebox)"
            }
            MemoryBudget => {
                "all connections together held more decoder memory than the budget (32 MiB): this one gave up its partial lines, kept message lines and waiting commands, each loss noted where it happened"
            }
            LoneCr => {
                "a CR inside a line without its LF (RFC 1939 §3 ends lines with CR LF): another implementation may split this line in two"
            }
            BadBase64 => "a SASL response that is not base64 (RFC 5034 §4): the server should refuse it",
            BadAuthPlain => "an AUTH PLAIN message that is not authzid NUL user NUL password (RFC 4616 §2)",
            ClientSentReply => {
                "the client sent a status line (+OK/-ERR), as a server would: the sides are mixed up, or this is not POP3"
            }
            ServerSentCommand => {
                "the server sent a command where a status line belongs: the sides are mixed up, or this is not POP3"
            }
            NotPop3 => {
                "repeated violations and nothing that made sense as POP3: the flow is no longer decoded as POP3 (its bytes are counted), as Zeek gives up an analyzer"
            }
            BrokenMime => {
                "the retrieved message's MIME does not read: a part whose transfer encoding does not decode, or no header lines (RFC 2045 §6, RFC 5322 §2.1)"
            }
            TopCutShort => {
                "TOP sent only the headers and the first lines: the message's later parts are missing or cut, and its facts cover what came (RFC 1939 §7)"
            }
            TlsNoKey => "the key log has no secrets for this TLS session: only its handshake can be read",
            TlsNotAuthentic => {
                "a TLS record did not open with the logged key (a wrong key, or damaged bytes): that side is not decrypted from there"
            }
            TlsUnsupported => {
                "pop3scope does not decrypt this cipher suite (only AES-GCM and ChaCha20-Poly1305)"
            }
            TlsRecordCut => {
                "a gap or the end of the capture cut a TLS record: that side is not decrypted from there"
            }
        }
    }

    /// The rule, with its RFC section, in `lang` ([`NoteCode::explanation`] in English).
    pub fn explanation_in(self, lang: Lang) -> &'static str {
        use NoteCode::*;
        if lang == Lang::En {
            return self.explanation();
        }
        match self {
            BareLf => "一行只以 LF 结尾；POP3 的行以 CRLF 结尾（RFC 1939 §3）",
            CommandTooLong => "命令行超过 255 个字节（RFC 2449 §4）",
            ReplyTooLong => "回复的第一行超过 512 个字节（RFC 2449 §4）",
            UnknownCommand => "不是 POP3 的命令（RFC 1939 §3：服务器回答 -ERR）",
            WrongPhase => "当前状态不允许的命令（RFC 1939 §3）",
            BadArguments => "这条命令的参数个数或形式不对（RFC 1939 §4–7）",
            ReplyWithoutCommand => "没有命令在等回复，服务器却回复了",
            NotAStatusLine => "这里应当是 +OK 或 -ERR 状态行（RFC 1939 §3）",
            NoGreeting => "抓包中没有服务器的问候（RFC 1939 §4）",
            NoReply => "直到抓包或连接结束，这条命令都没有得到回复",
            GapInReply => "这个回复有些字节不在抓包中；回复不完整",
            GapInCommands => "客户端有些字节不在抓包中；可能丢了一条命令，之后的回复可能配错",
            ResyncSkipped => "跳过了一些字节，直到一行明显是命令或状态行为止",
            TerminatorMissing => {
                "多行回复没有以 '.' 行结束：服务器停止了发送，或者抓包丢了结尾（RFC 1939 §3）"
            }
            SizeMismatch => "收到的字节数与服务器宣布的大小不同（RFC 1939 §11）",
            UnstuffedTerminator => {
                "多行回复结束之后还有数据：服务器可能没有给以 '.' 开头的行填充点（RFC 1939 §3）"
            }
            StlsInjectionClient => {
                "客户端在服务器回复 STLS 之前就发送了数据：这些数据会被当作明文读取（RFC 2595 §4；命令注入）"
            }
            StlsInjectionServer => "服务器在对 STLS 的 +OK 之后又发送了明文：响应注入（RFC 2595 §4）",
            SaslCancelled => "客户端用 '*' 取消了 SASL 交互（RFC 5034 §4）",
            CleartextPassword => "密码或令牌以明文（或仅用 base64 编码）在网络上传送",
            LineTruncated => "一行太长，无法完整保存；它的字节已计数",
            BodyNotKept => "回复太大，无法保存在内存中；它的行只计数，不保存",
            DataAfterQuit => "QUIT 的回复之后还有数据，而服务器本应关闭连接（RFC 1939 §6）",
            PartialLineAtEnd => "连接在一行的中间结束",
            TooManyPending => {
                "等待回复的命令超过了保存上限（10,000 条）：有一条命令在没有回复的情况下被报告，与 Zeek 的做法相同；客户端的流水线很少会排这么长"
            }
            SaslTooLong => "AUTH 交互的行数远远超过任何机制的需要：只保存前 64 行，其余的只计数",
            ConflictingRetransmission => {
                "重传的数据与先前收到的同一位置的字节不同：保留第一份，与接收方的做法相同；别的工具可能显示第二份（规避检测的手法或有问题的中间设备）"
            }
            MemoryBudget => {
                "所有连接的解码器合计占用的内存超过了预算（32 MiB）：这条连接放弃了未完成的行、已保存的邮件行和等待回复的命令，每一处损失都在发生的地方另有说明"
            }
            LoneCr => {
                "行中出现了不带 LF 的 CR（RFC 1939 §3 规定行以 CR LF 结束）：别的实现可能把这一行拆成两行"
            }
            BadBase64 => "SASL 回应不是 base64（RFC 5034 §4）：服务器应当拒绝",
            BadAuthPlain => "AUTH PLAIN 消息不是“授权身份 NUL 用户 NUL 密码”的格式（RFC 4616 §2）",
            ClientSentReply => {
                "客户端发出了状态行（+OK/-ERR），像服务器一样：两端弄反了，或者这根本不是 POP3"
            }
            ServerSentCommand => "服务器在该发状态行的地方发出了命令：两端弄反了，或者这根本不是 POP3",
            NotPop3 => {
                "多次违反协议，且没有任何像 POP3 的交互：不再按 POP3 解码这条连接（只统计字节），与 Zeek 放弃分析器的做法相同"
            }
            BrokenMime => {
                "取回的邮件的 MIME 无法读取：某个部分的传输编码无法解码，或者没有首部行（RFC 2045 §6，RFC 5322 §2.1）"
            }
            TopCutShort => {
                "TOP 只发送了首部和前几行：邮件后面的部分缺失或被截断，关于它的信息只涵盖收到的部分（RFC 1939 §7）"
            }
            TlsNoKey => "密钥日志中没有这个 TLS 会话的密钥：只能读到它的握手",
            TlsNotAuthentic => {
                "有一个 TLS 记录用日志中的密钥无法解开（密钥不对，或者字节损坏）：这一方从此不再解密"
            }
            TlsUnsupported => "pop3scope 不解密这种密码套件（只支持 AES-GCM 和 ChaCha20-Poly1305）",
            TlsRecordCut => "缺口或抓包的结束截断了一个 TLS 记录：这一方从此不再解密",
        }
    }
}

/// A note and what it is about.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Note {
    /// What kind of anomaly it is: the part consumers match on.
    pub code: NoteCode,
    /// Specific detail: which sizes, or which bytes — the bytes as they were on the wire
    /// (at most [`Note::MAX_SAMPLE`] of them), never escaped: showing them safely is the
    /// front end's business ([`crate::base::escape`]).
    pub detail: Vec<u8>,
}

impl Note {
    /// Bytes of a line kept in a note's detail at most.
    pub const MAX_SAMPLE: usize = 256;

    /// A note with its detail: words (`format!`), or wire bytes as they came.
    pub fn new(code: NoteCode, detail: impl Into<Vec<u8>>) -> Self {
        Note {
            code,
            detail: detail.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_snake_case_name() {
        use NoteCode::*;
        let all = [
            BareLf,
            CommandTooLong,
            ReplyTooLong,
            UnknownCommand,
            WrongPhase,
            BadArguments,
            ReplyWithoutCommand,
            NotAStatusLine,
            NoGreeting,
            NoReply,
            GapInReply,
            GapInCommands,
            ResyncSkipped,
            TerminatorMissing,
            SizeMismatch,
            UnstuffedTerminator,
            StlsInjectionClient,
            StlsInjectionServer,
            SaslCancelled,
            CleartextPassword,
            LineTruncated,
            BodyNotKept,
            DataAfterQuit,
            PartialLineAtEnd,
            TooManyPending,
            SaslTooLong,
            ConflictingRetransmission,
            MemoryBudget,
            LoneCr,
            BadBase64,
            BadAuthPlain,
            ClientSentReply,
            ServerSentCommand,
            NotPop3,
            BrokenMime,
            TopCutShort,
            TlsNoKey,
            TlsNotAuthentic,
            TlsUnsupported,
            TlsRecordCut,
        ];
        let mut names: Vec<&str> = all.iter().map(|code| code.name()).collect();
        for (code, name) in all.iter().zip(&names) {
            let debug = format!("{code:?}");
            let snake: String = debug
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let sep = (i > 0 && c.is_ascii_uppercase()).then_some('_');
                    sep.into_iter().chain([c.to_ascii_lowercase()])
                })
                .collect();
            assert_eq!(*name, snake);
            assert_eq!(serde_json::to_string(code).unwrap(), format!("\"{name}\""));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }
}
