//! Messages: what a RETR (or a TOP) carried, read as an Internet message (RFC 5322) with MIME
//! (RFC 2045–2049; encoded words, RFC 2047; encoded file names, RFC 2231), by mail-parser.
//!
//! Contract: pure — the message's bytes as retrieved (dot-unstuffed, each line ended by CR
//! LF) in, [`MessageFacts`] out; no I/O. The headers a reader asks first (From, To, Cc,
//! Subject, Date, Message-ID) decoded; the MIME tree, flattened in document order with each
//! part's depth; each part's decoded size, and for every part that is not the text of the
//! message its SHA-256 and MD5, as Zeek's files.log gives them. Bounded: at most
//! [`MAX_PARTS`] parts listed (the rest counted), nested messages followed [`MAX_DEPTH`] deep,
//! header texts cut at [`MAX_TEXT`] characters.

use std::borrow::Cow;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{Address, Encoding, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use md5::{Digest, Md5};

use crate::base::hex;
use crate::pop3::{Body, Exchange, Verb};

/// Parts listed at most; the others are counted in [`MessageFacts::parts_not_listed`].
pub const MAX_PARTS: usize = 1_000;
/// Messages inside messages (message/rfc822) followed at most.
pub const MAX_DEPTH: u32 = 8;
/// Characters of a header text kept at most.
pub const MAX_TEXT: usize = 1_000;
/// Problems listed at most.
pub const MAX_PROBLEMS: usize = 16;

/// What a message says about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MessageFacts {
    /// From, decoded (`Name <address>`).
    pub from: Option<String>,
    /// To, each recipient decoded.
    pub to: Vec<String>,
    /// Cc, each recipient decoded.
    pub cc: Vec<String>,
    /// Subject, its encoded words decoded (RFC 2047).
    pub subject: Option<String>,
    /// Date, in RFC 3339.
    pub date: Option<String>,
    /// Message-ID, without its angle brackets.
    pub message_id: Option<String>,
    /// Octets as retrieved (dot-unstuffed, CR LF line ends): what RFC 1939 counts.
    pub octets: u64,
    /// The MIME parts in document order; a multipart is followed by its parts, one level deeper.
    pub parts: Vec<PartFacts>,
    /// Parts beyond [`MAX_PARTS`] (or nested beyond [`MAX_DEPTH`]), not listed.
    pub parts_not_listed: u64,
    /// Parts that are attachments (not the text or HTML of the message).
    pub attachments: u64,
    /// The message is whole: not cut by a gap, by TOP, or by the memory cap.
    pub complete: bool,
    /// Something in it is malformed (a transfer encoding that does not decode, no headers); at
    /// most [`MAX_PROBLEMS`].
    pub problems: Vec<String>,
}

/// One MIME part.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PartFacts {
    /// 0 for the message itself, 1 for its parts, and so on.
    pub depth: u32,
    /// `type/subtype`, lower case; `text/plain` when the part says nothing (RFC 2045 §5.2).
    pub content_type: String,
    /// The charset parameter.
    pub charset: Option<String>,
    /// Content-Transfer-Encoding as sent.
    pub encoding: Option<String>,
    /// The file name (Content-Disposition filename, else Content-Type name), decoded.
    pub file_name: Option<String>,
    /// Content-ID, for inline parts an HTML body refers to.
    pub content_id: Option<String>,
    /// The part is an attachment rather than the message's text.
    pub attachment: bool,
    /// Decoded size in octets (a multipart: 0).
    pub size: u64,
    /// SHA-256 of the decoded content, hex (attachments only).
    pub sha256: Option<String>,
    /// MD5 of the decoded content, hex (attachments only).
    pub md5: Option<String>,
}

/// The message a multi-line reply carried, as the server sent it before dot-stuffing: each
/// kept line with its CR LF. `None` when the reply has no kept lines.
pub fn message_bytes(body: &Body) -> Option<&[u8]> {
    if body.kept_bytes().is_empty() && body.line_count == 0 {
        return None;
    }
    Some(body.kept_bytes())
}

/// The message a RETR or a TOP answered with `+OK` brought, read; `None` for any other
/// exchange. It is complete when a RETR's reply was captured whole and kept whole.
pub fn retrieved(exchange: &Exchange) -> Option<MessageFacts> {
    if !matches!(exchange.verb(), Some(Verb::Retr | Verb::Top)) || exchange.ok() != Some(true) {
        return None;
    }
    let body = exchange.reply.as_ref()?.body.as_ref()?;
    let complete = exchange.verb() == Some(Verb::Retr) && !exchange.incomplete && body.complete_in_memory;
    // A message of one plain text part is known from its header block: the whole message is
    // not put together for it.
    if let Some(head) = header_block(body)
        && let Some(facts) = one_text_part(head, body.kept_bytes().len(), complete)
    {
        return Some(facts);
    }
    let raw = message_bytes(body)?;
    Some(read_parsed(raw, complete, &mut |_, _| {}, false))
}

