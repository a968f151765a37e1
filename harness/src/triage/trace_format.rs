//! How `replay` prints trace events: `pretty`, one line per event as the
//! trace displays it, or `json`, one object per event for tools
//! ([`sim::trace::Event::to_json`]: tracing-subscriber's flattened shape).
//! The format chooses only how events print, never which.

use crate::triage::story::Story;
use sim::trace::Event;

/// How trace events (and stories) are printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceFormat {
    /// One line per event, as the trace displays it.
    #[default]
    Pretty,
    /// One JSON object per event (tracing-subscriber's flattened JSON:
    /// `message`, `at`, `at_ms`, `node`, `kind`, and `fields` as an object
    /// of typed values), for tools; the plan, verdict and hash lines stay
    /// as they are.
    Json,
}

impl TraceFormat {
    /// `e` as one line of this format, without its newline.
    pub fn event_line(self, e: &Event) -> String {
        match self {
            TraceFormat::Pretty => e.to_string(),
            TraceFormat::Json => e.to_json(),
        }
    }

    /// `story` as this format prints it: its text form, or one JSON
    /// object per line ([`Story::json_lines`]); ends in a newline.
    pub fn story(self, story: &Story) -> String {
        match self {
            TraceFormat::Pretty => story.to_string(),
            TraceFormat::Json => story
                .json_lines()
                .iter()
                .map(|l| format!("{l}\n"))
                .collect(),
        }
    }

    /// `stories` as this format prints them: in the text form a blank
    /// line between two ([`crate::triage::story::text`]).
    pub fn stories(self, stories: &[Story]) -> String {
        match self {
            TraceFormat::Pretty => crate::triage::story::text(stories),
            TraceFormat::Json => stories.iter().map(|s| self.story(s)).collect(),
        }
    }
}
