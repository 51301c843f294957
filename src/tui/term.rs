//! The terminal: raw mode, alternate screen and mouse on the way in, all undone on every way
//! out (a panic included); the loop that feeds records, keys and mouse to the app and redraws.

use std::io::{self, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

use super::app::{App, PLAY_SPEEDS};
use super::view::draw;
use crate::view::timeline::Record;

/// What the producer (a file being read, a live capture) tells the UI.
pub enum Feed {
    Record(Record),
    /// A short status for the title: "reading 45%", "live on lo"; empty when done.
    Status(String),
    /// Something the user must know about what is shown (a damaged file): stays on screen.
    Warning(String),
    /// A word for the bottom line, shown once (where a message was saved).
    Message(String),
}

/// Time spent taking records (or waiting for them) before the screen is drawn again and the
/// keys are read.
const FEED_BUDGET: Duration = Duration::from_millis(40);
/// How long to wait for a key before looking for records again.
const TICK: Duration = Duration::from_millis(50);

/// Whether the terminal is set up for the UI. Restoring twice would leave the alternate screen
/// twice, and the second time moves the cursor back over what was printed in between.
static ACTIVE: AtomicBool = AtomicBool::new(false);

fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        ratatui::crossterm::cursor::Show
    );
}

/// Undoes the terminal set-up when dropped: after a normal quit, an error or an unwinding panic.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// The terminal is restored before a panic's message is printed, so the message is readable.
fn restore_on_panic() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

/// Runs the UI until the user quits. Records keep coming from `feed` until it closes.
pub fn run(mut app: App, feed: Receiver<Feed>) -> io::Result<App> {
    restore_on_panic();
    // The user chose colour (--color always wins over NO_COLOR, which crossterm also reads).
    ratatui::crossterm::style::force_color_output(app.color);
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = Guard;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let panic_key = std::env::var("POP3SCOPE_TEST_PANIC_KEY")
        .ok()
        .and_then(|k| k.chars().next());
    let mut feed_open = true;
    let mut dirty = true;
    // When the lesson's step last changed: playing moves on from there.
    let mut step_clock = Instant::now();
    let mut seen_step = None;
    let mut seen_class = None;
    while !app.quit {
        if let Some(lesson) = &app.lesson {
            let step = (lesson.replay.step, lesson.replay.finished);
            if seen_step != Some(step) {
                seen_step = Some(step);
                step_clock = Instant::now();
            }
            if let Some(speed) = lesson.playing
                && step_clock.elapsed() >= Duration::from_secs(u64::from(PLAY_SPEEDS[speed]))
            {
                app.play_step();
                app.sync_class();
                step_clock = Instant::now();
                dirty = true;
            }
        }
        if feed_open {
            // Records are taken for a while, then the screen is drawn and the keys read: the
            // UI stays responsive while a large capture pours in, and redraws at most every
            // FEED_BUDGET.
            let until = Instant::now() + FEED_BUDGET;
            loop {
                match feed.recv_timeout(until.saturating_duration_since(Instant::now())) {
                    Ok(Feed::Record(record)) => {
                        app.push(record);
                        dirty = true;
                    }
                    Ok(Feed::Status(status)) => {
                        app.status = status;
                        dirty = true;
                    }
                    Ok(Feed::Warning(warning)) => {
                        app.warning = Some(warning);
                        dirty = true;
                    }
                    Ok(Feed::Message(message)) => {
                        app.message = Some(message);
                        dirty = true;
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => {
                        feed_open = false;
                        break;
                    }
                }
            }
        }
        // Students joining and answering redraw the tally.
        let class_version = app.class_version();
        if class_version != seen_class {
            seen_class = class_version;
            dirty = true;
        }
        if dirty {
            terminal.draw(|frame| draw(frame, &mut app))?;
            dirty = false;
        }
        // With records still coming, the wait for them was the tick.
        if event::poll(if feed_open { Duration::ZERO } else { TICK })? {
            match event::read()? {
                Event::Key(key) if key.kind != KeyEventKind::Release => {
                    if panic_key.is_some_and(|c| key.code == event::KeyCode::Char(c)) {
                        panic!("POP3SCOPE_TEST_PANIC_KEY pressed: a test of the terminal restore");
                    }
                    app.handle_key(key);
                    app.sync_class();
                    dirty = true;
                }
                Event::Mouse(mouse) => {
                    app.handle_mouse(mouse);
                    app.sync_class();
                    dirty = true;
                }
                Event::Resize(..) => dirty = true,
                _ => {}
            }
        }
    }
    drop(terminal);
    drop(guard);
    io::stdout().flush()?;
    Ok(app)
}
