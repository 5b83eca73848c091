//! `kubenudge serve` without App credentials: set-up mode serves until the App is created,
//! then hands over (the caller starts the reviewing service with the stored credentials).

use std::time::Duration;

use crate::support::manifest_flow::{self, CREATED_APP_ID};
use crate::support::*;
use kubenudge::server::{Settings, needs_setup, serve_setup};

#[tokio::test]
async fn set_up_mode_ends_once_the_app_is_stored_and_serve_then_reads_it() {
    let fake = fake_github::FakeGitHub::start().await;
    let pem = std::fs::read_to_string(data("test-app-key.pem")).unwrap();
    manifest_flow::mount(&fake, &pem).await;
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("kubenudge-app");
    let env = |name: &str| match name {
        "KUBENUDGE_APP_CREDENTIALS_DIR" => Some(creds.display().to_string()),
        _ => None,
    };
    assert!(needs_setup(env));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let serving = tokio::spawn(serve_setup(manifest_flow::settings(
        &fake,
        addr,
        None,
        creds.clone(),
    )));
    // Wait (up to 10 s) for the port: the task binds it first thing.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "set-up mode never listened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, form) = http(addr, "GET", "/setup", &[], b"", None).await;
    assert_eq!(status, 200);
    let (status, _) = http(addr, "POST", "/webhook", &[], b"{}", None).await;
    assert_eq!(status, 503, "no webhooks before there is an App");
    let state = manifest_flow::form_state(&form);
    let (status, page) = http(
        addr,
        "GET",
        &format!("/setup/callback?code={}&state={state}", manifest_flow::CODE),
        &[],
        b"",
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    let handed_over = tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("set-up mode did not stop after the App was stored")
        .unwrap()
        .unwrap();
    assert!(handed_over);
    assert!(!needs_setup(env));
    let settings = Settings::from_env(env).expect("settings from the stored credentials");
    assert_eq!(settings.app_id, CREATED_APP_ID);
}
