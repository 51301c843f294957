//! The teaching server on TCP: a thread per client, lines read with a cap, an idle timeout,
//! TLS after STLS. The protocol itself is [`super::session::ServerSession`].

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::ServerConfig;
use super::session::{ServerSession, Then};
use super::store::{Locks, Store};
use crate::teach::Error;

/// A command line, or a SASL response, longer than this is refused (RFC 2449 §4 allows 255
/// octets for commands; SASL responses may be longer).
const MAX_LINE: usize = 4096;

/// How the server listens.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Close a connection after this long without a line from the client (RFC 1939 §3: at
    /// least 10 minutes; shorter is allowed for a classroom).
    pub idle_timeout: Duration,
    /// Clients served at once; the next ones get `-ERR [SYS/TEMP]`.
    pub max_clients: usize,
    /// Clients served at once from one IP address: a flood from one host leaves room for the
    /// others.
    pub max_per_address: usize,
    /// How long a line may take from its first byte to its end: a client that never finishes
    /// its lines (slowloris) is closed, so it cannot hold a slot.
    pub line_deadline: Duration,
    /// How long a reply may take to be written: a client that never reads is closed, and its
    /// mailbox unlocked, instead of holding a thread and the lock for ever.
    pub write_deadline: Duration,
}

/// Writes each TLS session's secrets in the NSS key log format (as SSLKEYLOGFILE does, and
/// as Wireshark's `tls.keylog_file` and `pop3scope open --keylog` read it), a line at a time.
struct KeyLogFile(std::sync::Mutex<std::fs::File>);

impl std::fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLogFile")
    }
}

impl rustls::KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        use std::io::Write as _;
        let hex = crate::base::hex;
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        let mut file = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // A key log that cannot be written loses keys, not sessions: the class goes on.
        let _ = file.write_all(line.as_bytes()).and_then(|()| file.flush());
    }
}

/// A self-signed certificate made at start for `localhost` and for `names` (the address and
/// host name the server listens on), so STLS works with no setup. Clients must be told not to
/// verify it (it is for watching, not for privacy). With `keylog`, every session's secrets are
/// written there, so the class can decrypt its own recordings.
pub fn self_signed_tls(
    keylog: Option<std::fs::File>,
    names: &[String],
) -> Result<Arc<rustls::ServerConfig>, Error> {
    let mut subject_names = vec!["localhost".to_string()];
    for name in names {
        if !subject_names.contains(name) {
            subject_names.push(name.clone());
        }
    }
    let certified = rcgen::generate_simple_self_signed(subject_names)
        .map_err(|e| Error::Certificate(format!("cannot make a certificate: {e}")))?;
    let cert = CertificateDer::from(certified.cert.der().to_vec());
    let key = PrivateKeyDer::from_pem_slice(certified.key_pair.serialize_pem().as_bytes())
        .map_err(|e| Error::Certificate(format!("cannot read the new key: {e}")))?;
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Certificate(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .map_err(|e| Error::Certificate(format!("cannot use the certificate: {e}")))?;
    if let Some(file) = keylog {
        config.key_log = Arc::new(KeyLogFile(std::sync::Mutex::new(file)));
    }
    Ok(Arc::new(config))
}

/// The connection, before or after STLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Conn {
    /// The TCP connection underneath, plain or TLS.
    fn socket(&self) -> &TcpStream {
        match self {
            Conn::Plain(stream) => stream,
            Conn::Tls(stream) => &stream.sock,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(stream) => stream.read(buf),
            Conn::Tls(stream) => stream.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(stream) => stream.write(buf),
            Conn::Tls(stream) => stream.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(stream) => stream.flush(),
            Conn::Tls(stream) => stream.flush(),
        }
    }
}

/// Everything the client threads share.
pub struct Server {
    pub store: Arc<dyn Store>,
    pub config: ServerConfig,
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub options: ServeOptions,
    locks: Locks,
    clients: AtomicUsize,
    /// Clients connected now, by address; an address leaves the map with its last client.
    per_address: Mutex<HashMap<IpAddr, usize>>,
    connections: AtomicU64,
    /// The sockets of the clients being served, to close them when the server stops.
    open: Mutex<HashMap<SocketAddr, TcpStream>>,
}

impl Server {
    pub fn new(
        store: Arc<dyn Store>,
        config: ServerConfig,
        tls: Option<Arc<rustls::ServerConfig>>,
        options: ServeOptions,
    ) -> Self {
        Server {
            store,
            config,
            tls,
            options,
            locks: Locks::default(),
            clients: AtomicUsize::new(0),
            per_address: Mutex::new(HashMap::new()),
            connections: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        }
    }

