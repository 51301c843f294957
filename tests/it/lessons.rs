//! The bundled lessons: checked, printed in both languages, exported, replayed in the terminal
//! UI after keys, and walked through for real in tmux.

use pop3scope::teach::lesson::{self, BUNDLED, Lang, LessonFile, Replay, Response, Source};
use pop3scope::tui::{App, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::util::{Tmux, assert_restored, bin, captures_dir};

#[test]
fn every_bundled_lesson_passes_its_check() {
    let output = bin().args(["lesson", "--check"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("ok ")).count(),
        BUNDLED.len(),
        "{stdout}"
    );
}

#[test]
fn the_lessons_follow_the_plan_of_teaching_md() {
    // The twelve of the plan in TEACHING.md, and two "what if" lessons made with simulate.
    assert_eq!(BUNDLED.len(), 15);
    for (name, text) in BUNDLED {
        let file = LessonFile::parse(text).unwrap();
        assert!(
            file.steps.len() >= 4,
            "{name}: a lesson of {} steps",
            file.steps.len()
        );
        assert!(
            file.steps.iter().any(|s| s.question.is_some()),
            "{name} asks nothing"
        );
    }
}

/// Writes a copy of lesson 1 into a temporary directory, beside its capture, after `edit`.
fn edited_lesson_1(edit: impl Fn(String) -> String) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let text = BUNDLED[0]
        .1
        .replace("../captures/01-full-session.pcap", "01-full-session.pcap");
    std::fs::copy(
        captures_dir().join("01-full-session.pcap"),
        dir.path().join("01-full-session.pcap"),
    )
    .unwrap();
    let path = dir.path().join("my-lesson.toml");
    std::fs::write(&path, edit(text)).unwrap();
    (dir, path)
}

#[test]
fn a_step_that_names_a_command_not_in_the_capture_is_a_precise_error() {
    let (_dir, path) =
        edited_lesson_1(|text| text.replace("at = \"reply to RETR 1\"", "at = \"reply to RETR 9\""));
    let output = bin().args(["lesson", "--check"]).arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "pop3scope: {}: step 6: at = \"reply to RETR 9\": matches no row of session 1 (its commands: CAPA, USER alice, PASS *, STAT, LIST, UIDL, RETR 1, DELE 1, QUIT)",
        path.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn a_question_without_a_right_answer_is_a_precise_error() {
    let (_dir, path) = edited_lesson_1(|text| text.replacen("correct = true\n", "", 1));
    let output = bin().args(["lesson", "--check"]).arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "my-lesson.toml: step 1: the question has no correct answer (mark one with correct = true)"
        ),
        "{stderr}"
    );
}

#[test]
fn a_lesson_file_with_a_typo_says_where() {
    let (_dir, path) = edited_lesson_1(|text| text.replacen("say.en", "sey.en", 1));
    let output = bin().args(["lesson", "--check"]).arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.contains("my-lesson.toml: TOML parse error at line") && stderr.contains("sey"),
        "{stderr}"
    );
}

