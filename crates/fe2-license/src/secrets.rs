//! Where an account's password and pinned shop key, and a proxy's credentials, live: the OS
//! keychain, or memory (unit tests and demo mode). Never a file: there is no plaintext fallback.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

/// The keychain service name of every entry.
pub const SERVICE: &str = "FE2 License Manager";

/// The keychain user name of an account: `<normalized e-mail>@<shop host[:port]>`.
pub fn entry_user(normalized_email: &str, shop_host: &str) -> String {
    format!("{normalized_email}@{shop_host}")
}

/// The keychain user name of a proxy's credentials: `proxy@<proxy host:port>` (an account's
/// name has two `@`, so the two never meet).
pub fn proxy_entry_user(proxy_host_port: &str) -> String {
    format!("proxy@{proxy_host_port}")
}

/// A password whose memory is zeroed when it is dropped (docs/reliability.md, Secrets in
/// memory). `Debug` never shows it; [`Password::expose`] is the one way to read it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Takes ownership of the text; its buffer is zeroed on drop.
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The password text, for the request header and the keychain entry only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Password {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&String> for Password {
    fn from(text: &String) -> Self {
        Self::new(text.clone())
    }
}

impl From<&str> for Password {
    fn from(text: &str) -> Self {
        Self::new(text.to_string())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Password {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// What the keychain holds for one account (`{"password","shop_key"}`, docs/domain.md). Not
/// `Serialize`: it is written only by [`Secret::to_json`] into the keychain, so no generic
/// serializer (a log, an IPC answer, a cache file) can ever take the password along.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct Secret {
    /// The WordPress application password.
    pub password: Password,
    /// The pinned shop signing key, base64 as `GET /keys` publishes it.
    pub shop_key: String,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("password", &"<redacted>")
            .field("shop_key", &self.shop_key)
            .finish()
    }
}

impl Secret {
    /// The JSON stored in the keychain (zeroed on drop, like the password in it).
    pub fn to_json(&self) -> Zeroizing<String> {
        Zeroizing::new(
            serde_json::json!({ "password": self.password.expose(), "shop_key": self.shop_key })
                .to_string(),
        )
    }

    /// Reads the keychain JSON; `user` names the entry in the error.
    pub fn from_json(text: &str, user: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|_| Error::CorruptFile {
            path: format!("keychain entry {user}"),
            reason: "not the expected secret".into(),
        })
    }
}

/// A proxy's Basic credentials (`{"username","password"}` in the keychain, docs/proxy.md); not
/// `Serialize`, like [`Secret`].
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct ProxyCredential {
    /// The user name the proxy knows (often `DOMAIN\user` or an e-mail address).
    pub username: String,
    /// The password.
    pub password: Password,
}

impl std::fmt::Debug for ProxyCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyCredential")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl ProxyCredential {
    /// The JSON stored in the keychain (zeroed on drop).
    pub fn to_json(&self) -> Zeroizing<String> {
        Zeroizing::new(
            serde_json::json!({ "username": self.username, "password": self.password.expose() })
                .to_string(),
        )
    }

    /// Reads the keychain JSON; `user` names the entry in the error.
    pub fn from_json(text: &str, user: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|_| Error::CorruptFile {
            path: format!("keychain entry {user}"),
            reason: "not the expected proxy credential".into(),
        })
    }
}

