//! The start-up benchmark's marker, identical in the app and in the bare baseline app.
//!
//! When `FE2_BENCH_MARKER` names a file, an initialisation script waits for the page's
//! `performance.mark('fe2-first-card')` and for the frame that paints what was marked (the next
//! one, unless the paint timing shows that one already did), then asks to navigate to a fixed
//! URL; the navigation hook cancels that navigation and writes the wall-clock
//! time (nanoseconds since the Unix epoch) to the file, and on a second line the page's own
//! timeline from the URL's query (`origin`: navigation start, ms since the epoch; `dcl`:
//! DOMContentLoaded and `mark`: the mark, ms after `origin`), so that the start-up can be split
//! into its phases. No command, no capability and no change to the page's code is needed, and
//! without the variable the plugin does nothing.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use tauri::plugin::{Builder, TauriPlugin};
use tauri::Runtime;

/// The environment variable naming the marker file.
pub const MARKER_ENV: &str = "FE2_BENCH_MARKER";

/// The performance mark the page sets when its first content is in the DOM.
pub const MARK_NAME: &str = "fe2-first-card";

/// The host the script navigates to; it never resolves, and the navigation is always cancelled.
const SIGNAL_HOST: &str = "fe2-bench.invalid";

// The mark is set when the DOM holds the content; the signal goes in the first task after the
// frame that paints it, with the page's timeline. That frame is usually the next one. But WebKit
// delivers the observer's callback in a task that comes after a rendering update already due:
// a mark set just before a frame (a page rendered by script, whose effects run after the first
// layout) is seen only after that frame painted it, and waiting for another frame would count
// one frame too many. The paint timing tells: a first contentful paint at or after the mark
// means the content is on screen (docs/performance.md).
const SCRIPT: &str = r#"(() => {
  let sent = false;
  const first = (name) => performance.getEntriesByName(name)[0];
  const timeline = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    const mark = first('fe2-first-card');
    return `origin=${performance.timeOrigin}&dcl=${nav ? nav.domContentLoadedEventStart : -1}` +
      `&mark=${mark ? mark.startTime : -1}`;
  };
  const signal = () => {
    if (sent) return;
    sent = true;
    const send = () => setTimeout(() =>
      location.assign('http://fe2-bench.invalid/painted?' + timeline()), 0);
    const paint = first('first-contentful-paint');
    if (paint && paint.startTime >= first('fe2-first-card').startTime) send();
    else requestAnimationFrame(send);
  };
  new PerformanceObserver((list) => {
    if (list.getEntries().some((e) => e.name === 'fe2-first-card')) signal();
  }).observe({ type: 'mark', buffered: true });
})();"#;

/// True for the script's signal while the marker is active: an app whose own navigation guard
/// refuses other origins lets this one through, because Tauri asks the plugins only after the
/// window's own handler allowed a navigation (and the plugin cancels it).
pub fn is_signal(url: &tauri::Url) -> bool {
    url.host_str() == Some(SIGNAL_HOST) && std::env::var_os(MARKER_ENV).is_some()
}

/// The plugin: active only when `FE2_BENCH_MARKER` is set.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    let builder = Builder::new("fe2-bench-marker");
    let Some(marker) = std::env::var_os(MARKER_ENV).map(PathBuf::from) else {
        return builder.build();
    };
    builder
        .js_init_script(SCRIPT)
        .on_navigation(move |_, url| {
            if url.host_str() != Some(SIGNAL_HOST) {
                return true;
            }
            if let Err(e) = write_marker(&marker, url.query().unwrap_or_default()) {
                eprintln!("{MARKER_ENV}: cannot write {}: {e}", marker.display());
            }
            false
        })
        .build()
}

/// Writes the current time and the page's timeline atomically, so a reader never sees a
/// half-written file.
fn write_marker(marker: &Path, timeline: &str) -> std::io::Result<()> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(std::io::Error::other)?
        .as_nanos();
    let tmp = marker.with_extension("tmp");
    std::fs::write(&tmp, format!("{nanos}\n{timeline}\n"))?;
    std::fs::rename(&tmp, marker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_uses_the_constants() {
        assert!(SCRIPT.contains(&format!("'{MARK_NAME}'")));
        for field in ["origin=", "&dcl=", "&mark="] {
            assert!(SCRIPT.contains(field), "{field}");
        }
        assert!(SCRIPT.contains(&format!("http://{SIGNAL_HOST}/")));
    }

    #[test]
    fn marker_holds_a_recent_time() {
        let dir = std::env::temp_dir().join(format!("fe2-bench-marker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("marker");
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        write_marker(&file, "origin=1&dcl=2&mark=3").unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        let (time, timeline) = text.split_once('\n').unwrap();
        let written: u128 = time.parse().unwrap();
        assert!(written >= before);
        assert_eq!(timeline, "origin=1&dcl=2&mark=3\n");
        assert!(!file.with_extension("tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
