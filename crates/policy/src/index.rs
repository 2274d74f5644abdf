//! Which statements of a [`crate::PolicySet`] can match a request, found without looking at the
//! others: per action, the statement slots that name it, split by the one bucket (the resource's
//! first `/`-separated segment) they are confined to.
//!
//! A GetObject in bucket `bench` then visits only the statements whose actions include
//! `s3:GetObject` (by name, `s3:*`, `s3:Get*`, `*` or `NotAction`) and whose resources either can
//! lie in `bench` or say nothing usable about the bucket (a leading wildcard or variable,
//! `NotResource`, no `Resource`). Candidates come out in slot order, so the first match is the
//! same statement a scan of every slot finds.
//!
//! Why a bucket derived from a pattern is safe: a pattern whose literal beginning `L` contains a
//! `/` only matches resources that start with `L`, so their first segment is `L` up to its first
//! `/`; a pattern that is one literal without `/` only matches that very resource. A bucket alias
//! (`bucket/*` also matching `bucket`) is matched against the bucket when there is no object, that
//! is against the whole resource, so the same reasoning holds for it.

use crate::action::{Action, Service};
use crate::document::ResourcePattern;
use crate::resource::{same_bytes, segment_hash};

/// The statements of one effect (Deny or Allow) that can match each action.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    /// Indexed by [`Action::index`].
    by_action: Vec<Candidates>,
}

/// Slot positions, ascending.
type Slots = Box<[u32]>;

/// Slot positions for one action.
#[derive(Debug, Clone, Default)]
struct Candidates {
    /// Statements not confined to one bucket (or for non-S3 actions, where resources are not
    /// matched): candidates for every request.
    any: Slots,
    /// The [`segment_hash`] of each bucket of `by_bucket`, in its order: searched apart from
    /// the names and lists, so a lookup reads a few contiguous words.
    hashes: Box<[u64]>,
    /// Statements confined to some buckets, sorted by the bucket's [`segment_hash`] (then name);
    /// a statement confined to several buckets is listed under each.
    by_bucket: Box<[(Box<str>, Slots)]>,
}

/// The literal beginning of each of a statement's resource patterns (bucket aliases included: an alias
/// is matched against the bucket, which is the whole resource when it applies), each with
/// whether the pattern is all literal; `None` without `Resource` or with `NotResource`.
pub(crate) fn resource_literals(
    negated: bool,
    patterns: &[ResourcePattern],
) -> Option<Vec<(&str, bool)>> {
    if negated {
        return None;
    }
    Some(
        patterns
            .iter()
            .flat_map(|p| std::iter::once(&p.pattern).chain(p.bucket_alias.as_ref()))
            .map(|pat| (pat.literal_prefix(), pat.is_literal()))
            .collect(),
    )
}

/// The buckets (first resource segments) a statement with these [`resource_literals`] can
/// match in, `None` when unknown.
pub(crate) fn confined_buckets(literals: &[(&str, bool)]) -> Option<Vec<Box<str>>> {
    let mut out: Vec<Box<str>> = Vec::new();
    for &(lit, literal) in literals {
        let bucket = match lit.find('/') {
            Some(at) => &lit[..at],
            None if literal => lit,
            None => return None,
        };
        if !out.iter().any(|b| &**b == bucket) {
            out.push(bucket.into());
        }
    }
    Some(out)
}

impl Index {
    /// Builds the index of `slots` (each a statement's actions and confined buckets).
    pub(crate) fn build<'a>(
        slots: impl ExactSizeIterator<Item = (&'a crate::action::ActionSet, Option<&'a [Box<str>]>)>
        + Clone,
    ) -> Index {
        let by_action = Action::ALL
            .iter()
            .map(|&action| {
                let mut any = Vec::new();
                let mut by_bucket: Vec<(Box<str>, Vec<u32>)> = Vec::new();
                for (i, (actions, buckets)) in slots.clone().enumerate() {
                    if !actions.contains(action) {
                        continue;
                    }
                    match buckets {
                        Some(buckets) if action.service() == Service::S3 => {
                            for b in buckets {
                                match by_bucket.iter_mut().find(|(name, _)| name == b) {
                                    Some((_, list)) => list.push(i as u32),
                                    None => by_bucket.push((b.clone(), vec![i as u32])),
                                }
                            }
                        }
                        _ => any.push(i as u32),
                    }
                }
                let mut by_bucket: Vec<(u64, Box<str>, Slots)> = by_bucket
                    .into_iter()
                    .map(|(b, list)| (segment_hash(b.as_bytes()), b, list.into()))
                    .collect();
                by_bucket.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
                Candidates {
                    any: any.into(),
                    hashes: by_bucket.iter().map(|(h, _, _)| *h).collect(),
                    by_bucket: by_bucket
                        .into_iter()
                        .map(|(_, name, list)| (name, list))
                        .collect(),
                }
            })
            .collect();
        Index { by_action }
    }

    /// The slot positions that can match `action` on a resource whose first segment (up to its
    /// first `/`) is `first` with [`segment_hash`] `hash`, ascending, passed to `f` until it
    /// returns `Some`.
    pub(crate) fn find_map<T>(
        &self,
        action: Action,
        (first, hash): (&[u8], u64),
        mut f: impl FnMut(usize) -> Option<T>,
    ) -> Option<T> {
        let c = self.by_action.get(action.index())?;
        let from = c.hashes.partition_point(|h| *h < hash);
        let confined: &[u32] = c.hashes[from..]
            .iter()
            .zip(&c.by_bucket[from..])
            .take_while(|(h, _)| **h == hash)
            .find(|(_, (b, _))| same_bytes(b.as_bytes(), first))
            .map_or(&[], |(_, (_, list))| list);
        // Merge the two ascending lists.
        let (mut a, mut b) = (c.any.iter().peekable(), confined.iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(&&x), Some(&&y)) if x < y => a.next(),
                (Some(_), Some(_)) | (None, Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, None) => return None,
            };
            if let Some(&i) = next
                && let Some(found) = f(i as usize)
            {
                return Some(found);
            }
        }
    }
}

#[cfg(test)]
mod tests;
