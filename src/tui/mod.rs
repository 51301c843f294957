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
