//! The results a teacher keeps: a row per student and question, written as the lesson goes.
//!
//! Contract: every answer is in the file when [`Results::record`] returns, so a crash loses
//! nothing already answered; a file that exists is continued, never emptied. CSV rows are
//! appended; JSON stays a whole array after every answer (the row is written over the closing
//! bracket, which follows it again), so each answer costs the same however many came before.
//! CSV fields are quoted (RFC 4180), and a name a spreadsheet would take for a formula (`=`,
//! `+`, `-`, `@` first) is kept as text.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;

/// One answer, as the results file keeps it.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
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
enum Format {
    Csv,
    Json,
}

/// The results file of a class.
#[derive(Debug)]
pub struct Results {
    file: File,
    format: Format,
    /// JSON: rows written so far (the next one needs a comma before it).
    rows: usize,
}

/// What closes a JSON array: overwritten by the next row, so the file is always a whole array.
const JSON_END: &[u8] = b"\n]\n";

impl Results {
    /// Opens the file, or creates it: JSON when its name ends in `.json`, CSV otherwise. An
    /// existing file is continued, never emptied (a class started again after a crash keeps
    /// what was answered); a JSON file that is not an array of rows is refused.
    pub fn create(path: &Path) -> io::Result<Results> {
        let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(!json)
            .write(true)
            .open(path)?;
        let length = file.metadata()?.len();
        if !json {
            if length == 0 {
                file.write_all(b"name,step,question,answer,right,seconds\r\n")?;
                file.flush()?;
            }
            return Ok(Results {
                file,
                format: Format::Csv,
                rows: 0,
            });
        }
        let rows = if length == 0 {
            file.write_all(b"[")?;
            file.write_all(JSON_END)?;
            0
        } else {
            let existing: Vec<ResultRow> =
                serde_json::from_reader(io::BufReader::new(&file)).map_err(|error| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("not a results file of pop3scope: {error}"),
                    )
                })?;
            existing.len()
        };
        file.flush()?;
        Ok(Results {
            file,
            format: Format::Json,
            rows,
        })
    }

    /// Writes one answer through to the file.
    pub fn record(&mut self, row: ResultRow) -> io::Result<()> {
        match self.format {
            Format::Csv => {
                let line = format!(
                    "{},{},{},{},{},{:.1}\r\n",
                    csv_field(&row.name, true),
                    row.step,
                    csv_field(&row.question, false),
                    csv_field(&row.answer, false),
                    row.right,
                    row.seconds
                );
                self.file.write_all(line.as_bytes())?;
            }
            Format::Json => {
                // Over the closing bracket: the row, and the bracket again.
                let end = self.file.seek(SeekFrom::End(0))?;
                let back = find_array_end(&mut self.file, end)?;
                self.file.seek(SeekFrom::Start(back))?;
                let mut text = if self.rows == 0 {
                    b"\n  ".to_vec()
                } else {
                    b",\n  ".to_vec()
                };
                serde_json::to_writer(&mut text, &row)?;
                text.extend_from_slice(JSON_END);
                self.file.write_all(&text)?;
                self.file.set_len(back + text.len() as u64)?;
                self.rows += 1;
            }
        }
        self.file.flush()
    }
}

/// Where the closing `]` of the array (and the white space before it) begins.
fn find_array_end(file: &mut File, end: u64) -> io::Result<u64> {
    let tail = end.min(64);
    file.seek(SeekFrom::Start(end - tail))?;
    let mut bytes = vec![0; tail as usize];
    file.read_exact(&mut bytes)?;
    let bracket = bytes.iter().rposition(|&b| b == b']').ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the results file does not end its array",
        )
    })?;
    let start = bytes[..bracket]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    Ok(end - tail + start as u64)
}

/// A CSV field, quoted, its quotes doubled; a name that a spreadsheet would take for a
/// formula (`=`, `+`, `-`, `@` first) is kept as text. (The lesson's own texts are trusted.)
fn csv_field(text: &str, guard: bool) -> String {
    let text = if guard && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", text.replace('"', "\"\""))
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

    use std::fs;

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
        // Started again, the class continues the file.
        let mut again = Results::create(&path).unwrap();
        again.record(row("Bob")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap().lines().count(), 4);
    }

    #[test]
    fn json_is_a_whole_array_after_every_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.json");
        let mut results = Results::create(&path).unwrap();
        let empty: Vec<ResultRow> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert!(empty.is_empty());
        results.record(row("Ann")).unwrap();
        let rows: Vec<serde_json::Value> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(rows.len(), 1);
        results.record(row("Bob")).unwrap();
        drop(results);
        // Started again, the class continues the array.
        Results::create(&path).unwrap().record(row("Cy")).unwrap();
        let rows: Vec<serde_json::Value> = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1]["name"], "Bob");
        assert_eq!(rows[2]["name"], "Cy");
        assert_eq!(rows[1]["right"], true);
    }
}
