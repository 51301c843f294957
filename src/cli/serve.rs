//! `pop3scope serve`: the teaching POP3 server.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;

#[derive(Args, Debug)]
pub(super) struct ServeArgs {
    /// Where to listen: an address or a host name, and a port (`127.0.0.1:1110`,
    /// `localhost:1110`, `[::1]:1110`). Port 110 needs root; the default needs nothing.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:1110", value_parser = parse_listen)]
    listen: Listen,

    /// Serve the mailboxes in DIR: one subdirectory per user, one .eml file per message
    /// (deleted for good at QUIT). Passwords come from --users, else DIR/users.
    #[arg(long, value_name = "DIR", conflicts_with = "demo")]
    mailbox: Option<PathBuf>,

    /// Serve the built-in demo mailboxes (the default): alice/wonderland (4 messages),
    /// bob/builder (2, one large), empty@example.test/nothing. Deletions last until it stops.
    #[arg(long)]
    demo: bool,

    /// The users file for --mailbox: `user:password` per line.
    #[arg(long, value_name = "FILE", requires = "mailbox")]
    users: Option<PathBuf>,

    /// Behave like a real server in one way (repeatable): auth-delay, login-delay, sys-temp,
    /// drop-bad, no-dot-stuffing, bare-lf, no-timestamp.
    #[arg(long = "quirk", value_name = "QUIRK")]
    quirks: Vec<String>,

    /// Listen on an address other than loopback. Students' passwords would cross the network.
    #[arg(long)]
    allow_remote: bool,

    /// Do not offer STLS.
    #[arg(long)]
    no_tls: bool,

    /// Close a connection after SECS seconds without a command (RFC 1939 asks for at least 600).
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout: u64,

    /// Clients served at once.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_clients: usize,

    /// Clients served at once from one address (one host must not take every slot; raise it
    /// when a whole class comes from one address: one shared machine, or a NAT).
    #[arg(long, value_name = "N", default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..))]
    max_per_address: u64,

    /// Close a client whose line is not finished SECS seconds after its first byte (a client
    /// that trickles bytes must not hold a slot).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    line_timeout: u64,

    /// Write every TLS session's secrets to FILE in the NSS key log format (SSLKEYLOGFILE,
    /// Wireshark's tls.keylog_file), so that a class can decrypt its own recordings. The file
    /// is created readable by its owner only; an existing file is not followed if it is a link.
    #[arg(long, value_name = "FILE", conflicts_with = "no_tls")]
    keylog: Option<PathBuf>,

    /// Close a client that does not read a reply within SECS seconds (its mailbox is unlocked).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    write_timeout: u64,
}

/// `--listen`: the address to bind, and the host name it was given by, if any.
#[derive(Clone, Debug)]
struct Listen {
    address: std::net::SocketAddr,
    host: Option<String>,
}

/// An address and port, or a host name and port resolved (its first address, IPv4 first).
fn parse_listen(text: &str) -> Result<Listen, String> {
    use std::net::ToSocketAddrs;
    if let Ok(address) = text.parse() {
        return Ok(Listen { address, host: None });
    }
    let (host, _) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("{text}: give a host and a port, such as localhost:1110"))?;
    let addresses: Vec<std::net::SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("{text}: {e}"))?
        .collect();
    let address = addresses
        .iter()
        .find(|a| a.is_ipv4())
        .or(addresses.first())
        .copied()
        .ok_or_else(|| format!("{text}: the name has no address"))?;
    Ok(Listen {
        address,
        host: Some(host.to_string()),
    })
}

