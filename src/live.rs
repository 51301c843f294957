//! Live capture: on Linux through AF_PACKET, with no system library; on every Unix, the
//! interface list, privilege drop and waiting that the libpcap backend shares.
//!
//! Contract:
//! - [`LiveCapture::open`] opens a packet socket on one interface (or all, with `any`), with a
//!   kernel BPF filter that passes only TCP on the selected ports (and IP fragments, whose
//!   ports cannot be seen), and kernel timestamps. It needs CAP_NET_RAW; without it the error
//!   says how to get it.
//! - Each packet is delivered as a [`Frame`] of link type LINUX_SLL2, built from what the kernel
//!   reports (interface, packet type, protocol), as `tcpdump -i any` writes them, so the engine
//!   and `-w` files treat live and recorded traffic alike.
//! - On loopback the kernel shows every packet twice (outgoing and incoming): the outgoing copy
//!   is dropped, as libpcap does.
//! - [`LiveCapture::next`] waits at most a timeout, so the caller can notice Ctrl-C.
//! - Kernel counters ([`KernelStats`]) say how many packets the kernel dropped.

use std::ffi::CString;
use std::io;
#[cfg(target_os = "linux")]
use std::mem::{size_of, zeroed};
#[cfg(target_os = "linux")]
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

#[cfg(target_os = "linux")]
use crate::capture::{Frame, LinkType, Timestamp};

/// An interface a user can capture on.
#[derive(Clone, Debug)]
pub struct Interface {
    pub name: String,
    pub index: u32,
    pub up: bool,
    pub loopback: bool,
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

#[cfg(target_os = "linux")]
/// An open AF_PACKET socket.
pub struct LiveCapture {
    socket: OwnedFd,
    loopback_index: Option<u32>,
    buffer: Vec<u8>,
    frame: Vec<u8>,
    frames: u64,
    stats: KernelStats,
}

/// Why a live capture could not start.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(
        "capturing packets needs the CAP_NET_RAW privilege: run as root (sudo pop3scope sniff …), \
         or give the binary the capability once: sudo setcap cap_net_raw+ep $(command -v pop3scope)"
    )]
    NotPermitted,
    #[error("no interface named {name}; available: {available}")]
    NoSuchInterface { name: String, available: String },
    #[error("{what}: {source}")]
    Os { what: &'static str, source: io::Error },
}

#[cfg(target_os = "linux")]
fn os(what: &'static str) -> impl FnOnce(io::Error) -> LiveError {
    move |source| match source.raw_os_error() {
        Some(libc::EPERM) | Some(libc::EACCES) => LiveError::NotPermitted,
        _ => LiveError::Os { what, source },
    }
}

#[cfg(target_os = "linux")]
/// Largest packet read: a 64 KiB loopback packet with room to spare.
const SNAPLEN: usize = 256 * 1024;
#[cfg(target_os = "linux")]
/// The kernel's socket buffer: large, so a burst does not drop packets.
const SOCKET_BUFFER: i32 = 32 << 20;
#[cfg(target_os = "linux")]
const ETH_P_ALL: u16 = 0x0003;

