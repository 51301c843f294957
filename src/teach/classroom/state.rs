//! The classroom as a state machine: who joined, where each of them is, what they answered.
//!
//! Contract: pure — no I/O, no clock (times come in as the time since the class opened), no
//! threads; the web server wraps it in a lock. Students can never move the lesson in a class
//! the teacher leads; each question counts one answer per student, given before the answer was
//! revealed; names are bounded and stripped of control characters; the number of students is
//! bounded. Every change bumps [`Classroom::version`], which the web server pushes on.

use std::time::Duration;

use crate::teach::lesson::{Question, Response};

/// Characters of a student's name kept at most.
pub const MAX_NAME: usize = 40;

/// Different numbers a tally lists at most.
pub const NUMBERS_TALLIED: usize = 5;

/// What the classroom knows of one step of the lesson: its question, if it asks one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFacts {
    /// The step's question.
    pub question: Option<Question>,
}

/// How a class is run.
#[derive(Clone, Debug)]
pub struct ClassConfig {
    /// The code a student types to join.
    pub code: String,
    /// Students at most.
    pub max_students: usize,
    /// Each student steps alone (homework, a lab) instead of following the teacher.
    pub self_paced: bool,
}

/// A student's pass: the token their browser holds (128 random bits, as hex).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Token(pub String);

/// Where someone stands in the lesson.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// 0-based step.
    pub step: usize,
    /// Past the last step: the score is shown.
    pub finished: bool,
    /// Per step: the answer was shown.
    pub revealed: Vec<bool>,
}

impl Position {
    fn new(steps: usize) -> Position {
        Position {
            step: 0,
            finished: false,
            revealed: vec![false; steps],
        }
    }

    /// The answer of the current step is shown.
    pub fn revealed_here(&self) -> bool {
        self.revealed.get(self.step).copied().unwrap_or(false)
    }
}

/// One answer a student gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Given {
    /// The choices picked, or the number.
    pub response: Response,
    /// It was the right one.
    pub right: bool,
    /// From the moment the step reached the student to the answer.
    pub seconds: f64,
}

/// A student in the class.
#[derive(Clone, Debug)]
pub struct Student {
    /// The name they gave, bounded and without control characters.
    pub name: String,
    token: Token,
    /// Their own place in a self-paced class (else they follow the teacher).
    own: Position,
    /// Per step: their answer.
    pub answers: Vec<Option<Given>>,
    /// Per step: when the step first reached them.
    shown_at: Vec<Option<Duration>>,
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The join code is not this class's.
    #[error("that is not the join code of this class")]
    WrongCode,
    /// The name is empty once trimmed (or shows nothing).
    #[error("a name is needed")]
    NoName,
    /// Another student has that name.
    #[error("that name is taken: add an initial")]
    NameTaken,
    /// The class is full.
    #[error("the class is full")]
    Full,
    /// The token belongs to no student.
    #[error("unknown student: join again")]
    UnknownStudent,
    /// The answer is for another step than the student's, or the question does not take it
    /// (no such choice, several choices for a one-choice question, a number for choices).
    #[error("there is no such question or choice at this step")]
    NoSuchChoice,
    /// The student answered this question already (the first answer counts).
    #[error("answered already: the first answer counts")]
    AnsweredAlready,
    /// The answer is shown already: answers no longer count.
    #[error("the answer is shown already")]
    Revealed,
    /// Only the teacher moves a class the teacher leads.
    #[error("the teacher moves the lesson")]
    TeacherLeads,
    /// A question must be answered before moving on (self-paced).
    #[error("answer the question first")]
    AnswerFirst,
}

/// How many chose what, at one step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Students who answered.
    pub answered: usize,
    /// Students in the class.
    pub students: usize,
    /// Per choice: how many chose it.
    pub per_choice: Vec<usize>,
    /// For a number question: each number given and how many gave it, most given first (the
    /// first [`NUMBERS_TALLIED`]).
    pub numbers: Vec<(u64, usize)>,
    /// The names of those who have not answered, in the order they joined.
    pub waiting: Vec<String>,
}

/// The whole class.
#[derive(Debug)]
pub struct Classroom {
    config: ClassConfig,
    steps: Vec<StepFacts>,
    teacher: Position,
    students: Vec<Student>,
    version: u64,
}

