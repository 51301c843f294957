//! The classroom state of a lesson: which step, what was answered, what is revealed. No
//! terminal, no clock: keys and timers live in the UI.

use super::{Lesson, Moment, Question, QuestionKind, Response, Step};
use crate::view::timeline::SessionView;

/// How an answer went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Right,
    Wrong,
}

/// An answer being put together, for the questions that take more than one key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Draft {
    /// Choices marked so far (bit `i`: choice `i`).
    pub marked: u16,
    /// The number typed so far, if any digit was.
    pub number: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct Replay {
    pub lesson: Lesson,
    /// Index into the steps.
    pub step: usize,
    /// The first answer given to each step's question: it is the one that counts.
    pub chosen: Vec<Option<Response>>,
    /// What is being put together for the current question before it is given: the choices
    /// marked of a `several` question, the digits of a `number` question.
    pub draft: Draft,
    pub revealed: Vec<bool>,
    /// Past the last step: the score is shown.
    pub finished: bool,
}

impl Replay {
    pub fn new(lesson: Lesson) -> Self {
        let steps = lesson.file.steps.len();
        Replay {
            lesson,
            step: 0,
            chosen: vec![None; steps],
            draft: Draft::default(),
            revealed: vec![false; steps],
            finished: false,
        }
    }

    pub fn steps(&self) -> usize {
        self.lesson.file.steps.len()
    }

    pub fn current(&self) -> &Step {
        &self.lesson.file.steps[self.step]
    }

    pub fn question(&self) -> Option<&Question> {
        self.current().question.as_ref()
    }

    pub fn moment(&self) -> Moment {
        self.lesson.moments[self.step]
    }

    pub fn next(&mut self) {
        self.draft = Draft::default();
        if self.step + 1 < self.steps() {
            self.step += 1;
        } else {
            self.finished = true;
        }
    }

    pub fn back(&mut self) {
        self.draft = Draft::default();
        if self.finished {
            self.finished = false;
        } else {
            self.step = self.step.saturating_sub(1);
        }
    }

    /// Goes to step `number` (1-based); false when there is no such step.
    pub fn jump(&mut self, number: usize) -> bool {
        if (1..=self.steps()).contains(&number) {
            self.draft = Draft::default();
            self.step = number - 1;
            self.finished = false;
            true
        } else {
            false
        }
    }

    /// Choice `index` (0-based) of the current question: a `choice` or `predict` question takes
    /// it as the answer (`Some(Some(_))`); a `several` question marks or unmarks it
    /// (`Some(None)`), to be given with [`Replay::submit`]. `None` when there is no such
    /// choice or the question was answered (or revealed) already: the first answer counts.
    pub fn press(&mut self, index: usize) -> Option<Option<Answer>> {
        let question = self.question()?;
        if self.settled() || index >= question.choices.len() {
            return None;
        }
        match question.kind {
            QuestionKind::Choice | QuestionKind::Predict => self.give(Response::Picked(1 << index)).map(Some),
            QuestionKind::Several => {
                self.draft.marked ^= 1 << index;
                Some(None)
            }
            QuestionKind::Number => None,
        }
    }

    /// The next digit of the number being typed for a `number` question; false when the
    /// question takes no number or the number would be too long.
    pub fn type_digit(&mut self, digit: u8) -> bool {
        let takes = self.question().is_some_and(|q| q.kind == QuestionKind::Number) && !self.settled();
        let number = self
            .draft
            .number
            .unwrap_or(0)
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(digit)));
        match number {
            Some(number) if takes => {
                self.draft.number = Some(number);
                true
            }
            _ => false,
        }
    }

    /// Takes back the last digit of a number being typed.
    pub fn erase(&mut self) {
        self.draft.number = self.draft.number.map(|n| n / 10).filter(|&n| n != 0);
    }

    /// Gives the draft (the marked choices, the typed number) as the answer.
    pub fn submit(&mut self) -> Option<Answer> {
        let response = match self.question()?.kind {
            QuestionKind::Several => Response::Picked(self.draft.marked),
            QuestionKind::Number => Response::Number(self.draft.number?),
            QuestionKind::Choice | QuestionKind::Predict => return None,
        };
        self.give(response)
    }

    /// Answers the current question; `None` when it does not take that answer or was
    /// answered (or revealed) already.
    pub fn give(&mut self, response: Response) -> Option<Answer> {
        let question = self.question()?;
        if !question.accepts(response) || self.settled() {
            return None;
        }
        let right = question.is_right(response);
        self.chosen[self.step] = Some(response);
        self.draft = Draft::default();
        Some(if right { Answer::Right } else { Answer::Wrong })
    }

    /// Shows the answer (and a hidden reply) without counting an answer.
    pub fn reveal(&mut self) {
        self.revealed[self.step] = true;
    }

    /// Whether the current question's answer is open: answered or revealed.
    pub fn settled(&self) -> bool {
        self.chosen[self.step].is_some() || self.revealed[self.step]
    }

    /// The step's row (a reply to predict, or the row a question is about) is still hidden.
    pub fn moment_hidden(&self) -> bool {
        self.lesson.hides[self.step] && !self.settled()
    }

    /// Whether the detail of `line` must keep quiet about its reply: the hidden row belongs to
    /// the same exchange.
    pub fn hides_reply_of(&self, session: &SessionView, line: usize) -> bool {
        let hidden = self.moment().line;
        self.moment_hidden()
            && session.exchange_of(hidden).is_some()
            && session.exchange_of(hidden).map(|e| e.index) == session.exchange_of(line).map(|e| e.index)
    }

    /// While a question is open, the panes show facts but not pop3scope's explanations of
    /// them (what a command does, what a code or a note means, what UPDATE deletes): those
    /// would answer it. They come with the answer.
    pub fn explanations_wait(&self) -> bool {
        !self.finished && self.question().is_some() && !self.settled()
    }

    /// The session shown and how many of its rows: up to the step's row, without it while it
    /// is hidden.
    pub fn shown(&self) -> (usize, usize) {
        let moment = self.moment();
        let rows = if self.moment_hidden() {
            moment.line
        } else {
            moment.line + 1
        };
        (moment.session, rows)
    }

    /// (right answers, questions asked)
    pub fn score(&self) -> (usize, usize) {
        let mut right = 0;
        let mut asked = 0;
        for (step, chosen) in self.lesson.file.steps.iter().zip(&self.chosen) {
            if let Some(question) = &step.question {
                asked += 1;
                if chosen.is_some_and(|c| question.is_right(c)) {
                    right += 1;
                }
            }
        }
        (right, asked)
    }
}
