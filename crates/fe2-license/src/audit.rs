//! The audit log (docs/domain.md, Audit log): one JSON line per action taken through the app
//! or the CLI, in `data/audit-log.jsonl`. Each line carries the SHA-256 of the line before it,
//! so a changed, removed or reordered line breaks the chain and is reported. An append
//! rewrites the file atomically under a lock shared by every process: a crash leaves the old
//! file or the new one, never a torn line. A new year starts a new file; the old one is kept
//! as `audit-log-<year>.jsonl` and the chain runs on across files.

use crate::atomic_file;
use crate::error::{Error, Result};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The file of the current year.
pub const LOG_FILE: &str = "audit-log.jsonl";
/// Held while a line is appended, so that the app and the CLI never chain to the same line.
const LOCK_FILE: &str = "audit-log.lock";
/// What a year's file is renamed to when the next year's first line comes.
const YEAR_FILE_PREFIX: &str = "audit-log-";
/// `prev` of the very first line.
pub const FIRST_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";

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
}

/// The whole log, oldest first, with what its check found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditLog {
    /// Every readable line of every year.
    pub entries: Vec<AuditEntry>,
    /// Empty when the chain is whole.
    pub problems: Vec<AuditProblem>,
}

/// The audit log of one data directory, written as one actor.
#[derive(Clone, Debug)]
pub struct AuditWriter {
    dir: PathBuf,
    actor: Actor,
}

impl AuditWriter {
    /// The log in `dir` (the data directory), written as `actor`.
    pub fn new(dir: impl Into<PathBuf>, actor: Actor) -> Self {
        Self {
            dir: dir.into(),
            actor,
        }
    }

    /// Appends one line, chained to the last one, and returns it. Blocks while another
    /// process appends.
    pub fn append(
        &self,
        time: DateTime<Utc>,
        action: AuditAction,
        email: Option<&str>,
        details: serde_json::Value,
    ) -> Result<AuditEntry> {
        std::fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, e))?;
        let lock_path = self.dir.join(LOCK_FILE);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io_error(&lock_path, e))?;
        lock.lock().map_err(|e| io_error(&lock_path, e))?;
        let path = self.dir.join(LOG_FILE);
        // Bytes, not text: a line an editor re-saved in another encoding is reported by
        // `read` and must not stop the lines after it from being written.
        let mut bytes = read_bytes(&path)?;
        let last = match last_line(&bytes).map(<[u8]>::to_vec) {
            Some(line) => {
                // The file is named by the year it began in; only a later year starts the
                // next file, so a clock set back keeps writing into the current one.
                let began = lines(&bytes)
                    .find_map(|first| serde_json::from_slice::<AuditEntry>(first).ok())
                    .map(|entry| entry.time.year());
                if let Some(year) = began.filter(|year| *year < time.year()) {
                    rotate(&self.dir, &path, year)?;
                    bytes.clear();
                }
                Some(line)
            }
            None => newest_year_file_last_line(&self.dir)?,
        };
        let entry = AuditEntry {
            time,
            action,
            email: email.map(str::to_string),
            details,
            os_user: self.actor.os_user.clone(),
            host: self.actor.host.clone(),
            prev: last.as_deref().map_or_else(|| FIRST_PREV.to_string(), hash),
        };
        let line = serde_json::to_vec(&entry).map_err(|e| io_error(&path, e))?;
        // A last line an editor left without its line break stays a line of its own.
        if bytes.last().is_some_and(|b| *b != b'\n') {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(&line);
        bytes.push(b'\n');
        atomic_file::write(&path, &bytes)?;
        drop(lock);
        Ok(entry)
    }
}

/// Reads every file of the log, oldest first, and checks the chain across them.
pub fn read(dir: &Path) -> Result<AuditLog> {
    let mut files = year_files(dir)?;
    files.push((i32::MAX, 0, dir.join(LOG_FILE)));
    let mut log = AuditLog {
        entries: Vec::new(),
        problems: Vec::new(),
    };
    let mut prev = FIRST_PREV.to_string();
    for (_, _, path) in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = read_bytes(&path)?;
        for (index, line) in lines(&bytes).enumerate() {
            let at = (name.clone(), index + 1);
            match serde_json::from_slice::<AuditEntry>(line) {
                Ok(entry) => {
                    if entry.prev != prev {
                        log.problems.push(AuditProblem::ChainBroken {
                            file: at.0,
                            line: at.1,
                        });
                    }
                    log.entries.push(entry);
                }
                Err(_) => log.problems.push(AuditProblem::Unreadable {
                    file: at.0,
                    line: at.1,
                }),
            }
            prev = hash(line);
        }
    }
    Ok(log)
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

fn last_line(bytes: &[u8]) -> Option<&[u8]> {
    lines(bytes).filter(|line| !line.is_empty()).last()
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

fn newest_year_file_last_line(dir: &Path) -> Result<Option<Vec<u8>>> {
    match year_files(dir)?.pop() {
        Some((_, _, path)) => Ok(last_line(&read_bytes(&path)?).map(<[u8]>::to_vec)),
        None => Ok(None),
    }
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
        let next = log
            .append(
                at(2026, 3, 2),
                AuditAction::SettingsChanged,
                None,
                serde_json::json!({}),
            )
            .unwrap();
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
        writer(dir.path())
            .append(
                at(2026, 3, 9),
                AuditAction::TicketSent,
                None,
                serde_json::json!({}),
            )
            .unwrap();
        let log = read(dir.path()).unwrap();
        assert_eq!(log.problems, vec![]);
        assert_eq!(log.entries.len(), 4);
    }

    #[test]
    fn a_new_year_starts_a_new_file_and_the_chain_runs_on() {
        let dir = tempfile::tempdir().unwrap();
        write_three(dir.path());
        let log = writer(dir.path());
        let first_of_2027 = log
            .append(
                at(2027, 1, 2),
                AuditAction::SettingsChanged,
                None,
                serde_json::json!({}),
            )
            .unwrap();
        let old = std::fs::read_to_string(dir.path().join("audit-log-2026.jsonl")).unwrap();
        assert_eq!(old.lines().count(), 3, "nothing of 2026 is lost");
        assert_eq!(first_of_2027.prev, hash(old.lines().last().unwrap()));
        assert_eq!(lines(dir.path()).len(), 1);
        // A clock set back does not rotate, and a later rotation does not replace a file.
        log.append(
            at(2026, 12, 31),
            AuditAction::TicketSent,
            None,
            serde_json::json!({}),
        )
        .unwrap();
        log.append(
            at(2028, 1, 1),
            AuditAction::TicketSent,
            None,
            serde_json::json!({}),
        )
        .unwrap();
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
    fn no_log_yet_reads_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let log = read(&dir.path().join("missing")).unwrap();
        assert!(log.entries.is_empty() && log.problems.is_empty());
    }
}
