//! The classroom: every student follows the lesson from their own browser and answers on their
//! own device, while the teacher leads from the class view and sees the spread of answers.
//!
//! - [`state`]: the class as a pure state machine (joining, positions, answers, tallies).
//! - [`page`]: what a student's page shows at each step, before and after the reveal.
//! - [`results`]: the results file, written as the lesson goes.
//! - [`web`]: the web server (axum on tokio, server-sent events), and the page itself
//!   (`assets/`: plain HTML, CSS and JavaScript built into the binary; no CDN, no build step).
//!
//! [`Class`] ties them together: the teacher's side (the class view, or the line console)
//! moves it with [`Class::follow`]; the web server reads it and answers students.

pub mod page;
pub mod results;
pub mod state;
pub mod web;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use page::Pages;
use results::{ResultRow, Results};
use state::{ClassConfig, Classroom, Given, Position, Refusal, StepFacts, Tally, Token};

use crate::teach::lesson::{Lang, Lesson, Replay, Response};
use crate::view::timeline::Timeline;

/// How students reach the class: the address, the join code, and a QR code of the address.
#[derive(Clone, Debug)]
pub struct Invitation {
    /// The page's address, as a student types it.
    pub url: String,
    /// The join code.
    pub code: String,
    /// The QR code of `url`, as lines of text (two modules per character, upper and lower
    /// half blocks), quiet zone included.
    pub qr: Vec<String>,
}

impl Invitation {
    /// The invitation to `url` with `code`.
    pub fn new(url: String, code: String) -> Invitation {
        let qr = qrcode::QrCode::new(url.as_bytes())
            .map(|qr| {
                qr.render::<qrcode::render::unicode::Dense1x2>()
                    .dark_color(qrcode::render::unicode::Dense1x2::Light)
                    .light_color(qrcode::render::unicode::Dense1x2::Dark)
                    .quiet_zone(true)
                    .build()
                    .lines()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Invitation { url, code, qr }
    }
}

/// A join code: six digits from the system's random source.
pub fn join_code() -> Option<String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 4];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    Some(format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000))
}

/// A class in session, shared by the teacher's side and the web server.
#[derive(Clone)]
pub struct Class {
    shared: Arc<Shared>,
}

struct Shared {
    room: Mutex<Classroom>,
    results: Mutex<Option<Results>>,
    pages: Pages,
    /// The class's version, pushed to every waiting page.
    changes: tokio::sync::watch::Sender<u64>,
    opened: Instant,
}

impl Class {
    /// Opens a class over `lesson`; answers go to `results` when given.
    pub fn new(
        lesson: &Lesson,
        timeline: &Timeline,
        lang: Lang,
        config: ClassConfig,
        results: Option<Results>,
    ) -> Class {
        let steps = lesson
            .file
            .steps
            .iter()
            .map(|step| StepFacts {
                question: step.question.clone(),
            })
            .collect();
        let (changes, _) = tokio::sync::watch::channel(0);
        Class {
            shared: Arc::new(Shared {
                room: Mutex::new(Classroom::new(config, steps)),
                results: Mutex::new(results),
                pages: Pages::new(lesson, timeline, lang),
                changes,
                opened: Instant::now(),
            }),
        }
    }

    /// The class state, locked. A panic elsewhere while it was held does not stop the class.
    pub fn room(&self) -> MutexGuard<'_, Classroom> {
        self.shared
            .room
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The pages of the lesson.
    pub fn pages(&self) -> &Pages {
        &self.shared.pages
    }

    /// Time since the class opened: the classroom's clock.
    pub fn now(&self) -> Duration {
        self.shared.opened.elapsed()
    }

    /// Waits for changes (the web server's push).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.shared.changes.subscribe()
    }

    fn changed(&self, version: u64) {
        self.shared.changes.send_replace(version);
    }

    /// The teacher's lesson is where `replay` is: every student of a led class follows.
    pub fn follow(&self, replay: &Replay) {
        let position = Position {
            step: replay.step,
            finished: replay.finished,
            revealed: replay.revealed.clone(),
        };
        let now = self.now();
        let version = {
            let mut room = self.room();
            room.follow_teacher(position, now);
            room.version()
        };
        self.changed(version);
    }

    /// A student joins.
    pub fn join(&self, name: &str, code: &str, token: Token) -> Result<usize, Refusal> {
        let now = self.now();
        let (student, version) = {
            let mut room = self.room();
            let student = room.join(name, code, token, now)?;
            (student, room.version())
        };
        self.changed(version);
        Ok(student)
    }

    /// A student answers; the answer is written to the results file before this returns.
    pub fn answer(&self, student: usize, step: usize, response: Response) -> Result<Given, Refusal> {
        let now = self.now();
        let (given, version, name) = {
            let mut room = self.room();
            let given = room.answer(student, step, response, now)?;
            (given, room.version(), room.students()[student].name.clone())
        };
        let mut results = self
            .shared
            .results
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(results) = results.as_mut() {
            let page = &self.shared.pages.steps[step][0];
            let ask = page.ask.as_ref();
            let row = ResultRow {
                name,
                step: step + 1,
                question: ask.map(|a| a.text.clone()).unwrap_or_default(),
                answer: match response {
                    Response::Number(number) => number.to_string(),
                    Response::Picked(_) => ask
                        .map(|a| {
                            let picked = a.choices.iter().enumerate().filter(|(i, _)| response.picked(*i));
                            picked
                                .map(|(_, text)| text.as_str())
                                .collect::<Vec<_>>()
                                .join(" + ")
                        })
                        .unwrap_or_default(),
                },
                right: given.right,
                seconds: (given.seconds * 10.0).round() / 10.0,
            };
            if let Err(error) = results.record(row) {
                eprintln!("pop3scope: cannot write the results file: {error}");
            }
        }
        drop(results);
        self.changed(version);
        Ok(given)
    }

    /// A student of a self-paced class steps on or back.
    pub fn student_move(&self, student: usize, forward: bool) -> Result<(), Refusal> {
        let now = self.now();
        let version = {
            let mut room = self.room();
            room.student_move(student, forward, now)?;
            room.version()
        };
        self.changed(version);
        Ok(())
    }

    /// The spread of answers at the teacher's step.
    pub fn tally(&self) -> Tally {
        let room = self.room();
        room.tally(room.teacher().step)
    }

    /// The class's version: it changes whenever a screen should be redrawn.
    pub fn version(&self) -> u64 {
        self.room().version()
    }
}
