//! STS end to end against the real binary with aws-sdk-rust: aws-config's `AssumeRoleProvider`
//! obtains temporary credentials from Strongbox and an S3 client uses them (the provider refreshes
//! them itself); `GetCallerIdentity` through aws-sdk-sts names the assumed role.

mod common;

use aws_config::BehaviorVersion;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::primitives::ByteStream;
use common::{REGION, ROOT_PASSWORD, ROOT_USER, Server};

async fn sdk_config(server: &Server, creds: Credentials) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(server.endpoint())
        .region(Region::new(REGION))
        .credentials_provider(creds)
        .load()
        .await
}

#[tokio::test]
async fn aws_sdk_assume_role_provider_then_s3_and_caller_identity() {
    let server = Server::start();
    let root = Credentials::new(ROOT_USER, ROOT_PASSWORD, None, None, "root");
    let base = sdk_config(&server, root).await;
    // Strongbox ignores RoleArn and RoleSessionName for AssumeRole (as MinIO).
    let provider = AssumeRoleProvider::builder("arn:minio:iam:::role/ignored")
        .session_name("sts-e2e")
        .configure(&base)
        .build()
        .await;
    let temp = provider.provide_credentials().await.expect("AssumeRole");
    assert_eq!(temp.access_key_id().len(), 20);
    assert!(temp.session_token().is_some());
    assert!(temp.expiry().is_some());

    let s3 = aws_sdk_s3::Client::from_conf(
        server
            .s3_config("unused", "unused")
            .credentials_provider(provider)
            .build(),
    );
    s3.create_bucket().bucket("sts-e2e").send().await.unwrap();
    s3.put_object()
        .bucket("sts-e2e")
        .key("hello.txt")
        .body(ByteStream::from_static(b"temporary hello"))
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket("sts-e2e")
        .key("hello.txt")
        .send()
        .await
        .unwrap();
    let body = got.body.collect().await.unwrap().into_bytes();
    assert_eq!(&body[..], b"temporary hello");

    let as_temp = sdk_config(&server, temp.clone()).await;
    let sts = aws_sdk_sts::Client::new(&as_temp);
    let me = sts
        .get_caller_identity()
        .send()
        .await
        .expect("GetCallerIdentity");
    let want = format!(
        "arn:minio:sts:::assumed-role/{ROOT_USER}/{}",
        temp.access_key_id()
    );
    assert_eq!(me.arn(), Some(want.as_str()));

    // AssumeRole with temporary credentials is refused with an STS error the SDK understands.
    let err = sts
        .assume_role()
        .role_arn("arn:minio:iam:::role/ignored")
        .role_session_name("again")
        .send()
        .await
        .unwrap_err();
    let code = err.into_service_error().meta().code().map(str::to_owned);
    assert_eq!(code.as_deref(), Some("AccessDenied"));
}

#[tokio::test]
async fn aws_sdk_sees_sts_error_codes() {
    let server = Server::start();
    let root = Credentials::new(ROOT_USER, ROOT_PASSWORD, None, None, "root");
    let sts = aws_sdk_sts::Client::new(&sdk_config(&server, root).await);
    let err = sts
        .assume_role()
        .role_arn("arn:minio:iam:::role/ignored")
        .role_session_name("short")
        .duration_seconds(899)
        .send()
        .await
        .unwrap_err();
    let e = err.into_service_error();
    assert_eq!(e.meta().code(), Some("InvalidParameterValue"));
    assert_eq!(e.meta().message(), Some("invalid token expiry"));
}
