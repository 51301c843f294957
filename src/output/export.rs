//! The stream export (`--export-streams DIR`): each direction of each connection as a file.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::base::Direction;
use crate::flow::{FlowId, StreamEvent, StreamSink};

/// Writes each direction of each connection to its own file, as tcpflow does.
///
/// Files are named `NNNN_c2s_CLIENT_SERVER` and `NNNN_s2c_SERVER_CLIENT`, addresses as
/// `ip.port` with the colons of IPv6 written as `-`. A gap leaves a hole of zero bytes of the
/// missing length, so every byte sits at its stream offset (tcpflow does the same); the gaps are
/// listed in the flow output.
pub struct StreamExporter {
    dir: PathBuf,
    open: HashMap<(FlowId, Direction), OpenStream>,
    endpoints: HashMap<FlowId, (SocketAddr, SocketAddr)>,
    /// Connections whose files were made.
    exported: usize,
    error: Option<io::Error>,
}

/// One exported direction: its file, buffered, and where the next byte goes.
struct OpenStream {
    file: io::BufWriter<File>,
    position: u64,
}

/// Files kept open at once; beyond that they are closed and reopened when needed.
const MAX_OPEN_FILES: usize = 256;

impl StreamExporter {
    /// An exporter writing into `dir`, created if missing; fails if `dir` exists and is not a
    /// directory.
    pub fn new(dir: &Path) -> io::Result<Self> {
        if dir.exists() && !dir.is_dir() {
            return Err(io::Error::other("it exists and is not a directory"));
        }
        fs::create_dir_all(dir)?;
        Ok(StreamExporter {
            dir: dir.to_path_buf(),
            open: HashMap::new(),
            endpoints: HashMap::new(),
            exported: 0,
            error: None,
        })
    }

    /// Where the files go.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file name of one direction of a connection.
    pub fn file_name(flow: FlowId, dir: Direction, client: SocketAddr, server: SocketAddr) -> String {
        let (src, dst) = match dir {
            Direction::ClientToServer => (client, server),
            Direction::ServerToClient => (server, client),
        };
        let addr = |a: SocketAddr| format!("{}.{}", a.ip().to_string().replace(':', "-"), a.port());
        format!("{flow:04}_{}_{}_{}", dir.short(), addr(src), addr(dst))
    }

    /// The open file of one direction; `fresh` empties it (the connection just opened).
    fn stream(&mut self, flow: FlowId, dir: Direction, fresh: bool) -> io::Result<&mut OpenStream> {
        if !self.open.contains_key(&(flow, dir)) {
            if self.open.len() >= MAX_OPEN_FILES {
                for (_, mut stream) in self.open.drain() {
                    stream.file.flush()?;
                }
            }
            let (client, server) = self
                .endpoints
                .get(&flow)
                .copied()
                .ok_or_else(|| io::Error::other("unknown flow"))?;
            let path = self.dir.join(Self::file_name(flow, dir, client, server));
            let file = fs::OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(fresh)
                .open(&path)?;
            let position = file.metadata()?.len();
            self.open.insert(
                (flow, dir),
                OpenStream {
                    file: io::BufWriter::with_capacity(64 * 1024, file),
                    position,
                },
            );
        }
        self.open
            .get_mut(&(flow, dir))
            .ok_or_else(|| io::Error::other("file vanished"))
    }

    fn handle(&mut self, event: &StreamEvent<'_>) -> io::Result<()> {
        match *event {
            StreamEvent::Opened {
                flow, client, server, ..
            } => {
                self.endpoints.insert(flow, (client, server));
                self.exported += 1;
                // Both files exist even when a side sent nothing, as the flow listing says.
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    self.stream(flow, dir, true)?;
                }
            }
            StreamEvent::Data {
                flow,
                dir,
                offset,
                bytes,
                ..
            } => {
                let stream = self.stream(flow, dir, false)?;
                if stream.position != offset {
                    stream.file.seek(SeekFrom::Start(offset))?;
                }
                stream.file.write_all(bytes)?;
                stream.position = offset + bytes.len() as u64;
            }
            StreamEvent::Gap {
                flow,
                dir,
                offset,
                len,
                ..
            } => {
                // A hole of the missing length: the next bytes land at their own offset.
                let stream = self.stream(flow, dir, false)?;
                stream.file.flush()?;
                let end = offset + len;
                if stream.file.get_ref().metadata()?.len() < end {
                    stream.file.get_ref().set_len(end)?;
                }
                stream.file.seek(SeekFrom::Start(end))?;
                stream.position = end;
            }
            // The file holds the first copy, as the receiver did; the flow listing counts
            // the conflicting bytes.
            StreamEvent::Conflict { .. } => {}
            StreamEvent::Closed { summary, .. } => {
                for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                    if let Some(mut stream) = self.open.remove(&(summary.id, dir)) {
                        stream.file.flush()?;
                    }
                }
                self.endpoints.remove(&summary.id);
            }
        }
        Ok(())
    }

    /// Flushes the files still open; says how many connections were written (two files each),
    /// or reports the first write error, which stopped the export.
    pub fn finish(mut self) -> io::Result<usize> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        for (_, mut stream) in self.open.drain() {
            stream.file.flush()?;
        }
        Ok(self.exported)
    }
}

impl StreamSink for StreamExporter {
    fn event(&mut self, event: StreamEvent<'_>) {
        if self.error.is_none()
            && let Err(error) = self.handle(&event)
        {
            self.error = Some(error);
        }
    }
    fn stopped(&self) -> bool {
        self.error.is_some()
    }
}
