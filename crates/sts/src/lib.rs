//! strongbox-sts
