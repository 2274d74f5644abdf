//! The audit record of one issued credential, serialised as one JSON line.
//!
//! It names who got what for how long, from where — and never the secret key or the session
//! token (it has no field that could hold them). The session policy appears only as its SHA-256.

use serde::Serialize;
use time::OffsetDateTime;

use crate::claims::Provider;
use crate::params::Action;
use crate::token::IssuedCredential;
use crate::xml::format_expiration;

/// One issuance. Build it with [`IssuanceEvent::new`], then fill the request facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuanceEvent {
    /// Event time, RFC 3339 UTC.
    pub time: String,
    /// Always `"sts.issue"`: lets a log pipeline pick these lines out.
    pub event: &'static str,
    /// The STS action, e.g. `AssumeRole`.
    pub action: &'static str,
    pub provider: Provider,
    /// The temporary access key (public; needed to revoke it).
    pub access_key: String,
    pub parent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    pub policies: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_policy_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_revoke_type: Option<String>,
    /// Credential expiry, RFC 3339 UTC.
    pub expiration: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl IssuanceEvent {
    /// The record of `cred`, issued for `action` at `now`.
    pub fn new(action: Action, cred: &IssuedCredential, now: OffsetDateTime) -> Self {
        let c = &cred.claims;
        Self {
            time: format_expiration(now),
            event: "sts.issue",
            action: action.as_str(),
            provider: c.provider,
            access_key: cred.access_key.clone(),
            parent: c.parent.clone(),
            sub: c.sub.clone(),
            policies: c.policies.clone(),
            groups: c.groups.clone(),
            session_policy_sha256: c.session_policy.as_ref().map(|p| p.sha256_hex()),
            role_arn: c.role_arn.clone(),
            token_revoke_type: c.token_revoke_type.clone(),
            expiration: format_expiration(cred.expiration),
            source_ip: None,
            user_agent: None,
            request_id: None,
        }
    }

    /// Request facts (each optional; user agents are truncated to 512 bytes).
    pub fn with_request(
        mut self,
        source_ip: Option<String>,
        user_agent: Option<&str>,
        request_id: Option<String>,
    ) -> Self {
        self.source_ip = source_ip;
        self.user_agent = user_agent.map(|ua| truncate(ua, 512).to_string());
        self.request_id = request_id;
        self
    }

    /// One line of JSON ending in `\n` (serde_json escapes any newline inside values).
    pub fn to_json_line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"));
        s.push('\n');
        s
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{Claims, SessionPolicyJson};
    use crate::duration::for_tests;
    use crate::keyring::KeyRing;
    use crate::token::issue;

    #[test]
    fn line_has_the_facts_and_never_the_secrets() {
        let now = OffsetDateTime::from_unix_timestamp(1_565_295_072).unwrap();
        let ring = KeyRing::generate(now);
        let mut c = Claims::new("alice", Provider::Builtin);
        c.session_policy = Some(SessionPolicyJson::new("abc".into()).unwrap());
        c.token_revoke_type = Some("t".into());
        let cred = issue(&ring, c, now, for_tests(900)).unwrap();
        let ev = IssuanceEvent::new(Action::AssumeRole, &cred, now).with_request(
            Some("10.0.0.1".into()),
            Some("aws-cli/2\nx"),
            Some("17A".into()),
        );
        let line = ev.to_json_line();
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["event"], "sts.issue");
        assert_eq!(v["action"], "AssumeRole");
        assert_eq!(v["provider"], "builtin");
        assert_eq!(v["parent"], "alice");
        assert_eq!(v["accessKey"], cred.access_key.as_str());
        assert_eq!(v["expiration"], "2019-08-08T20:26:12Z");
        assert_eq!(v["time"], "2019-08-08T20:11:12Z");
        assert_eq!(
            v["sessionPolicySha256"],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(v["sourceIp"], "10.0.0.1");
        assert_eq!(v["userAgent"], "aws-cli/2\nx");
        assert_eq!(v["tokenRevokeType"], "t");
        assert!(!line.contains(cred.secret_key.expose()));
        assert!(!line.contains(cred.session_token.expose()));
        // Not even the signature part of the token.
        let sig = cred.session_token.expose().rsplit('.').next().unwrap();
        assert!(!line.contains(sig));
    }

    #[test]
    fn user_agent_bounded() {
        assert_eq!(truncate("ééé", 3), "é");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
