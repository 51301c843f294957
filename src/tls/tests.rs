use super::*;

#[test]
fn grease_values_are_recognised() {
    for grease in [0x0a0a, 0x1a1a, 0xfafa] {
        assert!(is_grease(grease));
    }
    assert!(!is_grease(0x0a1a) && !is_grease(0x1301));
}

#[test]
fn a_record_split_anywhere_is_read_the_same() {
    // A TLS 1.2 alert record, handshake_failure: in one piece and a byte at a time.
    let record = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];
    let mut whole = TlsObserver::default();
    whole.bytes(Direction::ServerToClient, &record);
    let mut bytewise = TlsObserver::default();
    for byte in record {
        bytewise.bytes(Direction::ServerToClient, &[byte]);
    }
    assert_eq!(whole.facts(), bytewise.facts());
    assert_eq!(whole.facts().alerts.len(), 1);
    assert!(
        whole.facts().alerts[0].starts_with("fatal"),
        "{:?}",
        whole.facts().alerts
    );
}

#[test]
fn after_a_gap_a_direction_is_only_counted_and_garbage_is_harmless() {
    let mut observer = TlsObserver::default();
    observer.gap(Direction::ClientToServer);
    observer.bytes(Direction::ClientToServer, &[0x16, 0x03, 0x01, 0xff, 0xff]);
    assert_eq!(observer.facts().records, [0, 0]);
    let mut observer = TlsObserver::default();
    observer.bytes(Direction::ServerToClient, b"+OK this is not TLS at all\r\n");
    assert!(observer.facts().version.is_none());
}

/// Whole TLS sessions made in memory by rustls (with its key log), fed to the observer as a
/// capture would: each flight of records as one chunk of its direction.
mod decryption {
    use std::sync::{Arc, Mutex};

