//! The parse floor of `bench/compare.sh`: the least any span-keeping YAML tool must do with
//! the same bytes. Reads the files `kubenudge check` would read (same discovery) and runs
//! saphyr's event parser with spans over each, keeping nothing. Prints events and bytes.
//!
//! `cargo run --release --example parse_floor -- PATH...`

use std::path::PathBuf;

use saphyr_parser::Parser;

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let files = kubenudge::cli::collect_files(&paths).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let (mut events, mut bytes) = (0usize, 0usize);
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        bytes += text.len();
        for event in Parser::new_from_str(&text) {
            match event {
                Ok((_event, span)) => events += usize::from(span.start.index() <= span.end.index()),
                Err(_) => break,
            }
        }
    }
    println!("{events} events in {bytes} bytes");
}