#[test]
fn a_teachers_own_lesson_reads_its_capture_beside_it() {
    let (_dir, path) = edited_lesson_1(|text| text);
    let output = bin()
        .args(["lesson", "--plain", "--lang", "en"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("Talking to the post office\n"));
}

#[test]
fn every_lesson_runs_to_the_end_in_plain_text_in_both_languages() {
    for (number, (name, text)) in BUNDLED.iter().enumerate() {
        let file = LessonFile::parse(text).unwrap();
        for (lang, step_word, answers) in [
            ("en", "── Step ", "── Answers ──"),
            ("zh", "── 步骤 ", "── 答案 ──"),
        ] {
            let output = bin()
                .args(["lesson", &(number + 1).to_string(), "--plain", "--lang", lang])
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{name} {lang}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            let title = if lang == "en" {
                &file.title.en
            } else {
                &file.title.zh
            };
            assert!(
                stdout.lines().next().unwrap().ends_with(title.as_str()),
                "{name} {lang}"
            );
            assert_eq!(
                stdout.matches(step_word).count(),
                file.steps.len(),
                "{name} {lang}"
            );
            assert!(stdout.contains(answers), "{name} {lang}");
            // Passwords stay masked in handouts.
            assert!(!stdout.contains("PASS wonderland"), "{name} {lang}");
        }
    }
}

#[test]
fn lesson_1_as_a_handout() {
    for lang in ["en", "zh"] {
        let output = bin()
            .args(["lesson", "1", "--plain", "--lang", lang])
            .output()
            .unwrap();
        insta::assert_snapshot!(
            format!("lesson_1_plain_{lang}"),
            String::from_utf8_lossy(&output.stdout)
        );
    }
    let output = bin()
        .args(["lesson", "4", "--export", "md", "--lang", "en"])
        .output()
        .unwrap();
    insta::assert_snapshot!("lesson_4_markdown_en", String::from_utf8_lossy(&output.stdout));
    let key = bin()
        .args(["lesson", "4", "--export", "md", "--key", "--lang", "en"])
        .output()
        .unwrap();
    insta::assert_snapshot!("lesson_4_markdown_key_en", String::from_utf8_lossy(&key.stdout));
}

#[test]
fn the_student_handout_has_no_answers_and_no_screen_instructions() {
    for number in 1..=BUNDLED.len() {
        let (lesson, _) = lesson::load(&Source::Bundled(number - 1)).unwrap();
        for lang in ["en", "zh"] {
            let output = bin()
                .args(["lesson", &number.to_string(), "--export", "md", "--lang", lang])
                .output()
                .unwrap();
            let handout = String::from_utf8_lossy(&output.stdout);
            let lang_of = if lang == "zh" { Lang::Zh } else { Lang::En };
            for step in &lesson.file.steps {
                if let Some(question) = &step.question {
                    for choice in &question.choices {
                        let why = choice.why.get(lang_of).trim();
                        assert!(
                            !handout.contains(why),
                            "lesson {number} ({lang}) prints a reason: {why}"
                        );
                    }
                }
                if let Some(note) = &step.note {
                    assert!(
                        !handout.contains(note.get(lang_of).trim()),
                        "lesson {number} prints a teacher's note"
                    );
                }
            }
            for instruction in ["press s", "detail pane", "mailbox pane", "按 s", "详情面板"] {
                assert!(
                    !handout.contains(instruction),
                    "lesson {number} ({lang}) says {instruction:?} on paper"
                );
            }
            // Prose and questions wrap; rows and ladders (in code blocks) are as wide as they are.
            let mut in_code = false;
            for line in handout.lines() {
                if line.starts_with("```") {
                    in_code = !in_code;
                } else if !in_code {
                    assert!(
                        unicode_width::UnicodeWidthStr::width(line) <= 96,
                        "lesson {number} ({lang}) has a long line: {line}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_lesson_in_one_language_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let lesson = dir.path().join("english-only.toml");
    std::fs::write(
        &lesson,
        format!(
            r#"
title = {{ en = "Who speaks first" }}
goal = {{ en = "See the greeting." }}
captures = ["{}"]

[[step]]
at = "greeting"
say = {{ en = "A client connected." }}

[step.question]
kind = "choice"
hide = true
ask = {{ en = "Who speaks first?" }}
[[step.question.choice]]
text = {{ en = "the server" }}
correct = true
why = {{ en = "The server greets first (RFC 1939 §4)." }}
[[step.question.choice]]
text = {{ en = "the client" }}
why = {{ en = "The client waits for the greeting." }}
"#,
            captures_dir().join("01-full-session.pcap").display()
        ),
    )
    .unwrap();
    let check = bin().args(["lesson", "--check"]).arg(&lesson).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        check.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let plain = bin()
        .args(["lesson", "--plain", "--lang", "zh"])
        .arg(&lesson)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&plain.stdout).contains("Who speaks first?"));
}

#[test]
fn the_language_comes_from_the_environment() {
    let output = bin()
        .args(["lesson", "1", "--plain"])
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("第1课 · 和邮局对话"));
    let listing = bin()
        .arg("lesson")
        .env("LC_ALL", "C")
        .env("LANG", "C")
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("  1  Talking to the post office") && listing.contains(" 12  Messy reality"),
        "{listing}"
    );
}

#[test]
fn a_lesson_that_does_not_exist_lists_the_range() {
    let output = bin().args(["lesson", "16"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("there is no lesson 16: the lessons are 1 to 15")
    );
}

fn lesson_app(number: usize, lang: Lang) -> App {
    let (lesson, timeline) = lesson::load(&Source::Bundled(number - 1)).unwrap();
    let mut app = App::new("lesson");
    app.color = false;
    app.timeline = timeline;
    app.start_lesson(Replay::new(lesson), lang, Some(number));
    app
}

fn press(app: &mut App, keys: &[KeyCode]) {
    for key in keys {
        app.handle_key(KeyEvent::new(*key, KeyModifiers::NONE));
    }
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| draw(frame, app)).unwrap();
    terminal.backend().to_string()
}

fn check(name: &str, lang: Lang, keys: &[KeyCode]) {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut app = lesson_app(1, lang);
        render(&mut app, width, height);
        press(&mut app, keys);
        insta::assert_snapshot!(
            format!("replay_{name}_{width}x{height}"),
            render(&mut app, width, height)
        );
    }
}

use KeyCode::{Char, Left, Right};

#[test]
fn replay_opens_on_the_first_step() {
    check("first_step", Lang::En, &[]);
}

#[test]
fn replay_a_wrong_answer_names_the_misconception() {
    check("wrong_answer", Lang::En, &[Char('1')]);
}

#[test]
fn replay_hides_the_reply_to_predict() {
    check("predict_hidden", Lang::En, &[Right, Right]);
}

#[test]
fn replay_reveal_shows_the_reply_and_the_answer() {
    check("predict_revealed", Lang::En, &[Right, Right, Char('r')]);
}

#[test]
fn replay_steps_back() {
    check("back", Lang::En, &[Right, Right, Right, Left]);
}

#[test]
fn replay_in_chinese() {
    check("chinese", Lang::Zh, &[Right]);
}

#[test]
fn replay_ends_with_the_score() {
    // Step 1 right, step 3 wrong, step 4 right, step 5 skipped, step 8 right; then past the end.
    let keys = [
        Char('3'),
        Right,
        Right,
        Char('1'),
        Right,
        Char('2'),
        Right,
        Right,
        Right,
        Right,
        Char('2'),
        Right,
    ];
    check("score", Lang::En, &keys);
    let mut app = lesson_app(1, Lang::En);
    press(&mut app, &keys);
    let replay = &app.lesson.as_ref().unwrap().replay;
    assert!(replay.finished);
    assert_eq!(replay.score(), (3, 5));
}

/// Goes to step `number` of a lesson with the `g` prompt.
fn go_to(app: &mut App, number: usize) {
    press(app, &[Char('g')]);
    let digits: Vec<KeyCode> = number.to_string().chars().map(Char).collect();
    press(app, &digits);
    press(app, &[KeyCode::Enter]);
}

#[test]
fn a_number_question_is_answered_by_typing_digits_and_enter() {
    // Lesson 2, step 5: how many lines answer LIST on an empty mailbox? The reply stays hidden
    // while the number is typed; Backspace takes back a digit.
    let mut app = lesson_app(2, Lang::En);
    go_to(&mut app, 5);
    press(
        &mut app,
        &[
            Char('1'),
            Char('2'),
            KeyCode::Backspace,
            KeyCode::Backspace,
            Char('2'),
        ],
    );
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("Your answer: 2▏"), "{screen}");
    assert!(
        !screen.contains("0 messages:"),
        "the reply is hidden before the answer:\n{screen}"
    );
    press(&mut app, &[KeyCode::Enter]);
    let replay = &app.lesson.as_ref().unwrap().replay;
    assert_eq!(replay.chosen[4], Some(Response::Number(2)));
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("Answer: 2."), "{screen}");
    assert!(
        screen.contains("0 messages:"),
        "the reply shows with the answer:\n{screen}"
    );
}

