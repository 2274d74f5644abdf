use std::collections::HashMap;

use super::*;

fn vars(text: &str) -> FileVars {
    FileVars::parse(text).unwrap_or_else(|e| panic!("{e:?}"))
}

fn problems(text: &str) -> Vec<FileProblem> {
    FileVars::parse(text).unwrap_err()
}

#[test]
fn translation_of_every_kind_of_key_and_value() {
    let f = vars(
        r#"
region = "eu-west-1"
domain = ["s3.example.com", "other.test"]

[root]
user = "admin"
password = "a-long-password"

[sts]
max_duration = 7200
rate_limit = 0x10

[identity_openid]
config_url = "http://127.0.0.1:1/.well-known/openid-configuration"
client_id = "app"
role_policy = "readonly"
claim_userinfo = true
timeout = 3

[identity_openid.keycloak]
config_url = "http://127.0.0.1:2/.well-known/openid-configuration"
client_id = "kc"
scopes = ["openid", "groups"]

[identity_plugin]
url = "http://127.0.0.1:3/auth"

[policy_opa]
url = "http://127.0.0.1:4/opa"

[identity_tls]
enable = false
"#,
    );
    let expect = [
        ("MINIO_REGION", "eu-west-1"),
        ("MINIO_DOMAIN", "s3.example.com,other.test"),
        ("MINIO_ROOT_USER", "admin"),
        ("MINIO_ROOT_PASSWORD", "a-long-password"),
        ("STRONGBOX_STS_MAX_DURATION", "7200"),
        ("STRONGBOX_STS_RATE_LIMIT", "16"),
        (
            "MINIO_IDENTITY_OPENID_CONFIG_URL",
            "http://127.0.0.1:1/.well-known/openid-configuration",
        ),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", "app"),
        ("MINIO_IDENTITY_OPENID_ROLE_POLICY", "readonly"),
        ("MINIO_IDENTITY_OPENID_CLAIM_USERINFO", "on"),
        ("STRONGBOX_IDENTITY_OPENID_TIMEOUT", "3"),
        (
            "MINIO_IDENTITY_OPENID_CONFIG_URL_KEYCLOAK",
            "http://127.0.0.1:2/.well-known/openid-configuration",
        ),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID_KEYCLOAK", "kc"),
        ("MINIO_IDENTITY_OPENID_SCOPES_KEYCLOAK", "openid,groups"),
        ("MINIO_IDENTITY_PLUGIN_URL", "http://127.0.0.1:3/auth"),
        ("MINIO_POLICY_OPA_URL", "http://127.0.0.1:4/opa"),
        ("MINIO_IDENTITY_TLS_ENABLE", "off"),
    ];
    for (name, value) in expect {
        assert_eq!(f.var(name).as_deref(), Some(value), "{name}");
    }
    assert_eq!(f.len(), expect.len());
    let s = f.get("MINIO_IDENTITY_OPENID_CLIENT_ID_KEYCLOAK").unwrap();
    assert_eq!(
        (s.key.as_str(), s.line),
        ("identity_openid.keycloak.client_id", 22)
    );
    assert_eq!(f.get("MINIO_REGION").unwrap().line, 2);
    let mut openid = f.names_with_prefix("MINIO_IDENTITY_OPENID_");
    openid.sort();
    assert_eq!(openid.len(), 7);
}

#[test]
fn dotted_keys_and_sections_are_the_same_setting() {
    let f = vars("root.user = \"admin\"\nroot_password = \"a-long-password\"\n");
    assert_eq!(f.var("MINIO_ROOT_USER").as_deref(), Some("admin"));
    assert_eq!(
        f.var("MINIO_ROOT_PASSWORD").as_deref(),
        Some("a-long-password")
    );
    let p = problems("root_user = \"a\"\n[root]\nuser = \"b\"\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].problem.contains("sets MINIO_ROOT_USER, which"),
        "{p:?}"
    );
}

#[test]
fn unknown_keys_are_errors_naming_key_and_line() {
    let p = problems(
        "region = \"us-east-1\"\nregoin = \"x\"\n\n[identity_plugin]\nurl = \"http://a/\"\nulr = \"http://b/\"\n[nonsense]\nx = 1\n",
    );
    let found: Vec<(Option<usize>, Option<&str>)> =
        p.iter().map(|p| (p.line, p.key.as_deref())).collect();
    assert_eq!(
        found,
        [
            (Some(2), Some("regoin")),
            (Some(6), Some("identity_plugin.ulr")),
            (Some(8), Some("nonsense.x")),
        ]
    );
    assert!(p[0].problem.contains("MINIO_REGOIN"), "{p:?}");
}

#[test]
fn provider_keys_and_names_are_checked() {
    let p = problems(
        "[identity_openid.kc]\nconfig_url = \"x\"\nbogus = \"y\"\n[identity_openid.\"bad name\"]\nclient_id = \"z\"\n[identity_openid.dynamic]\nredirect_uri = \"http://x/\"\n[identity_plugin.sub]\nurl = \"x\"\n",
    );
    let keys: Vec<&str> = p.iter().filter_map(|p| p.key.as_deref()).collect();
    assert_eq!(
        keys,
        [
            "identity_openid.kc.bogus",
            "identity_openid.bad name",
            "identity_openid.dynamic.redirect_uri",
            "identity_plugin.sub",
        ],
        "{p:?}"
    );
}

