//! The audit log (docs/domain.md, Audit log): one JSON line per action taken through the app
//! or the CLI, in `data/audit-log.jsonl`. Each line carries the SHA-256 of the line before it,
//! so a changed, removed or reordered line breaks the chain and is reported. An append
//! rewrites the file atomically under a lock shared by every process: a crash leaves the old
//! file or the new one, never a torn line. A new year starts a new file; the old one is kept
//! as `audit-log-<year>.jsonl` and the chain runs on across files.
//!
//! The chain cannot name its own end, so each append also keeps an anchor outside the data
//! home, in the secret store (the OS keychain): how many lines the chain has and the hash of
//! the last one. A removed tail, a changed last line or a whole year's file deleted then show.

use crate::atomic_file;
use crate::error::{Error, Result};
use crate::secrets::SecretStore;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file of the current year.
pub const LOG_FILE: &str = "audit-log.jsonl";
/// Held while a line is appended (and, shared, while the log is read), so that the app and
/// the CLI never chain to the same line and a reader never sees half a new year's start.
const LOCK_FILE: &str = "audit-log.lock";
/// What a year's file is renamed to when the next year's first line comes.
const YEAR_FILE_PREFIX: &str = "audit-log-";
/// `prev` of the very first line.
pub const FIRST_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The anchor's entry in the secret store is this and a hash of the data directory's path:
/// one anchor per data home, and never the name of an account (those hold two `@`).
const ANCHOR_PREFIX: &str = "audit-log@";

/// What was done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuditAction {
    /// An account was added (details: shop, key fingerprint).
    AccountAdded,
    /// An account was removed.
    AccountRemoved,
    /// The shop was asked for a quote (details: items, setup fee).
    QuoteRequested,
    /// A change that costs something was ordered (details: order number, net, gross, reference).
    OrderPlaced,
    /// A change without a payment was made or scheduled (details: items).
    ChangeScheduled,
    /// A scheduled change was cancelled (details: its id).
    ScheduledChangeCancelled,
    /// A support ticket was sent (details: number, topic).
    TicketSent,
    /// The settings were changed (details: each changed field, before and after).
    SettingsChanged,
    /// An account's default order reference was changed (details: before and after).
    DefaultReferenceChanged,
    /// A refresh failed in a way that changed what is shown (details: the error code).
    RefreshFailed,
    /// An append found the log's end other than its anchor recorded (details: the lines the
    /// anchor counted and the lines found): noted before the action's own line, so that the
    /// finding stays in the log when the anchor moves on.
    AnchorMismatch,
}

/// One line of the log, in the order of its JSON fields (docs/domain.md, Audit log).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    /// When (UTC).
    pub time: DateTime<Utc>,
    /// What.
    pub action: AuditAction,
    /// The account, when the action concerns one.
    pub email: Option<String>,
    /// What exactly: numbers, amounts, ids. Never a secret.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown>"))]
    pub details: serde_json::Value,
    /// The operating system's user name of whoever did it.
    pub os_user: String,
    /// The computer's name.
    pub host: String,
    /// SHA-256 (hex) of the previous line, or [`FIRST_PREV`].
    pub prev: String,
}

/// Who acts on this computer: the OS user and the computer's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// The OS user name.
    pub os_user: String,
    /// The computer's name.
    pub host: String,
}

impl Actor {
    /// The user and computer this process runs as.
    pub fn current() -> Self {
        // Windows names the user in USERNAME, Unix shells in USER (LOGNAME without a shell).
        let os_user = ["USERNAME", "USER", "LOGNAME"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "unknown".into());
        let host = gethostname::gethostname().to_string_lossy().into_owned();
        Self { os_user, host }
    }
}