#[test]
fn a_question_with_several_right_answers_takes_every_mark_then_enter() {
    // Lesson 9's last step: the user name and the PLAIN/LOGIN passwords are readable.
    let mut app = lesson_app(9, Lang::En);
    let last = app.lesson.as_ref().unwrap().replay.steps();
    go_to(&mut app, last);
    // Marks toggle: 3 on and off again, then 1 and 2.
    press(&mut app, &[Char('3'), Char('1'), Char('3'), Char('2')]);
    assert_eq!(
        app.lesson.as_ref().unwrap().replay.chosen[last - 1],
        None,
        "marks are not an answer yet"
    );
    let screen = render(&mut app, 120, 40);
    assert!(
        screen.contains("■ 1)") && screen.contains("■ 2)") && screen.contains("□ 3)"),
        "{screen}"
    );
    press(&mut app, &[KeyCode::Enter]);
    let replay = &app.lesson.as_ref().unwrap().replay;
    assert_eq!(replay.chosen[last - 1], Some(Response::Picked(0b11)));
    assert!(
        replay.lesson.file.steps[last - 1]
            .question
            .as_ref()
            .unwrap()
            .is_right(Response::Picked(0b11))
    );
    // Half of the right answer is not the answer.
    let mut app = lesson_app(9, Lang::En);
    go_to(&mut app, last);
    press(&mut app, &[Char('2'), KeyCode::Enter]);
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("✓ 1)") && screen.contains("✓ 2)"), "{screen}");
    assert_eq!(app.lesson.as_ref().unwrap().replay.score(), (0, 5));
}

