//! What the user sees and selected, and what each key does: no terminal here.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position as Cell, Rect};

use crate::session::SessionId;
use crate::teach::classroom::{Class, Invitation};
use crate::teach::lesson::{Lang, PaneName, QuestionKind, Replay};
use crate::view::filter::Filter;
use crate::view::timeline::{Record, SessionView, Timeline};

/// The panes that take the keyboard, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Sessions,
    Conversation,
    Side,
}

/// What the side pane shows about the selected line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SideTab {
    Detail,
    Ladder,
    Mailbox,
}

/// Everything a key can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Down,
    Up,
    PageDown,
    PageUp,
    First,
    Last,
    NextPane,
    PreviousPane,
    Open,
    Back,
    ShowDetail,
    ShowLadder,
    ShowMailbox,
    ToggleWireView,
    SaveMessage,
    Search,
    NextMatch,
    PreviousMatch,
    Filter,
    ToggleSecrets,
    ToggleProjector,
    Help,
    Quit,
}

/// A key as the table names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn key(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}
const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

/// The one key table: it handles the keys and writes the help screen and the hint bar.
/// (keys, action, what it does, its word in the hint bar)
pub const KEYS: &[(&[Key], Action, &str, Option<&str>)] = &[
    (&[key(KeyCode::Down), ch('j')], Action::Down, "next row", None),
    (&[key(KeyCode::Up), ch('k')], Action::Up, "previous row", None),
    (
        &[key(KeyCode::PageDown)],
        Action::PageDown,
        "a page down (in the detail when focused)",
        None,
    ),
    (&[key(KeyCode::PageUp)], Action::PageUp, "a page up", None),
    (
        &[key(KeyCode::Home), ch('g')],
        Action::First,
        "first row (top of the detail when focused)",
        None,
    ),
    (&[key(KeyCode::End), ch('G')], Action::Last, "last row", None),
    (&[key(KeyCode::Tab)], Action::NextPane, "next pane", Some("pane")),
    (
        &[key(KeyCode::BackTab)],
        Action::PreviousPane,
        "previous pane",
        None,
    ),
    (
        &[key(KeyCode::Enter)],
        Action::Open,
        "open the detail of the row",
        Some("detail"),
    ),
    (
        &[key(KeyCode::Esc)],
        Action::Back,
        "back: close help, prompt, filter",
        None,
    ),
    (&[ch('d')], Action::ShowDetail, "side pane: detail", None),
    (
        &[ch('l')],
        Action::ShowLadder,
        "side pane: ladder diagram",
        Some("ladder"),
    ),
    (
        &[ch('m')],
        Action::ShowMailbox,
        "side pane: mailbox mirror",
        Some("mailbox"),
    ),
    (
        &[ch('w')],
        Action::ToggleWireView,
        "detail: wire bytes / meaning",
        None,
    ),
    (
        &[ch('x')],
        Action::SaveMessage,
        "save the message of a RETR or TOP, and its attachments",
        None,
    ),
    (
        &[ch('/')],
        Action::Search,
        "search the conversation",
        Some("search"),
    ),
    (&[ch('n')], Action::NextMatch, "next match", None),
    (&[ch('N')], Action::PreviousMatch, "previous match", None),
    (
        &[ch('f')],
        Action::Filter,
        "filter: command, phase, +ok, -err, notes",
        Some("filter"),
    ),
    (
        &[ch('s')],
        Action::ToggleSecrets,
        "show or hide passwords",
        Some("secrets"),
    ),
    (
        &[ch('P')],
        Action::ToggleProjector,
        "projector mode: high contrast, bold, spaced rows",
        None,
    ),
    (&[ch('?')], Action::Help, "this help", Some("help")),
    (
        &[
            ch('q'),
            Key {
                code: KeyCode::Char('c'),
                ctrl: true,
            },
        ],
        Action::Quit,
        "quit",
        Some("quit"),
    ),
];

