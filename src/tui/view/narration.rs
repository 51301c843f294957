//! The narration pane of a lesson: the step's text, the question, how it went, the score.

use super::*;
use crate::teach::lesson::reflow;

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
            if replay.moment_hidden() {
                let predict = question.kind == crate::teach::lesson::QuestionKind::Predict;
                lines.push(Line::styled(
                    match (predict, zh) {
                        (true, true) => "回复暂时隐藏：先用 1–9 作答，或按 r 揭晓。",
                        (true, false) => "The reply is hidden: answer with 1–9 first, or press r to reveal it.",
                        (false, true) => "这个问题所问的那一行暂时隐藏：先用 1–9 作答，或按 r 揭晓。",
                        (false, false) => {
                            "The row this question is about is hidden: answer with 1–9 first, or press r to reveal it."
                        }
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
