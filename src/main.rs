//! The `pop3scope` binary: everything lives in the library; see `pop3scope::cli`.

fn main() -> std::process::ExitCode {
    pop3scope::cli::main()
}