/// Names a key for the help screen.
pub fn key_name(key: Key) -> String {
    let base = match key.code {
        KeyCode::Down => "↓".to_string(),
        KeyCode::Up => "↑".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::Home => "Home".to_string(),
        KeyCode::End => "End".to_string(),
        KeyCode::Tab => "Tab".to_string(),
        KeyCode::BackTab => "Shift-Tab".to_string(),
        KeyCode::Enter => "Enter".to_string(),
        KeyCode::Esc => "Esc".to_string(),
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        other => format!("{other:?}"),
    };
    if key.ctrl { format!("Ctrl-{base}") } else { base }
}

impl Key {
    /// Whether a key press is this key.
    fn is(&self, event: &KeyEvent) -> bool {
        self.code == event.code && self.ctrl == event.modifiers.contains(KeyModifiers::CONTROL)
    }
}

fn action_for(event: KeyEvent) -> Option<Action> {
    KEYS.iter()
        .find(|(keys, ..)| keys.iter().any(|k| k.is(&event)))
        .map(|(_, action, ..)| *action)
}

/// A line of text the user is typing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    Filter,
    /// A lesson step number.
    Jump,
}

/// What a key does in a lesson, before the keys of [`KEYS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonAction {
    Next,
    Back,
    Jump,
    Play,
    Faster,
    Slower,
    Reveal,
}

/// The lesson keys: they come first in a lesson, and in its help.
pub const LESSON_KEYS: &[(&[Key], LessonAction, &str)] = &[
    (&[key(KeyCode::Right), ch(' ')], LessonAction::Next, "next step"),
    (
        &[key(KeyCode::Left), key(KeyCode::Backspace)],
        LessonAction::Back,
        "previous step",
    ),
    (&[ch('g')], LessonAction::Jump, "go to step N"),
    (
        &[ch('p')],
        LessonAction::Play,
        "play / pause: a step every few seconds",
    ),
    (&[ch('+')], LessonAction::Faster, "play faster"),
    (&[ch('-')], LessonAction::Slower, "play slower"),
    (&[ch('r')], LessonAction::Reveal, "reveal the answer"),
];

/// Seconds per step when playing, slowest last.
pub const PLAY_SPEEDS: [u32; 6] = [2, 3, 5, 8, 13, 20];

/// A lesson being replayed in the UI.
pub struct LessonView {
    pub replay: Replay,
    pub lang: Lang,
    /// The lesson's number among the bundled ones.
    pub number: Option<usize>,
    /// Playing: index into [`PLAY_SPEEDS`].
    pub playing: Option<usize>,
    /// Where [`PLAY_SPEEDS`] was left when paused.
    pub speed: usize,
    /// The students following in their browsers (`pop3scope classroom`), and how they join.
    pub class: Option<(Class, Invitation)>,
}

/// Where the last frame put each pane, for the mouse.
#[derive(Clone, Copy, Debug, Default)]
pub struct Areas {
    pub sessions: Rect,
    pub conversation: Rect,
    pub side: Rect,
    /// The first session and line drawn in their panes.
    pub sessions_top: usize,
    pub conversation_top: usize,
}

/// The state of the terminal UI.
pub struct App {
    pub timeline: Timeline,
    /// Where the capture came from, for the title.
    pub source: String,
    pub focus: Pane,
    pub side: SideTab,
    /// Index into the timeline's sessions.
    pub session: usize,
    /// Index into the selected session's lines.
    pub line: usize,
    pub show_secrets: bool,
    pub projector: bool,
    pub color: bool,
    /// Detail shows the bytes as sent (dot-stuffed, CRLF) instead of their meaning.
    pub wire_view: bool,
    pub help: bool,
    pub prompt: Option<Prompt>,
    pub search: Option<String>,
    pub filter: Option<Filter>,
    /// What the bottom line says once: no match, a filter hides everything.
    pub message: Option<String>,
    /// Reading progress or live counters, for the title.
    pub status: String,
    /// A warning about what is shown (a damaged capture), on screen until the end.
    pub warning: Option<String>,
    pub detail_scroll: u16,
    pub lesson: Option<LessonView>,
    /// Live capture: a user on the last line of a session follows new lines.
    pub follow: bool,
    pub quit: bool,
    pub areas: Areas,
    /// Saves the message of an exchange (session, exchange index) in the background and says
    /// where on the bottom line; `None` when there is no capture file to read it again from.
    pub saver: Option<Box<dyn FnMut(SessionId, u32) + Send>>,
}

