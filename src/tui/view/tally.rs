//! The tally pane of a classroom: how to join, who is here, and for the question at hand how
//! many answered and how many chose each answer.

use super::*;
use crate::base::escape;
use crate::teach::classroom::{Class, Invitation};

/// Bar length of the most chosen answer.
const BAR: usize = 16;

pub(super) fn draw_tally(frame: &mut Frame, app: &App, palette: &Palette, area: Rect) {
    let Some(lesson) = &app.lesson else {
        return;
    };
    let Some((class, invitation)) = &lesson.class else {
        return;
    };
    let block = pane_block(
        format!(" {} {} ", pane_words(app.lang()).class, invitation.code),
        false,
        palette,
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines = tally_lines(class, invitation, lesson, palette, inner);
    frame.render_widget(Paragraph::new(lines), inner);
}

fn tally_lines(
    class: &Class,
    invitation: &Invitation,
    lesson: &crate::tui::LessonView,
    palette: &Palette,
    area: Rect,
) -> Vec<Line<'static>> {
    let w = pane_words(lesson.lang);
    let tally = class.tally();
    let room = class.room();
    let self_paced = room.config().self_paced;
    let mut lines = vec![
        Line::styled(invitation.url.clone(), palette.fg(Color::Cyan)),
        Line::styled((w.joined)(tally.students), palette.base()),
    ];
    if self_paced {
        // Each student steps alone: where each is, and their score.
        lines.push(Line::styled(w.self_paced, palette.quiet()));
        for (name, step, finished, right, asked) in room.progress() {
            let at = if finished {
                "end".to_string()
            } else {
                (step + 1).to_string()
            };
            lines.push(Line::from(format!(
                "{:>3} {right}/{asked} {}",
                at,
                escape(name.as_bytes())
            )));
        }
        return lines;
    }
    let question = (!lesson.replay.finished)
        .then(|| lesson.replay.question())
        .flatten();
    match question {
        Some(question) => {
            lines.push(Line::styled(
                (w.answered)(tally.answered, tally.students),
                palette.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ));
            let most = tally.per_choice.iter().copied().max().unwrap_or(0).max(1);
            let revealed = lesson.replay.settled();
            for (i, count) in tally.per_choice.iter().enumerate() {
                let bar = "█".repeat(count * BAR / most);
                let mark = if revealed && question.choices.get(i).is_some_and(|c| c.correct) {
                    "✓"
                } else {
                    " "
                };
                lines.push(Line::from(format!("{mark}{} {bar} {count}", i + 1)));
            }
            // A number question: the numbers given most, the right one marked once shown.
            let most = tally.numbers.first().map_or(1, |&(_, count)| count.max(1));
            for &(number, count) in &tally.numbers {
                let bar = "█".repeat(count * BAR / most);
                let mark = if revealed && question.answer == Some(number) {
                    "✓"
                } else {
                    " "
                };
                lines.push(Line::from(format!("{mark}{number} {bar} {count}")));
            }
            if !tally.waiting.is_empty() {
                let names: Vec<String> = tally.waiting.iter().map(|n| escape(n.as_bytes())).collect();
                lines.push(Line::styled(
                    format!("{}: {}", w.waiting, names.join(", ")),
                    palette.quiet(),
                ));
            }
        }
        None => {
            // Between questions the QR code, for phones, when the pane has room for it.
            let fits = invitation.qr.len() + lines.len() <= usize::from(area.height)
                && invitation
                    .qr
                    .iter()
                    .all(|l| l.chars().count() <= usize::from(area.width));
            if fits {
                lines.extend(invitation.qr.iter().map(|l| Line::from(l.clone())));
            } else {
                lines.push(Line::styled(w.taller_for_qr, palette.quiet()));
            }
        }
    }
    lines
}
