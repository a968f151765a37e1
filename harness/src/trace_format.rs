//! How `replay` prints trace events: `pretty`, one line per event as the
//! trace displays it, or `json`, one object per event for tools
//! ([`sim::trace::Event::to_json`]: tracing-subscriber's flattened shape).
//! The format chooses only how events print, never which.

use sim::trace::Event;

/// How trace events (and explanation lines) are printed.
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

    /// One line of an explanation of `record` (`part` says which:
    /// `verdict`, `line`), as this format prints it, without its newline.
    pub fn explanation_line(self, record: &str, part: &str, text: &str) -> String {
        match self {
            TraceFormat::Pretty => text.to_string(),
            TraceFormat::Json => serde_json::json!({
                "message": text,
                "record": record,
                "part": part,
            })
            .to_string(),
        }
    }
}
