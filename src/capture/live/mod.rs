//! Live capture: frames from a network interface, as a capture file would give them.
//!
//! Contract:
//! - [`Backend::open`] opens a [`LiveSource`] on one interface (or all, with `any`) that passes
//!   only TCP on the selected ports (and IP fragments, whose ports cannot be seen), with kernel
//!   timestamps. It needs CAP_NET_RAW; without it the error says how to get it.
//! - Built in (Linux): AF_PACKET ([`af_packet`]); each packet is a [`Frame`] of link type
//!   LINUX_SLL2, as `tcpdump -i any` writes them, so the pipeline and `-w` files treat live and
//!   recorded traffic alike. On loopback the kernel shows every packet twice: the outgoing copy
//!   is dropped, as libpcap does. With the build feature `libpcap`: libpcap, and any BPF
//!   expression on top of the port filter.
//! - [`LiveSource::next`] waits at most a timeout, so the caller can notice a stop request
//!   ([`catch_stop_signals`], [`stop_requested`]).
//! - Kernel counters ([`KernelStats`]) say how many packets the kernel dropped.
//! - [`drop_privileges`] gives up root once the socket and the output files are open.

use std::ffi::CString;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::capture::{Frame, LinkType};

#[cfg(target_os = "linux")]
pub mod af_packet;
#[cfg(feature = "libpcap")]
pub mod libpcap;

/// A live capture, whichever way it is made.
pub trait LiveSource {
    /// Waits up to `timeout` for the next packet; `Ok(None)` when none came. An error means the
    /// interface went away.
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Frame<'_>>>;
    /// What the kernel counted so far.
    fn kernel_stats(&mut self) -> KernelStats;
    /// The link type of every frame, for the header of a `-w` file.
    fn link_type(&self) -> LinkType;
}

/// How to capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Linux's AF_PACKET sockets, built in.
    AfPacket,
    /// libpcap (the build feature `libpcap`): any BPF filter expression.
    Libpcap,
}

impl Backend {
    /// The backend of this build: libpcap when it is built in, else AF_PACKET.
    pub fn preferred() -> Backend {
        if cfg!(feature = "libpcap") {
            Backend::Libpcap
        } else {
            Backend::AfPacket
        }
    }

