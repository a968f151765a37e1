//! The progress bar of a sweep: drawn on stderr when it is a terminal,
//! hidden otherwise (a pipe, a file, CI), so that what a sweep prints on
//! stdout is the same either way.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar of `total` seeds: `[====    ] 12/40 seeds, 3s` and a message.
pub fn bar(total: u64) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} seeds, {elapsed} {msg}") {
        bar.set_style(style);
    }
    bar
}

/// Prints `text` (a whole line or lines, with their newlines) to stdout
/// around `bar`, if there is one, so that the bar is drawn again below.
pub fn print_around(bar: Option<&ProgressBar>, text: &str) {
    match bar {
        Some(b) => b.suspend(|| print!("{text}")),
        None => print!("{text}"),
    }
}

/// Counts one more seed done on `bar`, if there is one, and says how many
/// of the seeds so far (`failed`) broke the promise once any has.
pub fn seed_done(bar: Option<&ProgressBar>, failed: u64) {
    let Some(bar) = bar else {
        return;
    };
    bar.inc(1);
    if failed > 0 {
        bar.set_message(format!("{failed} broke the promise"));
    }
}
