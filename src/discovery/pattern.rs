//! Name patterns for discovery filters: `*` matches any run of characters, `?` one character,
//! everything else itself, ignoring case. Nothing else is special, so names with dots or
//! brackets need no escaping.

/// Whether `name` matches `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    // Greedy with one backtrack point (the last `*`): linear-ish, no recursion on input.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        match p.get(i) {
            Some('*') => {
                star = Some((i, j));
                i += 1;
            }
            Some(c) if *c == '?' || *c == n[j] => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((si, sj)) => {
                    i = si + 1;
                    j = sj + 1;
                    star = Some((si, sj + 1));
                }
                None => return false,
            },
        }
    }
    p[i.min(p.len())..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn pattern_table() {
        for (pattern, name, expected) in [
            ("nightly-*", "nightly-build", true),
            ("nightly-*", "NIGHTLY-", true),
            ("nightly-*", "weekly-build", false),
            ("*sweep*", "param sweep 3", true),
            ("job-??", "job-42", true),
            ("job-??", "job-420", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("*", "", true),
            ("", "", true),
            ("", "x", false),
            ("[x].y", "[X].Y", true),
        ] {
            assert_eq!(matches(pattern, name), expected, "{pattern:?} vs {name:?}");
        }
    }
}
