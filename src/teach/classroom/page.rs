//! What a student's page shows at each step, made once when the class opens: the narration, the
//! conversation up to the step (phase bands), the detail of the step's row, the question —
//! twice per step, before and after the answer is revealed.
//!
//! Contract: the same rows, masking and hiding as the class view in the terminal (a predict
//! step hides the reply, its phase change and its notes until the reveal); no answer is in a
//! page before the reveal (the right choice and the reasons are only in the revealed page);
//! texts are plain strings — the browser puts them on the page as text, never as markup.

use serde::Serialize;

use crate::base::Direction;
use crate::teach::lesson::{Lang, Lesson, QuestionKind, Replay, reflow};
use crate::view::explain::{self, DetailOptions, Tone};
use crate::view::timeline::Timeline;

/// One row of the conversation.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Row {
    /// The session phase at the row (`AUTHORIZATION`, …), as the band shows it.
    pub phase: &'static str,
    /// `client`, `server`, or `null` for the session's own rows (TLS, the end).
    pub from: Option<&'static str>,
    /// The row as the terminal shows it: escaped, secrets masked.
    pub text: String,
    /// The exchange the row belongs to (a reply carries its command's number), if any.
    pub exchange: Option<u32>,
}

/// A question as the class sees it before the reveal: no hint of the right choice.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Ask {
    /// `choice`, `several` (pick every right choice), `number` (no choices: a number is the
    /// answer) or `predict`.
    pub kind: &'static str,
    /// The question.
    pub text: String,
    /// The choices, in order.
    pub choices: Vec<String>,
}

/// The answer, in the revealed page only.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Answer {
    /// The right choices, 0-based (empty for a number question).
    pub correct: Vec<usize>,
    /// Per choice: why it is right, or the misconception behind it.
    pub why: Vec<String>,
    /// The right number of a number question, and why.
    pub number: Option<(u64, String)>,
}

/// A step's page.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StepPage {
    /// 1-based.
    pub step: usize,
    /// Steps in the lesson.
    pub steps: usize,
    /// The narration, then what to look at, a paragraph each.
    pub say: Vec<String>,
    /// `client ADDR → server ADDR` of the session shown.
    pub endpoints: [String; 2],
    /// The conversation up to the step.
    pub rows: Vec<Row>,
    /// The row the step is about, an index into `rows`.
    pub selected: Option<usize>,
    /// The detail of that row: (tone, text) with tone `heading`, `plain`, `wire`, `quiet`,
    /// `warning` or `good`.
    pub detail: Vec<(&'static str, String)>,
    /// The step's question.
    pub ask: Option<Ask>,
    /// Set in the revealed page of a step with a question.
    pub answer: Option<Answer>,
}

/// The pages of a lesson: per step, `[before the reveal, after it]`.
#[derive(Clone, Debug)]
pub struct Pages {
    /// The lesson's title.
    pub title: String,
    /// The language of the texts: `en` or `zh`.
    pub lang: &'static str,
    /// Per step: before the reveal, after it.
    pub steps: Vec<[StepPage; 2]>,
    /// The labels of the page in the lesson's language.
    pub words: Words,
}

/// The fixed texts of the student page, in the lesson's language.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Words {
    /// Heading of the join form.
    pub join: &'static str,
    /// The name field.
    pub name: &'static str,
    /// The code field.
    pub code: &'static str,
    /// Waiting for the teacher to reveal.
    pub waiting: &'static str,
    /// The answer was right.
    pub right: &'static str,
    /// The answer was wrong.
    pub wrong: &'static str,
    /// The end of the lesson, before the score.
    pub score: &'static str,
    /// A predict step's hidden reply.
    pub hidden: &'static str,
    /// A question with several right answers.
    pub several: &'static str,
    /// The field of a number question.
    pub number: &'static str,
    /// The button that sends marked choices or a number.
    pub send: &'static str,
    /// The right number, once shown.
    pub answer_is: &'static str,
    /// Next step (self-paced).
    pub next: &'static str,
    /// Step back (self-paced).
    pub back: &'static str,
    /// The join button.
    pub join_button: &'static str,
    /// The conversation's heading.
    pub conversation: &'static str,
    /// The ladder diagram's heading.
    pub ladder: &'static str,
    /// The detail's heading.
    pub detail: &'static str,
    /// The ladder's left side.
    pub client: &'static str,
    /// The ladder's right side.
    pub server: &'static str,
}

const WORDS_EN: Words = Words {
    join: "Join the class",
    name: "Your name",
    code: "Join code",
    waiting: "Answer sent. Wait for the teacher to reveal.",
    right: "Right.",
    wrong: "Not quite.",
    score: "Your score",
    hidden: "The server's reply is hidden: predict it first.",
    several: "More than one answer is right: pick every one, then send.",
    number: "Your answer (a number)",
    send: "Send",
    answer_is: "Answer",
    next: "Next",
    back: "Back",
    join_button: "Join",
    conversation: "Conversation",
    ladder: "Ladder",
    detail: "Detail",
    client: "client",
    server: "server",
};

const WORDS_ZH: Words = Words {
    join: "加入课堂",
    name: "你的名字",
    code: "加入码",
    waiting: "答案已提交，请等待老师揭晓。",
    right: "回答正确。",
    wrong: "回答不对。",
    score: "你的得分",
    hidden: "服务器的回复已隐藏：请先预测。",
    several: "正确答案不止一个：请全部选出，再提交。",
    number: "你的答案（一个数字）",
    send: "提交",
    answer_is: "答案",
    next: "下一步",
    back: "上一步",
    join_button: "加入",
    conversation: "会话过程",
    ladder: "时序图",
    detail: "详情",
    client: "客户端",
    server: "服务器",
};

