//! The `--address HOST:PORT` syntax, as MinIO accepts it.

use std::fmt;

/// Where to listen. `host == None` means every interface (MinIO's `:9000`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenAddress {
    pub host: Option<String>,
    pub port: u16,
}

impl ListenAddress {
    /// Parses `HOST:PORT`, `:PORT`, `[IPV6]:PORT`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let Some((host, port)) = s.rsplit_once(':') else {
            return Err(format!(
                "{s:?} is not HOST:PORT (for every interface write \":9000\")"
            ));
        };
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("{s:?}: port {port:?} is not a number from 0 to 65535"))?;
        if host.is_empty() {
            return Ok(Self { host: None, port });
        }
        let host = match host.strip_prefix('[') {
            Some(rest) => rest
                .strip_suffix(']')
                .filter(|h| !h.is_empty())
                .ok_or_else(|| format!("{s:?}: unbalanced brackets around the host"))?,
            None if host.contains(':') => {
                return Err(format!(
                    "{s:?}: write an IPv6 host in brackets, e.g. [::1]:9000"
                ));
            }
            None => host,
        };
        let valid = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'_' | b'%'));
        if !valid || host.len() > 253 {
            return Err(format!("{s:?}: {host:?} is not a host name or IP address"));
        }
        Ok(Self {
            host: Some(host.to_owned()),
            port,
        })
    }
}

impl fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            None => write!(f, ":{}", self.port),
            Some(h) if h.contains(':') => write!(f, "[{h}]:{}", self.port),
            Some(h) => write!(f, "{h}:{}", self.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> ListenAddress {
        ListenAddress::parse(s).unwrap()
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(
            ok(":9000"),
            ListenAddress {
                host: None,
                port: 9000
            }
        );
        assert_eq!(ok("127.0.0.1:0").host.as_deref(), Some("127.0.0.1"));
        assert_eq!(ok("[::1]:9000").host.as_deref(), Some("::1"));
        assert_eq!(ok("localhost:80").port, 80);
        assert_eq!(ok("[::1]:9000").to_string(), "[::1]:9000");
        assert_eq!(ok(":9000").to_string(), ":9000");
    }

    #[test]
    fn rejected_forms() {
        for bad in [
            "9000",
            "host:",
            "host:65536",
            "::1:9000",
            "[::1:9000",
            "[]:1",
            "a b:1",
            "host:-1",
        ] {
            assert!(
                ListenAddress::parse(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }
}
