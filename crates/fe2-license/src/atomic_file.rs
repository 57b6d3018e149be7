//! Writes a whole file or nothing: temp file in the same directory, fsync, rename. A reader (the
//! app, the CLI, a crash halfway) sees the old content or the new one, never a mix.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

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
        .prefix(".tmp-")
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
}
