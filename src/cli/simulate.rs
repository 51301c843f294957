//! `pop3scope simulate`: a script becomes a capture file.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

pub(super) const SCRIPT_HELP: &str = "Script lines:\n  \
    S: +OK ready           a server line (CRLF added)      C: USER alice   a client line\n  \
    S! bytes\\r\\n         bytes as written (\\r \\n \\t \\\\ \\xNN)\n  \
    client ADDR:PORT       server ADDR:PORT                link ethernet|sll|sll2|null|loop|raw\n  \
    mss N                  mid-session                     end fin|rst|open\n  \
    wait SECS              @drop N   @duplicate N   @reorder   (the next turn's segments)\n  \
    --                     ends a turn                     next-session   a new connection\n  \
    C! bytes               client bytes as written         # a comment\n\n\
Example:\n  \
    printf 'C: USER alice\\nC: PASS wonderland\\nC: STAT\\nC: QUIT\\n' | pop3scope simulate --from-session - -o demo.pcap";

#[derive(Args, Debug)]
pub(super) struct SimulateArgs {
    /// The script; `-` reads standard input.
    script: PathBuf,

    /// The capture file to write (pcap); `-` writes it to standard output
    /// (`pop3scope simulate demo.pop3 -o - | pop3scope open -`).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// The script holds only the client's lines: pop3scope's teaching server (its built-in demo
    /// mailboxes) answers them.
    #[arg(long)]
    from_session: bool,
}

pub(super) fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let name = args.script.display().to_string();
    let text = if args.script == Path::new("-") {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the script")?;
        text
    } else {
        fs::read_to_string(&args.script).with_context(|| format!("cannot read {name}"))?
    };
    let script =
        crate::teach::simulate::Script::parse(&text, args.from_session).with_context(|| name.clone())?;
    let capture = script.capture().with_context(|| name.clone())?;
    if args.output == Path::new("-") {
        let mut out = io::stdout().lock();
        if out.is_terminal() {
            anyhow::bail!("-o - would write a binary capture to the terminal: pipe it or name a file");
        }
        return match out.write_all(&capture).and_then(|()| out.flush()) {
            // A reader that has seen enough is no error (as `| head`).
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            result => result.context("cannot write the capture to standard output"),
        };
    }
    fs::write(&args.output, capture).with_context(|| format!("cannot write {}", args.output.display()))?;
    Ok(())
}
