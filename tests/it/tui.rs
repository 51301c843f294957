//! The terminal UI rendered into ratatui's TestBackend after real keys, at 80×24 and 160×48,
//! on real captures; and the real binary in tmux.

use std::fs::File;
use std::io::BufReader;

use pop3scope::capture::CaptureReader;
use pop3scope::pipeline::Config;
use pop3scope::tui::{App, draw};
use pop3scope::view::timeline;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::util::{Tmux, assert_restored, captures_dir};

fn app_for(capture: &str) -> App {
    app_with(capture, &Config::default())
}

fn app_with(capture: &str, config: &Config) -> App {
    let path = captures_dir().join(capture);
    let file = BufReader::new(File::open(&path).expect("a bundled capture"));
    let reader = CaptureReader::new(file).expect("a capture");
    let (timeline, _, result) = timeline::load(reader, config);
    result.expect("the capture reads to the end");
    let mut app = App::new(format!("captures/{capture}"));
    app.color = false;
    app.timeline = timeline;
    app
}

/// Keys as a user types them: `<Down>`, `<Enter>`, `<Tab>`, `<Esc>`, or plain characters.
fn press(app: &mut App, keys: &str) {
    let mut rest = keys;
    while let Some(c) = rest.chars().next() {
        let (code, len) = if c == '<' {
            let end = rest.find('>').expect("a closed <key>");
            let code = match &rest[1..end] {
                "Down" => KeyCode::Down,
                "Up" => KeyCode::Up,
                "Enter" => KeyCode::Enter,
                "Tab" => KeyCode::Tab,
                "Esc" => KeyCode::Esc,
                "End" => KeyCode::End,
                "PgDn" => KeyCode::PageDown,
                other => panic!("no key <{other}>"),
            };
            (code, end + 1)
        } else {
            (KeyCode::Char(c), c.len_utf8())
        };
        app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
        rest = &rest[len..];
    }
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal.draw(|frame| draw(frame, app)).expect("drawn");
    terminal.backend().to_string()
}

/// Renders after the keys, at both sizes, and checks both against the snapshots.
fn check(name: &str, capture: &str, keys: &str) {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut app = app_for(capture);
        // A first frame lays the panes out, as on a real screen, before keys arrive.
        render(&mut app, width, height);
        press(&mut app, keys);
        let screen = render(&mut app, width, height);
        insta::assert_snapshot!(format!("tui_{name}_{width}x{height}"), screen);
    }
}

#[test]
fn with_its_key_log_the_tls_row_opens_to_the_handshake_and_rows_inside_say_decrypted() {
    // captures/29: the greeting, CAPA, CAPA and STLS in the clear (rows 0–6), the TLS row (7),
    // then TLS 1.2.
    let keylog = std::fs::read_to_string(captures_dir().join("29-tls12-chacha20.keylog")).unwrap();
    let mut config = Config::default();
    config.session.keylog = Some(std::sync::Arc::new(pop3scope::tls::KeyLog::complete(&keylog)));
    for (width, height) in [(80, 24), (160, 48)] {
        let mut app = app_with("29-tls12-chacha20.pcap", &config);
        render(&mut app, width, height);
        press(&mut app, "jjjjjjj<Enter>");
        let screen = render(&mut app, width, height);
        insta::assert_snapshot!(format!("tui_tls_row_{width}x{height}"), screen);
    }
}

#[test]
fn with_the_side_pane_open_j_and_k_move_the_row_in_sight_and_paging_scrolls_the_detail() {
    // 80 columns: the side pane takes the conversation's place.
    let mut app = app_for("01-full-session.pcap");
    render(&mut app, 80, 24);
    press(&mut app, "jjj<Enter>");
    let before = render(&mut app, 80, 24);
    assert!(
        before.contains("C: USER alice"),
        "the selected row is in sight:\n{before}"
    );
    press(&mut app, "j");
    let after = render(&mut app, 80, 24);
    assert_eq!(app.line, 4, "j moved the row with the detail open");
    assert!(after.contains("S: +OK"), "{after}");
    press(&mut app, "<PgDn>");
    assert_eq!(app.line, 4, "PgDn scrolled the detail, not the row");
    assert!(app.detail_scroll > 0);
    insta::assert_snapshot!("tui_side_pane_selected_row_80x24", render(&mut app, 80, 24));
}

#[test]
fn f_types_a_new_filter_instead_of_adding_to_the_old_one() {
    let mut app = app_for("01-full-session.pcap");
    render(&mut app, 80, 24);
    press(&mut app, "fretr<Enter>fdele<Enter>");
    assert_eq!(
        app.filter.as_ref().map(|f| f.text.clone()),
        Some("dele".to_string())
    );
    press(&mut app, "fuidl<Esc>");
    assert_eq!(
        app.filter.as_ref().map(|f| f.text.clone()),
        Some("dele".to_string()),
        "Esc keeps it"
    );
    press(&mut app, "f<Enter>");
    assert!(app.filter.is_none(), "an empty filter clears it");
}

