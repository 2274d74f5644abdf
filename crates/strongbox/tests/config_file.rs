//! The TOML configuration file, end to end: the real binary configured by a file (root
//! credentials, the identity plugin), the environment winning over it, and a bad key failing
//! start-up with a message naming it.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_credential_types::Credentials;
use common::{Server, http};

const FILE_USER: &str = "file-root-user";
const FILE_PASSWORD: &str = "file-root-Passw0rd-secret";
const PLUGIN_TOKEN: &str = "Bearer file-plugin-secret";

/// An identity plugin (the user's own web service): answers every POST with a fixed user and
/// records each request's `Authorization` header.
fn start_plugin() -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => raw.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&raw).into_owned();
            let auth = head
                .lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                })
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default();
            log.lock().unwrap().push(auth);
            let body = r#"{"user":"file-plugin-user","maxValiditySeconds":3600,"claims":{}}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (addr, seen)
}

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[tokio::test]
async fn root_credentials_and_identity_plugin_from_the_file() {
    let (plugin, seen) = start_plugin();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strongbox.toml");
    write_private(
        &path,
        &format!(
            r#"# Strongbox configuration
[root]
user = "{FILE_USER}"
password = "{FILE_PASSWORD}"

[identity_plugin]
url = "http://{plugin}/auth"
auth_token = "{PLUGIN_TOKEN}"
role_policy = "readwrite"
role_id = "cfgfile"
timeout = 5
"#
        ),
    );
    let server = Server::start_with_env(vec![
        (
            "STRONGBOX_CONFIG_FILE".into(),
            Some(path.display().to_string()),
        ),
        ("STRONGBOX_LOG".into(), Some("debug".into())),
    ]);

    // Root credentials come from the file.
    let root = server.s3_with(FILE_USER, FILE_PASSWORD);
    root.create_bucket()
        .bucket("from-file")
        .send()
        .await
        .unwrap();
    let default_root = server.s3();
    assert_eq!(
        common::err_code(default_root.list_buckets().send().await),
        "InvalidAccessKeyId"
    );

    // The identity plugin comes from the file: its RoleArn is logged and it issues credentials.
    let role_arn = "arn:minio:iam:::role/idmp-cfgfile";
    assert!(server.log().contains(role_arn), "{}", server.log());
    let target = format!(
        "/?Action=AssumeRoleWithCustomToken&Version=2011-06-15&Token=opaque-token&RoleArn={}",
        role_arn.replace(':', "%3A").replace('/', "%2F")
    );
    let resp = http::request_blocking(server.addr(), "POST", &target, &[], &[]).unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body_text());
    let xml = resp.body_text();
    let field = |t: &str| http::xml_tag(&xml, t).unwrap_or_else(|| panic!("{t} in {xml}"));
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [PLUGIN_TOKEN],
        "the file's auth token reaches the plugin"
    );
    let temp = aws_sdk_s3::Client::from_conf(
        server
            .s3_config("unused", "unused")
            .credentials_provider(Credentials::new(
                field("AccessKeyId"),
                field("SecretAccessKey"),
                Some(field("SessionToken")),
                None,
                "plugin",
            ))
            .build(),
    );
    let listed = temp.list_buckets().send().await.unwrap();
    let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(names.contains(&"from-file"), "{names:?}");

    let log = server.log();
    assert!(log.contains("configuration file"), "{log}");
    for secret in [FILE_PASSWORD, "file-plugin-secret"] {
        assert!(
            !log.contains(secret),
            "a secret from the file is in the log"
        );
    }
}

#[tokio::test]
async fn the_environment_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strongbox.toml");
    write_private(
        &path,
        &format!("root_user = \"{FILE_USER}\"\nroot_password = \"{FILE_PASSWORD}\"\n"),
    );
    let mut env = common::default_env();
    env.push((
        "STRONGBOX_CONFIG_FILE".into(),
        Some(path.display().to_string()),
    ));
    env.push(("STRONGBOX_LOG".into(), Some("debug".into())));
    let server = Server::start_with_env(env);

    server.s3().list_buckets().send().await.unwrap();
    let from_file = server.s3_with(FILE_USER, FILE_PASSWORD);
    assert_eq!(
        common::err_code(from_file.list_buckets().send().await),
        "InvalidAccessKeyId"
    );
    let log = server.log();
    let overridden: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("the environment overrides the configuration file"))
        .collect();
    assert_eq!(overridden.len(), 2, "{log}");
    assert!(overridden.iter().any(|l| l.contains("MINIO_ROOT_PASSWORD")));
    assert!(!log.contains(FILE_PASSWORD) && !log.contains(common::ROOT_PASSWORD));
}

#[test]
fn an_unknown_key_fails_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    write_private(
        &path,
        "region = \"us-east-1\"\n[identity_plugin]\nulr = \"http://127.0.0.1:1/auth\"\n",
    );
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_strongbox"))
        .args(["server", "--address", "127.0.0.1:0", "--config"])
        .arg(&path)
        .arg(&data)
        .env_remove("STRONGBOX_CONFIG_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml line 3: identity_plugin.ulr: unknown setting"),
        "{stderr}"
    );
}
