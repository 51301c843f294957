//! Writes the synthetic captures of captures/ (see scripts.rs for what each one shows).
//!
//! `cargo run --example make-synthetic-captures` (from the repository's root)

include!("scripts.rs");

fn main() {
    let captures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    for (name, bytes) in synthetic_captures() {
        let path = captures.join(name);
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("wrote {}", path.display());
    }
}
