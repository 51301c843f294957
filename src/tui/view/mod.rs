//! Drawing the app: title, sessions, conversation, side pane (detail, ladder, mailbox), hints,
//! help. Reads the app; writes back only where each pane was drawn (for the mouse).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::app::{Action, App, KEYS, LESSON_KEYS, PLAY_SPEEDS, Pane, PromptKind, SideTab, key_name};
use crate::base::Direction;
use crate::pop3::{Phase, Status};
use crate::teach::lesson::{Lang, QuestionKind};
use crate::view::explain::{self, Tone};
use crate::view::timeline::{LineKind, SessionView};

mod conversation;
mod narration;
mod sessions;
mod side;
mod tally;

use conversation::draw_conversation;
use narration::{draw_narration, narration_lines, wrap_lines};
use sessions::draw_sessions;
use side::draw_side;
use tally::draw_tally;

/// The words of the panes, in the screen's language.
struct PaneWords {
    conversation: &'static str,
    session: &'static str,
    tabs: [&'static str; 3],
    mailbox_head: &'static str,
    stat: fn(u32, Option<u64>) -> String,
    columns: [&'static str; 5],
    columns_narrow: [&'static str; 5],
    mailbox_empty: &'static str,
    deleted: &'static str,
    not_deleted: &'static str,
    kept: &'static str,
    marked_by_dele: &'static str,
    marked: &'static str,
    yes: &'static str,
    footer_deleted: &'static str,
    footer_none_marked: &'static str,
    footer_no_quit: &'static str,
    footer_marked: &'static str,
    class: &'static str,
    joined: fn(usize) -> String,
    answered: fn(usize, usize) -> String,
    waiting: &'static str,
    self_paced: &'static str,
    taller_for_qr: &'static str,
}

fn pane_words(lang: Lang) -> PaneWords {
    match lang {
        Lang::En => PaneWords {
            conversation: "Conversation",
            session: "session",
            tabs: ["Detail", "Ladder", "Mailbox"],
            mailbox_head: "As the client knows it after the selected row (RFC 1939 §5)",
            stat: |count, octets| match octets {
                Some(octets) => format!("STAT: {count} messages, {octets} octets"),
                None => format!("STAT: {count} messages"),
            },
            columns: ["#", "octets", "UID", "retrieved", "deletion"],
            columns_narrow: ["#", "octets", "UID", "got", "deletion"],
            mailbox_empty: "  nothing yet: LIST, UIDL, RETR and DELE fill this in",
            deleted: "DELETED at UPDATE",
            not_deleted: "marked, NOT deleted (no QUIT)",
            kept: "kept: no QUIT",
            marked_by_dele: "marked by DELE",
            marked: "marked",
            yes: "yes",
            footer_deleted: "QUIT sent in TRANSACTION, +OK: UPDATE deleted the marked messages (RFC 1939 §6).",
            footer_none_marked: "QUIT sent in TRANSACTION, +OK: no message was marked, so UPDATE deleted none.",
            footer_no_quit: "The session ended without QUIT: nothing was deleted (RFC 1939 §6).",
            footer_marked: "Marked messages are deleted only when QUIT is answered; RSET unmarks them.",
            class: "Class · code",
            joined: |n| format!("{n} student{} joined", if n == 1 { "" } else { "s" }),
            answered: |a, n| format!("answered {a} of {n}"),
            waiting: "waiting",
            self_paced: "self-paced: step · score",
            taller_for_qr: "(a taller pane shows the QR code)",
        },
        Lang::Zh => PaneWords {
            conversation: "会话过程",
            session: "会话",
            tabs: ["详情", "时序图", "邮箱"],
            mailbox_head: "客户端在所选行之后所知道的邮箱（RFC 1939 §5）",
            stat: |count, octets| match octets {
                Some(octets) => format!("STAT：{count} 封邮件，共 {octets} 字节"),
                None => format!("STAT：{count} 封邮件"),
            },
            columns: ["#", "字节", "UID", "已下载", "删除"],
            columns_narrow: ["#", "字节", "UID", "已下载", "删除"],
            mailbox_empty: "  暂无：LIST、UIDL、RETR 和 DELE 会填入这里",
            deleted: "已在更新状态删除",
            not_deleted: "已标记，未删除（没有 QUIT）",
            kept: "保留：没有 QUIT",
            marked_by_dele: "已被 DELE 标记",
            marked: "已标记",
            yes: "是",
            footer_deleted: "在事务处理状态发送 QUIT 并得到 +OK：更新状态删除了已标记的邮件（RFC 1939 §6）。",
            footer_none_marked: "在事务处理状态发送 QUIT 并得到 +OK：没有邮件被标记，更新状态什么也没删除。",
            footer_no_quit: "会话没有 QUIT 就结束了：什么也没有删除（RFC 1939 §6）。",
            footer_marked: "已标记的邮件只有在 QUIT 得到回复后才会删除；RSET 会撤销标记。",
            class: "课堂 · 加入码",
            joined: |n| format!("已加入 {n} 名学生"),
            answered: |a, n| format!("已作答 {a}/{n}"),
            waiting: "等待",
            self_paced: "自定进度：步骤 · 得分",
            taller_for_qr: "（面板更高时显示二维码）",
        },
    }
}

/// `text` padded with spaces to `width` columns (a Chinese character takes two).
fn pad(text: &str, width: usize) -> String {
    let used = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(used)))
}

/// `text` right-aligned in `width` columns.
fn pad_left(text: &str, width: usize) -> String {
    let used = unicode_width::UnicodeWidthStr::width(text);
    format!("{}{text}", " ".repeat(width.saturating_sub(used)))
}

/// Below this width the side pane takes the whole body instead of sharing it.
const WIDE: u16 = 120;

struct Palette {
    color: bool,
    projector: bool,
}

impl Palette {
    fn base(&self) -> Style {
        if self.projector {
            Style::new()
                .fg(Color::White)
                .bg(Color::Black)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        }
    }
    fn fg(&self, color: Color) -> Style {
        if self.color {
            self.base().fg(color)
        } else {
            self.base()
        }
    }
    fn phase(&self, phase: Phase) -> Style {
        if !self.color {
            return self.base().add_modifier(Modifier::BOLD);
        }
        let bg = match phase {
            Phase::Authorization => Color::Yellow,
            Phase::Transaction => Color::Green,
            Phase::Update => Color::Magenta,
            Phase::Tls => Color::Blue,
            Phase::Unknown => Color::Gray,
        };
        Style::new().fg(Color::Black).bg(bg).add_modifier(Modifier::BOLD)
    }
    fn quiet(&self) -> Style {
        if self.projector {
            self.base()
        } else {
            self.fg(Color::DarkGray)
        }
    }
    fn warning(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }
    fn border(&self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => self.base().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            (true, false) => self.base().add_modifier(Modifier::BOLD),
            (false, _) => self.quiet(),
        }
    }
    fn tone(&self, tone: Tone) -> Style {
        match tone {
            Tone::Heading => self.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Tone::Plain => self.base(),
            Tone::Wire => self.fg(Color::White),
            Tone::Quiet => self.quiet(),
            Tone::Warning => self.warning(),
            Tone::Good => self.fg(Color::Green),
        }
    }
}