#[test]
fn values_of_the_wrong_type_are_errors() {
    for (text, what) in [
        ("region = 1.5", "float"),
        ("region = 1979-05-27", "datetime"),
        ("domain = [\"a\", 1]", "strings only"),
        ("domain = [\"a,b\"]", "contains ','"),
        ("[identity_plugin]\nurl = { a = 1 }", "sub-tables"),
    ] {
        let p = problems(text);
        assert_eq!(p.len(), 1, "{text}: {p:?}");
        assert!(p[0].problem.contains(what), "{text}: {p:?}");
    }
}

#[test]
fn syntax_errors_give_a_line_and_never_the_text() {
    let p = problems("region = \"us-east-1\"\n[root]\npassword = \"hunter2-secret\n");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].line, Some(3), "{p:?}");
    assert!(!p[0].problem.contains("hunter2"), "{p:?}");
}

#[test]
fn the_environment_wins_over_the_file() {
    let f = vars(
        "region = \"eu-west-1\"\n[root]\nuser = \"file-user\"\npassword = \"file-password\"\n[identity_openid.kc]\nclient_id = \"f\"\n",
    );
    let env: HashMap<&str, &str> = [
        ("MINIO_REGION", "us-west-2"),
        ("MINIO_ROOT_USER", ""),
        ("MINIO_IDENTITY_OPENID_CLIENT_ID", "e"),
    ]
    .into_iter()
    .collect();
    let l = Layered::new(&env, Some(&f));
    assert_eq!(l.var("MINIO_REGION").as_deref(), Some("us-west-2"));
    // An empty variable counts as unset, so the file's value stands.
    assert_eq!(l.var("MINIO_ROOT_USER").as_deref(), Some("file-user"));
    assert_eq!(
        l.names_with_prefix("MINIO_IDENTITY_OPENID_"),
        [
            "MINIO_IDENTITY_OPENID_CLIENT_ID",
            "MINIO_IDENTITY_OPENID_CLIENT_ID_KC"
        ]
    );
}

#[test]
fn the_whole_configuration_reads_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("strongbox.toml");
    std::fs::write(
        &path,
        "region = \"eu-west-1\"\n[root]\nuser = \"file-user\"\npassword = \"file-password\"\n[identity_plugin]\nurl = \"http://127.0.0.1:1/auth\"\nrole_policy = \"readonly\"\nrole_id = \"sso\"\n",
    )
    .unwrap();
    let mut args = ServerArgs::new("/data");
    args.config = Some(path.clone());
    let env: HashMap<&str, &str> = [("MINIO_REGION", "us-west-2")].into_iter().collect();
    let (c, file) = load(&args, &env).unwrap();
    assert_eq!(c.region, "us-west-2");
    let super::super::RootCredentialsSource::Environment(root) = c.root_credentials else {
        panic!("root credentials from the file expected")
    };
    assert_eq!(root.access_key(), "file-user");
    assert_eq!(
        c.identity_plugin.unwrap().role_arn(None),
        "arn:minio:iam:::role/idmp-sso"
    );
    assert!(format!("{file:?}").contains("identity_plugin.url"));
    assert!(!format!("{file:?}").contains("file-password"));

    // STRONGBOX_CONFIG_FILE names it when --config does not.
    let env: HashMap<&str, &str> = [(FILE_VAR, path.to_str().unwrap())].into_iter().collect();
    let (c, _) = load(&ServerArgs::new("/data"), &env).unwrap();
    assert_eq!(c.region, "eu-west-1");
}

#[test]
fn invalid_values_from_the_file_name_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "\n[root]\nuser = \"ab\"\npassword = \"short\"\n").unwrap();
    let mut args = ServerArgs::new("/data");
    args.config = Some(path.clone());
    let empty: HashMap<&str, &str> = HashMap::new();
    let shown = load(&args, &empty).unwrap_err().to_string();
    assert!(shown.contains("MINIO_ROOT_USER ("), "{shown}");
    assert!(shown.contains("s.toml line 3: root.user)"), "{shown}");
    assert!(shown.contains("s.toml line 4: root.password)"), "{shown}");
    assert!(!shown.contains("short\""), "{shown}");
}

#[test]
fn file_errors_fail_loading() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = ServerArgs::new("/data");
    let empty: HashMap<&str, &str> = HashMap::new();

    args.config = Some(dir.path().join("missing.toml"));
    let e = load(&args, &empty).unwrap_err().to_string();
    assert!(e.contains("missing.toml: cannot open"), "{e}");

    args.config = Some(dir.path().to_owned());
    let e = load(&args, &empty).unwrap_err().to_string();
    assert!(e.contains("not a regular file"), "{e}");

    let big = dir.path().join("big.toml");
    std::fs::write(&big, format!("# {}\n", "x".repeat(MAX_FILE_BYTES))).unwrap();
    args.config = Some(big);
    let e = load(&args, &empty).unwrap_err().to_string();
    assert!(e.contains("larger than 1024 KiB"), "{e}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[identity_plugin]\nurll = \"x\"\n").unwrap();
    args.config = Some(bad);
    let e = load(&args, &empty).unwrap_err().to_string();
    assert!(
        e.contains("bad.toml line 2: identity_plugin.urll: unknown setting"),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn readable_secrets_are_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        "[root]\nuser = \"admin\"\npassword = \"a-long-password\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let w = ConfigFile::read(&path)
        .unwrap()
        .permission_warning()
        .unwrap();
    assert!(w.contains("root.password") && w.contains("644"), "{w}");
    assert!(!w.contains("a-long-password"), "{w}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(
        ConfigFile::read(&path)
            .unwrap()
            .permission_warning()
            .is_none()
    );
    // Readable, but nothing secret in it.
    std::fs::write(&path, "region = \"eu-west-1\"\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(
        ConfigFile::read(&path)
            .unwrap()
            .permission_warning()
            .is_none()
    );
}
