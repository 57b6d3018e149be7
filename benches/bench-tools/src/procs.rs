//! The measured process and its descendants (the WebKit processes), read from /proc.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A started process; its tree is looked up in /proc whenever needed.
pub struct Tree {
    child: Child,
    status: Option<ExitStatus>,
}

impl Tree {
    /// Takes over a freshly spawned child.
    pub fn new(child: Child) -> Self {
        Self {
            child,
            status: None,
        }
    }

    /// The exit status once the started process has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status
    }

    /// The started process and all its descendants.
    pub fn pids(&self) -> Vec<u32> {
        let parents = parent_map();
        let mut tree = vec![self.child.id()];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i];
            tree.extend(
                parents
                    .iter()
                    .filter(|(_, ppid)| *ppid == parent)
                    .map(|(pid, _)| *pid),
            );
            i += 1;
        }
        tree
    }

    /// Total PSS in KiB of the tree, and each process as `name=KiB` (to see where it goes).
    pub fn pss_kib(&self) -> Result<(u64, Vec<String>), String> {
        let mut total = 0;
        let mut parts = Vec::new();
        for pid in self.pids() {
            let path = format!("/proc/{pid}/smaps_rollup");
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
            let kib = pss_of(&text).ok_or_else(|| format!("{path}: no Pss line"))?;
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            parts.push(format!("{}={kib}", name.trim()));
            total += kib;
        }
        Ok((total, parts))
    }

    /// Ends the tree: SIGTERM to every process, SIGKILL to what is left after 3 s.
    pub fn stop(mut self) {
        let pids = self.pids();
        signal("-TERM", &pids);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && pids.iter().any(|pid| alive(*pid)) {
            self.exited();
            std::thread::sleep(Duration::from_millis(20));
        }
        let left: Vec<u32> = pids.into_iter().filter(|pid| alive(*pid)).collect();
        if !left.is_empty() {
            signal("-KILL", &left);
        }
        let _ = self.child.wait();
    }
}

/// pid -> parent pid of every process.
fn parent_map() -> Vec<(u32, u32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            Some((pid, parent_of(&stat)?))
        })
        .collect()
}

/// The parent pid from /proc/<pid>/stat (after the command name, which may hold anything).
fn parent_of(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The `Pss:` line of smaps_rollup in KiB.
fn pss_of(rollup: &str) -> Option<u64> {
    rollup
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// A zombie counts as gone: it holds no memory and the next run can start.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            rest.split_whitespace().next().map(|state| state != "Z")
        })
        .unwrap_or(false)
}

fn signal(sig: &str, pids: &[u32]) {
    if pids.is_empty() {
        return;
    }
    let _ = Command::new("kill")
        .arg(sig)
        .args(pids.iter().map(u32::to_string))
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_from_a_stat_line_with_odd_names() {
        assert_eq!(parent_of("42 (Web Content) S 7 42 42 0"), Some(7));
        assert_eq!(parent_of("42 (a) b) R 9 1"), Some(9));
        assert_eq!(parent_of("garbage"), None);
    }

    #[test]
    fn pss_line() {
        let text = "55d0-7ff [rollup]\nRss:  2048 kB\nPss:  1234 kB\nPss_Dirty: 9 kB\n";
        assert_eq!(pss_of(text), Some(1234));
        assert_eq!(pss_of("Rss: 1 kB\n"), None);
    }

    #[test]
    fn tree_of_a_shell_with_a_child_is_measured_and_stopped() {
        let child = Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .spawn()
            .unwrap();
        let tree = Tree::new(child);
        std::thread::sleep(Duration::from_millis(200));
        let pids = tree.pids();
        assert_eq!(pids.len(), 2, "{pids:?}");
        let (kib, parts) = tree.pss_kib().unwrap();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().any(|p| p.starts_with("sleep=")), "{parts:?}");
        assert!(kib > 0);
        tree.stop();
        assert!(pids.iter().all(|pid| !alive(*pid)));
    }
}