/// A name as the class shows it: control, format and invisible characters gone, at most two
/// combining marks on a letter, spaces folded, at most [`MAX_NAME`] characters; empty when
/// nothing visible is left. Markup stays text: every screen escapes it.
pub fn clean_name(name: &str) -> String {
    let mut kept = String::new();
    let mut marks = 0;
    for c in name.chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if c.is_control() || is_invisible(c) {
            continue;
        }
        // A character that takes no column is a combining mark (or something as invisible).
        if unicode_width::UnicodeWidthChar::width(c) == Some(0) {
            marks += 1;
            if marks > 2 {
                continue;
            }
        } else {
            marks = 0;
        }
        kept.push(c);
    }
    let name: String = kept
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_NAME)
        .collect();
    if name.chars().any(char::is_alphanumeric) {
        name
    } else {
        String::new()
    }
}

/// Characters that show nothing, or reorder or disguise the text around them: format
/// characters (bidi overrides, zero-width joiners), fillers, variation selectors, tags.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
        || ('\u{E000}'..='\u{F8FF}').contains(&c)
}

/// Two names that a class could not tell apart: the same letters, whatever the case.
fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

impl Classroom {
    /// A class over a lesson of these steps.
    pub fn new(config: ClassConfig, steps: Vec<StepFacts>) -> Classroom {
        let teacher = Position::new(steps.len());
        Classroom {
            config,
            steps,
            teacher,
            students: Vec::new(),
            version: 0,
        }
    }

    /// Goes up with every change a screen should show.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// How the class is run.
    pub fn config(&self) -> &ClassConfig {
        &self.config
    }

    /// The students, in the order they joined.
    pub fn students(&self) -> &[Student] {
        &self.students
    }

    /// Where the teacher is.
    pub fn teacher(&self) -> &Position {
        &self.teacher
    }

    /// A student joins with their name and the join code; `token` is the pass their browser
    /// will hold (made by the caller from a random source).
    pub fn join(&mut self, name: &str, code: &str, token: Token, now: Duration) -> Result<usize, Refusal> {
        if code.trim() != self.config.code {
            return Err(Refusal::WrongCode);
        }
        let name = clean_name(name);
        if name.is_empty() {
            return Err(Refusal::NoName);
        }
        if self.students.iter().any(|s| same_name(&s.name, &name)) {
            return Err(Refusal::NameTaken);
        }
        if self.students.len() >= self.config.max_students {
            return Err(Refusal::Full);
        }
        let steps = self.steps.len();
        let mut student = Student {
            name,
            token,
            own: Position::new(steps),
            answers: vec![None; steps],
            shown_at: vec![None; steps],
        };
        let step = if self.config.self_paced {
            0
        } else {
            self.teacher.step
        };
        if let Some(at) = student.shown_at.get_mut(step) {
            *at = Some(now);
        }
        self.students.push(student);
        self.version += 1;
        Ok(self.students.len() - 1)
    }

    /// The student holding `token`.
    pub fn student(&self, token: &Token) -> Option<usize> {
        self.students.iter().position(|s| &s.token == token)
    }

    /// Where a student is: the teacher's place, or their own in a self-paced class.
    pub fn position(&self, student: usize) -> &Position {
        if self.config.self_paced {
            &self.students[student].own
        } else {
            &self.teacher
        }
    }

    /// A student answers the question of `step` (0-based).
    pub fn answer(
        &mut self,
        student: usize,
        step: usize,
        response: Response,
        now: Duration,
    ) -> Result<Given, Refusal> {
        let position = self.position(student).clone();
        if position.finished || position.step != step {
            return Err(Refusal::NoSuchChoice);
        }
        let question = self
            .steps
            .get(step)
            .and_then(|facts| facts.question.as_ref())
            .filter(|question| question.accepts(response))
            .ok_or(Refusal::NoSuchChoice)?;
        if position.revealed_here() {
            return Err(Refusal::Revealed);
        }
        let right = question.is_right(response);
        let who = &mut self.students[student];
        if who.answers[step].is_some() {
            return Err(Refusal::AnsweredAlready);
        }
        let since = who.shown_at[step].unwrap_or(now);
        let given = Given {
            response,
            right,
            seconds: now.saturating_sub(since).as_secs_f64(),
        };
        who.answers[step] = Some(given);
        if self.config.self_paced {
            // Alone, a student sees the answer once they gave theirs.
            who.own.revealed[step] = true;
        }
        self.version += 1;
        Ok(given)
    }

