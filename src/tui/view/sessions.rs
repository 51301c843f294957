//! The sessions pane: one row per POP3 session of the capture.

use super::*;

pub(super) fn draw_sessions(frame: &mut Frame, app: &mut App, palette: &Palette, area: Rect) {
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
        } else if session.credentials.iter().all(|c| c.decrypted) {
            "in TLS"
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