/// Something wrong in the log, with the file and the line (1-based) where it shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum AuditProblem {
    /// The line is not an entry of the log.
    Unreadable {
        /// The file's name.
        file: String,
        /// The line's number.
        line: usize,
    },
    /// The line does not name the line before it: that one was changed, or lines between
    /// them were removed or moved.
    ChainBroken {
        /// The file's name.
        file: String,
        /// The line's number.
        line: usize,
    },
    /// The log ends before the line its anchor names: lines at its end were removed (a whole
    /// year's file too). `line` is the last line left (0: none).
    TailMissing {
        /// The file of the last line left.
        file: String,
        /// The last line left.
        line: usize,
        /// How many lines the anchor counts beyond it.
        missing: usize,
    },
    /// The log's end is not what its anchor recorded: the anchored line was changed, or lines
    /// were removed and others written (here the anchor counted `anchored_lines` lines and the
    /// log had `found_lines`). Also where an append noted such a finding.
    AnchorMismatch {
        /// The file's name.
        file: String,
        /// The line's number.
        line: usize,
        /// The lines the anchor counted.
        anchored_lines: usize,
        /// The lines the log had.
        found_lines: usize,
    },
    /// From this line on the log is not covered by its anchor: there is none yet (a log
    /// older than the anchor), or the lines were written while the anchor could not be
    /// written, or they were added outside the app.
    NotAnchored {
        /// The file's name.
        file: String,
        /// The line's number.
        line: usize,
    },
}

/// The whole log, oldest first, with what its check found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditLog {
    /// Every readable line of every year.
    pub entries: Vec<AuditEntry>,
    /// Empty when the chain is whole (and, when checked, it ends where its anchor says).
    pub problems: Vec<AuditProblem>,
}

/// What the anchor records after each append: the chain's length and its last line's hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Anchor {
    /// Lines in all files together.
    lines: usize,
    /// SHA-256 (hex) of the last one.
    last: String,
}

/// One line of one file, as read.
struct Line {
    file: String,
    number: usize,
    bytes: Vec<u8>,
}

/// The audit log of one data directory, written as one actor.
#[derive(Clone)]
pub struct AuditWriter {
    dir: PathBuf,
    actor: Actor,
    /// Where the anchor is kept; `None`: not anchored (tests of the file format alone).
    anchors: Option<Arc<dyn SecretStore>>,
}

impl std::fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditWriter")
            .field("dir", &self.dir)
            .field("actor", &self.actor)
            .field("anchored", &self.anchors.is_some())
            .finish()
    }
}

impl AuditWriter {
    /// The log in `dir` (the data directory), written as `actor`, without an anchor.
    pub fn new(dir: impl Into<PathBuf>, actor: Actor) -> Self {
        Self {
            dir: dir.into(),
            actor,
            anchors: None,
        }
    }

    /// The same log with its anchor kept in `store` (the OS keychain in the app and the CLI).
    pub fn anchored_in(self, store: Arc<dyn SecretStore>) -> Self {
        Self {
            anchors: Some(store),
            ..self
        }
    }

