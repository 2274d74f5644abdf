//! `LdapDirectory` against a real, throwaway OpenLDAP slapd (tests/ldap/start-slapd.sh; users,
//! groups and passwords in tests/ldap/README.md). With `CI=true` a missing slapd fails these
//! tests; elsewhere they say so and pass without running.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use strongbox_idp::ldap::{LdapConfig, LdapDirectory, LdapError, Secret};

const LOOKUP_DN: &str = "cn=lookup,dc=example,dc=org";
const PEOPLE: &str = "ou=people,dc=example,dc=org";
const GROUPS: &str = "ou=groups,dc=example,dc=org";
const BOB: &str = "uid=bob,ou=people,dc=example,dc=org";
const PROJECTA: &str = "cn=projecta,ou=groups,dc=example,dc=org";
const PROJECTB: &str = "cn=projectb,ou=groups,dc=example,dc=org";

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/ldap")
}

/// A running slapd, stopped on drop.
struct Slapd {
    dir: tempfile::TempDir,
    port: u16,
    tls_port: Option<u16>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `None` (after saying why) when slapd is not installed and this is not CI.
fn slapd_available() -> bool {
    let found = ["/usr/sbin/slapd", "/usr/bin/ldapsearch"]
        .iter()
        .all(|p| Path::new(p).exists());
    if !found {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("slapd/ldap-utils missing: test.sh must install Debian's slapd and ldap-utils");
        }
        eprintln!("SKIPPED: slapd or ldapsearch not installed (apt-get install slapd ldap-utils)");
    }
    found
}

