//! The classroom's web server: the student page, joining, answers, and the push of every change
//! to every page (server-sent events), on axum over tokio.
//!
//! Contract:
//! - Everything the page needs is built into the binary; the page loads nothing from anywhere
//!   else, and a strict Content-Security-Policy says so to the browser.
//! - A student needs the join code; from then on their token (128 random bits) identifies them.
//!   Nothing a student sends moves the lesson of a class the teacher leads.
//! - Bounded: connections (a permit each, given back when the connection closes), request
//!   bodies (4 KiB), requests per student (per second), wrong join codes per address (per
//!   minute), students (the class's own bound). What is refused says why, with its HTTP status.
//! - Texts reach the page as JSON strings; the page puts them in as text, never as markup.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::WatchStream;

use super::Class;
use super::page::{StepPage, Words};
use super::state::{Refusal, Token};
use crate::teach::lesson::Response as StudentAnswer;

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");

/// Nothing but this server's own files, no inline script or style, no framing, no forms sent
/// elsewhere.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Requests a student may make in one second; beyond, `429 Too Many Requests`.
const REQUESTS_PER_SECOND: u32 = 20;
/// Wrong join codes one address may try in a minute: guessing six digits takes a week.
const WRONG_CODES_PER_MINUTE: u32 = 10;
/// Joins one address may make in a minute (a class behind one NAT still gets in).
const JOINS_PER_MINUTE: u32 = 60;
/// Request windows kept at most (students and joining addresses).
const MAX_WINDOWS: usize = 4096;

/// Bounds of the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Open connections at most; more wait to be accepted.
    pub connections: usize,
}

/// Counts requests per key in windows of time.
#[derive(Default)]
struct Windows {
    counts: HashMap<String, (Instant, u32)>,
}

impl Windows {
    /// Counts one more request of `key` and says whether it fits: at most `limit` in `span`.
    /// When the table is full of current windows, nothing more fits (a flood from many
    /// addresses does not wipe the counts of the others).
    fn admit(&mut self, key: &str, limit: u32, span: Duration) -> bool {
        let now = Instant::now();
        if !self.counts.contains_key(key) && self.counts.len() >= MAX_WINDOWS {
            self.counts
                .retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
            if self.counts.len() >= MAX_WINDOWS {
                return false;
            }
        }
        let (start, count) = self.counts.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(*start) >= span {
            *start = now;
            *count = 0;
        }
        *count += 1;
        *count <= limit
    }

    /// Whether `key` has used up its `limit` in `span` already, without counting.
    fn exhausted(&self, key: &str, limit: u32, span: Duration) -> bool {
        self.counts
            .get(key)
            .is_some_and(|(start, count)| start.elapsed() < span && *count >= limit)
    }
}

