//! LDAP test helpers: a throwaway slapd (tests/ldap/start-slapd.sh, seed data in
//! tests/ldap/README.md), the MINIO_IDENTITY_LDAP_* environment pointing a server at it,
//! AssumeRoleWithLDAPIdentity calls as raw HTTP, and the LDAP admin endpoints with madmin
//! encryption.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::SystemTime;

use super::http::{Response, request_blocking, xml_tag};
use super::sigv4::{Signer, sha256_hex, uri_encode};
use super::{REGION, ROOT_PASSWORD, ROOT_USER};

pub const BASE: &str = "dc=example,dc=org";
pub const PEOPLE: &str = "ou=people,dc=example,dc=org";
pub const GROUPS: &str = "ou=groups,dc=example,dc=org";
pub const PROJECT_A: &str = "cn=projecta,ou=groups,dc=example,dc=org";
pub const PROJECT_B: &str = "cn=projectb,ou=groups,dc=example,dc=org";

/// The DN of a seeded user.
pub fn user_dn(uid: &str) -> String {
    format!("uid={uid},{PEOPLE}")
}

/// The seeded password of a user (`alice` → `alice-password`).
pub fn password(uid: &str) -> String {
    format!("{uid}-password")
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether slapd and ldap-utils are installed. In CI (`CI=true`) their absence fails the test;
/// elsewhere the caller skips with a note.
pub fn slapd_available() -> bool {
    let slapd = which("slapd") || std::path::Path::new("/usr/sbin/slapd").exists();
    let ok = slapd && which("ldapsearch");
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "slapd/ldap-utils missing in CI (test.sh installs them)"
        );
        eprintln!("SKIPPED: slapd or ldap-utils not installed (run ./test.sh to install them)");
    }
    ok
}