#[cfg(target_os = "linux")]
impl LiveCapture {
    /// Opens a capture on `interface` (`any` for all) for TCP on `ports`.
    pub fn open(interface: &str, ports: &[u16]) -> Result<Self, LiveError> {
        let index = if interface == "any" {
            0
        } else {
            let name = CString::new(interface).map_err(|_| no_such(interface))?;
            // SAFETY: a valid NUL-terminated name.
            match unsafe { libc::if_nametoindex(name.as_ptr()) } {
                0 => return Err(no_such(interface)),
                index => index,
            }
        };
        let loopback_index = interfaces()
            .ok()
            .and_then(|list| list.into_iter().find(|i| i.loopback))
            .map(|i| i.index);
        // SAFETY: plain socket call; the descriptor is owned at once.
        let fd = unsafe {
            libc::socket(
                libc::AF_PACKET,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                i32::from(ETH_P_ALL.to_be()),
            )
        };
        if fd < 0 {
            return Err(os("cannot open a packet socket")(io::Error::last_os_error()));
        }
        // SAFETY: fd is a fresh descriptor nobody else owns.
        let socket = unsafe { OwnedFd::from_raw_fd(fd) };
        let filter = port_filter(ports);
        let program = libc::sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_ptr() as *mut libc::sock_filter,
        };
        setsockopt(&socket, libc::SOL_SOCKET, libc::SO_ATTACH_FILTER, &program)
            .map_err(os("cannot attach the port filter"))?;
        setsockopt(&socket, libc::SOL_SOCKET, libc::SO_TIMESTAMPNS, &1i32)
            .map_err(os("cannot enable timestamps"))?;
        // Best effort: a smaller buffer still works, it only drops sooner.
        let _ = setsockopt(&socket, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, &SOCKET_BUFFER)
            .or_else(|_| setsockopt(&socket, libc::SOL_SOCKET, libc::SO_RCVBUF, &SOCKET_BUFFER));
        // SAFETY: zeroed sockaddr_ll is valid; the fields set are the ones bind reads.
        let mut address: libc::sockaddr_ll = unsafe { zeroed() };
        address.sll_family = libc::AF_PACKET as u16;
        address.sll_protocol = ETH_P_ALL.to_be();
        address.sll_ifindex = index as i32;
        // SAFETY: address is a valid sockaddr_ll of the size given.
        let bound = unsafe {
            libc::bind(
                socket.as_raw_fd(),
                &address as *const libc::sockaddr_ll as *const libc::sockaddr,
                size_of::<libc::sockaddr_ll>() as u32,
            )
        };
        if bound != 0 {
            return Err(os("cannot bind to the interface")(io::Error::last_os_error()));
        }
        // Packets that arrived before the filter was attached are not wanted: drain them.
        let mut capture = LiveCapture {
            socket,
            loopback_index,
            buffer: vec![0; SNAPLEN],
            frame: Vec::with_capacity(SNAPLEN + 20),
            frames: 0,
            stats: KernelStats::default(),
        };
        while capture.receive(libc::MSG_DONTWAIT).ok().flatten().is_some() {}
        capture.frames = 0;
        let _ = capture.kernel_stats();
        capture.stats = KernelStats::default();
        Ok(capture)
    }

    /// Waits up to `timeout` for the next packet; `Ok(None)` when none came.
    pub fn next(&mut self, timeout: Duration) -> io::Result<Option<Frame<'_>>> {
        if !wait_readable(self.socket.as_raw_fd(), timeout)? {
            return Ok(None);
        }
        let Some((ts, orig_len)) = self.receive(0)? else {
            return Ok(None);
        };
        self.frames += 1;
        Ok(Some(Frame {
            number: self.frames,
            ts,
            link_type: LinkType::LINUX_SLL2,
            data: &self.frame,
            orig_len: orig_len as u32,
        }))
    }

    /// Reads one packet into `self.frame` with an SLL2 header; `None` for a packet skipped
    /// (the outgoing copy on loopback) or none waiting.
    fn receive(&mut self, flags: i32) -> io::Result<Option<(Timestamp, usize)>> {
        // SAFETY: zeroed structs are valid; recvmsg writes within the sizes given.
        let mut address: libc::sockaddr_ll = unsafe { zeroed() };
        let mut control = [0u64; 16];
        let mut iov = libc::iovec {
            iov_base: self.buffer.as_mut_ptr().cast(),
            iov_len: self.buffer.len(),
        };
        let mut message: libc::msghdr = unsafe { zeroed() };
        message.msg_name = (&mut address as *mut libc::sockaddr_ll).cast();
        message.msg_namelen = size_of::<libc::sockaddr_ll>() as u32;
        message.msg_iov = &mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.as_mut_ptr().cast();
        message.msg_controllen = size_of::<[u64; 16]>() as _;
        // SAFETY: message points at live buffers for the whole call.
        let length = unsafe { libc::recvmsg(self.socket.as_raw_fd(), &mut message, flags | libc::MSG_TRUNC) };
        if length < 0 {
            let error = io::Error::last_os_error();
            return match error.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted => Ok(None),
                _ => Err(error),
            };
        }
        let orig_len = length as usize;
        let captured = orig_len.min(self.buffer.len());
        if address.sll_pkttype == libc::PACKET_OUTGOING
            && Some(address.sll_ifindex as u32) == self.loopback_index
        {
            return Ok(None);
        }
        let ts = control_timestamp(&message).unwrap_or_else(now);
        // LINUX_SLL2: protocol, reserved, interface index, ARPHRD type, packet type, address.
        self.frame.clear();
        self.frame.extend_from_slice(&address.sll_protocol.to_ne_bytes());
        self.frame.extend_from_slice(&[0, 0]);
        self.frame
            .extend_from_slice(&(address.sll_ifindex as u32).to_be_bytes());
        self.frame.extend_from_slice(&address.sll_hatype.to_be_bytes());
        self.frame.push(address.sll_pkttype);
        self.frame.push(address.sll_halen.min(8));
        self.frame.extend_from_slice(&address.sll_addr);
        self.frame.extend_from_slice(&self.buffer[..captured]);
        Ok(Some((ts, orig_len + 20)))
    }

    /// The kernel's counters since the capture opened (each read resets the kernel's).
    pub fn kernel_stats(&mut self) -> KernelStats {
        // SAFETY: zeroed tpacket_stats is valid; getsockopt writes at most its size.
        let mut stats: libc::tpacket_stats = unsafe { zeroed() };
        let mut size = size_of::<libc::tpacket_stats>() as u32;
        let done = unsafe {
            libc::getsockopt(
                self.socket.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut stats as *mut libc::tpacket_stats).cast(),
                &mut size,
            )
        };
        if done == 0 {
            self.stats.received += u64::from(stats.tp_packets);
            self.stats.dropped += u64::from(stats.tp_drops);
        }
        self.stats
    }
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
        let from_env = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse::<u32>().ok())
                .filter(|&id| id != 0)
        };
        let (uid, gid) = match (from_env("SUDO_UID"), from_env("SUDO_GID")) {
            (Some(uid), Some(gid)) => (uid, gid),
            _ => {
                let nobody = libc::getpwnam(c"nobody".as_ptr());
                if nobody.is_null() {
                    return Err(io::Error::other("no user 'nobody' to drop privileges to"));
                }
                ((*nobody).pw_uid, (*nobody).pw_gid)
            }
        };
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

