//! `pop3scope classroom`: two students in real browsers (headless Chromium over WebDriver, a
//! phone and a laptop) and thirty more at the HTTP level follow lesson 1 while the teacher leads
//! from the line console; hostile students are refused; the results file is right.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A classroom run by the teacher's line console.
struct Classroom {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    address: SocketAddr,
    code: String,
}

impl Classroom {
    fn start(args: &[&str]) -> Classroom {
        Classroom::start_lesson("1", args)
    }

    fn start_lesson(lesson: &str, args: &[&str]) -> Classroom {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pop3scope"))
            .args(["classroom", lesson, "--listen", "127.0.0.1:0"])
            .args(if args.contains(&"--lang") {
                &[][..]
            } else {
                &["--lang", "en"][..]
            })
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        // "pop3scope classroom: students open http://127.0.0.1:PORT/ and join with code NNNNNN"
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect(&line);
        let address = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap();
        let code = line.trim().rsplit(' ').next().unwrap().to_string();
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        assert!(
            first.starts_with("step 1 of ") || first.starts_with("self-paced"),
            "{first}"
        );
        Classroom {
            child,
            stdin,
            stdout,
            address,
            code,
        }
    }

    /// A console command, and the line it answers with.
    fn teacher(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }

    fn url(&self) -> String {
        format!("http://{}/", self.address)
    }
}

impl Drop for Classroom {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
    }
}

/// One HTTP/1.1 request; the status and the body.
fn http(address: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let body = body.unwrap_or("");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    (status, body)
}

fn join(class: &Classroom, name: &str) -> String {
    let body = serde_json::json!({"name": name, "code": class.code}).to_string();
    let (status, body) = http(class.address, "POST", "/join", Some(&body));
    assert_eq!(status, 200, "{body}");
    let joined: Value = serde_json::from_str(&body).unwrap();
    joined["token"].as_str().unwrap().to_string()
}

fn answer(class: &Classroom, token: &str, step: usize, choice: usize) -> u16 {
    answer_with(class, token, step, serde_json::json!({"choice": choice}))
}

/// Posts an answer of any shape: `{"choice": n}`, `{"choices": [..]}` or `{"number": n}`.
fn answer_with(class: &Classroom, token: &str, step: usize, answer: Value) -> u16 {
    let mut body = serde_json::json!({"token": token, "step": step});
    body.as_object_mut()
        .unwrap()
        .extend(answer.as_object().unwrap().clone());
    http(class.address, "POST", "/answer", Some(&body.to_string())).0
}

/// A student's stream of states (server-sent events).
struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    fn open(address: SocketAddr, token: &str) -> Events {
        let mut stream = TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            stream,
            "GET /events?token={token} HTTP/1.1\r\nHost: {address}\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
        Events { reader }
    }

    /// The next state the server pushes.
    fn next(&mut self) -> Value {
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            // Chunked transfer: the data line sits between chunk sizes.
            if let Some(data) = line.trim_end().strip_prefix("data: ") {
                return serde_json::from_str(data).unwrap();
            }
        }
    }

    /// The first pushed state that satisfies `wanted`.
    fn until(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let state = self.next();
            if wanted(&state) {
                return state;
            }
        }
    }
}

fn results_rows(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[test]
fn thirty_students_answer_and_the_tally_and_the_results_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.csv");
    let mut class = Classroom::start(&["--results", results.to_str().unwrap()]);
    let tokens: Vec<String> = (0..30)
        .map(|i| join(&class, &format!("student {i:02}")))
        .collect();
    let mut watcher = Events::open(class.address, &tokens[0]);
    assert_eq!(watcher.next()["page"]["step"], 1);
    // Step 1 asks how Alice's reply leaves her computer: choice 3 (SMTP submission) is right.
    for (i, token) in tokens.iter().enumerate() {
        assert_eq!(answer(&class, token, 1, i % 3), 204);
    }
    assert_eq!(
        class.teacher("tally"),
        "answered 30 of 30; 1) 10 2) 10 3) 10 4) 0; waiting: nobody"
    );
    // Before the reveal a student knows what they chose, not whether it was right.
    let before = watcher.until(|s| s["mine"]["choices"] == serde_json::json!([0]));
    assert_eq!(before["mine"]["right"], Value::Null);
    assert_eq!(before["page"]["answer"], Value::Null);
    let revealed = class.teacher("reveal");
    assert!(
        revealed.starts_with("step 1 of 8 (revealed): Alice's mail program"),
        "{revealed}"
    );
    let after = watcher.until(|s| !s["page"]["answer"].is_null());
    assert_eq!(after["mine"]["right"], false);
    assert_eq!(after["page"]["answer"]["correct"], serde_json::json!([2]));
    let rows = results_rows(&results);
    assert_eq!(rows.len(), 30);
    assert!(
        rows[2].starts_with("\"student 02\",1,\"Alice's mail program"),
        "{}",
        rows[2]
    );
    assert!(
        rows[2].contains(",\"by SMTP submission") && rows[2].contains(",true,"),
        "{}",
        rows[2]
    );
    assert_eq!(rows.iter().filter(|r| r.contains(",true,")).count(), 10);
    // The teacher moves on: every student follows.
    class.teacher("next");
    assert_eq!(
        watcher.until(|s| s["page"]["step"] == 2)["page"]["ask"],
        Value::Null
    );
}

