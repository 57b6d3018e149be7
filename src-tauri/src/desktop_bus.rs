//! Linux: single instance and desktop notifications over the session D-Bus, with the libdbus
//! binding the keychain already links. The official single-instance and notification plugins
//! (used on Windows) each bring a second, pure-Rust D-Bus stack (zbus and its executor) on Linux;
//! without them the app binary is much smaller (docs/performance.md, Size).

use dbus::arg::{PropMap, Variant};
use dbus::blocking::stdintf::org_freedesktop_dbus::RequestNameReply;
use dbus::blocking::Connection;
use dbus::channel::MatchingReceiver;
use dbus::message::MatchRule;
use std::collections::HashMap;
use std::time::Duration;
use tauri::plugin::{Builder, TauriPlugin};
use tauri::Runtime;

/// Object path and interface the first instance answers on.
const PATH: &str = "/de/fe2/SingleInstance";
const INTERFACE: &str = "de.fe2.SingleInstance";
const SHOW: &str = "Show";
/// A second start waits at most this long for the first instance; a desktop's notification
/// service is asked with the same patience.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// The session-bus name that keys one running instance: `identifier` is already distinct per
/// data home and demo mode (`platform::instance_identifier`), and a bus name allows no `-`.
pub fn bus_name(identifier: &str) -> String {
    format!("{}.SingleInstance", identifier.replace('-', "_"))
}

/// What `claim` found on the session bus.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// This process owns the name; `on_show` runs on each later start.
    First,
    /// Another process owns it and was asked to show its window.
    Forwarded,
}

/// Takes the instance name, or asks its owner to show itself. While this process owns the name, a
/// thread answers the later starts and calls `on_show` for each.
pub fn claim(name: &str, on_show: impl Fn() + Send + 'static) -> Result<Claim, dbus::Error> {
    claim_on(Connection::new_session()?, name, on_show)
}

fn claim_on(
    connection: Connection,
    name: &str,
    on_show: impl Fn() + Send + 'static,
) -> Result<Claim, dbus::Error> {
    // Not queued: a second start must not wait to become the first one later.
    match connection.request_name(name, false, false, true)? {
        RequestNameReply::PrimaryOwner | RequestNameReply::AlreadyOwner => {
            serve(connection, on_show);
            Ok(Claim::First)
        }
        RequestNameReply::Exists | RequestNameReply::InQueue => {
            let first = connection.with_proxy(name, PATH, CALL_TIMEOUT);
            first.method_call::<(), _, _, _>(INTERFACE, SHOW, ())?;
            Ok(Claim::Forwarded)
        }
    }
}

fn serve(connection: Connection, on_show: impl Fn() + Send + 'static) {
    let rule = MatchRule::new_method_call()
        .with_path(PATH)
        .with_interface(INTERFACE)
        .with_member(SHOW);
    connection.start_receive(
        rule,
        Box::new(move |call, connection| {
            // The caller only waits for the answer; a lost reply costs it the timeout, nothing more.
            let _ = connection.channel().send(call.method_return());
            on_show();
            true
        }),
    );
    let spawned = std::thread::Builder::new()
        .name("single-instance".into())
        .spawn(move || loop {
            if let Err(e) = connection.process(Duration::from_secs(3600)) {
                log::warn!("single-instance bus connection ended: {e}");
                break;
            }
        });
    if let Err(e) = spawned {
        log::warn!("cannot answer later starts: {e}");
    }
}

/// The single-instance plugin of this platform: a second start brings the first one's window
/// forward and exits before it opens one. Without a session bus every start runs on its own,
/// as with the official plugin.
pub fn single_instance<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("fe2-single-instance")
        .setup(|app, _api| {
            let name = bus_name(&app.config().identifier);
            let handle = app.clone();
            let on_show = move || {
                let window_app = handle.clone();
                let shown = handle
                    .run_on_main_thread(move || crate::platform::show_main_window(&window_app));
                if let Err(e) = shown {
                    log::warn!("cannot show the window for a second start: {e}");
                }
            };
            match claim(&name, on_show) {
                Ok(Claim::First) => {}
                Ok(Claim::Forwarded) => {
                    app.cleanup_before_exit();
                    std::process::exit(0);
                }
                Err(e) => log::warn!("no single-instance check (session bus): {e}"),
            }
            Ok(())
        })
        .build()
}

/// Shows one notification through the desktop's notification service
/// (org.freedesktop.Notifications); an error when there is none.
pub fn notify(app_name: &str, icon: &str, title: &str, body: &str) -> Result<u32, dbus::Error> {
    notify_on(&Connection::new_session()?, app_name, icon, title, body)
}