/// A small store of account secrets. Calls may block (an OS keychain): call them off the async
/// runtime's worker threads (`spawn_blocking`).
pub trait SecretStore: Send + Sync {
    /// The secret of an entry; `no_secret` when there is none.
    fn get(&self, user: &str) -> Result<Secret>;
    /// The secrets of several entries, in the order of `users` (a store may read them together
    /// more cheaply than one by one).
    fn get_many(&self, users: &[String]) -> Vec<Result<Secret>> {
        users.iter().map(|user| self.get(user)).collect()
    }
    /// Creates or overwrites an entry.
    fn set(&self, user: &str, secret: &Secret) -> Result<()>;
    /// Deletes an entry (an account's or a proxy's); one that does not exist is fine.
    fn delete(&self, user: &str) -> Result<()>;
    /// The credentials of a proxy entry ([`proxy_entry_user`]); `no_secret` when there are
    /// none. A store that keeps no proxy credentials has none.
    fn get_proxy(&self, user: &str) -> Result<ProxyCredential> {
        Err(Error::NoSecret(user.to_string()))
    }
    /// Creates or overwrites a proxy entry.
    fn set_proxy(&self, user: &str, _credential: &ProxyCredential) -> Result<()> {
        Err(Error::KeychainUnavailable(format!(
            "this secret store keeps no proxy credentials ({user})"
        )))
    }
    /// The audit log's anchor kept under the entry `name` (not a secret, but out of reach of
    /// a file edit; docs/domain.md, Audit log); `None` when there is none. A store that keeps
    /// no anchors says so as `keychain_unavailable`.
    fn anchor(&self, name: &str) -> Result<Option<String>> {
        Err(no_anchors(name))
    }
    /// Creates or overwrites the anchor under the entry `name`.
    fn set_anchor(&self, name: &str, text: &str) -> Result<()> {
        let _ = text;
        Err(no_anchors(name))
    }
}

/// The refusal of a store that keeps no audit log anchors (a test's or the CLI's stand-in).
fn no_anchors(name: &str) -> Error {
    Error::KeychainUnavailable(format!(
        "this secret store keeps no audit log anchor ({name})"
    ))
}

/// Secrets in memory only, gone at exit (unit tests, demo mode).
#[derive(Default)]
pub struct MemorySecretStore {
    entries: Mutex<HashMap<String, Zeroizing<String>>>,
    anchors: Mutex<HashMap<String, String>>,
}

impl MemorySecretStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Zeroizing<String>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn text(&self, user: &str) -> Result<Zeroizing<String>> {
        self.entries()
            .get(user)
            .cloned()
            .ok_or_else(|| Error::NoSecret(user.to_string()))
    }
}

impl std::fmt::Debug for MemorySecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySecretStore")
            .field("entries", &self.entries().len())
            .finish()
    }
}

impl SecretStore for MemorySecretStore {
    fn get(&self, user: &str) -> Result<Secret> {
        Secret::from_json(&self.text(user)?, user)
    }

    fn set(&self, user: &str, secret: &Secret) -> Result<()> {
        self.entries().insert(user.to_string(), secret.to_json());
        Ok(())
    }

    fn delete(&self, user: &str) -> Result<()> {
        self.entries().remove(user);
        Ok(())
    }

    fn get_proxy(&self, user: &str) -> Result<ProxyCredential> {
        ProxyCredential::from_json(&self.text(user)?, user)
    }

    fn set_proxy(&self, user: &str, credential: &ProxyCredential) -> Result<()> {
        self.entries()
            .insert(user.to_string(), credential.to_json());
        Ok(())
    }

    fn anchor(&self, name: &str) -> Result<Option<String>> {
        let anchors = self.anchors.lock().unwrap_or_else(|p| p.into_inner());
        Ok(anchors.get(name).cloned())
    }

    fn set_anchor(&self, name: &str, text: &str) -> Result<()> {
        let mut anchors = self.anchors.lock().unwrap_or_else(|p| p.into_inner());
        anchors.insert(name.to_string(), text.to_string());
        Ok(())
    }
}

/// The operating system's keychain (Windows Credential Manager, macOS Keychain, Secret Service).
#[cfg(all(
    feature = "keychain",
    any(windows, target_os = "linux", target_os = "macos")
))]
#[derive(Debug, Default, Clone, Copy)]
pub struct KeychainSecretStore;

#[cfg(all(
    feature = "keychain",
    any(windows, target_os = "linux", target_os = "macos")
))]
impl KeychainSecretStore {
    /// The OS keychain.
    pub fn new() -> Self {
        Self
    }

    fn entry(user: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(SERVICE, user).map_err(|e| map_keyring_error(e, user))
    }

