use super::*;

/// A message as a mail program writes one: a Chinese subject in an encoded word, a text and
/// an HTML alternative, an inline image referred to by Content-ID, an attachment whose file
/// name is encoded as RFC 2231 says, and a forwarded message.
const MESSAGE: &str = "From: =?UTF-8?B?5byg5LiJ?= <zhang@example.test>\r
To: Alice <alice@example.test>, bob@example.test\r
Cc: carol@example.test\r
Subject: =?UTF-8?B?5L2g5aW977yM6YKu5Lu2?=\r
Date: Sun, 29 Nov 2026 10:00:00 +0800\r
Message-ID: <m1@example.test>\r
MIME-Version: 1.0\r
Content-Type: multipart/mixed; boundary=\"outer\"\r
\r
--outer\r
Content-Type: multipart/related; boundary=\"rel\"\r
\r
--rel\r
Content-Type: multipart/alternative; boundary=\"alt\"\r
\r
--alt\r
Content-Type: text/plain; charset=utf-8\r
\r
Hello.\r
--alt\r
Content-Type: text/html; charset=utf-8\r
\r
<p>Hello. <img src=\"cid:logo@example.test\"></p>\r
--alt--\r
--rel\r
Content-Type: image/png\r
Content-ID: <logo@example.test>\r
Content-Transfer-Encoding: base64\r
Content-Disposition: inline\r
\r
iVBORw0KGgo=\r
--rel--\r
--outer\r
Content-Type: text/plain\r
Content-Disposition: attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.txt\r
Content-Transfer-Encoding: base64\r
\r
aGVsbG8K\r
--outer\r
Content-Type: message/rfc822\r
\r
From: dave@example.test\r
Subject: the original\r
\r
Forwarded text.\r
--outer--\r
";

#[test]
fn headers_are_decoded_and_every_part_is_listed() {
    let facts = read(MESSAGE.as_bytes(), true);
    assert_eq!(facts.from.as_deref(), Some("张三 <zhang@example.test>"));
    assert_eq!(facts.to, ["Alice <alice@example.test>", "bob@example.test"]);
    assert_eq!(facts.cc, ["carol@example.test"]);
    assert_eq!(facts.subject.as_deref(), Some("你好，邮件"));
    assert_eq!(facts.date.as_deref(), Some("2026-11-29T10:00:00+08:00"));
    assert_eq!(facts.message_id.as_deref(), Some("m1@example.test"));
    assert_eq!(facts.octets, MESSAGE.len() as u64);
    let types: Vec<(u32, &str)> = facts
        .parts
        .iter()
        .map(|p| (p.depth, p.content_type.as_str()))
        .collect();
    assert_eq!(
        types[..7],
        [
            (0, "multipart/mixed"),
            (1, "multipart/related"),
            (2, "multipart/alternative"),
            (3, "text/plain"),
            (3, "text/html"),
            (2, "image/png"),
            (1, "text/plain"),
        ]
    );
    let image = &facts.parts[5];
    assert_eq!(image.content_id.as_deref(), Some("logo@example.test"));
    assert_eq!(image.encoding.as_deref(), Some("base64"));
    assert_eq!(image.size, 8, "the decoded PNG signature");
    let report = &facts.parts[6];
    assert!(report.attachment);
    assert_eq!(report.file_name.as_deref(), Some("报告.txt"));
    assert_eq!(report.size, 6);
    // sha256sum and md5sum of "hello\n".
    assert_eq!(
        report.sha256.as_deref(),
        Some("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
    );
    assert_eq!(report.md5.as_deref(), Some("b1946ac92492d2347c6235b4d2611184"));
    let forwarded = &facts.parts[7];
    assert_eq!(forwarded.content_type, "message/rfc822");
    assert!(facts.parts[8..].iter().all(|p| p.depth == 2), "{:?}", facts.parts);
    assert!(facts.problems.is_empty(), "{:?}", facts.problems);
}

#[test]
fn a_message_with_ten_thousand_parts_lists_a_bounded_number() {
    let mut message = String::from("Subject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
    for i in 0..10_000 {
        message.push_str(&format!("--b\r\nContent-Type: text/plain\r\n\r\npart {i}\r\n"));
    }
    message.push_str("--b--\r\n");
    let facts = read(message.as_bytes(), true);
    assert_eq!(facts.parts.len(), MAX_PARTS);
    assert_eq!(facts.parts.len() as u64 + facts.parts_not_listed, 10_001);
}

#[test]
fn deep_nesting_and_huge_headers_are_bounded() {
    let mut message = String::new();
    for level in 0..5_000 {
        message.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n--b{level}\r\n"
        ));
    }
    message.push_str("\r\ninnermost\r\n");
    let facts = read(message.as_bytes(), true);
    assert!(facts.parts.len() <= MAX_PARTS);
    let huge = format!("Subject: {}\r\n\r\nbody\r\n", "x".repeat(1 << 20));
    let facts = read(huge.as_bytes(), true);
    assert_eq!(facts.subject.map(|s| s.chars().count()), Some(MAX_TEXT + 1));
}