fn notify_on(
    connection: &Connection,
    app_name: &str,
    icon: &str,
    title: &str,
    body: &str,
) -> Result<u32, dbus::Error> {
    let service = connection.with_proxy(
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        CALL_TIMEOUT,
    );
    let mut hints: PropMap = HashMap::new();
    hints.insert("desktop-entry".into(), Variant(Box::new(icon.to_string())));
    let body = body_text(body);
    let (id,): (u32,) = service.method_call(
        "org.freedesktop.Notifications",
        "Notify",
        (
            app_name,
            0u32,
            icon,
            title,
            body.as_str(),
            Vec::<String>::new(),
            hints,
            -1i32,
        ),
    )?;
    Ok(id)
}

/// The body as plain text for the service: the freedesktop spec lets servers read the body as
/// markup, so a license name from the shop with `<`, `>` or `&` must not become a tag or an
/// entity (the title is never markup).
fn body_text(body: &str) -> String {
    body.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    //! Each test on a private bus of its own: a real dbus-daemon (scripts/lib.sh installs it).
    use super::*;
    use dbus::channel::Channel;
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::sync::{mpsc, Arc, Mutex};

    /// What the stand-in notification service was asked: app name, icon, title, text.
    type Shown = (String, String, String, String);

    struct PrivateBus {
        daemon: Child,
        address: String,
    }

    impl PrivateBus {
        fn start() -> Self {
            let mut daemon = Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
                .stdout(Stdio::piped())
                // It warns that it may not raise its file limit; nothing the tests need.
                .stderr(Stdio::null())
                .spawn()
                .expect("dbus-daemon (package dbus-daemon) runs");
            let mut address = String::new();
            BufReader::new(daemon.stdout.take().unwrap())
                .read_line(&mut address)
                .unwrap();
            Self {
                daemon,
                address: address.trim().to_string(),
            }
        }

        fn connect(&self) -> Connection {
            let mut channel = Channel::open_private(&self.address).unwrap();
            channel.register().unwrap();
            Connection::from(channel)
        }
    }

    impl Drop for PrivateBus {
        fn drop(&mut self) {
            let _ = self.daemon.kill();
            let _ = self.daemon.wait();
        }
    }

    #[test]
    fn bus_names_have_no_dashes() {
        assert_eq!(
            bus_name("de.fe2.license-manager.demo"),
            "de.fe2.license_manager.demo.SingleInstance"
        );
    }

    #[test]
    fn a_later_claim_asks_the_first_to_show_itself() {
        let bus = PrivateBus::start();
        let name = bus_name("de.fe2.license-manager.test");
        let (shown, show_calls) = mpsc::channel();
        let first = claim_on(bus.connect(), &name, move || shown.send(()).unwrap());
        assert_eq!(first.unwrap(), Claim::First);
        for _ in 0..2 {
            let later = claim_on(bus.connect(), &name, || panic!("not the first"));
            assert_eq!(later.unwrap(), Claim::Forwarded);
            show_calls.recv_timeout(Duration::from_secs(5)).unwrap();
        }
    }

    #[test]
    fn a_notification_reaches_the_desktops_service() {
        let bus = PrivateBus::start();
        // A stand-in notification service, recording what it is asked to show.
        let service = bus.connect();
        let reply = service
            .request_name("org.freedesktop.Notifications", false, false, true)
            .unwrap();
        assert_eq!(reply, RequestNameReply::PrimaryOwner);
        let received: Arc<Mutex<Vec<Shown>>> = Arc::default();
        let record = Arc::clone(&received);
        service.start_receive(
            MatchRule::new_method_call().with_member("Notify"),
            Box::new(move |call, connection| {
                let (app, _replaces, icon, title, body): (String, u32, String, String, String) =
                    call.read5().unwrap();
                record.lock().unwrap().push((app, icon, title, body));
                let _ = connection
                    .channel()
                    .send(call.method_return().append1(7u32));
                true
            }),
        );
        let sender = bus.connect();
        let (done, finished) = mpsc::channel();
        let sent = std::thread::spawn(move || {
            let id = notify_on(
                &sender,
                "FE2 License Manager",
                "fe2-license-manager",
                "Titel",
                "Text",
            );
            done.send(()).unwrap();
            id
        });
        while finished.try_recv().is_err() {
            service.process(Duration::from_millis(50)).unwrap();
        }
        assert_eq!(sent.join().unwrap().unwrap(), 7);
        assert_eq!(
            received.lock().unwrap().as_slice(),
            &[(
                "FE2 License Manager".to_string(),
                "fe2-license-manager".to_string(),
                "Titel".to_string(),
                "Text".to_string()
            )]
        );
    }

    #[test]
    fn a_license_name_in_the_body_is_text_not_markup() {
        assert_eq!(
            body_text("FF <b>Ost</b> & West <a href=\"https://evil.example\">hier</a>"),
            "FF &lt;b&gt;Ost&lt;/b&gt; &amp; West &lt;a href=\"https://evil.example\"&gt;hier&lt;/a&gt;"
        );
        assert_eq!(body_text("&amp;"), "&amp;amp;");
    }
}
