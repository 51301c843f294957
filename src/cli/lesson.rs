//! `pop3scope lesson`: the class view, plain text, handouts and the lesson checker.

use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::ColorChoice;

#[derive(Args, Debug)]
pub(super) struct LessonArgs {
    /// The lesson: its number (`pop3scope lesson` lists them), its name, or the path of a lesson
    /// file (.toml). With
    /// --check, any number of lesson files (none: every built-in lesson).
    lesson: Vec<String>,

    /// Print the lesson as numbered text, the answers at the end (the default when standard
    /// output is not a terminal): a handout, or for a screen reader.
    #[arg(long)]
    plain: bool,

    /// Write the lesson as a handout in FORMAT (md: Markdown, with the ladder diagram).
    #[arg(long, value_name = "FORMAT", value_parser = ["md"])]
    export: Option<String>,

    /// With --export: the teacher's key (each answer and its reasons after the question, the
    /// hidden rows, what to look at on screen, the teacher's notes) instead of the students'
    /// handout (no answers).
    #[arg(long, requires = "export")]
    key: bool,

    /// Write the plain text (or the --export handout) to FILE instead of standard output
    /// (`-`: standard output). Implies --plain without --export.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,

    /// The language of the lesson: en or zh. Default: from LC_ALL, LC_MESSAGES or LANG.
    #[arg(long, value_name = "LANG")]
    lang: Option<String>,

    /// Check lesson files instead: the format, that every step names exactly one moment of its
    /// capture, that every question has one right answer. Errors name the file and the step.
    #[arg(long)]
    check: bool,

    /// Start in projector mode: high contrast, bold, spaced rows (P switches it).
    #[arg(long)]
    projector: bool,

    /// Colour: auto (unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
}

pub(super) fn lesson(args: LessonArgs) -> anyhow::Result<()> {
    use crate::teach::lesson::{self, BUNDLED, Lang, Replay, Source};
    let lang = resolve_lang(args.lang.as_deref())?;
    if args.check {
        let sources: Vec<Source> = if args.lesson.is_empty() {
            (0..BUNDLED.len()).map(Source::Bundled).collect()
        } else {
            args.lesson
                .iter()
                .map(|name| Source::find(name))
                .collect::<Result<_, _>>()?
        };
        let mut out = io::stdout().lock();
        let mut failed = 0;
        for source in &sources {
            let problems = lesson::check(source);
            if problems.is_empty() {
                writeln!(out, "ok    {}", source.name())?;
                if let Ok((lesson, timeline)) = lesson::load(source) {
                    for warning in lesson::answers_on_screen(&lesson, &timeline) {
                        eprintln!("pop3scope: warning: {}: {warning}", source.name());
                    }
                }
            } else {
                failed += 1;
                for problem in problems {
                    eprintln!("pop3scope: {problem}");
                }
            }
        }
        if failed > 0 {
            anyhow::bail!("{failed} of {} lesson files have problems", sources.len());
        }
        return Ok(());
    }
    let [name] = args.lesson.as_slice() else {
        if args.lesson.len() > 1 {
            anyhow::bail!("one lesson at a time (--check takes several)");
        }
        let mut out = io::stdout().lock();
        for (i, (_, text)) in BUNDLED.iter().enumerate() {
            let file = lesson::LessonFile::parse(text)?;
            writeln!(out, "{:>3}  {}", i + 1, file.title.get(lang))?;
        }
        let hint = match lang {
            Lang::En => "pop3scope lesson N opens lesson N; --plain prints it; --lang zh for Chinese",
            Lang::Zh => "pop3scope lesson N 打开第 N 课；--plain 输出纯文本；--lang en 切换为英文",
        };
        writeln!(out, "\n{hint}")?;
        return Ok(());
    };
    let source = Source::find(name)?;
    let (lesson, timeline) =
        lesson::load(&source).map_err(|problems| anyhow::Error::msg(problems.join("\n")))?;
    let number = match source {
        Source::Bundled(index) => Some(index + 1),
        Source::Path(_) => None,
    };
    let output = |path: Option<&Path>| -> anyhow::Result<Box<dyn Write>> {
        Ok(match path.filter(|p| *p != Path::new("-")) {
            Some(path) => Box::new(io::BufWriter::new(
                File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
            )),
            None => Box::new(io::BufWriter::new(io::stdout().lock())),
        })
    };
    if args.export.is_some() {
        let mut out = output(args.output.as_deref())?;
        let handout = if args.key {
            lesson::plain::Handout::Key
        } else {
            lesson::plain::Handout::Student
        };
        lesson::plain::markdown(&mut out, &lesson, &timeline, number, lang, handout)?;
        out.flush()?;
        return Ok(());
    }
    if args.plain || args.output.is_some() || !io::stdout().is_terminal() {
        let mut out = output(args.output.as_deref())?;
        lesson::plain::plain(&mut out, &lesson, &timeline, number, lang)?;
        out.flush()?;
        return Ok(());
    }
    let mut app = crate::tui::App::new(source.name());
    app.projector = args.projector;
    app.color = args.color.resolve(true);
    app.timeline = timeline;
    app.start_lesson(Replay::new(lesson), lang, number);
    // Everything is read already: the feed is closed from the start.
    let (_, records) = std::sync::mpsc::channel();
    crate::tui::run(app, records).context("the terminal")?;
    Ok(())
}

/// `--lang`, else the language of the environment.
pub(super) fn resolve_lang(lang: Option<&str>) -> anyhow::Result<crate::teach::lesson::Lang> {
    use crate::teach::lesson::Lang;
    match lang {
        Some(text) => Lang::parse(text)
            .with_context(|| format!("--lang {text}: the lessons are in en (English) and zh (Chinese)")),
        None => Ok(Lang::from_env()),
    }
}
