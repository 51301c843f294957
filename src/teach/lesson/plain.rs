//! A lesson as text: numbered steps in order, the questions with their answers at the end.
//! For a printed handout, a screen reader, a test. [`markdown`] writes the same as a
//! Markdown handout with the ladder diagram.

use std::io::{self, Write};

use super::{Lang, Lesson, Moment, QuestionKind};
use crate::base::Direction;
use crate::view::explain::line_text_in;
use crate::view::timeline::{LineKind, SessionView, Timeline};

/// The words around the lesson's own texts, in each language.
struct Words {
    lesson: &'static str,
    goal: &'static str,
    captures: &'static str,
    step: &'static str,
    of: &'static str,
    session: &'static str,
    look: &'static str,
    question: &'static str,
    predict: &'static str,
    predict_on_paper: &'static str,
    several: &'static str,
    number: &'static str,
    note: &'static str,
    answers: &'static str,
    answer_is: &'static str,
    server_said: &'static str,
    ladder: &'static str,
    colon: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            lesson: "Lesson",
            goal: "Goal",
            captures: "Captures",
            step: "Step",
            of: "of",
            session: "session",
            look: "Look at",
            question: "Question",
            predict: "Predict the server's reply before you look (the reply is in the answers).",
            predict_on_paper: "Predict the server's reply: it is not printed here.",
            several: "More than one answer is right: pick every one.",
            number: "Your answer (a number): ________",
            note: "Teacher's note",
            answers: "Answers",
            answer_is: "Answer",
            server_said: "The server answered",
            ladder: "Ladder diagram",
            colon: ": ",
        },
        Lang::Zh => Words {
            lesson: "第",
            goal: "目标",
            captures: "抓包文件",
            step: "步骤",
            of: "/",
            session: "会话",
            look: "请看",
            question: "问题",
            predict: "先预测服务器的回复，再往下看（回复在最后的答案里）。",
            predict_on_paper: "请预测服务器的回复：这里没有印出来。",
            several: "正确答案不止一个：请全部选出。",
            number: "你的答案（一个数字）：________",
            note: "教师备注",
            answers: "答案",
            answer_is: "答案",
            server_said: "服务器的回复是",
            ladder: "时序图",
            colon: "：",
        },
    }
}

fn who(session: &SessionView, line: usize) -> &'static str {
    match session.lines[line].from {
        Some(Direction::ClientToServer) => "C: ",
        Some(Direction::ServerToClient) => "S: ",
        None => "",
    }
}

/// The rows a step shows: its own, and for a reply the command it answers first. A reply to
/// be predicted is left out.
fn step_rows(session: &SessionView, moment: Moment, hidden: bool) -> Vec<usize> {
    let mut rows = Vec::new();
    let line = moment.line;
    match session.lines.get(line).map(|l| l.kind) {
        Some(LineKind::Reply(n)) => {
            if let Some(command) = session.lines.iter().position(|l| l.kind == LineKind::Command(n)) {
                rows.push(command);
            }
            if !hidden {
                rows.push(line);
            }
        }
        Some(_) if !hidden => rows.push(line),
        _ => {}
    }
    rows
}

/// How a question is answered on paper, when the choices alone do not say it.
fn how_to_answer(kind: QuestionKind, w: &Words, on_paper: bool) -> Option<&'static str> {
    match kind {
        QuestionKind::Predict if on_paper => Some(w.predict_on_paper),
        QuestionKind::Predict => Some(w.predict),
        QuestionKind::Several => Some(w.several),
        QuestionKind::Number => Some(w.number),
        QuestionKind::Choice => None,
    }
}

fn row_text(session: &SessionView, line: usize, lang: Lang) -> String {
    let (phase, inferred) = session.phase_at(line);
    format!(
        "[{}{}] {}{}",
        phase.name(),
        if inferred { "?" } else { "" },
        who(session, line),
        line_text_in(session, line, false, lang)
    )
}

fn title_line(lesson: &Lesson, number: Option<usize>, lang: Lang) -> String {
    let w = words(lang);
    let title = lesson.file.title.get(lang);
    match (number, lang) {
        (Some(n), Lang::Zh) => format!("{}{n}课 · {title}", w.lesson),
        (Some(n), Lang::En) => format!("{} {n} · {title}", w.lesson),
        (None, _) => title.to_string(),
    }
}