/// An address as the limits count it: IPv4 whole, IPv6 by its /64 (one machine can take any
/// address of its network).
fn address_key(address: std::net::IpAddr) -> String {
    match address {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

#[derive(Clone)]
struct App {
    class: Class,
    windows: Arc<Mutex<Windows>>,
    /// Per student: the number of their newest event stream; an older one ends.
    streams: Arc<Mutex<HashMap<usize, u64>>>,
    /// Bumped when a stream is superseded, to wake the old one so it can end.
    superseded: Arc<tokio::sync::watch::Sender<u64>>,
}

/// A running web server.
pub struct WebServer {
    /// Where it listens.
    pub address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WebServer {
    /// Serves `class` on `listener` from a thread of its own.
    pub fn start(class: Class, listener: std::net::TcpListener, limits: Limits) -> io::Result<WebServer> {
        let address = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("classroom")
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = App {
            class,
            windows: Arc::new(Mutex::new(Windows::default())),
            streams: Arc::new(Mutex::new(HashMap::new())),
            superseded: Arc::new(tokio::sync::watch::channel(0).0),
        };
        let thread = std::thread::Builder::new()
            .name("classroom".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let mut listener = Limited {
                        inner: listener,
                        permits: Arc::new(tokio::sync::Semaphore::new(limits.connections)),
                        per_address: Arc::new(Mutex::new(HashMap::new())),
                    };
                    let router = router(app);
                    // Stopping does not wait for the students' streams, which never end by
                    // themselves: the runtime's shutdown closes them.
                    tokio::select! {
                        _ = serve(&mut listener, router) => {}
                        _ = stopped => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_millis(200));
            })?;
        Ok(WebServer {
            address,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn router(app: App) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route("/words", get(words))
        .route("/join", post(join))
        .route("/whoami", post(whoami))
        .route("/answer", post(answer))
        .route("/move", post(step_move))
        .route("/events", get(events))
        .fallback(|| async { refused(StatusCode::NOT_FOUND, "not found") })
        .layer(DefaultBodyLimit::max(4096))
        // Every answer carries the security headers, errors and rejections included.
        .layer(axum::middleware::map_response(|response: Response| async {
            secured(response)
        }))
        .with_state(app)
}

/// The headers every answer carries.
fn secured(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn asset(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], body).into_response()
}

#[derive(Serialize)]
struct Problem {
    error: String,
}

fn refused(status: StatusCode, why: impl ToString) -> Response {
    (
        status,
        Json(Problem {
            error: why.to_string(),
        }),
    )
        .into_response()
}

/// A request body that is not the JSON asked for: its status, in JSON, without the parser's
/// details.
fn rejected(rejection: JsonRejection) -> Response {
    refused(rejection.status(), "the request is not the JSON this page sends")
}

/// A refusal in the page's language.
fn refusal(app: &App, refusal: Refusal) -> Response {
    let status = match refusal {
        Refusal::WrongCode | Refusal::TeacherLeads => StatusCode::FORBIDDEN,
        Refusal::UnknownStudent => StatusCode::UNAUTHORIZED,
        Refusal::Full => StatusCode::SERVICE_UNAVAILABLE,
        Refusal::NoName | Refusal::NoSuchChoice => StatusCode::BAD_REQUEST,
        Refusal::NameTaken | Refusal::AnsweredAlready | Refusal::Revealed | Refusal::AnswerFirst => {
            StatusCode::CONFLICT
        }
    };
    let text = match (app.class.pages().lang, refusal) {
        ("zh", Refusal::WrongCode) => "加入码不对".to_string(),
        ("zh", Refusal::NoName) => "请填写名字".to_string(),
        ("zh", Refusal::NameTaken) => "这个名字已经有人用了：加上姓氏或首字母".to_string(),
        ("zh", Refusal::Full) => "课堂已满".to_string(),
        ("zh", Refusal::UnknownStudent) => "不认识这个学生：请重新加入".to_string(),
        ("zh", Refusal::NoSuchChoice) => "这一步没有这个问题或选项".to_string(),
        ("zh", Refusal::AnsweredAlready) => "已经作答：第一次的回答才算数".to_string(),
        ("zh", Refusal::Revealed) => "答案已经揭晓".to_string(),
        ("zh", Refusal::TeacherLeads) => "课程由老师推进".to_string(),
        ("zh", Refusal::AnswerFirst) => "请先回答问题".to_string(),
        (_, refusal) => refusal.to_string(),
    };
    refused(status, text)
}

/// A fresh token: 128 bits from the system's random source.
fn new_token() -> Option<Token> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    Some(Token(crate::base::hex(&bytes)))
}

/// The page's fixed words, for the join form before anyone has joined.
async fn words(State(app): State<App>) -> Response {
    #[derive(Serialize)]
    struct Labels<'a> {
        lang: &'static str,
        title: &'a str,
        words: &'a Words,
    }
    let pages = app.class.pages();
    Json(Labels {
        lang: pages.lang,
        title: &pages.title,
        words: &pages.words,
    })
    .into_response()
}

#[derive(Deserialize)]
struct JoinRequest {
    name: String,
    code: String,
}

#[derive(Serialize)]
struct Joined {
    token: String,
}

async fn join(
    State(app): State<App>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    request: Result<Json<JoinRequest>, JsonRejection>,
) -> Response {
    let Json(request) = match request {
        Ok(request) => request,
        Err(rejection) => return rejected(rejection),
    };
    let address = address_key(peer.ip());
    let wrong = format!("wrong code from {address}");
    let minute = Duration::from_secs(60);
    let admitted = app.windows.lock().is_ok_and(|mut windows| {
        !windows.exhausted(&wrong, WRONG_CODES_PER_MINUTE, minute)
            && windows.admit(&format!("joins from {address}"), JOINS_PER_MINUTE, minute)
    });
    if !admitted {
        return refused(StatusCode::TOO_MANY_REQUESTS, "too many tries: wait a minute");
    }
    let Some(token) = new_token() else {
        return refused(StatusCode::INTERNAL_SERVER_ERROR, "no random source");
    };
    match app.class.join(&request.name, &request.code, token.clone()) {
        Ok(_) => Json(Joined { token: token.0 }).into_response(),
        Err(Refusal::WrongCode) => {
            if let Ok(mut windows) = app.windows.lock() {
                windows.admit(&wrong, WRONG_CODES_PER_MINUTE, minute);
            }
            refusal(&app, Refusal::WrongCode)
        }
        Err(why) => refusal(&app, why),
    }
}

/// Why a request of a student is turned away before it is looked at.
enum Gate {
    /// The student spent their requests of this second.
    TooMany,
    /// The token is nobody's.
    Unknown,
}

impl Gate {
    fn response(self, app: &App) -> Response {
        match self {
            Gate::TooMany => refused(StatusCode::TOO_MANY_REQUESTS, "too many requests: slow down"),
            Gate::Unknown => refusal(app, Refusal::UnknownStudent),
        }
    }
}

/// The student behind a token, when they have not spent their requests of this second.
fn student(app: &App, token: &str) -> Result<usize, Gate> {
    // Only known students are counted: random tokens cannot grow the windows.
    let student = app
        .class
        .room()
        .student(&Token(token.to_string()))
        .ok_or(Gate::Unknown)?;
    let admitted = app.windows.lock().is_ok_and(|mut windows| {
        windows.admit(
            &format!("student {student}"),
            REQUESTS_PER_SECOND,
            Duration::from_secs(1),
        )
    });
    if admitted { Ok(student) } else { Err(Gate::TooMany) }
}

/// A student's request: its body and the student its token names, or the response that refuses
/// it (a malformed body, a token no student holds, too many requests this second).
// The refusal is the response itself, sent at once: boxing it would only add an allocation.
#[allow(clippy::result_large_err)]
fn students_request<T>(
    app: &App,
    request: Result<Json<T>, JsonRejection>,
    token: impl Fn(&T) -> &str,
) -> Result<(usize, T), Response> {
    let Json(request) = request.map_err(rejected)?;
    let student = student(app, token(&request)).map_err(|gate| gate.response(app))?;
    Ok((student, request))
}

#[derive(Deserialize)]
struct TokenRequest {
    token: String,
}

/// Whether a token is still a student's: the page asks when its stream was closed.
async fn whoami(State(app): State<App>, request: Result<Json<TokenRequest>, JsonRejection>) -> Response {
    match students_request(&app, request, |r| &r.token) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => refusal,
    }
}

#[derive(Deserialize)]
struct AnswerRequest {
    token: String,
    /// 1-based, as the page shows it.
    step: usize,
    /// The choice picked, 0-based.
    choice: Option<usize>,
    /// The choices picked, 0-based: one, or several for a question with several right answers.
    #[serde(default)]
    choices: Vec<usize>,
    /// The number given to a number question.
    number: Option<u64>,
}

impl AnswerRequest {
    /// The answer, or `None` when the request holds none or more than one kind (or an absurd
    /// choice).
    fn response(&self) -> Option<StudentAnswer> {
        let choices: Vec<usize> = self
            .choice
            .into_iter()
            .chain(self.choices.iter().copied())
            .collect();
        if self.choice.is_some() && !self.choices.is_empty() {
            return None;
        }
        match (choices.as_slice(), self.number) {
            ([], Some(number)) => Some(StudentAnswer::Number(number)),
            (choices, None) if !choices.is_empty() && choices.len() <= 16 => {
                let mask = choices
                    .iter()
                    .try_fold(0u16, |mask, &c| (c < 16).then(|| mask | 1 << c))?;
                Some(StudentAnswer::Picked(mask))
            }
            _ => None,
        }
    }
}

async fn answer(State(app): State<App>, request: Result<Json<AnswerRequest>, JsonRejection>) -> Response {
    let (student, request) = match students_request(&app, request, |r| &r.token) {
        Ok(accepted) => accepted,
        Err(refusal) => return refusal,
    };
    let step = request.step.wrapping_sub(1);
    let Some(response) = request.response() else {
        return refusal(&app, Refusal::NoSuchChoice);
    };
    // The answer is written to the results file before the reply: off the async workers.
    let class = app.class.clone();
    let answered = tokio::task::spawn_blocking(move || class.answer(student, step, response)).await;
    match answered {
        Ok(Ok(_)) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(why)) => refusal(&app, why),
        Err(_) => refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the answer could not be recorded",
        ),
    }
}

