//! `pop3scope classroom`: a lesson every student follows and answers from their own browser.

use std::io::{self, BufRead, IsTerminal, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::ColorChoice;
use super::lesson::resolve_lang;
use crate::teach::classroom::results::Results;
use crate::teach::classroom::state::ClassConfig;
use crate::teach::classroom::web::{Limits, WebServer};
use crate::teach::classroom::{Class, Invitation, join_code};
use crate::teach::lesson::{self, Lang, Replay, Source};

#[derive(Args, Debug)]
pub(super) struct ClassroomArgs {
    /// The lesson: its number (`pop3scope lesson` lists them), its name, or the path of a
    /// lesson file (.toml).
    lesson: String,

    /// Where the students' page is served. Loopback unless --allow-remote: for a classroom
    /// network, listen on the address students can reach (or 0.0.0.0:8080).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: String,

    /// Listen on an address other than loopback, so that students' devices can connect.
    #[arg(long)]
    allow_remote: bool,

    /// Each student steps through the lesson alone (homework, a lab); you see where each is
    /// and their score.
    #[arg(long)]
    self_paced: bool,

    /// Keep the answers: a row per student and question (name, answer, right or wrong,
    /// seconds to answer), written as the lesson goes. CSV, or JSON when FILE ends in .json.
    #[arg(long, value_name = "FILE")]
    results: Option<PathBuf>,

    /// Students at most.
    #[arg(long, value_name = "N", default_value_t = 250, value_parser = clap::value_parser!(u16).range(1..=1000))]
    max_students: u16,

    /// The language of the lesson and the page: en or zh. Default: from LC_ALL, LC_MESSAGES
    /// or LANG.
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,

    /// Start in projector mode: high contrast, bold, spaced rows (P switches it).
    #[arg(long)]
    projector: bool,

    /// Colour: auto (unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
}

pub(super) fn classroom(args: ClassroomArgs) -> anyhow::Result<()> {
    let lang = resolve_lang(args.lang.as_deref())?;
    let source = Source::find(&args.lesson)?;
    let (lesson, timeline) =
        lesson::load(&source).map_err(|problems| anyhow::Error::msg(problems.join("\n")))?;
    let listen = args
        .listen
        .to_socket_addrs()
        .with_context(|| format!("--listen {}: not an ADDR:PORT", args.listen))?
        .next()
        .with_context(|| format!("--listen {}: no address", args.listen))?;
    if !listen.ip().is_loopback() && !args.allow_remote {
        anyhow::bail!(
            "refusing to listen on {listen}: students on the network could reach the class; \
             use a loopback address, or add --allow-remote for a classroom network"
        );
    }
    let listener =
        std::net::TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let address = listener.local_addr()?;
    let code = join_code().context("no random source for the join code")?;
    let url = format!("http://{}/", reachable(address));
    let results = match &args.results {
        Some(path) => {
            Some(Results::create(path).with_context(|| format!("cannot write {}", path.display()))?)
        }
        None => None,
    };
    let config = ClassConfig {
        code: code.clone(),
        max_students: usize::from(args.max_students),
        self_paced: args.self_paced,
    };
    let class = Class::new(&lesson, &timeline, lang, config, results);
    let limits = Limits {
        connections: 2 * usize::from(args.max_students) + 64,
    };
    let _server = WebServer::start(class.clone(), listener, limits).context("cannot start the web server")?;
    let invitation = Invitation::new(url.clone(), code.clone());
    let mut err = io::stderr().lock();
    writeln!(
        err,
        "pop3scope classroom: students open {url} and join with code {code}"
    )?;
    if io::stderr().is_terminal() {
        for line in &invitation.qr {
            writeln!(err, "{line}")?;
        }
    }
    drop(err);
    let number = match source {
        Source::Bundled(index) => Some(index + 1),
        Source::Path(_) => None,
    };
    let replay = Replay::new(lesson);
    if io::stdout().is_terminal() && io::stdin().is_terminal() {
        let mut app = crate::tui::App::new(source.name());
        app.projector = args.projector;
        app.color = args.color.resolve(true);
        app.timeline = timeline;
        app.start_lesson(replay, lang, number);
        app.attach_class(class, invitation);
        let (_, records) = std::sync::mpsc::channel();
        crate::tui::run(app, records).context("the terminal")?;
        Ok(())
    } else {
        console(replay, &class, lang)
    }
}

/// The address students type: a wildcard listen address is reached through the first
/// interface that is up and not loopback.
fn reachable(address: SocketAddr) -> SocketAddr {
    if !address.ip().is_unspecified() {
        return address;
    }
    #[cfg(unix)]
    let found = crate::capture::live::interfaces().ok().and_then(|list| {
        list.into_iter()
            .filter(|i| i.up && !i.loopback)
            .flat_map(|i| i.addresses)
            .find(IpAddr::is_ipv4)
    });
    #[cfg(not(unix))]
    let found = None;
    SocketAddr::new(found.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)), address.port())
}