/// The questions with their step (an index) and their number (1 for the first question).
fn questions(lesson: &Lesson) -> impl Iterator<Item = (usize, usize, &super::Question)> {
    lesson
        .file
        .steps
        .iter()
        .enumerate()
        .filter_map(|(i, step)| Some((i, step.question.as_ref()?)))
        .enumerate()
        .map(|(n, (i, question))| (i, n + 1, question))
}

/// The captures' file names, without the path that leads to them.
fn capture_names(lesson: &Lesson) -> Vec<String> {
    lesson
        .file
        .captures
        .iter()
        .map(|c| {
            let name = std::path::Path::new(c.file())
                .file_name()
                .map_or_else(|| c.file().to_string(), |n| n.to_string_lossy().into_owned());
            match c.keylog() {
                Some(_) => format!("{name} (decrypted with its key log)"),
                None => name,
            }
        })
        .collect()
}

fn indented(out: &mut impl Write, text: &str, indent: &str) -> io::Result<()> {
    for line in text.trim_end().lines() {
        writeln!(out, "{indent}{line}")?;
    }
    Ok(())
}

/// Writes the lesson as numbered text. `number` is the lesson's place in the bundled list.
pub fn plain(
    out: &mut impl Write,
    lesson: &Lesson,
    timeline: &Timeline,
    number: Option<usize>,
    lang: Lang,
) -> io::Result<()> {
    let w = words(lang);
    writeln!(out, "{}", title_line(lesson, number, lang))?;
    writeln!(out, "{}{}{}", w.goal, w.colon, lesson.file.goal.get(lang).trim())?;
    writeln!(
        out,
        "{}{}{}",
        w.captures,
        w.colon,
        capture_names(lesson).join(", ")
    )?;
    let steps = &lesson.file.steps;
    let mut question_number = 0;
    for (i, step) in steps.iter().enumerate() {
        writeln!(out)?;
        writeln!(out, "── {} {} {} {} ──", w.step, i + 1, w.of, steps.len())?;
        let moment = lesson.moments[i];
        if let Some(session) = timeline.sessions.get(moment.session) {
            writeln!(out, "{} {}", w.session, session.info.id)?;
            for row in step_rows(session, moment, lesson.hides[i]) {
                writeln!(out, "  {}", row_text(session, row, lang))?;
            }
        }
        writeln!(out)?;
        indented(out, step.say.get(lang), "")?;
        if let Some(look) = &step.look {
            writeln!(out)?;
            writeln!(out, "{}{}{}", w.look, w.colon, look.get(lang).trim())?;
        }
        if let Some(question) = &step.question {
            question_number += 1;
            writeln!(out)?;
            writeln!(
                out,
                "{} {question_number}{}{}",
                w.question,
                w.colon,
                question.ask.get(lang).trim()
            )?;
            if let Some(how) = how_to_answer(question.kind, &w, false) {
                writeln!(out, "  {how}")?;
            }
            for (c, choice) in question.choices.iter().enumerate() {
                writeln!(out, "  {}) {}", c + 1, choice.text.get(lang).trim())?;
            }
        }
    }
    writeln!(out)?;
    writeln!(out, "── {} ──", w.answers)?;
    for (i, question_number, question) in questions(lesson) {
        writeln!(out)?;
        let (open, close) = match lang {
            Lang::En => (" (", ")"),
            Lang::Zh => ("（", "）"),
        };
        let heading = format!(
            "{} {question_number}{open}{} {}{close}{}",
            w.question,
            w.step,
            i + 1,
            w.colon
        );
        if let (Some(number), Some(why)) = (question.answer, &question.why) {
            writeln!(out, "{heading}{number}")?;
            indented(out, why.get(lang), "  ")?;
        }
        for (c, choice) in question.choices.iter().enumerate().filter(|(_, c)| c.correct) {
            writeln!(out, "{heading}{}) {}", c + 1, choice.text.get(lang).trim())?;
            indented(out, choice.why.get(lang), "  ")?;
        }
        for (c, choice) in question.choices.iter().enumerate() {
            if !choice.correct {
                writeln!(out, "  {}) {}", c + 1, choice.text.get(lang).trim())?;
                indented(out, choice.why.get(lang), "     ")?;
            }
        }
        if question.kind == QuestionKind::Predict {
            let moment = lesson.moments[i];
            if let Some(session) = timeline.sessions.get(moment.session) {
                writeln!(
                    out,
                    "  {}: {}",
                    w.server_said,
                    line_text_in(session, moment.line, false, lang)
                )?;
            }
        }
    }
    Ok(())
}

