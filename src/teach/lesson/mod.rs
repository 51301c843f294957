//! Lessons: a teacher's walk through real captures, step by step, with narration and questions.
//!
//! Contract:
//! - A lesson is a TOML file ([`LessonFile`]); each step names its moment of the capture by
//!   meaning ([`moment`]), never by packet number, so a re-recorded capture keeps its lessons.
//! - [`load`] reads a lesson and its captures and resolves every step to exactly one row, or
//!   says, per file and step, what did not match; `check` reports every problem at once.
//! - The lessons in lessons/ and the captures they use are built into the binary
//!   (`bundled.rs`); a lesson given by path reads its captures relative to its own file.
//! - [`Replay`] is the classroom state — step, answers, what is revealed, the score — with no
//!   terminal and no clock; the terminal UI and the plain text ([`plain`]) read it.

mod bundled;
mod check;
mod file;
pub mod moment;
pub mod plain;
mod replay;

use std::io::Cursor;
use std::path::{Path, PathBuf};

pub use crate::base::Lang;
pub use bundled::{BUNDLED, bundled_capture};
pub use check::answers_on_screen;
pub use file::{Choice, LessonFile, PaneName, Question, QuestionKind, Response, Step, Text, reflow, wrap};
pub use moment::{Moment, Selector};
pub use replay::{Answer, Replay};

use crate::capture::CaptureReader;
use crate::pipeline::Config;
use crate::teach::Error;
use crate::tls::KeyLog;
use crate::view::timeline::Timeline;

/// Where a lesson comes from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Index into [`BUNDLED`].
    Bundled(usize),
    Path(PathBuf),
}

impl Source {
    /// A number (1 for the first bundled lesson), a bundled lesson's name, or a file path.
    pub fn find(name: &str) -> Result<Source, Error> {
        if let Ok(number) = name.parse::<usize>() {
            return match number {
                1.. if number <= BUNDLED.len() => Ok(Source::Bundled(number - 1)),
                _ => Err(Error::NoSuchLesson {
                    number,
                    count: BUNDLED.len(),
                }),
            };
        }
        if let Some(index) = BUNDLED
            .iter()
            .position(|(file, _)| file.trim_end_matches(".toml") == name.trim_end_matches(".toml"))
        {
            return Ok(Source::Bundled(index));
        }
        Ok(Source::Path(PathBuf::from(name)))
    }

    /// How errors name it.
    pub fn name(&self) -> String {
        match self {
            Source::Bundled(index) => format!("lessons/{}", BUNDLED[*index].0),
            Source::Path(path) => path.display().to_string(),
        }
    }
}

/// A lesson ready to replay: its file and the row each step is about.
#[derive(Clone, Debug)]
pub struct Lesson {
    pub name: String,
    pub file: LessonFile,
    /// One per step: its own moment, or the one before it.
    pub moments: Vec<Moment>,
    /// Steps whose row is hidden until the question is answered (a reply to predict, or the
    /// row a question is about).
    pub hides: Vec<bool>,
}

fn read_source(source: &Source) -> Result<String, Error> {
    match source {
        Source::Bundled(index) => Ok(BUNDLED[*index].1.to_string()),
        Source::Path(path) => Ok(std::fs::read_to_string(path)?),
    }
}

/// A capture (or its key log) named by a lesson: beside the lesson file, else built in (by
/// file name).
fn capture_bytes(source: &Source, name: &str) -> Result<Vec<u8>, Error> {
    let file_name = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Source::Path(path) = source {
        let beside = path.parent().unwrap_or(Path::new(".")).join(name);
        if let Ok(bytes) = std::fs::read(&beside) {
            return Ok(bytes);
        }
        if let Some(bytes) = bundled_capture(&file_name) {
            return Ok(bytes.to_vec());
        }
        return Err(Error::CaptureNotFound {
            name: name.to_string(),
            path: beside,
        });
    }
    bundled_capture(&file_name)
        .map(<[u8]>::to_vec)
        .ok_or_else(|| Error::CaptureNotBuiltIn {
            name: name.to_string(),
        })
}

