//! The main window's navigation guard (docs/architecture.md, Defence in depth): the web view may
//! show only the app's own pages. Links to the shop go through `links` to the browser; anything
//! that still tries to navigate the window elsewhere (an injected script, a stray `<a href>`)
//! is refused, behind the capability and the CSP.

use tauri::Url;

/// True for the app's own origin: `tauri://localhost` (Linux, macOS), `http(s)://tauri.localhost`
/// (Windows), and the dev server's origin in a development build (`dev_url`).
pub fn allowed(url: &Url, dev_url: Option<&Url>) -> bool {
    let own = match (url.scheme(), url.host_str()) {
        ("tauri", Some("localhost")) => true,
        ("http" | "https", Some("tauri.localhost")) => url.port().is_none(),
        _ => false,
    };
    own || dev_url.is_some_and(|dev| dev.origin() == url.origin())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn only_the_apps_own_origin_is_shown() {
        for ok in [
            "tauri://localhost",
            "tauri://localhost/#/detail/a%40b.de",
            "http://tauri.localhost/index.html",
            "https://tauri.localhost/",
        ] {
            assert!(allowed(&url(ok), None), "{ok}");
        }
        for refused in [
            "https://www.alamos-gmbh.com/mein-konto/",
            "http://127.0.0.1:5173/",
            "http://tauri.localhost.evil.example/",
            "http://tauri.localhost:8080/",
            "tauri://evil.example/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "about:blank",
        ] {
            assert!(!allowed(&url(refused), None), "{refused}");
        }
        // A development build also shows its dev server, and only that.
        let dev = url("http://localhost:5173");
        assert!(allowed(
            &url("http://localhost:5173/#/settings"),
            Some(&dev)
        ));
        assert!(!allowed(&url("http://localhost:5174/"), Some(&dev)));
    }
}
