//! The narration pane of a lesson: the step's text, the question, how it went, the score.

use super::*;
use crate::teach::lesson::{Response, reflow};

/// The lesson's step: its narration, what to look at, the question and how it went; at the
/// end the score.
pub(super) fn narration_lines(app: &App, palette: &Palette) -> Vec<Line<'static>> {
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
                Some(c) if question.is_right(*c) => "✓",
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
            let settled = replay.settled();
            let how = match (question.kind, zh) {
                (QuestionKind::Several, true) => "用 1–9 标出所有正确的选项，再按 Enter 提交。",
                (QuestionKind::Several, false) => "Mark every right answer with 1–9, then press Enter.",
                (QuestionKind::Number, true) => "输入数字，再按 Enter 提交。",
                (QuestionKind::Number, false) => "Type the number, then press Enter.",
                (_, true) => "用 1–9 作答。",
                (_, false) => "Answer with 1–9.",
            };
            let hidden = match (replay.moment_hidden(), question.kind == QuestionKind::Predict, zh) {
                (false, ..) => None,
                (true, true, true) => Some("回复暂时隐藏，按 r 可揭晓。"),
                (true, true, false) => Some("The reply is hidden until then; r reveals it."),
                (true, false, true) => Some("这个问题所问的那一行暂时隐藏，按 r 可揭晓。"),
                (true, false, false) => {
                    Some("The row this question is about is hidden until then; r reveals it.")
                }
            };
            // A one-key question says how only when its row waits for the answer.
            let one_key = matches!(question.kind, QuestionKind::Choice | QuestionKind::Predict);
            if !settled && (hidden.is_some() || !one_key) {
                let gap = if zh { "" } else { " " };
                let text = match hidden {
                    Some(hidden) => format!("{how}{gap}{hidden}"),
                    None => how.to_string(),
                };
                lines.push(Line::styled(text, palette.quiet()));
            }
            let chosen = replay.chosen[replay.step];
            for (i, choice) in question.choices.iter().enumerate() {
                let picked = chosen.is_some_and(|c| c.picked(i));
                let mark = match (settled, choice.correct, picked) {
                    (true, true, _) => "✓",
                    (true, false, true) => "✗",
                    (false, ..) if replay.draft.marked & (1 << i) != 0 => "■",
                    (false, ..) if question.kind == QuestionKind::Several => "□",
                    _ => " ",
                };
                let style = match (settled, choice.correct, picked) {
                    (true, true, _) => palette.fg(Color::Green).add_modifier(Modifier::BOLD),
                    (true, false, true) => palette.error(),
                    _ => palette.base(),
                };
                lines.push(Line::styled(
                    format!(" {mark} {}) {}", i + 1, choice.text.get(lang).trim()),
                    style,
                ));
            }
            if question.kind == QuestionKind::Number {
                let typed = match (chosen, replay.draft.number) {
                    (Some(Response::Number(n)), _) | (None, Some(n)) => n.to_string(),
                    _ => String::new(),
                };
                let cursor = if settled { "" } else { "▏" };
                let label = if zh { "你的答案：" } else { "Your answer: " };
                let style = match chosen {
                    Some(c) if question.is_right(c) => palette.fg(Color::Green).add_modifier(Modifier::BOLD),
                    Some(_) => palette.error(),
                    None => palette.base(),
                };
                lines.push(Line::styled(format!(" {label}{typed}{cursor}"), style));
            }
            if settled {
                for (i, choice) in question.choices.iter().enumerate() {
                    if !choice.correct && chosen.is_some_and(|c| c.picked(i)) {
                        lines.push(Line::styled(
                            format!("   {}", choice.why.get(lang).trim()),
                            palette.warning(),
                        ));
                    }
                }
                for choice in question.choices.iter().filter(|c| c.correct) {
                    lines.push(Line::styled(
                        format!("   {}", choice.why.get(lang).trim()),
                        palette.fg(Color::Green),
                    ));
                }
                if let (Some(answer), Some(why)) = (question.answer, &question.why) {
                    let label = if zh { "答案：" } else { "Answer: " };
                    lines.push(Line::styled(
                        format!("   {label}{answer}. {}", why.get(lang).trim()),
                        palette.fg(Color::Green),
                    ));
                }
            }
        }
    }
    lines
}

pub(super) fn draw_narration(
    frame: &mut Frame,
    app: &App,
    palette: &Palette,
    area: Rect,
    lines: Vec<Line<'static>>,
) {
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
pub(super) fn wrap_lines(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
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

#[cfg(test)]
mod tests {
    use super::wrap_lines;
    use ratatui::text::Line;

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