#[test]
fn in_tmux_a_student_takes_lesson_1_to_the_end() {
    let command = format!(
        "{} lesson --lang en",
        assert_cmd::cargo::cargo_bin("pop3scope").display()
    );
    // The list first, as a new user would see it; then the lesson itself.
    let Some(tmux) = Tmux::start("lesson-list", &command) else {
        return;
    };
    tmux.wait_for("Talking to the post office");
    drop(tmux);
    let command = format!(
        "{} lesson 1 --lang en",
        assert_cmd::cargo::cargo_bin("pop3scope").display()
    );
    let Some(tmux) = Tmux::start("lesson", &command) else {
        return;
    };
    tmux.wait_for("Step 1 of 8");
    tmux.keys(&["3"]);
    tmux.wait_for("Right: a mail program has separate outgoing");
    tmux.keys(&["Right", "Right"]);
    tmux.wait_for("The reply is hidden");
    tmux.keys(&["3"]);
    tmux.wait_for("+OK Logged in.");
    for _ in 0..5 {
        tmux.keys(&["Right"]);
    }
    tmux.wait_for("Step 8 of 8");
    tmux.keys(&["2", "Right"]);
    tmux.wait_for("Score: 3 of 5 questions right.");
    tmux.keys(&["q"]);
    assert_restored(&tmux.wait_for("STTY-END"), 0);
}

