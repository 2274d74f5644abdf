//! Virtual-host-style addressing for `MINIO_DOMAIN`: `bucket.DOMAIN` names a bucket; any other
//! host (the bare domain, `localhost`, an IP, a load balancer's name) is path style.
//!
//! s3s's own `SingleDomain` treats an unknown host as a bucket name and compares hosts with their
//! port, which would turn `localhost:9000` into a bucket; hence this small parser.

use s3s::S3Result;
use s3s::host::{S3Host, VirtualHost};

/// Host parsing for a non-empty list of base domains (lower case, no port).
#[derive(Debug, Clone)]
pub struct Domains {
    domains: Vec<String>,
}

impl Domains {
    /// `None` when there are no domains: then no host parser is installed and every request is
    /// path style.
    #[must_use]
    pub fn new(domains: &[String]) -> Option<Self> {
        (!domains.is_empty()).then(|| Self {
            domains: domains.to_vec(),
        })
    }

    /// The bucket named by `host`, if it is `bucket.DOMAIN` for one of our domains.
    fn bucket_of<'a>(&self, host: &'a str) -> Option<&'a str> {
        let name = strip_port(host);
        self.domains.iter().find_map(|d| {
            let n = name.len().checked_sub(d.len() + 1)?;
            let (bucket, rest) = name.split_at(n);
            let rest = rest.strip_prefix('.')?;
            (rest.eq_ignore_ascii_case(d) && !bucket.is_empty()).then_some(bucket)
        })
    }
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host; // IPv6 literal: never a virtual host.
    }
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    }
}

impl S3Host for Domains {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        Ok(match self.bucket_of(host) {
            Some(bucket) => VirtualHost::new(host).with_bucket(bucket.to_ascii_lowercase()),
            None => VirtualHost::new(host),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_under_our_domains_only() {
        let d = Domains::new(&["s3.example.com".to_owned(), "minio.test".to_owned()]).unwrap();
        assert_eq!(d.bucket_of("photos.s3.example.com"), Some("photos"));
        assert_eq!(d.bucket_of("photos.s3.example.com:9000"), Some("photos"));
        assert_eq!(d.bucket_of("Photos.S3.Example.COM"), Some("Photos"));
        assert_eq!(d.bucket_of("a.b.minio.test"), Some("a.b"));
        assert_eq!(d.bucket_of("s3.example.com"), None);
        assert_eq!(d.bucket_of("s3.example.com:9000"), None);
        assert_eq!(d.bucket_of(".s3.example.com"), None);
        assert_eq!(d.bucket_of("localhost:9000"), None);
        assert_eq!(d.bucket_of("xs3.example.com"), None);
        assert_eq!(d.bucket_of("[::1]:9000"), None);
        assert!(Domains::new(&[]).is_none());
    }

    #[test]
    fn s3s_sees_path_style_for_other_hosts() {
        let d = Domains::new(&["s3.example.com".to_owned()]).unwrap();
        assert_eq!(
            d.parse_host_header("localhost:9000").unwrap().bucket(),
            None
        );
        assert_eq!(
            d.parse_host_header("b.s3.example.com").unwrap().bucket(),
            Some("b")
        );
    }
}
