//! The Community ID of a TCP connection (Corelight's community-id-spec, version 1): the flow
//! hash Zeek, Suricata, Arkime and Elastic share, so that pop3scope's records join with their
//! logs. Pure: two endpoints in, `1:<base64 of SHA-1>` out, the same whichever way round.

use std::net::{IpAddr, SocketAddr};

use base64::Engine as _;

/// IANA's protocol number of TCP.
const TCP: u8 = 6;

/// The Community ID (seed 0) of the TCP connection between `a` and `b`.
pub fn community_id(a: SocketAddr, b: SocketAddr) -> String {
    let octets = |ip: IpAddr| match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    // The smaller endpoint (address, then port) goes first, so both directions hash alike.
    let (first, second) = if (octets(a.ip()), a.port()) <= (octets(b.ip()), b.port()) {
        (a, b)
    } else {
        (b, a)
    };
    let mut input = vec![0, 0]; // the seed, 0
    input.extend(octets(first.ip()));
    input.extend(octets(second.ip()));
    input.extend([TCP, 0]);
    input.extend(first.port().to_be_bytes());
    input.extend(second.port().to_be_bytes());
    let hash = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &input);
    format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(hash.as_ref())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_example_both_ways_round() {
        let client: SocketAddr = "128.232.110.120:34855".parse().unwrap();
        let server: SocketAddr = "66.35.250.204:80".parse().unwrap();
        assert_eq!(community_id(client, server), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
        assert_eq!(community_id(server, client), "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
    }

    #[test]
    fn the_same_address_is_ordered_by_port() {
        let a: SocketAddr = "[::1]:110".parse().unwrap();
        let b: SocketAddr = "[::1]:50000".parse().unwrap();
        assert_eq!(community_id(a, b), community_id(b, a));
        assert!(community_id(a, b).starts_with("1:"));
    }
}