    use proptest::prelude::*;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, ring as provider};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
    use rustls::{Connection, DigitallySignedStruct, SignatureScheme, SupportedCipherSuite};

    use super::*;

    const C: Direction = Direction::ClientToServer;
    const S: Direction = Direction::ServerToClient;

    #[derive(Debug, Default)]
    struct Logged(Mutex<String>);

    impl rustls::KeyLog for Logged {
        fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
            let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
            self.0.lock().unwrap().push_str(&line);
        }
    }

    /// The client trusts the test's throw-away certificate without a chain.
    #[derive(Debug)]
    struct TrustAnything(Arc<CryptoProvider>);

    impl ServerCertVerifier for TrustAnything {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    /// What a capture of one session holds: the records each way, and the key log.
    struct Transcript {
        chunks: Vec<(Direction, Vec<u8>)>,
        keylog: String,
        /// The application data each side wrote, as the other read it.
        sent: [Vec<u8>; 2],
    }

    /// Moves every pending record between the two ends until both are quiet.
    fn pump(client: &mut Connection, server: &mut Connection, chunks: &mut Vec<(Direction, Vec<u8>)>) {
        fn flight(
            from: &mut Connection,
            to: &mut Connection,
            dir: Direction,
            chunks: &mut Vec<(Direction, Vec<u8>)>,
        ) -> bool {
            let mut flight = Vec::new();
            while from.wants_write() {
                from.write_tls(&mut flight).unwrap();
            }
            if flight.is_empty() {
                return false;
            }
            to.read_tls(&mut &flight[..]).unwrap();
            to.process_new_packets().unwrap();
            chunks.push((dir, flight));
            true
        }
        while flight(client, server, C, chunks) | flight(server, client, S, chunks) {}
    }

    /// A POP3S session over `suite`; with `key_update`, both sides change keys mid-session.
    fn talk(suite: SupportedCipherSuite, key_update: bool) -> Transcript {
        let provider = Arc::new(CryptoProvider {
            cipher_suites: vec![suite],
            ..provider::default_provider()
        });
        let versions = [suite.version()];
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let key = PrivateKeyDer::try_from(certified.key_pair.serialize_der()).unwrap();
        let logged = Arc::new(Logged::default());
        let mut server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .unwrap();
        server_config.key_log = logged.clone();
        let client_config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(TrustAnything(provider)))
            .with_no_client_auth();
        let name = ServerName::try_from("localhost").unwrap();
        let mut client =
            Connection::Client(rustls::ClientConnection::new(Arc::new(client_config), name).unwrap());
        let mut server = Connection::Server(rustls::ServerConnection::new(Arc::new(server_config)).unwrap());
        let mut chunks = Vec::new();
        let mut sent: [Vec<u8>; 2] = Default::default();
        pump(&mut client, &mut server, &mut chunks);
        let script: [(Direction, &[u8]); 6] = [
            (S, b"+OK ready\r\n"),
            (C, b"USER alice\r\n"),
            (S, b"+OK\r\n"),
            (C, b"STAT\r\n"),
            (S, b"+OK 0 0\r\n"),
            (C, b"QUIT\r\n"),
        ];
        for (turn, (dir, line)) in script.into_iter().enumerate() {
            if key_update && turn == 3 {
                client.refresh_traffic_keys().unwrap();
                server.refresh_traffic_keys().unwrap();
            }
            let writer = if dir == C { &mut client } else { &mut server };
            std::io::Write::write_all(&mut writer.writer(), line).unwrap();
            sent[dir.index()].extend_from_slice(line);
            pump(&mut client, &mut server, &mut chunks);
        }
        let keylog = logged.0.lock().unwrap().clone();
        Transcript { chunks, keylog, sent }
    }

    fn observe(transcript: &Transcript, keylog: Arc<KeyLog>) -> TlsObserver {
        let mut observer = TlsObserver::new(Some(keylog));
        for (dir, chunk) in &transcript.chunks {
            observer.bytes(*dir, chunk);
        }
        observer.end();
        observer
    }

    /// Every suite rustls has, but those of TLS 1.2 that need an RSA certificate (the test's
    /// is ECDSA): the same ciphers, with ECDSA signatures.
    fn every_suite() -> Vec<SupportedCipherSuite> {
        provider::ALL_CIPHER_SUITES
            .iter()
            .copied()
            .filter(|suite| !format!("{:?}", suite.suite()).contains("_RSA_"))
            .collect()
    }

    #[test]
    fn every_aead_suite_of_tls_1_3_and_1_2_decrypts_to_what_was_sent() {
        for suite in every_suite() {
            let transcript = talk(suite, false);
            let mut observer = observe(&transcript, Arc::new(KeyLog::complete(&transcript.keylog)));
            let name = format!("{:?}", suite.suite());
            assert_eq!(observer.take_problems(), vec![], "{name}");
            assert_eq!(observer.take_plaintext(C), transcript.sent[0], "{name}");
            assert_eq!(observer.take_plaintext(S), transcript.sent[1], "{name}");
            assert!(observer.decrypting(), "{name}");
        }
    }

    #[test]
    fn a_key_update_of_both_sides_is_followed() {
        for suite in every_suite()
            .into_iter()
            .filter(|s| s.version() == &rustls::version::TLS13)
        {
            let transcript = talk(suite, true);
            let mut observer = observe(&transcript, Arc::new(KeyLog::complete(&transcript.keylog)));
            assert_eq!(observer.take_problems(), vec![]);
            assert_eq!(observer.take_plaintext(C), transcript.sent[0]);
            assert_eq!(observer.take_plaintext(S), transcript.sent[1]);
        }
    }

    #[test]
    fn without_its_key_a_session_keeps_its_facts_and_says_so() {
        for suite in every_suite() {
            let transcript = talk(suite, false);
            let mut observer = observe(&transcript, Arc::new(KeyLog::complete("")));
            assert_eq!(observer.take_problems(), vec![TlsProblem::NoKey]);
            assert!(observer.take_plaintext(S).is_empty());
            assert!(observer.facts().cipher.is_some() && observer.facts().ja3.is_some());
        }
    }

    #[test]
    fn a_key_log_with_only_another_sessions_keys_opens_that_one_only() {
        let suite = provider::cipher_suite::TLS13_AES_128_GCM_SHA256;
        let (one, two) = (talk(suite, false), talk(suite, false));
        let keylog = Arc::new(KeyLog::complete(&one.keylog));
        assert_eq!(observe(&one, keylog.clone()).take_problems(), vec![]);
        assert_eq!(observe(&two, keylog).take_problems(), vec![TlsProblem::NoKey]);
    }

    #[test]
    fn a_wrong_key_is_a_record_that_does_not_authenticate_not_garbage() {
        for suite in every_suite() {
            let transcript = talk(suite, false);
            // Every secret's first digit changed: the right session, the wrong keys.
            let wrong: String = transcript
                .keylog
                .lines()
                .map(|line| {
                    let (head, secret) = line.rsplit_once(' ').unwrap();
                    let first = if secret.starts_with('0') { '1' } else { '0' };
                    format!("{head} {first}{}\n", &secret[1..])
                })
                .collect();
            let mut observer = observe(&transcript, Arc::new(KeyLog::complete(&wrong)));
            let problems = observer.take_problems();
            assert!(
                problems.iter().all(|p| matches!(p, TlsProblem::NotAuthentic(_))) && !problems.is_empty(),
                "{problems:?}"
            );
            assert!(observer.take_plaintext(C).is_empty() && observer.take_plaintext(S).is_empty());
        }
    }

    #[test]
    fn a_record_cut_by_the_end_of_the_capture_is_said() {
        let transcript = talk(provider::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256, false);
        let mut cut = transcript.chunks.clone();
        let (_, last) = cut.last_mut().unwrap();
        last.truncate(last.len() - 3);
        let mut observer = TlsObserver::new(Some(Arc::new(KeyLog::complete(&transcript.keylog))));
        for (dir, chunk) in &cut {
            observer.bytes(*dir, chunk);
        }
        observer.end();
        assert_eq!(observer.take_problems(), vec![TlsProblem::RecordCut(C)]);
        // Everything before the cut record was read.
        assert_eq!(observer.take_plaintext(C), b"USER alice\r\nSTAT\r\n");
    }

    #[test]
    fn records_wait_for_keys_a_growing_key_log_has_not_got_yet() {
        let transcript = talk(
            provider::cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            false,
        );
        // The client writes its key log only once half the records have crossed.
        let (keylog, written) = appended_to();
        let mut observer = TlsObserver::new(Some(keylog));
        let (first, rest) = transcript.chunks.split_at(transcript.chunks.len() / 2);
        for (dir, chunk) in first {
            observer.bytes(*dir, chunk);
        }
        assert!(observer.take_plaintext(S).is_empty() && observer.take_problems().is_empty());
        written.lock().unwrap().push_str(&transcript.keylog);
        for (dir, chunk) in rest {
            observer.bytes(*dir, chunk);
        }
        observer.end();
        assert_eq!(observer.take_problems(), vec![]);
        assert_eq!(observer.take_plaintext(S), transcript.sent[1]);
    }

    #[test]
    fn keys_appended_just_before_the_session_ends_are_found_at_its_end() {
        let transcript = talk(provider::cipher_suite::TLS13_AES_128_GCM_SHA256, false);
        let (keylog, written) = appended_to();
        let mut observer = TlsObserver::new(Some(keylog));
        for (dir, chunk) in &transcript.chunks {
            observer.bytes(*dir, chunk);
        }
        written.lock().unwrap().push_str(&transcript.keylog);
        observer.end();
        assert_eq!(observer.take_problems(), vec![]);
        assert_eq!(observer.take_plaintext(C), transcript.sent[0]);
    }

    /// A key log being written, and the text a client appends to it.
    fn appended_to() -> (Arc<KeyLog>, Arc<Mutex<String>>) {
        let written = Arc::new(Mutex::new(String::new()));
        let file = written.clone();
        let keylog = KeyLog::following(Box::new(move || std::mem::take(&mut *file.lock().unwrap())));
        (Arc::new(keylog), written)
    }

    proptest! {
        #[test]
        fn damaged_records_never_panic_and_never_yield_unauthenticated_bytes(
            flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let transcript = talk(provider::cipher_suite::TLS13_AES_256_GCM_SHA384, false);
            let mut stream: Vec<(Direction, Vec<u8>)> = transcript.chunks.clone();
            let sizes: usize = stream.iter().map(|(_, c)| c.len()).sum();
            for (at, value) in flips {
                let mut at = at.index(sizes);
                for (_, chunk) in &mut stream {
                    if at < chunk.len() { chunk[at] ^= value | 1; break; }
                    at -= chunk.len();
                }
            }
            let keep = cut.index(stream.len() + 1);
            stream.truncate(keep);
            let mut observer = TlsObserver::new(Some(Arc::new(KeyLog::complete(&transcript.keylog))));
            for (dir, chunk) in &stream {
                observer.bytes(*dir, chunk);
            }
            observer.end();
            // Whatever came out was sent: an AEAD does not open damaged bytes.
            let server = observer.take_plaintext(S);
            prop_assert!(transcript.sent[1].starts_with(&server));
        }
    }
}