#[test]
fn students_answer_a_number_question_with_a_number() {
    // Lesson 2, step 5: how many lines answer LIST on an empty mailbox? (2)
    let mut class = Classroom::start_lesson("2", &[]);
    let ann = join(&class, "Ann");
    let bob = join(&class, "Bob");
    let mut events = Events::open(class.address, &ann);
    assert!(class.teacher("go 5").starts_with("step 5 of 5"));
    let asked = events.until(|s| s["page"]["step"] == 5);
    assert_eq!(asked["page"]["ask"]["kind"], "number");
    assert_eq!(asked["page"]["ask"]["choices"], serde_json::json!([]));
    // A choice is no answer to a number question.
    assert_eq!(answer(&class, &bob, 5, 0), 400);
    assert_eq!(
        answer_with(&class, &ann, 5, serde_json::json!({"number": 2})),
        204
    );
    assert_eq!(
        answer_with(&class, &bob, 5, serde_json::json!({"number": 1})),
        204
    );
    assert_eq!(
        class.teacher("tally"),
        "answered 2 of 2; 1: 1 2: 1; waiting: nobody"
    );
    class.teacher("reveal");
    let revealed = events.until(|s| !s["page"]["answer"].is_null());
    assert_eq!(revealed["mine"]["number"], 2);
    assert_eq!(revealed["mine"]["right"], true);
    assert_eq!(revealed["page"]["answer"]["number"][0], 2);
}

#[test]
fn students_mark_every_right_answer_of_a_several_question() {
    // Lesson 9's last step (6): the user name and the PLAIN/LOGIN passwords (choices 1 and 2).
    let mut class = Classroom::start_lesson("9", &[]);
    let ann = join(&class, "Ann");
    let bob = join(&class, "Bob");
    let mut events = Events::open(class.address, &bob);
    assert!(class.teacher("go 6").starts_with("step 6 of 6"));
    assert_eq!(
        events.until(|s| s["page"]["step"] == 6)["page"]["ask"]["kind"],
        "several"
    );
    // An absurd choice and a mix of kinds are refused; a single pick is an answer (a wrong one).
    assert_eq!(
        answer_with(&class, &ann, 6, serde_json::json!({"choices": [0, 99]})),
        400
    );
    assert_eq!(
        answer_with(&class, &ann, 6, serde_json::json!({"choices": [0], "number": 1})),
        400
    );
    assert_eq!(
        answer_with(&class, &ann, 6, serde_json::json!({"choices": [1, 0]})),
        204
    );
    assert_eq!(answer(&class, &bob, 6, 0), 204);
    assert_eq!(
        class.teacher("tally"),
        "answered 2 of 2; 1) 2 2) 1 3) 0 4) 0; waiting: nobody"
    );
    class.teacher("reveal");
    let revealed = events.until(|s| !s["page"]["answer"].is_null());
    assert_eq!(revealed["mine"]["choices"], serde_json::json!([0]));
    assert_eq!(
        revealed["mine"]["right"], false,
        "half the right answer is not the answer"
    );
    assert_eq!(revealed["page"]["answer"]["correct"], serde_json::json!([0, 1]));
}