pub(super) fn serve(args: ServeArgs) -> anyhow::Result<()> {
    use crate::teach::server::net::{ServeOptions, Server, self_signed_tls};
    use crate::teach::server::store::{DemoStore, DirStore, Store, read_users};
    use crate::teach::server::{Quirks, ServerConfig};
    if !args.listen.address.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "refusing to listen on {}: students would send their passwords over the network in clear text; \
             use a loopback address, or add --allow-remote if that is what you want",
            args.listen.address
        );
    }
    let mut quirks = Quirks::default();
    for name in &args.quirks {
        quirks.enable(name)?;
    }
    let (store, who, try_user): (Arc<dyn Store>, String, String) = match &args.mailbox {
        Some(dir) => {
            if !dir.is_dir() {
                anyhow::bail!(
                    "{} is not a directory: --mailbox wants DIR/USER/*.eml",
                    dir.display()
                );
            }
            let users_file = args.users.clone().unwrap_or_else(|| dir.join("users"));
            let text = fs::read_to_string(&users_file).with_context(|| {
                format!(
                    "cannot read the users file {} (user:password per line)",
                    users_file.display()
                )
            })?;
            let users = read_users(&text).map_err(|e| anyhow::anyhow!("{}: {e}", users_file.display()))?;
            let mut names: Vec<&String> = users.keys().collect();
            names.sort();
            let who = format!(
                "mailboxes in {} for {}",
                dir.display(),
                names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
            );
            let try_user = names
                .first()
                .map_or("USER:PASSWORD".to_string(), |n| format!("{n}:PASSWORD"));
            (Arc::new(DirStore::new(dir, users)), who, try_user)
        }
        None => (
            Arc::new(DemoStore::default()),
            "demo mailboxes: alice/wonderland, bob/builder, empty@example.test/nothing".to_string(),
            "alice:wonderland".to_string(),
        ),
    };
    let tls = if args.no_tls {
        None
    } else {
        let keylog = args
            .keylog
            .as_deref()
            .map(|path| {
                crate::capture::live::create_private(path)
                    .with_context(|| format!("cannot create the key log {}", path.display()))
            })
            .transpose()?;
        // The certificate names what clients connect to: the address, and the host name given.
        let mut names = vec![args.listen.address.ip().to_string()];
        names.extend(args.listen.host.clone());
        Some(self_signed_tls(keylog, &names)?)
    };
    let config = ServerConfig {
        quirks,
        tls_available: tls.is_some(),
        hostname: "pop3scope.test".to_string(),
    };
    let listener = std::net::TcpListener::bind(args.listen.address)
        .with_context(|| format!("cannot listen on {}", args.listen.address))?;
    // The port is open (110 needs root): root is no longer needed, and a server that students
    // talk to must not keep it.
    #[cfg(unix)]
    if let Some(uid) = crate::capture::live::drop_privileges().context("cannot drop root privileges")? {
        eprintln!("pop3scope serve: root dropped, serving as user {uid}");
    }
    let address = listener.local_addr()?;
    let options = ServeOptions {
        idle_timeout: std::time::Duration::from_secs(args.idle_timeout.max(1)),
        max_clients: args.max_clients.max(1),
        max_per_address: args.max_per_address as usize,
        line_deadline: std::time::Duration::from_secs(args.line_timeout),
        write_deadline: std::time::Duration::from_secs(args.write_timeout),
    };
    let quirks = if args.quirks.is_empty() {
        String::new()
    } else {
        format!("; quirks: {}", args.quirks.join(", "))
    };
    // What to type on this machine: a wildcard address is reached through loopback.
    let local = if address.ip().is_unspecified() {
        std::net::SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    };
    let interface = if local.ip().is_loopback() { "lo" } else { "IFACE" };
    let tls_note = if tls.is_some() {
        "; STLS with a self-signed certificate"
    } else {
        ""
    };
    eprintln!(
        "pop3scope serve: listening on {address} ({who}){tls_note}{quirks}; Ctrl-C stops\n  try:   curl -u {try_user} pop3://{local}/\n  watch: sudo pop3scope sniff -i {interface} --port {}",
        address.port()
    );
    let server = Arc::new(Server::new(store, config, tls, options));
    // Ctrl-C and SIGTERM (a service manager, a script's kill) stop it the same clean way, also
    // when a script started it in the background with SIGINT ignored.
    #[cfg(unix)]
    let stop = {
        crate::capture::live::catch_stop_signals();
        crate::capture::live::stop_flag()
    };
    #[cfg(not(unix))]
    let stop = {
        static NEVER: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        &NEVER
    };
    let closed = server.run(listener, stop)?;
    let sessions = match closed {
        0 => "no session was open".to_string(),
        1 => "1 session was open: closed without QUIT, nothing of it deleted".to_string(),
        n => format!("{n} sessions were open: closed without QUIT, nothing of theirs deleted"),
    };
    eprintln!("pop3scope serve: stopped; {sessions}");
    Ok(())
}