fn band_name(phase: Phase, inferred: bool, narrow: bool) -> String {
    let name = match (phase, narrow) {
        // Not "AUTH": that is a command, and it appears in the same rows.
        (Phase::Authorization, true) => "AUTHZ",
        (Phase::Transaction, true) => "TRANS",
        (Phase::Update, true) => "UPDATE",
        (Phase::Unknown, true) => "?",
        (phase, _) => phase.name(),
    };
    let mark = if inferred { "?" } else { "" };
    let width = if narrow { 7 } else { 14 };
    format!("{:<width$}", format!("{name}{mark}"))
}

/// The phase in one column, readable without colour.
fn band_letter(phase: Phase) -> &'static str {
    match phase {
        Phase::Authorization => "A",
        Phase::Transaction => "T",
        Phase::Update => "U",
        Phase::Tls => "E",
        Phase::Unknown => "?",
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, app: &mut App) {
    let palette = Palette {
        color: app.color,
        projector: app.projector,
    };
    let area = frame.area();
    frame.render_widget(Block::new().style(palette.base()), area);
    let banner = u16::from(app.show_secrets);
    let sessions_height = if app.lesson.is_some() || (app.projector && app.focus != Pane::Sessions) {
        0
    } else {
        let wanted = app.timeline.sessions.len().max(1) as u16 + 3;
        wanted.min((area.height / 4).max(4))
    };
    let warning_height = u16::from(app.warning.is_some());
    let [title, banner_area, sessions, body, warning, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner),
        Constraint::Length(sessions_height),
        Constraint::Min(3),
        Constraint::Length(warning_height),
        Constraint::Length(1),
    ])
    .areas(area);
    if let Some(text) = &app.warning {
        frame.render_widget(
            Paragraph::new(format!("warning: {}", explain_escape(text))).style(palette.warning()),
            warning,
        );
    }

    draw_title(frame, app, &palette, title);
    if app.show_secrets {
        let text = " SECRETS SHOWN: passwords and tokens are visible. Press s to hide them. ";
        let style = if app.color {
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        };
        frame.render_widget(Paragraph::new(text).style(style), banner_area);
    }
    app.areas.sessions = sessions;
    if sessions_height > 0 {
        draw_sessions(frame, app, &palette, sessions);
    }

    // A lesson's narration takes the lower part of the body.
    // As tall as its text needs, leaving the conversation at least five rows.
    // Wrapped here, so its height is known: the conversation gives up rows first, down to
    // three, and whatever still does not fit is cut from the top, never from the question.
    let mut narration_text = wrap_lines(
        narration_lines(app, &palette),
        usize::from(body.width.saturating_sub(2)).max(1),
    );
    let (body, narration) = if app.lesson.is_some() {
        let room = body.height.saturating_sub(3 + 2).max(1);
        if narration_text.len() > usize::from(room) {
            let keep = usize::from(room.saturating_sub(1));
            let cut = narration_text.len() - keep;
            narration_text.drain(..cut);
            let note = if app.lesson.as_ref().is_some_and(|l| l.lang == Lang::Zh) {
                "↑ 上面还有内容：请放大终端，或使用 --plain"
            } else {
                "↑ more above: a taller terminal shows it, or --plain"
            };
            narration_text.insert(0, Line::styled(note, palette.quiet()));
        }
        let height = (narration_text.len() as u16 + 2).min(body.height);
        let [top, bottom] = Layout::vertical([Constraint::Min(0), Constraint::Length(height)]).areas(body);
        (top, bottom)
    } else {
        (body, Rect::default())
    };

    // A class's tally takes a column on the right.
    let has_class = app.lesson.as_ref().is_some_and(|lesson| lesson.class.is_some());
    let (body, tally) = if has_class && body.width >= 80 {
        let [main, tally] = Layout::horizontal([Constraint::Min(40), Constraint::Length(36)]).areas(body);
        (main, tally)
    } else {
        (body, Rect::default())
    };
    if tally.area() > 0 {
        draw_tally(frame, app, &palette, tally);
    }

    // A lesson keeps its side pane beside the conversation down to 100 columns.
    let wide = body.width >= WIDE || (app.lesson.is_some() && body.width >= 100);
    let (conversation, side) = if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        (left, right)
    } else if app.focus == Pane::Side {
        // The side pane takes the conversation's place: the selected row stays in sight above
        // it, since j and k still move it.
        let [strip, side] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
        draw_selected_row(frame, app, &palette, strip);
        (Rect::default(), side)
    } else {
        (body, Rect::default())
    };
    app.areas.conversation = conversation;
    app.areas.side = side;
    if conversation.area() > 0 {
        draw_conversation(frame, app, &palette, conversation);
    }
    if side.area() > 0 {
        draw_side(frame, app, &palette, side);
    }
    if narration.area() > 0 {
        draw_narration(frame, app, &palette, narration, narration_text);
    }
    draw_footer(frame, app, &palette, footer);
    if app.help {
        draw_help(frame, &palette, area, app.lesson.is_some());
    }
}