    /// Opens a capture on `interface` for TCP on `ports`, narrowed further by a BPF
    /// `expression` (libpcap only).
    pub fn open(
        self,
        interface: &str,
        ports: &[u16],
        expression: Option<&str>,
    ) -> Result<Box<dyn LiveSource>, LiveError> {
        match self {
            Backend::AfPacket => {
                if let Some(expression) = expression {
                    return Err(LiveError::NeedsLibpcap(expression.to_string()));
                }
                #[cfg(target_os = "linux")]
                return Ok(Box::new(af_packet::LiveCapture::open(interface, ports)?));
                #[cfg(not(target_os = "linux"))]
                Err(LiveError::Unsupported(
                    "the af-packet backend is Linux only: use --backend libpcap",
                ))
            }
            Backend::Libpcap => {
                #[cfg(feature = "libpcap")]
                return Ok(Box::new(libpcap::PcapCapture::open(
                    interface, ports, expression,
                )?));
                #[cfg(not(feature = "libpcap"))]
                {
                    let _ = (interface, ports, expression);
                    Err(LiveError::Unsupported(
                        "this build has no libpcap backend: build with --features libpcap",
                    ))
                }
            }
        }
    }
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// Makes Ctrl-C (SIGINT) and SIGTERM ask the capture to stop instead of killing the process:
/// what was captured is then printed and written out.
pub fn catch_stop_signals() {
    let handler = on_stop_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Asks the capture to stop, as a signal would (the interactive view's quit key).
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// The flag a stop signal sets, for a loop that watches an `AtomicBool` (`pop3scope serve`).
pub fn stop_flag() -> &'static AtomicBool {
    &STOP
}

/// Whether a stop signal came, or [`request_stop`] was called.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// An interface a user can capture on.
#[derive(Clone, Debug)]
pub struct Interface {
    /// The kernel's name for it (`eth0`, `lo`), as [`Backend::open`] takes it.
    pub name: String,
    /// The kernel's interface index (if_nametoindex); 0 if the name has none.
    pub index: u32,
    /// IFF_UP: the interface is administratively up.
    pub up: bool,
    /// IFF_LOOPBACK: its traffic never leaves the host.
    pub loopback: bool,
    /// Its IPv4 and IPv6 addresses; empty when it has none.
    pub addresses: Vec<std::net::IpAddr>,
}

/// Lists the interfaces with their addresses (getifaddrs).
pub fn interfaces() -> io::Result<Vec<Interface>> {
    let mut list: Vec<Interface> = Vec::new();
    // SAFETY: getifaddrs fills a linked list we only read, then free with freeifaddrs.
    unsafe {
        let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
        if libc::getifaddrs(&mut head) != 0 {
            return Err(io::Error::last_os_error());
        }
        let mut cursor = head;
        while !cursor.is_null() {
            let entry = &*cursor;
            cursor = entry.ifa_next;
            if entry.ifa_name.is_null() {
                continue;
            }
            let name = std::ffi::CStr::from_ptr(entry.ifa_name)
                .to_string_lossy()
                .into_owned();
            let flags = entry.ifa_flags as i32;
            let address = sockaddr_ip(entry.ifa_addr);
            match list.iter_mut().find(|i| i.name == name) {
                Some(interface) => interface.addresses.extend(address),
                None => {
                    let c_name = CString::new(name.clone()).unwrap_or_default();
                    list.push(Interface {
                        index: libc::if_nametoindex(c_name.as_ptr()),
                        name,
                        up: flags & libc::IFF_UP != 0,
                        loopback: flags & libc::IFF_LOOPBACK != 0,
                        addresses: address.into_iter().collect(),
                    });
                }
            }
        }
        libc::freeifaddrs(head);
    }
    list.sort_by_key(|i| i.index);
    Ok(list)
}

/// # Safety
/// `address` is null or points to a valid sockaddr of the family it names.
unsafe fn sockaddr_ip(address: *const libc::sockaddr) -> Option<std::net::IpAddr> {
    if address.is_null() {
        return None;
    }
    // SAFETY: the family says which sockaddr type this is.
    unsafe {
        match i32::from((*address).sa_family) {
            libc::AF_INET => {
                let v4 = &*(address as *const libc::sockaddr_in);
                Some(std::net::IpAddr::from(
                    u32::from_be(v4.sin_addr.s_addr).to_be_bytes(),
                ))
            }
            libc::AF_INET6 => {
                let v6 = &*(address as *const libc::sockaddr_in6);
                Some(std::net::IpAddr::from(v6.sin6_addr.s6_addr))
            }
            _ => None,
        }
    }
}

/// The interface tcpdump would choose: the first one that is up and not loopback.
pub fn default_interface() -> io::Result<Option<String>> {
    Ok(interfaces()?
        .into_iter()
        .find(|i| i.up && !i.loopback)
        .map(|i| i.name))
}

/// What the kernel counted on the socket.
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelStats {
    /// Packets the filter passed.
    pub received: u64,
    /// Packets the kernel dropped because the socket buffer was full.
    pub dropped: u64,
}
/// Why a live capture could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LiveError {
    /// Opening the socket was refused: the process lacks CAP_NET_RAW.
    #[error(
        "capturing packets needs the CAP_NET_RAW privilege: run as root (sudo pop3scope sniff …), \
         or give the binary the capability once: sudo setcap cap_net_raw+ep $(command -v pop3scope)"
    )]
    NotPermitted,
    /// The system has no interface by the name asked for.
    #[error("no interface named {name}; available: {available}")]
    NoSuchInterface {
        /// The name asked for.
        name: String,
        /// The names that exist, comma-separated, for the message.
        available: String,
    },
    /// A system or libpcap call failed for a reason other than permission.
    #[error("{what}: {source}")]
    Os {
        /// The step that failed, for the message: `cannot bind to the interface`.
        what: &'static str,
        /// The error the system (or libpcap) gave.
        source: io::Error,
    },
    /// A BPF filter expression (held here) was asked of the AF_PACKET backend, which filters by
    /// port only.
    #[error(
        "a filter expression ('{0}') needs the libpcap backend: build with `cargo install pop3scope \
         --features libpcap` (and libpcap-dev installed); this build filters by port in the kernel \
         (--port), and --filter 'address ~ 10.0.0.5' narrows what is shown"
    )]
    NeedsLibpcap(String),
    /// The backend asked for is not in this build or not on this system; the text says what
    /// to use instead.
    #[error("{0}")]
    Unsupported(&'static str),
}