    fn text(user: &str) -> Result<Zeroizing<String>> {
        Ok(Zeroizing::new(
            Self::entry(user)?
                .get_password()
                .map_err(|e| map_keyring_error(e, user))?,
        ))
    }

    fn set_text(user: &str, text: &str) -> Result<()> {
        Self::entry(user)?
            .set_password(text)
            .map_err(|e| map_keyring_error(e, user))
    }
}

/// Maps keyring's errors to ours; the text never contains the secret.
#[cfg(all(
    feature = "keychain",
    any(windows, target_os = "linux", target_os = "macos")
))]
fn map_keyring_error(error: keyring::Error, user: &str) -> Error {
    match error {
        keyring::Error::NoEntry => Error::NoSecret(user.to_string()),
        keyring::Error::BadEncoding(_) => Error::CorruptFile {
            path: format!("keychain entry {user}"),
            reason: "not UTF-8".into(),
        },
        keyring::Error::TooLong(what, limit) => {
            Error::KeychainUnavailable(format!("the keychain refuses {what} longer than {limit}"))
        }
        keyring::Error::PlatformFailure(e) => Error::KeychainUnavailable(e.to_string()),
        keyring::Error::NoStorageAccess(e) => Error::KeychainUnavailable(e.to_string()),
        other => Error::KeychainUnavailable(other.to_string()),
    }
}

#[cfg(all(
    feature = "keychain",
    any(windows, target_os = "linux", target_os = "macos")
))]
impl SecretStore for KeychainSecretStore {
    fn get(&self, user: &str) -> Result<Secret> {
        Secret::from_json(&Self::text(user)?, user)
    }

    #[cfg(target_os = "linux")]
    fn get_many(&self, users: &[String]) -> Vec<Result<Secret>> {
        one_session::get_many(users, |user| self.get(user))
    }

    fn set(&self, user: &str, secret: &Secret) -> Result<()> {
        Self::set_text(user, &secret.to_json())
    }

    fn delete(&self, user: &str) -> Result<()> {
        match Self::entry(user)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring_error(e, user)),
        }
    }

    fn get_proxy(&self, user: &str) -> Result<ProxyCredential> {
        ProxyCredential::from_json(&Self::text(user)?, user)
    }

    fn set_proxy(&self, user: &str, credential: &ProxyCredential) -> Result<()> {
        Self::set_text(user, &credential.to_json())
    }

    fn anchor(&self, name: &str) -> Result<Option<String>> {
        match Self::entry(name)?.get_password() {
            Ok(text) => Ok(Some(text)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_keyring_error(e, name)),
        }
    }

    fn set_anchor(&self, name: &str, text: &str) -> Result<()> {
        Self::entry(name)?
            .set_password(text)
            .map_err(|e| map_keyring_error(e, name))
    }
}

/// Many Secret Service reads at once. keyring 3 opens a D-Bus connection and negotiates an
/// encrypted session for every read (about 7 ms each here), and even over one session two
/// round trips per entry through the bus daemon made a view of 25 accounts wait 30–45 ms on a
/// busy machine. So: one connection, one session, every `SearchItems` sent before the first
/// answer is awaited, and one `GetSecrets` for all found items. Items are found with keyring's
/// own attributes (`target` = `default`, `service`, `username`); anything else than exactly one
/// unlocked item with a UTF-8 secret (none, several, a locked one, a legacy item, any failure)
/// is read through keyring again, so its behaviour and its errors stay as they are.
///
/// The session is `plain`: the secret travels unencrypted over the user's own session bus.
/// That bus admits only the user's processes, and any of them may ask the Secret Service for the
/// same items directly (it has no per-application access control), so the `dh-ietf1024` session
/// keyring negotiates protects nothing against them; it would only cost a key exchange per run.
#[cfg(all(feature = "keychain", target_os = "linux"))]
pub mod one_session {
    use super::{Secret, SERVICE};
    use crate::error::Result;
    use dbus::arg::{RefArg, Variant};
    use dbus::blocking::Connection;
    use dbus::message::MessageType;
    use dbus::{Message, Path};
    use std::collections::HashMap;
    use std::time::{Duration, Instant};
    use zeroize::Zeroize;

