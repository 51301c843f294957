//! What a row of the conversation says and what it means, as plain text: the row itself, and
//! the detail of a row (command, reply, data, notes, packets, bytes). UI-free: the terminal
//! view draws it, lessons print it. Wire bytes pass through [`escape`]; secrets are masked
//! unless `show_secrets`.

use base64::Engine as _;

use crate::base::escape;
use crate::base::{Direction, Lang};
use crate::mail::MessageFacts;
use crate::pop3::Exchange;
use crate::pop3::sasl::MASK;
use crate::pop3::{Note, NoteCode, Phase, Status, Verb, capability_meaning_in};
use crate::session::SessionEnd;
use crate::view::timeline::{LineKind, SessionView};

/// How a detail line is meant to look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// The title of a section: `COMMAND`, `REPLY`, `NOTES`, …
    Heading,
    /// Explanation in pop3scope's words.
    Plain,
    /// Bytes as they were on the wire (escaped).
    Wire,
    /// Secondary facts: frame numbers, how much was left out.
    Quiet,
    /// Something wrong or risky: a note, a missing reply, deletions that did not happen.
    Warning,
    /// An outcome as the protocol intends it, such as marked messages deleted at UPDATE.
    Good,
}

/// The lines of a detail pane, in order, each with how it is meant to look.
pub type Detail = Vec<(Tone, String)>;

/// A detail without pop3scope's explanations (the plain-text meanings): only what the capture
/// holds — headings, wire text, frames, bytes, warnings. For a screen where a question waits.
pub fn without_explanations(detail: Detail) -> Detail {
    detail
        .into_iter()
        .filter(|(tone, _)| *tone != Tone::Plain)
        .collect()
}

/// Bytes of a row shown in the hex dump at most.
const HEX_LIMIT: usize = 512;

/// The command line as shown: escaped, secrets masked.
pub fn command_text(exchange: &Exchange, show_secrets: bool) -> String {
    command_text_in(exchange, show_secrets, Lang::En)
}

/// The command line as shown: escaped, secrets masked; when there is none, why, in `lang`.
fn command_text_in(exchange: &Exchange, show_secrets: bool, lang: Lang) -> String {
    let Some(command) = &exchange.command else {
        let lost = exchange.notes.iter().any(|n| n.code == NoteCode::GapInCommands);
        return if lost {
            words(lang).command_lost.to_string()
        } else {
            words(lang).no_command.to_string()
        };
    };
    let mut text = escape(&command.keyword);
    for (i, arg) in command.args.iter().enumerate() {
        text.push(' ');
        if show_secrets || !crate::pop3::sasl::is_secret_arg(command, i) {
            text.push_str(&escape(arg));
        } else {
            text.push_str(MASK);
        }
    }
    text
}

/// What a TLS handshake showed, a fact a line; names from the wire escaped. Facts the capture
/// holds, not explanations: shown while a lesson's question waits.
fn tls_facts(out: &mut Detail, tls: &crate::tls::TlsFacts, w: &DetailWords) {
    let shown = |text: &str| escape(text.as_bytes());
    if let Some(version) = &tls.version {
        out.push((
            Tone::Wire,
            (w.tls_version)(version, &tls.offered_versions.join(", ")),
        ));
    }
    if let Some(cipher) = &tls.cipher {
        out.push((Tone::Wire, format!("{}: {cipher}", w.tls_cipher)));
    }
    if let Some(sni) = &tls.sni {
        out.push((Tone::Wire, format!("{}: {}", w.tls_sni, shown(sni))));
    }
    if !tls.alpn.is_empty() {
        let alpn: Vec<String> = tls.alpn.iter().map(|p| shown(p)).collect();
        out.push((Tone::Wire, format!("{}: {}", w.tls_alpn, alpn.join(", "))));
    }
    for cert in &tls.certificates {
        let cert = crate::tls::CertificateFacts {
            subject: shown(&cert.subject),
            issuer: shown(&cert.issuer),
            names: cert.names.iter().map(|n| shown(n)).collect(),
            ..cert.clone()
        };
        out.push((Tone::Wire, (w.tls_certificate)(&cert)));
    }
    for (name, value) in [("JA3", &tls.ja3_hash), ("JA4", &tls.ja4)] {
        if let Some(value) = value {
            out.push((Tone::Wire, format!("{name} ({}): {value}", w.tls_fingerprint)));
        }
    }
    for alert in &tls.alerts {
        out.push((Tone::Wire, format!("{}: {alert}", w.tls_alert)));
    }
    out.push((Tone::Quiet, (w.tls_records)(tls.records, tls.application_records)));
}

/// The words of the rows a screen shows, in each language.
struct Words {
    command_lost: &'static str,
    no_command: &'static str,
    no_reply: &'static str,
    end: &'static str,
    tls_implicit: &'static str,
    tls_here: &'static str,
    tls_implicit_decrypted: &'static str,
    tls_here_decrypted: &'static str,
    decrypted_mark: &'static str,
    end_reasons: [&'static str; 6],
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            command_lost: "(command lost in a gap of the capture)",
            no_command: "(no command: the server spoke on its own)",
            no_reply: "(no reply)",
            end: "end",
            tls_implicit: "── TLS from the first byte (port 995): everything is encrypted ──",
            tls_here: "── TLS from here: the rest is encrypted ──",
            tls_implicit_decrypted: "── TLS from the first byte (port 995): decrypted with the key log ──",
            tls_here_decrypted: "── TLS from here: decrypted with the key log ──",
            decrypted_mark: "decrypted",
            end_reasons: [
                "the server answered QUIT",
                "the connection closed (FIN) without QUIT answered",
                "the connection was reset (RST)",
                "the capture ended while the connection was open",
                "the connection went idle and was closed by pop3scope",
                "pop3scope had to drop the connection (too many open)",
            ],
        },
        Lang::Zh => Words {
            command_lost: "（命令丢失在抓包的缺口里）",
            no_command: "（没有命令：服务器主动发出）",
            no_reply: "（没有回复）",
            end: "结束",
            tls_implicit: "── 从第一个字节起就是 TLS（端口 995）：全部加密 ──",
            tls_here: "── 从这里起是 TLS：其余内容全部加密 ──",
            tls_implicit_decrypted: "── 从第一个字节起就是 TLS（端口 995）：已用密钥日志解密 ──",
            tls_here_decrypted: "── 从这里起是 TLS：已用密钥日志解密 ──",
            decrypted_mark: "已解密",
            end_reasons: [
                "服务器回复了 QUIT",
                "连接已关闭（FIN），QUIT 没有得到回复",
                "连接被重置（RST）",
                "抓包结束时连接仍然打开",
                "连接空闲，被 pop3scope 关闭",
                "打开的连接太多，pop3scope 只好放弃这个连接",
            ],
        },
    }
}