/// The teacher's side without a terminal (a script, a screen reader): a command per line on
/// standard input — `next`, `back`, `reveal`, `go N`, `tally`, `quit` — and the class's state
/// as lines on standard output.
fn console(mut replay: Replay, class: &Class, lang: Lang) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    class.follow(&replay);
    let self_paced = class.room().config().self_paced;
    if self_paced {
        writeln!(
            out,
            "self-paced: the students step alone; tally shows where each is"
        )?;
    } else {
        say_step(&mut out, &replay, lang)?;
    }
    for line in io::stdin().lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        let command = words.next();
        if self_paced
            && matches!(
                command,
                Some("next" | "n" | "back" | "b" | "reveal" | "r" | "go" | "g")
            )
        {
            writeln!(
                out,
                "self-paced: the students step alone; tally shows where each is"
            )?;
            continue;
        }
        match command {
            Some("next" | "n") => replay.next(),
            Some("back" | "b") => replay.back(),
            Some("reveal" | "r") => replay.reveal(),
            Some("go" | "g") => {
                let number = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                if !replay.jump(number) {
                    writeln!(out, "no step {number}: the steps are 1 to {}", replay.steps())?;
                    continue;
                }
            }
            Some("tally" | "t") => {
                say_tally(&mut out, class)?;
                continue;
            }
            Some("quit" | "q") => break,
            None => continue,
            Some(other) => {
                writeln!(
                    out,
                    "unknown command {other:?}: next, back, reveal, go N, tally, quit"
                )?;
                continue;
            }
        }
        class.follow(&replay);
        say_step(&mut out, &replay, lang)?;
    }
    Ok(())
}

fn say_step(out: &mut impl Write, replay: &Replay, lang: Lang) -> io::Result<()> {
    if replay.finished {
        writeln!(out, "end of the lesson")?;
    } else {
        let revealed = if replay.revealed[replay.step] {
            " (revealed)"
        } else {
            ""
        };
        let question = replay
            .question()
            .map(|q| format!(": {}", q.ask.get(lang)))
            .unwrap_or_default();
        writeln!(
            out,
            "step {} of {}{revealed}{question}",
            replay.step + 1,
            replay.steps()
        )?;
    }
    out.flush()
}

fn say_tally(out: &mut impl Write, class: &Class) -> io::Result<()> {
    if class.room().config().self_paced {
        // Each student steps alone: where each is, and their score.
        let progress = class.room().progress();
        let students: Vec<String> = progress
            .iter()
            .map(|(name, step, finished, right, asked)| {
                let at = if *finished {
                    "the end".to_string()
                } else {
                    format!("step {}", step + 1)
                };
                format!(
                    "{} at {at}, {right}/{asked} right",
                    crate::base::escape(name.as_bytes())
                )
            })
            .collect();
        writeln!(out, "{} students: {}", progress.len(), students.join("; "))?;
        return out.flush();
    }
    let tally = class.tally();
    let choices: Vec<String> = tally
        .per_choice
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{}) {n}", i + 1))
        .chain(tally.numbers.iter().map(|(number, n)| format!("{number}: {n}")))
        .collect();
    let waiting: Vec<String> = tally
        .waiting
        .iter()
        .map(|n| crate::base::escape(n.as_bytes()))
        .collect();
    let waiting = if waiting.is_empty() {
        "nobody".to_string()
    } else {
        waiting.join(", ")
    };
    writeln!(
        out,
        "answered {} of {}; {}; waiting: {waiting}",
        tally.answered,
        tally.students,
        choices.join(" "),
    )?;
    out.flush()
}