    /// The teacher's lesson moved (or revealed): every student of a led class follows.
    pub fn follow_teacher(&mut self, position: Position, now: Duration) {
        if position == self.teacher {
            return;
        }
        let step = position.step;
        self.teacher = position;
        if !self.config.self_paced {
            for student in &mut self.students {
                if let Some(at) = student.shown_at.get_mut(step) {
                    at.get_or_insert(now);
                }
            }
        }
        self.version += 1;
    }

    /// A student of a self-paced class moves on (`forward`) or back.
    pub fn student_move(&mut self, student: usize, forward: bool, now: Duration) -> Result<(), Refusal> {
        if !self.config.self_paced {
            return Err(Refusal::TeacherLeads);
        }
        let steps = self.steps.len();
        let who = &mut self.students[student];
        let own = &mut who.own;
        let before = (own.step, own.finished);
        if forward {
            let asked = self.steps[own.step].question.is_some();
            if asked && !own.finished && who.answers[own.step].is_none() && !own.revealed[own.step] {
                return Err(Refusal::AnswerFirst);
            }
            if own.step + 1 < steps {
                own.step += 1;
                who.shown_at[own.step].get_or_insert(now);
            } else {
                own.finished = true;
            }
        } else if own.finished {
            own.finished = false;
        } else {
            own.step = own.step.saturating_sub(1);
        }
        // Back at the first step, or on at the end, changes nothing: nothing to push.
        if (own.step, own.finished) != before {
            self.version += 1;
        }
        Ok(())
    }

    /// The spread of answers at `step`.
    pub fn tally(&self, step: usize) -> Tally {
        let choices = self
            .steps
            .get(step)
            .and_then(|s| s.question.as_ref())
            .map_or(0, |q| q.choices.len());
        let mut numbers: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
        let mut tally = Tally {
            students: self.students.len(),
            per_choice: vec![0; choices],
            ..Tally::default()
        };
        for student in &self.students {
            match student.answers.get(step).copied().flatten() {
                Some(given) => {
                    tally.answered += 1;
                    match given.response {
                        Response::Number(number) => *numbers.entry(number).or_default() += 1,
                        Response::Picked(_) => {
                            for (i, count) in tally.per_choice.iter_mut().enumerate() {
                                *count += usize::from(given.response.picked(i));
                            }
                        }
                    }
                }
                None => tally.waiting.push(student.name.clone()),
            }
        }
        tally.numbers = numbers.into_iter().collect();
        tally
            .numbers
            .sort_by_key(|&(number, count)| (std::cmp::Reverse(count), number));
        tally.numbers.truncate(NUMBERS_TALLIED);
        tally
    }

    /// A student's score: (right answers, questions in the lesson).
    pub fn score(&self, student: usize) -> (usize, usize) {
        let asked = self.steps.iter().filter(|s| s.question.is_some()).count();
        let right = self.students[student]
            .answers
            .iter()
            .flatten()
            .filter(|g| g.right)
            .count();
        (right, asked)
    }