/// The words of the detail pane, in each language: headings, meanings, facts. Phase names,
/// protocol keywords, note codes and RFC sections stay as they are; the wire's bytes are never
/// translated.
struct DetailWords {
    no_pop3_yet: &'static str,
    greeting_heading: &'static str,
    greeting_ready_apop: &'static str,
    greeting_ready: &'static str,
    greeting_refused: &'static str,
    packets_heading: &'static str,
    frame: fn(u64) -> String,
    frames: fn(u64, u64) -> String,
    note_heading: fn(&str) -> String,
    notes_heading: &'static str,
    here: fn(&str) -> String,
    tls_implicit: &'static str,
    tls_stls: &'static str,
    tls_still_visible: &'static str,
    tls_encrypted_bytes: fn(u64, u64) -> String,
    tls_decrypted: &'static str,
    decrypted_line: &'static str,
    decrypted_byte: fn(u64, u64) -> String,
    bytes_decrypted: fn(&str) -> String,
    tls_version: fn(&str, &str) -> String,
    tls_cipher: &'static str,
    tls_sni: &'static str,
    tls_alpn: &'static str,
    tls_certificate: fn(&crate::tls::CertificateFacts) -> String,
    tls_fingerprint: &'static str,
    tls_alert: &'static str,
    tls_records: fn([u64; 2], [u64; 2]) -> String,
    end_heading: &'static str,
    final_phase: fn(&str) -> String,
    deleted_at_update: fn(&[String]) -> String,
    not_deleted: fn(&[String]) -> String,
    exchange_heading: fn(u32, &str) -> String,
    inferred: &'static str,
    pipelined: &'static str,
    command_heading: &'static str,
    verb_meaning: fn(&str, &str) -> String,
    not_base64: &'static str,
    initial_secret: &'static str,
    initial_response: fn(&str) -> String,
    sent_in: fn(&str, bool) -> String,
    allowed_in: fn(&str, &str) -> String,
    phase_separator: &'static str,
    no_phase: &'static str,
    sasl_heading: &'static str,
    sasl_secret: &'static str,
    sasl_decoded: fn(&str) -> String,
    sasl_cancel: &'static str,
    reply_heading: &'static str,
    reply_hidden: &'static str,
    reply_missing: &'static str,
    incomplete: fn(Option<(u64, u64)>) -> String,
    status_ok: &'static str,
    status_err: &'static str,
    unknown_code: &'static str,
    answered_after: fn(&str) -> String,
    millis: fn(f64) -> String,
    data_heading: fn(u64, u64, &str) -> String,
    view_as_sent: &'static str,
    view_meaning: &'static str,
    lines_not_kept: fn(u64) -> String,
    end_of_data: &'static str,
    quit_in_transaction: &'static str,
    command_packets: fn(u64, &str) -> String,
    reply_packets: fn(&str, &str) -> String,
    seq: fn(u64, u64) -> String,
    stream_byte: fn(u64, u64) -> String,
    bytes_missing: fn(u64) -> String,
    what_reply: &'static str,
    what_sasl: &'static str,
    what_command: &'static str,
    bytes_captured: fn(&str) -> String,
    bytes_rebuilt_lines: fn(&str) -> String,
    bytes_rebuilt_line: fn(&str) -> String,
    bytes_secret: &'static str,
    more_bytes: fn(usize) -> String,
    message_heading: &'static str,
    /// From, To, Cc, Subject, Date.
    message_labels: [&'static str; 5],
    part_size: fn(u64) -> String,
    attachment: &'static str,
    parts_not_listed: fn(u64) -> String,
    message_incomplete: &'static str,
}

fn detail_words(lang: Lang) -> DetailWords {
    match lang {
        Lang::En => DetailWords {
            no_pop3_yet: "No POP3 yet.",
            greeting_heading: "GREETING (RFC 1939 §4)",
            greeting_ready_apop: "The server is ready; the session is in AUTHORIZATION. The <…> timestamp offers APOP login (RFC 1939 §7).",
            greeting_ready: "The server is ready; the session is in AUTHORIZATION.",
            greeting_refused: "The server refuses the connection.",
            packets_heading: "PACKETS",
            frame: |frame| format!("frame {frame}"),
            frames: |first, last| format!("frames {first}–{last}"),
            note_heading: |code| format!("NOTE {code}"),
            notes_heading: "NOTES",
            here: |detail| format!("here: {detail}"),
            tls_implicit: "On port 995 the session is TLS from its first byte (implicit TLS, RFC 8314): the greeting, commands, replies and passwords are all encrypted.",
            tls_stls: "After +OK to STLS both sides speak TLS (RFC 2595 §4): from here commands, replies and passwords are encrypted.",
            tls_still_visible: "Still visible to anyone on the path: the addresses and ports, when each side talks, and how many bytes.",
            tls_encrypted_bytes: |client, server| {
                format!("encrypted bytes: {client} from the client, {server} from the server")
            },
            tls_decrypted: "Opened with the key log (--keylog): the POP3 below was read inside TLS. Without the key, the path sees only the handshake, sizes and timing.",
            decrypted_line: "DECRYPTED: sent inside TLS, read with the key log (--keylog).",
            decrypted_byte: |at, len| format!("decrypted byte {at}, len {len}"),
            bytes_decrypted: |what| format!("BYTES of the {what}, as decrypted (its line ending included)"),
            tls_version: |chosen, offered| match offered {
                "" => format!("version: {chosen}"),
                offered => format!("version: {chosen} (the client offered {offered})"),
            },
            tls_cipher: "cipher suite",
            tls_sni: "SNI, the server name the client asked for, in the clear",
            tls_alpn: "ALPN, the protocols the client offered",
            tls_certificate: |cert| {
                let signed = if cert.self_signed {
                    "; self-signed: nobody vouches for it"
                } else {
                    ""
                };
                let names = match cert.names.join(", ") {
                    names if names.is_empty() => String::new(),
                    names => format!("; names {names}"),
                };
                format!(
                    "certificate: {}, issued by {}, valid {} to {}{names}{signed}",
                    cert.subject, cert.issuer, cert.not_before, cert.not_after
                )
            },
            tls_fingerprint: "the client's fingerprint",
            tls_alert: "alert",
            tls_records: |records, application| {
                format!(
                    "records: {} from the client ({} of data), {} from the server ({} of data)",
                    records[0], application[0], records[1], application[1]
                )
            },
            end_heading: "SESSION END",
            final_phase: |phase| format!("final phase: {phase}"),
            deleted_at_update: |marked| {
                format!("UPDATE: messages {} deleted (RFC 1939 §6)", marked.join(", "))
            },
            not_deleted: |marked| {
                format!(
                    "messages {} stay on the server: no QUIT was answered in TRANSACTION (RFC 1939 §6)",
                    marked.join(", ")
                )
            },
            exchange_heading: |index, phase| format!("EXCHANGE {index} · {phase}"),
            inferred: " (inferred)",
            pipelined: " · pipelined: sent before the previous reply arrived",
            command_heading: "COMMAND",
            verb_meaning: |verb, meaning| format!("{verb} {meaning}"),
            not_base64: "not base64",
            initial_secret: "a secret (masked)",
            initial_response: |decoded| format!("initial response, base64 for {decoded}"),
            sent_in: |phase, allowed| {
                if allowed {
                    format!(" · sent in {phase}: allowed")
                } else {
                    format!(" · sent in {phase}: NOT allowed")
                }
            },
            allowed_in: |phases, verdict| format!("allowed in: {phases}{verdict}"),
            phase_separator: ", ",
            no_phase: "no phase: servers answer -ERR",
            sasl_heading: "SASL (RFC 5034 §4; base64 is an encoding, not encryption)",
            sasl_secret: "secret (masked)",
            sasl_decoded: |text| format!("decoded: \"{text}\""),
            sasl_cancel: "cancels the exchange",
            reply_heading: "REPLY",
            reply_hidden: "hidden until the class has answered",
            reply_missing: "no reply was captured",
            incomplete: |octets| match octets {
                Some((received, announced)) => format!(
                    "INCOMPLETE: {received} of the {announced} octets announced were captured (see NOTES)"
                ),
                None => "INCOMPLETE (see NOTES)".to_string(),
            },
            status_ok: "+OK: the command succeeded",
            status_err: "-ERR: the command failed; the session stays in the same phase",
            unknown_code: "a response code this tool does not know",
            answered_after: |time| format!("answered after {time}"),
            millis: |ms| format!("{ms:.3} ms"),
            data_heading: |lines, octets, view| {
                let s = if lines == 1 { "" } else { "s" };
                format!("DATA {lines} line{s}, {octets} octets · {view}")
            },
            view_as_sent: "as sent: dot-stuffed (w: meaning)",
            view_meaning: "meaning: unstuffed (w: as sent)",
            lines_not_kept: |lines| format!("… {lines} more lines not kept for display"),
            end_of_data: ".\\r\\n   — end of the data (RFC 1939 §3)",
            quit_in_transaction: "QUIT in TRANSACTION: the server enters UPDATE and deletes the marked messages (RFC 1939 §6)",
            command_packets: |frame, range| format!("command: frame {frame}, {range}"),
            reply_packets: |frames, range| format!("reply: {frames}, {range}"),
            seq: |seq, len| format!("seq {seq}, len {len}"),
            stream_byte: |start, len| format!("byte {start} of the captured stream (no SYN seen), len {len}"),
            bytes_missing: |missing| format!("{missing} bytes of the reply are missing from the capture"),
            what_reply: "reply",
            what_sasl: "SASL line",
            what_command: "command",
            bytes_captured: |what| format!("BYTES of the {what}, as captured (its line ending included)"),
            bytes_rebuilt_lines: |what| {
                format!("BYTES of the {what} (rebuilt from its lines: CRLF ends, dots stuffed)")
            },
            bytes_rebuilt_line: |what| {
                format!("BYTES of the {what} (rebuilt from the decoded line, CRLF at its end)")
            },
            bytes_secret: "hidden: it carries a secret",
            more_bytes: |bytes| format!("… {bytes} more bytes"),
            message_heading: "MESSAGE",
            message_labels: ["From", "To", "Cc", "Subject", "Date"],
            part_size: |size| format!(" {size} B"),
            attachment: " attachment",
            parts_not_listed: |more| format!("{more} more parts not listed"),
            message_incomplete: "not the whole message: the capture does not hold all of it (or it is a TOP)",
        },
        Lang::Zh => DetailWords {
            no_pop3_yet: "还没有 POP3 内容。",
            greeting_heading: "问候（GREETING，RFC 1939 §4）",
            greeting_ready_apop: "服务器已就绪；会话处于授权状态（AUTHORIZATION）。<…> 时间戳表示可以用 APOP 登录（RFC 1939 §7）。",
            greeting_ready: "服务器已就绪；会话处于授权状态（AUTHORIZATION）。",
            greeting_refused: "服务器拒绝了这个连接。",
            packets_heading: "数据包（PACKETS）",
            frame: |frame| format!("帧 {frame}"),
            frames: |first, last| format!("帧 {first}–{last}"),
            note_heading: |code| format!("提示（NOTE）：{code}"),
            notes_heading: "提示（NOTES）",
            here: |detail| format!("此处：{detail}"),
            tls_implicit: "在 995 端口上，会话从第一个字节起就是 TLS（隐式 TLS，RFC 8314）：问候、命令、回复和密码全部加密。",
            tls_stls: "STLS 得到 +OK 之后，双方都改用 TLS（RFC 2595 §4）：从这里起，命令、回复和密码都是加密的。",
            tls_still_visible: "路径上的任何人仍然看得见：地址和端口、每一方什么时候发送，以及发送了多少字节。",
            tls_encrypted_bytes: |client, server| {
                format!("加密的字节：客户端 {client} 字节，服务器 {server} 字节")
            },
            tls_decrypted: "已用密钥日志（--keylog）解开：下面的 POP3 是在 TLS 里面读到的。没有密钥的人，在路径上只能看到握手、大小和时间。",
            decrypted_line: "已解密：这是在 TLS 里面发送的，用密钥日志（--keylog）读出。",
            decrypted_byte: |at, len| format!("解密后第 {at} 字节，长度 {len}"),
            bytes_decrypted: |what| format!("字节（BYTES）：{what}解密后的字节（含行尾）"),
            tls_version: |chosen, offered| match offered {
                "" => format!("版本：{chosen}"),
                offered => format!("版本：{chosen}（客户端提供了 {offered}）"),
            },
            tls_cipher: "密码套件",
            tls_sni: "SNI：客户端请求的服务器名，明文可见",
            tls_alpn: "ALPN：客户端提供的协议",
            tls_certificate: |cert| {
                let signed = if cert.self_signed {
                    "；自签名：没有人为它担保"
                } else {
                    ""
                };
                let names = match cert.names.join(", ") {
                    names if names.is_empty() => String::new(),
                    names => format!("；名称 {names}"),
                };
                format!(
                    "证书：{}，签发者 {}，有效期 {} 至 {}{names}{signed}",
                    cert.subject, cert.issuer, cert.not_before, cert.not_after
                )
            },
            tls_fingerprint: "客户端指纹",
            tls_alert: "警报",
            tls_records: |records, application| {
                format!(
                    "记录：客户端 {} 个（数据 {} 个），服务器 {} 个（数据 {} 个）",
                    records[0], application[0], records[1], application[1]
                )
            },
            end_heading: "会话结束（SESSION END）",
            final_phase: |phase| format!("最终状态：{phase}"),
            deleted_at_update: |marked| {
                format!("UPDATE：第 {} 封邮件已删除（RFC 1939 §6）", marked.join("、"))
            },
            not_deleted: |marked| {
                let why = "在事务处理状态（TRANSACTION）中没有 QUIT 得到回复（RFC 1939 §6）";
                if marked.is_empty() {
                    format!("没有邮件被删除：{why}")
                } else {
                    format!("第 {} 封邮件仍留在服务器上：{why}", marked.join("、"))
                }
            },
            exchange_heading: |index, phase| format!("交互（EXCHANGE）{index} · {phase}"),
            inferred: "（推断）",
            pipelined: " · 流水线：在上一个回复到达之前就已发出",
            command_heading: "命令（COMMAND）",
            verb_meaning: |verb, meaning| format!("{verb}：{meaning}"),
            not_base64: "不是 base64",
            initial_secret: "秘密（已遮住）",
            initial_response: |decoded| format!("初始响应（base64 解码）：{decoded}"),
            sent_in: |phase, allowed| {
                if allowed {
                    format!(" · 在 {phase} 中发送：允许")
                } else {
                    format!(" · 在 {phase} 中发送：不允许")
                }
            },
            allowed_in: |phases, verdict| format!("允许的状态：{phases}{verdict}"),
            phase_separator: "、",
            no_phase: "无（服务器回答 -ERR）",
            sasl_heading: "SASL（RFC 5034 §4；base64 只是编码，不是加密）",
            sasl_secret: "秘密（已遮住）",
            sasl_decoded: |text| format!("解码：\"{text}\""),
            sasl_cancel: "取消这次交互",
            reply_heading: "回复（REPLY）",
            reply_hidden: "全班作答之前不显示",
            reply_missing: "没有抓到回复",
            incomplete: |octets| match octets {
                Some((received, announced)) => {
                    format!("不完整（INCOMPLETE）：宣布的 {announced} 字节只抓到 {received} 字节（见提示）")
                }
                None => "不完整（INCOMPLETE，见提示）".to_string(),
            },
            status_ok: "+OK：命令成功",
            status_err: "-ERR：命令失败；会话仍处于原来的状态",
            unknown_code: "本工具不认识的响应码",
            answered_after: |time| format!("回复用时 {time}"),
            millis: |ms| format!("{ms:.3} 毫秒"),
            data_heading: |lines, octets, view| format!("数据（DATA）：{lines} 行，{octets} 字节 · {view}"),
            view_as_sent: "原始字节视图：含填充的点（w：含义视图）",
            view_meaning: "含义视图：已去掉填充的点（w：原始字节视图）",
            lines_not_kept: |lines| format!("… 另有 {lines} 行没有保留，不显示"),
            end_of_data: ".\\r\\n   — 数据结束（RFC 1939 §3）",
            quit_in_transaction: "在事务处理状态（TRANSACTION）发送 QUIT：服务器进入更新状态（UPDATE），删除被标记的邮件（RFC 1939 §6）",
            command_packets: |frame, range| format!("命令：帧 {frame}，{range}"),
            reply_packets: |frames, range| format!("回复：{frames}，{range}"),
            seq: |seq, len| format!("相对序号 {seq}，长度 {len}"),
            stream_byte: |start, len| format!("抓到的字节流中的第 {start} 字节（没有看到 SYN），长度 {len}"),
            bytes_missing: |missing| format!("回复有 {missing} 字节不在抓包中"),
            what_reply: "回复",
            what_sasl: "SASL 行",
            what_command: "命令",
            bytes_captured: |what| format!("字节（BYTES）：{what}的原始字节，按抓包所记（含行尾）"),
            bytes_rebuilt_lines: |what| {
                format!("字节（BYTES）：{what}的字节，由各行重建（以 CRLF 结尾，点已填充）")
            },
            bytes_rebuilt_line: |what| {
                format!("字节（BYTES）：{what}的字节，由解码后的行重建（末尾加 CRLF）")
            },
            bytes_secret: "不显示：其中含有秘密",
            more_bytes: |bytes| format!("… 另有 {bytes} 字节"),
            message_heading: "邮件",
            message_labels: ["发件人", "收件人", "抄送", "主题", "日期"],
            part_size: |size| format!(" {size} 字节"),
            attachment: " 附件",
            parts_not_listed: |more| format!("另有 {more} 个部分未列出"),
            message_incomplete: "邮件不完整：抓包里没有它的全部字节（或只是 TOP）",
        },
    }
}

fn reply_text(exchange: &Exchange, lang: Lang) -> String {
    match &exchange.reply {
        Some(reply) => format!("{} {}", reply.status.as_str(), escape(&reply.text))
            .trim_end()
            .to_string(),
        None => words(lang).no_reply.to_string(),
    }
}

fn sasl_text(exchange: &Exchange, index: usize, show_secrets: bool) -> String {
    let line = &exchange.sasl[index];
    match line.from {
        Direction::ServerToClient => format!("+ {}", escape(&line.data)).trim_end().to_string(),
        Direction::ClientToServer if show_secrets || !crate::pop3::sasl::is_secret_sasl(exchange, index) => {
            escape(&line.data)
        }
        Direction::ClientToServer => MASK.to_string(),
    }
}

/// How a session ended, in words.
fn end_reason(reason: SessionEnd, lang: Lang) -> &'static str {
    let index = match reason {
        SessionEnd::Quit => 0,
        SessionEnd::Fin => 1,
        SessionEnd::Rst => 2,
        SessionEnd::Eof => 3,
        SessionEnd::Idle => 4,
        _ => 5,
    };
    words(lang).end_reasons[index]
}