#[derive(Deserialize)]
struct MoveRequest {
    token: String,
    forward: bool,
}

async fn step_move(State(app): State<App>, request: Result<Json<MoveRequest>, JsonRejection>) -> Response {
    let (student, request) = match students_request(&app, request, |r| &r.token) {
        Ok(accepted) => accepted,
        Err(refusal) => return refusal,
    };
    match app.class.student_move(student, request.forward) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(why) => refusal(&app, why),
    }
}

#[derive(Deserialize)]
struct EventsQuery {
    token: String,
}

/// What a student's page shows now.
#[derive(Serialize)]
struct StudentView<'a> {
    name: &'a str,
    title: &'a str,
    lang: &'static str,
    words: &'a Words,
    self_paced: bool,
    page: &'a StepPage,
    /// Their answer to this step: the choice, and once the answer is shown whether it was right.
    mine: Option<Mine>,
    finished: bool,
    /// (right, asked), at the end.
    score: Option<(usize, usize)>,
}

#[derive(Serialize)]
struct Mine {
    /// The choices picked, 0-based (empty for a number).
    choices: Vec<usize>,
    number: Option<u64>,
    right: Option<bool>,
}

/// The JSON of a student's page as the class stands.
fn view(class: &Class, student: usize) -> String {
    let room = class.room();
    let position = room.position(student).clone();
    let pages = class.pages();
    let step = position.step.min(pages.steps.len().saturating_sub(1));
    let revealed = position.revealed_here();
    let who = &room.students()[student];
    let mine = who.answers.get(step).copied().flatten().map(|given| Mine {
        choices: (0..16).filter(|&i| given.response.picked(i)).collect(),
        number: match given.response {
            StudentAnswer::Number(number) => Some(number),
            StudentAnswer::Picked(_) => None,
        },
        right: revealed.then_some(given.right),
    });
    let view = StudentView {
        name: &who.name,
        title: &pages.title,
        lang: pages.lang,
        words: &pages.words,
        self_paced: room.config().self_paced,
        page: &pages.steps[step][usize::from(revealed)],
        mine,
        finished: position.finished,
        score: position.finished.then(|| room.score(student)),
    };
    serde_json::to_string(&view).unwrap_or_default()
}

