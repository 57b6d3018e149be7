//! Every directory the app and the CLI write to, decided in one place (docs/architecture.md):
//! the OS conventions, or everything below `FE2_LICENSE_HOME` (tests, portable installs).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The environment variable that moves every file of the app below one directory.
pub const HOME_ENV: &str = "FE2_LICENSE_HOME";

/// The directories of one installation (or one test, or one demo run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    config: PathBuf,
    data: PathBuf,
    /// The user's Downloads folder, for the OS directories only.
    downloads: Option<PathBuf>,
}

impl Home {
    /// `FE2_LICENSE_HOME` when it is set and not empty, else the OS directories
    /// (Windows: configuration in `%APPDATA%`, data in `%LOCALAPPDATA%`).
    pub fn from_env() -> Result<Self> {
        match std::env::var_os(HOME_ENV) {
            Some(dir) if !dir.is_empty() => Ok(Self::at(PathBuf::from(dir))),
            _ => Self::os(),
        }
    }

    /// Everything below one directory: `config/` and `data/`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        Self {
            config: dir.join("config"),
            data: dir.join("data"),
            downloads: None,
        }
    }

    /// The OS conventions for this application.
    pub fn os() -> Result<Self> {
        let dirs = directories::ProjectDirs::from("de", "Alamos", "FE2 License Manager")
            .ok_or_else(|| Error::Io {
                path: String::new(),
                reason: "the operating system names no home directory".into(),
            })?;
        Ok(Self {
            config: dirs.config_dir().to_path_buf(),
            data: dirs.data_local_dir().to_path_buf(),
            downloads: directories::UserDirs::new()
                .and_then(|user| user.download_dir().map(Path::to_path_buf)),
        })
    }

    /// Non-secret configuration (accounts, settings); may roam with the user's profile.
    pub fn config_dir(&self) -> &Path {
        &self.config
    }

    /// Machine-local data (cache, logs, web view data).
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// One JSON file per account.
    pub fn accounts_dir(&self) -> PathBuf {
        self.config.join("accounts")
    }

    /// The user's settings file.
    pub fn settings_file(&self) -> PathBuf {
        self.config.join("settings.json")
    }

    /// One cache file per account.
    pub fn cache_dir(&self) -> PathBuf {
        self.data.join("cache")
    }

    /// Log files.
    pub fn logs_dir(&self) -> PathBuf {
        self.data.join("logs")
    }

    /// The desktop app's web view data (so a search of the home finds every file).
    pub fn webview_dir(&self) -> PathBuf {
        self.data.join("webview")
    }

    /// Where the app saves a file for the user (the calendar): the Downloads folder with the OS
    /// directories (the app has no save dialog), `data/exports` below `FE2_LICENSE_HOME` (tests,
    /// portable installs) or when the OS names no Downloads folder.
    pub fn exports_dir(&self) -> PathBuf {
        self.downloads
            .clone()
            .unwrap_or_else(|| self.data.join("exports"))
    }

    /// Where the core writes files atomically, so where a crash can leave temp files.
    pub fn atomic_dirs(&self) -> [PathBuf; 4] {
        [
            self.config.clone(),
            self.accounts_dir(),
            self.data.clone(),
            self.cache_dir(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_home_directory_holds_config_and_data_below_it() {
        let home = Home::at("/tmp/x");
        assert_eq!(home.accounts_dir(), Path::new("/tmp/x/config/accounts"));
        assert_eq!(
            home.settings_file(),
            Path::new("/tmp/x/config/settings.json")
        );
        assert_eq!(home.cache_dir(), Path::new("/tmp/x/data/cache"));
        assert!(home.logs_dir().starts_with("/tmp/x"));
        assert!(home.webview_dir().starts_with("/tmp/x"));
        assert_eq!(home.exports_dir(), Path::new("/tmp/x/data/exports"));
    }
}
