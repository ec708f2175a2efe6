//! The `sfdf` command as people and scripts run it: outputs, pipes, scripts, shared flags.

mod commands;
mod jobs;
mod output;
mod scripts;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sfdf_emulator::EmulatedOrg;

/// A connection file for `org` in `dir`.
pub(crate) fn connection_file(org: &EmulatedOrg, dir: &Path) -> PathBuf {
    let file = dir.join("conn.yaml");
    std::fs::write(
        &file,
        format!(
            "connection_name: Test\ndeveloper_name: test_org\ndomain_url: {}\nclient_id: {}\nclient_secret: {}\n",
            org.base_url(),
            org.client_id(),
            org.client_secret()
        ),
    )
    .expect("writes the connection file");
    file
}

/// One run of `sfdf`.
#[derive(Default)]
pub(crate) struct Run {
    args: Vec<String>,
    stdin: Option<String>,
    env: Vec<(String, String)>,
}

/// `sfdf ARGS..`.
pub(crate) fn sfdf<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Run {
        args: args
            .into_iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect(),
        ..Run::default()
    }
}

impl Run {
    /// Feeds `text` on standard input (a pipe: not a terminal).
    pub(crate) fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    /// Sets an environment variable.
    pub(crate) fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.env.push((
            key.to_owned(),
            value.as_ref().to_string_lossy().into_owned(),
        ));
        self
    }

    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_sfdf"));
        command
            .args(&self.args)
            .env_remove("SFDF_CONNECTION")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs to the end (off the async runtime, so the org keeps answering).
    pub(crate) async fn output(self) -> Output {
        tokio::task::spawn_blocking(move || {
            let mut child = self.command().spawn().expect("sfdf starts");
            let mut stdin = child.stdin.take().expect("stdin");
            if let Some(text) = &self.stdin {
                stdin.write_all(text.as_bytes()).expect("writes stdin");
            }
            drop(stdin);
            child.wait_with_output().expect("sfdf ends")
        })
        .await
        .expect("joins")
    }
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts success, showing both streams otherwise.
pub(crate) fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        stdout(out),
        stderr(out)
    );
}