async fn events(State(app): State<App>, Query(query): Query<EventsQuery>) -> Response {
    let student = match student(&app, &query.token) {
        Ok(student) => student,
        Err(gate) => return gate.response(&app),
    };
    // One stream per student: a newer one (a reload, a second tab) ends the older.
    let generation = {
        let mut streams = app
            .streams
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let generation = streams.entry(student).or_insert(0);
        *generation += 1;
        *generation
    };
    app.superseded.send_modify(|n| *n += 1);
    let class = app.class.clone();
    let streams = app.streams.clone();
    let mut last = String::new();
    // The current state at once, then an event whenever the student's page changes.
    let stream = WatchStream::new(app.class.changes())
        .merge(WatchStream::from_changes(app.superseded.subscribe()))
        .take_while(move |_| {
            streams
                .lock()
                .map(|streams| streams.get(&student) == Some(&generation))
                .unwrap_or(false)
        })
        .filter_map(move |_| {
            let json = view(&class, student);
            if json == last {
                return None;
            }
            last = json.clone();
            Some(Ok::<Event, std::convert::Infallible>(
                Event::default().event("state").data(json),
            ))
        });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// How long a client may take to send a request's headers, or leave a kept-alive connection
/// silent: beyond, the connection is closed (a slow or idle client cannot hold a slot).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections one address may hold at once (a classroom behind one NAT still fits).
const CONNECTIONS_PER_ADDRESS: usize = 64;

/// Accepts connections and serves each on its own task, HTTP/1.1 with a header timeout.
async fn serve(listener: &mut Limited, router: Router) {
    use tower::ServiceExt as _;
    loop {
        let (io, peer) = listener.accept().await;
        let service =
            router
                .clone()
                .map_request(move |request: axum::http::Request<hyper::body::Incoming>| {
                    let mut request = request.map(axum::body::Body::new);
                    request.extensions_mut().insert(ConnectInfo(Peer(peer)));
                    request
                });
        let service = hyper_util::service::TowerToHyperService::new(service);
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT);
            let _ = builder
                .serve_connection(hyper_util::rt::TokioIo::new(io), service)
                .await;
        });
    }
}

