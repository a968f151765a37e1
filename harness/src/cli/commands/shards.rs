//! `run --shard K/N --results FILE`: which seeds of the range this run
//! takes, and the results file it writes for `merge`, both checked before
//! any seed runs.

use crate::case::Case;
use crate::cli::build_identity::BinaryIdentity;
use crate::cli::output::{check_target, FileTarget};
use crate::cli::Program;
use crate::rig::Rig;
use crate::sweep::results::{LinesWriter, ResultLine, RunInfo};
use crate::sweep::seed_range::SeedRange;
use crate::sweep::shard::{Shard, INDEX_ENV};
use sim::outcome::SeedOutcome;
use std::path::{Path, PathBuf};

/// A run's share of its range and where its results go.
pub(crate) struct Shards {
    range: SeedRange,
    shard: Shard,
    /// With `--results`: the file (checked), and what each line says of
    /// the run and the build.
    results: Option<(String, FileTarget, RunInfo, BinaryIdentity)>,
}

impl Shards {
    /// Parses `--shard` (K/N or auto/N) and checks the `--results` file
    /// can be written (and is none of `case`'s inputs); its lines will say
    /// the run is `case` over `range` under `max_work`.
    pub(crate) fn check<R: Rig>(
        program: &Program,
        case: &Case<R>,
        range: SeedRange,
        shard: &Option<String>,
        results: &Option<String>,
        max_work: Option<u64>,
    ) -> Result<Self, String> {
        let shard = match shard {
            Some(s) => Shard::parse(s, std::env::var(INDEX_ENV).ok().as_deref())?,
            None => Shard::ALL,
        };
        let plan = case.plan.as_ref().map(|(path, _)| path.clone());
        let results = match results {
            Some(path) => {
                let inputs = std::iter::once(case.spec.as_str()).chain(plan.as_deref());
                let target =
                    check_target(Path::new(path), inputs).map_err(|e| format!("--results {e}"))?;
                let info = RunInfo {
                    spec: case.spec.clone(),
                    design: case.design_name.clone(),
                    plan,
                    max_work,
                    seeds: range,
                    shard: shard.index,
                    shards: shard.count,
                };
                let build = BinaryIdentity::current(program)?;
                Some((path.clone(), target, info, build))
            }
            None => None,
        };
        if shard.seed_count(range) == 0 {
            eprintln!(
                "note: shard {shard} of seeds {range} holds no seed (the range has {} seeds)",
                range.seed_count()
            );
        }
        Ok(Shards {
            range,
            shard,
            results,
        })
    }

    /// How many seeds this run takes.
    pub(crate) fn seed_count(&self) -> u128 {
        self.shard.seed_count(self.range)
    }

    /// The seeds this run takes, in order.
    pub(crate) fn seeds(&self) -> impl Iterator<Item = u64> + Send {
        self.shard.seeds(self.range)
    }

    /// Starts the results file, if asked for (nothing is in place until
    /// [`Results::finish`]).
    pub(crate) fn writer(&self) -> Result<Results<'_>, String> {
        let Some((path, target, info, build)) = &self.results else {
            return Ok(Results(None));
        };
        let out = LinesWriter::create(target).map_err(|e| format!("--results {e}"))?;
        Ok(Results(Some((path, out, info, build))))
    }
}

/// The results file being written (or nothing, without `--results`).
pub(crate) struct Results<'a>(Option<(&'a str, LinesWriter<'a>, &'a RunInfo, &'a BinaryIdentity)>);

impl Results<'_> {
    /// Appends the line of `outcome`.
    pub(crate) fn write(&mut self, outcome: &SeedOutcome) -> Result<(), String> {
        let Some((path, out, run, build)) = &mut self.0 else {
            return Ok(());
        };
        let line = ResultLine {
            outcome: outcome.clone(),
            build: (*build).clone(),
            run: (*run).clone(),
        };
        out.write(&line)
            .map_err(|e| format!("--results {path}: {e}"))
    }

    /// The temporary file the lines go to, if any.
    pub(crate) fn temp_path(&self) -> Option<PathBuf> {
        self.0
            .as_ref()
            .map(|(_, out, _, _)| out.temp_path().to_path_buf())
    }

    /// Leaves the file unwritten (its temporary removed, FILE as it was),
    /// for an interrupted sweep; what to add to the note that says so.
    pub(crate) fn abandon(self) -> String {
        match self.0 {
            Some((path, ..)) => format!("; --results {path} not written (it would be incomplete)"),
            None => String::new(),
        }
    }

    /// Puts the file in place, whole.
    pub(crate) fn finish(self) -> Result<(), String> {
        match self.0 {
            Some((path, out, _, _)) => out.finish().map_err(|e| format!("--results {path}: {e}")),
            None => Ok(()),
        }
    }
}