/// The ladder diagram of a session's first `rows` rows as text, `width` columns between the
/// two sides, without the rows in `skip`.
fn ladder_rows(session: &SessionView, rows: usize, width: usize, skip: &[usize], lang: Lang) -> Vec<String> {
    let client = format!("client {}", session.info.client);
    let server = format!("server {}", session.info.server);
    let mut out = vec![format!(
        "{:15}{client}{}{server}",
        "",
        " ".repeat(
            (width + 2)
                .saturating_sub(client.chars().count() + server.chars().count())
                .max(1)
        )
    )];
    for line in (0..rows.min(session.lines.len())).filter(|line| !skip.contains(line)) {
        let (phase, inferred) = session.phase_at(line);
        let mut label = line_text_in(session, line, false, lang);
        if let Some(exchange) = session.exchange_of(line) {
            label = match session.lines[line].from {
                Some(Direction::ClientToServer) => format!("{} {label}", exchange.index),
                _ => format!("{label} {}", exchange.index),
            };
        }
        let label: String = label.chars().take(width.saturating_sub(8)).collect();
        let fill = width.saturating_sub(label.chars().count() + 4);
        let arrow = match session.lines[line].from {
            Some(Direction::ClientToServer) => format!("|─ {label} {}▶|", "─".repeat(fill)),
            Some(Direction::ServerToClient) => format!("|◀{} {label} ─|", "─".repeat(fill)),
            None => format!("|{:^width$}|", label),
        };
        let phase = format!("{}{}", phase.name(), if inferred { "?" } else { "" });
        out.push(format!("{phase:<15}{arrow}"));
    }
    out
}

/// Which handout: for the students, or the teacher's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handout {
    /// The steps and questions, no answers, no teacher's notes, nothing about keys or panes: the
    /// rows a question asks about are left out, as the class view hides them.
    Student,
    /// The same with each question's answer and reasons right after it, the rows hidden from
    /// the students, what to look at on screen, and the teacher's notes.
    Key,
}

/// Handout paragraphs are wrapped to this many columns (a Chinese character counts two).
const HANDOUT_WIDTH: usize = 90;

/// Data lines of a reply printed under it on paper at most.
const HANDOUT_DATA_LINES: usize = 12;