/// The text of one conversation row, in English.
pub fn line_text(session: &SessionView, line: usize, show_secrets: bool) -> String {
    line_text_in(session, line, show_secrets, Lang::En)
}

/// What follows a conversation row read inside TLS with the key log, or nothing.
pub fn decrypted_mark_in(session: &SessionView, line: usize, lang: Lang) -> Option<&'static str> {
    let decrypted = match session.lines.get(line)?.kind {
        LineKind::Greeting => session.greeting.as_ref().is_some_and(|g| g.decrypted),
        LineKind::Command(n) | LineKind::Sasl(n, _) | LineKind::Reply(n) => session.exchanges[n].decrypted,
        _ => false,
    };
    decrypted.then(|| words(lang).decrypted_mark)
}

/// The text of one conversation row: the wire's bytes escaped, pop3scope's own words in `lang`.
pub fn line_text_in(session: &SessionView, line: usize, show_secrets: bool, lang: Lang) -> String {
    let w = words(lang);
    let Some(seen) = session.lines.get(line) else {
        return String::new();
    };
    match seen.kind {
        LineKind::Greeting => session.greeting.as_ref().map_or_else(String::new, |g| {
            format!("{} {}", g.status.as_str(), escape(&g.text))
                .trim_end()
                .to_string()
        }),
        LineKind::Command(n) => command_text_in(&session.exchanges[n], show_secrets, lang),
        LineKind::Sasl(n, i) => sasl_text(&session.exchanges[n], i, show_secrets),
        LineKind::Reply(n) => {
            let exchange = &session.exchanges[n];
            let mut text = reply_text(exchange, lang);
            if let Some(body) = exchange.reply.as_ref().and_then(|r| r.body.as_ref()) {
                let count = body.line_count;
                match lang {
                    Lang::En => {
                        let s = if count == 1 { "" } else { "s" };
                        text.push_str(&format!("  [+{count} line{s}]"));
                    }
                    Lang::Zh => text.push_str(&format!("  [另有 {count} 行]")),
                }
            }
            text
        }
        LineKind::Note(n) => {
            let (note, _) = &session.notes[n];
            if note.detail.is_empty() {
                format!("! {}", note.code.name())
            } else {
                format!("! {} ({})", note.code.name(), note_detail_in(note, lang))
            }
        }
        LineKind::TlsStarted => match (session.info.implicit_tls, session.decrypted()) {
            (true, false) => w.tls_implicit.to_string(),
            (false, false) => w.tls_here.to_string(),
            (true, true) => w.tls_implicit_decrypted.to_string(),
            (false, true) => w.tls_here_decrypted.to_string(),
        },
        LineKind::Ended => match &session.ending {
            Some(ending) => match lang {
                Lang::En => format!("── {}: {} ──", w.end, end_reason(ending.reason, lang)),
                Lang::Zh => format!("── {}：{} ──", w.end, end_reason(ending.reason, lang)),
            },
            None => format!("── {} ──", w.end),
        },
    }
}

