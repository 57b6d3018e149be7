//! The real OS keychain through `KeychainSecretStore`: store, read (one and many), overwrite,
//! delete, and the audit log's anchor.
//! Needs a running, unlocked Secret Service; `scripts/test.sh` starts one (gnome-keyring in a
//! private D-Bus session and a temporary XDG_DATA_HOME) and runs this with `--ignored`.

use fe2_license::secrets::{entry_user, KeychainSecretStore, Secret, SecretStore};
use fe2_license::Error;

#[test]
#[ignore = "needs a Secret Service: run by scripts/test.sh"]
fn stores_reads_overwrites_and_deletes_a_secret_in_the_real_keychain() {
    let store = KeychainSecretStore::new();
    // A fresh user per run, so a leftover entry of an earlier run cannot make this pass.
    let user = entry_user(
        &format!("keychain-test-{}@ff-musterstadt.de", std::process::id()),
        "127.0.0.1:8443",
    );
    match store.get(&user) {
        Err(Error::NoSecret(_)) => {}
        other => panic!("expected no entry yet, got {other:?}: is a Secret Service running?"),
    }

    let first = Secret {
        password: "abcd EFGH 1234 ijkl MNOP 5678".into(),
        shop_key: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
    };
    store
        .set(&user, &first)
        .expect("store in the Secret Service");
    assert_eq!(store.get(&user).expect("read back"), first);

    let second = Secret {
        password: "wxyz WXYZ 9876 abcd ABCD 0000".into(),
        shop_key: "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=".into(),
    };
    store.set(&user, &second).expect("overwrite");
    assert_eq!(
        store.get(&user).expect("read the overwritten entry"),
        second
    );

    // A second store instance sees the same entry: it really is in the keychain, not in memory.
    assert_eq!(KeychainSecretStore::new().get(&user).unwrap(), second);

    // Many entries at once (one Secret Service session on Linux), in order, a missing one as
    // `no_secret` like a single read.
    let other = entry_user(
        &format!("keychain-test-{}-b@ff-musterstadt.de", std::process::id()),
        "127.0.0.1:8443",
    );
    let missing = entry_user("never-stored@ff-musterstadt.de", "127.0.0.1:8443");
    store.set(&other, &first).expect("store a second entry");
    let many = store.get_many(&[other.clone(), missing.clone(), user.clone()]);
    assert_eq!(many.len(), 3);
    assert_eq!(many[0], Ok(first.clone()));
    assert!(
        matches!(&many[1], Err(Error::NoSecret(u)) if *u == missing),
        "{:?}",
        many[1]
    );
    assert_eq!(many[2], Ok(second.clone()));
    // On Linux the stored entries come over one session, only the missing one through keyring.
    #[cfg(target_os = "linux")]
    {
        let direct = fe2_license::secrets::one_session::read_all(&[other.clone(), missing.clone()])
            .expect("one Secret Service session");
        assert_eq!(direct.len(), 2);
        assert_eq!(direct[0], Some(Ok(first.clone())));
        assert_eq!(direct[1], None);
    }
    store.delete(&other).expect("delete the second entry");
    assert!(matches!(
        store.get_many(std::slice::from_ref(&other)).as_slice(),
        [Err(Error::NoSecret(_))]
    ));

    store.delete(&user).expect("delete");
    assert!(matches!(store.get(&user), Err(Error::NoSecret(_))));
    store
        .delete(&user)
        .expect("deleting a missing entry is fine");

    // The audit log's anchor: an entry of its own, none before the first write.
    let anchor = format!("audit-log@keychain-test-{}", std::process::id());
    assert_eq!(store.anchor(&anchor), Ok(None));
    store
        .set_anchor(&anchor, r#"{"lines":3,"last":"ab"}"#)
        .expect("keep the anchor");
    assert_eq!(
        KeychainSecretStore::new().anchor(&anchor),
        Ok(Some(r#"{"lines":3,"last":"ab"}"#.to_string()))
    );
    store.delete(&anchor).expect("delete the anchor");
}