    /// Appends one line, chained to the last one, and returns it; blocks while another
    /// process appends. When anchored, an end of the log other than the anchor recorded is
    /// noted first (an `anchor_mismatch` line), then the anchor moves to the new end. The
    /// line is written even when the anchor cannot be read or written; that is the error.
    pub fn append(
        &self,
        time: DateTime<Utc>,
        action: AuditAction,
        email: Option<&str>,
        details: serde_json::Value,
    ) -> Result<AuditEntry> {
        std::fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        let lock_path = self.dir.join(LOCK_FILE);
        let lock = open_lock(&lock_path)?;
        lock.lock().map_err(|e| io_error(&lock_path, e))?;
        let chain = all_lines(&self.dir)?;
        let anchor = self
            .anchors
            .as_ref()
            .map(|store| load_anchor(store.as_ref(), &self.dir));
        let mut entries = Vec::new();
        if let Some(Ok(Some(anchor))) = &anchor {
            if !ends_as_anchored(&chain, anchor) {
                let found = serde_json::json!({
                    "anchored_lines": anchor.lines,
                    "found_lines": chain.len(),
                });
                entries.push((AuditAction::AnchorMismatch, None, found));
            }
        }
        entries.push((action, email, details));
        let path = self.dir.join(LOG_FILE);
        // Bytes, not text: a line an editor re-saved in another encoding is reported by
        // `read` and must not stop the lines after it from being written.
        let mut bytes = read_bytes(&path)?;
        // The file is named by the year it began in; only a later year starts the next
        // file, so a clock set back keeps writing into the current one.
        let began = chain
            .iter()
            .filter(|line| line.file == LOG_FILE)
            .find_map(|line| serde_json::from_slice::<AuditEntry>(&line.bytes).ok())
            .map(|entry| entry.time.year());
        if let Some(year) = began.filter(|year| *year < time.year()) {
            rotate(&self.dir, &path, year)?;
            bytes.clear();
        }
        // A last line an editor left without its line break stays a line of its own.
        if bytes.last().is_some_and(|b| *b != b'\n') {
            bytes.push(b'\n');
        }
        let mut prev = chain
            .iter()
            .rev()
            .find(|line| !line.bytes.is_empty())
            .map_or_else(|| FIRST_PREV.to_string(), |line| hash(&line.bytes));
        let mut written = None;
        let added = entries.len();
        for (action, email, details) in entries {
            let entry = AuditEntry {
                time,
                action,
                email: email.map(str::to_string),
                details,
                os_user: self.actor.os_user.clone(),
                host: self.actor.host.clone(),
                prev,
            };
            let line = serde_json::to_vec(&entry).map_err(|e| io_error(&path, e))?;
            prev = hash(&line);
            bytes.extend_from_slice(&line);
            bytes.push(b'\n');
            written = Some(entry);
        }
        atomic_file::write(&path, &bytes)?;
        let result = match (&self.anchors, anchor) {
            (Some(store), Some(Ok(_))) => {
                // A renamed year keeps its lines: the chain grew by what was written.
                let anchor = Anchor {
                    lines: chain.len() + added,
                    last: prev,
                };
                let text = serde_json::to_string(&anchor).map_err(|e| io_error(&path, e))?;
                store.set_anchor(&anchor_name(&self.dir), &text)
            }
            // Not checked, so not moved: moving it would hide what it should have found.
            (_, Some(Err(e))) => Err(e),
            _ => Ok(()),
        };
        drop(lock);
        result?;
        written.ok_or_else(|| Error::Internal("no audit line was written".to_string()))
    }

    /// Reads the whole log under the lock and checks its chain and, when anchored, that it
    /// ends where its anchor says. An anchor that cannot be read is the error beside the log
    /// (the chain is checked all the same).
    pub fn read(&self) -> Result<(AuditLog, Option<Error>)> {
        let _lock = shared_lock(&self.dir);
        let chain = all_lines(&self.dir)?;
        let mut log = check(&chain);
        let Some(store) = &self.anchors else {
            return Ok((log, None));
        };
        match load_anchor(store.as_ref(), &self.dir) {
            Ok(anchor) => {
                log.problems.extend(anchor_problem(&chain, anchor.as_ref()));
                Ok((log, None))
            }
            Err(e) => Ok((log, Some(e))),
        }
    }
}

/// Reads every file of the log, oldest first, and checks the chain across them (not the
/// anchor: [`AuditWriter::read`]). Waits while a line is appended.
pub fn read(dir: &Path) -> Result<AuditLog> {
    let _lock = shared_lock(dir);
    Ok(check(&all_lines(dir)?))
}

/// The chain's check: each line an entry that names the hash of the line before it, and no
/// anchor mismatch noted by an append.
fn check(chain: &[Line]) -> AuditLog {
    let mut log = AuditLog {
        entries: Vec::new(),
        problems: Vec::new(),
    };
    let mut prev = FIRST_PREV.to_string();
    for line in chain {
        let (file, number) = (line.file.clone(), line.number);
        match serde_json::from_slice::<AuditEntry>(&line.bytes) {
            Ok(entry) => {
                if entry.prev != prev {
                    log.problems.push(AuditProblem::ChainBroken {
                        file: file.clone(),
                        line: number,
                    });
                }
                if entry.action == AuditAction::AnchorMismatch {
                    let count = |key: &str| {
                        entry
                            .details
                            .get(key)
                            .and_then(serde_json::Value::as_u64)
                            .unwrap_or(0)
                    };
                    log.problems.push(AuditProblem::AnchorMismatch {
                        file,
                        line: number,
                        anchored_lines: usize::try_from(count("anchored_lines")).unwrap_or(0),
                        found_lines: usize::try_from(count("found_lines")).unwrap_or(0),
                    });
                }
                log.entries.push(entry);
            }
            Err(_) => log
                .problems
                .push(AuditProblem::Unreadable { file, line: number }),
        }
        prev = hash(&line.bytes);
    }
    log
}

