//! The key-value system's command line (wired once the harness's CLI lands).

fn main() {
    eprintln!("lastcopy-kv: the harness's CLI is not available yet");
    std::process::exit(2);
}