/// The header block of a kept body, each line with its CR LF, and the empty line that ends it;
/// `None` if no empty line was kept.
fn header_block(body: &Body) -> Option<&[u8]> {
    let kept = body.kept_bytes();
    if kept.starts_with(b"\r\n") {
        return Some(&kept[..2]);
    }
    memchr::memmem::find(kept, b"\r\n\r\n").map(|end| &kept[..end + 4])
}

/// Reads a message. `complete` says whether these are all its bytes.
pub fn read(raw: &[u8], complete: bool) -> MessageFacts {
    read_with(raw, complete, &mut |_, _| {})
}

/// Reads a message, handing each attachment's decoded content to `attachment` with the index
/// of its part in [`MessageFacts::parts`] (for `--extract`).
pub fn read_with(raw: &[u8], complete: bool, attachment: &mut dyn FnMut(usize, &[u8])) -> MessageFacts {
    read_parsed(raw, complete, attachment, true)
}

/// [`read_with`], with or without the shortcut for a message that is one plain text part.
fn read_parsed(
    raw: &[u8],
    complete: bool,
    attachment: &mut dyn FnMut(usize, &[u8]),
    shortcut: bool,
) -> MessageFacts {
    let mut facts = MessageFacts {
        octets: raw.len() as u64,
        complete,
        ..MessageFacts::default()
    };
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n");
    if shortcut
        && let Some(end) = head_end
        && let Some(facts) = one_text_part(&raw[..end + 4], raw.len(), complete)
    {
        return facts;
    }
    let Some(message) = MessageParser::default().parse(raw) else {
        facts
            .problems
            .push("no message could be read (no header lines)".to_string());
        return facts;
    };
    describe(&message, &mut facts);
    walk(&message, 0, &mut facts, attachment);
    facts
}

/// The headers a reader asks first.
fn describe(message: &Message<'_>, facts: &mut MessageFacts) {
    facts.from = message.from().and_then(first_address);
    facts.to = message.to().map(all_addresses).unwrap_or_default();
    facts.cc = message.cc().map(all_addresses).unwrap_or_default();
    facts.subject = message.subject().map(cut);
    facts.date = message.date().map(|d| d.to_rfc3339());
    facts.message_id = message.message_id().map(cut);
}

/// Most mail is one text part, sent as it is: then only its headers need parsing, and its size
/// is the octets after them. mail-parser would turn the whole text into UTF-8 (a table lookup
/// per byte, even for US-ASCII) for nothing pop3scope shows. `head` is the header block with
/// the empty line that ends it; `octets`, the whole message's. `None` when the message is not
/// such a part.
fn one_text_part(head: &[u8], octets: usize, complete: bool) -> Option<MessageFacts> {
    let headers = MessageParser::default().parse_headers(&head[..head.len() - 2])?;
    let part = headers.parts.first()?;
    let text = part.content_type().is_none_or(|ct| {
        ct.ctype().eq_ignore_ascii_case("text")
            && ct
                .subtype()
                .is_some_and(|sub| sub.eq_ignore_ascii_case("plain") || sub.eq_ignore_ascii_case("html"))
    });
    let as_sent = part.content_transfer_encoding().is_none_or(|e| {
        ["7bit", "8bit", "binary"]
            .iter()
            .any(|plain| e.eq_ignore_ascii_case(plain))
    });
    if !(text && as_sent && part.content_disposition().is_none() && !part.headers.is_empty()) {
        return None;
    }
    let mut facts = MessageFacts {
        octets: octets as u64,
        complete,
        ..MessageFacts::default()
    };
    describe(&headers, &mut facts);
    let size = octets.saturating_sub(head.len()) as u64;
    facts.parts.push(part_facts(part, 0, false, size, None));
    Some(facts)
}