#[test]
fn the_worked_example_of_the_teachers_guide_passes_its_check() {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/writing-lessons.md")).unwrap();
    let example = guide
        .split("```toml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the guide has a TOML example");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("second-thoughts.toml");
    std::fs::write(&path, example).unwrap();
    let output = bin().args(["lesson", "--check"]).arg(&path).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_class_view_draws_at_any_size() {
    for (width, height) in [(1, 1), (12, 5), (30, 8), (300, 100)] {
        for keys in [&[][..], &[Right, Right], &[Char('?')], &[Char('g')]] {
            let mut app = lesson_app(9, Lang::Zh);
            press(&mut app, keys);
            render(&mut app, width, height);
        }
    }
}

#[test]
fn a_revealed_answer_no_longer_counts_and_the_class_cannot_read_ahead() {
    let mut app = lesson_app(1, Lang::En);
    press(&mut app, &[Char('r'), Char('2')]);
    assert_eq!(
        app.lesson.as_ref().unwrap().replay.score(),
        (0, 5),
        "revealed, then answered"
    );
    // Tab never reaches a sessions pane, and moving stays within the rows shown so far.
    let shown = app.lesson.as_ref().unwrap().replay.shown();
    press(
        &mut app,
        &[
            KeyCode::Tab,
            KeyCode::Tab,
            KeyCode::Tab,
            KeyCode::Down,
            KeyCode::Down,
            KeyCode::End,
        ],
    );
    assert_eq!(app.session, shown.0);
    assert!(app.line < shown.1, "line {} of {} shown", app.line, shown.1);
}

#[test]
fn the_class_view_of_a_classroom_shows_the_tally_and_who_is_waiting() {
    use pop3scope::teach::classroom::state::{ClassConfig, Token};
    use pop3scope::teach::classroom::{Class, Invitation};
    let (lesson, timeline) = lesson::load(&Source::Bundled(0)).unwrap();
    let config = ClassConfig {
        code: "123456".to_string(),
        max_students: 30,
        self_paced: false,
    };
    let class = Class::new(&lesson, &timeline, Lang::En, config, None);
    let mut app = lesson_app(1, Lang::En);
    app.attach_class(
        class.clone(),
        Invitation::new("http://127.0.0.1:8080/".to_string(), "123456".to_string()),
    );
    let ann = class.join("Ann", "123456", Token("a".to_string())).unwrap();
    class
        .join("<b>Bob</b>", "123456", Token("b".to_string()))
        .unwrap();
    class.join("Cy", "123456", Token("c".to_string())).unwrap();
    class.answer(ann, 0, Response::Picked(1 << 1)).unwrap();
    insta::assert_snapshot!("class_tally_before_the_reveal", render(&mut app, 140, 36));
    // The reveal marks the right answer; the next step, which asks nothing, shows the QR code.
    press(&mut app, &[KeyCode::Char('r')]);
    app.sync_class();
    insta::assert_snapshot!("class_tally_revealed", render(&mut app, 140, 36));
    press(&mut app, &[KeyCode::Right]);
    app.sync_class();
    assert_eq!(class.room().teacher().step, 1, "the class follows the teacher");
    insta::assert_snapshot!("class_tally_qr_between_questions", render(&mut app, 140, 40));
}

/// Every question step of every lesson as the class sees it before answering, with each side
/// pane (detail, ladder, mailbox): read through for answers given away, kept as snapshots.
#[test]
fn every_question_step_before_the_answer() {
    for number in 1..=BUNDLED.len() {
        let mut app = lesson_app(number, Lang::En);
        let steps = app.lesson.as_ref().unwrap().replay.steps();
        let mut screens = String::new();
        for step in 0..steps {
            let lesson = app.lesson.as_mut().unwrap();
            lesson.replay.jump(step + 1);
            if lesson.replay.question().is_none() {
                continue;
            }
            app.follow_step();
            for pane in [Char('d'), Char('l'), Char('m')] {
                press(&mut app, &[pane]);
                screens.push_str(&format!("── step {} · pane {pane:?} ──\n", step + 1));
                screens.push_str(&render(&mut app, 160, 48));
            }
        }
        insta::assert_snapshot!(format!("question_steps_lesson_{number:02}"), screens);
    }
}
