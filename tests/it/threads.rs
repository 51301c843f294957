//! `open --threads N`: connections shared out over worker threads, the output the same as on
//! one thread, byte for byte and in the same order.

use std::path::{Path, PathBuf};

use crate::util::{bin, captures_dir, corpus_dir, stdout_of};

/// Every capture bundled with pop3scope.
fn captures() -> Vec<PathBuf> {
    let mut captures: Vec<PathBuf> = std::fs::read_dir(captures_dir())
        .expect("captures/")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    captures.sort();
    captures
}

/// `open` on `files` with `threads` threads and `args` besides.
fn open(files: &[PathBuf], threads: usize, args: &[&str]) -> String {
    stdout_of(
        bin()
            .args(["open", "--threads", &threads.to_string()])
            .args(args)
            .args(files),
    )
}

fn assert_same_on_one_thread_and_on(threads: usize, files: &[PathBuf], args: &[&str]) {
    let one = open(files, 1, args);
    let several = open(files, threads, args);
    assert!(
        one == several,
        "{files:?} {args:?}: {threads} threads differ from one:\n{}",
        first_difference(&one, &several)
    );
}

fn first_difference(a: &str, b: &str) -> String {
    let (line, (a, b)) = a
        .lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .unwrap_or((0, ("(one is a prefix of the other)", "")));
    format!("line {}:\n  1: {a}\n  N: {b}", line + 1)
}

#[test]
fn every_capture_reads_the_same_on_three_threads() {
    for capture in captures() {
        let file = [capture];
        assert_same_on_one_thread_and_on(3, &file, &["--json"]);
        assert_same_on_one_thread_and_on(3, &file, &["--text"]);
    }
}

#[test]
fn all_captures_merged_read_the_same_on_two_and_on_five_threads() {
    // Merged by time the captures of several days interleave: connections of one capture go
    // idle while another's run, and are closed by the clock of frames other workers take.
    let all = captures();
    for threads in [2, 5] {
        assert_same_on_one_thread_and_on(threads, &all, &["--json", "--bodies", "full"]);
        assert_same_on_one_thread_and_on(threads, &all, &["--text", "--show-secrets"]);
    }
    // Every connection followed until it shows whether it is POP3; a short idle timeout closes
    // many at once, on every worker.
    assert_same_on_one_thread_and_on(3, &all, &["--json", "--detect", "--idle-timeout", "1"]);
}

#[test]
fn decrypted_sessions_read_the_same_on_two_threads() {
    for name in [
        "07-stls",
        "22-pop3s-implicit-tls",
        "28-tls12-aes-gcm",
        "29-tls12-chacha20",
    ] {
        let capture = captures_dir().join(format!("{name}.pcap"));
        let keylog = captures_dir().join(format!("{name}.keylog"));
        let keylog = keylog.to_str().expect("a UTF-8 path");
        assert_same_on_one_thread_and_on(2, &[capture], &["--json", "--keylog", keylog]);
    }
}

#[test]
fn a_shard_reads_the_same_on_two_threads() {
    let all = captures();
    for shard in ["1/2", "2/2"] {
        assert_same_on_one_thread_and_on(2, &all, &["--json", "--shard", shard]);
    }
}

#[test]
fn a_filter_and_the_messages_extracted_are_the_same_on_two_threads() {
    let capture = [captures_dir().join("27-mime.pcap")];
    assert_same_on_one_thread_and_on(2, &capture, &["--json", "--filter", "command == RETR"]);
    let extracted = |threads: usize| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = dir.path().join("out");
        let out_arg = out.to_str().expect("a UTF-8 path").to_string();
        open(&capture, threads, &["--json", "--extract", &out_arg]);
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
            .expect("the extraction directory")
            .map(|entry| {
                let path = entry.expect("an entry").path();
                let name = path.file_name().expect("a name").to_string_lossy().into_owned();
                (name, std::fs::read(&path).expect("a file"))
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(extracted(1), extracted(2));
}

#[test]
fn the_public_corpus_reads_the_same_on_two_threads() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let mut files: Vec<PathBuf> = walk(&dir)
        .into_iter()
        .filter(|path| {
            path.extension()
                .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "cap")
        })
        .collect();
    files.sort();
    for file in files {
        let one = bin()
            .args(["open", "--json", "--threads", "1"])
            .arg(&file)
            .output();
        let two = bin()
            .args(["open", "--json", "--threads", "2"])
            .arg(&file)
            .output();
        let (one, two) = (one.expect("the binary runs"), two.expect("the binary runs"));
        assert_eq!(one.status.code(), two.status.code(), "{}", file.display());
        assert!(one.stdout == two.stdout, "{}", file.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}