impl App {
    pub fn new(source: impl Into<String>) -> Self {
        App {
            timeline: Timeline::default(),
            source: source.into(),
            focus: Pane::Conversation,
            side: SideTab::Detail,
            session: 0,
            line: 0,
            show_secrets: false,
            projector: false,
            color: true,
            wire_view: false,
            help: false,
            prompt: None,
            search: None,
            filter: None,
            message: None,
            status: String::new(),
            warning: None,
            detail_scroll: 0,
            lesson: None,
            follow: false,
            quit: false,
            areas: Areas::default(),
            saver: None,
        }
    }

    /// Asks the saver for the selected exchange's message, or says why it cannot be saved.
    fn save_message(&mut self) {
        let selected = self.selected_session().and_then(|session| {
            let exchange = session.exchange_of(self.line)?;
            let retrieved = session
                .exchanges
                .iter()
                .position(|e| std::ptr::eq(e, exchange))
                .and_then(|n| session.facts[n].message.as_ref())
                .is_some();
            Some((session.info.id, exchange.index, retrieved))
        });
        self.message = Some(match (selected, self.saver.as_mut()) {
            (Some((session, exchange, true)), Some(save)) => {
                save(session, exchange);
                format!("saving the message of exchange {exchange}…")
            }
            (Some((_, _, true)), None) => {
                "saving needs a capture file to read again: capture with sniff -w FILE, then open it"
                    .to_string()
            }
            _ => "x saves a retrieved message: select a RETR or TOP answered +OK".to_string(),
        });
    }

    pub fn selected_session(&self) -> Option<&SessionView> {
        self.timeline.sessions.get(self.session)
    }

    /// Takes a record, keeping the selection on the line the user chose. A user on the last
    /// line of a live session follows new lines.
    pub fn push(&mut self, record: Record) {
        let following = self.follow
            && self
                .selected_session()
                .is_some_and(|s| !s.lines.is_empty() && self.line + 1 == s.lines.len() && s.ending.is_none());
        // Live, a user who watched a session to its end moves on to the next one.
        let next_session = self.follow
            && matches!(record, Record::Started(_))
            && self
                .selected_session()
                .is_some_and(|s| s.ending.is_some() && self.line + 1 >= s.lines.len());
        for inserted in self.timeline.push(record) {
            if inserted.session != self.session {
                continue;
            }
            let len = self.timeline.sessions[self.session].lines.len();
            if following {
                self.line = len - 1;
            } else if inserted.line <= self.line && len > 1 {
                self.line += 1;
            }
        }
        if next_session {
            self.session = self.timeline.sessions.len() - 1;
            self.line = 0;
        }
        if let Some(session) = self.selected_session() {
            self.line = self.line.min(session.lines.len().saturating_sub(1));
        }
    }

    /// The lines of the selected session that the filter lets through.
    pub fn visible_lines(&self) -> Vec<usize> {
        let Some(session) = self.selected_session() else {
            return Vec::new();
        };
        // A lesson shows the conversation up to its step, and no further.
        let rows = match &self.lesson {
            Some(lesson) => lesson.replay.shown().1.min(session.lines.len()),
            None => session.lines.len(),
        };
        match &self.filter {
            None => (0..rows).collect(),
            Some(filter) => (0..rows)
                .filter(|&line| filter.matches(&crate::view::filter::subject_of(session, line)))
                .collect(),
        }
    }

    /// The language of the screen: the lesson's, else English.
    pub fn lang(&self) -> Lang {
        self.lesson.as_ref().map_or(Lang::En, |lesson| lesson.lang)
    }

    /// Lets a class follow the lesson from their browsers: every step and reveal reaches them.
    pub fn attach_class(&mut self, class: Class, invitation: Invitation) {
        if let Some(lesson) = &mut self.lesson {
            class.follow(&lesson.replay);
            lesson.class = Some((class, invitation));
        }
    }

