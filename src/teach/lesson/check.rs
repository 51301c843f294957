//! Does the screen give the answer away? At each question step, everything the class can read
//! before answering — the narration, the conversation and ladder up to the step, the detail of
//! the selected row, the mailbox as of that row — is compared with the choices, by content
//! words rather than verbatim copies: when it says more of the right answer than of any wrong
//! one, the question is flagged.

use std::collections::HashSet;

use super::{Lang, Lesson, Replay, Response};
use crate::view::explain::{self, DetailOptions};
use crate::view::timeline::{SessionView, Timeline};

/// Words too common to tell one answer from another.
const STOPWORDS: &[&str] = &[
    "the", "and", "for", "that", "this", "with", "from", "are", "was", "were", "its", "it's", "not", "but",
    "has", "have", "had", "been", "will", "can", "does", "did", "one", "two", "all", "any", "only", "when",
    "then", "than", "what", "which", "who", "how", "why", "into", "onto", "out", "yet", "each", "also",
    "just", "there", "their", "they", "them", "you", "your", "our", "same", "more", "most", "less", "some",
    "such", "still", "after", "before", "until", "while", "other", "server", "client", "message", "messages",
    "mail", "pop3", "command", "reply", "session",
];

/// The words of a text that carry meaning: lower-case runs of letters and digits (with `+`,
/// `-`, `.`, `@` inside, so `+OK` and `-ERR` survive), short and common ones left out; Chinese
/// as pairs of characters, since it has no spaces.
/// The numbers a text shows, digits grouped by thousands (`3 484`, `3,484`) read as one.
fn numbers_in(text: &str) -> HashSet<u64> {
    let chars: Vec<char> = text.chars().collect();
    let mut numbers = HashSet::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() || (i > 0 && chars[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        let mut digits = String::new();
        loop {
            while i < chars.len() && chars[i].is_ascii_digit() {
                digits.push(chars[i]);
                i += 1;
            }
            let group = chars
                .get(i + 1..i + 4)
                .is_some_and(|g| g.iter().all(char::is_ascii_digit))
                && !chars.get(i + 4).is_some_and(char::is_ascii_digit);
            if group && matches!(chars.get(i), Some(' ' | ',' | '\u{a0}' | '\u{202f}')) {
                i += 1;
                continue;
            }
            break;
        }
        numbers.extend(digits.parse::<u64>().ok());
    }
    numbers
}

fn content_words(text: &str) -> HashSet<String> {
    let lower = text.to_lowercase();
    let mut words = HashSet::new();
    let mut word = String::new();
    let mut han: Vec<char> = Vec::new();
    let flush_han = |han: &mut Vec<char>, words: &mut HashSet<String>| {
        for pair in han.windows(2) {
            words.insert(pair.iter().collect());
        }
        han.clear();
    };
    let keep = |word: &str| {
        let meaningful =
            word.chars().count() >= 3 || word.chars().any(|c| c.is_ascii_digit() || c == '+' || c == '-');
        meaningful && !STOPWORDS.contains(&word)
    };
    for c in lower.chars() {
        if ('\u{4e00}'..='\u{9fff}').contains(&c) {
            han.push(c);
        } else {
            flush_han(&mut han, &mut words);
        }
        if c.is_alphanumeric() && !('\u{4e00}'..='\u{9fff}').contains(&c)
            || (!word.is_empty() && "+-.@".contains(c))
            || (word.is_empty() && "+-".contains(c))
        {
            word.push(c);
        } else {
            let trimmed = word.trim_end_matches(['.', '-', '@']);
            if keep(trimmed) {
                words.insert(trimmed.to_string());
            }
            word.clear();
        }
    }
    flush_han(&mut han, &mut words);
    let trimmed = word.trim_end_matches(['.', '-', '@']);
    if keep(trimmed) {
        words.insert(trimmed.to_string());
    }
    words
}

/// What the class can read at the current step of `replay`, before answering: narration,
/// rows, the selected row's detail, the mailbox.
fn on_screen(replay: &Replay, timeline: &Timeline, lang: Lang) -> String {
    let step = replay.current();
    let mut text = step.say.get(lang).to_string();
    if let Some(look) = &step.look {
        text.push('\n');
        text.push_str(look.get(lang));
    }
    let (session, shown) = replay.shown();
    let Some(session) = timeline.sessions.get(session) else {
        return text;
    };
    let shown = shown.min(session.lines.len());
    for line in 0..shown {
        text.push('\n');
        text.push_str(&explain::line_text_in(session, line, false, lang));
    }
    if shown > 0 {
        let selected = replay.moment().line.min(shown - 1);
        let options = DetailOptions {
            show_secrets: false,
            wire_view: false,
            hide_reply: replay.hides_reply_of(session, selected),
            bytes_per_row: 16,
            lang,
        };
        for (_, line) in explain::without_explanations(explain::detail(session, selected, options)) {
            text.push('\n');
            text.push_str(&line);
        }
        text.push('\n');
        text.push_str(&mailbox_text(session, selected));
    }
    text
}

/// The mailbox pane's facts as words: counts, sizes, ids, and what happened to each message.
fn mailbox_text(session: &SessionView, line: usize) -> String {
    let mailbox = session.mailbox_at(line);
    let mut text = String::new();
    if let Some(count) = mailbox.count {
        text.push_str(&format!(
            "{count} messages {} octets\n",
            mailbox.octets.unwrap_or(0)
        ));
    }
    for (number, message) in &mailbox.messages {
        text.push_str(&format!(
            "{number} {} {} {} {}\n",
            message.size.map(|s| s.to_string()).unwrap_or_default(),
            message.uid.clone().unwrap_or_default(),
            if message.retrieved { "retrieved" } else { "" },
            if message.marked { "marked deleted" } else { "" },
        ));
    }
    match mailbox.committed {
        Some(true) => text.push_str("deleted at update\n"),
        Some(false) => text.push_str("kept no quit nothing deleted\n"),
        None => {}
    }
    text
}

/// How much of `answer`'s content the screen shows, from 0 to 1.
fn shown_part(answer: &HashSet<String>, screen: &HashSet<String>) -> f64 {
    if answer.is_empty() {
        return 0.0;
    }
    answer.iter().filter(|w| screen.contains(*w)).count() as f64 / answer.len() as f64
}

/// The question steps whose right answer can be read on the screen before anyone answers, in
/// either language: a warning each, naming the step and the words that tell.
pub fn answers_on_screen(lesson: &Lesson, timeline: &Timeline) -> Vec<String> {
    let mut replay = Replay::new(lesson.clone());
    let mut warnings = Vec::new();
    for step in 0..replay.steps() {
        replay.step = step;
        let Some(question) = replay.question().cloned() else {
            continue;
        };
        let right = question.right_response();
        for (lang, name) in [(Lang::En, "en"), (Lang::Zh, "zh")] {
            let screen = content_words(&on_screen(&replay, timeline, lang));
            if let Response::Number(number) = right {
                if numbers_in(&on_screen(&replay, timeline, lang)).contains(&number) {
                    warnings.push(format!(
                        "step {}: the {name} screen shows the number asked for ({number}) before it is asked",
                        step + 1
                    ));
                }
                continue;
            }
            for (correct, choice) in question
                .choices
                .iter()
                .enumerate()
                .filter(|(i, _)| right.picked(*i))
            {
                let right_words = content_words(choice.text.get(lang));
                let right_part = shown_part(&right_words, &screen);
                let best_wrong = question
                    .choices
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| !right.picked(*i) && *i != correct)
                    .map(|(_, c)| shown_part(&content_words(c.text.get(lang)), &screen))
                    .fold(0.0, f64::max);
                if right_part >= 2.0 / 3.0 && right_part > best_wrong {
                    let mut telling: Vec<&String> =
                        right_words.iter().filter(|w| screen.contains(*w)).collect();
                    telling.sort();
                    let telling: Vec<&str> = telling.iter().map(|w| w.as_str()).collect();
                    warnings.push(format!(
                        "step {}: the {name} screen tells the right answer (\"{}\") before it is asked: {}",
                        step + 1,
                        choice.text.get(lang).trim(),
                        telling.join(", ")
                    ));
                }
            }
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_grouped_by_thousands_are_read_whole() {
        let numbers = numbers_in("+OK 3 484 octets, 2,048 more; RETR 1 and 12345");
        for n in [3484, 2048, 1, 12345] {
            assert!(numbers.contains(&n), "{n} in {numbers:?}");
        }
        assert!(!numbers.contains(&484) && !numbers.contains(&3) && !numbers.contains(&234));
    }

    #[test]
    fn content_words_keep_what_tells_answers_apart() {
        let words = content_words("The server answers +OK and 3 484: it's ready.");
        let mut words: Vec<&str> = words.iter().map(String::as_str).collect();
        words.sort();
        assert_eq!(words, ["+ok", "3", "484", "answers", "ready"]);
        let han = content_words("服务器先说话");
        assert!(han.contains("服务") && han.contains("说话"));
    }

    #[test]
    fn every_built_in_lesson_asks_before_it_tells() {
        let mut all = Vec::new();
        for index in 0..super::super::BUNDLED.len() {
            let source = super::super::Source::Bundled(index);
            let (lesson, timeline) = super::super::load(&source).expect("a bundled lesson");
            for warning in answers_on_screen(&lesson, &timeline) {
                all.push(format!("{}: {warning}", source.name()));
            }
        }
        assert!(all.is_empty(), "{} warnings:\n{}", all.len(), all.join("\n"));
    }
}
