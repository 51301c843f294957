//! The interactive terminal view of `open` and `sniff`: sessions, conversation, detail, ladder
//! and mailbox, over a [`Timeline`](crate::view::timeline::Timeline).
//!
//! Contract:
//! - A pure view over the UI-free core: [`App`] holds the timeline and what the user selected;
//!   keys become [`Action`]s through one table ([`KEYS`]) that also writes the help; rendering
//!   ([`draw`]) reads the app and changes nothing but scroll positions. Tests inject keys and
//!   snapshot the rendered buffer.
//! - Wire bytes reach the terminal only through [`crate::base::escape`]; secrets are masked
//!   unless the user reveals them, and a banner says so while they are shown.
//! - [`run`] owns the terminal: raw mode, the alternate screen and mouse capture are undone
//!   on every way out, a panic included.
//! - New records append without moving the user's selection off the line they chose.

mod app;
mod term;
mod view;

pub use app::{
    Action, App, KEYS, Key, LESSON_KEYS, LessonAction, LessonView, PLAY_SPEEDS, Pane, SideTab, key_name,
};
pub use term::{Feed, run};
pub use view::draw;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::SyncSender;

use crate::capture::{CaptureError, CaptureReader};
use crate::output::Extractor;
use crate::pipeline::{self, Config, EngineStats};
use crate::session::SessionId;
use crate::view::timeline::{Record, Recorder};

/// Browses a capture while a second thread reads it: the first screen comes at once, whatever
/// the size of the file; `progress` words how far the reading has come, for the status line.
/// When the user quits, the reader stops at its next frame. Returns what was read, and the
/// error that cut the file short, if any (the frames before it were shown).
pub fn browse_capture(
    mut reader: CaptureReader,
    mut app: App,
    config: Config,
    progress: impl Fn() -> String + Send + 'static,
    save: Option<SaveTo>,
) -> std::io::Result<(EngineStats, Result<(), CaptureError>)> {
    let (feed, records) = std::sync::mpsc::sync_channel(256);
    if let Some(save) = save {
        app.saver = Some(save.saver(config.clone(), feed.clone()));
    }
    let loader = std::thread::spawn(move || {
        let recorder = Recorder::new(|record| feed.send(Feed::Record(record)).is_ok());
        let mut sessions = config.sessions(recorder);
        let _ = feed.send(Feed::Status("reading".to_string()));
        let (stats, result) = pipeline::analyze(&mut reader, &config, &mut sessions, || {
            let _ = feed.send(Feed::Status(progress()));
        });
        let _ = feed.send(Feed::Status(String::new()));
        if let Err(error) = &result {
            let warning = format!("{error}; the {} frames before it are shown", stats.frames);
            let _ = feed.send(Feed::Warning(warning));
        }
        (stats, result)
    });
    run(app, records)?;
    match loader.join() {
        Ok(read) => Ok(read),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Where the save key (`x`) writes a message, and how to read the capture again for its bytes:
/// the timeline keeps only a preview of each reply, so memory stays bounded whatever the file.
pub struct SaveTo {
    /// The directory the message and its attachments go to, made if missing.
    pub dir: PathBuf,
    /// Opens the capture again from its start.
    pub reopen: Box<dyn Fn() -> Result<CaptureReader, CaptureError> + Send + Sync>,
}

impl SaveTo {
    /// A saver for the app: each call reads the capture again on its own thread, writes the
    /// exchange's message with [`Extractor::only`], and says where on the bottom line.
    fn saver(self, config: Config, feed: SyncSender<Feed>) -> Box<dyn FnMut(SessionId, u32) + Send> {
        let save = Arc::new(self);
        Box::new(move |session, exchange| {
            let (save, config, feed) = (save.clone(), config.clone(), feed.clone());
            std::thread::spawn(move || {
                let said = match save.write(&config, session, exchange) {
                    Ok(files) if files.is_empty() => {
                        format!("exchange {exchange} of session {session} was not found again in the capture")
                    }
                    Ok(files) => format!("saved in {}: {}", save.dir.display(), files.join(", ")),
                    Err(error) => format!("could not save: {error}"),
                };
                let _ = feed.send(Feed::Message(said));
            });
        })
    }

    fn write(&self, config: &Config, session: SessionId, exchange: u32) -> std::io::Result<Vec<String>> {
        let mut reader = (self.reopen)().map_err(std::io::Error::other)?;
        let extractor = Extractor::new(&self.dir)?.only(session, exchange);
        let mut sessions = config.sessions(extractor);
        let (_, result) = pipeline::analyze(&mut reader, config, &mut sessions, || {});
        result.map_err(std::io::Error::other)?;
        sessions.into_sink().into_files()
    }
}

/// The interactive view beside a live capture, on its own thread: Ctrl-C is a key there, and
/// quitting asks the capture to stop ([`crate::capture::live::request_stop`]). Records queue
/// without bound, so a slow screen never stalls the capture.
#[cfg(unix)]
pub struct LiveScreen {
    feed: std::sync::mpsc::Sender<Feed>,
    ui: std::thread::JoinHandle<std::io::Result<App>>,
}

#[cfg(unix)]
impl LiveScreen {
    /// Opens the view.
    pub fn start(app: App) -> LiveScreen {
        let (feed, records) = std::sync::mpsc::channel();
        let ui = std::thread::spawn(move || {
            let result = run(app, records);
            crate::capture::live::request_stop();
            result
        });
        LiveScreen { feed, ui }
    }

    /// A session sink that shows what it receives on this screen.
    pub fn recorder(&self) -> Recorder<impl FnMut(Record) -> bool + use<>> {
        let feed = self.feed.clone();
        Recorder::new(move |record| feed.send(Feed::Record(record)).is_ok())
    }

    /// Says why the capture stopped on the status line, and waits for the user to quit.
    pub fn finish(self, status: String) -> std::io::Result<()> {
        let _ = self.feed.send(Feed::Status(status));
        drop(self.feed);
        match self.ui.join() {
            Ok(result) => result.map(drop),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}