    /// Where each student of a self-paced class is, and their score: (name, step, finished,
    /// right, asked).
    pub fn progress(&self) -> Vec<(String, usize, bool, usize, usize)> {
        (0..self.students.len())
            .map(|i| {
                let position = self.position(i);
                let (right, asked) = self.score(i);
                (
                    self.students[i].name.clone(),
                    position.step,
                    position.finished,
                    right,
                    asked,
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Duration = Duration::from_secs(0);

    /// A step asking a question of `choices` choices, `correct` the right one.
    fn asks(choices: usize, correct: usize) -> StepFacts {
        use crate::teach::lesson::{Choice, QuestionKind, Text};
        let text = |en: &str| Text {
            en: en.to_string(),
            zh: String::new(),
        };
        StepFacts {
            question: Some(Question {
                kind: QuestionKind::Choice,
                hide: false,
                ask: text("?"),
                choices: (0..choices)
                    .map(|i| Choice {
                        text: text(&i.to_string()),
                        correct: i == correct,
                        why: text("because"),
                    })
                    .collect(),
                answer: None,
                why: None,
            }),
        }
    }

    fn pick(choice: usize) -> Response {
        Response::Picked(1 << choice)
    }

    fn class(self_paced: bool) -> Classroom {
        let steps = vec![StepFacts { question: None }, asks(3, 1), asks(2, 0)];
        let config = ClassConfig {
            code: "4242".to_string(),
            max_students: 2,
            self_paced,
        };
        Classroom::new(config, steps)
    }

    fn token(n: u8) -> Token {
        Token(format!("t{n}"))
    }

    fn at(step: usize, revealed: &[bool]) -> Position {
        Position {
            step,
            finished: false,
            revealed: revealed.to_vec(),
        }
    }

    #[test]
    fn joining_needs_the_code_a_name_and_room() {
        let mut c = class(false);
        assert_eq!(c.join("Ann", "1111", token(1), NOW), Err(Refusal::WrongCode));
        assert_eq!(c.join(" \u{7}\n", "4242", token(1), NOW), Err(Refusal::NoName));
        assert_eq!(c.join("Ann", " 4242 ", token(1), NOW), Ok(0));
        assert_eq!(c.join("ANN", "4242", token(2), NOW), Err(Refusal::NameTaken));
        assert_eq!(c.join("Bob", "4242", token(2), NOW), Ok(1));
        assert_eq!(c.join("Cy", "4242", token(3), NOW), Err(Refusal::Full));
    }

    #[test]
    fn names_lose_control_and_format_characters_and_are_bounded() {
        assert_eq!(
            clean_name("  <b>Ann</b>\u{1b}[2J \u{202E}evil\t x "),
            "<b>Ann</b>[2J evil x"
        );
        assert_eq!(clean_name(&"é".repeat(100)).chars().count(), MAX_NAME);
        assert_eq!(
            clean_name("\u{3164}\u{2800}\u{E0041}\u{FE0F}"),
            "",
            "nothing visible"
        );
        assert_eq!(
            clean_name(&format!("A{}", "\u{301}".repeat(39))),
            "A\u{301}\u{301}"
        );
        assert_eq!(clean_name("\u{200b}Alice"), "Alice");
    }

    #[test]
    fn in_a_led_class_students_answer_the_teachers_step_once_before_the_reveal() {
        let mut c = class(false);
        let ann = c.join("Ann", "4242", token(1), NOW).unwrap();
        let bob = c.join("Bob", "4242", token(2), NOW).unwrap();
        assert_eq!(
            c.answer(ann, 1, pick(1), NOW),
            Err(Refusal::NoSuchChoice),
            "not at step 2 yet"
        );
        c.follow_teacher(at(1, &[false; 3]), Duration::from_secs(10));
        let given = c.answer(ann, 1, pick(1), Duration::from_secs(14)).unwrap();
        assert!(given.right);
        assert_eq!(given.seconds, 4.0);
        assert_eq!(c.answer(ann, 1, pick(0), NOW), Err(Refusal::AnsweredAlready));
        assert_eq!(c.answer(bob, 1, pick(3), NOW), Err(Refusal::NoSuchChoice));
        let tally = c.tally(1);
        assert_eq!((tally.answered, tally.students), (1, 2));
        assert_eq!(tally.per_choice, [0, 1, 0]);
        assert_eq!(tally.waiting, ["Bob"]);
        c.follow_teacher(at(1, &[false, true, false]), NOW);
        assert_eq!(c.answer(bob, 1, pick(0), NOW), Err(Refusal::Revealed));
        assert_eq!(c.score(ann), (1, 2));
        assert_eq!(c.student_move(bob, true, NOW), Err(Refusal::TeacherLeads));
    }

    #[test]
    fn in_a_self_paced_class_each_student_steps_alone_and_sees_the_answer_after_theirs() {
        let mut c = class(true);
        let ann = c.join("Ann", "4242", token(1), NOW).unwrap();
        c.student_move(ann, true, NOW).unwrap();
        assert_eq!(c.student_move(ann, true, NOW), Err(Refusal::AnswerFirst));
        c.answer(ann, 1, pick(2), NOW).unwrap();
        assert!(c.position(ann).revealed_here());
        c.student_move(ann, true, NOW).unwrap();
        c.student_move(ann, true, NOW).unwrap_err();
        c.answer(ann, 2, pick(0), NOW).unwrap();
        c.student_move(ann, true, NOW).unwrap();
        assert!(c.position(ann).finished);
        assert_eq!(c.score(ann), (1, 2));
        assert_eq!(c.teacher().step, 0, "the teacher's place does not move");
    }

    #[test]
    fn every_change_bumps_the_version() {
        let mut c = class(false);
        let v = c.version();
        let ann = c.join("Ann", "4242", token(1), NOW).unwrap();
        c.follow_teacher(at(1, &[false; 3]), NOW);
        c.answer(ann, 1, pick(0), NOW).unwrap();
        assert_eq!(c.version(), v + 3);
        c.follow_teacher(at(1, &[false; 3]), NOW);
        assert_eq!(c.version(), v + 3, "the same place is no change");
    }
}