#[test]
fn in_a_self_paced_class_each_student_steps_alone() {
    let mut class = Classroom::start(&["--self-paced"]);
    let ann = join(&class, "Ann");
    let bob = join(&class, "Bob");
    let mut events = Events::open(class.address, &ann);
    assert_eq!(events.next()["self_paced"], true);
    let step_on = serde_json::json!({"token": ann, "forward": true}).to_string();
    // A question is answered before moving on; the answer shows at once, to the student alone.
    assert_eq!(http(class.address, "POST", "/move", Some(&step_on)).0, 409);
    assert_eq!(answer(&class, &ann, 1, 2), 204);
    let state = events.until(|s| !s["page"]["answer"].is_null());
    assert_eq!(state["mine"]["right"], true);
    assert_eq!(http(class.address, "POST", "/move", Some(&step_on)).0, 204);
    assert_eq!(events.until(|s| s["page"]["step"] == 2)["page"]["step"], 2);
    assert_eq!(
        class.teacher("tally"),
        "2 students: Ann at step 2, 1/5 right; Bob at step 1, 0/5 right"
    );
    let mut bobs = Events::open(class.address, &bob);
    assert_eq!(bobs.next()["page"]["step"], 1, "Bob stays where he is");
}

#[test]
fn the_page_speaks_the_lessons_language() {
    let class = Classroom::start(&["--lang", "zh"]);
    let token = join(&class, "李雷");
    let state = Events::open(class.address, &token).next();
    assert_eq!(state["lang"], "zh");
    assert_eq!(state["name"], "李雷");
    assert_eq!(state["words"]["join"], "加入课堂");
    assert!(
        state["page"]["say"][0]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c >= '\u{4e00}')
    );
}

#[test]
fn hostile_students_are_refused_and_cannot_move_the_lesson() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let mut class = Classroom::start(&["--results", results.to_str().unwrap()]);
    let wrong = serde_json::json!({"name": "Mallory", "code": "000000x"}).to_string();
    assert_eq!(http(class.address, "POST", "/join", Some(&wrong)).0, 403);
    // Markup stays text; control and bidi characters go.
    let token = join(&class, "<img src=x onerror=alert(1)>\u{1b}[2J\u{202e}Eve\r\n");
    let mut events = Events::open(class.address, &token);
    assert_eq!(events.next()["name"], "<img src=x onerror=alert(1)>[2JEve");
    assert_eq!(
        class.teacher("tally"),
        "answered 0 of 1; 1) 0 2) 0 3) 0 4) 0; waiting: <img src=x onerror=alert(1)>[2JEve"
    );
    // A student cannot move a class the teacher leads.
    let step_on = serde_json::json!({"token": token, "forward": true}).to_string();
    assert_eq!(http(class.address, "POST", "/move", Some(&step_on)).0, 403);
    // A flood of answers: the first counts, the rest are refused, and too many are throttled.
    let statuses: Vec<u16> = (0..60).map(|i| answer(&class, &token, 1, i % 3)).collect();
    assert_eq!(statuses[0], 204);
    assert!(
        statuses[1..].iter().all(|&s| s == 409 || s == 429),
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    assert_eq!(rows.len(), 1);
    // Unknown tokens, bad JSON and large bodies.
    assert_eq!(answer(&class, "0123", 1, 0), 401);
    assert_eq!(http(class.address, "POST", "/answer", Some("{not json")).0, 400);
    let large = format!("{{\"name\":\"{}\",\"code\":\"1\"}}", "x".repeat(10_000));
    assert_eq!(http(class.address, "POST", "/join", Some(&large)).0, 413);
    let (status, body) = http(class.address, "GET", "/../../etc/passwd", None);
    assert_eq!((status, body.as_str()), (404, "{\"error\":\"not found\"}"));
    // The same name twice (whatever the case) would leave the teacher guessing.
    let eve =
        serde_json::json!({"name": "<IMG SRC=X ONERROR=ALERT(1)>\u{1b}[2J\u{202e}EVE", "code": class.code})
            .to_string();
    assert_eq!(http(class.address, "POST", "/join", Some(&eve)).0, 409);
    // A second stream of the same student ends the first (a reload, a second tab). (After the
    // flood above, a second passes first.)
    std::thread::sleep(Duration::from_millis(1100));
    let mut second = Events::open(class.address, &token);
    assert_eq!(second.next()["name"], "<img src=x onerror=alert(1)>[2JEve");
    // The first stream ends at once: after what it had already sent, its last chunk.
    let started = Instant::now();
    let mut line = String::new();
    loop {
        line.clear();
        events.reader.read_line(&mut line).unwrap();
        if line == "0\r\n" || line.is_empty() {
            break;
        }
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        class.teacher("tally"),
        "answered 1 of 1; 1) 1 2) 0 3) 0 4) 0; waiting: nobody"
    );
    // Guessing the code: ten wrong tries a minute, then not even the right code is looked at.
    let tries: Vec<u16> = (0..12)
        .map(|_| http(class.address, "POST", "/join", Some(&wrong)).0)
        .collect();
    assert_eq!(&tries[..9], [403; 9]);
    assert_eq!(&tries[9..], [429; 3]);
    let right = serde_json::json!({"name": "Mallory", "code": class.code}).to_string();
    assert_eq!(http(class.address, "POST", "/join", Some(&right)).0, 429);
}