fn no_such(name: &str) -> LiveError {
    let available = interfaces().map(|list| list.into_iter().map(|i| i.name).collect::<Vec<_>>().join(", "));
    LiveError::NoSuchInterface {
        name: name.to_string(),
        available: available.unwrap_or_default(),
    }
}

#[cfg(target_os = "linux")]
fn setsockopt<T>(socket: &OwnedFd, level: i32, name: i32, value: &T) -> io::Result<()> {
    // SAFETY: value points at a T of the size given.
    let done = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            size_of::<T>() as u32,
        )
    };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(target_os = "linux")]
fn control_timestamp(message: &libc::msghdr) -> Option<Timestamp> {
    // SAFETY: the CMSG macros walk the control buffer recvmsg filled.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(message);
        while !header.is_null() {
            if (*header).cmsg_level == libc::SOL_SOCKET && (*header).cmsg_type == libc::SCM_TIMESTAMPNS {
                let time = std::ptr::read_unaligned(libc::CMSG_DATA(header) as *const libc::timespec);
                return Some(Timestamp::from_secs_nanos(time.tv_sec, time.tv_nsec));
            }
            header = libc::CMSG_NXTHDR(message, header);
        }
    }
    None
}

#[cfg(target_os = "linux")]
fn now() -> Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_secs_nanos(since.as_secs() as i64, i64::from(since.subsec_nanos()))
}

#[cfg(target_os = "linux")]
/// A classic BPF program over an IP packet (SOCK_DGRAM: no link header) that accepts TCP with
/// a source or destination port in `ports` (at most 100), IPv4 fragments after the first (they
/// carry no ports to check), and IPv6 packets with extension headers before TCP (the engine
/// checks their ports). The same test as `tcpdump 'tcp port 110 or tcp port 995'`.
pub fn port_filter(ports: &[u16]) -> Vec<libc::sock_filter> {
    const LD_B_ABS: u16 = 0x30;
    const LD_H_ABS: u16 = 0x28;
    const LD_H_IND: u16 = 0x48;
    const LDX_MSH: u16 = 0xb1;
    const AND: u16 = 0x54;
    const JEQ: u16 = 0x15;
    const JSET: u16 = 0x45;
    const RET: u16 = 0x06;
    let ports = &ports[..ports.len().min(100)];
    let mut program = Assembler::default();
    let port_checks =
        |program: &mut Assembler, source: (u16, u32), destination: (u16, u32), accept: &'static str| {
            for (load, offset) in [source, destination] {
                program.op(load, offset);
                for &port in ports {
                    program.jump(JEQ, u32::from(port), accept, "");
                }
            }
        };
    program.op(LD_B_ABS, 0);
    program.op(AND, 0xf0);
    program.jump(JEQ, 0x40, "ipv4", "");
    program.jump(JEQ, 0x60, "ipv6", "reject");

    program.label("ipv4");
    program.op(LD_B_ABS, 9);
    program.jump(JEQ, 6, "", "reject4");
    program.op(LD_H_ABS, 6);
    program.jump(JSET, 0x1fff, "accept4", "");
    program.op(LDX_MSH, 0);
    port_checks(&mut program, (LD_H_IND, 0), (LD_H_IND, 2), "accept4");
    program.label("reject4");
    program.op(RET, 0);
    program.label("accept4");
    program.op(RET, SNAPLEN as u32);

    program.label("ipv6");
    program.op(LD_B_ABS, 6);
    program.jump(JEQ, 6, "tcp6", "");
    for extension in [0, 43, 44, 60] {
        program.jump(JEQ, extension, "accept6", "");
    }
    program.op(RET, 0);
    program.label("tcp6");
    port_checks(&mut program, (LD_H_ABS, 40), (LD_H_ABS, 42), "accept6");
    program.label("reject");
    program.op(RET, 0);
    program.label("accept6");
    program.op(RET, SNAPLEN as u32);
    program.finish()
}