/// Gives up root after the capture socket and output files are open: to the user who ran sudo
/// (SUDO_UID / SUDO_GID), else to `nobody`, with no way back (PR_SET_NO_NEW_PRIVS). Returns the
/// user id now in force, or `None` when not running as root.
pub fn drop_privileges() -> io::Result<Option<u32>> {
    // SAFETY: plain libc calls on the current process.
    unsafe {
        if libc::geteuid() != 0 {
            return Ok(None);
        }
        let (uid, gid) = unprivileged_user()?;
        if libc::setgroups(0, std::ptr::null()) != 0 || libc::setgid(gid) != 0 || libc::setuid(uid) != 0 {
            return Err(io::Error::last_os_error());
        }
        #[cfg(target_os = "linux")]
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Some(uid))
    }
}

/// The user root hands over to: the one who ran sudo (SUDO_UID / SUDO_GID), else `nobody`.
fn unprivileged_user() -> io::Result<(u32, u32)> {
    let from_env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|&id| id != 0)
    };
    if let (Some(uid), Some(gid)) = (from_env("SUDO_UID"), from_env("SUDO_GID")) {
        return Ok((uid, gid));
    }
    // SAFETY: getpwnam with a valid C string; the record is read at once.
    unsafe {
        let nobody = libc::getpwnam(c"nobody".as_ptr());
        if nobody.is_null() {
            return Err(io::Error::other("no user 'nobody' to drop privileges to"));
        }
        Ok(((*nobody).pw_uid, (*nobody).pw_gid))
    }
}

/// Creates a file for what a capture holds (cleartext passwords among it): readable by its
/// owner only (mode 0600), never through a symbolic link, and — when root will drop its
/// privileges — owned by the user it drops to, as `tcpdump -Z` does.
pub fn create_private(path: &std::path::Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    // Only a regular file is given away: a device or a pipe (`/dev/full`, a FIFO) keeps its
    // owner. SAFETY: geteuid has no preconditions.
    if file.metadata()?.is_file() && unsafe { libc::geteuid() } == 0 {
        let (uid, gid) = unprivileged_user()?;
        std::os::unix::fs::fchown(&file, Some(uid), Some(gid))?;
    }
    Ok(file)
}

/// Waits up to `timeout` for `fd` to become readable: `Ok(false)` on timeout or a signal (so
/// the caller can look at its stop flag), an error when the device went away.
pub(crate) fn wait_readable(fd: std::os::fd::RawFd, timeout: Duration) -> io::Result<bool> {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let ready = unsafe { libc::poll(&mut poll, 1, timeout.as_millis().min(i32::MAX as u128) as i32) };
    if ready < 0 {
        let error = io::Error::last_os_error();
        return if error.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(error)
        };
    }
    if ready > 0
        && poll.revents & libc::POLLIN == 0
        && poll.revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0
    {
        return Err(io::Error::other("the interface went down"));
    }
    Ok(ready > 0)
}

pub(crate) fn no_such(name: &str) -> LiveError {
    let available = interfaces().map(|list| list.into_iter().map(|i| i.name).collect::<Vec<_>>().join(", "));
    LiveError::NoSuchInterface {
        name: name.to_string(),
        available: available.unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_file_is_private_and_never_written_through_a_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.pcap");
        let file = create_private(&path).unwrap();
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "keep me").unwrap();
        let link = dir.path().join("link.pcap");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(create_private(&link).is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }
}
