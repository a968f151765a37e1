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