fn which(cmd: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {cmd}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A running throwaway slapd on 127.0.0.1. Dropping it stops slapd and removes its directory.
pub struct Slapd {
    dir: tempfile::TempDir,
    port: u16,
}

impl Slapd {
    /// Starts slapd on a free port with the seed data (None: not installed, outside CI).
    pub fn start() -> Option<Slapd> {
        if !slapd_available() {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("strongbox-slapd-")
            .tempdir()
            .expect("tempdir");
        let slapd = Slapd {
            dir,
            port: super::free_port(),
        };
        slapd.run_start();
        Some(slapd)
    }

    fn run_start(&self) {
        let out = Command::new("bash")
            .arg(repo_root().join("tests/ldap/start-slapd.sh"))
            .arg(self.dir.path())
            .arg(self.port.to_string())
            .output()
            .expect("run start-slapd.sh");
        assert!(
            out.status.success(),
            "start-slapd.sh failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default()
        );
    }

    /// Stops slapd (the directory outage).
    pub fn stop(&self) {
        let _ = Command::new("bash")
            .arg(repo_root().join("tests/ldap/stop-slapd.sh"))
            .arg(self.dir.path())
            .output();
    }

    /// Sends `signal` to slapd (SIGSTOP: a directory that accepts connections and never
    /// answers; SIGCONT: back to work).
    pub fn signal(&self, signal: rustix::process::Signal) {
        let pid: i32 = std::fs::read_to_string(self.dir.path().join("slapd.pid"))
            .expect("slapd.pid")
            .trim()
            .parse()
            .expect("pid");
        let raw = pid;
        let pid = rustix::process::Pid::from_raw(pid).expect("positive pid");
        rustix::process::kill_process(pid, signal).expect("signal slapd");
        if signal == rustix::process::Signal::STOP {
            // The signal is only sent when kill returns; on a busy machine a slapd thread could
            // still answer a request. Wait until every thread is stopped (state T).
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while !all_threads_stopped(raw) {
                assert!(
                    std::time::Instant::now() < deadline,
                    "slapd {raw} did not stop"
                );
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
    }

    /// Starts slapd again on the same port, with the same seed data.
    pub fn restart(&self) {
        self.run_start();
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server environment for this directory (plain LDAP, explicitly insecure), with
    /// `mail` as the extra user attribute.
    pub fn env(&self) -> Vec<(String, Option<String>)> {
        let mut env = super::default_env();
        for (k, v) in [
            ("SERVER_ADDR", format!("127.0.0.1:{}", self.port)),
            ("SERVER_INSECURE", "on".into()),
            ("LOOKUP_BIND_DN", format!("cn=lookup,{BASE}")),
            ("LOOKUP_BIND_PASSWORD", "lookup-secret".into()),
            ("USER_DN_SEARCH_BASE_DN", PEOPLE.into()),
            ("USER_DN_SEARCH_FILTER", "(uid=%s)".into()),
            ("USER_DN_ATTRIBUTES", "mail".into()),
            ("GROUP_SEARCH_BASE_DN", GROUPS.into()),
            (
                "GROUP_SEARCH_FILTER",
                "(&(objectclass=groupOfNames)(member=%d))".into(),
            ),
        ] {
            env.push((format!("MINIO_IDENTITY_LDAP_{k}"), Some(v)));
        }
        env
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        // A stopped (SIGSTOP) slapd would not act on the SIGTERM of stop-slapd.sh at once.
        if self.dir.path().join("slapd.pid").exists() {
            self.signal(rustix::process::Signal::CONT);
        }
        self.stop();
    }
}

/// `application/x-www-form-urlencoded` of `pairs`.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

fn login_pairs<'a>(
    user: &'a str,
    pass: &'a str,
    extra: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("Action", "AssumeRoleWithLDAPIdentity"),
        ("Version", "2011-06-15"),
        ("LDAPUsername", user),
        ("LDAPPassword", pass),
    ];
    p.extend_from_slice(extra);
    p
}

/// AssumeRoleWithLDAPIdentity as a plain form POST (what curl and boto-style clients send).
pub fn login_form(addr: SocketAddr, user: &str, pass: &str, extra: &[(&str, &str)]) -> Response {
    let body = form(&login_pairs(user, pass, extra));
    request_blocking(
        addr,
        "POST",
        "/",
        &[(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body.as_bytes(),
    )
    .expect("STS request")
}

/// AssumeRoleWithLDAPIdentity with every parameter in the query string (what minio-py sends).
pub fn login_query(addr: SocketAddr, user: &str, pass: &str) -> Response {
    let target = format!("/?{}", form(&login_pairs(user, pass, &[])));
    request_blocking(addr, "POST", &target, &[], b"").expect("STS request")
}

/// Temporary credentials from a successful STS answer.
#[derive(Debug, Clone)]
pub struct TempCreds {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: String,
}

impl TempCreds {
    pub fn from_response(r: &Response) -> TempCreds {
        let body = r.body_text();
        assert_eq!(r.status, 200, "STS login failed: {body}");
        let tag = |t: &str| xml_tag(&body, t).unwrap_or_else(|| panic!("no <{t}> in {body}"));
        TempCreds {
            access_key: tag("AccessKeyId"),
            secret_key: tag("SecretAccessKey"),
            session_token: tag("SessionToken"),
        }
    }

    pub fn credentials(&self) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            &self.access_key,
            &self.secret_key,
            Some(self.session_token.clone()),
            None,
            "ldap-e2e",
        )
    }
}

/// The `<Code>` and `<Message>` of an STS error answer.
pub fn sts_error(r: &Response) -> (u16, String, String) {
    let body = r.body_text();
    (
        r.status,
        xml_tag(&body, "Code").unwrap_or_default(),
        xml_tag(&body, "Message").unwrap_or_default(),
    )
}

/// The body with the `<RequestId>` text removed.
pub fn without_request_id(r: &Response) -> String {
    let body = r.body_text();
    match (body.find("<RequestId>"), body.find("</RequestId>")) {
        (Some(a), Some(b)) => format!("{}{}", &body[..a], &body[b..]),
        _ => body,
    }
}

/// Root's admin client for the MinIO admin API (SigV4 header auth, madmin-encrypted bodies).
pub struct Admin {
    pub addr: SocketAddr,
}

impl Admin {
    fn call(&self, method: &str, path: &str, query: &[(&str, &str)], body: &[u8]) -> Response {
        let signer = Signer::new(ROOT_USER, ROOT_PASSWORD, REGION, SystemTime::now());
        let host = self.addr.to_string();
        let signed = signer.sign(
            method,
            &host,
            &format!("/minio/admin/v3/{path}"),
            query,
            &[("content-type", "application/octet-stream")],
            &sha256_hex(body),
        );
        request_blocking(self.addr, method, &signed.target, &signed.headers, body)
            .expect("admin request")
    }

    /// `PUT add-canned-policy` (plain body). Panics unless 200.
    pub fn put_policy(&self, name: &str, doc: &str) {
        let r = self.call(
            "PUT",
            "add-canned-policy",
            &[("name", name)],
            doc.as_bytes(),
        );
        assert_eq!(r.status, 200, "add-canned-policy {name}: {}", r.body_text());
    }

    /// The decrypted JSON of an encrypted answer (or the plain error body).
    fn open(r: &Response) -> String {
        if r.status != 200 {
            return r.body_text();
        }
        let plain = strongbox_madmin::decrypt_data(ROOT_PASSWORD.as_bytes(), &r.body)
            .expect("decrypt admin answer");
        String::from_utf8(plain).expect("UTF-8 JSON")
    }

    fn associate(&self, op: &str, policies: &[&str], who: (&str, &str)) -> (u16, String) {
        let body = serde_json::json!({ "policies": policies, who.0: who.1 }).to_string();
        let sealed = strongbox_madmin::encrypt_data(ROOT_PASSWORD.as_bytes(), body.as_bytes());
        let r = self.call("POST", &format!("idp/ldap/policy/{op}"), &[], &sealed);
        (r.status, Self::open(&r))
    }

    /// `idp/ldap/policy/attach` to `("user", DN-or-name)` or `("group", DN)`.
    pub fn attach(&self, policies: &[&str], who: (&str, &str)) -> (u16, String) {
        self.associate("attach", policies, who)
    }

    /// `idp/ldap/policy/detach`.
    pub fn detach(&self, policies: &[&str], who: (&str, &str)) -> (u16, String) {
        self.associate("detach", policies, who)
    }

    /// `GET idp/ldap/policy-entities` with repeated `user`/`group`/`policy` parameters.
    pub fn entities(&self, query: &[(&str, &str)]) -> (u16, String) {
        let r = self.call("GET", "idp/ldap/policy-entities", query, b"");
        (r.status, Self::open(&r))
    }
}

/// A policy allowing everything on `bucket` and its objects (`bucket` may hold variables).
pub fn bucket_policy(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"]}}]}}"#
    )
}

/// Whether every thread of process `pid` is stopped (`T` in /proc/PID/task/TID/stat).
fn all_threads_stopped(pid: i32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    let mut any = false;
    for task in tasks.filter_map(Result::ok) {
        any = true;
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // The state follows the parenthesised command name.
        if stat.rsplit_once(") ").and_then(|(_, r)| r.chars().next()) != Some('T') {
            return false;
        }
    }
    any
}
