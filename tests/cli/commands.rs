//! Every command takes the connection the same way and writes through the same writer.

use super::{connection_file, ok, sfdf, stderr, stdout};
use crate::support::org;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sfdf_connection_names_the_file_and_format_works_on_every_command() {
    let org = org(30).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());

    let out = sfdf(["objects", "--format", "csv"])
        .env("SFDF_CONNECTION", &conn)
        .output()
        .await;
    ok(&out);
    let text = stdout(&out);
    assert!(
        text.starts_with("name,label,custom,replicateable\n"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("Account,Account,no,yes")),
        "{text}"
    );

    let out = sfdf(["describe", "Account", "--format", "json"])
        .env("SFDF_CONNECTION", &conn)
        .output()
        .await;
    ok(&out);
    let fields: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let name = fields
        .as_array()
        .expect("array")
        .iter()
        .find(|f| f["field"] == "Name")
        .expect("Name is described");
    assert_eq!(name["arrow_type"], "Utf8");

    let out = sfdf(["connection", "test", "--format", "ndjson"])
        .env("SFDF_CONNECTION", &conn)
        .output()
        .await;
    ok(&out);
    let steps: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(steps.len(), 5, "{}", stdout(&out));
    assert!(steps.iter().all(|s| s["status"] == "ok"), "{steps:?}");

    let out = sfdf([
        "sql",
        "SELECT count(*) AS n FROM Account",
        "--format",
        "csv",
    ])
    .env("SFDF_CONNECTION", &conn)
    .output()
    .await;
    ok(&out);
    assert!(stdout(&out).starts_with("n\n"), "{}", stdout(&out));

    let out = sfdf(["objects"]).output().await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("SFDF_CONNECTION"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_go_to_standard_error() {
    let org = org(30).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = dir.path().join("legacy.yaml");
    std::fs::write(
        &conn,
        format!(
            "connection_name: Legacy\ndeveloper_name: legacy\nauth_type: password\ndomain_url: {base}\nservice_url: {base}\nusername: {}\npassword: {}\napi_type: rest\n",
            org.username(),
            org.password(),
            base = org.base_url(),
        ),
    )
    .expect("writes");
    let out = sfdf([
        "connection".as_ref(),
        "test".as_ref(),
        conn.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ])
    .output()
    .await;
    ok(&out);
    let _: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("stdout is only JSON");
    assert_eq!(
        stderr(&out)
            .lines()
            .filter(|l| l.contains("auth_type `password`"))
            .count(),
        1,
        "the deprecation warning once, on stderr: {}",
        stderr(&out)
    );
}

/// `sfdf emulator --bind 0.0.0.0` started: its URL, admin token and first warning line,
/// and the child (kept with its output open: the emulator stops when its reader goes away).
type Started = (String, String, String, (std::process::Child, Box<dyn Send>));

async fn emulator_on_every_interface() -> Started {
    use std::io::{BufRead, BufReader};
    let run = sfdf([
        "emulator", "--bind", "0.0.0.0", "--port", "0", "--rows", "20",
    ]);
    tokio::task::spawn_blocking(move || {
        let mut child = run.command().spawn().expect("starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut value_of = |label: &str| {
            lines
                .by_ref()
                .map_while(Result::ok)
                .find_map(|l| {
                    l.split_once(label)
                        .map(|(_, v)| v.split_whitespace().next().unwrap_or("").to_owned())
                })
                .unwrap_or_else(|| panic!("{label} is printed"))
        };
        let url = value_of("instance / My Domain URL : ");
        let token = value_of("admin token              : ");
        let mut warning = String::new();
        BufReader::new(child.stderr.take().expect("stderr"))
            .read_line(&mut warning)
            .expect("reads");
        let output: Box<dyn Send> = Box::new(lines);
        (url, token, warning, (child, output))
    })
    .await
    .expect("joins")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_on_every_interface_prints_a_url_sfdf_accepts_and_warns() {
    let (url, token, warning, (mut child, _stdout)) = emulator_on_every_interface().await;
    // A second start draws a token of its own: tokens come from a CSPRNG, not a clock.
    let (_, other_token, _, (mut other, _other_stdout)) = emulator_on_every_interface().await;
    let _ = other.kill();
    let _ = other.wait();
    assert_ne!(token, other_token, "each start has its own admin token");
    for t in [&token, &other_token] {
        assert!(
            t.len() >= 32 && t.chars().all(|c| c.is_ascii_hexdigit()),
            "at least 128 bits as hex: {t}"
        );
    }
    let client = reqwest::Client::new();
    let requests = format!("{url}/__emulator/requests");
    let without = client.get(&requests).send().await.map(|r| r.status());
    let with = client
        .get(&requests)
        .bearer_auth(&token)
        .send()
        .await
        .map(|r| r.status());
    let fault_without = client
        .post(format!("{url}/__emulator/faults/fail-next"))
        .json(&serde_json::json!({"count": 1, "failure": "server_error"}))
        .send()
        .await
        .map(|r| r.status());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(without.ok().map(|s| s.as_u16()), Some(401));
    assert_eq!(
        fault_without.ok().map(|s| s.as_u16()),
        Some(401),
        "fault injection needs the token too"
    );
    assert_eq!(with.ok().map(|s| s.as_u16()), Some(200));
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        warning.contains("require the admin token"),
        "the warning says so: {warning}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("c.yaml");
    std::fs::write(
        &file,
        format!("connection_name: E\ndeveloper_name: e\ndomain_url: {url}\nclient_id: x\nclient_secret: y\n"),
    )
    .expect("writes");
    let out = sfdf(["connection".as_ref(), "validate".as_ref(), file.as_os_str()])
        .output()
        .await;
    ok(&out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_deleted_reads_the_recycle_bin_too() {
    let org = org(100).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    let all = org.records("Account").expect("Account").len();
    let out = sfdf([
        "sql".as_ref(),
        conn.as_os_str(),
        "SELECT count(*) AS n FROM Account".as_ref(),
        "--include-deleted".as_ref(),
        "--format".as_ref(),
        "csv".as_ref(),
    ])
    .output()
    .await;
    ok(&out);
    assert_eq!(stdout(&out), format!("n\n{all}\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_org_is_said_once() {
    // Nothing listens on this port once the listener is gone.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = dir.path().join("gone.yaml");
    std::fs::write(
        &conn,
        format!("connection_name: Gone\ndeveloper_name: gone\ndomain_url: http://127.0.0.1:{port}\nclient_id: x\nclient_secret: y\n"),
    )
    .expect("writes");
    let out = sfdf(["objects".as_ref(), conn.as_os_str()]).output().await;
    assert!(!out.status.success());
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "{err}");
    let words: Vec<&str> = lines[0].split(": ").collect();
    let mut seen = std::collections::HashSet::new();
    assert!(
        words.iter().all(|w| seen.insert(*w)),
        "a cause is repeated: {}",
        lines[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_log_shows_requests_and_retries_without_secrets_or_colours() {
    let org = org(30).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let conn = connection_file(&org, dir.path());
    org.faults()
        .fail_next(1, sfdf_emulator::Failure::ServiceUnavailable);
    let out = sfdf(["objects".as_ref(), conn.as_os_str(), "--names".as_ref()])
        .env("RUST_LOG", "sfdf_connector=debug")
        .output()
        .await;
    ok(&out);
    let err = stderr(&out);
    assert!(err.contains("token request"), "requests are logged: {err}");
    assert!(err.contains("retrying"), "the retry is logged: {err}");
    assert!(!err.contains(org.client_secret()), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colours off a terminal: {err:?}"
    );
}