/// The captures of a lesson as one timeline; sessions are numbered on across the files.
fn load_captures(source: &Source, file: &LessonFile) -> Result<Timeline, Vec<String>> {
    let mut timeline = Timeline::default();
    let mut problems = Vec::new();
    for capture in &file.captures {
        let name = capture.file();
        let bytes = match capture_bytes(source, name) {
            Ok(bytes) => bytes,
            Err(problem) => {
                problems.push(problem.to_string());
                continue;
            }
        };
        let reader = match CaptureReader::new(Cursor::new(bytes)) {
            Ok(reader) => reader,
            Err(error) => {
                problems.push(format!("capture {name}: {error}"));
                continue;
            }
        };
        let mut config = Config::default();
        if let Some(keylog) = capture.keylog() {
            match capture_bytes(source, keylog) {
                Ok(text) => {
                    let keys = KeyLog::complete(&String::from_utf8_lossy(&text));
                    config.session.keylog = Some(std::sync::Arc::new(keys));
                }
                Err(problem) => {
                    problems.push(problem.to_string());
                    continue;
                }
            }
        }
        let (part, _, result) = crate::view::timeline::load(reader, &config);
        if let Err(error) = result {
            problems.push(format!("capture {name}: {error}"));
        }
        let offset = timeline.sessions.len() as u64;
        for mut session in part.sessions {
            session.info.id += offset;
            timeline.sessions.push(session);
        }
    }
    if problems.is_empty() {
        Ok(timeline)
    } else {
        Err(problems)
    }
}

/// Reads a lesson and its captures, and finds every step's row. Errors come one per line,
/// each naming the file and the step.
pub fn load(source: &Source) -> Result<(Lesson, Timeline), Vec<String>> {
    let name = source.name();
    let prefixed = |problems: Vec<String>| {
        problems
            .into_iter()
            .map(|p| format!("{name}: {p}"))
            .collect::<Vec<_>>()
    };
    let text = read_source(source).map_err(|e| prefixed(vec![e.to_string()]))?;
    let file = LessonFile::parse(&text).map_err(|e| prefixed(vec![e.to_string()]))?;
    let mut problems = file.problems();
    let timeline = match load_captures(source, &file) {
        Ok(timeline) => timeline,
        Err(more) => {
            problems.extend(more);
            return Err(prefixed(problems));
        }
    };
    let mut moments = Vec::new();
    let mut hides = Vec::new();
    let mut last = None;
    for (i, step) in file.steps.iter().enumerate() {
        let predict = step
            .question
            .as_ref()
            .is_some_and(|q| q.kind == QuestionKind::Predict);
        if let Some(at) = &step.at {
            match Selector::parse(at).and_then(|selector| {
                if predict && !selector.is_reply() {
                    return Err(Error::Moment(
                        "a predict question needs a reply as its moment (\"reply to …\")".to_string(),
                    ));
                }
                selector.resolve(&timeline)
            }) {
                Ok(moment) => last = Some(moment),
                Err(problem) => problems.push(format!("step {}: at = \"{at}\": {problem}", i + 1)),
            }
        }
        moments.push(last.unwrap_or(Moment { session: 0, line: 0 }));
        hides.push(step.at.is_some() && step.question.as_ref().is_some_and(|q| q.hides()));
    }
    if !problems.is_empty() {
        return Err(prefixed(problems));
    }
    let lesson = Lesson {
        name: match source {
            Source::Bundled(index) => BUNDLED[*index].0.trim_end_matches(".toml").to_string(),
            Source::Path(path) => path
                .file_stem()
                .map_or(name.clone(), |s| s.to_string_lossy().into_owned()),
        },
        file,
        moments,
        hides,
    };
    Ok((lesson, timeline))
}

/// Every problem of a lesson file, or none.
pub fn check(source: &Source) -> Vec<String> {
    match load(source) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}
