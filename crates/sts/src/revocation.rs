//! Revoked temporary credentials: a pure set checked on every request in at most three O(1)
//! hash lookups, serialisable for the IAM store.
//!
//! Because issuance writes nothing, revocation cannot delete credentials; it records cut-offs:
//! - one credential, by access key (kept until that credential's own expiry);
//! - every credential of a parent issued at or before instant T (MinIO's full revoke, and what
//!   the server should record when a parent user is deleted, so a re-created user of the same
//!   name does not revive old sessions — spec §17.3);
//! - every credential of a parent with a given `tokenRevokeType` issued at or before T.
//!
//! Cut-offs compare with the token's `iatNs` (nanoseconds), so a credential issued right after a
//! revocation — even in the same second — stays valid. Nodes with skewed clocks shift this edge
//! by the skew.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::token::{TokenError, VerifiedSession};

/// One revocation, as the IAM store may persist it (one record per key/watch event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum Revocation {
    /// One credential. `expires_at` (unix seconds) is when the record can be dropped.
    #[serde(rename_all = "camelCase")]
    AccessKey { access_key: String, expires_at: i64 },
    /// Every credential of `parent` issued at or before `cutoff_ns`.
    #[serde(rename_all = "camelCase")]
    Parent { parent: String, cutoff_ns: i64 },
    /// Every credential of `parent` carrying `token_revoke_type`, issued at or before
    /// `cutoff_ns`.
    #[serde(rename_all = "camelCase")]
    ParentType {
        parent: String,
        token_revoke_type: String,
        cutoff_ns: i64,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ParentCutoffs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    all: Option<i64>,
    #[serde(default, skip_serializing_if = "HashMap::is_empty")]
    by_type: HashMap<String, i64>,
}

/// The set. Apply [`Revocation`]s; [`RevocationSet::check`] each verified session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevocationSet {
    #[serde(default)]
    access_keys: HashMap<String, i64>,
    #[serde(default)]
    parents: HashMap<String, ParentCutoffs>,
}