/// True when the chain ends exactly where the anchor says: as many lines, the same last one.
fn ends_as_anchored(chain: &[Line], anchor: &Anchor) -> bool {
    chain.len() == anchor.lines && chain.last().is_some_and(|l| hash(&l.bytes) == anchor.last)
}

/// What the anchor says about the chain's end, if anything is wrong with it.
fn anchor_problem(chain: &[Line], anchor: Option<&Anchor>) -> Option<AuditProblem> {
    let at = |line: &Line| (line.file.clone(), line.number);
    let Some(anchor) = anchor else {
        // No anchor yet: a log from before anchors (the next append anchors it) or none.
        return chain.first().map(|first| {
            let (file, line) = at(first);
            AuditProblem::NotAnchored { file, line }
        });
    };
    let anchored = anchor.lines.checked_sub(1).and_then(|i| chain.get(i));
    match anchored {
        Some(line) if hash(&line.bytes) == anchor.last => chain.get(anchor.lines).map(|next| {
            let (file, line) = at(next);
            AuditProblem::NotAnchored { file, line }
        }),
        Some(line) => {
            let (file, line) = at(line);
            Some(AuditProblem::AnchorMismatch {
                file,
                line,
                anchored_lines: anchor.lines,
                found_lines: chain.len(),
            })
        }
        // Fewer lines than anchored. When the last one is the anchored one, lines went
        // missing before it and the chain names where; else the end is gone.
        None if chain.last().is_some_and(|l| hash(&l.bytes) == anchor.last) => None,
        None => {
            let (file, line) = chain.last().map_or((LOG_FILE.to_string(), 0), at);
            Some(AuditProblem::TailMissing {
                file,
                line,
                missing: anchor.lines - chain.len(),
            })
        }
    }
}

/// The anchor's entry name for a data directory: its path, resolved where it exists, hashed.
fn anchor_name(dir: &Path) -> String {
    let resolved = std::fs::canonicalize(dir)
        .ok()
        .or_else(|| {
            let parent = std::fs::canonicalize(dir.parent()?).ok()?;
            Some(parent.join(dir.file_name()?))
        })
        .or_else(|| std::path::absolute(dir).ok())
        .unwrap_or_else(|| dir.to_path_buf());
    let digest = hash(resolved.to_string_lossy().as_bytes());
    format!("{ANCHOR_PREFIX}{}", &digest[..32])
}

/// The anchor of the log in `dir`; `None` when there is none yet. An anchor that is not one
/// reads as none: the log then shows as not anchored.
fn load_anchor(store: &dyn SecretStore, dir: &Path) -> Result<Option<Anchor>> {
    Ok(store
        .anchor(&anchor_name(dir))?
        .and_then(|text| serde_json::from_str(&text).ok()))
}

/// SHA-256 (hex) of one line's bytes, without its line break.
pub fn hash(line: impl AsRef<[u8]>) -> String {
    Sha256::digest(line.as_ref())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn open_lock(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| io_error(path, e))
}

/// The lock held shared while reading, so no append renames or writes a file meanwhile.
/// `None` when there is no log (nothing to wait for) or the lock file cannot be made (a
/// data home this user may only read): then the files are read as they are.
fn shared_lock(dir: &Path) -> Option<std::fs::File> {
    if !dir.is_dir() {
        return None;
    }
    let lock = open_lock(&dir.join(LOCK_FILE)).ok()?;
    lock.lock_shared().ok()?;
    Some(lock)
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    Ok(atomic_file::read(path)?.unwrap_or_default())
}

/// The lines of a file as `str::lines` splits text (at `\n`, a `\r` before it dropped, no
/// empty line after the last line break), on bytes, so that any encoding can be read.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|b| *b == b'\n')
        .filter(move |_| !bytes.is_empty())
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// Every line of every file, oldest first: the year files, then the current one.
fn all_lines(dir: &Path) -> Result<Vec<Line>> {
    let mut files = year_files(dir)?;
    files.push((i32::MAX, 0, dir.join(LOG_FILE)));
    let mut chain = Vec::new();
    for (_, _, path) in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = read_bytes(&path)?;
        for (index, line) in lines(&bytes).enumerate() {
            chain.push(Line {
                file: file.clone(),
                number: index + 1,
                bytes: line.to_vec(),
            });
        }
    }
    Ok(chain)
}