#[test]
fn no_headers_at_all_is_a_problem_said() {
    let facts = read(b"", false);
    assert!(!facts.complete);
    assert_eq!(facts.problems.len(), 1);
}

#[test]
fn a_text_attachment_in_latin_1_is_hashed_and_extracted_as_sent_not_as_utf_8() {
    // "café\r\n" in ISO-8859-1 (é is 0xE9): as base64, as quoted-printable and as 8bit.
    let as_sent: &[u8] = b"caf\xe9\r\n";
    let message = [
        &b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"[..],
        b"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\nHello.\r\n",
        b"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Disposition: attachment; filename=a.txt\r\n",
        b"Content-Transfer-Encoding: base64\r\n\r\nY2Fm6Q0K\r\n",
        b"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Disposition: attachment; filename=b.txt\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9\r\n\r\n",
        b"--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Disposition: attachment; filename=c.txt\r\n",
        b"Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9\r\n\r\n",
        b"--b--\r\n",
    ]
    .concat();
    let mut extracted = Vec::new();
    let facts = read_with(&message, true, &mut |part, bytes| {
        extracted.push((part, bytes.to_vec()))
    });
    let sha256 = hex(ring::digest::digest(&ring::digest::SHA256, as_sent).as_ref());
    let attachments: Vec<&PartFacts> = facts.parts.iter().filter(|p| p.attachment).collect();
    assert_eq!(attachments.len(), 3, "{facts:#?}");
    for part in attachments {
        assert_eq!(part.size, as_sent.len() as u64, "{part:?}");
        assert_eq!(part.sha256.as_deref(), Some(sha256.as_str()), "{part:?}");
    }
    assert!(
        extracted.iter().all(|(_, bytes)| bytes == as_sent),
        "{extracted:?}"
    );
    // The text of the message counts its octets too, not the UTF-8 they become.
    assert_eq!(facts.parts[1].size, "Hello.".len() as u64);
}

mod shortcut {
    use super::*;
    use proptest::prelude::*;

    /// Header lines a one-part message may carry, the shortcut's conditions among them.
    fn header() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "Subject: =?UTF-8?B?5L2g5aW9?=\r\n",
            "From: Ann <ann@example.test>\r\n",
            "To: b@example.test, =?ISO-8859-1?Q?Andr=E9?= <c@example.test>\r\n",
            "Date: Sun, 29 Nov 2026 10:00:00 +0800\r\n",
            "Message-ID: <x@y>\r\n",
            "Content-Type: text/plain; charset=us-ascii\r\n",
            "Content-Type: text/plain; charset=iso-8859-1\r\n",
            "Content-Type: TEXT/HTML; charset=utf-8\r\n",
            "Content-Type: text/plain; name=\"a.txt\"\r\n",
            "Content-Type: text/enriched\r\n",
            "Content-Type: image/png\r\n",
            "Content-Type: multipart/mixed; boundary=b\r\n",
            "Content-Transfer-Encoding: 7bit\r\n",
            "Content-Transfer-Encoding: 8BIT\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "Content-Disposition: attachment; filename=a.txt\r\n",
            "Content-Disposition: inline\r\n",
            "X-Folded: one\r\n two\r\n",
            "not a header line\r\n",
        ])
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop::sample::select(vec![
                &b"Hello.\r\n"[..],
                b"caf\xe9 \xff\xfe\r\n",
                b"\r\n",
                b"--b\r\n",
                b"aGVsbG8K\r\n",
                b"=E9=\r\n",
            ]),
            0..6,
        )
        .prop_map(|lines| lines.concat())
    }

    proptest! {
        #[test]
        fn reads_a_one_part_message_as_the_whole_parse_does(
            headers in prop::collection::vec(header(), 0..6),
            body in body(),
        ) {
            let raw = [headers.concat().as_bytes(), b"\r\n", &body].concat();
            let whole = read_parsed(&raw, true, &mut |_, _| {}, false);
            let short = read_parsed(&raw, true, &mut |_, _| {}, true);
            prop_assert_eq!(short, whole);
        }
    }
}
