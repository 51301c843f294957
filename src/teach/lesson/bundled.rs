//! The lessons of lessons/ and the captures they use, built into the binary: an installed
//! pop3scope teaches from any directory, offline.

macro_rules! lessons {
    ($($file:literal),* $(,)?) => {
        /// (file name in lessons/, its text), in the order they are taught.
        pub const BUNDLED: &[(&str, &str)] = &[$(($file, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/", $file)))),*];
    };
}

macro_rules! captures {
    ($($file:literal),* $(,)?) => {
        /// (file name in captures/, its bytes): every capture of `captures/` and the key logs
        /// beside them, so that a teacher's lesson can name any of them from any directory.
        const CAPTURES: &[(&str, &[u8])] = &[$(($file, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/captures/", $file)))),*];
    };
}

lessons![
    "01-talking-to-the-post-office.toml",
    "02-whats-in-the-mailbox.toml",
    "03-downloading.toml",
    "04-deleting-is-two-phase.toml",
    "05-leave-mail-on-the-server.toml",
    "06-just-the-headers.toml",
    "07-when-things-go-wrong.toml",
    "08-what-can-this-server-do.toml",
    "09-cleartext-passwords.toml",
    "10-encryption.toml",
    "11-reading-a-real-client.toml",
    "12-messy-reality.toml",
    "13-what-if-no-quit.toml",
    "14-what-if-rset-before-quit.toml",
    "15-whats-in-a-message.toml",
];

captures![
    "01-full-session.pcap",
    "02-wrong-password.pcap",
    "03-apop.pcap",
    "04-auth-plain.pcap",
    "05-auth-login.pcap",
    "06-auth-cram-md5.pcap",
    "07-stls.pcap",
    "08-pipelined.pcap",
    "09-top.pcap",
    "10-dele-rset.pcap",
    "11-wrong-phase.pcap",
    "12-empty-mailbox.pcap",
    "13-large-retr.pcap",
    "14-reset-mid-retr.pcap",
    "15-ipv6.pcap",
    "16-curl.pcap",
    "17-fetchmail-keep.pcap",
    "18-fetchmail-delete.pcap",
    "19-linux-sll2.pcap",
    "20-pcapng.pcapng",
    "21-snaplen-96.pcap",
    "22-pop3s-implicit-tls.pcap",
    "23-mailbox.pcap",
    "24-dot-stuffing.pcap",
    "25-two-phase-delete.pcap",
    "26-uidl-two-sessions.pcap",
    "27-mime.pcap",
    "28-tls12-aes-gcm.pcap",
    "29-tls12-chacha20.pcap",
    "30-synthetic-stls-injection.pcap",
    "31-synthetic-mid-session.pcap",
    "32-synthetic-lost-segment.pcap",
    "33-synthetic-no-dot-stuffing.pcap",
    "34-synthetic-response-codes.pcap",
    "40-whatif-no-quit.pcap",
    "41-whatif-rset-before-quit.pcap",
    "07-stls.keylog",
    "22-pop3s-implicit-tls.keylog",
    "28-tls12-aes-gcm.keylog",
    "29-tls12-chacha20.keylog",
];

/// A built-in capture by its file name.
pub fn bundled_capture(name: &str) -> Option<&'static [u8]> {
    CAPTURES
        .iter()
        .find(|(file, _)| *file == name)
        .map(|(_, bytes)| *bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_capture_of_the_repository_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".pcap") || name.ends_with(".pcapng") || name.ends_with(".keylog") {
                assert!(super::bundled_capture(&name).is_some(), "{name} is not built in");
            }
        }
    }
}
