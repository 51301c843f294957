//! The side pane: the detail of a row, the ladder diagram, the mailbox mirror.

use super::*;

pub(super) fn draw_side(frame: &mut Frame, app: &mut App, palette: &Palette, area: Rect) {
    let focused = app.focus == Pane::Side;
    let [detail, ladder, mailbox] = pane_words(app.lang()).tabs;
    let tabs: Vec<Span> = [
        (SideTab::Detail, detail),
        (SideTab::Ladder, ladder),
        (SideTab::Mailbox, mailbox),
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
            let hide_reply = app
                .lesson
                .as_ref()
                .is_some_and(|lesson| lesson.replay.hides_reply_of(session, app.line));
            let options = explain::DetailOptions {
                show_secrets: app.show_secrets,
                wire_view: app.wire_view,
                hide_reply,
                bytes_per_row: if inner.width >= 75 { 16 } else { 8 },
                lang: app.lang(),
            };
            let mut detail = explain::detail(session, app.line, options);
            if app
                .lesson
                .as_ref()
                .is_some_and(|lesson| lesson.replay.explanations_wait())
            {
                detail = explain::without_explanations(detail);
            }
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
pub(super) fn draw_ladder(
    frame: &mut Frame,
    app: &App,
    session: &SessionView,
    palette: &Palette,
    area: Rect,
) {
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
        let text = explain::line_text_in(session, line, app.show_secrets, app.lang());
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

pub(super) fn draw_mailbox(
    frame: &mut Frame,
    app: &App,
    session: &SessionView,
    palette: &Palette,
    area: Rect,
) {
    let w = pane_words(app.lang());
    let mailbox = session.mailbox_at(app.line);
    let mut lines = vec![Line::styled(w.mailbox_head, palette.quiet())];
    if let Some(count) = mailbox.count {
        lines.push(Line::styled((w.stat)(count, mailbox.octets), palette.base()));
    }
    // A narrow pane gets narrower columns rather than wrapped rows.
    let narrow = area.width < 66;
    let (uid_width, retrieved_width) = if narrow { (17, 6) } else { (24, 9) };
    let [number, octets, uid, retrieved, deletion] = if narrow { w.columns_narrow } else { w.columns };
    lines.push(Line::styled(
        format!(
            "{:>4} {}  {} {} {deletion}",
            number,
            pad_left(octets, 7),
            pad(uid, uid_width),
            pad(retrieved, retrieved_width)
        ),
        palette.fg(Color::Cyan).add_modifier(Modifier::BOLD),
    ));
    if mailbox.messages.is_empty() {
        lines.push(Line::styled(w.mailbox_empty, palette.quiet()));
    }
    for (number, message) in &mailbox.messages {
        let size = message.size.map_or("-".to_string(), |s| s.to_string());
        let uid = message.uid.as_deref().map_or("-".to_string(), explain_escape);
        let uid: String = uid.chars().take(uid_width).collect();
        let (deletion, style) = match (message.marked, mailbox.committed, narrow) {
            (true, Some(true), _) => (w.deleted, palette.error()),
            (true, Some(false), false) => (w.not_deleted, palette.warning()),
            (true, Some(false), true) => (w.kept, palette.warning()),
            (true, None, false) => (w.marked_by_dele, palette.warning()),
            (true, None, true) => (w.marked, palette.warning()),
            (false, ..) => ("", palette.base()),
        };
        let retrieved = if message.retrieved { w.yes } else { "" };
        lines.push(Line::styled(
            format!(
                "{number:>4} {size:>7}  {} {} {deletion}",
                pad(&uid, uid_width),
                pad(retrieved, retrieved_width)
            ),
            style,
        ));
    }
    let question_open = app
        .lesson
        .as_ref()
        .is_some_and(|lesson| lesson.replay.explanations_wait());
    let footer = match mailbox.committed {
        _ if question_open => "",
        Some(true) if mailbox.messages.values().any(|m| m.marked) => w.footer_deleted,
        Some(true) => w.footer_none_marked,
        Some(false) => w.footer_no_quit,
        None if mailbox.messages.values().any(|m| m.marked) => w.footer_marked,
        None => "",
    };
    if !footer.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled(footer, palette.quiet()));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
