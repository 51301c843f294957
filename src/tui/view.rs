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
use crate::teach::lesson::Lang;
use crate::view::explain::{self, Tone};
use crate::view::timeline::{LineKind, SessionView};

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

    // A lesson keeps its side pane beside the conversation down to 100 columns.
    let wide = body.width >= WIDE || (app.lesson.is_some() && body.width >= 100);
    let (conversation, side) = if wide {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        (left, right)
    } else if app.focus == Pane::Side {
        (Rect::default(), body)
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

/// The lesson's step: its narration, what to look at, the question and how it went; at the
/// end the score.
fn narration_lines(app: &App, palette: &Palette) -> Vec<Line<'static>> {
    let Some(lesson) = &app.lesson else {
        return Vec::new();
    };
    let lang = lesson.lang;
    let zh = lang == Lang::Zh;
    let replay = &lesson.replay;
    let file = &replay.lesson.file;
    let heading = palette.fg(Color::Cyan).add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = Vec::new();
    if replay.finished {
        let (right, asked) = replay.score();
        lines.push(Line::styled(
            if zh {
                format!("得分：{asked} 题答对 {right} 题。")
            } else {
                format!("Score: {right} of {asked} questions right.")
            },
            heading,
        ));
        let mut number = 0;
        for (step, chosen) in file.steps.iter().zip(&replay.chosen) {
            let Some(question) = &step.question else {
                continue;
            };
            number += 1;
            let mark = match chosen {
                Some(c) if question.choices.get(*c).is_some_and(|c| c.correct) => "✓",
                Some(_) => "✗",
                None => "·",
            };
            lines.push(Line::styled(
                format!("{mark} {number}. {}", question.ask.get(lang).trim()),
                palette.base(),
            ));
        }
        lines.push(Line::default());
        lines.push(Line::styled(
            if zh {
                "← 返回上一步，q 退出。"
            } else {
                "← goes back to the last step, q quits."
            },
            palette.quiet(),
        ));
    } else {
        let step = replay.current();
        for paragraph in reflow(step.say.get(lang)) {
            lines.push(Line::styled(paragraph, palette.base()));
        }
        if let Some(look) = &step.look {
            lines.push(Line::default());
            let label = if zh { "请看：" } else { "Look at: " };
            lines.push(Line::from(vec![
                Span::styled(label, heading),
                Span::styled(look.get(lang).trim().to_string(), palette.base()),
            ]));
        }
        if let Some(question) = &step.question {
            lines.push(Line::default());
            lines.push(Line::styled(
                format!("? {}", question.ask.get(lang).trim()),
                heading,
            ));
            if replay.reply_hidden() {
                lines.push(Line::styled(
                    if zh {
                        "回复暂时隐藏：先用 1–9 作答，或按 r 揭晓。"
                    } else {
                        "The reply is hidden: answer with 1–9 first, or press r to reveal it."
                    },
                    palette.quiet(),
                ));
            }
            let chosen = replay.chosen[replay.step];
            let settled = replay.settled();
            for (i, choice) in question.choices.iter().enumerate() {
                let mark = match (settled, choice.correct, chosen == Some(i)) {
                    (true, true, _) => "✓",
                    (true, false, true) => "✗",
                    _ => " ",
                };
                let style = match (settled, choice.correct, chosen == Some(i)) {
                    (true, true, _) => palette.fg(Color::Green).add_modifier(Modifier::BOLD),
                    (true, false, true) => palette.error(),
                    _ => palette.base(),
                };
                lines.push(Line::styled(
                    format!(" {mark} {}) {}", i + 1, choice.text.get(lang).trim()),
                    style,
                ));
            }
            if settled {
                if let Some(c) = chosen.filter(|&c| !question.choices[c].correct) {
                    lines.push(Line::styled(
                        format!("   {}", question.choices[c].why.get(lang).trim()),
                        palette.warning(),
                    ));
                }
                if let Some(right) = question.correct() {
                    lines.push(Line::styled(
                        format!("   {}", question.choices[right].why.get(lang).trim()),
                        palette.fg(Color::Green),
                    ));
                }
            }
        }
    }
    lines
}

