//! The results a teacher keeps: a row per student and question, written as the lesson goes.
//!
//! Contract: every answer is on disk when [`Results::record`] returns — CSV is appended and
//! flushed, JSON is rewritten whole to a temporary file and renamed over the old one — so a
//! crash loses nothing already answered and never leaves half a file. CSV fields are quoted
//! (RFC 4180), and a field a spreadsheet would take for a formula (`=`, `+`, `-`, `@` first) is
//! kept as text.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

/// One answer, as the results file keeps it.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ResultRow {
    /// The student's name as the class shows it.
    pub name: String,
    /// 1-based step of the question.
    pub step: usize,
    /// The question.
    pub question: String,
    /// The choice the student took.
    pub answer: String,
    /// It was the right one.
    pub right: bool,
    /// Seconds from the step reaching the student to the answer.
    pub seconds: f64,
}

/// CSV or JSON, by the file's extension.
#[derive(Debug)]
enum Sink {
    Csv(File),
    Json { path: PathBuf, rows: Vec<ResultRow> },
}

/// The results file of a class.
#[derive(Debug)]
pub struct Results {
    sink: Sink,
}

impl Results {
    /// Creates (or empties) the file: JSON when its name ends in `.json`, CSV otherwise.
    pub fn create(path: &Path) -> io::Result<Results> {
        let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let sink = if json {
            write_json(path, &[])?;
            Sink::Json {
                path: path.to_path_buf(),
                rows: Vec::new(),
            }
        } else {
            let mut file = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .open(path)?;
            file.write_all(b"name,step,question,answer,right,seconds\r\n")?;
            file.flush()?;
            Sink::Csv(file)
        };
        Ok(Results { sink })
    }

    /// Writes one answer through to the disk.
    pub fn record(&mut self, row: ResultRow) -> io::Result<()> {
        match &mut self.sink {
            Sink::Csv(file) => {
                let line = format!(
                    "{},{},{},{},{},{:.1}\r\n",
                    csv_field(&row.name),
                    row.step,
                    csv_field(&row.question),
                    csv_field(&row.answer),
                    row.right,
                    row.seconds
                );
                file.write_all(line.as_bytes())?;
                file.flush()
            }
            Sink::Json { path, rows } => {
                rows.push(row);
                write_json(path, rows)
            }
        }
    }
}

/// A CSV field, quoted, its quotes doubled, and a leading formula character neutralised.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn write_json(path: &Path, rows: &[ResultRow]) -> io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".part");
    let temporary = PathBuf::from(temporary);
    let mut file = File::create(&temporary)?;
    serde_json::to_writer_pretty(&mut file, rows)?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str) -> ResultRow {
        ResultRow {
            name: name.to_string(),
            step: 3,
            question: "What does \"+OK\" mean?".to_string(),
            answer: "success".to_string(),
            right: true,
            seconds: 4.25,
        }
    }

    #[test]
    fn csv_rows_are_quoted_and_formulas_stay_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.csv");
        let mut results = Results::create(&path).unwrap();
        results.record(row("Ann")).unwrap();
        results.record(row("=HYPERLINK(\"x\")")).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "name,step,question,answer,right,seconds\r\n\
             \"Ann\",3,\"What does \"\"+OK\"\" mean?\",\"success\",true,4.2\r\n\
             \"'=HYPERLINK(\"\"x\"\")\",3,\"What does \"\"+OK\"\" mean?\",\"success\",true,4.2\r\n"
        );
    }

    #[test]
    fn json_is_a_whole_array_after_every_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let mut results = Results::create(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap().trim(), "[]");
        results.record(row("Ann")).unwrap();
        results.record(row("Bob")).unwrap();
        let rows: Vec<serde_json::Value> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["name"], "Bob");
        assert_eq!(rows[1]["right"], true);
    }
}