/// A connection to `to` from the local address `from` (another loopback address stands for
/// another machine).
fn connect_from(from: [u8; 4], to: SocketAddr) -> Option<TcpStream> {
    use std::os::fd::FromRawFd;
    let SocketAddr::V4(to) = to else { return None };
    let address = |ip: [u8; 4], port: u16| libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(ip),
        },
        sin_zero: [0; 8],
    };
    let size = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: a fresh socket, owned by the TcpStream at once; the addresses are valid
    // sockaddr_in of the size given.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        if fd < 0 {
            return None;
        }
        let stream = TcpStream::from_raw_fd(fd);
        let local = address(from, 0);
        let remote = address(to.ip().octets(), to.port());
        let bound = libc::bind(fd, (&local as *const libc::sockaddr_in).cast(), size) == 0;
        let connected = libc::connect(fd, (&remote as *const libc::sockaddr_in).cast(), size) == 0;
        (bound && connected).then_some(stream)
    }
}

/// Whether the server still holds the connection open.
fn still_open(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    matches!((&*stream).read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

#[test]
fn five_hundred_connections_do_not_stop_the_class() {
    let mut class = Classroom::start(&[]);
    let token = join(&class, "Ann");
    // Another machine opens 500 connections and sends nothing.
    let idle: Vec<TcpStream> = (0..500)
        .filter_map(|_| connect_from([127, 0, 0, 2], class.address))
        .collect();
    assert!(idle.len() >= 400, "{} connections", idle.len());
    // The students are not kept out.
    let mut events = Events::open(class.address, &token);
    assert_eq!(events.next()["name"], "Ann");
    assert_eq!(answer(&class, &token, 1, 1), 204);
    let bob = join(&class, "Bob");
    assert_eq!(answer(&class, &bob, 1, 0), 204);
    // Silent connections are closed after the header timeout (10 s): none of them holds a slot.
    std::thread::sleep(Duration::from_secs(11));
    let open = idle.iter().filter(|s| still_open(s)).count();
    assert_eq!(open, 0, "{open} silent connections are still open");
    // A student's stream is not silent: it stays, and follows the teacher.
    class.teacher("next");
    assert_eq!(events.until(|s| s["page"]["step"] == 2)["page"]["step"], 2);
}

#[test]
fn the_page_is_built_in_and_locked_down() {
    let class = Classroom::start(&[]);
    let mut stream = TcpStream::connect(class.address).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let headers = response.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(
        headers.contains("content-security-policy: default-src 'none'; script-src 'self'; style-src 'self'")
    );
    assert!(headers.contains("x-content-type-options: nosniff"));
    // Nothing from elsewhere, nothing inline.
    for asset in ["/", "/app.js", "/style.css"] {
        let (status, body) = http(class.address, "GET", asset, None);
        assert_eq!(status, 200);
        // The one address in them is the SVG namespace, a name, not a place.
        let elsewhere = body.replace("http://www.w3.org/2000/svg", "");
        assert!(
            !elsewhere.contains("https://") && !elsewhere.contains("http://"),
            "{asset} loads from elsewhere"
        );
        assert!(
            !body.contains("innerHTML") && !body.contains("onclick="),
            "{asset}"
        );
    }
}

/// A browser that runs headless: `chromedriver` on `port` with a profile of its own.
async fn browser(port: u16, profile: &Path, width: u32, height: u32) -> fantoccini::Client {
    let capabilities = serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={width},{height}"),
            ]
        }
    });
    let capabilities = capabilities.as_object().unwrap().clone();
    fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("chromedriver starts a browser")
}