/// A listener that holds a permit per open connection (and counts them per address): beyond
/// the bounds, connections wait in the kernel's queue, or are closed at once.
struct Limited {
    inner: tokio::net::TcpListener,
    permits: Arc<tokio::sync::Semaphore>,
    per_address: Arc<Mutex<HashMap<std::net::IpAddr, usize>>>,
}

impl Limited {
    async fn accept(&mut self) -> (LimitedStream, SocketAddr) {
        loop {
            let permit = loop {
                if let Ok(permit) = self.permits.clone().acquire_owned().await {
                    break permit;
                }
            };
            let (stream, address) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                // Out of descriptors, or the peer went: wait a little instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            };
            let admitted = self.per_address.lock().is_ok_and(|mut counts| {
                let count = counts.entry(address.ip()).or_insert(0);
                if *count >= CONNECTIONS_PER_ADDRESS {
                    false
                } else {
                    *count += 1;
                    true
                }
            });
            if !admitted {
                // Dropped: the connection closes, the permit comes back.
                continue;
            }
            let _ = stream.set_nodelay(true);
            return (
                LimitedStream {
                    stream,
                    _permit: permit,
                    address: address.ip(),
                    per_address: self.per_address.clone(),
                },
                address,
            );
        }
    }
}

/// A connection, its permit, and its place in the count of its address.
struct LimitedStream {
    stream: tokio::net::TcpStream,
    _permit: tokio::sync::OwnedSemaphorePermit,
    address: std::net::IpAddr,
    per_address: Arc<Mutex<HashMap<std::net::IpAddr, usize>>>,
}

impl Drop for LimitedStream {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.per_address.lock()
            && let Some(count) = counts.get_mut(&self.address)
        {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

impl AsyncRead for LimitedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The address a request came from.
#[derive(Clone, Copy, Debug)]
struct Peer(SocketAddr);
