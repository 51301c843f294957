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