    const BUS_NAME: &str = "org.freedesktop.secrets";
    const SERVICE_PATH: &str = "/org/freedesktop/secrets";
    const SERVICE_INTERFACE: &str = "org.freedesktop.Secret.Service";
    /// Per call; a Secret Service that does not answer in time is read through keyring.
    const TIMEOUT: Duration = Duration::from_secs(5);

    /// `GetSecrets`' answer: item → (session, parameters, value, content type).
    type Secrets = HashMap<Path<'static>, (Path<'static>, Vec<u8>, Vec<u8>, String)>;

    /// Reads `users` in order; `single` is keyring's read of one entry.
    pub(super) fn get_many(
        users: &[String],
        single: impl Fn(&str) -> Result<Secret>,
    ) -> Vec<Result<Secret>> {
        let mut found = read_all(users).unwrap_or_default().into_iter();
        users
            .iter()
            .map(|user| found.next().flatten().unwrap_or_else(|| single(user)))
            .collect()
    }

    /// The secrets found directly, in the order of `users`; `None` where keyring must read
    /// (public so the keychain test can tell this path from keyring's).
    pub fn read_all(users: &[String]) -> Option<Vec<Option<Result<Secret>>>> {
        let connection = Connection::new_session().ok()?;
        let service = connection.with_proxy(BUS_NAME, SERVICE_PATH, TIMEOUT);
        let (_, session): (Variant<Box<dyn RefArg>>, Path<'static>) = service
            .method_call(
                SERVICE_INTERFACE,
                "OpenSession",
                ("plain", Variant(String::new())),
            )
            .ok()?;
        let mut serials = Vec::with_capacity(users.len());
        for user in users {
            let attributes = HashMap::from([
                ("target", "default"),
                ("service", SERVICE),
                ("username", user.as_str()),
            ]);
            let search =
                Message::new_method_call(BUS_NAME, SERVICE_PATH, SERVICE_INTERFACE, "SearchItems")
                    .ok()?
                    .append1(attributes);
            serials.push(connection.channel().send(search).ok()?);
        }
        let items: Vec<Option<Path<'static>>> = replies(&connection, &serials)?
            .iter()
            .map(|reply| {
                let (unlocked, locked): (Vec<Path<'static>>, Vec<Path<'static>>) =
                    reply.as_ref()?.read2().ok()?;
                match unlocked.as_slice() {
                    [item] if locked.is_empty() => Some(item.clone()),
                    _ => None,
                }
            })
            .collect();
        let wanted: Vec<Path<'static>> = items.iter().flatten().cloned().collect();
        let (mut secrets,): (Secrets,) = service
            .method_call(SERVICE_INTERFACE, "GetSecrets", (wanted, session))
            .ok()?;
        let read = items
            .iter()
            .zip(users)
            .map(|(item, user)| {
                let (_, _, value, _) = secrets.get(item.as_ref()?)?;
                let text = std::str::from_utf8(value).ok()?;
                Some(Secret::from_json(text, user))
            })
            .collect();
        for (_, _, value, _) in secrets.values_mut() {
            value.zeroize();
        }
        Some(read)
    }

    /// The method replies to `serials`, in their order (`None` for an error reply).
    fn replies(connection: &Connection, serials: &[u32]) -> Option<Vec<Option<Message>>> {
        let mut answers: Vec<Option<Message>> = serials.iter().map(|_| None).collect();
        let mut missing = serials.len();
        let deadline = Instant::now() + TIMEOUT;
        while missing > 0 {
            let left = deadline.checked_duration_since(Instant::now())?;
            let message = connection.channel().blocking_pop_message(left).ok()??;
            let Some(index) = message
                .get_reply_serial()
                .and_then(|serial| serials.iter().position(|s| *s == serial))
            else {
                continue;
            };
            missing -= 1;
            answers[index] = (message.msg_type() == MessageType::MethodReturn).then_some(message);
        }
        Some(answers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Autoref specialisation: `serializable()` is true exactly for `Serialize` types.
    struct Probe<T>(std::marker::PhantomData<T>);
    trait ViaSerialize {
        fn serializable(&self) -> bool {
            true
        }
    }
    impl<T: Serialize> ViaSerialize for Probe<T> {}
    trait Fallback {
        fn serializable(&self) -> bool {
            false
        }
    }
    impl<T> Fallback for &Probe<T> {}

    #[test]
    fn secrets_cannot_be_serialized_by_accident() {
        use std::marker::PhantomData;
        assert!(
            Probe::<String>(PhantomData).serializable(),
            "the probe works"
        );
        assert!(!(&Probe::<Secret>(PhantomData)).serializable());
        assert!(!(&Probe::<ProxyCredential>(PhantomData)).serializable());
        // Written into the keychain by hand, and read back.
        let secret = Secret {
            password: "geheim".into(),
            shop_key: "key".into(),
        };
        assert_eq!(Secret::from_json(&secret.to_json(), "u").unwrap(), secret);
    }

    #[test]
    fn memory_store_keeps_overwrites_and_deletes() {
        let store = MemorySecretStore::new();
        let user = entry_user("a@b.de", "shop.example:8443");
        assert_eq!(user, "a@b.de@shop.example:8443");
        assert!(matches!(store.get(&user), Err(Error::NoSecret(_))));
        let first = Secret {
            password: "abcd EFGH 1234 ijkl MNOP 5678".into(),
            shop_key: "key1".into(),
        };
        store.set(&user, &first).unwrap();
        assert_eq!(store.get(&user).unwrap(), first);
        let second = Secret {
            shop_key: "key2".into(),
            ..first.clone()
        };
        store.set(&user, &second).unwrap();
        assert_eq!(store.get(&user).unwrap().shop_key, "key2");
        store.delete(&user).unwrap();
        store.delete(&user).unwrap();
        assert!(matches!(store.get(&user), Err(Error::NoSecret(_))));
    }

    #[test]
    fn a_proxy_credential_has_its_own_entry_and_is_never_shown() {
        let store = MemorySecretStore::new();
        let user = proxy_entry_user("proxy.stadt.de:8080");
        assert_eq!(user, "proxy@proxy.stadt.de:8080");
        assert!(matches!(store.get_proxy(&user), Err(Error::NoSecret(_))));
        let credential = ProxyCredential {
            username: "STADT\\kaemmerei".into(),
            password: "Geheim 99!".into(),
        };
        store.set_proxy(&user, &credential).unwrap();
        assert_eq!(store.get_proxy(&user).unwrap(), credential);
        assert_eq!(store.get(&user).unwrap_err().code(), "corrupt_file");
        let text = format!("{credential:?}");
        assert!(
            text.contains("kaemmerei") && !text.contains("Geheim"),
            "{text}"
        );
        assert_eq!(
            ProxyCredential::from_json(&credential.to_json(), &user).unwrap(),
            credential
        );
        store.delete(&user).unwrap();
        assert!(matches!(store.get_proxy(&user), Err(Error::NoSecret(_))));
    }

    #[test]
    fn debug_output_never_shows_the_password() {
        let secret = Secret {
            password: "abcd EFGH 1234 ijkl MNOP 5678".into(),
            shop_key: "key".into(),
        };
        let text = format!("{secret:?}");
        assert!(!text.contains("EFGH"), "{text}");
        assert!(text.contains("redacted"));
    }

    #[test]
    fn a_password_reads_from_ipc_json_and_is_written_to_the_keychain_entry_only() {
        let password: Password =
            serde_json::from_value(serde_json::json!("abcd EFGH 1234")).unwrap();
        assert_eq!(password.expose(), "abcd EFGH 1234");
        assert_eq!(format!("{password:?}"), "<redacted>");
        let secret = Secret {
            password,
            shop_key: "key".into(),
        };
        let stored = secret.to_json();
        assert_eq!(Secret::from_json(&stored, "u").unwrap(), secret);
        assert!(serde_json::from_value::<Password>(serde_json::json!(12)).is_err());
    }
}
