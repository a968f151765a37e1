//! What `--explain` tells of one verdict: its story. A rig tells its
//! records' stories in its own words ([`crate::rig::Rig::stories`]); the
//! harness prints every story the same way, as text or as JSON lines
//! ([`crate::triage::trace_format::TraceFormat::story`]).
//!
//! A story is a header (the subject, its verdict and why), a timeline of
//! what happened to it (when, on which node or store, in words) and the
//! closing lines (what each place served at the check, which faults ended
//! its copies, where its last copy went).

use serde_json::Value;
use sim::outcome::Verdict;
use sim::time::SimTime;
use std::fmt;

/// The story of one verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Story {
    /// The verdict: its kind, its subject (the record or place) and why.
    pub verdict: Verdict,
    /// What happened to the subject, in simulated-time order.
    pub lines: Vec<StoryLine>,
    /// How the story ends, in [`Closing`] order.
    pub closing: Vec<(Closing, String)>,
}

/// One line of a story's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoryLine {
    /// When, in simulated time.
    pub at: SimTime,
    /// The node or store it happened on, if it happened on one.
    pub node: Option<String>,
    /// What happened, in words.
    pub text: String,
}

/// A closing line of a story: what it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Closing {
    /// What each place the subject's owner reads served at the check.
    AtCheck,
    /// The planned faults that ended a copy of the subject.
    Faults,
    /// Where the last copy of the subject's latest acknowledged version
    /// went.
    LastCopy,
}

impl Closing {
    /// Its `part` in the JSON form.
    pub fn part(self) -> &'static str {
        match self {
            Closing::AtCheck => "at-check",
            Closing::Faults => "faults",
            Closing::LastCopy => "last-copy",
        }
    }
}

impl fmt::Display for Closing {
    /// Its label in the text form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Closing::AtCheck => "at the check",
            Closing::Faults => "faults that ended its copies",
            Closing::LastCopy => "last copy",
        })
    }
}

impl Story {
    /// A story of `verdict` with no line yet.
    pub fn of(verdict: &Verdict) -> Story {
        Story {
            verdict: verdict.clone(),
            lines: Vec::new(),
            closing: Vec::new(),
        }
    }

    /// What the closing line `which` says, if the story has one.
    pub fn closing(&self, which: Closing) -> Option<&str> {
        self.closing
            .iter()
            .find(|(c, _)| *c == which)
            .map(|(_, text)| text.as_str())
    }

    /// The story as JSON objects, one per line (each with its `record`, its
    /// `part`: `verdict`, `line` or a [`Closing::part`], and its
    /// `message`; a verdict also has its `verdict`, a timeline line its
    /// `at`, `at_ms` and `node`).
    pub fn json_lines(&self) -> Vec<String> {
        let record = self.verdict.subject.as_str();
        let mut out = vec![object(&[
            ("message", self.verdict.detail.as_str().into()),
            ("record", record.into()),
            ("part", "verdict".into()),
            ("verdict", self.verdict.kind.to_string().into()),
        ])];
        out.extend(self.lines.iter().map(|l| {
            object(&[
                ("message", l.text.as_str().into()),
                ("record", record.into()),
                ("part", "line".into()),
                ("at", l.at.to_string().into()),
                ("at_ms", l.at.as_millis().into()),
                ("node", l.node.as_deref().into()),
            ])
        }));
        out.extend(self.closing.iter().map(|(c, text)| {
            object(&[
                ("message", text.as_str().into()),
                ("record", record.into()),
                ("part", c.part().into()),
            ])
        }));
        out
    }
}

/// One JSON object of `fields`, in their order (as the trace's JSON
/// events are: `message` first).
fn object(fields: &[(&str, Value)]) -> String {
    let each: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", Value::from(*k)))
        .collect();
    format!("{{{}}}", each.join(","))
}

impl fmt::Display for Story {
    /// The text form: the header, then each line and closing line indented.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.verdict;
        writeln!(f, "{}: {} ({})", v.subject, v.kind, v.detail)?;
        for l in &self.lines {
            match &l.node {
                Some(node) => writeln!(f, "  {}  {node}: {}", l.at, l.text)?,
                None => writeln!(f, "  {}  {}", l.at, l.text)?,
            }
        }
        for (c, text) in &self.closing {
            writeln!(f, "  {c}: {text}")?;
        }
        Ok(())
    }
}

/// `stories` in the text form, a blank line between two.
pub fn text(stories: &[Story]) -> String {
    let told: Vec<String> = stories.iter().map(Story::to_string).collect();
    told.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::outcome::VerdictKind;

    fn story() -> Story {
        let mut s = Story::of(&Verdict {
            kind: VerdictKind::Lost,
            subject: "u0/a".into(),
            detail: "acknowledged w0.1 but no place serves any version".into(),
        });
        s.lines.push(StoryLine {
            at: SimTime::from_millis(1000),
            node: Some("client-0".into()),
            text: "the user wrote w0.1".into(),
        });
        s.lines.push(StoryLine {
            at: SimTime::from_millis(2000),
            node: None,
            text: "version w0.1 written".into(),
        });
        s.closing.push((Closing::LastCopy, "none ended".into()));
        s
    }

    #[test]
    fn the_text_form_is_a_header_and_indented_lines() {
        assert_eq!(
            story().to_string(),
            "u0/a: lost (acknowledged w0.1 but no place serves any version)\n\
             \x20 0d 00:00:01.000  client-0: the user wrote w0.1\n\
             \x20 0d 00:00:02.000  version w0.1 written\n\
             \x20 last copy: none ended\n"
        );
        let two = text(&[story(), story()]);
        assert!(two.contains("none ended\n\nu0/a: lost"), "{two}");
    }

    #[test]
    fn the_json_form_is_one_object_per_line_with_its_part() {
        let lines = story().json_lines();
        let parts: Vec<String> = lines
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert_eq!(v["record"], "u0/a");
                v["part"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(parts, ["verdict", "line", "line", "last-copy"]);
        assert!(
            lines[0].starts_with(r#"{"message":"acknowledged w0.1"#),
            "{}",
            lines[0]
        );
        let first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["verdict"], "lost");
        let line: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(line["at_ms"], 1000);
        assert_eq!(line["node"], "client-0");
    }
}
