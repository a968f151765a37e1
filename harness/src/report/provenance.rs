//! The provenance line of a report: when it was made, and by which
//! version. The only wall-clock read in the harness, and never on a
//! simulation path; `--no-provenance` leaves it out so that the same
//! arguments give byte-identical files.

/// `_Generated 2026-11-29 23:10 UTC by NAME VERSION._` for the time
/// `unix_secs` (seconds since 1970-01-01 UTC).
pub fn line(unix_secs: u64, name: &str, version: &str) -> String {
    let (y, m, d) = civil_from_days((unix_secs / 86_400) as i64);
    format!(
        "_Generated {y:04}-{m:02}-{d:02} {:02}:{:02} UTC by {name} {version}._",
        (unix_secs / 3600) % 24,
        (unix_secs / 60) % 60,
    )
}

/// Seconds since 1970-01-01 UTC now (0 if the clock is before it).
pub fn now_unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Year, month, day of the day `z` days after 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_416), (2025, 11, 24));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(
            line(86_400 + 3_600 * 5 + 60 * 7, "x", "1"),
            "_Generated 1970-01-02 05:07 UTC by x 1._"
        );
    }
}
