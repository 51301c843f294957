//! `pop3scope serve` against real clients — Python's poplib (with STLS and APOP), curl,
//! fetchmail — with the mailbox on disk checked afterwards; abrupt disconnects; a hundred
//! clients at once; garbage input.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A mailbox directory: `users` with `user:password`, and `count` messages for each user.
fn mailboxes(users: &[(&str, &str)], count: usize) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut list = String::new();
    for (user, password) in users {
        list.push_str(&format!("{user}:{password}\n"));
        std::fs::create_dir(dir.path().join(user)).unwrap();
        for n in 1..=count {
            let body: String = (0..n * 20)
                .map(|i| format!("line {i} of message {n}\n"))
                .collect();
            let text = format!(
                "From: teacher@example.test\nTo: {user}@example.test\nSubject: message {n}\n\n.a dot line\n{body}"
            );
            std::fs::write(dir.path().join(user).join(format!("{n:03}.eml")), text).unwrap();
        }
    }
    std::fs::write(dir.path().join("users"), list).unwrap();
    // Started as root, serve drops to the invoking user (SUDO_UID) or `nobody`: the mailboxes
    // must be theirs to read and delete in.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let open = |path: &Path, mode: u32| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        open(dir.path(), 0o755);
        for (user, _) in users {
            open(&dir.path().join(user), 0o777);
        }
    }
    dir
}

fn messages_left(dir: &Path, user: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(user))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A running `pop3scope serve`, stopped when dropped.
struct Serve {
    child: Child,
    port: u16,
}

impl Serve {
    fn start(mailbox: &Path, extra: &[&str]) -> Serve {
        // Port 0 is not offered on the command line: a free port is found by binding first.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(assert_cmd::cargo::cargo_bin("pop3scope"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--mailbox"])
            .arg(mailbox)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Stopped by Drop on every way out, a failed start included.
        let serve = Serve { child, port };
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return serve;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("serve did not start");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal POP3 client for the tests that need to misbehave.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(port: u16) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut client = Client {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        assert!(client.line().starts_with("+OK"));
        client
    }
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        line
    }
    fn send(&mut self, command: &str) -> String {
        self.writer
            .write_all(format!("{command}\r\n").as_bytes())
            .unwrap();
        self.line()
    }
    /// The data lines of a multi-line reply, unstuffed, up to the final dot.
    fn lines(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line();
            let line = line.trim_end_matches("\r\n");
            if line == "." {
                return lines;
            }
            lines.push(line.strip_prefix('.').unwrap_or(line).to_string());
        }
    }
    fn login(&mut self, user: &str, password: &str) {
        assert_eq!(self.send(&format!("USER {user}")), "+OK\r\n");
        assert_eq!(self.send(&format!("PASS {password}")), "+OK Logged in.\r\n");
    }
}

const POPLIB: &str = r#"
import poplib, ssl, sys
port = int(sys.argv[1])
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
# STLS, then USER/PASS inside TLS
pop = poplib.POP3("127.0.0.1", port, timeout=10)
assert "STLS" in pop.capa(), pop.capa()
pop.stls(context)
pop.user("alice")
pop.pass_("wonderland")
count, size = pop.stat()
assert count == 3, count
response, lines, octets = pop.retr(1)
assert lines[4] == b".a dot line", lines[:6]
pop.dele(1)
pop.quit()
# APOP in plain text
pop = poplib.POP3("127.0.0.1", port, timeout=10)
pop.apop("alice", "wonderland")
count, size = pop.stat()
assert count == 2, count
uids = [line.split()[1] for line in pop.uidl()[1]]
assert uids == [b"002", b"003"], uids
pop.quit()
print("ok")
"#;

