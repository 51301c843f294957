//! How fast a step change reaches a whole class, and what the server costs in memory.
//!
//! `cargo build --release && cargo run --release --example classroom-fanout [STUDENTS]`: starts
//! `target/release/pop3scope classroom 1` with its line console, joins STUDENTS (default 200)
//! students over HTTP, holds a server-sent-events stream open for each, then moves the lesson
//! ten times and measures, for each move, the time until every student has the new step. It
//! prints the slowest and the median move, and the server's resident memory (now and peak).
//! Each student connects from an address of its own (127.0.1.N), as on a classroom network.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A connection from the loopback address 127.0.1.`n`: each student its own machine, as in a
/// classroom (the server bounds what one address may do).
fn connect_from(n: usize, to: SocketAddr) -> TcpStream {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(to) = to else {
        panic!("an IPv4 classroom")
    };
    let address = |ip: [u8; 4], port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip),
        },
        sin_zero: [0; 8],
    };
    let size = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a fresh socket, owned by the TcpStream at once; valid sockaddr_in of that size.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0, "a socket");
        let stream = TcpStream::from_raw_fd(fd);
        let local = address([127, 0, 1 + (n / 250) as u8, 1 + (n % 250) as u8], 0);
        let remote = address(to.ip().octets(), to.port());
        assert_eq!(
            libc::bind(fd, (&local as *const libc::sockaddr_in).cast(), size),
            0,
            "bind"
        );
        assert_eq!(
            libc::connect(fd, (&remote as *const libc::sockaddr_in).cast(), size),
            0,
            "connect"
        );
        stream
    }
}

fn http_post(from: usize, address: SocketAddr, path: &str, body: &str) -> String {
    let mut stream = connect_from(from, address);
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_string())
}

fn memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let students: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let mut child = Command::new("target/release/pop3scope")
        .args(["classroom", "1", "--listen", "127.0.0.1:0", "--lang", "en"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("target/release/pop3scope (cargo build --release first)");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the address");
    let address: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let code = line.trim().rsplit(' ').next().unwrap().to_string();
    let mut console = child.stdin.take().unwrap();
    let mut answers = BufReader::new(child.stdout.take().unwrap());
    answers.read_line(&mut String::new()).unwrap();

    let (reached, arrivals) = mpsc::channel::<(usize, u64, Instant)>();
    for i in 0..students {
        let body = format!("{{\"name\":\"student {i}\",\"code\":\"{code}\"}}");
        let joined = http_post(i, address, "/join", &body);
        let token = joined.split('"').nth(3).expect("a token").to_string();
        let reached = reached.clone();
        std::thread::spawn(move || {
            let mut stream = connect_from(i, address);
            write!(
                stream,
                "GET /events?token={token} HTTP/1.1\r\nHost: {address}\r\n\r\n"
            )
            .unwrap();
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if let Some(at) = line.find("\"page\":{\"step\":") {
                    let step: u64 = line[at + 15..]
                        .split(',')
                        .next()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    if reached.send((i, step, Instant::now())).is_err() {
                        return;
                    }
                }
                line.clear();
            }
        });
    }
    drop(reached);
    // Everyone has the first step.
    let mut first = 0;
    while first < students {
        if arrivals
            .recv_timeout(Duration::from_secs(10))
            .expect("every student connects")
            .1
            == 1
        {
            first += 1;
        }
    }
    let mut moves = Vec::new();
    for step in 2..=8u64 {
        let sent = Instant::now();
        writeln!(console, "next").unwrap();
        let mut got = 0;
        let mut last = sent;
        while got < students {
            let (_, seen, at) = arrivals
                .recv_timeout(Duration::from_secs(10))
                .expect("the step reaches everyone");
            if seen == step {
                got += 1;
                last = last.max(at);
            }
        }
        moves.push(last.duration_since(sent));
        std::thread::sleep(Duration::from_millis(100));
    }
    moves.sort();
    let pid = child.id();
    println!(
        "{students} students: a step change reached all of them in {:.1} ms (median of {} moves), {:.1} ms at the slowest",
        moves[moves.len() / 2].as_secs_f64() * 1000.0,
        moves.len(),
        moves[moves.len() - 1].as_secs_f64() * 1000.0
    );
    println!(
        "server memory: {} MiB resident, {} MiB at the peak",
        memory_kib(pid, "VmRSS:") / 1024,
        memory_kib(pid, "VmHWM:") / 1024
    );
    let _ = writeln!(console, "quit");
    let _ = child.wait();
}