#[test]
fn any_key_closes_the_help_and_a_key_that_does_something_does_it() {
    let mut app = app_for("01-full-session.pcap");
    render(&mut app, 80, 24);
    press(&mut app, "?z");
    assert!(!app.help, "an unbound key closes the help");
    let line = app.line;
    press(&mut app, "?j");
    assert!(!app.help);
    assert_eq!(app.line, line + 1, "j closed the help and moved down");
    press(&mut app, "?<Esc>");
    assert!(!app.help);
    assert_eq!(app.line, line + 1, "Esc only closed it");
}

#[test]
fn the_help_shows_every_line_whole_at_80_and_160_columns() {
    for (width, height) in [(80, 24), (160, 48)] {
        let mut app = app_for("01-full-session.pcap");
        render(&mut app, width, height);
        press(&mut app, "?");
        let screen = render(&mut app, width, height);
        for (_, _, help, _) in pop3scope::tui::KEYS {
            // A line may wrap at 80 columns: its last word is there either way.
            let last = help.split_whitespace().last().unwrap();
            assert!(
                screen.contains(last),
                "{width}x{height}: {help:?} is cut:\n{screen}"
            );
        }
    }
}

#[test]
fn first_screen_shows_sessions_and_the_conversation() {
    check("first_screen", "01-full-session.pcap", "");
}

#[test]
fn selecting_a_reply_brackets_it_with_its_pipelined_command() {
    check(
        "pipelined_selection",
        "08-pipelined.pcap",
        "jjjjjjjjjjjjjjjjjjjjjjjjj",
    );
}

#[test]
fn enter_opens_the_detail_of_a_multiline_reply() {
    check("detail_retr", "01-full-session.pcap", "/RETR<Enter>j<Enter>");
}

#[test]
fn w_shows_the_reply_as_sent_with_dots_stuffed() {
    check(
        "detail_wire_view",
        "01-full-session.pcap",
        "/RETR<Enter>j<Enter>w",
    );
}

#[test]
fn the_ladder_follows_the_selection() {
    check("ladder", "08-pipelined.pcap", "jjjjjjjjjjl");
}

#[test]
fn the_mailbox_shows_marks_and_the_commit_at_quit() {
    check("mailbox_after_quit", "10-dele-rset.pcap", "<End>m");
}

#[test]
fn help_is_written_from_the_key_table() {
    check("help", "01-full-session.pcap", "?");
}

#[test]
fn a_filter_keeps_only_the_matching_rows() {
    check("filter_err", "02-wrong-password.pcap", "f-err<Enter>");
}

#[test]
fn secrets_are_masked_until_s_and_a_banner_says_when_they_show() {
    check("secrets_hidden", "04-auth-plain.pcap", "/AUTH<Enter>j<Enter>");
    check("secrets_shown", "04-auth-plain.pcap", "/AUTH<Enter>j<Enter>s");
}

#[test]
fn projector_mode_spaces_rows_and_drops_the_sessions_pane() {
    check("projector", "01-full-session.pcap", "P");
}

#[test]
fn sessions_pane_switches_session() {
    check("second_session", "18-fetchmail-delete.pcap", "<Tab><Tab>j<Tab>");
}

#[test]
fn escape_sequences_from_the_wire_never_reach_the_terminal() {
    use pop3scope::wire::synth::Conversation;
    let conversation = Conversation::new(
        "192.0.2.10:40000".parse().unwrap(),
        "192.0.2.20:110".parse().unwrap(),
    )
    .server("+OK \x1b[2J\x1b]0;owned\x07 ready\r\n")
    .client("USER \x1b[31mred\r\n")
    .server("-ERR no\r\n");
    let reader = CaptureReader::new(std::io::Cursor::new(conversation.to_pcap())).unwrap();
    let (timeline, _, _) = timeline::load(reader, &Config::default());
    let mut app = App::new("synthetic");
    app.timeline = timeline;
    for keys in ["", "<Enter>", "l", "m"] {
        press(&mut app, keys);
        let screen = render(&mut app, 160, 48);
        assert!(!screen.contains('\x1b'), "{screen}");
        assert!(screen.contains("\\x1b[2J"), "{screen}");
    }
}

#[test]
fn new_records_keep_the_selection_on_its_line() {
    use pop3scope::view::timeline::{LineKind, Record};
    let full = app_for("08-pipelined.pcap");
    // Replay the same records into a fresh app, moving the selection half-way.
    let mut records: Vec<Record> = Vec::new();
    let path = captures_dir().join("08-pipelined.pcap");
    let reader = CaptureReader::new(BufReader::new(File::open(path).unwrap())).unwrap();
    let mut engine = pop3scope::pipeline::Engine::new(Default::default());
    let mut sessions = pop3scope::session::Sessions::new(
        Default::default(),
        timeline::Recorder::new(|record| {
            records.push(record);
            true
        }),
    );
    let mut reader = reader;
    reader
        .for_each_frame(|frame| {
            engine.frame(&frame, &mut sessions);
            true
        })
        .unwrap();
    engine.finish(&mut sessions);
    drop(sessions);
    let mut app = App::new("live");
    let half = records.len() / 2;
    let mut rest = records.split_off(half);
    for record in records {
        app.push(record);
    }
    press(&mut app, "jjj");
    let chosen = app.timeline.sessions[0].lines[app.line].kind;
    for record in rest.drain(..) {
        app.push(record);
    }
    assert_eq!(app.timeline.sessions[0].lines[app.line].kind, chosen);
    assert!(matches!(chosen, LineKind::Command(_) | LineKind::Reply(_)));
    assert_eq!(app.timeline.line_count(), full.timeline.line_count());
}