/// Runs [`POPLIB`] against `serve`, with `env` set, and expects it to succeed.
fn run_poplib(serve: &Serve, env: &[(&str, &Path)]) {
    let output = Command::new("python3")
        .args(["-c", POPLIB, &serve.port.to_string()])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn poplib_logs_in_with_stls_and_apop_and_deletes_exactly_what_it_quit_with() {
    if !have("python3") {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let dir = mailboxes(&[("alice", "wonderland")], 3);
    let serve = Serve::start(dir.path(), &[]);
    run_poplib(&serve, &[]);
    assert_eq!(messages_left(dir.path(), "alice"), ["002.eml", "003.eml"]);
}

#[test]
fn curl_lists_retrieves_and_deletes() {
    if !have("curl") {
        eprintln!("skipped: curl is not installed");
        return;
    }
    let dir = mailboxes(&[("bob", "builder")], 2);
    let serve = Serve::start(dir.path(), &[]);
    let url = format!("pop3://127.0.0.1:{}/", serve.port);
    let curl = |args: &[&str]| {
        let output = Command::new("curl")
            .args(["-sS", "--max-time", "20", "-u", "bob:builder"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let listing = curl(&[&url]);
    assert_eq!(listing.lines().count(), 2, "{listing}");
    let message = curl(&[&format!("{url}2")]);
    assert!(
        message.contains("Subject: message 2") && message.contains("\n.a dot line"),
        "{message}"
    );
    curl(&["-X", "DELE", "-I", &format!("{url}1")]);
    assert_eq!(messages_left(dir.path(), "bob"), ["002.eml"]);
    assert_eq!(curl(&[&url]).lines().count(), 1);
}

#[test]
fn fetchmail_keeps_or_deletes_as_it_is_told() {
    if !have("fetchmail") {
        eprintln!("skipped: fetchmail is not installed (.ci/run installs it)");
        return;
    }
    for keep in [true, false] {
        let dir = mailboxes(&[("alice", "wonderland")], 3);
        let serve = Serve::start(dir.path(), &[]);
        let work = tempfile::tempdir().unwrap();
        let mbox = work.path().join("mbox");
        let rc = work.path().join("fetchmailrc");
        std::fs::write(
            &rc,
            format!(
                "set no syslog\npoll 127.0.0.1 protocol pop3 port {} uidl\n  user \"alice\" there with password \"wonderland\"\n  {}\n  sslproto ''\n  mda \"/bin/sh -c 'cat >> {}'\"\n",
                serve.port,
                if keep { "keep" } else { "nokeep fetchall" },
                mbox.display()
            ),
        )
        .unwrap();
        let mut permissions = std::fs::metadata(&rc).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o600);
        std::fs::set_permissions(&rc, permissions).unwrap();
        let output = Command::new("fetchmail")
            .arg("-f")
            .arg(&rc)
            .arg("-i")
            .arg(work.path().join("ids"))
            .arg("--pidfile")
            .arg(work.path().join("pid"))
            .args(["--nodetach", "-v"])
            .env("HOME", work.path())
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "keep={keep}: {log}");
        let fetched = std::fs::read_to_string(&mbox).unwrap();
        assert_eq!(fetched.matches("Subject: message ").count(), 3, "keep={keep}");
        let left = messages_left(dir.path(), "alice");
        assert_eq!(
            left.len(),
            if keep { 3 } else { 0 },
            "keep={keep}: {left:?}\n{log}"
        );
    }
}

#[test]
fn a_client_that_vanishes_in_the_middle_of_retr_or_after_dele_deletes_nothing() {
    let dir = mailboxes(&[("alice", "wonderland")], 3);
    let serve = Serve::start(dir.path(), &[]);
    let mut client = Client::connect(serve.port);
    client.login("alice", "wonderland");
    assert!(client.send("DELE 1").starts_with("+OK"));
    assert!(client.send("DELE 2").starts_with("+OK"));
    client.writer.write_all(b"RETR 3\r\n").unwrap();
    // Gone with the reply half read, as a crashing client would be.
    client.writer.shutdown(std::net::Shutdown::Both).unwrap();
    drop(client);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        messages_left(dir.path(), "alice"),
        ["001.eml", "002.eml", "003.eml"]
    );
    // The lock went with the connection: the next session logs in and sees all three.
    let mut client = Client::connect(serve.port);
    client.login("alice", "wonderland");
    assert_eq!(client.send("STAT").split(' ').nth(1), Some("3"));
}

#[test]
fn a_second_session_on_the_same_mailbox_is_told_it_is_in_use() {
    let dir = mailboxes(&[("alice", "wonderland")], 1);
    let serve = Serve::start(dir.path(), &[]);
    let mut first = Client::connect(serve.port);
    first.login("alice", "wonderland");
    let mut second = Client::connect(serve.port);
    assert_eq!(second.send("USER alice"), "+OK\r\n");
    assert_eq!(
        second.send("PASS wonderland"),
        "-ERR [IN-USE] Mailbox is locked by another POP3 session.\r\n"
    );
}

#[test]
fn a_hundred_clients_at_once_each_get_all_their_mail_once() {
    let users: Vec<(String, String)> = (0..100)
        .map(|i| (format!("student{i:03}"), format!("pw{i}")))
        .collect();
    let pairs: Vec<(&str, &str)> = users.iter().map(|(u, p)| (u.as_str(), p.as_str())).collect();
    let dir = mailboxes(&pairs, 3);
    // All from 127.0.0.1: one address, so its limit is raised as a class on one machine would.
    let serve = Serve::start(dir.path(), &["--max-per-address", "100"]);
    let port = serve.port;
    let threads: Vec<_> = users
        .clone()
        .into_iter()
        .map(|(user, password)| {
            std::thread::spawn(move || {
                let mut client = Client::connect(port);
                client.login(&user, &password);
                let mut subjects = Vec::new();
                for n in 1..=3 {
                    assert!(client.send(&format!("RETR {n}")).starts_with("+OK"));
                    let lines = client.lines();
                    subjects.extend(lines.into_iter().filter(|l| l.starts_with("Subject:")));
                    assert!(client.send(&format!("DELE {n}")).starts_with("+OK"));
                }
                assert_eq!(client.send("QUIT"), "+OK Logging out, messages deleted.\r\n");
                subjects
            })
        })
        .collect();
    for thread in threads {
        let subjects = thread.join().expect("a client thread");
        assert_eq!(
            subjects,
            ["Subject: message 1", "Subject: message 2", "Subject: message 3"]
        );
    }
    for (user, _) in &users {
        assert!(messages_left(dir.path(), user).is_empty(), "{user}");
    }
}

#[test]
fn garbage_from_a_client_gets_errors_not_a_crash() {
    let dir = mailboxes(&[("alice", "wonderland")], 1);
    let serve = Serve::start(dir.path(), &[]);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut random = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..20 {
        let mut stream = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let garbage: Vec<u8> = (0..(random() % 9000)).map(|_| random() as u8).collect();
        let _ = stream.write_all(&garbage);
        let _ = stream.write_all(b"\r\nQUIT\r\n");
    }
    // Still serving, and the mail is where it was.
    let mut client = Client::connect(serve.port);
    client.login("alice", "wonderland");
    assert_eq!(messages_left(dir.path(), "alice"), ["001.eml"]);
    let long = "X".repeat(10_000);
    assert_eq!(client.send(&long), "-ERR Line too long.\r\n");
    assert!(client.send("NOOP").starts_with("+OK"));
    // A long line that arrives in one piece is refused too, not read as a command.
    let long = format!("NOOP {}", "x".repeat(5_000));
    assert_eq!(client.send(&long), "-ERR Line too long.\r\n");
}

#[test]
fn serve_refuses_a_non_loopback_address_without_being_told() {
    let output = crate::util::bin()
        .args(["serve", "--listen", "0.0.0.0:1110"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--allow-remote"));
}

#[test]
fn an_idle_client_is_dropped_and_its_marks_forgotten() {
    let dir = mailboxes(&[("alice", "wonderland")], 2);
    let serve = Serve::start(dir.path(), &["--idle-timeout", "1"]);
    let mut client = Client::connect(serve.port);
    client.login("alice", "wonderland");
    assert!(client.send("DELE 1").starts_with("+OK"));
    std::thread::sleep(Duration::from_millis(1500));
    // Closed without a word (RFC 1939 §3).
    assert_eq!(client.line(), "", "the server closed the connection");
    assert_eq!(messages_left(dir.path(), "alice"), ["001.eml", "002.eml"]);
}

#[test]
fn started_as_root_it_serves_as_someone_else() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: not root, nothing to drop");
        return;
    }
    let dir = mailboxes(&[("alice", "wonderland")], 1);
    let serve = Serve::start(dir.path(), &[]);
    // The port answers from listen() on; root is dropped right after, so look a few times.
    let uid = || {
        let status = std::fs::read_to_string(format!("/proc/{}/status", serve.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("Uid:"))
            .unwrap()
            .to_string()
    };
    let dropped = |uid: &str| uid.split_whitespace().skip(1).all(|id| id != "0");
    for _ in 0..100 {
        if dropped(&uid()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(dropped(&uid()), "{}", uid());
    // And it still serves.
    let mut client = Client::connect(serve.port);
    client.login("alice", "wonderland");
}

#[test]
fn clients_that_never_finish_a_line_do_not_keep_others_out() {
    let dir = mailboxes(&[("alice", "wonderland")], 1);
    let serve = Serve::start(dir.path(), &["--max-clients", "8", "--line-timeout", "1"]);
    // Eight clients take every slot and trickle a line that never ends.
    let slow: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut stream = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
            stream.write_all(b"US").unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    for mut stream in &slow {
        let _ = stream.write_all(b"E");
    }
    // Within the line deadline they are cut off, and a well-behaved client is served.
    std::thread::sleep(Duration::from_millis(1500));
    let mut client = Client::connect(serve.port);
    client.login("alice", "wonderland");
    drop(slow);
}

#[test]
fn a_client_that_never_reads_is_closed_and_its_mailbox_unlocked() {
    let dir = mailboxes(&[("alice", "wonderland")], 0);
    // One large message: the replies fill the socket's buffers quickly.
    let large: String = (0..20_000)
        .map(|i| format!("line {i} of a long message, to fill the pipe\n"))
        .collect();
    std::fs::write(
        dir.path().join("alice/001.eml"),
        format!("Subject: big\n\n{large}"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("alice/001.eml"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();
    }
    let serve = Serve::start(dir.path(), &["--write-timeout", "1"]);
    let mut greedy = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
    greedy.write_all(b"USER alice\r\nPASS wonderland\r\n").unwrap();
    greedy.write_all(&b"RETR 1\r\n".repeat(200)).unwrap();
    // It never reads. Once the socket's buffers are full and a write waits out the deadline,
    // the server gives up on it and unlocks the mailbox (the buffers take a few seconds to fill).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let mut client = Client::connect(serve.port);
        client.send("USER alice");
        if client.send("PASS wonderland").starts_with("+OK") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the mailbox stayed locked");
        std::thread::sleep(Duration::from_millis(300));
    }
    drop(greedy);
}

/// A login from 127.0.0.2, another host as far as the server can tell.
const FROM_ANOTHER_ADDRESS: &str = r#"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10, source_address=("127.0.0.2", 0))
f = s.makefile("rb")
assert f.readline().startswith(b"+OK"), "greeting"
s.sendall(b"USER alice\r\n"); assert f.readline().startswith(b"+OK")
s.sendall(b"PASS wonderland\r\n"); assert f.readline().startswith(b"+OK"), "login"
print("ok")
"#;

#[test]
fn a_connection_flood_from_one_address_leaves_room_for_the_others() {
    if !have("python3") {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let dir = mailboxes(&[("alice", "wonderland")], 1);
    let serve = Serve::start(dir.path(), &["--max-per-address", "4"]);
    // One host opens ten connections: four are served, the rest told to come back later.
    let flood: Vec<(TcpStream, String)> = (0..10)
        .map(|_| {
            let stream = TcpStream::connect(("127.0.0.1", serve.port)).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut greeting = String::new();
            BufReader::new(stream.try_clone().unwrap())
                .read_line(&mut greeting)
                .unwrap();
            (stream, greeting)
        })
        .collect();
    let served = flood.iter().filter(|(_, g)| g.starts_with("+OK")).count();
    assert_eq!(served, 4);
    assert!(flood.iter().any(|(_, g)| g.starts_with("-ERR [SYS/TEMP]")));
    // Another host still gets in while the flood holds its connections.
    let other = Command::new("python3")
        .args(["-c", FROM_ANOTHER_ADDRESS, &serve.port.to_string()])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&other.stdout),
        "ok\n",
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    // When the flood ends, its address is served again.
    drop(flood);
    std::thread::sleep(Duration::from_millis(300));
    Client::connect(serve.port).login("alice", "wonderland");
}

#[test]
fn a_server_killed_at_any_point_of_update_loses_no_unmarked_mail_and_half_deletes_nothing() {
    let marked: Vec<String> = (1..=20).map(|n| format!("{n:03}.eml")).collect();
    let unmarked: Vec<String> = (21..=40).map(|n| format!("{n:03}.eml")).collect();
    // Kill points spread from before the QUIT is read to after the reply (a fixed LCG: the
    // same points on every run).
    let mut seed: u64 = 0x5eed;
    let mut committed = 0;
    for round in 0..16 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_micros((seed >> 33) % (100 << (round % 6)));
        let dir = mailboxes(&[("alice", "wonderland")], 40);
        let mut serve = Serve::start(dir.path(), &[]);
        let mut client = Client::connect(serve.port);
        client.login("alice", "wonderland");
        for n in 1..=20 {
            assert!(client.send(&format!("DELE {n}")).starts_with("+OK"));
        }
        client.writer.write_all(b"QUIT\r\n").unwrap();
        std::thread::sleep(delay);
        let _ = serve.child.kill();
        let _ = serve.child.wait();
        // Started again, the server finishes a commit that was decided, and only that.
        let _again = Serve::start(dir.path(), &[]);
        let left = messages_left(dir.path(), "alice");
        for name in &unmarked {
            assert!(
                left.contains(name),
                "{name} was not marked but is gone (delay {delay:?})"
            );
        }
        let gone = marked.iter().filter(|name| !left.contains(name)).count();
        assert!(
            gone == 0 || gone == marked.len(),
            "{gone} of the 20 marked messages gone: half a commit (delay {delay:?})"
        );
        assert!(
            !left.iter().any(|name| name.starts_with(".pop3scope")),
            "{left:?}"
        );
        committed += usize::from(gone == marked.len());
    }
    eprintln!("{committed} of 16 kills came after the commit was decided");
}

#[test]
fn serve_writes_the_keys_of_its_tls_sessions_as_the_client_does() {
    // Python's ssl writes the client's side of the same secrets (SSLKEYLOGFILE): the two key
    // logs must name the same sessions with the same secrets.
    if !have("python3") {
        eprintln!("skipped: python3 is not installed");
        return;
    }
    let dir = mailboxes(&[("alice", "wonderland")], 3);
    let keys = tempfile::tempdir().unwrap();
    let server_log = keys.path().join("server.keylog");
    let client_log = keys.path().join("client.keylog");
    let serve = Serve::start(dir.path(), &["--keylog", server_log.to_str().unwrap()]);
    run_poplib(&serve, &[("SSLKEYLOGFILE", client_log.as_path())]);
    let lines = |path: &Path| -> std::collections::BTreeSet<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect()
    };
    let server = lines(&server_log);
    assert!(
        server.iter().any(|l| l.starts_with("CLIENT_TRAFFIC_SECRET_0 ")),
        "{server:?}"
    );
    assert_eq!(server, lines(&client_log));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&server_log).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn sniff_decrypts_a_live_stls_session_with_the_key_log_serve_is_writing() {
    // The key log grows while sniff runs: each session's secrets are written as its handshake
    // ends, after sniff has opened the file.
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root || !have("python3") {
        eprintln!("skipped: needs root (capturing needs CAP_NET_RAW; CI runs as root) and python3");
        return;
    }
    let dir = mailboxes(&[("alice", "wonderland")], 3);
    let keys = tempfile::tempdir().unwrap();
    let keylog = keys.path().join("server.keylog");
    let serve = Serve::start(dir.path(), &["--keylog", keylog.to_str().unwrap()]);
    // POPLIB's two sessions: CAPA, CAPA, STLS, USER, PASS, STAT, RETR, DELE, QUIT; then APOP,
    // STAT, UIDL, QUIT (and perhaps the reply of the probe Serve::start made).
    let (mut sniff, _stderr) = crate::util::start_sniff(
        serve.port,
        &["--json", "-c", "13", "--keylog", keylog.to_str().unwrap()],
    );
    run_poplib(&serve, &[]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while sniff.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = sniff.kill();
            let mut json = String::new();
            std::io::Read::read_to_string(&mut sniff.stdout.take().unwrap(), &mut json).unwrap();
            panic!("sniff did not stop after 13 exchanges:\n{json}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut json = String::new();
    std::io::Read::read_to_string(&mut sniff.stdout.take().unwrap(), &mut json).unwrap();
    let exchanges: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["type"] == "exchange")
        .collect();
    // The session with STLS (Serve::start's probe of the port may be caught as a session too).
    let stls = exchanges
        .iter()
        .find(|r| r["command"] == "STLS")
        .expect("the STLS session");
    let first: Vec<(String, bool)> = exchanges
        .iter()
        .filter(|r| r["session"] == stls["session"])
        .map(|r| {
            (
                r["command"].as_str().unwrap_or("-").to_string(),
                r["decrypted"] == true,
            )
        })
        .collect();
    let expected: Vec<(String, bool)> = [
        ("CAPA", false),
        ("CAPA", false),
        ("STLS", false),
        ("USER", true),
        ("PASS", true),
        ("STAT", true),
        ("RETR", true),
        ("DELE", true),
        ("QUIT", true),
    ]
    .iter()
    .map(|(c, d)| (c.to_string(), *d))
    .collect();
    assert_eq!(first, expected, "{json}");
    // The summary carries the kernel's counters.
    let summary = json.lines().last().unwrap();
    assert!(
        summary.contains("\"kernel\":{\"received\":") && summary.contains("\"dropped\":0}"),
        "{summary}"
    );
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A login and QUIT, as the packets sniff writes should hold.
fn one_session(port: u16) {
    let mut client = Client::connect(port);
    client.login("alice", "wonderland");
    assert!(client.send("QUIT").starts_with("+OK"));
}

fn commands_in(capture: &[u8], port: u16) -> Vec<String> {
    let decoded = assert_cmd::Command::cargo_bin("pop3scope")
        .unwrap()
        .args(["open", "-", "--json", "--port", &port.to_string()])
        .write_stdin(capture.to_vec())
        .output()
        .unwrap();
    String::from_utf8_lossy(&decoded.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        // Serve::start's probe of the port may be caught as a greeting without a command.
        .filter(|r| r["type"] == "exchange" && r["command"].is_string())
        .map(|r| r["command"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn sniff_w_writes_its_header_at_once_and_with_u_every_packet_even_killed_or_to_a_pipe() {
    if !is_root() {
        eprintln!("skipped: not root (capturing needs CAP_NET_RAW; CI runs as root)");
        return;
    }
    let dir = mailboxes(&[("alice", "wonderland")], 1);
    let serve = Serve::start(dir.path(), &[]);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("live.pcap");

    // A file: the header before any packet; with -U each packet before sniff stops; killed,
    // nothing written is lost.
    let (mut sniff, _stderr) = crate::util::start_sniff(serve.port, &["-w", file.to_str().unwrap(), "-U"]);
    // (The last packets of Serve::start's probe of the port may follow it at once.)
    let written = std::fs::read(&file).unwrap();
    assert!(written.len() >= 24, "the pcap header, before the session");
    assert_eq!(&written[..4], &0xa1b2_c3d4u32.to_le_bytes());
    one_session(serve.port);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while commands_in(&std::fs::read(&file).unwrap(), serve.port) != ["USER", "PASS", "QUIT"] {
        let seen = commands_in(&std::fs::read(&file).unwrap(), serve.port);
        assert!(
            std::time::Instant::now() < deadline,
            "-U: the packets were not written while sniff ran: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    sniff.kill().unwrap();
    sniff.wait().unwrap();
    assert_eq!(
        commands_in(&std::fs::read(&file).unwrap(), serve.port),
        ["USER", "PASS", "QUIT"]
    );
    assert!(!std::path::Path::new("-").exists());

    // Standard output: `-w -`, read as it comes, ended by SIGTERM.
    let (mut sniff, mut stderr) = crate::util::start_sniff(serve.port, &["-w", "-", "-U"]);
    let mut stdout = sniff.stdout.take().unwrap();
    let mut header = [0; 24];
    std::io::Read::read_exact(&mut stdout, &mut header).unwrap();
    assert_eq!(&header[..4], &0xa1b2_c3d4u32.to_le_bytes());
    one_session(serve.port);
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: a plain signal to our own child.
    unsafe { libc::kill(sniff.id() as i32, libc::SIGTERM) };
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut stdout, &mut rest).unwrap();
    let status = sniff.wait().unwrap();
    let mut said = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut said).unwrap();
    assert!(status.success(), "{status:?}: {said}");
    assert_eq!(
        commands_in(&[&header[..], &rest].concat(), serve.port),
        ["USER", "PASS", "QUIT"]
    );

    // A .pcapng name: pcapng, naming the interface and saying who captured it.
    let file = out.path().join("live.pcapng");
    let (mut sniff, _stderr) = crate::util::start_sniff(serve.port, &["-w", file.to_str().unwrap()]);
    one_session(serve.port);
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: a plain signal to our own child.
    unsafe { libc::kill(sniff.id() as i32, libc::SIGTERM) };
    sniff.wait().unwrap();
    let written = std::fs::read(&file).unwrap();
    assert_eq!(&written[..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
    assert!(written.windows(9).any(|w| w == b"pop3scope"));
    assert_eq!(commands_in(&written, serve.port), ["USER", "PASS", "QUIT"]);
}

/// `pop3scope serve` on a free port through `sh -c PREFIX exec …`, its standard error kept.
fn serve_by_shell(mailbox: &Path, prefix: &str, listen_host: &str) -> (Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = format!(
        "{prefix} exec {} serve --listen {listen_host}:{port} --mailbox {}",
        assert_cmd::cargo::cargo_bin("pop3scope").display(),
        mailbox.display()
    );
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (child, port);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("serve did not start");
}

#[test]
fn sigterm_and_an_ignored_sigint_stop_serve_cleanly_without_deleting_what_was_not_quit() {
    for (signal, prefix) in [(libc::SIGTERM, ""), (libc::SIGINT, "trap '' INT;")] {
        let dir = mailboxes(&[("alice", "wonderland")], 2);
        // A script's background job starts with SIGINT ignored: `trap '' INT` is the same.
        let (mut serve, port) = serve_by_shell(dir.path(), prefix, "localhost");
        let mut client = Client::connect(port);
        client.login("alice", "wonderland");
        assert!(client.send("DELE 1").starts_with("+OK"));
        // SAFETY: a plain signal to our own child.
        unsafe { libc::kill(serve.id() as i32, signal) };
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(status) = serve.try_wait().unwrap() {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "serve ignored signal {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut said = String::new();
        std::io::Read::read_to_string(&mut serve.stderr.take().unwrap(), &mut said).unwrap();
        assert!(status.success(), "signal {signal}: {status:?}\n{said}");
        assert!(
            said.contains("stopped; 1 session was open: closed without QUIT"),
            "{said}"
        );
        assert_eq!(messages_left(dir.path(), "alice"), ["001.eml", "002.eml"]);
    }
}

#[test]
fn listen_takes_a_host_name_and_the_certificate_names_the_address_too() {
    if !have("openssl") {
        eprintln!("skipped: openssl is not installed");
        return;
    }
    let dir = mailboxes(&[("alice", "wonderland")], 1);
    let (mut serve, port) = serve_by_shell(dir.path(), "", "localhost");
    let shown = Command::new("sh")
        .args([
            "-c",
            &format!(
                "openssl s_client -starttls pop3 -connect 127.0.0.1:{port} </dev/null 2>/dev/null | openssl x509 -noout -ext subjectAltName"
            ),
        ])
        .output()
        .unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    let names = String::from_utf8_lossy(&shown.stdout);
    assert!(
        names.contains("DNS:localhost") && names.contains("IP Address:127.0.0.1"),
        "{names}"
    );
}