/// The lesson as a Markdown handout: goal, the steps with the rows they are about (and a
/// reply's data lines), the questions; the student handout ends with the ladder of each
/// session without the hidden rows, the teacher's key has the answers in place.
pub fn markdown(
    out: &mut impl Write,
    lesson: &Lesson,
    timeline: &Timeline,
    number: Option<usize>,
    lang: Lang,
    handout: Handout,
) -> io::Result<()> {
    let w = words(lang);
    let key = handout == Handout::Key;
    writeln!(out, "# {}", title_line(lesson, number, lang))?;
    writeln!(out)?;
    paragraphs(
        out,
        &format!("**{}:** {}", w.goal, lesson.file.goal.get(lang).trim()),
    )?;
    let captures: Vec<String> = capture_names(lesson).iter().map(|c| format!("`{c}`")).collect();
    paragraphs(out, &format!("**{}:** {}", w.captures, captures.join(", ")))?;
    let steps = &lesson.file.steps;
    let mut question_number = 0;
    for (i, step) in steps.iter().enumerate() {
        writeln!(out, "## {} {}", w.step, i + 1)?;
        writeln!(out)?;
        let moment = lesson.moments[i];
        let rows = timeline
            .sessions
            .get(moment.session)
            .map(|session| (session, step_rows(session, moment, lesson.hides[i] && !key)))
            .filter(|(_, rows)| !rows.is_empty());
        if let Some((session, rows)) = rows {
            writeln!(out, "```text")?;
            for row in rows {
                writeln!(
                    out,
                    "{} {}  {}",
                    w.session,
                    session.info.id,
                    row_text(session, row, lang)
                )?;
                for data in data_lines(session, row) {
                    writeln!(out, "{:width$}{data}", "", width = w.session.len() + 4)?;
                }
            }
            writeln!(out, "```")?;
            writeln!(out)?;
        }
        paragraphs(out, step.say.get(lang))?;
        if key {
            if let Some(look) = &step.look {
                paragraphs(out, &format!("*{}:* {}", w.look, look.get(lang).trim()))?;
            }
            if let Some(note) = &step.note {
                paragraphs(out, &format!("*{}:* {}", w.note, note.get(lang).trim()))?;
            }
        }
        if let Some(question) = &step.question {
            question_number += 1;
            paragraphs(
                out,
                &format!(
                    "**{} {question_number}.** {}",
                    w.question,
                    question.ask.get(lang).trim()
                ),
            )?;
            if let Some(how) = how_to_answer(question.kind, &w, true)
                .filter(|_| !key || question.kind == QuestionKind::Several)
            {
                paragraphs(out, &format!("*{how}*"))?;
            }
            for (c, choice) in question.choices.iter().enumerate() {
                let text = format!("{}. {}", c + 1, choice.text.get(lang).trim());
                for (n, line) in super::wrap(&text, HANDOUT_WIDTH).into_iter().enumerate() {
                    // Continuation lines hang under the choice's text.
                    writeln!(out, "{}{line}", if n == 0 { "" } else { "   " })?;
                }
            }
            writeln!(out)?;
            if key {
                if let (Some(number), Some(why)) = (question.answer, &question.why) {
                    paragraphs(
                        out,
                        &format!("> **{}: {number}.** {}", w.answer_is, why.get(lang).trim()),
                    )?;
                }
                for (c, choice) in question.choices.iter().enumerate().filter(|(_, c)| c.correct) {
                    paragraphs(
                        out,
                        &format!("> **{} {}:** {}", w.answer_is, c + 1, choice.why.get(lang).trim()),
                    )?;
                }
                for (other, choice) in question.choices.iter().enumerate().filter(|(_, c)| !c.correct) {
                    paragraphs(out, &format!("> {}. {}", other + 1, choice.why.get(lang).trim()))?;
                }
            }
        }
    }
    if key {
        return Ok(());
    }
    // The ladder of each session the lesson visits, up to its last step, without the rows the
    // questions ask about.
    let hidden: Vec<Moment> = (0..steps.len())
        .filter(|&i| lesson.hides[i])
        .map(|i| lesson.moments[i])
        .collect();
    let mut sessions: Vec<(usize, usize)> = Vec::new();
    for moment in &lesson.moments {
        match sessions.iter_mut().find(|(s, _)| *s == moment.session) {
            Some((_, rows)) => *rows = (*rows).max(moment.line + 1),
            None => sessions.push((moment.session, moment.line + 1)),
        }
    }
    for (index, rows) in sessions {
        let Some(session) = timeline.sessions.get(index) else {
            continue;
        };
        let skip: Vec<usize> = hidden
            .iter()
            .filter(|m| m.session == index)
            .map(|m| m.line)
            .collect();
        writeln!(out, "## {} · {} {}", w.ladder, w.session, session.info.id)?;
        writeln!(out)?;
        writeln!(out, "```text")?;
        for row in ladder_rows(session, rows, 64, &skip, lang) {
            writeln!(out, "{}", row.trim_end())?;
        }
        writeln!(out, "```")?;
        writeln!(out)?;
    }
    Ok(())
}

/// A text as wrapped paragraphs, a blank line after each.
fn paragraphs(out: &mut impl Write, text: &str) -> io::Result<()> {
    for paragraph in super::reflow(text).into_iter().filter(|p| !p.is_empty()) {
        for line in super::wrap(&paragraph, HANDOUT_WIDTH) {
            writeln!(out, "{line}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// The data lines of a multi-line reply row, escaped, at most [`HANDOUT_DATA_LINES`] (and
/// how many more there were).
fn data_lines(session: &SessionView, row: usize) -> Vec<String> {
    let LineKind::Reply(n) = session.lines[row].kind else {
        return Vec::new();
    };
    let Some(body) = session.exchanges[n].reply.as_ref().and_then(|r| r.body.as_ref()) else {
        return Vec::new();
    };
    let mut lines: Vec<String> = body
        .lines()
        .take(HANDOUT_DATA_LINES)
        .map(crate::base::escape)
        .collect();
    let more = body.line_count.saturating_sub(lines.len() as u64);
    if more > 0 {
        lines.push(format!("… {more} more"));
    }
    lines
}