fn draw_title(frame: &mut Frame, app: &App, palette: &Palette, area: Rect) {
    let exchanges: usize = app.timeline.sessions.iter().map(|s| s.exchanges.len()).sum();
    let sessions = app.timeline.sessions.len();
    if let Some(lesson) = &app.lesson {
        let title = lesson.replay.lesson.file.title.get(lesson.lang);
        let name = match (lesson.number, lesson.lang) {
            (Some(n), Lang::Zh) => format!("第{n}课 · {title}"),
            (Some(n), Lang::En) => format!("Lesson {n} · {title}"),
            (None, _) => title.to_string(),
        };
        let mut spans = vec![
            Span::styled(
                " pop3scope ",
                palette.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ),
            Span::styled(name, palette.base().add_modifier(Modifier::BOLD)),
        ];
        if app.projector {
            spans.push(Span::styled("  projector", palette.quiet()));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    let mut spans = vec![
        Span::styled(
            " pop3scope ",
            palette.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::styled(explain_escape(&app.source), palette.base()),
        Span::styled(
            format!(
                "  {sessions} session{}, {exchanges} exchange{}",
                if sessions == 1 { "" } else { "s" },
                if exchanges == 1 { "" } else { "s" }
            ),
            palette.quiet(),
        ),
    ];
    if !app.status.is_empty() {
        spans.push(Span::styled(format!("  {}", app.status), palette.warning()));
    }
    if app.projector {
        spans.push(Span::styled("  projector", palette.quiet()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn explain_escape(text: &str) -> String {
    crate::base::escape(text.as_bytes())
}

fn pane_block<'a>(title: impl Into<Line<'a>>, focused: bool, palette: &Palette) -> Block<'a> {
    Block::bordered()
        .title(title)
        .border_style(palette.border(focused))
        .style(palette.base())
}

/// The first row to draw so that `selected` is visible among `height` rows.
fn scroll_top(previous: usize, selected: usize, height: usize) -> usize {
    if height == 0 {
        return selected;
    }
    if selected < previous {
        selected
    } else if selected >= previous + height {
        selected + 1 - height
    } else {
        previous
    }
}

fn draw_footer(frame: &mut Frame, app: &App, palette: &Palette, area: Rect) {
    let line = if let Some(prompt) = &app.prompt {
        let label = match prompt.kind {
            PromptKind::Search => "search: ",
            PromptKind::Filter => "filter (RETR, transaction, -err, notes, text…): ",
            PromptKind::Jump if app.lesson.as_ref().is_some_and(|l| l.lang == Lang::Zh) => "跳到步骤：",
            PromptKind::Jump => "go to step: ",
        };
        Line::from(vec![
            Span::styled(label, palette.fg(Color::Cyan).add_modifier(Modifier::BOLD)),
            Span::styled(format!("{}█", prompt.text), palette.base()),
        ])
    } else if let Some(message) = &app.message {
        Line::styled(message.clone(), palette.warning())
    } else if let Some(lesson) = &app.lesson {
        let key_style = palette.fg(Color::Cyan).add_modifier(Modifier::BOLD);
        let waiting = lesson.replay.question().is_some() && !lesson.replay.settled();
        let zh = lesson.lang == Lang::Zh;
        let playing = match lesson.playing {
            Some(_) if waiting && zh => "▶ 播放中：等待作答  ".to_string(),
            Some(_) if waiting => "▶ playing: waiting for an answer  ".to_string(),
            Some(speed) if zh => format!("▶ 播放中，每 {} 秒一步  ", PLAY_SPEEDS[speed]),
            Some(speed) => format!("▶ playing, a step every {} s  ", PLAY_SPEEDS[speed]),
            None => String::new(),
        };
        let mut spans = vec![Span::styled(playing, palette.warning())];
        // How the open question is answered: a key, marks then Enter, or digits then Enter.
        let kind = lesson.replay.question().map(|q| q.kind).filter(|_| waiting);
        let answer = match (kind, zh) {
            (Some(QuestionKind::Several), false) => ("1-9 Enter", "mark, send"),
            (Some(QuestionKind::Several), true) => ("1-9 Enter", "标记、提交"),
            (Some(QuestionKind::Number), false) => ("0-9 Enter", "answer"),
            (Some(QuestionKind::Number), true) => ("0-9 Enter", "作答"),
            (_, false) => ("1-9", "answer"),
            (_, true) => ("1-9", "作答"),
        };
        let hints: [(&str, &str); 8] = match lesson.lang {
            Lang::En => [
                ("→", "next"),
                ("←", "back"),
                answer,
                ("r", "reveal"),
                ("g", "step"),
                ("p", "play"),
                ("?", "help"),
                ("q", "quit"),
            ],
            Lang::Zh => [
                ("→", "下一步"),
                ("←", "上一步"),
                answer,
                ("r", "揭晓"),
                ("g", "跳转"),
                ("p", "播放"),
                ("?", "帮助"),
                ("q", "退出"),
            ],
        };
        for (key, hint) in hints {
            spans.push(Span::styled(key, key_style));
            spans.push(Span::styled(format!(" {hint}  "), palette.quiet()));
        }
        Line::from(spans)
    } else {
        let mut spans = Vec::new();
        // Help and quit, last in the table, go first: they must fit the narrowest terminal.
        let mut hinted: Vec<_> = KEYS.iter().filter(|(.., hint)| hint.is_some()).collect();
        hinted.rotate_right(2);
        for (keys, _, _, hint) in hinted {
            if let Some(hint) = hint {
                spans.push(Span::styled(
                    key_name(keys[0]),
                    palette.fg(Color::Cyan).add_modifier(Modifier::BOLD),
                ));
                spans.push(Span::styled(format!(" {hint}  "), palette.quiet()));
            }
        }
        Line::from(spans)
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The selected row of the conversation on one line, highlighted as in the conversation.
fn draw_selected_row(frame: &mut Frame, app: &App, palette: &Palette, area: Rect) {
    let Some(session) = app.timeline.sessions.get(app.session) else {
        return;
    };
    let (phase, inferred) = session.phase_at(app.line);
    let who = match session.lines.get(app.line).and_then(|l| l.from) {
        Some(Direction::ClientToServer) => "C: ",
        Some(Direction::ServerToClient) => "S: ",
        None => "",
    };
    let text = explain::line_text_in(session, app.line, app.show_secrets, app.lang());
    let row = Line::from(vec![
        Span::styled(band_name(phase, inferred, true), palette.phase(phase)),
        Span::raw(format!(" {who}{text}")),
    ])
    .patch_style(palette.selected(true));
    frame.render_widget(Paragraph::new(row), area);
}

fn draw_help(frame: &mut Frame, palette: &Palette, area: Rect, lesson: bool) {
    let mut lines = Vec::new();
    let key_style = palette.fg(Color::Cyan).add_modifier(Modifier::BOLD);
    if lesson {
        for (keys, _, help) in LESSON_KEYS {
            let names: Vec<String> = keys.iter().map(|k| key_name(*k)).collect();
            lines.push(Line::from(vec![
                Span::styled(format!("{:>17}  ", names.join(" ")), key_style),
                Span::styled(*help, palette.base()),
            ]));
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{:>17}  ", "1 … 9"), key_style),
            Span::styled("answer the question", palette.base()),
        ]));
    }
    // A lesson's help leaves out what moving and searching through a capture needs: the
    // lesson keys move, and the whole list must fit 80×24.
    let browsing = [
        Action::Down,
        Action::Up,
        Action::PageDown,
        Action::PageUp,
        Action::First,
        Action::Last,
        Action::PreviousPane,
        Action::Search,
        Action::NextMatch,
        Action::PreviousMatch,
        Action::Filter,
    ];
    // Opposite moves share a line, so that the whole list fits 80×24.
    let pairs = [
        (Action::Down, Action::Up),
        (Action::PageDown, Action::PageUp),
        (Action::First, Action::Last),
        (Action::NextPane, Action::PreviousPane),
        (Action::NextMatch, Action::PreviousMatch),
    ];
    let names = |keys: &[crate::tui::Key]| keys.iter().map(|k| key_name(*k)).collect::<Vec<_>>().join(" ");
    for (keys, action, help, _) in KEYS {
        if (lesson && browsing.contains(action)) || pairs.iter().any(|(_, second)| second == action) {
            continue;
        }
        let partner = pairs
            .iter()
            .find(|(first, _)| first == action)
            .and_then(|(_, second)| KEYS.iter().find(|(_, a, ..)| a == second));
        let (keys, help) = match partner {
            Some((other_keys, _, other_help, _)) => (
                format!("{} / {}", names(keys), names(other_keys)),
                format!("{help} / {other_help}"),
            ),
            None => (names(keys), help.to_string()),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{keys:>17}  "), key_style),
            Span::styled(help, palette.base()),
        ]));
    }
    // As wide as the longest line (or the title), as the screen allows; a line still too long
    // wraps, and the box grows to hold it.
    let title = " Keys · any key closes · mouse: click selects, wheel scrolls ";
    let longest = lines
        .iter()
        .map(Line::width)
        .chain([title.chars().count()])
        .max()
        .unwrap_or(0);
    let width = area.width.min(longest as u16 + 2);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines.iter().map(|line| line.width().max(1).div_ceil(inner)).sum();
    let height = (rows as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(pane_block(title, true, palette)),
        popup,
    );
}