fn tone(tone: Tone) -> &'static str {
    match tone {
        Tone::Heading => "heading",
        Tone::Plain => "plain",
        Tone::Wire => "wire",
        Tone::Quiet => "quiet",
        Tone::Warning => "warning",
        Tone::Good => "good",
    }
}

impl Pages {
    /// Every page of `lesson` over its `timeline`, in `lang`.
    pub fn new(lesson: &Lesson, timeline: &Timeline, lang: Lang) -> Pages {
        let mut replay = Replay::new(lesson.clone());
        let steps = replay.steps();
        let pages = (0..steps)
            .map(|step| {
                replay.step = step;
                replay.revealed[step] = false;
                let before = page(&replay, timeline, lang);
                replay.revealed[step] = true;
                let after = page(&replay, timeline, lang);
                [before, after]
            })
            .collect();
        Pages {
            title: lesson.file.title.get(lang).to_string(),
            lang: match lang {
                Lang::En => "en",
                Lang::Zh => "zh",
            },
            steps: pages,
            words: match lang {
                Lang::En => WORDS_EN,
                Lang::Zh => WORDS_ZH,
            },
        }
    }
}

fn page(replay: &Replay, timeline: &Timeline, lang: Lang) -> StepPage {
    let step = replay.current();
    // Paragraphs as the class view wraps them: the author's line breaks inside one go.
    // (`look` is about the terminal's panes and keys: the page leaves it out, as paper does.)
    let say: Vec<String> = reflow(step.say.get(lang))
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    let (session_index, shown) = replay.shown();
    let mut page = StepPage {
        step: replay.step + 1,
        steps: replay.steps(),
        say,
        endpoints: [String::new(), String::new()],
        rows: Vec::new(),
        selected: None,
        detail: Vec::new(),
        ask: None,
        answer: None,
    };
    if let Some(question) = &step.question {
        page.ask = Some(Ask {
            kind: match question.kind {
                QuestionKind::Choice => "choice",
                QuestionKind::Several => "several",
                QuestionKind::Number => "number",
                QuestionKind::Predict => "predict",
            },
            text: question.ask.get(lang).to_string(),
            choices: question
                .choices
                .iter()
                .map(|c| c.text.get(lang).to_string())
                .collect(),
        });
        if replay.revealed[replay.step] {
            let right = question.right_response();
            page.answer = Some(Answer {
                correct: (0..question.choices.len()).filter(|&i| right.picked(i)).collect(),
                why: question
                    .choices
                    .iter()
                    .map(|c| c.why.get(lang).to_string())
                    .collect(),
                number: question
                    .answer
                    .map(|n| (n, question.why.as_ref().map_or("", |w| w.get(lang)).to_string())),
            });
        }
    }
    let Some(session) = timeline.sessions.get(session_index) else {
        return page;
    };
    page.endpoints = [
        format!("client {}", session.info.client),
        format!("server {}", session.info.server),
    ];
    let shown = shown.min(session.lines.len());
    page.rows = (0..shown)
        .map(|line| {
            let (phase, _) = session.phase_at(line);
            Row {
                phase: phase.name(),
                from: session.lines[line].from.map(|from| match from {
                    Direction::ClientToServer => "client",
                    Direction::ServerToClient => "server",
                }),
                text: explain::line_text_in(session, line, false, lang),
                exchange: session.exchange_of(line).map(|e| e.index),
            }
        })
        .collect();
    let moment = replay.moment().line;
    let selected = moment.min(shown.saturating_sub(1));
    if shown > 0 {
        page.selected = Some(selected);
        let hide_reply = replay.hides_reply_of(session, selected);
        let options = DetailOptions {
            show_secrets: false,
            wire_view: false,
            hide_reply,
            bytes_per_row: 16,
            lang,
        };
        let mut detail = explain::detail(session, selected, options);
        if replay.explanations_wait() {
            detail = explain::without_explanations(detail);
        }
        page.detail = detail.into_iter().map(|(t, text)| (tone(t), text)).collect();
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::teach::lesson::{self, Source};

    fn pages(number: usize) -> Pages {
        let (lesson, timeline) = lesson::load(&Source::Bundled(number - 1)).expect("a bundled lesson");
        Pages::new(&lesson, &timeline, Lang::En)
    }

    #[test]
    fn no_page_before_the_reveal_carries_the_answer() {
        for number in 1..=lesson::BUNDLED.len() {
            for [before, after] in pages(number).steps {
                assert_eq!(before.answer, None);
                assert_eq!(after.ask.is_some(), after.answer.is_some());
            }
        }
    }

    #[test]
    fn a_predict_step_hides_the_reply_until_the_reveal() {
        // Lesson 1 asks the class to predict the reply to PASS.
        let pages = pages(1);
        let [before, after] = pages
            .steps
            .iter()
            .find(|[before, _]| before.ask.as_ref().is_some_and(|a| a.kind == "predict"))
            .expect("a predict step")
            .clone();
        assert_eq!(
            after.rows.len(),
            before.rows.len() + 1,
            "the reply row comes with the reveal"
        );
        assert!(
            before
                .rows
                .iter()
                .all(|row| !row.text.starts_with("+OK Logged in"))
        );
        assert!(
            before.detail.iter().any(|(_, text)| text.contains("hidden"))
                || before.detail.len() < after.detail.len()
        );
    }
}
