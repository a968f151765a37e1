//! Delta debugging (ddmin): a 1-minimal subset that keeps a test true.

/// Zeller's ddmin: a subset of `items` on which `test` holds, from which
/// no single item can be removed (while `test` answers). `test(items)` is
/// assumed to hold. The order of tries is fixed, so the result is too.
pub fn ddmin<T: Clone>(items: &[T], mut test: impl FnMut(&[T]) -> bool) -> Vec<T> {
    if test(&[]) {
        return Vec::new();
    }
    let mut c: Vec<T> = items.to_vec();
    let mut n = 2usize;
    while c.len() >= 2 {
        let chunks = split(&c, n);
        if let Some(ch) = chunks.iter().find(|ch| test(ch)) {
            c = ch.clone();
            n = 2;
            continue;
        }
        if n > 2 {
            let found = (0..chunks.len()).find_map(|i| {
                let comp: Vec<T> = chunks
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .flat_map(|(_, ch)| ch.iter().cloned())
                    .collect();
                test(&comp).then_some(comp)
            });
            if let Some(comp) = found {
                c = comp;
                n = (n - 1).max(2);
                continue;
            }
        }
        if n >= c.len() {
            break;
        }
        n = (n * 2).min(c.len());
    }
    c
}

/// `c` in `n` contiguous chunks as even as possible.
fn split<T: Clone>(c: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.min(c.len()).max(1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let end = start + (c.len() - start) / (n - i);
        out.push(c[start..end].to_vec());
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddmin_finds_a_one_minimal_subset() {
        // Fails when both 3 and 7 are present.
        let items: Vec<u32> = (0..12).collect();
        let got = ddmin(&items, |s| s.contains(&3) && s.contains(&7));
        assert_eq!(got, vec![3, 7]);
        let none = ddmin(&items, |_| true);
        assert!(none.is_empty());
    }

    #[test]
    fn split_covers_everything_in_order() {
        let c: Vec<u32> = (0..7).collect();
        let parts = split(&c, 3);
        assert_eq!(parts.len(), 3);
        assert_eq!(parts.concat(), c);
    }
}