#[cfg(target_os = "linux")]
/// Resolves the named jump targets of a BPF program (jumps are relative, forward only).
#[derive(Default)]
struct Assembler {
    code: Vec<(u16, u32, &'static str, &'static str)>,
    labels: Vec<(&'static str, usize)>,
}

#[cfg(target_os = "linux")]
impl Assembler {
    fn op(&mut self, code: u16, k: u32) {
        self.code.push((code, k, "", ""));
    }
    /// A conditional jump; an empty target means the next instruction.
    fn jump(&mut self, code: u16, k: u32, if_true: &'static str, if_false: &'static str) {
        self.code.push((code, k, if_true, if_false));
    }
    fn label(&mut self, name: &'static str) {
        self.labels.push((name, self.code.len()));
    }
    fn finish(self) -> Vec<libc::sock_filter> {
        let at = |name: &str| {
            self.labels
                .iter()
                .find(|(label, _)| *label == name)
                .map(|(_, index)| *index)
        };
        self.code
            .iter()
            .enumerate()
            .map(|(i, &(code, k, if_true, if_false))| {
                let offset = |target: &str| at(target).map_or(0, |t| (t - i - 1).min(255) as u8);
                libc::sock_filter {
                    code,
                    jt: offset(if_true),
                    jf: offset(if_false),
                    k,
                }
            })
            .collect()
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Runs a classic BPF program the way the kernel does, for the instructions it uses.
    fn run(program: &[libc::sock_filter], packet: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let byte = |at: usize| u32::from(packet.get(at).copied().unwrap_or(0));
        let half = |at: usize| (byte(at) << 8) | byte(at + 1);
        loop {
            let ins = program[pc];
            pc += 1;
            match ins.code {
                0x30 => a = byte(ins.k as usize),
                0x28 => a = half(ins.k as usize),
                0x48 => a = half((x + ins.k) as usize),
                0xb1 => x = (byte(ins.k as usize) & 0x0f) * 4,
                0x54 => a &= ins.k,
                0x15 => pc += usize::from(if a == ins.k { ins.jt } else { ins.jf }),
                0x45 => pc += usize::from(if a & ins.k != 0 { ins.jt } else { ins.jf }),
                0x06 => return ins.k,
                other => panic!("unexpected instruction {other:#x}"),
            }
        }
    }

    fn ipv4_tcp(src: u16, dst: u16, fragment: u16) -> Vec<u8> {
        let mut packet = vec![
            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        packet[6..8].copy_from_slice(&fragment.to_be_bytes());
        packet.extend_from_slice(&src.to_be_bytes());
        packet.extend_from_slice(&dst.to_be_bytes());
        packet.extend_from_slice(&[0; 16]);
        packet
    }

    fn ipv6(next: u8, src: u16, dst: u16) -> Vec<u8> {
        let mut packet = vec![0x60, 0, 0, 0, 0, 20, next, 64];
        packet.extend_from_slice(&[0; 32]);
        packet.extend_from_slice(&src.to_be_bytes());
        packet.extend_from_slice(&dst.to_be_bytes());
        packet.extend_from_slice(&[0; 16]);
        packet
    }

    #[test]
    fn the_filter_passes_the_selected_ports_either_way_and_nothing_else() {
        let program = port_filter(&[110, 995]);
        assert!(run(&program, &ipv4_tcp(50000, 110, 0)) > 0);
        assert!(run(&program, &ipv4_tcp(995, 50000, 0)) > 0);
        assert_eq!(run(&program, &ipv4_tcp(50000, 25, 0)), 0);
        let mut udp = ipv4_tcp(50000, 110, 0);
        udp[9] = 17;
        assert_eq!(run(&program, &udp), 0);
        // A later fragment has no ports: it must pass to be put back together.
        assert!(run(&program, &ipv4_tcp(1, 2, 0x0010)) > 0);
        assert!(run(&program, &ipv6(6, 50000, 110)) > 0);
        assert_eq!(run(&program, &ipv6(6, 50000, 143)), 0);
        assert!(run(&program, &ipv6(44, 0, 0)) > 0);
        assert_eq!(run(&program, &ipv6(17, 50000, 110)), 0);
        assert_eq!(run(&program, &[0x00, 1, 2, 3]), 0);
    }
}
