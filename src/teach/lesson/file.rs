//! The lesson file: TOML a teacher writes and reviews. docs/writing-lessons.md is the guide.

use serde::Deserialize;

use crate::base::Lang;
use crate::teach::Error;

/// A text in English and Chinese.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[serde(default)]
    pub en: String,
    #[serde(default)]
    pub zh: String,
}

impl Text {
    /// The text in `lang`; in the other language when the author wrote only that one (a
    /// lesson in one language is a lesson too).
    pub fn get(&self, lang: Lang) -> &str {
        let (wanted, other) = match lang {
            Lang::En => (&self.en, &self.zh),
            Lang::Zh => (&self.zh, &self.en),
        };
        if wanted.trim().is_empty() { other } else { wanted }
    }
}

/// The side pane a step shows.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PaneName {
    Detail,
    Ladder,
    Mailbox,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// Pick the right answer.
    Choice,
    /// Pick every right answer: more than one choice is marked correct, and an answer is
    /// right when it picks exactly those.
    Several,
    /// Give a number (`answer`), such as how many octets a reply announced.
    Number,
    /// Predict the server's reply: it stays hidden until answered or revealed. The step's
    /// moment must be a reply.
    Predict,
}

/// A student's answer to a question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// The choices picked: bit `i` is choice `i` (0-based). One bit for `choice` and
    /// `predict` questions, any number for `several`.
    Picked(u16),
    /// The number given to a `number` question.
    Number(u64),
}

impl Response {
    /// Whether choice `index` (0-based) is among those picked.
    pub fn picked(self, index: usize) -> bool {
        matches!(self, Response::Picked(mask) if index < 16 && mask & (1 << index) != 0)
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub text: Text,
    #[serde(default)]
    pub correct: bool,
    /// Why it is right, or the misconception behind choosing it.
    pub why: Text,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub kind: QuestionKind,
    /// The step's row is hidden in every pane until the class has answered (or the answer is
    /// revealed): for a question about that row. A predict question always hides its reply.
    #[serde(default)]
    pub hide: bool,
    pub ask: Text,
    /// The choices of a `choice`, `several` or `predict` question.
    #[serde(rename = "choice", default)]
    pub choices: Vec<Choice>,
    /// The right number of a `number` question.
    pub answer: Option<u64>,
    /// Why the number is right, shown with the answer (a `number` question).
    pub why: Option<Text>,
}

impl Question {
    /// Whether the step's row waits for the answer.
    pub fn hides(&self) -> bool {
        self.hide || self.kind == QuestionKind::Predict
    }

    /// The first right choice (0-based), for a question with choices.
    pub fn correct(&self) -> Option<usize> {
        self.choices.iter().position(|c| c.correct)
    }

    /// The right answer.
    pub fn right_response(&self) -> Response {
        match (self.kind, self.answer) {
            (QuestionKind::Number, Some(number)) => Response::Number(number),
            _ => Response::Picked(
                self.choices
                    .iter()
                    .take(16)
                    .enumerate()
                    .filter(|(_, c)| c.correct)
                    .fold(0, |mask, (i, _)| mask | (1 << i)),
            ),
        }
    }

    /// Whether `response` is an answer this question takes: picks among its choices (exactly
    /// one unless it is `several`), or a number for a `number` question.
    pub fn accepts(&self, response: Response) -> bool {
        match (self.kind, response) {
            (QuestionKind::Number, Response::Number(_)) => true,
            (QuestionKind::Number, _) | (_, Response::Number(_)) => false,
            (kind, Response::Picked(mask)) => {
                let within = self.choices.len() >= 16 || mask >> self.choices.len() == 0;
                let count = mask.count_ones();
                within && count >= 1 && (kind == QuestionKind::Several || count == 1)
            }
        }
    }

    /// Whether `response` is the right answer.
    pub fn is_right(&self, response: Response) -> bool {
        response == self.right_response()
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// The moment of the capture the step is about, by meaning (see [`super::moment`]);
    /// without it the step stays where the previous one was.
    pub at: Option<String>,
    pub pane: Option<PaneName>,
    pub say: Text,
    /// What to look at: which pane, which bytes.
    pub look: Option<Text>,
    /// For the teacher only: the teacher's key (`--export md --key`) prints it; the class
    /// view, students' pages and student handouts never show it.
    pub note: Option<Text>,
    pub question: Option<Question>,
}

/// A capture a lesson reads: its file, and the key log that opens its TLS if the lesson shows
/// what the key unlocks (`{ file = "22-….pcap", keylog = "22-….keylog" }`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum CaptureRef {
    /// A file, read as an eavesdropper would.
    File(String),
    /// A file read with its key log.
    Keyed {
        /// The capture file.
        file: String,
        /// The NSS key log of its TLS sessions.
        keylog: String,
    },
}

impl CaptureRef {
    /// The capture file, relative to the lesson file.
    pub fn file(&self) -> &str {
        match self {
            CaptureRef::File(file) | CaptureRef::Keyed { file, .. } => file,
        }
    }

