//! `fe2-license doctor`: the service's checks (docs/deployment.md, Doctor) as lines in the
//! settings' language, or JSON; the first failure named again at the end with what to do.

use fe2_license::config::Language;
use fe2_license::service::{CheckKind, CheckOutcome, Diagnosis};

/// A check's name as the lines show it.
fn name(kind: CheckKind, language: Language) -> &'static str {
    use CheckKind as K;
    match (language, kind) {
        (Language::De, K::DataHome) => "Datenverzeichnis",
        (Language::De, K::Keychain) => "Passwortspeicher",
        (Language::De, K::Policy) => "Richtlinien",
        (Language::De, K::Proxy) => "Proxy",
        (Language::De, K::Dns) => "Namensauflösung (DNS)",
        (Language::De, K::Tcp) => "Verbindung (TCP)",
        (Language::De, K::Tls) => "Verschlüsselung (TLS)",
        (Language::De, K::Shop) => "Shop",
        (Language::De, K::Login) => "Anmeldung",
        (Language::De, K::Clock) => "Uhrzeit",
        (Language::En, K::DataHome) => "Data directory",
        (Language::En, K::Keychain) => "Keychain",
        (Language::En, K::Policy) => "Policies",
        (Language::En, K::Proxy) => "Proxy",
        (Language::En, K::Dns) => "Name resolution (DNS)",
        (Language::En, K::Tcp) => "Connection (TCP)",
        (Language::En, K::Tls) => "Encryption (TLS)",
        (Language::En, K::Shop) => "Shop",
        (Language::En, K::Login) => "Sign-in",
        (Language::En, K::Clock) => "Clock",
    }
}

/// What to do when a check of this kind fails (the error itself says what was found).
fn what_to_do(kind: CheckKind, language: Language) -> &'static str {
    use CheckKind as K;
    match (language, kind) {
        (Language::De, K::DataHome) => "Schreibrechte des Benutzers auf das Verzeichnis prüfen (oder FE2_LICENSE_HOME auf ein beschreibbares Verzeichnis setzen).",
        (Language::De, K::Keychain) => "Windows-Anmeldeinformationsverwaltung bzw. Secret Service prüfen; ein Konto ohne Eintrag neu hinzufügen.",
        (Language::De, K::Policy) => "Den genannten Richtlinienwert in der Gruppenrichtlinie bzw. /etc/fe2-license/policy.json berichtigen.",
        (Language::De, K::Proxy) => "Proxy-Einstellung (Richtlinie Proxy, Einstellungen, Windows-Proxy bzw. HTTPS_PROXY) prüfen.",
        (Language::De, K::Dns) => "DNS-Server und Schreibweise des Hosts prüfen; hinter einem Proxy muss nur der Proxy auflösbar sein.",
        (Language::De, K::Tcp) => "Firewall und Proxy prüfen: Ausgehend muss Port 443 zum Shop bzw. der Proxy-Port erlaubt sein; eine Proxy-Anmeldung mit „fe2-license proxy login“ hinterlegen.",
        (Language::De, K::Tls) => "Bei TLS-Prüfung durch die Firewall deren Stammzertifikat in den Zertifikatspeicher des Computers (Vertrauenswürdige Stammzertifizierungsstellen) aufnehmen.",
        (Language::De, K::Shop) => "Adresse des Shops prüfen; antwortet dort etwas anderes (Anmeldeseite des Proxys, Wartung), später erneut versuchen.",
        (Language::De, K::Login) => "Im Shop unter Mein Konto ein neues Anwendungspasswort erstellen und das Konto neu hinzufügen.",
        (Language::De, K::Clock) => "Uhrzeit des Computers stellen (Zeitserver der Domäne bzw. NTP).",
        (Language::En, K::DataHome) => "Check the user's write access to the directory (or point FE2_LICENSE_HOME at a writable one).",
        (Language::En, K::Keychain) => "Check the Windows Credential Manager or the Secret Service; add an account without an entry again.",
        (Language::En, K::Policy) => "Correct the named policy value in Group Policy or /etc/fe2-license/policy.json.",
        (Language::En, K::Proxy) => "Check the proxy setting (Proxy policy, settings, Windows proxy or HTTPS_PROXY).",
        (Language::En, K::Dns) => "Check the DNS server and the host's spelling; behind a proxy only the proxy must resolve.",
        (Language::En, K::Tcp) => "Check firewall and proxy: outgoing port 443 to the shop or the proxy's port must be allowed; store a proxy login with \"fe2-license proxy login\".",
        (Language::En, K::Tls) => "Where the firewall inspects TLS, put its root certificate into the computer's certificate store (Trusted Root Certification Authorities).",
        (Language::En, K::Shop) => "Check the shop's address; if something else answers there (a proxy's login page, maintenance), try again later.",
        (Language::En, K::Login) => "Create a new application password in the shop under My account and add the account again.",
        (Language::En, K::Clock) => "Set the computer's clock (the domain's time server or NTP).",
    }
}

