//! Partial evaluation: a policy set specialised for requests some of whose condition values are
//! known in advance, and the same for every request it will decide.
//!
//! An IAM user's `aws:username`, `aws:userid` and `aws:principaltype` are such values: under one
//! IAM state they are the same for every request the user signs. [`crate::PolicySet::bind`]
//! substitutes them once into the set's resource patterns and `String*` condition values, and
//! settles the conditions that read nothing else, so that a request neither carries them nor
//! resolves `${aws:username}` again, and `arn:aws:s3:::bucket/home/${aws:username}/*` is matched
//! as the literal beginning `bucket/home/bob/`.
//!
//! What a bound set decides, for condition values `V`, is what the set it was bound from decides
//! for `V` with every bound key replaced by its bound values (removed where it has none): a
//! variable resolves to the same text (its first value, literally: a `*` or `?` in it stays an
//! ordinary character; the variable's own text when the key has no value or an empty one), and a
//! condition reading only bound keys has the same outcome for every request. A bound key the bound
//! set still reads (a condition that also names another key) must be given in `V` with its bound
//! values, as [`crate::PolicySet::reads`] says.

use crate::key::Key;
use crate::values::ConditionValues;

/// Known condition keys and the values they have in every request a bound set decides
/// ([`crate::PolicySet::bind`]).
///
/// What a bound set decides for condition values `V` is what the set it was bound from decides
/// for [`Binding::apply`]`(V)`: `V` with every bound key given its bound values (removed where
/// it has none). A bound key the bound set still reads ([`crate::PolicySet::reads`]: a condition
/// naming it and another key) must be given in `V` with its bound values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// One bit per bound key ([`Key::bit`]).
    keys: u64,
    values: ConditionValues,
}

impl Binding {
    /// `keys` fixed to their values in `values` (a key of `keys` absent from `values` is bound
    /// to being absent; values of other keys are ignored).
    pub fn new(keys: &[Key], values: ConditionValues) -> Self {
        let keys = keys.iter().fold(0, |bits, k| bits | k.bit());
        let mut only = ConditionValues::new();
        only.replace_known(&values, keys);
        Binding { keys, values: only }
    }

    /// The bound keys, one bit per [`Key`] ([`Key::bit`]).
    pub fn keys(&self) -> u64 {
        self.keys
    }

    /// The bound values.
    pub fn values(&self) -> &ConditionValues {
        &self.values
    }

    /// `values` with every bound key replaced by its bound values: what a set bound to this
    /// decides for `values`, the set it was bound from decides for these.
    pub fn apply(&self, values: &ConditionValues) -> ConditionValues {
        let mut out = values.clone();
        out.replace_known(&self.values, self.keys);
        out
    }

    /// This binding applied to values `earlier` was applied to first: `earlier`'s keys keep
    /// its values.
    pub(crate) fn after(&self, earlier: &Binding) -> Binding {
        let mut values = self.values.clone();
        values.replace_known(&earlier.values, earlier.keys);
        Binding {
            keys: self.keys | earlier.keys,
            values,
        }
    }
}