    /// The key log, relative to the lesson file.
    pub fn keylog(&self) -> Option<&str> {
        match self {
            CaptureRef::File(_) => None,
            CaptureRef::Keyed { keylog, .. } => Some(keylog),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LessonFile {
    pub title: Text,
    pub goal: Text,
    /// Capture files, relative to the lesson file. Sessions are numbered across them, in order.
    pub captures: Vec<CaptureRef>,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

impl LessonFile {
    pub fn parse(text: &str) -> Result<LessonFile, Error> {
        toml::from_str(text).map_err(|e| Error::LessonFormat(e.to_string().trim_end().to_string()))
    }

    /// What is wrong with the texts and questions, one message per problem, each naming the
    /// step (the moments are checked against the capture separately).
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        // A lesson may be in one language or both; each text needs one, and a lesson in both
        // needs both everywhere.
        let bilingual = !self.title.en.trim().is_empty() && !self.title.zh.trim().is_empty();
        let mut text = |where_: &str, text: &Text| {
            let missing: Vec<&str> = [("en", &text.en), ("zh", &text.zh)]
                .into_iter()
                .filter(|(_, value)| value.trim().is_empty())
                .map(|(lang, _)| lang)
                .collect();
            if missing.len() == 2 {
                problems.push(format!("{where_}: the text is missing"));
            } else if bilingual && let [lang] = missing.as_slice() {
                problems.push(format!(
                    "{where_}: the {lang} text is missing (the title is in both languages)"
                ));
            }
        };
        text("title", &self.title);
        text("goal", &self.goal);
        for (i, step) in self.steps.iter().enumerate() {
            let n = i + 1;
            text(&format!("step {n}: say"), &step.say);
            if let Some(look) = &step.look {
                text(&format!("step {n}: look"), look);
            }
            if let Some(question) = &step.question {
                text(&format!("step {n}: question"), &question.ask);
                for (c, choice) in question.choices.iter().enumerate() {
                    text(&format!("step {n}: choice {}", c + 1), &choice.text);
                    text(&format!("step {n}: choice {} why", c + 1), &choice.why);
                }
                if let Some(why) = &question.why {
                    text(&format!("step {n}: why"), why);
                }
            }
        }
        if self.captures.is_empty() {
            problems.push("captures: no capture named".to_string());
        }
        if self.steps.is_empty() {
            problems.push("no steps".to_string());
        }
        for (i, step) in self.steps.iter().enumerate() {
            let n = i + 1;
            if let Some(question) = &step.question {
                let right = question.choices.iter().filter(|c| c.correct).count();
                if question.kind == QuestionKind::Number {
                    if question.answer.is_none() {
                        problems.push(format!("step {n}: a number question needs `answer = N`"));
                    }
                    if !question.choices.is_empty() {
                        problems.push(format!("step {n}: a number question takes a number, not choices"));
                    }
                    if question.why.is_none() {
                        problems.push(format!(
                            "step {n}: a number question needs `why`, shown with the answer"
                        ));
                    }
                } else {
                    if question.answer.is_some() || question.why.is_some() {
                        problems.push(format!(
                            "step {n}: `answer` and `why` belong to a number question (a choice has its own `why`)"
                        ));
                    }
                    if question.choices.len() < 2 {
                        problems.push(format!("step {n}: a question needs at least two choices"));
                    }
                    if question.choices.len() > 9 {
                        problems.push(format!(
                            "step {n}: at most 9 choices (they are answered with keys 1–9)"
                        ));
                    }
                    match (question.kind, right) {
                        (_, 0) => problems.push(format!(
                            "step {n}: the question has no correct answer (mark one with correct = true)"
                        )),
                        (QuestionKind::Several, 1) => problems.push(format!(
                            "step {n}: a several question needs more than one correct answer (else make it a choice question)"
                        )),
                        (QuestionKind::Several, _) | (_, 1) => {}
                        _ => problems.push(format!(
                            "step {n}: the question has {right} correct answers; mark exactly one (or make it kind = \"several\")"
                        )),
                    }
                }
                if question.kind == QuestionKind::Predict && step.at.is_none() {
                    problems.push(format!(
                        "step {n}: a predict question needs `at` naming the reply to predict"
                    ));
                } else if question.hide && step.at.is_none() {
                    problems.push(format!(
                        "step {n}: `hide = true` needs `at` naming the row to hide"
                    ));
                }
            }
        }
        if self.steps.first().is_some_and(|s| s.at.is_none()) {
            problems.push("step 1: the first step needs `at`".to_string());
        }
        problems
    }
}

/// A lesson text as paragraphs to wrap to a screen or a page: the author's line breaks inside a
/// paragraph go (with a space between words, none between Chinese characters); blank lines stay.
pub fn reflow(text: &str) -> Vec<String> {
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

/// A paragraph cut into lines of at most `width` columns: at spaces, or between two Chinese
/// characters (a Chinese character takes two columns). The spaces the author wrote stay.
pub fn wrap(paragraph: &str, width: usize) -> Vec<String> {
    let wide = |c: char| c >= '\u{2e80}';
    let columns = |c: char| if wide(c) { 2 } else { 1 };
    // (a piece that cannot be cut, whether a space comes before it)
    let mut pieces: Vec<(&str, bool)> = Vec::new();
    for (n, word) in paragraph.split_whitespace().enumerate() {
        let mut start = 0;
        for (at, c) in word.char_indices() {
            if wide(c) {
                if start < at {
                    pieces.push((&word[start..at], n > 0 && start == 0));
                }
                pieces.push((&word[at..at + c.len_utf8()], n > 0 && at == 0));
                start = at + c.len_utf8();
            }
        }
        if start < word.len() {
            pieces.push((&word[start..], n > 0 && start == 0));
        }
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for (piece, spaced) in pieces {
        let needed: usize = piece.chars().map(columns).sum();
        let space = usize::from(spaced && !line.is_empty());
        if used + space + needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0;
        } else if space == 1 {
            line.push(' ');
            used += 1;
        }
        line.push_str(piece);
        used += needed;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handout_lines_wrap_at_spaces_and_between_chinese_characters() {
        assert_eq!(
            wrap("the server speaks first", 10),
            ["the server", "speaks", "first"]
        );
        assert_eq!(wrap("服务器先说话", 6), ["服务器", "先说话"]);
        assert_eq!(wrap("用 USER 登录", 20), ["用 USER 登录"]);
    }

    #[test]
    fn narration_reflows_into_paragraphs() {
        assert_eq!(
            reflow("The server speaks\nfirst.\n\nThen the client."),
            ["The server speaks first.", "", "Then the client."]
        );
        assert_eq!(reflow("服务器先\n说话。"), ["服务器先说话。"]);
    }

    const SMALL: &str = r#"
        title = { en = "Hello", zh = "你好" }
        goal = { en = "See a greeting", zh = "看问候" }
        captures = ["../captures/01-full-session.pcap"]

        [[step]]
        at = "greeting"
        say = { en = "The server speaks first.", zh = "服务器先说话。" }

        [step.question]
        kind = "choice"
        ask = { en = "Who speaks first?", zh = "谁先说话？" }
        [[step.question.choice]]
        text = { en = "the server", zh = "服务器" }
        correct = true
        why = { en = "RFC 1939 §4", zh = "RFC 1939 §4" }
        [[step.question.choice]]
        text = { en = "the client", zh = "客户端" }
        why = { en = "in SMTP and POP3 the server greets first", zh = "SMTP 和 POP3 都是服务器先问候" }
    "#;

    #[test]
    fn a_lesson_file_reads_and_has_no_problems() {
        let lesson = LessonFile::parse(SMALL).unwrap();
        assert_eq!(lesson.steps.len(), 1);
        assert_eq!(lesson.steps[0].question.as_ref().unwrap().correct(), Some(0));
        assert_eq!(lesson.problems(), Vec::<String>::new());
    }

    const SEVERAL: &str = r#"
        title = { en = "Ports" }
        goal = { en = "Know the ports" }
        captures = ["01-full-session.pcap"]

        [[step]]
        at = "greeting"
        say = { en = "A mail client uses more than one protocol." }

        [step.question]
        kind = "several"
        ask = { en = "Which of these ports carry mail submission or retrieval?" }
        [[step.question.choice]]
        text = { en = "110" }
        correct = true
        why = { en = "POP3" }
        [[step.question.choice]]
        text = { en = "587" }
        correct = true
        why = { en = "SMTP submission (RFC 6409)" }
        [[step.question.choice]]
        text = { en = "80" }
        why = { en = "the web" }
    "#;

    const NUMBER: &str = r#"
        title = { en = "Sizes" }
        goal = { en = "Read a size" }
        captures = ["01-full-session.pcap"]

        [[step]]
        at = "greeting"
        say = { en = "STAT answers with two numbers." }

        [step.question]
        kind = "number"
        ask = { en = "How many octets does the maildrop hold?" }
        answer = 1704
        why = { en = "The second number of +OK 4 1704." }
    "#;

    #[test]
    fn a_several_question_is_right_only_with_every_right_choice() {
        let lesson = LessonFile::parse(SEVERAL).unwrap();
        assert_eq!(lesson.problems(), Vec::<String>::new());
        let question = lesson.steps[0].question.as_ref().unwrap();
        assert!(question.is_right(Response::Picked(0b011)));
        assert!(
            !question.is_right(Response::Picked(0b001)),
            "half the answer is not the answer"
        );
        assert!(!question.is_right(Response::Picked(0b111)));
        assert!(question.accepts(Response::Picked(0b111)));
        assert!(
            !question.accepts(Response::Picked(0b1000)),
            "there is no fourth choice"
        );
        assert!(
            !question.accepts(Response::Picked(0)),
            "an answer picks something"
        );
        assert!(!question.accepts(Response::Number(110)));
        let one = LessonFile::parse(&SEVERAL.replacen("correct = true", "", 1)).unwrap();
        assert_eq!(
            one.problems(),
            [
                "step 1: a several question needs more than one correct answer (else make it a choice question)"
            ]
        );
    }

    #[test]
    fn a_number_question_takes_a_number_and_explains_it() {
        let lesson = LessonFile::parse(NUMBER).unwrap();
        assert_eq!(lesson.problems(), Vec::<String>::new());
        let question = lesson.steps[0].question.as_ref().unwrap();
        assert!(question.is_right(Response::Number(1704)));
        assert!(!question.is_right(Response::Number(4)));
        assert!(!question.accepts(Response::Picked(1)));
        let bare = LessonFile::parse(&NUMBER.replace("answer = 1704", "")).unwrap();
        assert_eq!(bare.problems(), ["step 1: a number question needs `answer = N`"]);
    }

    #[test]
    fn a_choice_question_takes_exactly_one_pick() {
        let question = LessonFile::parse(SMALL).unwrap().steps[0]
            .question
            .clone()
            .unwrap();
        assert!(question.accepts(Response::Picked(0b10)));
        assert!(!question.accepts(Response::Picked(0b11)));
        let two = LessonFile::parse(&SMALL.replace(
            "why = { en = \"in SMTP",
            "correct = true\n        why = { en = \"in SMTP",
        ))
        .unwrap();
        assert_eq!(
            two.problems(),
            ["step 1: the question has 2 correct answers; mark exactly one (or make it kind = \"several\")"]
        );
    }

    #[test]
    fn a_question_without_a_right_answer_is_a_problem() {
        let lesson = LessonFile::parse(&SMALL.replace("correct = true", "")).unwrap();
        assert_eq!(
            lesson.problems(),
            ["step 1: the question has no correct answer (mark one with correct = true)"]
        );
    }

    #[test]
    fn a_missing_translation_in_a_bilingual_lesson_is_a_problem() {
        let lesson = LessonFile::parse(&SMALL.replace("zh = \"服务器先说话。\"", "zh = \"\"")).unwrap();
        assert_eq!(
            lesson.problems(),
            ["step 1: say: the zh text is missing (the title is in both languages)"]
        );
    }

    #[test]
    fn a_lesson_in_one_language_is_a_lesson() {
        let english: String = SMALL
            .lines()
            .map(|line| match line.find(", zh = ") {
                Some(at) => format!("{} }}", &line[..at]),
                None => line.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let lesson = LessonFile::parse(&english).unwrap();
        assert_eq!(lesson.problems(), Vec::<String>::new());
        assert_eq!(
            lesson.title.get(Lang::Zh),
            "Hello",
            "the other language stands in"
        );
    }

    #[test]
    fn an_unknown_key_is_an_error_with_its_line() {
        let error = LessonFile::parse(&SMALL.replace("say =", "sya =")).unwrap_err();
        let error = error.to_string();
        assert!(error.contains("sya") && error.contains("line"), "{error}");
    }

    #[test]
    fn the_language_comes_from_the_environment_value() {
        assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en_GB.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::parse("C"), None);
    }
}