    /// Tells the class where the lesson is now; nothing when it has not moved.
    pub fn sync_class(&self) {
        if let Some(lesson) = &self.lesson
            && let Some((class, _)) = &lesson.class
        {
            class.follow(&lesson.replay);
        }
    }

    /// The class's version (students joining and answering change it), to know when to redraw.
    pub fn class_version(&self) -> Option<u64> {
        let (class, _) = self.lesson.as_ref()?.class.as_ref()?;
        Some(class.version())
    }

    /// Opens a lesson at its first step.
    pub fn start_lesson(&mut self, replay: Replay, lang: Lang, number: Option<usize>) {
        self.lesson = Some(LessonView {
            replay,
            lang,
            number,
            playing: None,
            speed: 2,
            class: None,
        });
        self.focus = Pane::Conversation;
        self.follow_step();
    }

    /// Puts the cursor (and the side pane) where the lesson's step is.
    pub fn follow_step(&mut self) {
        let Some(lesson) = &self.lesson else {
            return;
        };
        let (session, rows) = lesson.replay.shown();
        let pane = lesson.replay.current().pane;
        self.session = session;
        self.line = rows.saturating_sub(1);
        self.filter = None;
        self.detail_scroll = 0;
        // A step shows the pane it names, the detail if it names none: the same whichever
        // way the class arrived at it.
        self.side = match pane {
            Some(PaneName::Ladder) => SideTab::Ladder,
            Some(PaneName::Mailbox) => SideTab::Mailbox,
            Some(PaneName::Detail) | None => SideTab::Detail,
        };
    }

    /// One step on, as the play timer asks; false at the end (playing then stops).
    pub fn play_step(&mut self) -> bool {
        let Some(lesson) = &mut self.lesson else {
            return false;
        };
        // A question waits for its answer.
        if lesson.replay.question().is_some() && !lesson.replay.settled() {
            return true;
        }
        lesson.replay.next();
        let going = !lesson.replay.finished;
        if !going {
            lesson.playing = None;
        }
        self.follow_step();
        going
    }

