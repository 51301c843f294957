//! Live capture through AF_PACKET (Linux), with no system library.

use std::ffi::CString;
use std::io;
#[cfg(target_os = "linux")]
use std::mem::{size_of, zeroed};
#[cfg(target_os = "linux")]
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

#[cfg(target_os = "linux")]
use crate::base::Timestamp;
use crate::capture::{Frame, LinkType};

use super::{KernelStats, LiveError, interfaces, no_such, wait_readable};

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
/// a source or destination port in `ports` (at most 100; none: any port, for `--detect`), IPv4
/// fragments after the first (they carry no ports to check), and IPv6 packets with extension
/// headers before TCP (the engine checks their ports). The same test as `tcpdump 'tcp port 110
/// or tcp port 995'`.
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
            if ports.is_empty() {
                program.op(RET, SNAPLEN as u32);
                return;
            }
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

#[cfg(target_os = "linux")]
impl super::LiveSource for LiveCapture {
    fn next(&mut self, timeout: Duration) -> io::Result<Option<Frame<'_>>> {
        LiveCapture::next(self, timeout)
    }
    fn kernel_stats(&mut self) -> KernelStats {
        LiveCapture::kernel_stats(self)
    }
    fn link_type(&self) -> LinkType {
        LinkType::LINUX_SLL2
    }
}