    /// Accepts clients until `stop` is set (checked between connections and every 20 ms), then
    /// closes the sessions still open as a dropped connection ends them: nothing deleted
    /// without QUIT (RFC 1939 §6), a QUIT already being carried out finished. Returns how many
    /// sessions it closed.
    pub fn run(self: Arc<Self>, listener: TcpListener, stop: &AtomicBool) -> io::Result<usize> {
        listener.set_nonblocking(true)?;
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, peer)) => {
                    stream.set_nonblocking(false)?;
                    let server = Arc::clone(&self);
                    std::thread::spawn(move || server.client(stream, peer));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => eprintln!("pop3scope serve: accept: {e}"),
            }
        }
        drop(listener);
        let closed = {
            let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            for stream in open.values() {
                // The session's next read sees the end of the connection.
                let _ = stream.shutdown(std::net::Shutdown::Read);
            }
            open.len()
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.clients.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(closed)
    }

    fn client(&self, mut stream: TcpStream, peer: SocketAddr) {
        let Some(_slot) = self.take_slot(peer.ip()) else {
            let end: &[u8] = if self.config.quirks.bare_lf {
                b"\n"
            } else {
                b"\r\n"
            };
            let _ =
                stream.write_all(&[b"-ERR [SYS/TEMP] Too many connections; try again later.", end].concat());
            return;
        };
        // The peer's address and port name the connection while it is open.
        if let Ok(clone) = stream.try_clone() {
            self.open
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(peer, clone);
        }
        let outcome = self.converse(stream.try_clone().map(Conn::Plain));
        self.open.lock().unwrap_or_else(|e| e.into_inner()).remove(&peer);
        if let Err(error) = outcome
            && !matches!(
                error.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            )
        {
            eprintln!("pop3scope serve: {peer}: {error}");
        }
        let _ = stream.shutdown(std::net::Shutdown::Both);
    }

    /// A place for one more client from `address`, if the server and the address have room;
    /// given back when dropped.
    fn take_slot(&self, address: IpAddr) -> Option<Slot<'_>> {
        let mut per_address = self.per_address.lock().unwrap_or_else(|e| e.into_inner());
        let from_address = per_address.entry(address).or_default();
        if *from_address >= self.options.max_per_address
            || self.clients.load(Ordering::SeqCst) >= self.options.max_clients
        {
            if *from_address == 0 {
                per_address.remove(&address);
            }
            return None;
        }
        *from_address += 1;
        self.clients.fetch_add(1, Ordering::SeqCst);
        Some(Slot {
            server: self,
            address,
        })
    }

    fn converse(&self, conn: io::Result<Conn>) -> io::Result<()> {
        let mut conn = conn?;
        conn.socket().set_read_timeout(Some(self.options.idle_timeout))?;
        conn.socket()
            .set_write_timeout(Some(self.options.write_deadline))?;
        conn.socket().set_nodelay(true)?;
        let number = self.connections.fetch_add(1, Ordering::SeqCst) + 1;
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let nonce = format!("{}.{number}.{seconds}", std::process::id());
        let mut session = ServerSession::new(&*self.store, &self.locks, &self.config, &nonce, false);
        conn.write_all(&session.greeting())?;
        let mut pending: Vec<u8> = Vec::new();
        let mut buf = [0u8; 4096];
        let mut too_long = false;
        // When the line being received began: it must end within the line deadline.
        let mut line_began: Option<Instant> = None;
        loop {
            // Between lines a client may think for the idle timeout; inside a line, only for
            // what is left of the line deadline.
            let wait = match line_began {
                Some(began) => self.options.line_deadline.saturating_sub(began.elapsed()),
                None => self.options.idle_timeout,
            };
            if wait.is_zero() {
                break;
            }
            conn.socket().set_read_timeout(Some(wait))?;
            let read = match conn.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    // Idle too long, or a line that never ends: close without a word and
                    // without entering UPDATE (RFC 1939 §3).
                    break;
                }
                Err(e) => {
                    session.disconnected();
                    return Err(e);
                }
            };
            pending.extend_from_slice(&buf[..read]);
            let mut completed = false;
            while let Some(lf) = pending.iter().position(|&b| b == b'\n') {
                completed = true;
                let mut line: Vec<u8> = pending.drain(..=lf).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if std::mem::take(&mut too_long) {
                    continue;
                }
                if line.len() > MAX_LINE {
                    conn.write_all(&session.notice("Line too long."))?;
                    continue;
                }
                let response = session.line(&line);
                if let Some(delay) = response.delay {
                    std::thread::sleep(delay);
                }
                conn.write_all(&response.bytes)?;
                match response.then {
                    Then::Continue => {}
                    Then::Close => {
                        session.disconnected();
                        return Ok(());
                    }
                    Then::StartTls => {
                        // Whatever came after STLS in plain text is dropped: read as TLS it
                        // would be command injection (RFC 7457 §2.2).
                        pending.clear();
                        conn = self.start_tls(conn)?;
                    }
                }
            }
            // The deadline runs from the first byte of the line still unfinished.
            line_began = match (pending.is_empty(), completed, line_began) {
                (true, _, _) => None,
                (false, false, Some(began)) => Some(began),
                (false, _, _) => Some(Instant::now()),
            };
            if pending.len() > MAX_LINE && !too_long {
                pending.clear();
                too_long = true;
                conn.write_all(&session.notice("Line too long."))?;
            } else if too_long {
                // The rest of a line already refused, up to its end.
                pending.clear();
            }
        }
        session.disconnected();
        Ok(())
    }

    fn start_tls(&self, conn: Conn) -> io::Result<Conn> {
        let (Conn::Plain(stream), Some(tls)) = (conn, &self.tls) else {
            return Err(io::Error::other("STLS without a TLS configuration"));
        };
        let connection = rustls::ServerConnection::new(Arc::clone(tls)).map_err(io::Error::other)?;
        Ok(Conn::Tls(Box::new(rustls::StreamOwned::new(connection, stream))))
    }
}

/// One client's place in the server's counts, given back when the client is done.
struct Slot<'a> {
    server: &'a Server,
    address: IpAddr,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut per_address = self.server.per_address.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = per_address.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                per_address.remove(&self.address);
            }
        }
        self.server.clients.fetch_sub(1, Ordering::SeqCst);
    }
}