/// Bytes of a note's detail shown on a terminal at most; the rest is `…`.
const NOTE_DETAIL_SHOWN: usize = 60;

/// A note's detail as a terminal shows it: escaped, and cut after 60 bytes
/// (JSON keeps it whole and exact).
pub fn note_detail(note: &Note) -> String {
    let shown = &note.detail[..note.detail.len().min(NOTE_DETAIL_SHOWN)];
    let mut text = escape(shown);
    if note.detail.len() > shown.len() {
        text.push('…');
    }
    text
}

/// A note's detail in `lang`: the decoder words its details in English (JSON keeps them so);
/// a Chinese class sees the same facts in Chinese. Details that quote the wire are left as
/// they came; only the words around a quote are translated.
pub fn note_detail_in(note: &Note, lang: Lang) -> String {
    if lang == Lang::En {
        return note_detail(note);
    }
    // Translated whole, then cut as the English is: after 60 characters.
    let text = escape(&note.detail);
    let translated = match note.code {
        // Quotes of the wire, nothing else.
        NoteCode::NotAStatusLine | NoteCode::UnknownCommand | NoteCode::StlsInjectionServer => text,
        NoteCode::SizeMismatch => {
            // "message N: A octets announced, R received"
            let numbers: Vec<&str> = text
                .split(|c: char| !c.is_ascii_digit())
                .filter(|w| !w.is_empty())
                .collect();
            match numbers.as_slice() {
                [number, announced, received] => {
                    format!("第 {number} 封邮件：声明 {announced} 字节，收到 {received} 字节")
                }
                _ => text,
            }
        }
        NoteCode::TopCutShort => {
            // "message N: R of its S octets"
            let numbers: Vec<&str> = text
                .split(|c: char| !c.is_ascii_digit())
                .filter(|w| !w.is_empty())
                .collect();
            match numbers.as_slice() {
                [number, received, size] => {
                    format!("第 {number} 封邮件：共 {size} 字节，收到 {received} 字节")
                }
                _ => text,
            }
        }
        NoteCode::BrokenMime => text
            .replacen(
                "no message could be read (no header lines)",
                "无法读取邮件（没有首部行）",
                1,
            )
            .replacen(": its transfer encoding does not decode", "：传输编码无法解码", 1)
            .replacen("part ", "部分 ", 1)
            .replacen(" (and ", "（另有 ", 1)
            .replacen(" more)", " 处）", 1),
        NoteCode::WrongPhase => text.replacen(" in ", " 出现在 ", 1),
        NoteCode::ConflictingRetransmission => text
            .replacen(" bytes differ; kept ", " 字节不同；保留 ", 1)
            .replacen("\", not \"", "\"，而不是 \"", 1),
        _ => ZH_DETAIL_PHRASES
            .iter()
            .fold(text, |text, (en, zh)| text.replace(en, zh)),
    };
    match translated.char_indices().nth(NOTE_DETAIL_SHOWN) {
        Some((cut, _)) => format!("{}…", &translated[..cut]),
        None => translated,
    }
}

