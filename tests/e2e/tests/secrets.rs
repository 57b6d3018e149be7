//! docs/reliability.md, secrets: after the whole end-to-end run, no file the app wrote (data homes, logs, web
//! view data, demo homes), no line of its output and no IPC answer it gave holds a password.
//! scripts/test.sh runs this last, over the `FE2_E2E_ARTIFACTS` directory the run kept.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use fe2_e2e::{workspace_root, TestResult, ARTIFACTS_ENV};
use std::path::{Path, PathBuf};

/// Every password an end-to-end test types: the fixtures' and the deliberately wrong one.
fn typed_credentials() -> TestResult<Vec<(String, String)>> {
    let mut credentials = vec![(
        "leitstelle@ff-musterstadt.de".to_owned(),
        "wrong password".to_owned(),
    )];
    for fixture in ["demo.json", "worked-examples.json"] {
        let path = workspace_root()
            .join("crates/fe2-shop/fixtures")
            .join(fixture);
        let fixtures: fe2_shop::Fixtures = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        credentials.extend(
            fixtures
                .customers
                .into_iter()
                .map(|c| (c.email, c.app_password)),
        );
    }
    Ok(credentials)
}

/// The forms a password could leak in: as typed, without its spaces, base64 of it, and the
/// base64 of the Basic credentials an `Authorization` header carries.
fn leak_forms(email: &str, password: &str) -> Vec<String> {
    let compact: String = password.chars().filter(|c| !c.is_whitespace()).collect();
    vec![
        password.to_owned(),
        compact.clone(),
        STANDARD.encode(password),
        STANDARD.encode(&compact),
        STANDARD.encode(format!("{email}:{password}")),
        STANDARD.encode(format!("{email}:{compact}")),
    ]
}

fn files_below(dir: &Path, found: &mut Vec<PathBuf>) -> TestResult {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            files_below(&entry.path(), found)?;
        } else if kind.is_file() {
            found.push(entry.path());
        }
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
#[ignore = "after the end-to-end run: scripts/test.sh runs it over FE2_E2E_ARTIFACTS"]
fn after_e2e_run_no_file_output_or_ipc_answer_holds_a_password() -> TestResult {
    let root = std::env::var_os(ARTIFACTS_ENV)
        .map(PathBuf::from)
        .ok_or("FE2_E2E_ARTIFACTS is not set: run scripts/test.sh")?;
    let mut files = Vec::new();
    files_below(&root, &mut files)?;
    let name = |p: &PathBuf| p.file_name().map(|n| n.to_string_lossy().into_owned());

    // The scan must have something to search: the run's app logs, outputs and IPC answers.
    let ipc_files: Vec<_> = files
        .iter()
        .filter(|p| name(p).as_deref() == Some("ipc-answers.json"))
        .collect();
    let app_logs = files
        .iter()
        .filter(|p| name(p).as_deref() == Some("fe2-license-manager.log"))
        .count();
    let outputs = files
        .iter()
        .filter(|p| name(p).is_some_and(|n| n.starts_with("driver-")))
        .count();
    assert!(
        ipc_files.len() >= 8,
        "IPC answer files: {}",
        ipc_files.len()
    );
    assert!(app_logs >= 8, "app log files: {app_logs}");
    assert!(outputs >= 8, "app outputs: {outputs}");
    let mut answers = 0;
    for file in &ipc_files {
        let recorded: serde_json::Value = serde_json::from_slice(&std::fs::read(file)?)?;
        answers += recorded.as_array().map_or(0, Vec::len);
    }
    assert!(answers >= 50, "IPC answers recorded: {answers}");

    let forms: Vec<String> = typed_credentials()?
        .iter()
        .flat_map(|(email, password)| leak_forms(email, password))
        .collect();
    let mut leaks = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file)?;
        for form in &forms {
            if contains(&bytes, form.as_bytes()) {
                leaks.push(format!("{}: {form:?}", file.display()));
            }
        }
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        let is_output = name(file).is_some_and(|n| n.ends_with(".log"));
        if is_output && (text.contains("authorization:") || text.contains("basic ")) {
            leaks.push(format!("{}: an Authorization header", file.display()));
        }
    }
    assert!(leaks.is_empty(), "secrets found:\n{}", leaks.join("\n"));
    println!(
        "searched {} files ({} IPC answers in {} sessions, {app_logs} app logs, {outputs} outputs) for {} forms: none found",
        files.len(),
        answers,
        ipc_files.len(),
        forms.len()
    );
    Ok(())
}
