//! The conversation pane: greeting, commands, replies and notes in wire order, phase bands.

use super::*;

pub(super) fn draw_conversation(frame: &mut Frame, app: &mut App, palette: &Palette, area: Rect) {
    let focused = app.focus == Pane::Conversation;
    let filter = app
        .filter
        .as_ref()
        .map(|f| format!(" filter: {} ", f.text))
        .unwrap_or_default();
    let w = pane_words(app.lang());
    let title = match app.selected_session() {
        Some(session) => format!(
            " {} · {} {} · {} ",
            w.conversation,
            w.session,
            session.info.id,
            explain_escape(&session.info.client.to_string())
        ),
        None => format!(" {} ", w.conversation),
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
        let text = explain::line_text_in(session, line, app.show_secrets, app.lang());
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
        if let Some(mark) = explain::decrypted_mark_in(session, line, app.lang()) {
            spans.push(Span::styled(format!("  {mark}"), palette.quiet()));
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

pub(super) fn exchange_number(session: &SessionView, line: usize) -> Option<usize> {
    match session.lines.get(line)?.kind {
        LineKind::Command(n) | LineKind::Sasl(n, _) | LineKind::Reply(n) => Some(n),
        _ => None,
    }
}