/// The phrases the decoder words its details with, and their Chinese, longest first where one
/// contains another.
const ZH_DETAIL_PHRASES: [(&str, &str); 26] = [
    (
        "the connection ended inside the reply, ",
        "连接在回复的中途结束，",
    ),
    ("the connection ended inside the reply", "连接在回复的中途结束"),
    (" bytes into a line", " 字节停在一行中间"),
    ("bytes of the greeting missing", "问候行的字节缺失"),
    ("server bytes after a gap", "缺口之后的服务器字节"),
    ("server bytes missing", "服务器字节缺失"),
    ("client bytes missing", "客户端字节缺失"),
    ("server bytes", "服务器字节"),
    ("client bytes", "客户端字节"),
    ("from the server", "来自服务器"),
    ("from the client", "来自客户端"),
    ("argument(s)", "个参数"),
    (
        "a status line arrived inside the data lines",
        "数据行中间出现了状态行",
    ),
    ("sent before the STLS reply", "在 STLS 的回复之前发送"),
    (
        "the decoders' memory budget was reached",
        "解码器的内存预算已用完",
    ),
    ("after the first 64", "前 64 行之后"),
    ("lines not kept (", "行未保存（"),
    (")", "）"),
    ("bytes of decoder state given up", "字节的解码器状态被放弃"),
    ("; the mailbox mirror forgot ", "；邮箱镜像忘记了 "),
    (" messages", " 封邮件"),
    ("more than ", "超过 "),
    (" commands waited for their replies", " 条命令在等待回复"),
    ("over ", "超过 "),
    ("octets", "字节"),
    ("bytes", "字节"),
];

fn phases_allowing(verb: Verb, lang: Lang) -> String {
    let w = detail_words(lang);
    let allowed: Vec<&str> = [Phase::Authorization, Phase::Transaction]
        .into_iter()
        .filter(|p| crate::pop3::allows(*p, verb))
        .map(Phase::name)
        .collect();
    if allowed.is_empty() {
        w.no_phase.to_string()
    } else {
        allowed.join(w.phase_separator)
    }
}

fn status_meaning(status: Status, lang: Lang) -> &'static str {
    let w = detail_words(lang);
    match status {
        Status::Ok => w.status_ok,
        Status::Err => w.status_err,
    }
}

fn millis(from: crate::base::Timestamp, to: crate::base::Timestamp, lang: Lang) -> String {
    (detail_words(lang).millis)(to.seconds_since(from) * 1000.0)
}

/// Where bytes sit in one direction's stream, as Wireshark counts: relative sequence number
/// and length; inside TLS, where they sit in the decrypted stream.
fn stream_range(session: &SessionView, exchange: &Exchange, start: u64, end: u64, lang: Lang) -> String {
    let w = detail_words(lang);
    let len = end.saturating_sub(start);
    if exchange.decrypted {
        (w.decrypted_byte)(start, len)
    } else if session.info.handshake {
        (w.seq)(start + 1, len)
    } else {
        (w.stream_byte)(start, len)
    }
}