impl Slapd {
    fn start(tls: bool) -> Option<Self> {
        if !slapd_available() {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut s = Self {
            dir,
            port: free_port(),
            tls_port: tls.then(free_port),
        };
        // A port picked as free may be taken by another test before slapd binds it: retry
        // on fresh ports.
        for _ in 0..2 {
            if s.try_start().is_ok() {
                return Some(s);
            }
            s.port = free_port();
            s.tls_port = tls.then(free_port);
        }
        s.run_start();
        Some(s)
    }

    fn try_start(&self) -> Result<(), String> {
        let mut cmd = Command::new("bash");
        cmd.arg(scripts().join("start-slapd.sh"))
            .arg(self.dir.path())
            .arg(self.port.to_string());
        if let Some(t) = self.tls_port {
            cmd.arg(t.to_string());
        }
        let out = cmd.output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Starts (again) on the same ports.
    fn run_start(&mut self) {
        if let Err(e) = self.try_start() {
            panic!("start-slapd.sh failed: {e}");
        }
    }

    fn stop(&self) {
        let out = Command::new("bash")
            .arg(scripts().join("stop-slapd.sh"))
            .arg(self.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
    }

    fn pid(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("slapd.pid"))
            .unwrap()
            .trim()
            .to_owned()
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("tls/ca.pem")
    }

    /// Plain-LDAP settings for the seeded directory, with groups and `mail`.
    fn config(&self) -> LdapConfig {
        let mut c = LdapConfig::new(
            format!("127.0.0.1:{}", self.port),
            LOOKUP_DN,
            Secret::from("lookup-secret"),
            vec![PEOPLE.to_owned()],
            "(uid=%s)",
        );
        c.server_insecure = true;
        c.group_search_base_dn = vec![GROUPS.to_owned()];
        c.group_search_filter = Some("(&(objectclass=groupOfNames)(member=%d))".to_owned());
        c.user_dn_attributes = vec!["mail".to_owned(), "cn".to_owned()];
        c
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(scripts().join("stop-slapd.sh"))
            .arg(self.dir.path())
            .output();
    }
}

async fn directory(s: &Slapd) -> LdapDirectory {
    LdapDirectory::connect(s.config()).await.unwrap()
}

async fn login(d: &LdapDirectory, user: &str, pw: &str) -> Result<Vec<String>, LdapError> {
    d.authenticate(user, &Secret::from(pw))
        .await
        .map(|id| id.group_dns)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_get_their_dn_groups_and_attributes() {
    let Some(s) = Slapd::start(false) else { return };
    let d = directory(&s).await;
    let bob = d
        .authenticate("bob", &Secret::from("bob-password"))
        .await
        .unwrap();
    assert_eq!(bob.user_dn, BOB);
    assert_eq!(bob.actual_dn, BOB);
    assert_eq!(bob.username, "bob");
    assert_eq!(bob.group_dns, [PROJECTA, PROJECTB]);
    assert_eq!(bob.attributes["mail"], ["bob@example.org"]);
    assert_eq!(bob.attributes["cn"], ["Bob Builder"]);
    assert_eq!(
        login(&d, "alice", "alice-password").await.unwrap(),
        [PROJECTA]
    );
    assert_eq!(
        login(&d, "carol", "carol-password").await.unwrap(),
        [PROJECTB]
    );
    assert!(login(&d, "dave", "dave-password").await.unwrap().is_empty());
    // Without a group filter nobody has groups.
    let mut c = s.config();
    c.group_search_filter = None;
    c.group_search_base_dn.clear();
    let d = LdapDirectory::connect(c).await.unwrap();
    assert!(login(&d, "bob", "bob-password").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_unknown_user_and_empty_password_are_one_error() {
    let Some(s) = Slapd::start(false) else { return };
    let d = directory(&s).await;
    for (user, pw) in [
        ("bob", "alice-password"),
        ("bob", "bob-password "),
        ("nobody", "bob-password"),
        ("bob", ""),
        ("", "bob-password"),
        ("BOB", "wrong"),
    ] {
        assert_eq!(
            login(&d, user, pw).await,
            Err(LdapError::InvalidCredentials),
            "{user:?}/{pw:?}"
        );
    }
    // uid matching is case-insensitive in the directory, as for MinIO.
    assert_eq!(login(&d, "BOB", "bob-password").await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_usernames_and_passwords_bind_as_nobody() {
    let Some(s) = Slapd::start(false) else { return };
    let d = directory(&s).await;
    let long = "a".repeat(10 * 1024);
    let users = [
        "*",
        "*)(uid=*",
        "admin)(|(uid=*",
        "bob)(|(uid=*",
        "*)(|(objectclass=*",
        "alice\0",
        "\0",
        "bob\\",
        "%s",
        "%d",
        long.as_str(),
    ];
    let passwords = ["alice-password", "bob-password", "*", "lookup-secret"];
    for u in users {
        for p in passwords {
            let r = login(&d, u, p).await;
            assert_eq!(
                r,
                Err(LdapError::InvalidCredentials),
                "{:?}",
                &u[..u.len().min(20)]
            );
        }
    }
    let long_pw = "p".repeat(10 * 1024);
    assert_eq!(
        login(&d, "bob", &long_pw).await,
        Err(LdapError::InvalidCredentials)
    );
    // A filter that would match everything if the username were not escaped still does not
    // let `*` log in with a real password, and the directory still works afterwards.
    assert_eq!(login(&d, "bob", "bob-password").await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_matching_two_entries_logs_in_nobody() {
    let Some(s) = Slapd::start(false) else { return };
    let mut c = s.config();
    c.user_dn_search_filter = "(employeeType=%s)".to_owned();
    let d = LdapDirectory::connect(c).await.unwrap();
    for pw in ["alice-password", "bob-password"] {
        assert_eq!(
            login(&d, "staff", pw).await,
            Err(LdapError::InvalidCredentials)
        );
    }
}

/// CVE-2026-33419: an unknown user costs the same round trips as a wrong password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cve_2026_33419_unknown_user_and_wrong_password_take_the_same_time() {
    let Some(s) = Slapd::start(false) else { return };
    let d = directory(&s).await;
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    // Warm the pools, then interleave so drift hits both alike.
    let _ = login(&d, "bob", "x").await;
    for i in 0..60 {
        let t = Instant::now();
        let r = login(&d, &format!("nobody{i}"), "some-password").await;
        unknown.push(t.elapsed());
        assert_eq!(r, Err(LdapError::InvalidCredentials));
        let t = Instant::now();
        let r = login(&d, "bob", "some-password").await;
        wrong.push(t.elapsed());
        assert_eq!(r, Err(LdapError::InvalidCredentials));
    }
    let (u, w) = (median(unknown), median(wrong));
    let ratio = u.as_secs_f64() / w.as_secs_f64();
    eprintln!("median unknown user {u:?}, wrong password {w:?}, ratio {ratio:.2}");
    assert!(
        (0.5..2.0).contains(&ratio),
        "unknown {u:?} vs wrong password {w:?}"
    );
}

/// A TCP relay in front of slapd that records the operation of every LDAP message the client
/// sends (the BER tag of its protocolOp: 0x60 bind, 0x63 search, 0x42 unbind).
struct Relay {
    addr: std::net::SocketAddr,
    ops: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Relay {
    async fn start(upstream: u16) -> Self {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ops = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = ops.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = tokio::net::TcpStream::connect(("127.0.0.1", upstream)).await
                else {
                    continue;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                });
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut pending = Vec::new();
                    let mut buf = [0u8; 16 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        pending.extend_from_slice(&buf[..n]);
                        while let Some((len, op)) = next_message(&pending) {
                            seen.lock().unwrap().push(op);
                            pending.drain(..len);
                        }
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Self { addr, ops }
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.ops.lock().unwrap())
    }
}

/// A complete LDAPMessage at the start of `b`: (its length, its protocolOp tag).
fn next_message(b: &[u8]) -> Option<(usize, u8)> {
    // BER length at b[i..]: (content length, bytes used by the length).
    let len_at = |i: usize| -> Option<(usize, usize)> {
        let first = *b.get(i)?;
        if first < 0x80 {
            return Some((first as usize, 1));
        }
        let n = (first & 0x7f) as usize;
        let mut l = 0usize;
        for k in 0..n {
            l = (l << 8) | *b.get(i + 1 + k)? as usize;
        }
        Some((l, 1 + n))
    };
    assert_eq!(
        b.first().copied().unwrap_or(0x30),
        0x30,
        "not an LDAPMessage"
    );
    let (content, used) = len_at(1)?;
    let total = 1 + used + content;
    if b.len() < total {
        return None;
    }
    // messageID: INTEGER, then the protocolOp's tag.
    let id_at = 1 + used;
    let (id_len, id_used) = len_at(id_at + 1)?;
    Some((total, b[id_at + 1 + id_used + id_len]))
}

/// CVE-2026-33419: an unknown user makes the directory client send exactly the requests a
/// wrong password does (a search, then a bind), so neither the answer nor its cost differs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cve_2026_33419_unknown_user_and_wrong_password_send_the_same_requests() {
    let Some(s) = Slapd::start(false) else { return };
    let relay = Relay::start(s.port).await;
    let mut c = s.config();
    c.server_addr = relay.addr.to_string();
    c.pool_size = 1;
    let d = LdapDirectory::connect(c).await.unwrap();
    // Open the pooled connections (lookup bind, first user bind).
    assert!(login(&d, "alice", "alice-password").await.is_ok());
    relay.take();
    const BIND: u8 = 0x60;
    const SEARCH: u8 = 0x63;
    for _ in 0..3 {
        assert_eq!(
            login(&d, "nobody", "bob-password").await,
            Err(LdapError::InvalidCredentials)
        );
        let unknown = relay.take();
        assert_eq!(
            login(&d, "bob", "alice-password").await,
            Err(LdapError::InvalidCredentials)
        );
        let wrong = relay.take();
        assert_eq!(unknown, [SEARCH, BIND]);
        assert_eq!(wrong, unknown);
    }
    // Success adds the group search, and nothing is sent before a refused empty password.
    assert_eq!(login(&d, "bob", "bob-password").await.unwrap().len(), 2);
    assert_eq!(relay.take(), [SEARCH, BIND, SEARCH]);
    assert_eq!(
        login(&d, "bob", "").await,
        Err(LdapError::InvalidCredentials)
    );
    assert_eq!(
        login(&d, &"x".repeat(10 * 1024), "pw").await,
        Err(LdapError::InvalidCredentials)
    );
    assert!(relay.take().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_fails_fast_and_recovers_without_a_new_directory() {
    let Some(mut s) = Slapd::start(false) else {
        return;
    };
    let d = directory(&s).await;
    assert_eq!(login(&d, "bob", "bob-password").await.unwrap().len(), 2);

    // Down: connections refused.
    s.stop();
    let t = Instant::now();
    assert_eq!(
        login(&d, "bob", "bob-password").await,
        Err(LdapError::Unavailable)
    );
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    assert_eq!(d.lookup_user_dn("bob").await, Err(LdapError::Unavailable));

    // Back on the same port: the same directory object logs users in again.
    s.run_start();
    assert_eq!(login(&d, "bob", "bob-password").await.unwrap().len(), 2);
    assert_eq!(
        login(&d, "bob", "wrong").await,
        Err(LdapError::InvalidCredentials)
    );

    // Hung (accepts connections, answers nothing): the login deadline holds.
    let pid = s.pid();
    assert!(
        Command::new("kill")
            .args(["-STOP", &pid])
            .status()
            .unwrap()
            .success()
    );
    // `kill` returns once the signal is sent; slapd's threads stop a moment later. Wait until
    // the kernel reports it stopped, or a request could still be answered (seen on a busy
    // machine).
    wait_until_stopped(&pid);
    let t = Instant::now();
    let r = login(&d, "alice", "alice-password").await;
    let took = t.elapsed();
    assert!(
        Command::new("kill")
            .args(["-CONT", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(r, Err(LdapError::Unavailable));
    assert!(took < Duration::from_secs(6), "{took:?}");
    // Answering again: the timed-out connections were replaced.
    let mut ok = false;
    for _ in 0..20 {
        if login(&d, "alice", "alice-password").await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "no login after slapd resumed");
}

/// Established TCP connections from this process's host to `port` (IPv4 loopback).
fn connections_to(port: u16) -> usize {
    let tcp = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let want = format!(":{port:04X}");
    tcp.lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[2].ends_with(&want) && f[3] == "01"
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_reused_under_concurrency() {
    let Some(s) = Slapd::start(false) else { return };
    let mut c = s.config();
    c.pool_size = 4;
    let d = std::sync::Arc::new(LdapDirectory::connect(c).await.unwrap());
    let mut tasks = Vec::new();
    for i in 0..200 {
        let d = d.clone();
        tasks.push(tokio::spawn(async move {
            let (u, p, groups) = match i % 4 {
                0 => ("alice", "alice-password", 1),
                1 => ("bob", "bob-password", 2),
                2 => ("carol", "carol-password", 1),
                _ => ("dave", "wrong", 99),
            };
            match login(&d, u, p).await {
                Ok(g) => assert_eq!(g.len(), groups),
                Err(e) => {
                    assert_eq!(groups, 99);
                    assert_eq!(e, LdapError::InvalidCredentials);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let open = connections_to(s.port);
    eprintln!("{open} connections open to slapd after 200 logins");
    // 4 lookup connections + at most 4 bind connections (0 if /proc is not readable).
    assert!(open <= 8, "{open} connections open for 200 logins");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn startup_check_reports_every_problem() {
    let Some(s) = Slapd::start(false) else { return };
    // Wrong lookup password AND a base DN the server does not hold: both reported.
    let mut c = s.config();
    c.lookup_bind_password = Secret::from("not-the-password");
    c.user_dn_search_base_dn = vec!["ou=people,dc=missing,dc=org".to_owned()];
    let errs = LdapDirectory::connect(c).await.unwrap_err();
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(
        errs[0].contains("LOOKUP_BIND_DN") && errs[0].contains("invalid credentials"),
        "{errs:?}"
    );
    assert!(
        errs[1].contains("dc=missing,dc=org") && errs[1].contains("does not exist"),
        "{errs:?}"
    );
    assert!(!errs.iter().any(|e| e.contains("not-the-password")));

    // Right password: missing bases (user and group), overlapping bases, a bad filter.
    let mut c = s.config();
    c.user_dn_search_base_dn = vec![
        PEOPLE.to_owned(),
        "ou=nobody,dc=example,dc=org".to_owned(),
        "dc=example,dc=org".to_owned(),
    ];
    c.group_search_base_dn = vec!["ou=nogroups,dc=example,dc=org".to_owned()];
    c.group_search_filter = Some("(member=%d".to_owned());
    let errs = LdapDirectory::connect(c).await.unwrap_err();
    let all = errs.join("\n");
    assert!(all.contains("GROUP_SEARCH_FILTER"), "{all}");
    assert!(
        all.contains("ou=nobody,dc=example,dc=org\" does not exist"),
        "{all}"
    );
    assert!(
        all.contains("ou=nogroups,dc=example,dc=org\" does not exist"),
        "{all}"
    );
    assert!(all.contains("overlap"), "{all}");

    // Nothing listening.
    let mut c = s.config();
    c.server_addr = format!("127.0.0.1:{}", free_port());
    let t = Instant::now();
    let errs = LdapDirectory::connect(c).await.unwrap_err();
    assert!(errs[0].contains("cannot connect"), "{errs:?}");
    assert!(t.elapsed() < Duration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_for_policy_attachment() {
    let Some(s) = Slapd::start(false) else { return };
    let d = directory(&s).await;
    assert_eq!(d.lookup_user_dn("bob").await.unwrap().as_deref(), Some(BOB));
    assert_eq!(d.lookup_user_dn(BOB).await.unwrap().as_deref(), Some(BOB));
    assert_eq!(
        d.lookup_user_dn("UID=bob, OU=people,DC=example,DC=org")
            .await
            .unwrap()
            .as_deref(),
        Some(BOB)
    );
    assert_eq!(d.lookup_user_dn("nobody").await.unwrap(), None);
    assert_eq!(d.lookup_user_dn("*").await.unwrap(), None);
    assert_eq!(
        d.lookup_user_dn("uid=nobody,ou=people,dc=example,dc=org")
            .await
            .unwrap(),
        None
    );
    // A real entry, but not under a user base DN.
    assert_eq!(d.lookup_user_dn(PROJECTA).await.unwrap(), None);
    assert_eq!(
        d.lookup_group_dn("CN=projectb,ou=groups,dc=example,dc=org")
            .await
            .unwrap()
            .as_deref(),
        Some(PROJECTB)
    );
    assert_eq!(d.lookup_group_dn(BOB).await.unwrap(), None);
    assert_eq!(
        d.lookup_group_dn("cn=nogroup,ou=groups,dc=example,dc=org")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        d.lookup_group_dn("not a dn").await,
        Err(LdapError::InvalidDn(_))
    ));
    assert_eq!(d.user_base_dns(), [PEOPLE]);
    assert_eq!(
        LdapDirectory::normalize_dn("UID=bob,OU=people,DC=example,DC=org").unwrap(),
        "uid=bob,ou=people,dc=example,dc=org"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldaps_and_starttls() {
    let Some(s) = Slapd::start(true) else { return };
    let tls_port = s.tls_port.unwrap();
    let mut ldaps = s.config();
    ldaps.server_insecure = false;
    ldaps.server_addr = format!("127.0.0.1:{tls_port}");
    ldaps.root_cas = Some(s.ca());
    let d = LdapDirectory::connect(ldaps.clone()).await.unwrap();
    assert_eq!(login(&d, "bob", "bob-password").await.unwrap().len(), 2);

    let mut starttls = s.config();
    starttls.server_insecure = false;
    starttls.server_starttls = true;
    starttls.root_cas = Some(s.ca());
    let d = LdapDirectory::connect(starttls).await.unwrap();
    assert_eq!(login(&d, "alice", "alice-password").await.unwrap().len(), 1);
    assert_eq!(
        login(&d, "alice", "bob-password").await,
        Err(LdapError::InvalidCredentials)
    );

    // The test CA is not trusted by default: refused at start-up.
    let mut untrusted = ldaps.clone();
    untrusted.root_cas = None;
    let errs = LdapDirectory::connect(untrusted).await.unwrap_err();
    assert!(errs[0].contains("cannot connect"), "{errs:?}");
    // ... unless verification is explicitly switched off.
    let mut skip = ldaps;
    skip.root_cas = None;
    skip.tls_skip_verify = true;
    let d = LdapDirectory::connect(skip).await.unwrap();
    assert_eq!(login(&d, "carol", "carol-password").await.unwrap().len(), 1);

    // LDAPS settings against the plain port fail cleanly too.
    let mut wrong = s.config();
    wrong.server_insecure = false;
    wrong.root_cas = Some(s.ca());
    assert!(LdapDirectory::connect(wrong).await.is_err());
}

/// Waits (at most 5 s) until every thread of process `pid` is in the stopped state (`T` in
/// /proc/PID/task/TID/stat).
fn wait_until_stopped(pid: &str) {
    let state = |path: std::path::PathBuf| -> Option<char> {
        let stat = std::fs::read_to_string(path).ok()?;
        // The state follows the parenthesised command name.
        stat.rsplit_once(") ")?.1.chars().next()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let tasks: Vec<_> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path().join("stat"))
                    .collect()
            })
            .unwrap_or_default();
        if !tasks.is_empty() && tasks.into_iter().all(|t| state(t) == Some('T')) {
            return;
        }
        assert!(Instant::now() < deadline, "slapd {pid} did not stop");
        std::thread::sleep(Duration::from_millis(5));
    }
}