impl RevocationSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a revocation. Idempotent; of two cut-offs for the same target the later wins.
    pub fn apply(&mut self, r: Revocation) {
        match r {
            Revocation::AccessKey {
                access_key,
                expires_at,
            } => {
                let e = self.access_keys.entry(access_key).or_insert(expires_at);
                *e = (*e).max(expires_at);
            }
            Revocation::Parent { parent, cutoff_ns } => {
                let p = self.parents.entry(parent).or_default();
                p.all = Some(p.all.map_or(cutoff_ns, |c| c.max(cutoff_ns)));
            }
            Revocation::ParentType {
                parent,
                token_revoke_type,
                cutoff_ns,
            } => {
                let p = self.parents.entry(parent).or_default();
                let c = p.by_type.entry(token_revoke_type).or_insert(cutoff_ns);
                *c = (*c).max(cutoff_ns);
            }
        }
    }

    /// `Err(TokenError::Revoked)` if `session` is revoked.
    pub fn check(&self, session: &VerifiedSession) -> Result<(), TokenError> {
        let claims = session.claims();
        if self.is_revoked(
            session.access_key(),
            &claims.parent,
            claims.token_revoke_type.as_deref(),
            session.issued_at_ns(),
        ) {
            Err(TokenError::Revoked)
        } else {
            Ok(())
        }
    }

    /// The same test on raw fields.
    pub fn is_revoked(
        &self,
        access_key: &str,
        parent: &str,
        token_revoke_type: Option<&str>,
        issued_at_ns: i64,
    ) -> bool {
        if self.access_keys.contains_key(access_key) {
            return true;
        }
        let Some(p) = self.parents.get(parent) else {
            return false;
        };
        if p.all.is_some_and(|c| issued_at_ns <= c) {
            return true;
        }
        token_revoke_type
            .and_then(|t| p.by_type.get(t))
            .is_some_and(|c| issued_at_ns <= *c)
    }

    /// Drop records that can no longer match anything: access keys past their expiry, and
    /// parent cut-offs older than `max_lifetime_secs` (every credential they could revoke has
    /// expired). Returns how many were dropped.
    pub fn prune(&mut self, now_unix: i64, max_lifetime_secs: i64) -> usize {
        let mut dropped = 0;
        let before = self.access_keys.len();
        self.access_keys.retain(|_, exp| *exp > now_unix);
        dropped += before - self.access_keys.len();
        let horizon_ns = now_unix
            .saturating_sub(max_lifetime_secs)
            .saturating_mul(1_000_000_000);
        for p in self.parents.values_mut() {
            if p.all.is_some_and(|c| c < horizon_ns) {
                p.all = None;
                dropped += 1;
            }
            let before = p.by_type.len();
            p.by_type.retain(|_, c| *c >= horizon_ns);
            dropped += before - p.by_type.len();
        }
        self.parents
            .retain(|_, p| p.all.is_some() || !p.by_type.is_empty());
        dropped
    }

    /// Every record, e.g. to rewrite the store after `prune`.
    pub fn records(&self) -> Vec<Revocation> {
        let mut out: Vec<Revocation> = self
            .access_keys
            .iter()
            .map(|(k, e)| Revocation::AccessKey {
                access_key: k.clone(),
                expires_at: *e,
            })
            .collect();
        for (parent, p) in &self.parents {
            if let Some(c) = p.all {
                out.push(Revocation::Parent {
                    parent: parent.clone(),
                    cutoff_ns: c,
                });
            }
            for (t, c) in &p.by_type {
                out.push(Revocation::ParentType {
                    parent: parent.clone(),
                    token_revoke_type: t.clone(),
                    cutoff_ns: *c,
                });
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.access_keys.is_empty() && self.parents.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{Claims, Provider};
    use crate::duration::for_tests;
    use crate::keyring::KeyRing;
    use crate::token::{issue, resolve};
    use time::OffsetDateTime;

    const S: i64 = 1_000_000_000;

    fn at_ns(ns: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).unwrap()
    }

    fn session(ring: &KeyRing, parent: &str, typ: Option<&str>, ns: i64) -> VerifiedSession {
        let mut c = Claims::new(parent, Provider::Builtin);
        c.token_revoke_type = typ.map(str::to_string);
        let i = issue(ring, c, at_ns(ns), for_tests(3600)).unwrap();
        resolve(ring, &i.access_key, i.session_token.expose(), at_ns(ns)).unwrap()
    }

    #[test]
    fn by_access_key() {
        let ring = KeyRing::generate(at_ns(0));
        let a = session(&ring, "alice", None, 1_000 * S);
        let b = session(&ring, "alice", None, 1_000 * S);
        let mut set = RevocationSet::new();
        set.apply(Revocation::AccessKey {
            access_key: a.access_key().into(),
            expires_at: a.expiration().unix_timestamp(),
        });
        assert_eq!(set.check(&a), Err(TokenError::Revoked));
        assert_eq!(set.check(&b), Ok(()));
    }

    #[test]
    fn by_parent_cuts_off_at_instant_with_sub_second_precision() {
        let ring = KeyRing::generate(at_ns(0));
        let before = session(&ring, "alice", None, 1_000 * S + 100);
        let at_cut = session(&ring, "alice", None, 1_000 * S + 200);
        let after = session(&ring, "alice", None, 1_000 * S + 201);
        let bob = session(&ring, "bob", None, 1_000 * S);
        let mut set = RevocationSet::new();
        set.apply(Revocation::Parent {
            parent: "alice".into(),
            cutoff_ns: 1_000 * S + 200,
        });
        assert!(set.check(&before).is_err());
        assert!(set.check(&at_cut).is_err());
        assert!(
            set.check(&after).is_ok(),
            "issued after the revocation, same second"
        );
        assert!(set.check(&bob).is_ok());
    }

    #[test]
    fn by_parent_and_type() {
        let ring = KeyRing::generate(at_ns(0));
        let t1 = session(&ring, "alice", Some("type-1"), 1_000 * S);
        let t2 = session(&ring, "alice", Some("type-2"), 1_000 * S);
        let none = session(&ring, "alice", None, 1_000 * S);
        let bob_t1 = session(&ring, "bob", Some("type-1"), 1_000 * S);
        let mut set = RevocationSet::new();
        set.apply(Revocation::ParentType {
            parent: "alice".into(),
            token_revoke_type: "type-1".into(),
            cutoff_ns: 2_000 * S,
        });
        assert!(set.check(&t1).is_err());
        assert!(set.check(&t2).is_ok());
        assert!(set.check(&none).is_ok());
        assert!(set.check(&bob_t1).is_ok());
    }

    #[test]
    fn later_cutoff_wins_and_apply_is_idempotent() {
        let mut set = RevocationSet::new();
        for c in [5, 9, 7, 9] {
            set.apply(Revocation::Parent {
                parent: "p".into(),
                cutoff_ns: c,
            });
        }
        assert!(set.is_revoked("x", "p", None, 9));
        assert!(!set.is_revoked("x", "p", None, 10));
        assert_eq!(set.records().len(), 1);
    }

    #[test]
    fn prune_drops_only_dead_records() {
        let mut set = RevocationSet::new();
        set.apply(Revocation::AccessKey {
            access_key: "AK1".into(),
            expires_at: 100,
        });
        set.apply(Revocation::AccessKey {
            access_key: "AK2".into(),
            expires_at: 200,
        });
        set.apply(Revocation::Parent {
            parent: "old".into(),
            cutoff_ns: 10 * S,
        });
        set.apply(Revocation::ParentType {
            parent: "new".into(),
            token_revoke_type: "t".into(),
            cutoff_ns: 150 * S,
        });
        // now=150, max lifetime 100 s → horizon 50 s.
        assert_eq!(set.prune(150, 100), 2);
        assert!(!set.is_revoked("AK1", "-", None, 0));
        assert!(set.is_revoked("AK2", "-", None, 0));
        assert!(!set.is_revoked("x", "old", None, 0));
        assert!(set.is_revoked("x", "new", Some("t"), 150 * S));
    }

    #[test]
    fn serde_round_trip_of_set_and_records() {
        let mut set = RevocationSet::new();
        let recs = vec![
            Revocation::AccessKey {
                access_key: "AK".into(),
                expires_at: 1,
            },
            Revocation::Parent {
                parent: "p".into(),
                cutoff_ns: 2,
            },
            Revocation::ParentType {
                parent: "p".into(),
                token_revoke_type: "t".into(),
                cutoff_ns: 3,
            },
        ];
        for r in &recs {
            let j = serde_json::to_string(r).unwrap();
            assert_eq!(&serde_json::from_str::<Revocation>(&j).unwrap(), r);
            set.apply(r.clone());
        }
        assert_eq!(
            serde_json::to_value(&recs[2]).unwrap(),
            serde_json::json!({"kind":"parentType","parent":"p","tokenRevokeType":"t","cutoffNs":3})
        );
        let back: RevocationSet =
            serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(back, set);
        let mut rebuilt = RevocationSet::new();
        for r in set.records() {
            rebuilt.apply(r);
        }
        assert_eq!(rebuilt, set);
    }
}