/// The wire bytes of an exchange's command line: as captured, or rebuilt when the decoder did
/// not keep them (a command made by hand).
fn command_wire(exchange: &Exchange) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(command) = &exchange.command {
        if !command.wire.is_empty() {
            return command.wire.clone();
        }
        bytes.extend_from_slice(&command.keyword);
        for arg in &command.args {
            bytes.push(b' ');
            bytes.extend_from_slice(arg);
        }
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

/// The wire bytes of a reply: the status line, and the kept data lines stuffed again.
fn reply_wire(exchange: &Exchange) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Some(reply) = &exchange.reply {
        bytes.extend_from_slice(reply.status.as_str().as_bytes());
        if !reply.text.is_empty() {
            bytes.push(b' ');
            bytes.extend_from_slice(&reply.text);
        }
        bytes.extend_from_slice(b"\r\n");
        if let Some(body) = &reply.body {
            for line in body.lines() {
                if line.first() == Some(&b'.') {
                    bytes.push(b'.');
                }
                bytes.extend_from_slice(line);
                bytes.extend_from_slice(b"\r\n");
            }
            if body.hidden_lines() == 0 {
                bytes.extend_from_slice(b".\r\n");
            }
        }
    }
    bytes
}

/// Rows of `per_row` bytes: offset, hex, and the printable ASCII.
pub fn hex_dump(bytes: &[u8], per_row: usize) -> Vec<String> {
    let per_row = per_row.max(1);
    let hex_width = per_row * 3 - 1;
    bytes
        .chunks(per_row)
        .enumerate()
        .map(|(row, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let ascii: String = chunk
                .iter()
                .map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' })
                .collect();
            format!("{:04x}  {:<hex_width$}  {ascii}", row * per_row, hex.join(" "))
        })
        .collect()
}

fn push_hex(detail: &mut Detail, bytes: &[u8], per_row: usize, lang: Lang) {
    for row in hex_dump(&bytes[..bytes.len().min(HEX_LIMIT)], per_row) {
        detail.push((Tone::Wire, row));
    }
    if bytes.len() > HEX_LIMIT {
        detail.push((
            Tone::Quiet,
            (detail_words(lang).more_bytes)(bytes.len() - HEX_LIMIT),
        ));
    }
}

/// How the detail of a row is shown.
#[derive(Clone, Copy, Debug)]
pub struct DetailOptions {
    /// Show passwords and tokens instead of masking them.
    pub show_secrets: bool,
    /// Data lines as sent (dot-stuffed) rather than their meaning.
    pub wire_view: bool,
    /// The reply is not to be seen yet (a lesson asks to predict it): nothing of it, nor the
    /// phase it leads to, is shown.
    pub hide_reply: bool,
    /// Bytes per row of the hex dump (16 when there is room, else 8).
    pub bytes_per_row: usize,
    /// The language of pop3scope's own words; the wire's bytes are shown as they are.
    pub lang: Lang,
}

impl Default for DetailOptions {
    /// Secrets masked, data lines by their meaning, the reply shown, no hex rows set, English.
    fn default() -> Self {
        DetailOptions {
            show_secrets: false,
            wire_view: false,
            hide_reply: false,
            bytes_per_row: 0,
            lang: Lang::En,
        }
    }
}

/// The detail pane for a line: what it is, what it means, where it came from.
pub fn detail(session: &SessionView, line: usize, options: DetailOptions) -> Detail {
    let DetailOptions {
        show_secrets,
        hide_reply,
        lang,
        ..
    } = options;
    let w = detail_words(lang);
    let mut out: Detail = Vec::new();
    let Some(seen) = session.lines.get(line) else {
        out.push((Tone::Quiet, w.no_pop3_yet.to_string()));
        return out;
    };
    match seen.kind {
        LineKind::Greeting => {
            if let Some(greeting) = &session.greeting {
                out.push((Tone::Heading, w.greeting_heading.to_string()));
                out.push((Tone::Wire, line_text_in(session, line, show_secrets, lang)));
                let meaning = match (greeting.status, &greeting.apop_timestamp) {
                    (Status::Ok, Some(_)) => w.greeting_ready_apop,
                    (Status::Ok, None) => w.greeting_ready,
                    (Status::Err, _) => w.greeting_refused,
                };
                out.push((Tone::Plain, meaning.to_string()));
                if greeting.decrypted {
                    out.push((Tone::Good, w.decrypted_line.to_string()));
                }
                notes(&mut out, &greeting.notes, lang);
                out.push((Tone::Heading, w.packets_heading.to_string()));
                out.push((Tone::Plain, (w.frame)(greeting.at.frame)));
            }
        }
        LineKind::Command(n) | LineKind::Sasl(n, _) | LineKind::Reply(n) => {
            let exchange = &session.exchanges[n];
            let unanswered;
            let exchange = if hide_reply {
                unanswered = Exchange {
                    reply: None,
                    notes: Vec::new(),
                    phase_after: exchange.phase,
                    missing_bytes: 0,
                    ..exchange.clone()
                };
                &unanswered
            } else {
                exchange
            };
            let pipelined = session.facts[n].pipelined;
            exchange_detail(&mut out, session, exchange, pipelined, seen.kind, options);
            if let Some(message) = session.facts[n].message.as_deref().filter(|_| !hide_reply) {
                message_detail(&mut out, message, options.lang);
            }
        }
        LineKind::Note(n) => {
            let (note, at) = &session.notes[n];
            out.push((Tone::Heading, (w.note_heading)(note.code.name())));
            out.push((Tone::Plain, note.code.explanation_in(lang).to_string()));
            if !note.detail.is_empty() {
                out.push((Tone::Plain, (w.here)(&note_detail_in(note, lang))));
            }
            if at.frame != 0 {
                out.push((Tone::Quiet, (w.frame)(at.frame)));
            }
        }
        LineKind::TlsStarted => {
            out.push((Tone::Heading, "TLS".to_string()));
            let how = if session.info.implicit_tls {
                w.tls_implicit
            } else {
                w.tls_stls
            };
            out.push((Tone::Plain, how.to_string()));
            out.push((Tone::Plain, w.tls_still_visible.to_string()));
            if let Some((client, server)) = session.ending.as_ref().and_then(|e| e.tls_bytes) {
                out.push((Tone::Plain, (w.tls_encrypted_bytes)(client, server)));
            }
            if let Some(tls) = session.ending.as_ref().and_then(|e| e.tls.as_deref()) {
                tls_facts(&mut out, tls, &w);
            }
            if session.decrypted() {
                out.push((Tone::Good, w.tls_decrypted.to_string()));
            }
        }
        LineKind::Ended => {
            out.push((Tone::Heading, w.end_heading.to_string()));
            if let Some(ending) = &session.ending {
                out.push((Tone::Plain, end_reason(ending.reason, lang).to_string()));
                out.push((Tone::Plain, (w.final_phase)(ending.phase.name())));
                let mailbox = session.mailbox_at(line);
                let marked: Vec<String> = mailbox
                    .messages
                    .iter()
                    .filter(|(_, m)| m.marked)
                    .map(|(n, _)| n.to_string())
                    .collect();
                match (mailbox.committed, marked.is_empty()) {
                    (Some(true), false) => out.push((Tone::Good, (w.deleted_at_update)(&marked))),
                    (Some(false), _) => out.push((Tone::Warning, (w.not_deleted)(&marked))),
                    _ => {}
                }
            }
        }
    }
    out
}