/// A lesson text as paragraphs to wrap to the pane: the author's line breaks inside a
/// paragraph go (with a space between words, none between Chinese characters); blank lines stay.
fn reflow(text: &str) -> Vec<String> {
    let wide = |c: char| c >= '\u{2e80}';
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.trim().lines().map(str::trim) {
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
                paragraphs.push(String::new());
            }
            continue;
        }
        let joins_tightly = current.chars().last().is_some_and(wide) || line.chars().next().is_some_and(wide);
        if !current.is_empty() && !joins_tightly {
            current.push(' ');
        }
        current.push_str(line);
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

fn draw_narration(frame: &mut Frame, app: &App, palette: &Palette, area: Rect, lines: Vec<Line<'static>>) {
    let Some(lesson) = &app.lesson else {
        return;
    };
    let replay = &lesson.replay;
    let title = match (replay.finished, lesson.lang) {
        (true, Lang::Zh) => " 课程结束 ".to_string(),
        (true, Lang::En) => " End of the lesson ".to_string(),
        (false, Lang::Zh) => format!(" 步骤 {} / {} ", replay.step + 1, replay.steps()),
        (false, Lang::En) => format!(" Step {} of {} ", replay.step + 1, replay.steps()),
    };
    let block = pane_block(title, false, palette).border_style(palette.fg(Color::Cyan));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Wraps styled lines to `width` columns: at spaces, or between any two characters where one
/// is wide (Chinese text has no spaces to break at).
fn wrap_lines(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthChar;
    let mut out = Vec::new();
    for line in lines {
        let chars: Vec<(char, Style)> = line
            .spans
            .iter()
            .flat_map(|span| span.content.chars().map(move |c| (c, span.style)))
            .collect();
        if chars.is_empty() {
            out.push(Line::default());
            continue;
        }
        let mut start = 0;
        while start < chars.len() {
            let mut used = 0;
            let mut end = start;
            let mut last_break = None;
            while end < chars.len() {
                let (c, _) = chars[end];
                let w = c.width().unwrap_or(0);
                if used + w > width && end > start {
                    break;
                }
                used += w;
                end += 1;
                let next_wide = chars
                    .get(end)
                    .is_some_and(|(next, _)| next.width().unwrap_or(0) > 1);
                if c == ' ' || w > 1 || next_wide {
                    last_break = Some(end);
                }
            }
            let stop = match last_break {
                Some(at) if end < chars.len() && at > start => at,
                _ => end,
            };
            let mut spans: Vec<Span<'static>> = Vec::new();
            for &(c, style) in &chars[start..stop] {
                match spans.last_mut() {
                    Some(span) if span.style == style => span.content.to_mut().push(c),
                    _ => spans.push(Span::styled(c.to_string(), style)),
                }
            }
            out.push(Line::from(spans));
            start = stop;
        }
    }
    out
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

fn draw_sessions(frame: &mut Frame, app: &mut App, palette: &Palette, area: Rect) {
    let focused = app.focus == Pane::Sessions;
    let block = pane_block(" Sessions ", focused, palette);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = usize::from(inner.height.saturating_sub(1));
    app.areas.sessions_top = scroll_top(app.areas.sessions_top, app.session, rows);
    let wide = inner.width >= 100;
    let endpoints = |session: &SessionView| format!("{} → {}", session.info.client, session.info.server);
    // As wide as the longest pair of addresses shown (IPv6 ones are long).
    let ew = app
        .timeline
        .sessions
        .iter()
        .skip(app.areas.sessions_top)
        .take(rows)
        .map(|s| endpoints(s).chars().count())
        .max()
        .unwrap_or(0)
        .max(if wide { 45 } else { 32 });
    let header = if wide {
        format!(
            "{:>3}  {:<ew$} {:<12} {:<14} {:>5} {:>5}  {}",
            "#", "client → server", "start", "phase reached", "exch", "notes", "login"
        )
    } else {
        format!(
            "{:>3}  {:<ew$} {:<7} {:>4} {:>3} {}",
            "#", "client → server", "phase", "exch", "!", "login"
        )
    };
    let mut lines = vec![Line::styled(header, palette.quiet())];
    if app.timeline.sessions.is_empty() {
        lines.push(Line::styled("  no POP3 session yet", palette.quiet()));
    }
    for (index, session) in app
        .timeline
        .sessions
        .iter()
        .enumerate()
        .skip(app.areas.sessions_top)
        .take(rows)
    {
        let endpoints = endpoints(session);
        let login = if session.cleartext_credentials() {
            "CLEAR TEXT"
        } else if session.credentials.is_empty() {
            "-"
        } else {
            "digest"
        };
        let phase = band_name(session.phase_reached, false, !wide);
        let text = if wide {
            format!(
                "{:>3}  {:<ew$} {:<12} {} {:>5} {:>5}  {login}",
                session.info.id,
                endpoints,
                session.info.ts.time_of_day(),
                phase,
                session.exchanges.len(),
                session.note_count
            )
        } else {
            format!(
                "{:>3}  {:<ew$} {} {:>4} {:>3} {login}",
                session.info.id,
                endpoints,
                phase,
                session.exchanges.len(),
                session.note_count
            )
        };
        let mut style = if session.cleartext_credentials() {
            palette.warning()
        } else {
            palette.base()
        };
        if index == app.session {
            style = style.patch(palette.selected(focused));
        }
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_conversation(frame: &mut Frame, app: &mut App, palette: &Palette, area: Rect) {
    let focused = app.focus == Pane::Conversation;
    let filter = app
        .filter
        .as_ref()
        .map(|f| format!(" filter: {} ", f.words.join(" ")))
        .unwrap_or_default();
    let title = match app.selected_session() {
        Some(session) => format!(
            " Conversation · session {} · {} ",
            session.info.id,
            explain_escape(&session.info.client.to_string())
        ),
        None => " Conversation ".to_string(),
    };
    let mut block = pane_block(title, focused, palette);
    if !filter.is_empty() {
        block = block.title(Line::styled(filter, palette.warning()).right_aligned());
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(session) = app.timeline.sessions.get(app.session) else {
        let text = if app.status.is_empty() {
            "No POP3 session in this capture. Is the server on another port? Try --port."
        } else {
            "Waiting for POP3 traffic…"
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(palette.quiet())
                .wrap(Wrap { trim: true }),
            inner,
        );
        return;
    };
    let visible = app.visible_lines();
    let rows_per_line = if app.projector { 2 } else { 1 };
    let height = usize::from(inner.height) / rows_per_line;
    let selected_at = visible.partition_point(|&l| l < app.line);
    app.areas.conversation_top = scroll_top(app.areas.conversation_top, selected_at, height);
    if app.areas.conversation_top + height > visible.len() {
        app.areas.conversation_top = visible.len().saturating_sub(height);
    }
    let show_time = inner.width >= 100 && !app.projector;
    let narrow_band = inner.width < 100;
    let selected_exchange = exchange_number(session, app.line);
    // The selected exchange's lines, first to last: a bracket joins a command to its reply.
    let bracket: Option<(usize, usize)> = selected_exchange.and_then(|n| {
        let lines: Vec<usize> = visible
            .iter()
            .copied()
            .filter(|&l| exchange_number(session, l) == Some(n))
            .collect();
        Some((*lines.first()?, *lines.last()?))
    });
    let mut lines = Vec::new();
    for &line in visible.iter().skip(app.areas.conversation_top).take(height) {
        let seen = session.lines[line];
        let (phase, inferred) = session.phase_at(line);
        let mut spans = Vec::new();
        if show_time {
            spans.push(Span::styled(
                format!("{} ", seen.ts.time_of_day()),
                palette.quiet(),
            ));
        }
        spans.push(Span::styled(
            band_name(phase, inferred, narrow_band),
            palette.phase(phase),
        ));
        let gutter = match bracket {
            Some((first, last)) if first != last && line == first => "┌",
            Some((first, last)) if first != last && line == last => "└",
            Some((first, last)) if line > first && line < last => "│",
            _ => " ",
        };
        spans.push(Span::styled(
            gutter,
            palette.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ));
        let exchange = session.exchange_of(line);
        let index = match seen.kind {
            LineKind::Command(_) | LineKind::Sasl(..) | LineKind::Reply(_) => {
                format!("{:>4}", exchange.map_or(0, |e| e.index))
            }
            _ => "    ".to_string(),
        };
        spans.push(Span::styled(index, palette.quiet()));
        let pipelined = match seen.kind {
            LineKind::Command(n) => session.facts[n].pipelined,
            _ => false,
        };
        spans.push(Span::styled(if pipelined { "⇉" } else { " " }, palette.quiet()));
        let (who, who_style) = match seen.from {
            Some(Direction::ClientToServer) => ("C: ", palette.fg(Color::Cyan).add_modifier(Modifier::BOLD)),
            Some(Direction::ServerToClient) => ("S: ", palette.base().add_modifier(Modifier::BOLD)),
            None => ("   ", palette.base()),
        };
        spans.push(Span::styled(who, who_style));
        let text = explain::line_text(session, line, app.show_secrets);
        let text_style = match seen.kind {
            LineKind::Reply(n)
                if session.exchanges[n].reply.as_ref().map(|r| r.status) == Some(Status::Err) =>
            {
                palette.error()
            }
            LineKind::Note(_) => palette.warning(),
            LineKind::TlsStarted | LineKind::Ended => palette.quiet(),
            _ => palette.base(),
        };
        spans.push(Span::styled(text, text_style));
        let notes = match seen.kind {
            LineKind::Reply(n) => session.exchanges[n].notes.len(),
            LineKind::Greeting => session.greeting.as_ref().map_or(0, |g| g.notes.len()),
            _ => 0,
        };
        if notes > 0 {
            spans.push(Span::styled(format!("  !{notes}"), palette.warning()));
        }
        let mut row = Line::from(spans);
        if line == app.line {
            row = row.patch_style(palette.selected(focused || app.focus == Pane::Side));
        }
        lines.push(row);
        if rows_per_line == 2 {
            lines.push(Line::default());
        }
    }
    if visible.is_empty() {
        lines.push(Line::styled(
            "no row matches the filter (Esc clears it)",
            palette.quiet(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn exchange_number(session: &SessionView, line: usize) -> Option<usize> {
    match session.lines.get(line)?.kind {
        LineKind::Command(n) | LineKind::Sasl(n, _) | LineKind::Reply(n) => Some(n),
        _ => None,
    }
}

fn draw_side(frame: &mut Frame, app: &mut App, palette: &Palette, area: Rect) {
    let focused = app.focus == Pane::Side;
    let tabs: Vec<Span> = [
        (SideTab::Detail, "Detail"),
        (SideTab::Ladder, "Ladder"),
        (SideTab::Mailbox, "Mailbox"),
    ]
    .into_iter()
    .flat_map(|(tab, name)| {
        let style = if tab == app.side {
            palette
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            palette.quiet()
        };
        [Span::styled(format!(" {name} "), style), Span::raw(" ")]
    })
    .collect();
    let block = pane_block(Line::from(tabs), focused, palette);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(session) = app.timeline.sessions.get(app.session) else {
        return;
    };
    match app.side {
        SideTab::Detail => {
            // Only the exchange whose reply the students predict is kept quiet.
            let hide_reply = app.lesson.as_ref().is_some_and(|lesson| {
                let hidden = lesson.replay.moment().line;
                lesson.replay.reply_hidden()
                    && session.exchange_of(hidden).map(|e| e.index)
                        == session.exchange_of(app.line).map(|e| e.index)
            });
            let options = explain::DetailOptions {
                show_secrets: app.show_secrets,
                wire_view: app.wire_view,
                hide_reply,
                bytes_per_row: if inner.width >= 75 { 16 } else { 8 },
            };
            let detail = explain::detail(session, app.line, options);
            // Scrolling stops where the last line reaches the bottom.
            let width = usize::from(inner.width.max(1));
            let rows: usize = detail
                .iter()
                .map(|(_, text)| text.chars().count().div_ceil(width).max(1))
                .sum();
            let last_top = rows.saturating_sub(usize::from(inner.height));
            app.detail_scroll = app.detail_scroll.min(u16::try_from(last_top).unwrap_or(u16::MAX));
            let lines: Vec<Line> = detail
                .into_iter()
                .map(|(tone, text)| Line::styled(text, palette.tone(tone)))
                .collect();
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .scroll((app.detail_scroll, 0)),
                inner,
            );
        }
        SideTab::Ladder => draw_ladder(frame, app, session, palette, inner),
        SideTab::Mailbox => draw_mailbox(frame, app, session, palette, inner),
    }
}

/// The sequence diagram: the client on the left, the server on the right, one arrow per line,
/// the selected line in the middle.
fn draw_ladder(frame: &mut Frame, app: &App, session: &SessionView, palette: &Palette, area: Rect) {
    let width = usize::from(area.width);
    if width < 20 || area.height < 3 {
        return;
    }
    let client = format!("client {}", session.info.client);
    let server = format!("server {}", session.info.server);
    let gap = width.saturating_sub(client.chars().count() + server.chars().count() + 1);
    let mut lines = vec![
        Line::styled(
            format!("{client}{}{server}", " ".repeat(gap.max(1))),
            palette.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Line::styled(
            "A AUTHORIZATION  T TRANSACTION  U UPDATE  E encrypted (TLS)  ? unknown",
            palette.quiet(),
        ),
    ];
    let rows = usize::from(area.height).saturating_sub(2);
    let visible = app.visible_lines();
    let at = visible.partition_point(|&l| l < app.line);
    let top = at
        .saturating_sub(rows / 2)
        .min(visible.len().saturating_sub(rows));
    // A band column, a space, then the arrow between two rails.
    let span_width = width.saturating_sub(4);
    for &line in visible.iter().skip(top).take(rows) {
        let seen = session.lines[line];
        let (phase, _) = session.phase_at(line);
        let text = explain::line_text(session, line, app.show_secrets);
        // The exchange number on both arrows pairs a reply with its command, pipelined or not.
        let label = match (session.exchange_of(line), seen.from) {
            (Some(exchange), Some(Direction::ClientToServer)) => format!("{} {text}", exchange.index),
            (Some(exchange), Some(Direction::ServerToClient)) => format!("{text} {}", exchange.index),
            _ => text,
        };
        let label: String = label.chars().take(span_width.saturating_sub(6)).collect();
        let fill = span_width.saturating_sub(label.chars().count() + 4);
        let arrow = match seen.from {
            Some(Direction::ClientToServer) => format!("├─ {label} {}▶┤", "─".repeat(fill)),
            Some(Direction::ServerToClient) => format!("├◀{} {label} ─┤", "─".repeat(fill)),
            None => {
                let pad = span_width.saturating_sub(label.chars().count()) / 2;
                format!("│{}{label}", " ".repeat(pad))
            }
        };
        let style = match seen.from {
            Some(Direction::ClientToServer) => palette.fg(Color::Cyan),
            Some(Direction::ServerToClient) => palette.base(),
            None => palette.quiet(),
        };
        let mut row = Line::from(vec![
            Span::styled(band_letter(phase), palette.phase(phase)),
            Span::raw(" "),
            Span::styled(arrow, style),
        ]);
        if line == app.line {
            row = row.patch_style(palette.selected(true));
        }
        lines.push(row);
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_mailbox(frame: &mut Frame, app: &App, session: &SessionView, palette: &Palette, area: Rect) {
    let mailbox = session.mailbox_at(app.line);
    let mut lines = vec![Line::styled(
        "As the client knows it after the selected row (RFC 1939 §5)",
        palette.quiet(),
    )];
    match (mailbox.count, mailbox.octets) {
        (Some(count), Some(octets)) => lines.push(Line::styled(
            format!("STAT: {count} messages, {octets} octets"),
            palette.base(),
        )),
        (Some(count), None) => lines.push(Line::styled(format!("STAT: {count} messages"), palette.base())),
        _ => {}
    }
    // A narrow pane gets narrower columns rather than wrapped rows.
    let narrow = area.width < 66;
    let (uid_width, retrieved_width) = if narrow { (17, 4) } else { (24, 9) };
    let (retrieved_head, deletion_head) = if narrow {
        ("got", "deletion")
    } else {
        ("retrieved", "deletion")
    };
    lines.push(Line::styled(
        format!(
            "{:>4} {:>7}  {:<uid_width$} {:<retrieved_width$} {}",
            "#", "octets", "UID", retrieved_head, deletion_head
        ),
        palette.fg(Color::Cyan).add_modifier(Modifier::BOLD),
    ));
    if mailbox.messages.is_empty() {
        lines.push(Line::styled(
            "  nothing yet: LIST, UIDL, RETR and DELE fill this in",
            palette.quiet(),
        ));
    }
    for (number, message) in &mailbox.messages {
        let size = message.size.map_or("-".to_string(), |s| s.to_string());
        let uid = message.uid.as_deref().map_or("-".to_string(), explain_escape);
        let uid: String = uid.chars().take(uid_width).collect();
        let (deletion, style) = match (message.marked, mailbox.committed, narrow) {
            (true, Some(true), _) => ("DELETED at UPDATE", palette.error()),
            (true, Some(false), false) => ("marked, NOT deleted (no QUIT)", palette.warning()),
            (true, Some(false), true) => ("kept: no QUIT", palette.warning()),
            (true, None, false) => ("marked by DELE", palette.warning()),
            (true, None, true) => ("marked", palette.warning()),
            (false, ..) => ("", palette.base()),
        };
        let retrieved = if message.retrieved { "yes" } else { "" };
        lines.push(Line::styled(
            format!("{number:>4} {size:>7}  {uid:<uid_width$} {retrieved:<retrieved_width$} {deletion}"),
            style,
        ));
    }
    let footer = match mailbox.committed {
        Some(true) if mailbox.messages.values().any(|m| m.marked) => {
            "QUIT sent in TRANSACTION, +OK: UPDATE deleted the marked messages (RFC 1939 §6)."
        }
        Some(true) => "QUIT sent in TRANSACTION, +OK: no message was marked, so UPDATE deleted none.",
        Some(false) => "The session ended without QUIT: nothing was deleted (RFC 1939 §6).",
        None if mailbox.messages.values().any(|m| m.marked) => {
            "Marked messages are deleted only when QUIT is answered; RSET unmarks them."
        }
        None => "",
    };
    if !footer.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled(footer, palette.quiet()));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
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
        let hints: [(&str, &str); 8] = match lesson.lang {
            Lang::En => [
                ("→", "next"),
                ("←", "back"),
                ("1-9", "answer"),
                ("r", "reveal"),
                ("g", "step"),
                ("p", "play"),
                ("?", "help"),
                ("q", "quit"),
            ],
            Lang::Zh => [
                ("→", "下一步"),
                ("←", "上一步"),
                ("1-9", "作答"),
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

fn draw_help(frame: &mut Frame, palette: &Palette, area: Rect, lesson: bool) {
    let mut lines = Vec::new();
    let key_style = palette.fg(Color::Cyan).add_modifier(Modifier::BOLD);
    if lesson {
        for (keys, _, help) in LESSON_KEYS {
            let names: Vec<String> = keys.iter().map(|k| key_name(*k)).collect();
            lines.push(Line::from(vec![
                Span::styled(format!("{:>14}  ", names.join(" ")), key_style),
                Span::styled(*help, palette.base()),
            ]));
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{:>14}  ", "1 … 9"), key_style),
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
    for (keys, action, help, _) in KEYS {
        if lesson && browsing.contains(action) {
            continue;
        }
        let names: Vec<String> = keys.iter().map(|k| key_name(*k)).collect();
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:>14}  ", names.join(" ")),
                palette.fg(Color::Cyan).add_modifier(Modifier::BOLD),
            ),
            Span::styled(*help, palette.base()),
        ]));
    }
    let width = area.width.min(64);
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(pane_block(
            " Keys · any key closes · mouse: click selects, wheel scrolls ",
            true,
            palette,
        )),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use super::{reflow, wrap_lines};
    use ratatui::text::Line;

    #[test]
    fn narration_reflows_into_paragraphs() {
        assert_eq!(
            reflow("The server speaks\nfirst.\n\nThen the client."),
            ["The server speaks first.", "", "Then the client."]
        );
        assert_eq!(reflow("服务器先\n说话。"), ["服务器先说话。"]);
    }

    fn shown(lines: Vec<Line<'static>>) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn lines_wrap_at_spaces_and_between_chinese_characters() {
        assert_eq!(
            shown(wrap_lines(vec![Line::raw("one two three")], 8)),
            ["one two ", "three"]
        );
        assert_eq!(
            shown(wrap_lines(vec![Line::raw("服务器先说话")], 8)),
            ["服务器先", "说话"]
        );
        assert_eq!(
            shown(wrap_lines(vec![Line::raw("abcdefghij")], 4)),
            ["abcd", "efgh", "ij"]
        );
    }
}