/// Lists the parts of `message` at `depth`, and of the messages inside it.
fn walk(
    message: &Message<'_>,
    depth: u32,
    facts: &mut MessageFacts,
    on_attachment: &mut dyn FnMut(usize, &[u8]),
) {
    // Parts are in document order; each multipart's children follow it.
    let mut depths = vec![depth; message.parts.len()];
    for (id, part) in message.parts.iter().enumerate() {
        if let PartType::Multipart(children) = &part.body {
            let parent = depths[id];
            for &child in children {
                if let Some(d) = depths.get_mut(child as usize) {
                    *d = parent + 1;
                }
            }
        }
    }
    for (id, part) in message.parts.iter().enumerate() {
        if facts.parts.len() >= MAX_PARTS {
            facts.parts_not_listed += 1;
            continue;
        }
        let attachment = message.attachments.contains(&(id as u32));
        let hashed = attachment && !matches!(part.body, PartType::Multipart(_));
        let bytes_for_hash: Cow<'_, [u8]> = match &part.body {
            PartType::Multipart(_) => Cow::Borrowed(&[]),
            PartType::Message(inner) => Cow::Borrowed(inner.raw_message()),
            // mail-parser turns a text part into UTF-8; its octets are what was attached.
            PartType::Text(text) | PartType::Html(text)
                if hashed || part.encoding == Encoding::None || !is_utf8(part, text) =>
            {
                octets_as_sent(message, part)
            }
            _ => Cow::Borrowed(part.contents()),
        };
        let bytes_for_hash = &bytes_for_hash[..];
        facts.attachments += u64::from(attachment);
        if part.is_encoding_problem && facts.problems.len() < MAX_PROBLEMS {
            facts.problems.push(format!(
                "part {}: its transfer encoding does not decode",
                facts.parts.len()
            ));
        }
        if hashed {
            on_attachment(facts.parts.len(), bytes_for_hash);
        }
        facts.parts.push(part_facts(
            part,
            depths[id],
            attachment,
            bytes_for_hash.len() as u64,
            hashed.then_some(bytes_for_hash),
        ));
        if let PartType::Message(inner) = &part.body {
            if depths[id] + 1 < MAX_DEPTH {
                walk(inner, depths[id] + 1, facts, on_attachment);
            } else {
                facts.parts_not_listed += inner.parts.len() as u64;
            }
        }
    }
}

/// What one part says about itself: `size` octets once its transfer encoding is undone, and
/// the hashes of `hashed`, its content, for an attachment.
fn part_facts(
    part: &MessagePart<'_>,
    depth: u32,
    attachment: bool,
    size: u64,
    hashed: Option<&[u8]>,
) -> PartFacts {
    PartFacts {
        depth,
        content_type: part.content_type().map_or_else(
            || "text/plain".to_string(),
            |ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                None => ct.ctype().to_ascii_lowercase(),
            },
        ),
        charset: part
            .content_type()
            .and_then(|ct| ct.attribute("charset"))
            .map(cut),
        encoding: part.content_transfer_encoding().map(cut),
        file_name: part.attachment_name().map(cut),
        content_id: part.content_id().map(cut),
        attachment,
        size,
        sha256: hashed.map(|content| hex(ring::digest::digest(&ring::digest::SHA256, content).as_ref())),
        md5: hashed.map(|content| hex(&Md5::digest(content))),
    }
}

/// A part's content with its transfer encoding (base64, quoted-printable) undone and nothing
/// else: the octets the sender attached, as Zeek's files.log hashes them.
fn octets_as_sent<'x>(message: &'x Message<'_>, part: &MessagePart<'_>) -> Cow<'x, [u8]> {
    // The buffer the part's offsets point into (`raw_message()` is only the message's own
    // span of it).
    let raw = message
        .raw_message
        .get(part.raw_body_offset() as usize..part.raw_end_offset() as usize)
        .unwrap_or_default();
    let decoded = match part.encoding {
        Encoding::Base64 => base64_decode(raw),
        Encoding::QuotedPrintable => quoted_printable_decode(raw),
        Encoding::None => None,
    };
    decoded.map_or(Cow::Borrowed(raw), Cow::Owned)
}

/// Whether a text part was UTF-8 (or ASCII) as sent, so that mail-parser's `text` is its
/// octets unchanged: no charset turned into UTF-8, no invalid byte replaced.
fn is_utf8(part: &MessagePart<'_>, text: &str) -> bool {
    let charset = part.content_type().and_then(|ct| ct.attribute("charset"));
    let declared = charset.is_none_or(|c| {
        ["utf-8", "utf8", "us-ascii", "ascii"]
            .iter()
            .any(|name| c.eq_ignore_ascii_case(name))
    });
    declared && !text.contains(char::REPLACEMENT_CHARACTER)
}

fn first_address(address: &Address<'_>) -> Option<String> {
    address.first().map(addr_text)
}

fn all_addresses(address: &Address<'_>) -> Vec<String> {
    address.iter().take(MAX_PARTS).map(addr_text).collect()
}

fn addr_text(addr: &mail_parser::Addr<'_>) -> String {
    match (addr.name(), addr.address()) {
        (Some(name), Some(address)) => cut(&format!("{name} <{address}>")),
        (Some(name), None) => cut(name),
        (None, Some(address)) => cut(address),
        (None, None) => String::new(),
    }
}

/// A header text, at most [`MAX_TEXT`] characters.
fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_TEXT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests;