fn notes(out: &mut Detail, notes: &[crate::pop3::Note], lang: Lang) {
    if notes.is_empty() {
        return;
    }
    out.push((Tone::Heading, detail_words(lang).notes_heading.to_string()));
    for note in notes {
        let detail = if note.detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", note_detail_in(note, lang))
        };
        out.push((Tone::Warning, format!("! {}{detail}", note.code.name())));
        out.push((Tone::Plain, format!("  {}", note.code.explanation_in(lang))));
    }
}

/// The message a RETR or TOP brought: its decoded headers, the MIME tree, the attachments.
fn message_detail(out: &mut Detail, message: &MessageFacts, lang: Lang) {
    let w = detail_words(lang);
    let [from, to, cc, subject, date] = w.message_labels;
    let text = |value: &str| escape(value.as_bytes());
    out.push((Tone::Heading, w.message_heading.to_string()));
    let values = |texts: &mut dyn Iterator<Item = &String>| texts.map(|v| text(v)).collect::<Vec<_>>();
    let headers = [
        (from, values(&mut message.from.iter())),
        (to, values(&mut message.to.iter())),
        (cc, values(&mut message.cc.iter())),
        (subject, values(&mut message.subject.iter())),
        (date, values(&mut message.date.iter())),
    ];
    for (label, texts) in headers.iter().filter(|(_, texts)| !texts.is_empty()) {
        out.push((Tone::Plain, format!("{label}: {}", texts.join(", "))));
    }
    for part in &message.parts {
        let indent = "  ".repeat(part.depth as usize);
        let name = part
            .file_name
            .as_deref()
            .map_or_else(String::new, |n| format!(" \"{}\"", text(n)));
        let size = if part.content_type.starts_with("multipart/") {
            String::new()
        } else {
            (w.part_size)(part.size)
        };
        let attached = if part.attachment { w.attachment } else { "" };
        let hash = part
            .sha256
            .as_deref()
            .map_or_else(String::new, |h| format!(" sha256 {}…", &h[..12.min(h.len())]));
        out.push((
            Tone::Wire,
            format!("{indent}{}{name}{size}{attached}{hash}", text(&part.content_type)),
        ));
    }
    if message.parts_not_listed > 0 {
        out.push((Tone::Quiet, (w.parts_not_listed)(message.parts_not_listed)));
    }
    if !message.complete {
        out.push((Tone::Warning, w.message_incomplete.to_string()));
    }
    for problem in &message.problems {
        out.push((Tone::Warning, text(problem)));
    }
}

