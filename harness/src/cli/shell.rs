//! Quoting for the commands lastcopy prints for a user to copy into a POSIX
//! shell (replay lines, a report's "Regenerate" command): one function, so
//! every printed command quotes its words the same way.

/// `s` as one word of a POSIX shell command line: unchanged if it holds only
/// characters no shell treats specially (ASCII letters and digits and
/// `-_./=:,`), else in single quotes, each `'` in it written `'\''`. The
/// empty string is `''`. A shell reading the result gets back exactly `s`.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// How to run a binary again from the current directory, for commands
/// the user is shown (replay, shrink): inside the workspace the package at
/// `manifest_dir` belongs to, `cargo run --release -p PACKAGE --` (or
/// `cargo run --release --` when `default_run`: the package is the
/// workspace's default run target); else the binary as invoked (a bare
/// name found on `PATH`, or its absolute path).
pub fn invocation_of(package: &str, manifest_dir: &str, default_run: bool) -> String {
    let manifest = std::path::Path::new(manifest_dir);
    let root = manifest
        .ancestors()
        .find(|d| d.join("Cargo.lock").exists())
        .unwrap_or(manifest);
    let inside = std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.canonicalize().ok())
        .zip(root.canonicalize().ok())
        .is_some_and(|(cwd, root)| cwd.starts_with(root));
    if inside && default_run {
        return "cargo run --release --".into();
    }
    if inside {
        return format!("cargo run --release -p {} --", shell_word(package));
    }
    let argv0 = std::env::args().next().unwrap_or_default();
    if !argv0.is_empty() && !argv0.contains('/') {
        return shell_word(&argv0);
    }
    std::env::current_exe()
        .map(|exe| shell_word(&exe.to_string_lossy()))
        .unwrap_or_else(|_| shell_word(package))
}

/// `INVOCATION run SCENARIO --design DESIGN --seed SEED --set O ...`: the
/// command that replays one seed with `overrides`, each word quoted.
pub fn replay_command<'a>(
    invocation: &str,
    scenario: &str,
    design: &str,
    seed: u64,
    overrides: impl IntoIterator<Item = &'a String>,
) -> String {
    let mut cmd = format!(
        "{invocation} run {} --design {} --seed {seed}",
        shell_word(scenario),
        shell_word(design),
    );
    for o in overrides {
        cmd.push_str(&format!(" --set {}", shell_word(o)));
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn plain_words_stay_and_the_rest_is_quoted() {
        assert_eq!(shell_word("reports/sidekick-2009"), "reports/sidekick-2009");
        assert_eq!(shell_word("a=b,c:d"), "a=b,c:d");
        assert_eq!(shell_word("r/rep $(id)"), "'r/rep $(id)'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("`x`"), "'`x`'");
        assert_eq!(shell_word("a\nb"), "'a\nb'");
        assert_eq!(shell_word(""), "''");
    }
}