    fn lesson_act(&mut self, action: LessonAction) {
        let Some(lesson) = &mut self.lesson else {
            return;
        };
        match action {
            LessonAction::Next => lesson.replay.next(),
            LessonAction::Back => lesson.replay.back(),
            LessonAction::Jump => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Jump,
                    text: String::new(),
                });
                return;
            }
            LessonAction::Play => {
                lesson.playing = match lesson.playing {
                    Some(_) => None,
                    None => Some(lesson.speed),
                };
                return;
            }
            LessonAction::Faster | LessonAction::Slower => {
                let speed = if action == LessonAction::Faster {
                    lesson.speed.saturating_sub(1)
                } else {
                    (lesson.speed + 1).min(PLAY_SPEEDS.len() - 1)
                };
                lesson.speed = speed;
                if lesson.playing.is_some() {
                    lesson.playing = Some(speed);
                }
                self.message = Some(format!(
                    "a step every {} seconds when playing",
                    PLAY_SPEEDS[speed]
                ));
                return;
            }
            LessonAction::Reveal => lesson.replay.reveal(),
        }
        self.follow_step();
    }

    /// A key that answers the open question: 1–9 picks (or, for a question with several right
    /// answers, marks) a choice; a number question takes digits and Backspace; Enter gives
    /// what was marked or typed. False when the key is not for the question.
    fn answer_key(&mut self, event: &KeyEvent) -> bool {
        let Some(lesson) = &mut self.lesson else {
            return false;
        };
        let replay = &mut lesson.replay;
        let Some(kind) = replay.question().map(|q| q.kind) else {
            return false;
        };
        if replay.finished || replay.settled() {
            return false;
        }
        let number = kind == QuestionKind::Number;
        match event.code {
            KeyCode::Char(digit @ '0'..='9') if number => {
                if !replay.type_digit(digit as u8 - b'0') {
                    self.message = Some("that number is too long".to_string());
                }
            }
            KeyCode::Backspace if number => replay.erase(),
            KeyCode::Enter if matches!(kind, QuestionKind::Number | QuestionKind::Several) => {
                if replay.submit().is_none() {
                    self.message = Some(
                        if number {
                            "type a number first"
                        } else {
                            "mark a choice first"
                        }
                        .to_string(),
                    );
                }
            }
            KeyCode::Char(digit @ '1'..='9') if !number => {
                if replay.press(digit as usize - '1' as usize).is_none() {
                    self.message = Some(format!("there is no choice {digit}"));
                }
            }
            _ => return false,
        }
        true
    }

    pub fn handle_key(&mut self, event: KeyEvent) {
        self.message = None;
        if event.code == KeyCode::Char('c') && event.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        if self.prompt.is_none() && !self.help && self.lesson.is_some() {
            if self.answer_key(&event) {
                self.follow_step();
                return;
            }
            if let Some((_, action, _)) = LESSON_KEYS
                .iter()
                .find(|(keys, ..)| keys.iter().any(|k| k.is(&event)))
            {
                self.lesson_act(*action);
                return;
            }
        }
        if let Some(prompt) = &mut self.prompt {
            match event.code {
                KeyCode::Enter => self.finish_prompt(),
                KeyCode::Esc => self.prompt = None,
                KeyCode::Backspace => {
                    prompt.text.pop();
                }
                KeyCode::Char(c) if !event.modifiers.contains(KeyModifiers::CONTROL) => prompt.text.push(c),
                KeyCode::Char('c') => self.quit = true,
                _ => {}
            }
            return;
        }
        // Any key closes the help; one that does something else (not Esc, not ?) does it too.
        let action = action_for(event);
        if std::mem::take(&mut self.help) && matches!(action, None | Some(Action::Back | Action::Help)) {
            return;
        }
        if let Some(action) = action {
            self.act(action);
        }
    }

    pub fn act(&mut self, action: Action) {
        match action {
            // j and k always move the selected row (or session): the detail follows it.
            Action::Down => self.step(1),
            Action::Up => self.step(-1),
            // Paging keys scroll the detail while it has the focus.
            Action::PageDown if self.detail_focused() => self.scroll_detail(self.page() as isize),
            Action::PageUp if self.detail_focused() => self.scroll_detail(-(self.page() as isize)),
            Action::First if self.detail_focused() => self.detail_scroll = 0,
            Action::Last if self.detail_focused() => self.detail_scroll = u16::MAX,
            Action::PageDown => self.step(self.page() as isize),
            Action::PageUp => self.step(-(self.page() as isize)),
            Action::First => self.step(isize::MIN / 2),
            Action::Last => self.step(isize::MAX / 2),
            Action::NextPane => self.cycle_pane(1),
            Action::PreviousPane => self.cycle_pane(2),
            Action::Open => match self.focus {
                Pane::Sessions => self.focus = Pane::Conversation,
                _ => {
                    self.focus = Pane::Side;
                    self.side = SideTab::Detail;
                }
            },
            Action::Back => {
                if self.filter.take().is_none() && self.focus == Pane::Side {
                    self.focus = Pane::Conversation;
                }
            }
            Action::ShowDetail => self.show_side(SideTab::Detail),
            Action::ShowLadder => self.show_side(SideTab::Ladder),
            Action::ShowMailbox => self.show_side(SideTab::Mailbox),
            // The bytes as sent can answer a question (dot-stuffing): they wait for the answer.
            Action::ToggleWireView if self.lesson.as_ref().is_some_and(|l| l.replay.explanations_wait()) => {}
            Action::ToggleWireView => {
                self.wire_view = !self.wire_view;
                let has_data = self
                    .selected_session()
                    .and_then(|s| s.exchange_of(self.line))
                    .and_then(|e| e.reply.as_ref())
                    .is_some_and(|r| r.body.is_some());
                if !has_data {
                    self.message = Some(format!(
                        "w shows the data lines of a multi-line reply {}; this row has none",
                        if self.wire_view { "as sent" } else { "as meant" }
                    ));
                }
            }
            Action::SaveMessage => self.save_message(),
            Action::Search => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Search,
                    text: String::new(),
                })
            }
            Action::NextMatch | Action::PreviousMatch if self.search.is_none() => {
                self.message = Some("nothing searched yet: / searches".to_string());
            }
            Action::NextMatch => self.find(true),
            Action::PreviousMatch => self.find(false),
            // A new filter is typed afresh (the one in force shows until Enter; Esc keeps it).
            Action::Filter => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Filter,
                    text: String::new(),
                })
            }
            Action::ToggleSecrets => self.show_secrets = !self.show_secrets,
            Action::ToggleProjector => self.projector = !self.projector,
            Action::Help => self.help = true,
            Action::Quit => self.quit = true,
        }
    }

    /// Brings the side pane up with `tab`: beside the conversation on a wide terminal, in its
    /// place on a narrow one.
    fn show_side(&mut self, tab: SideTab) {
        self.side = tab;
        self.focus = Pane::Side;
        self.detail_scroll = 0;
    }

    fn cycle_pane(&mut self, by: usize) {
        const ORDER: [Pane; 3] = [Pane::Sessions, Pane::Conversation, Pane::Side];
        let at = ORDER.iter().position(|p| *p == self.focus).unwrap_or(1);
        self.focus = ORDER[(at + by) % ORDER.len()];
        // A lesson has no sessions pane: the class stays on the step's session.
        if self.lesson.is_some() && self.focus == Pane::Sessions {
            self.focus = ORDER[(at + by + by) % ORDER.len()];
        }
    }

    fn page(&self) -> usize {
        let area = match self.focus {
            Pane::Sessions => self.areas.sessions,
            Pane::Side => self.areas.side,
            Pane::Conversation => self.areas.conversation,
        };
        usize::from(area.height.saturating_sub(3)).max(1)
    }

    /// The side pane has the focus and shows the detail.
    fn detail_focused(&self) -> bool {
        self.focus == Pane::Side && self.side == SideTab::Detail
    }

    /// Scrolls the detail by `by` rows (drawing stops it at the last line).
    fn scroll_detail(&mut self, by: isize) {
        let to = i64::from(self.detail_scroll).saturating_add(by as i64);
        self.detail_scroll = to.clamp(0, i64::from(u16::MAX)) as u16;
    }

    /// Moves the selection by `by` rows, clamped: the session in the sessions pane, else the
    /// conversation's row (from the side pane too, which shows that row).
    fn step(&mut self, by: isize) {
        match self.focus {
            Pane::Sessions if self.lesson.is_none() => {
                let count = self.timeline.sessions.len();
                if count > 0 {
                    let to = (self.session as isize)
                        .saturating_add(by)
                        .clamp(0, count as isize - 1);
                    if to as usize != self.session {
                        self.session = to as usize;
                        self.line = 0;
                        self.detail_scroll = 0;
                    }
                }
            }
            _ => {
                let visible = self.visible_lines();
                if visible.is_empty() {
                    return;
                }
                let at = visible.partition_point(|&l| l < self.line).min(visible.len() - 1);
                let to = (at as isize)
                    .saturating_add(by)
                    .clamp(0, visible.len() as isize - 1);
                self.line = visible[to as usize];
                self.detail_scroll = 0;
            }
        }
    }

    fn finish_prompt(&mut self) {
        let Some(prompt) = self.prompt.take() else {
            return;
        };
        match prompt.kind {
            PromptKind::Search => {
                self.search = (!prompt.text.is_empty()).then_some(prompt.text);
                self.find(true);
            }
            PromptKind::Jump => {
                let jumped = match (&mut self.lesson, prompt.text.trim().parse::<usize>()) {
                    (Some(lesson), Ok(number)) => lesson.replay.jump(number),
                    _ => false,
                };
                if jumped {
                    self.follow_step();
                } else {
                    let steps = self.lesson.as_ref().map_or(0, |l| l.replay.steps());
                    self.message = Some(format!("no step \"{}\": the steps are 1 to {steps}", prompt.text));
                }
            }
            PromptKind::Filter => {
                self.filter = match Filter::parse(&prompt.text) {
                    _ if prompt.text.trim().is_empty() => None,
                    Ok(filter) => Some(filter),
                    Err(problem) => {
                        // The filter in force stays; what is wrong is said.
                        self.message = Some(format!("filter: {problem}"));
                        return;
                    }
                };
                let visible = self.visible_lines();
                if visible.is_empty() && self.filter.is_some() {
                    self.message = Some("no row matches the filter (Esc clears it)".to_string());
                } else if !visible.contains(&self.line) {
                    let next = visible.iter().find(|&&l| l >= self.line).or(visible.last());
                    self.line = next.copied().unwrap_or(0);
                }
            }
        }
    }

    /// Moves to the next (or previous) line with the search text, across sessions.
    fn find(&mut self, forward: bool) {
        let Some(needle) = self.search.clone() else {
            return;
        };
        let needle = needle.to_lowercase();
        let sessions = &self.timeline.sessions;
        let mut places: Vec<(usize, usize)> = Vec::new();
        for (s, session) in sessions.iter().enumerate() {
            for line in 0..session.lines.len() {
                if crate::view::explain::line_text(session, line, self.show_secrets)
                    .to_lowercase()
                    .contains(&needle)
                {
                    places.push((s, line));
                }
            }
        }
        let here = (self.session, self.line);
        let next = if forward {
            places.iter().find(|&&p| p > here).or(places.first())
        } else {
            places.iter().rev().find(|&&p| p < here).or(places.last())
        };
        match next {
            Some(&(session, line)) => {
                self.session = session;
                self.line = line;
                self.filter = None;
                self.detail_scroll = 0;
            }
            None => self.message = Some(format!("\"{needle}\" is not in the capture")),
        }
    }

    pub fn handle_mouse(&mut self, event: MouseEvent) {
        let at = Cell::new(event.column, event.row);
        let pane = if self.areas.sessions.contains(at) {
            Pane::Sessions
        } else if self.areas.conversation.contains(at) {
            Pane::Conversation
        } else if self.areas.side.contains(at) {
            Pane::Side
        } else {
            return;
        };
        match event.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = pane;
                match pane {
                    Pane::Sessions => {
                        // Two rows of border and header above the first session.
                        let row = usize::from(event.row.saturating_sub(self.areas.sessions.y + 2));
                        let index = self.areas.sessions_top + row;
                        if index < self.timeline.sessions.len() && index != self.session {
                            self.session = index;
                            self.line = 0;
                        }
                    }
                    Pane::Conversation => {
                        let rows_per_line = if self.projector { 2 } else { 1 };
                        let row = usize::from(event.row.saturating_sub(self.areas.conversation.y + 1));
                        let visible = self.visible_lines();
                        if let Some(&line) = visible.get(self.areas.conversation_top + row / rows_per_line) {
                            self.line = line;
                            self.detail_scroll = 0;
                        }
                    }
                    Pane::Side => {}
                }
            }
            // The wheel scrolls what is under it: the detail, or the rows.
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                self.focus = pane;
                let by = if event.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                if self.detail_focused() {
                    self.scroll_detail(by);
                } else {
                    self.step(by);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let keys: Vec<Key> = KEYS.iter().flat_map(|(keys, ..)| keys.iter().copied()).collect();
        for (i, key) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(key), "{} is bound twice", key_name(*key));
        }
    }

    #[test]
    fn every_key_in_the_table_does_what_the_help_says() {
        for (keys, action, ..) in KEYS {
            for key in *keys {
                let modifiers = if key.ctrl {
                    KeyModifiers::CONTROL
                } else {
                    KeyModifiers::NONE
                };
                assert_eq!(action_for(KeyEvent::new(key.code, modifiers)), Some(*action));
            }
        }
    }

    #[test]
    fn typing_in_a_prompt_is_text_not_commands() {
        let mut app = App::new("test");
        app.act(Action::Search);
        for c in "quit".chars() {
            app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert!(!app.quit);
        assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some("quit"));
    }
}