#[test]
fn ja4_gives_the_examples_of_its_specification() {
    // FoxIO's technical_details/JA4.md: its cipher list, extension list and signature
    // algorithms, and its ALPN rules (checked against FoxIO's own test captures too, whose
    // fingerprints pop3scope gives but for a non-alphanumeric ALPN, where the specification
    // now asks for hex digits and FoxIO's tools still print 9).
    let ciphers = [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
        0x009d, 0x002f, 0x0035,
    ];
    let extensions = [
        0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
        0xff01, 0x000b, 0x000a, 0x0015,
    ];
    let signatures = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
    let mut hello = ClientHello {
        version: 0x0304,
        sni: true,
        ciphers: [&[0x0a0a], &ciphers[..]].concat(),
        extensions: [&extensions[..], &[0x1a1a]].concat(),
        first_alpn: Some(b"h2"),
        signature_algorithms: signatures.to_vec(),
    };
    assert_eq!(ja4(&hello), "t13d1516h2_8daaf6152771_e5627efa2ab1");
    hello.signature_algorithms.clear();
    assert!(ja4(&hello).ends_with("_6d807ffa2a79"));
    for (alpn, shown) in [
        (&b"http/1.1"[..], "h1"),
        (b"\xab", "ab"),
        (b"\x30\xab", "3b"),
        (b"\x30\xab\xcd\x31", "01"),
        (b"", "00"),
    ] {
        hello.first_alpn = Some(alpn);
        assert_eq!(&ja4(&hello)[8..10], shown, "{alpn:?}");
    }
    hello.sni = false;
    hello.ciphers.clear();
    assert!(ja4(&hello).starts_with("t13i0016") && ja4(&hello).contains("_000000000000_"));
}

#[test]
fn records_waiting_for_keys_are_bounded_even_when_empty() {
    // A flood of empty application-data records before any ServerHello: each would wait.
    let mut observer = TlsObserver::new(Some(std::sync::Arc::new(KeyLog::complete(""))));
    let record = [0x17, 0x03, 0x03, 0x00, 0x00];
    let flood: Vec<u8> = record.iter().copied().cycle().take(5 * 200_000).collect();
    observer.bytes(Direction::ClientToServer, &flood);
    assert!(
        observer.held_bytes() <= MAX_WAITING + 4096,
        "{}",
        observer.held_bytes()
    );
    assert_eq!(observer.take_problems(), vec![TlsProblem::GaveUpWaiting]);
}
