//! strongbox-policy
