//! Writes a whole file or nothing: temp file in the same directory, fsync, rename. A reader (the
//! app, the CLI, a crash halfway) sees the old content or the new one, never a mix.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Temp files are named `.tmp-` and then `TEMP_RANDOM_LEN` random letters and digits.
const TEMP_PREFIX: &str = ".tmp-";
/// Length of the random part of a temp file's name.
const TEMP_RANDOM_LEN: usize = 6;

/// Replaces `path` with `bytes` atomically, creating its directory when needed.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let io_error = |e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let dir = path.parent().ok_or_else(|| Error::Io {
        path: path.display().to_string(),
        reason: "no parent directory".into(),
    })?;
    std::fs::create_dir_all(dir).map_err(io_error)?;
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .rand_bytes(TEMP_RANDOM_LEN)
        .tempfile_in(dir)
        .map_err(io_error)?;
    temp.write_all(bytes).map_err(io_error)?;
    temp.as_file().sync_all().map_err(io_error)?;
    persist(temp, path).map_err(io_error)?;
    sync_dir(dir);
    Ok(())
}

/// Reads a file; `Ok(None)` when it does not exist.
pub fn read(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Deletes a file; a file that is already gone is fine.
pub fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Deletes the temp files a crashed [`write`] left in `dir`: only regular files named by our
/// pattern and not modified for `min_age` (a write in progress is younger). Best effort: a
/// file that cannot be deleted stays. Returns how many were deleted.
pub fn sweep_stale(dir: &Path, min_age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    // The file system's clock, not the app's `Clock`: modification times are in its terms.
    let now = SystemTime::now();
    let mut deleted = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let ours = name.to_str().is_some_and(is_temp_name);
        let stale = entry.file_type().is_ok_and(|t| t.is_file())
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| now.duration_since(at).is_ok_and(|age| age >= min_age));
        if ours && stale && std::fs::remove_file(entry.path()).is_ok() {
            deleted += 1;
        }
    }
    deleted
}

/// True for a name [`write`] gives its temp files.
fn is_temp_name(name: &str) -> bool {
    name.strip_prefix(TEMP_PREFIX).is_some_and(|random| {
        random.len() == TEMP_RANDOM_LEN && random.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

#[cfg(not(windows))]
fn persist(temp: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    temp.persist(path).map(|_| ()).map_err(|e| e.error)
}

/// Windows refuses to replace a file that another process (a virus scanner, the CLI reading
/// it) holds open for a moment: retry a few times before giving up.
#[cfg(windows)]
fn persist(mut temp: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    const ATTEMPTS: u32 = 10;
    let mut attempt = 0;
    loop {
        match temp.persist(path) {
            Ok(_) => return Ok(()),
            // 5 access denied, 32 sharing violation, 33 lock violation: another process has it open.
            Err(e)
                if attempt + 1 < ATTEMPTS
                    && matches!(e.error.raw_os_error(), Some(5 | 32 | 33)) =>
            {
                attempt += 1;
                temp = e.file;
                std::thread::sleep(std::time::Duration::from_millis(20 * u64::from(attempt)));
            }
            Err(e) => return Err(e.error),
        }
    }
}

/// Makes the rename itself durable (POSIX); best effort, the data is already on disk.
#[cfg(unix)]
fn sync_dir(dir: &Path) {
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("a.json");
        write(&path, b"first, longer content").unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(read(&path).unwrap().unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
        remove(&path).unwrap();
        remove(&path).unwrap();
        assert!(read(&path).unwrap().is_none());
    }

    #[test]
    fn only_our_stale_temp_files_are_swept() {
        let dir = tempfile::tempdir().unwrap();
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        let file = |name: &str, modified: SystemTime| {
            let path = dir.path().join(name);
            std::fs::File::create(&path)
                .unwrap()
                .set_modified(modified)
                .unwrap();
            path
        };
        let stale = file(".tmp-x7Yz09", hour_ago);
        let writing = file(".tmp-Q1w2E3", SystemTime::now());
        let keep = [
            file(".tmp-short", hour_ago),
            file(".tmp-toolong7", hour_ago),
            file(".tmp-ab.def", hour_ago),
            file("tmp-abcdef", hour_ago),
            file("cache.json", hour_ago),
        ];
        std::fs::create_dir(dir.path().join(".tmp-folder")).unwrap();
        write(&dir.path().join("a.json"), b"x").unwrap();

        assert_eq!(sweep_stale(dir.path(), Duration::from_secs(60)), 1);
        assert!(!stale.exists());
        assert!(writing.exists(), "a write in progress is left alone");
        assert!(keep.iter().all(|p| p.exists()));
        assert!(dir.path().join(".tmp-folder").is_dir());
        assert_eq!(sweep_stale(&dir.path().join("missing"), Duration::ZERO), 0);
        // The pattern matches what `write` really creates.
        let made = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .rand_bytes(TEMP_RANDOM_LEN)
            .tempfile_in(dir.path())
            .unwrap();
        let name = made.path().file_name().unwrap().to_str().unwrap();
        assert!(is_temp_name(name), "{name}");
    }
}