/// The diagnosis as lines: one per check, then the first failure with what to do.
pub fn lines(diagnosis: &Diagnosis, language: Language) -> String {
    let mut text = String::new();
    for check in &diagnosis.checks {
        let mark = match (check.outcome, language) {
            (CheckOutcome::Pass, _) => "OK",
            (CheckOutcome::Fail, Language::De) => "FEHLER",
            (CheckOutcome::Fail, Language::En) => "FAILED",
            (CheckOutcome::Skip, Language::De) => "–",
            (CheckOutcome::Skip, Language::En) => "-",
        };
        let subject = if check.subject.is_empty() {
            String::new()
        } else {
            format!(" [{}]", crate::table::printable(&check.subject))
        };
        text.push_str(&format!(
            "[{mark}] {}{subject}: {}\n",
            name(check.kind, language),
            crate::table::printable(&check.detail)
        ));
    }
    match diagnosis.first_failure() {
        Some(first) => {
            let (label, todo) = match language {
                Language::De => ("Zuerst beheben", "Was tun"),
                Language::En => ("Fix first", "What to do"),
            };
            text.push_str(&format!(
                "\n{label}: {}\n{todo}: {}\n",
                name(first.kind, language),
                what_to_do(first.kind, language)
            ));
        }
        None => text.push_str(match language {
            Language::De => "\nAlle Prüfungen bestanden.\n",
            Language::En => "\nAll checks passed.\n",
        }),
    }
    text
}

/// The diagnosis as JSON for scripts, each failure with what to do in the settings' language.
pub fn json(diagnosis: &Diagnosis, language: Language) -> String {
    let checks: Vec<serde_json::Value> = diagnosis
        .checks
        .iter()
        .map(|check| {
            let mut value = serde_json::to_value(check).unwrap_or_default();
            if check.outcome == CheckOutcome::Fail {
                value["what_to_do"] = what_to_do(check.kind, language).into();
            }
            value
        })
        .collect();
    let report = serde_json::json!({
        "passed": diagnosis.passed(),
        "first_failure": diagnosis.first_failure().map(|c| c.kind),
        "checks": checks,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use fe2_license::service::DoctorCheck;

    fn diagnosis(outcomes: &[(CheckKind, CheckOutcome)]) -> Diagnosis {
        Diagnosis {
            checks: outcomes
                .iter()
                .map(|&(kind, outcome)| DoctorCheck {
                    kind,
                    outcome,
                    subject: "https://shop.example".into(),
                    detail: "found\u{1b}[31m".into(),
                    error: None,
                })
                .collect(),
        }
    }

    #[test]
    fn the_first_failure_is_named_with_what_to_do() {
        let d = diagnosis(&[
            (CheckKind::DataHome, CheckOutcome::Pass),
            (CheckKind::Tls, CheckOutcome::Fail),
            (CheckKind::Shop, CheckOutcome::Skip),
        ]);
        let text = lines(&d, Language::De);
        assert!(
            text.contains("[FEHLER] Verschlüsselung (TLS) [https://shop.example]"),
            "{text}"
        );
        assert!(
            text.contains("Zuerst beheben: Verschlüsselung (TLS)\nWas tun: Bei TLS-Prüfung"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "control characters are filtered");
        let value: serde_json::Value = serde_json::from_str(&json(&d, Language::En)).unwrap();
        assert_eq!(value["passed"], false);
        assert_eq!(value["first_failure"], "tls");
        assert!(value["checks"][1]["what_to_do"]
            .as_str()
            .unwrap()
            .contains("root certificate"));
        let ok = diagnosis(&[(CheckKind::DataHome, CheckOutcome::Pass)]);
        assert!(lines(&ok, Language::En).ends_with("All checks passed.\n"));
    }
}