fn exchange_detail(
    out: &mut Detail,
    session: &SessionView,
    exchange: &Exchange,
    pipelined: bool,
    kind: LineKind,
    options: DetailOptions,
) {
    let DetailOptions {
        show_secrets,
        wire_view,
        bytes_per_row,
        hide_reply,
        lang,
    } = options;
    let w = detail_words(lang);
    let inferred = if exchange.inferred { w.inferred } else { "" };
    let change = if exchange.phase_after != exchange.phase {
        format!(" → {}", exchange.phase_after.name())
    } else {
        String::new()
    };
    let pipelined = if pipelined { w.pipelined } else { "" };
    let exchange_heading = (w.exchange_heading)(exchange.index, exchange.phase.name());
    out.push((
        Tone::Heading,
        format!("{exchange_heading}{inferred}{change}{pipelined}"),
    ));
    if exchange.decrypted {
        out.push((Tone::Good, w.decrypted_line.to_string()));
    }

    out.push((Tone::Heading, w.command_heading.to_string()));
    out.push((Tone::Wire, command_text_in(exchange, show_secrets, lang)));
    if let Some(command) = &exchange.command {
        out.push((
            Tone::Plain,
            (w.verb_meaning)(command.verb.name(), command.verb.meaning_in(lang)),
        ));
        if let Some(initial) = command.args.get(1).filter(|_| command.verb == Verb::Auth) {
            let decoded = if show_secrets {
                base64::engine::general_purpose::STANDARD
                    .decode(initial)
                    .map_or_else(
                        |_| w.not_base64.to_string(),
                        |bytes| format!("\"{}\"", escape(&bytes)),
                    )
            } else {
                w.initial_secret.to_string()
            };
            out.push((Tone::Wire, (w.initial_response)(&decoded)));
        }
        let allowed = crate::pop3::allows(exchange.phase, command.verb);
        // Whether the phase allows it would give away a reply the class must predict.
        let verdict = match (exchange.phase, allowed) {
            _ if hide_reply => String::new(),
            (Phase::Unknown | Phase::Tls, _) => String::new(),
            (phase, allowed) => (w.sent_in)(phase.name(), allowed),
        };
        out.push((
            Tone::Plain,
            (w.allowed_in)(&phases_allowing(command.verb, lang), &verdict),
        ));
    }

    if !exchange.sasl.is_empty() {
        out.push((Tone::Heading, w.sasl_heading.to_string()));
        for (i, line) in exchange.sasl.iter().enumerate() {
            let who = if line.from == Direction::ClientToServer {
                "C"
            } else {
                "S"
            };
            let secret = !show_secrets && crate::pop3::sasl::is_secret_sasl(exchange, i);
            let decoded = base64::engine::general_purpose::STANDARD.decode(&line.data).ok();
            let shown = sasl_text(exchange, i, show_secrets);
            let meaning = match (secret, decoded) {
                (true, _) => w.sasl_secret.to_string(),
                (false, Some(bytes)) => (w.sasl_decoded)(&escape(&bytes)),
                (false, None) if line.data == b"*" => w.sasl_cancel.to_string(),
                (false, None) => String::new(),
            };
            out.push((
                Tone::Wire,
                format!("{who}: {shown}   {meaning}").trim_end().to_string(),
            ));
        }
    }

    out.push((Tone::Heading, w.reply_heading.to_string()));
    match &exchange.reply {
        None if hide_reply => out.push((Tone::Quiet, w.reply_hidden.to_string())),
        None => out.push((Tone::Warning, w.reply_missing.to_string())),
        Some(reply) => {
            out.push((Tone::Wire, reply_text(exchange, lang)));
            // What the capture lacks comes first: it changes how all the rest reads.
            if exchange.incomplete {
                let announced = crate::pop3::octets_in_text(&reply.text);
                let received = reply.body.as_ref().map(|b| b.octets);
                out.push((Tone::Warning, (w.incomplete)(received.zip(announced))));
            }
            out.push((Tone::Plain, status_meaning(reply.status, lang).to_string()));
            if let Some(code) = &reply.code {
                let meaning = code.meaning_in(lang).unwrap_or(w.unknown_code);
                out.push((Tone::Plain, format!("[{}] {meaning}", code.code)));
            }
            if let Some(sent) = exchange.sent
                && sent.frame != 0
            {
                out.push((
                    Tone::Quiet,
                    (w.answered_after)(&millis(sent.ts, reply.first.ts, lang)),
                ));
            }
            if let Some(body) = &reply.body {
                let view = if wire_view { w.view_as_sent } else { w.view_meaning };
                out.push((
                    Tone::Heading,
                    (w.data_heading)(body.line_count, body.octets, view),
                ));
                let capa = exchange.verb() == Some(Verb::Capa);
                for line in body.lines() {
                    if wire_view {
                        let stuffed = if line.first() == Some(&b'.') { "." } else { "" };
                        out.push((Tone::Wire, format!("{stuffed}{}\\r\\n", escape(line))));
                    } else {
                        let meaning = capa.then(|| capability_meaning_in(line, lang)).flatten();
                        match meaning {
                            Some(meaning) => {
                                out.push((Tone::Wire, format!("{}   — {meaning}", escape(line))))
                            }
                            None => out.push((Tone::Wire, escape(line))),
                        }
                    }
                }
                if body.hidden_lines() > 0 {
                    out.push((Tone::Quiet, (w.lines_not_kept)(body.hidden_lines())));
                } else if wire_view {
                    out.push((Tone::Wire, w.end_of_data.to_string()));
                }
            }
        }
    }
    if exchange.verb() == Some(Verb::Quit) && exchange.phase == Phase::Transaction && !hide_reply {
        out.push((Tone::Good, w.quit_in_transaction.to_string()));
    }
    notes(out, &exchange.notes, lang);

    out.push((Tone::Heading, w.packets_heading.to_string()));
    if let Some(sent) = exchange.sent.filter(|s| s.frame != 0) {
        let end = sent.offset + u64::from(exchange.sent_octets);
        out.push((
            Tone::Plain,
            (w.command_packets)(
                sent.frame,
                &stream_range(session, exchange, sent.offset, end, lang),
            ),
        ));
    }
    if let Some(reply) = &exchange.reply {
        let frames = if reply.last.frame > reply.first.frame {
            (w.frames)(reply.first.frame, reply.last.frame)
        } else {
            (w.frame)(reply.first.frame)
        };
        out.push((
            Tone::Plain,
            (w.reply_packets)(
                &frames,
                &stream_range(session, exchange, reply.first.offset, reply.end, lang),
            ),
        ));
    }
    if exchange.missing_bytes > 0 {
        out.push((Tone::Warning, (w.bytes_missing)(exchange.missing_bytes)));
    }

    let multiline =
        matches!(kind, LineKind::Reply(_)) && exchange.reply.as_ref().is_some_and(|r| r.body.is_some());
    let (what, bytes) = match kind {
        LineKind::Reply(_) => (w.what_reply, reply_wire(exchange)),
        LineKind::Sasl(_, i) => {
            let mut bytes = exchange.sasl[i].data.clone();
            if exchange.sasl[i].from == Direction::ServerToClient {
                bytes.splice(0..0, *b"+ ");
            }
            bytes.extend_from_slice(b"\r\n");
            (w.what_sasl, bytes)
        }
        _ => (w.what_command, command_wire(exchange)),
    };
    let secret = match kind {
        LineKind::Command(_) => exchange
            .command
            .as_ref()
            .is_some_and(|c| (0..c.args.len()).any(|i| crate::pop3::sasl::is_secret_arg(c, i))),
        LineKind::Sasl(_, i) => crate::pop3::sasl::is_secret_sasl(exchange, i),
        _ => false,
    };
    let captured =
        matches!(kind, LineKind::Command(_)) && exchange.command.as_ref().is_some_and(|c| !c.wire.is_empty());
    out.push((
        Tone::Heading,
        if captured && exchange.decrypted {
            (w.bytes_decrypted)(what)
        } else if captured {
            (w.bytes_captured)(what)
        } else if multiline {
            (w.bytes_rebuilt_lines)(what)
        } else {
            (w.bytes_rebuilt_line)(what)
        },
    ));
    if secret && !show_secrets {
        out.push((Tone::Quiet, w.bytes_secret.to_string()));
    } else {
        push_hex(out, &bytes, bytes_per_row, lang);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zh(code: NoteCode, detail: &str) -> String {
        note_detail_in(&Note::new(code, detail), Lang::Zh)
    }

    #[test]
    fn a_chinese_class_reads_note_details_in_chinese() {
        assert_eq!(zh(NoteCode::CommandTooLong, "300 octets"), "300 字节");
        assert_eq!(zh(NoteCode::BareLf, "from the server"), "来自服务器");
        assert_eq!(
            zh(
                NoteCode::TerminatorMissing,
                "the connection ended inside the reply, 7 bytes into a line"
            ),
            "连接在回复的中途结束，7 字节停在一行中间"
        );
        assert_eq!(
            zh(NoteCode::GapInCommands, "12 client bytes missing"),
            "12 客户端字节缺失"
        );
        assert_eq!(
            zh(NoteCode::GapInReply, "5 bytes of the greeting missing"),
            "5 问候行的字节缺失"
        );
        assert_eq!(
            zh(NoteCode::ResyncSkipped, "40 server bytes after a gap"),
            "40 缺口之后的服务器字节"
        );
        assert_eq!(zh(NoteCode::BadArguments, "3 argument(s)"), "3 个参数");
        assert_eq!(
            zh(NoteCode::BodyNotKept, "over 1048576 bytes"),
            "超过 1048576 字节"
        );
        assert_eq!(
            zh(
                NoteCode::TooManyPending,
                "more than 10000 commands waited for their replies"
            ),
            "超过 10000 条命令在等待回复"
        );
        assert_eq!(
            zh(NoteCode::SaslTooLong, "7 lines not kept (after the first 64)"),
            "7 行未保存（前 64 行之后）"
        );
        assert_eq!(
            zh(
                NoteCode::SizeMismatch,
                "message 1: 100 octets announced, 7 received"
            ),
            "第 1 封邮件：声明 100 字节，收到 7 字节"
        );
        assert_eq!(
            zh(NoteCode::WrongPhase, "RETR in AUTHORIZATION"),
            "RETR 出现在 AUTHORIZATION"
        );
        assert_eq!(
            zh(
                NoteCode::MemoryBudget,
                "9000 bytes of decoder state given up; the mailbox mirror forgot 12 messages"
            ),
            "9000 字节的解码器状态被放弃；邮箱镜像忘记了 12 封邮件"
        );
        assert_eq!(
            zh(
                NoteCode::ConflictingRetransmission,
                "2 bytes differ; kept \"+OK\", not \"-ER\""
            ),
            "2 字节不同；保留 \"+OK\"，而不是 \"-ER\""
        );
    }

    #[test]
    fn quotes_of_the_wire_are_not_translated() {
        assert_eq!(zh(NoteCode::NotAStatusLine, "over 9 octets"), "over 9 octets");
        assert_eq!(zh(NoteCode::UnknownCommand, "from the client"), "from the client");
    }
}
