//! The captures recorded for this project (captures/README.md says how): each flow listing is a
//! reviewed golden snapshot.

use crate::util::{bin, captures_dir};

#[test]
fn every_capture_lists_its_flows() {
    let mut files: Vec<_> = std::fs::read_dir(captures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    assert!(files.len() >= 12);
    for path in files {
        let output = bin().arg("open").arg(&path).arg("--flows").output().unwrap();
        assert!(output.status.success(), "{}", path.display());
        let text = format!(
            "{}--- stderr ---\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let stem = path
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .replace(['-', '.'], "_");
        insta::assert_snapshot!(format!("capture_flows__{stem}"), text);
    }
}