/// The year files, oldest first: `audit-log-<year>.jsonl`, and `audit-log-<year>-<n>.jsonl`
/// when a clock set back made a second file of a year.
fn year_files(dir: &Path) -> Result<Vec<(i32, u32, PathBuf)>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(dir, e)),
    };
    let mut files: Vec<(i32, u32, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let stem = name
                .strip_prefix(YEAR_FILE_PREFIX)?
                .strip_suffix(".jsonl")?;
            let (year, n) = match stem.split_once('-') {
                Some((year, n)) => (year.parse().ok()?, n.parse().ok()?),
                None => (stem.parse().ok()?, 0),
            };
            Some((year, n, entry.path()))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Renames the current file to its year's name; never replaces a file.
fn rotate(dir: &Path, current: &Path, year: i32) -> Result<()> {
    let mut n = 0u32;
    loop {
        let name = match n {
            0 => format!("{YEAR_FILE_PREFIX}{year}.jsonl"),
            n => format!("{YEAR_FILE_PREFIX}{year}-{n}.jsonl"),
        };
        let target = dir.join(name);
        if !target.exists() {
            return std::fs::rename(current, &target).map_err(|e| io_error(current, e));
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn writer(dir: &Path) -> AuditWriter {
        AuditWriter::new(
            dir,
            Actor {
                os_user: "kommandant".into(),
                host: "FW-PC-1".into(),
            },
        )
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
    }

    /// Appends a `settings_changed` line without details at `when`.
    fn note(log: &AuditWriter, when: DateTime<Utc>) -> Result<AuditEntry> {
        log.append(
            when,
            AuditAction::SettingsChanged,
            None,
            serde_json::json!({}),
        )
    }

    fn write_three(dir: &Path) {
        let log = writer(dir);
        for (i, action) in [
            AuditAction::AccountAdded,
            AuditAction::OrderPlaced,
            AuditAction::TicketSent,
        ]
        .into_iter()
        .enumerate()
        {
            log.append(
                at(2026, 3, 1 + i as u32),
                action,
                Some("a@b.de"),
                serde_json::json!({ "n": i }),
            )
            .unwrap();
        }
    }

    fn lines(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join(LOG_FILE))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Three lines written, then changed by `edit` as someone with an editor would: the problems.
    fn problems_after(edit: impl FnOnce(&mut Vec<String>)) -> Vec<AuditProblem> {
        let dir = tempfile::tempdir().unwrap();
        write_three(dir.path());
        let mut raw = lines(dir.path());
        edit(&mut raw);
        std::fs::write(dir.path().join(LOG_FILE), raw.join("\n") + "\n").unwrap();
        read(dir.path()).unwrap().problems
    }

    fn broken_at(line: usize) -> Vec<AuditProblem> {
        vec![AuditProblem::ChainBroken {
            file: LOG_FILE.into(),
            line,
        }]
    }

    #[test]
    fn lines_chain_to_each_other_and_name_the_actor() {
        let dir = tempfile::tempdir().unwrap();
        write_three(dir.path());
        let log = read(dir.path()).unwrap();
        assert_eq!(log.problems, vec![]);
        assert_eq!(log.entries.len(), 3);
        assert_eq!(log.entries[0].prev, FIRST_PREV);
        let raw = lines(dir.path());
        assert_eq!(log.entries[1].prev, hash(&raw[0]));
        assert_eq!(log.entries[2].prev, hash(&raw[1]));
        assert_eq!(log.entries[2].os_user, "kommandant");
        assert_eq!(log.entries[2].host, "FW-PC-1");
        // The fields in the documented order.
        assert!(raw[0].starts_with(r#"{"time":"2026-03-01T10:00:00Z","action":"account_added","email":"a@b.de","details":{"n":0},"os_user":"kommandant","host":"FW-PC-1","prev":"#), "{}", raw[0]);
    }

    #[test]
    fn an_edited_line_is_found() {
        let problems = problems_after(|raw| raw[1] = raw[1].replace(r#""n":1"#, r#""n":7"#));
        assert_eq!(problems, broken_at(3));
    }

    #[test]
    fn a_deleted_line_is_found() {
        assert_eq!(problems_after(|raw| drop(raw.remove(1))), broken_at(2));
        // The first line, too: the second one then names a line that is not there.
        assert_eq!(problems_after(|raw| drop(raw.remove(0))), broken_at(1));
    }

    #[test]
    fn reordered_lines_are_found() {
        let problems = problems_after(|raw| raw.swap(1, 2));
        assert_eq!(problems, [broken_at(2), broken_at(3)].concat());
    }

    #[test]
    fn a_line_that_is_not_an_entry_is_reported_and_the_rest_still_read() {
        let problems = problems_after(|raw| raw.insert(1, "{not json".into()));
        // The line after it names the hash of the unreadable text, which is not its predecessor.
        let unreadable = AuditProblem::Unreadable {
            file: LOG_FILE.into(),
            line: 2,
        };
        assert_eq!(problems, [vec![unreadable], broken_at(3)].concat());
    }

    #[test]
    fn a_line_saved_in_another_encoding_is_named_and_the_log_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let log = writer(dir.path());
        for name in ["Meier", "Müller", "Schulz"] {
            log.append(
                at(2026, 3, 1),
                AuditAction::TicketSent,
                Some("a@b.de"),
                serde_json::json!({ "name": name }),
            )
            .unwrap();
        }
        // Re-saved as Windows-1252 ("ANSI"): the ü of line 2 becomes the one byte 0xFC.
        let path = dir.path().join(LOG_FILE);
        let bytes = std::fs::read(&path).unwrap();
        let at_u = bytes.windows(2).position(|w| w == "ü".as_bytes()).unwrap();
        let ansi = [&bytes[..at_u], &[0xFC], &bytes[at_u + 2..]].concat();
        std::fs::write(&path, &ansi).unwrap();
        let unreadable = AuditProblem::Unreadable {
            file: LOG_FILE.into(),
            line: 2,
        };
        let expected = [vec![unreadable], broken_at(3)].concat();
        let read_back = read(dir.path()).unwrap();
        assert_eq!(read_back.problems, expected);
        assert_eq!(read_back.entries.len(), 2);
        // Appending goes on, chained to the bytes of the last line, the odd line kept as it is.
        let next = note(&log, at(2026, 3, 2)).unwrap();
        let last = ansi.split(|b| *b == b'\n').nth(2).unwrap();
        assert_eq!(next.prev, hash(std::str::from_utf8(last).unwrap()));
        let after = std::fs::read(&path).unwrap();
        assert!(
            after.starts_with(&ansi),
            "the lines before are kept byte for byte"
        );
        let read_back = read(dir.path()).unwrap();
        assert_eq!(read_back.problems, expected);
        assert_eq!(read_back.entries.len(), 3);
    }

    #[test]
    fn a_last_line_without_a_line_break_is_not_joined_to_the_next() {
        let dir = tempfile::tempdir().unwrap();
        write_three(dir.path());
        let path = dir.path().join(LOG_FILE);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.trim_end()).unwrap();
        note(&writer(dir.path()), at(2026, 3, 9)).unwrap();
        let log = read(dir.path()).unwrap();
        assert_eq!(log.problems, vec![]);
        assert_eq!(log.entries.len(), 4);
    }

    #[test]
    fn a_new_year_starts_a_new_file_and_the_chain_runs_on() {
        let dir = tempfile::tempdir().unwrap();
        write_three(dir.path());
        let log = writer(dir.path());
        let first_of_2027 = note(&log, at(2027, 1, 2)).unwrap();
        let old = std::fs::read_to_string(dir.path().join("audit-log-2026.jsonl")).unwrap();
        assert_eq!(old.lines().count(), 3, "nothing of 2026 is lost");
        assert_eq!(first_of_2027.prev, hash(old.lines().last().unwrap()));
        assert_eq!(lines(dir.path()).len(), 1);
        // A clock set back does not rotate, and a later rotation does not replace a file.
        note(&log, at(2026, 12, 31)).unwrap();
        note(&log, at(2028, 1, 1)).unwrap();
        assert!(dir.path().join("audit-log-2027.jsonl").exists());
        let whole = read(dir.path()).unwrap();
        assert_eq!(whole.problems, vec![]);
        assert_eq!(whole.entries.len(), 6);
        // A whole year's file deleted: the next year's first line names a missing line.
        std::fs::remove_file(dir.path().join("audit-log-2026.jsonl")).unwrap();
        assert_eq!(
            read(dir.path()).unwrap().problems,
            vec![AuditProblem::ChainBroken {
                file: "audit-log-2027.jsonl".into(),
                line: 1
            }]
        );
    }

    #[test]
    fn parallel_writers_never_chain_to_the_same_line() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = writer(dir.path());
                std::thread::spawn(move || {
                    for i in 0..10 {
                        log.append(
                            at(2026, 5, 1),
                            AuditAction::QuoteRequested,
                            None,
                            serde_json::json!({ "t": t, "i": i }),
                        )
                        .unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let log = read(dir.path()).unwrap();
        assert_eq!(log.entries.len(), 40);
        assert_eq!(log.problems, vec![]);
    }

    #[test]
    fn reading_while_a_new_years_file_begins_finds_no_false_break() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        // Every line in a new year: each append renames the file and begins the next one.
        let writer = std::thread::spawn(move || {
            let log = writer(&path);
            for year in 2026..2086 {
                note(&log, at(year, 1, 1)).unwrap();
            }
        });
        let mut reads = 0;
        while !writer.is_finished() {
            let log = read(dir.path()).unwrap();
            assert_eq!(log.problems, vec![], "after {} lines", log.entries.len());
            reads += 1;
        }
        writer.join().unwrap();
        assert!(reads > 0);
        assert_eq!(read(dir.path()).unwrap().entries.len(), 60);
    }

    use crate::secrets::MemorySecretStore;

    /// A writer of `dir` whose anchor is kept in `store`.
    fn anchored(dir: &Path, store: &Arc<MemorySecretStore>) -> AuditWriter {
        writer(dir).anchored_in(store.clone())
    }

    /// Three anchored lines of 1-3 March 2026.
    fn write_three_anchored(dir: &Path, store: &Arc<MemorySecretStore>) {
        let log = anchored(dir, store);
        for day in 1..=3 {
            log.append(
                at(2026, 3, day),
                AuditAction::TicketSent,
                Some("a@b.de"),
                serde_json::json!({ "n": day }),
            )
            .unwrap();
        }
    }

    /// A data directory with three anchored lines, and the store that holds their anchor.
    fn three_anchored() -> (tempfile::TempDir, Arc<MemorySecretStore>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemorySecretStore::new());
        write_three_anchored(dir.path(), &store);
        (dir, store)
    }

    fn tail_missing(file: &str, line: usize, missing: usize) -> Vec<AuditProblem> {
        vec![AuditProblem::TailMissing {
            file: file.into(),
            line,
            missing,
        }]
    }

    fn checked(dir: &Path, store: &Arc<MemorySecretStore>) -> Vec<AuditProblem> {
        let (log, anchor_error) = anchored(dir, store).read().unwrap();
        assert_eq!(anchor_error, None);
        log.problems
    }

    fn rewrite(dir: &Path, edit: impl FnOnce(&mut Vec<String>)) {
        let mut raw = lines(dir);
        edit(&mut raw);
        let text: String = raw.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(dir.join(LOG_FILE), text).unwrap();
    }

    #[test]
    fn the_anchor_finds_a_removed_tail_and_a_changed_last_line() {
        let (dir, store) = three_anchored();
        assert_eq!(checked(dir.path(), &store), vec![]);
        // The last line removed: the chain alone is whole, the anchor counts one more.
        let whole = lines(dir.path());
        rewrite(dir.path(), |raw| drop(raw.pop()));
        assert_eq!(read(dir.path()).unwrap().problems, vec![]);
        assert_eq!(checked(dir.path(), &store), tail_missing(LOG_FILE, 2, 1));
        // The last line changed (no line after it to break the chain).
        rewrite(dir.path(), |raw| {
            *raw = whole.clone();
            raw[2] = raw[2].replace(r#""n":3"#, r#""n":9"#);
        });
        assert_eq!(
            checked(dir.path(), &store),
            vec![AuditProblem::AnchorMismatch {
                file: LOG_FILE.into(),
                line: 3,
                anchored_lines: 3,
                found_lines: 3
            }]
        );
        // The whole file gone.
        std::fs::remove_file(dir.path().join(LOG_FILE)).unwrap();
        assert_eq!(checked(dir.path(), &store), tail_missing(LOG_FILE, 0, 3));
    }

    #[test]
    fn a_deleted_current_years_file_is_a_missing_tail() {
        let (dir, store) = three_anchored();
        note(&anchored(dir.path(), &store), at(2027, 1, 2)).unwrap();
        assert_eq!(checked(dir.path(), &store), vec![]);
        std::fs::remove_file(dir.path().join(LOG_FILE)).unwrap();
        assert_eq!(
            checked(dir.path(), &store),
            tail_missing("audit-log-2026.jsonl", 3, 1)
        );
    }

    #[test]
    fn an_append_after_a_removed_tail_notes_it_before_moving_the_anchor() {
        let (dir, store) = three_anchored();
        rewrite(dir.path(), |raw| drop(raw.pop()));
        let next = note(&anchored(dir.path(), &store), at(2026, 3, 4)).unwrap();
        assert_eq!(next.action, AuditAction::SettingsChanged);
        let (log, _) = anchored(dir.path(), &store).read().unwrap();
        let actions: Vec<AuditAction> = log.entries.iter().map(|e| e.action).collect();
        assert_eq!(
            actions[2..],
            [AuditAction::AnchorMismatch, AuditAction::SettingsChanged]
        );
        // The finding stays in the log, the chain and the anchor are whole again.
        assert_eq!(
            log.problems,
            vec![AuditProblem::AnchorMismatch {
                file: LOG_FILE.into(),
                line: 3,
                anchored_lines: 3,
                found_lines: 2
            }]
        );
    }

    #[test]
    fn lines_the_anchor_does_not_cover_are_named_and_an_old_log_is_anchored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(MemorySecretStore::new());
        // A log from before anchors.
        write_three(dir.path());
        let not_anchored = |line| {
            vec![AuditProblem::NotAnchored {
                file: LOG_FILE.into(),
                line,
            }]
        };
        assert_eq!(checked(dir.path(), &store), not_anchored(1));
        // The first anchored append takes it as it is.
        let log = anchored(dir.path(), &store);
        note(&log, at(2026, 3, 5)).unwrap();
        assert_eq!(checked(dir.path(), &store), vec![]);
        // A line written past the anchor (its keychain write failed, or added by hand).
        note(&writer(dir.path()), at(2026, 3, 6)).unwrap();
        assert_eq!(checked(dir.path(), &store), not_anchored(5));
    }

    /// A store that cannot keep an anchor (no keychain here).
    struct NoAnchors;

    impl SecretStore for NoAnchors {
        fn get(&self, user: &str) -> Result<crate::secrets::Secret> {
            Err(Error::NoSecret(user.into()))
        }
        fn set(&self, _user: &str, _secret: &crate::secrets::Secret) -> Result<()> {
            Ok(())
        }
        fn delete(&self, _user: &str) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn without_a_keychain_the_line_is_written_and_the_anchor_error_said() {
        let dir = tempfile::tempdir().unwrap();
        let log = writer(dir.path()).anchored_in(Arc::new(NoAnchors));
        let error = note(&log, at(2026, 3, 1)).unwrap_err();
        assert_eq!(error.code(), "keychain_unavailable");
        let (read_back, anchor_error) = log.read().unwrap();
        assert_eq!(read_back.entries.len(), 1);
        assert_eq!(read_back.problems, vec![]);
        assert_eq!(
            anchor_error.map(|e| e.code().to_string()).as_deref(),
            Some("keychain_unavailable")
        );
    }

    #[test]
    fn each_data_directory_has_its_own_anchor() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        assert_ne!(anchor_name(one.path()), anchor_name(two.path()));
        assert_eq!(anchor_name(one.path()), anchor_name(&one.path().join(".")));
        assert!(anchor_name(one.path()).starts_with("audit-log@"));
        assert_eq!(anchor_name(one.path()).matches('@').count(), 1);
    }

    #[test]
    fn no_log_yet_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let log = read(&dir.path().join("missing")).unwrap();
        assert!(log.entries.is_empty() && log.problems.is_empty());
    }
}