fn binary() -> String {
    assert_cmd::cargo::cargo_bin("pop3scope").display().to_string()
}

#[test]
fn in_tmux_open_navigate_and_quit_restores_the_terminal() {
    let capture = captures_dir().join("08-pipelined.pcap");
    let command = format!("{} open {}", binary(), capture.display());
    let Some(tmux) = Tmux::start("quit", &command) else {
        return;
    };
    tmux.wait_for("Conversation · session 1");
    tmux.keys(&["j", "j", "j", "Enter"]);
    tmux.wait_for("EXCHANGE 2");
    tmux.keys(&["l"]);
    tmux.wait_for("server 127.0.0.1:110");
    tmux.keys(&["?"]);
    tmux.wait_for("any key closes");
    tmux.keys(&["Escape", "q"]);
    assert_restored(&tmux.wait_for("STTY-END"), 0);
}

#[test]
fn in_tmux_x_saves_the_selected_message_as_extract_would() {
    // captures/27-mime.pcap: carol's RETR 1 is the conversation's ninth line, exchange 4.
    let capture = captures_dir().join("27-mime.pcap");
    let here = tempfile::tempdir().unwrap();
    let command = format!(
        "cd {} && {} open {}",
        here.path().display(),
        binary(),
        capture.display()
    );
    let Some(tmux) = Tmux::start("save", &command) else {
        return;
    };
    tmux.wait_for("Conversation · session 1");
    tmux.keys(&["x"]);
    tmux.wait_for("x saves a retrieved message");
    tmux.keys(&["j", "j", "j", "j", "j", "j", "j", "j", "x"]);
    tmux.wait_for("saved in pop3scope-saved");
    tmux.keys(&["q"]);
    assert_restored(&tmux.wait_for("STTY-END"), 0);

    let extracted = tempfile::tempdir().unwrap();
    crate::util::bin()
        .args(["open", "--extract"])
        .arg(extracted.path())
        .arg(&capture)
        .assert()
        .success();
    let saved = here.path().join("pop3scope-saved");
    let mut names: Vec<String> = std::fs::read_dir(&saved)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "the message and its two attachments: {names:?}");
    for name in names {
        assert!(name.starts_with("s00001-x00004"), "{name}");
        assert_eq!(
            std::fs::read(saved.join(&name)).unwrap(),
            std::fs::read(extracted.path().join(&name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn in_tmux_ctrl_c_quits_and_restores_the_terminal() {
    let capture = captures_dir().join("01-full-session.pcap");
    let command = format!("{} open {}", binary(), capture.display());
    let Some(tmux) = Tmux::start("ctrl-c", &command) else {
        return;
    };
    tmux.wait_for("Conversation · session 1");
    tmux.keys(&["C-c"]);
    assert_restored(&tmux.wait_for("STTY-END"), 0);
}

#[test]
fn in_tmux_a_panic_restores_the_terminal_before_its_message() {
    let capture = captures_dir().join("01-full-session.pcap");
    let command = format!(
        "POP3SCOPE_TEST_PANIC_KEY=x {} open {}",
        binary(),
        capture.display()
    );
    let Some(tmux) = Tmux::start("panic", &command) else {
        return;
    };
    tmux.wait_for("Conversation · session 1");
    tmux.keys(&["x"]);
    let screen = tmux.wait_for("STTY-END");
    assert_restored(&screen, 2);
    assert!(screen.contains("a test of the terminal restore"), "{screen}");
}

#[test]
fn the_readme_key_table_names_every_key_of_the_real_one() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme
        .split("| keys | what they do |")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("the README has the key table");
    for (keys, _, help, _) in pop3scope::tui::KEYS {
        for key in *keys {
            let name = format!("`{}`", pop3scope::tui::key_name(*key));
            assert!(
                table.contains(&name),
                "the README's key table lacks {name} ({help})"
            );
        }
    }
}

#[test]
fn any_terminal_size_draws_without_a_panic() {
    for (width, height) in [(1, 1), (10, 4), (20, 6), (40, 10), (79, 23), (300, 100)] {
        for keys in ["", "<Enter>", "l", "m", "?", "P", "fRETR<Enter>"] {
            let mut app = app_for("08-pipelined.pcap");
            render(&mut app, width, height);
            press(&mut app, keys);
            render(&mut app, width, height);
        }
    }
}
