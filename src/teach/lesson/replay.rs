//! The classroom state of a lesson: which step, what was answered, what is revealed. No
//! terminal, no clock: keys and timers live in the UI.

use super::{Lesson, Moment, Question, Step};
use crate::view::timeline::SessionView;

/// How an answer went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Right,
    Wrong,
}

#[derive(Clone, Debug)]
pub struct Replay {
    pub lesson: Lesson,
    /// Index into the steps.
    pub step: usize,
    /// The first answer given to each step's question: it is the one that counts.
    pub chosen: Vec<Option<usize>>,
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
        if self.step + 1 < self.steps() {
            self.step += 1;
        } else {
            self.finished = true;
        }
    }

    pub fn back(&mut self) {
        if self.finished {
            self.finished = false;
        } else {
            self.step = self.step.saturating_sub(1);
        }
    }

    /// Goes to step `number` (1-based); false when there is no such step.
    pub fn jump(&mut self, number: usize) -> bool {
        if (1..=self.steps()).contains(&number) {
            self.step = number - 1;
            self.finished = false;
            true
        } else {
            false
        }
    }

    /// Answers the current question with choice `index` (0-based). The first answer counts;
    /// `None` when there is no such choice or the question was answered already.
    pub fn answer(&mut self, index: usize) -> Option<Answer> {
        let question = self.question()?;
        let choice = question.choices.get(index)?;
        let right = choice.correct;
        // The first answer counts, and none after the answer was shown.
        if self.chosen[self.step].is_some() || self.revealed[self.step] {
            return None;
        }
        self.chosen[self.step] = Some(index);
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
                if chosen.is_some_and(|c| question.choices.get(c).is_some_and(|c| c.correct)) {
                    right += 1;
                }
            }
        }
        (right, asked)
    }
}