async fn text(client: &fantoccini::Client, id: &str) -> String {
    client
        .find(fantoccini::Locator::Id(id))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Waits until the element `id` shows `wanted`.
async fn wait_text(client: &fantoccini::Client, id: &str, wanted: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shown = text(client, id).await;
        if shown.contains(wanted) {
            return shown;
        }
        assert!(Instant::now() < deadline, "#{id} shows {shown:?}, not {wanted:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn join_in(client: &fantoccini::Client, url: &str, name: &str, code: &str) {
    use fantoccini::Locator;
    client.goto(url).await.unwrap();
    client
        .find(Locator::Id("name"))
        .await
        .unwrap()
        .send_keys(name)
        .await
        .unwrap();
    client
        .find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys(code)
        .await
        .unwrap();
    client
        .find(Locator::Id("join-button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(client, "step", "1 / ").await;
}

async fn choose(client: &fantoccini::Client, choice: usize) {
    let selector = format!("#choices li:nth-child({choice}) button");
    client
        .find(fantoccini::Locator::Css(&selector))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn rows(client: &fantoccini::Client) -> Vec<String> {
    let mut texts = Vec::new();
    for row in client
        .find_all(fantoccini::Locator::Css("#rows li"))
        .await
        .unwrap()
    {
        texts.push(row.text().await.unwrap());
    }
    texts
}

/// A process that is stopped when the test ends, however it ends.
struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the README's screenshots come from: `POP3SCOPE_SCREENSHOTS=docs/screenshots`.
fn screenshot_dir() -> Option<PathBuf> {
    std::env::var_os("POP3SCOPE_SCREENSHOTS").map(PathBuf::from)
}

/// chromedriver on a free port, stopped when dropped; `None` (the test skips, saying why)
/// without Chromium.
fn chromedriver() -> Option<(Stopped, u16)> {
    if !Path::new("/usr/bin/chromium").exists() || !Path::new("/usr/bin/chromedriver").exists() {
        eprintln!("skipped: no chromium or chromedriver (apt-get install chromium chromium-driver)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = Stopped(
        Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((driver, port))
}

#[test]
fn in_a_browser_a_student_types_a_number_and_marks_several_answers() {
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut numbers = Classroom::start_lesson("2", &[]);
    let mut several = Classroom::start_lesson("9", &[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use fantoccini::Locator;
        let phone = browser(port, &dir.path().join("phone"), 412, 915).await;
        join_in(&phone, &numbers.url(), "Ann", &numbers.code).await;
        numbers.teacher("go 5");
        wait_text(&phone, "step", "5 / 5").await;
        // Another student's answer redraws the page: the digits typed so far stay.
        let field = phone.find(Locator::Id("number")).await.unwrap();
        field.send_keys("2").await.unwrap();
        let bob = join(&numbers, "Bob");
        answer_with(&numbers, &bob, 5, serde_json::json!({"number": 1}));
        tokio::time::sleep(Duration::from_millis(500)).await;
        let field = phone.find(Locator::Id("number")).await.unwrap();
        assert_eq!(field.prop("value").await.unwrap().as_deref(), Some("2"));
        let give = phone.find(Locator::Css("#give button")).await.unwrap();
        give.click().await.unwrap();
        wait_text(&phone, "feedback", "Wait for the teacher").await;
        numbers.teacher("reveal");
        wait_text(&phone, "feedback", "Right.").await;
        wait_text(&phone, "give", "Answer: 2.").await;

        join_in(&phone, &several.url(), "Ann", &several.code).await;
        several.teacher("go 6");
        wait_text(&phone, "step", "6 / 6").await;
        wait_text(&phone, "give", "pick every one").await;
        for choice in [1, 3, 2, 3] {
            choose(&phone, choice).await;
        }
        // Marks are not an answer until sent.
        assert_eq!(
            several.teacher("tally"),
            "answered 0 of 1; 1) 0 2) 0 3) 0 4) 0; waiting: Ann"
        );
        let give = phone.find(Locator::Css("#give button")).await.unwrap();
        give.click().await.unwrap();
        wait_text(&phone, "feedback", "Wait for the teacher").await;
        assert_eq!(
            several.teacher("tally"),
            "answered 1 of 1; 1) 1 2) 1 3) 0 4) 0; waiting: nobody"
        );
        several.teacher("reveal");
        wait_text(&phone, "feedback", "Right.").await;
        phone.close().await.unwrap();
    });
}

#[test]
fn two_browsers_follow_the_teacher_through_a_question_and_a_predicted_reply() {
    let Some((_driver, port)) = chromedriver() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.csv");
    let mut class = Classroom::start(&["--results", results.to_str().unwrap()]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = class.url();
    let code = class.code.clone();
    let outcome = runtime.block_on(async {
        let phone = browser(port, &dir.path().join("phone"), 412, 915).await;
        let laptop = browser(port, &dir.path().join("laptop"), 1280, 900).await;
        join_in(&phone, &url, "Ann", &code).await;
        join_in(&laptop, &url, "Bob", &code).await;
        // Step 1: each answers on their own device (choice 3 is right).
        choose(&phone, 3).await;
        choose(&laptop, 1).await;
        wait_text(&phone, "feedback", "Wait for the teacher").await;
        wait_text(&laptop, "feedback", "Wait for the teacher").await;
        // Thirty more students, over HTTP, in the same class.
        for i in 0..30 {
            let token = join(&class, &format!("student {i:02}"));
            assert_eq!(answer(&class, &token, 1, i % 3), 204);
        }
        let tally = class.teacher("tally");
        assert_eq!(
            tally,
            "answered 32 of 32; 1) 11 2) 10 3) 11 4) 0; waiting: nobody"
        );
        class.teacher("reveal");
        wait_text(&phone, "feedback", "Right.").await;
        wait_text(&laptop, "feedback", "Not quite.").await;
        if let Some(shots) = screenshot_dir() {
            std::fs::create_dir_all(&shots).unwrap();
            std::fs::write(
                shots.join("classroom-phone-revealed.png"),
                phone.screenshot().await.unwrap(),
            )
            .unwrap();
        }
        // Step 3 asks to predict the reply to PASS: hidden on every device until the reveal.
        class.teacher("go 3");
        wait_text(&phone, "step", "3 / 8").await;
        wait_text(&laptop, "feedback", "hidden").await;
        let hidden = rows(&laptop).await;
        assert!(hidden.last().unwrap().contains("PASS ********"), "{hidden:?}");
        if let Some(shots) = screenshot_dir() {
            std::fs::write(
                shots.join("classroom-laptop-predict.png"),
                laptop.screenshot().await.unwrap(),
            )
            .unwrap();
        }
        choose(&phone, 1).await;
        wait_text(&phone, "feedback", "Wait for the teacher").await;
        assert_eq!(
            rows(&phone).await.len(),
            hidden.len(),
            "an answer alone shows no reply"
        );
        class.teacher("reveal");
        wait_text(&laptop, "feedback", "").await;
        let deadline = Instant::now() + Duration::from_secs(10);
        while rows(&laptop).await.len() == hidden.len() {
            assert!(
                Instant::now() < deadline,
                "the reply did not come with the reveal"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(rows(&laptop).await.last().unwrap().contains("+OK"));
        // The end: each sees their own score.
        class.teacher("go 8");
        class.teacher("next");
        let phone_score = wait_text(&phone, "score", "/").await;
        let laptop_score = wait_text(&laptop, "score", "/").await;
        phone.close().await.unwrap();
        laptop.close().await.unwrap();
        (phone_score, laptop_score)
    });
    let (phone_score, laptop_score) = outcome;
    // Ann was right at step 1 and wrong at step 3; Bob wrong at step 1; lesson 1 asks five.
    assert_eq!(phone_score, "Your score: 1 / 5");
    assert_eq!(laptop_score, "Your score: 0 / 5");
    let rows = results_rows(&results);
    assert_eq!(rows.len(), 33, "{rows:?}");
    assert!(
        rows[0].starts_with("\"Ann\",1,") && rows[0].contains(",true,"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("\"Bob\",1,") && rows[1].contains(",false,"),
        "{}",
        rows[1]
    );
    assert_eq!(rows[2..32].iter().filter(|r| r.contains(",true,")).count(), 10);
    assert!(rows[32].starts_with("\"Ann\",3,"), "{}", rows[32]);
}
