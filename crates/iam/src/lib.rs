//! strongbox-iam
