//! Policy names carried in a token claim or a mapping: comma-separated, padded, possibly repeated.

use std::collections::BTreeSet;

/// `["readwrite", "readwrite,readonly", "  readonly", ""]` → {readonly, readwrite} (spec §18).
pub fn parse_policy_names<I, S>(values: I) -> BTreeSet<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    values
        .into_iter()
        .flat_map(|v| {
            v.as_ref()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minio_policy_claim_example() {
        let got = parse_policy_names(["readwrite", "readwrite,readonly", "  readonly", ""]);
        let want: BTreeSet<String> = ["readwrite", "readonly"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(got, want);
    }
}
