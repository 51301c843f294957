//! What can go wrong on the teaching side: one error type for lessons, the teaching server and
//! the simulator's scripts. Each message says what was expected and what arrived; a lesson
//! checker adds which file and which step.

use std::io;
use std::path::PathBuf;

/// A teaching-side failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `pop3scope lesson N` with no lesson N.
    #[error("there is no lesson {number}: the lessons are 1 to {count} (`pop3scope lesson` lists them)")]
    NoSuchLesson {
        /// The number asked for.
        number: usize,
        /// How many lessons are built in.
        count: usize,
    },
    /// A lesson file could not be read.
    #[error("cannot read it: {0}")]
    Read(#[from] io::Error),
    /// A lesson file is not the TOML the format asks for (the parser's message, with its line).
    #[error("{0}")]
    LessonFormat(String),
    /// A capture a lesson names is neither beside the lesson file nor built in.
    #[error("capture {name}: not found at {}", path.display())]
    CaptureNotFound {
        /// The capture as the lesson names it.
        name: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A capture a built-in lesson names is not built in (a mistake in the lesson).
    #[error("capture {name}: not built into pop3scope")]
    CaptureNotBuiltIn {
        /// The capture as the lesson names it.
        name: String,
    },
    /// A step's moment (`at = "…"`) names no row of the capture, or several, or is not written
    /// as the lesson format says.
    #[error("{0}")]
    Moment(String),
    /// `serve --quirk NAME` with an unknown name.
    #[error("no quirk \"{name}\": the quirks are {known}")]
    NoSuchQuirk {
        /// The name asked for.
        name: String,
        /// The quirks there are, comma-separated.
        known: String,
    },
    /// A users file line that is not `user:password`.
    #[error("line {line}: expected user:password")]
    UsersFile {
        /// 1-based.
        line: usize,
    },
    /// The teaching server's self-signed certificate could not be made.
    #[error("{0}")]
    Certificate(String),
    /// A simulate script's `\` escape that is not `\r`, `\n`, `\t`, `\\` or `\xNN`.
    #[error("{0}")]
    Escape(String),
}
