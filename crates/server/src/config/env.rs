//! Where configuration reads the environment from.
//!
//! Configuration never calls `std::env::var` directly: it reads through [`Env`], so tests feed it a
//! `HashMap` instead of mutating the process environment (`set_var` is unsound with threads).

use std::collections::HashMap;

/// A source of environment variables.
pub trait Env {
    /// The value of `name`, or `None` when it is unset. An empty value counts as unset, as in MinIO.
    fn var(&self, name: &str) -> Option<String>;

    /// The names of the set variables starting with `prefix` (settings with a `_<NAME>` suffix,
    /// such as named OpenID providers, cannot be looked up one by one).
    fn names_with_prefix(&self, prefix: &str) -> Vec<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        // A value that is not UTF-8 is passed on lossily; validation then rejects it with the
        // variable's name instead of pretending it was unset.
        let value = std::env::var_os(name)?;
        let value = value.to_string_lossy().into_owned();
        (!value.is_empty()).then_some(value)
    }

    fn names_with_prefix(&self, prefix: &str) -> Vec<String> {
        std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .filter(|k| k.starts_with(prefix))
            .collect()
    }
}

impl<S: std::hash::BuildHasher> Env for HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }

    fn names_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.keys()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect()
    }
}

impl<S: std::hash::BuildHasher> Env for HashMap<&str, &str, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name)
            .filter(|v| !v.is_empty())
            .map(|v| (*v).to_owned())
    }

    fn names_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.keys()
            .filter(|k| k.starts_with(prefix))
            .map(|k| (*k).to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_unset() {
        let env: HashMap<&str, &str> = [("A", ""), ("B", "x")].into_iter().collect();
        assert_eq!(env.var("A"), None);
        assert_eq!(env.var("B").as_deref(), Some("x"));
        assert_eq!(env.var("C"), None);
    }
}
