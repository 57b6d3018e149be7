// German texts of the first page (the dashboard, the frame and every error), the source of truth
// for their keys; the other pages' texts are in de-pages.ts, loaded with the first page that needs
// them (docs/performance.md). Placeholders are written {name}.
import type { ErrorCode } from '../lib/bindings';
import type { dePages } from './de-pages';

/** The German texts of the first page. */
export const de = {
  'app.title': 'FE2 Lizenzverwaltung',
  'app.demo': 'Demo',
  'app.demoHint': 'Demo-Modus: Beispieldaten, nichts wird gespeichert.',
  'nav.dashboard': 'Übersicht',
  'nav.settings': 'Einstellungen',
  'nav.addAccount': 'Konto hinzufügen',
  'nav.backToDashboard': 'Zur Übersicht',
  'nav.backToLicense': 'Zurück zur Lizenz',
  'nav.skip': 'Zum Inhalt springen',
  'nav.budget': 'Haushalt',
  'nav.log': 'Verlauf',
  'doctor.open': 'Verbindung prüfen',
  'policy.readOnly': 'Nur lesen: vom Administrator festgelegt. Bestellungen, Anfragen und Kontoänderungen sind auf diesem Computer abgeschaltet.',
  'page.loading': 'Seite wird geladen …',
  'page.failed': 'Die Seite konnte nicht geladen werden. Bitte die App neu starten.',

  'refresh.button': 'Aktualisieren',
  'refresh.running': 'Wird aktualisiert …',
  'refresh.hint': 'Aktualisieren (F5)',

  'offline.banner': 'Shop nicht erreichbar seit {since}. Angezeigt werden die zuletzt gespeicherten Daten.',
  'offline.bannerNoTime': 'Shop nicht erreichbar. Angezeigt werden die zuletzt gespeicherten Daten.',

  'dashboard.heading': 'Ihre FE2-Lizenzen',
  'dashboard.loading': 'Lizenzen werden geladen …',
  'dashboard.emptyTitle': 'Noch keine Lizenz eingerichtet',
  'dashboard.emptyText':
    'Fügen Sie ein Konto hinzu: die Adresse des Shops, die Lizenz-E-Mail und ein Anwendungspasswort. Das Anwendungspasswort erstellen Sie im Shop unter „Mein Konto → Anwendungspasswörter“.',

  'card.open': 'Details öffnen',
  'card.noData': 'Noch keine Lizenzdaten abgerufen.',
  'card.renews': 'Nächste Verlängerung',
  'card.ends': 'Endet am',
  'card.trialEnds': 'Testphase endet am',
  'card.renewalReminder': 'Verlängerung am {date}: {gross} brutto',
  'card.renewalReminderDate': 'Verlängerung am {date}',
  'card.expiry': 'Gültig bis',

  'days.one': '{n} Tag',
  'days.other': '{n} Tage',

  'status.pending': 'Wartet auf erste Zahlung',
  'status.active': 'Aktiv',
  'status.on-hold': 'Angehalten – Zahlung offen',
  'status.pending-cancel': 'Gekündigt, läuft bis Laufzeitende',
  'status.cancelled': 'Gekündigt',
  'status.expired': 'Abgelaufen',
  'status.unknown': 'unbekannt',
  'kind.trial': 'Testlizenz',

  'urgency.ok': 'in Ordnung',
  'urgency.warning': 'Warnung',
  'urgency.critical': 'kritisch',
  'urgency.expired': 'abgelaufen',

  'verified.true': 'Signatur geprüft',
  'verified.outdated': 'veraltet – bitte aktualisieren',
  'verified.false': 'nicht verifiziert',
  'verified.falseHint':
    'Die gespeicherten Daten konnten nicht geprüft werden (Signatur fehlt oder ist ungültig). Verlassen Sie sich nicht auf diese Angaben.',
  'verified.none': 'keine Daten',
  'asOf': 'Stand {time}',
  'asOf.unknown': 'Stand unbekannt',
  'clockBehind': 'Die Uhr dieses Computers geht nach. Bitte Datum und Uhrzeit prüfen.',
  'fingerprint': 'Schlüssel-Fingerabdruck',
  'lastError': 'Letzte Aktualisierung fehlgeschlagen: {error}',
  'verificationError': 'Grund: {error}',

  'error.invalid_credentials': 'E-Mail-Adresse oder Anwendungspasswort ist falsch.',
  'error.too_many_attempts': 'Zu viele Fehlversuche. Bitte warten Sie {seconds} Sekunden und versuchen Sie es dann erneut.',
  'error.unreachable': 'Der Shop ist nicht erreichbar. Bitte prüfen Sie die Internetverbindung und die Adresse.',
  'error.timeout': 'Der Shop hat nicht rechtzeitig geantwortet. Bitte später erneut versuchen.',
  'error.tls':
    'Die sichere Verbindung zum Shop ist fehlgeschlagen: das Zertifikat wird nicht anerkannt ({detail}). In Behörden- und Kommunalnetzen prüft oft eine Firewall die Verbindung mit einem eigenen Stammzertifikat; es muss auf diesem Computer installiert sein.',
  'error.proxy': 'Der Proxy-Server hat die Verbindung abgelehnt oder ist nicht erreichbar. Bitte die Proxy-Einstellungen prüfen.',
  'error.proxy_auth_required':
    'Der Proxy-Server {proxy} verlangt eine Anmeldung. Die IT speichert sie einmal im Schlüsselbund dieses Computers: fe2-license proxy login --proxy {proxy} --username NAME',
  'error.proxy_auth_required.rejected':
    'Der Proxy-Server {proxy} hat die gespeicherte Anmeldung abgelehnt. Bitte neu speichern: fe2-license proxy login --proxy {proxy} --username NAME',
  'error.proxy_unreachable':
    'Der Proxy-Server {proxy} antwortet nicht. Bitte die Proxy-Einstellung prüfen oder die IT fragen, ob der Proxy läuft.',
  'error.tls_intercepted':
    'Das Zertifikat der Verbindung stammt von „{issuer}“, dem dieser Computer nicht vertraut. Meist prüft ein Proxy oder eine Firewall die verschlüsselte Verbindung: Die IT muss dessen Stammzertifikat in den Zertifikatspeicher dieses Computers aufnehmen.',
  'error.invalid_proxy':
    'Die Proxy-Einstellung ist ungültig ({detail}). Erlaubt sind „system“, „none“ oder eine Adresse wie http://proxy.stadt.de:8080, ohne Benutzername und Passwort.',
  'error.not_a_shop_api': 'Unter dieser Adresse antwortet kein FE2-Shop. Bitte die Adresse des Shops prüfen.',
  'error.insecure_url': 'Unverschlüsselte Adressen (http://) sind nicht erlaubt. Bitte https:// verwenden.',
  'error.invalid_url': 'Die Adresse des Shops ist ungültig. Bitte nur die Adresse angeben, ohne Benutzername, Passwort, „?“ oder „#“.',
  'error.shop_moved': 'Der Shop antwortet unter einer anderen Adresse ({url}). Bitte das Konto mit dieser Adresse neu hinzufügen, wenn das erwartet war.',
  'error.invalid_email': 'Die E-Mail-Adresse ist ungültig{named}.',
  'error.keychain_unavailable': 'Der Passwortspeicher des Systems ist nicht verfügbar. Das Passwort kann nicht sicher gespeichert werden.',
  'error.account_exists': 'Für diese E-Mail-Adresse ist bereits ein Konto eingerichtet.',
  'error.shop_unavailable': 'Der Shop ist vorübergehend nicht verfügbar. Bitte später erneut versuchen.',
  'error.internal': 'Im Shop ist ein Fehler aufgetreten. Bitte später erneut versuchen.',
  'error.quote_changed': 'Der Preis hat sich seit der Vorschau geändert.',
  'error.no_change': 'Es würde sich nichts ändern.',
  'error.invalid_quantity': 'Eine Anzahl ist nicht erlaubt ({sku}).',
  'error.unknown_item': 'Ein Produkt ist dem Shop unbekannt ({sku}).',
  'error.trial_license': 'Eine Testlizenz kann nicht geändert werden.',
  'error.subscription_not_active': 'Das Abonnement ist nicht aktiv.',
  'error.no_paid_order': 'Es gibt noch keine bezahlte Bestellung.',
  'error.legacy_package': 'Dieses Paket kann nur über eine Anfrage geändert werden.',
  'error.renewal_due':
    'Die Verlängerung vom {date} ist fällig und noch nicht bezahlt. Änderungen sind wieder möglich, sobald sie bezahlt ist.',
  'error.requires_amobile_pro': 'NavLog setzt aMobile PRO voraus.',
  'error.already_active': 'NavLog ist bereits freigeschaltet.',
  'error.email_in_use': 'Für die neue Adresse gibt es bereits eine eigene Lizenz.',
  'error.unknown_account': 'Dieses Konto ist nicht eingerichtet.',
  'error.no_secret': 'Für dieses Konto ist kein Passwort gespeichert. Bitte das Konto neu hinzufügen.',
  'error.unknown_key': 'Die Lizenzdatei ist mit einem Schlüssel signiert, den der Shop nicht veröffentlicht. Sie wird nicht als geprüft angezeigt.',
  'error.older_license_file': 'Der Shop hat eine ältere Lizenzdatei geliefert als die bereits gespeicherte. Die neueren Daten bleiben angezeigt.',
  'error.key_changed': 'Der Signaturschlüssel des Shops hat sich geändert. Bitte das Konto neu hinzufügen, wenn das erwartet war.',
  'error.bad_signature': 'Die Signatur der Lizenzdaten ist ungültig.',
  'error.idempotency_key_reuse':
    'Diese Anfrage wurde bereits mit anderem Inhalt gesendet. Bitte prüfen Sie in der Lizenz, ob sie angekommen ist, und beginnen Sie sonst neu.',
  'error.response_too_large': 'Die Antwort des Shops ist zu groß. Bitte später erneut versuchen.',
  'error.invalid_policy': 'Eine vom Administrator gesetzte Richtlinie kann nicht verwendet werden ({detail}).',
  'error.clock_skew': 'Die Uhr dieses Computers geht um {seconds} Sekunden falsch gegenüber dem Shop. Bitte die Uhrzeit stellen.',
  'error.read_only_policy': 'Ihr Administrator hat diesen Computer auf „nur lesen“ gestellt: keine Bestellungen, Anfragen oder Kontoänderungen.',
  'error.shop_not_allowed': 'Ihr Administrator erlaubt den Shop {host} nicht. Erlaubt: {allowed}.',
  'error.not_found': 'Das Gesuchte gibt es im Shop nicht (mehr).',
  'error.bad_request': 'Der Shop hat die Anfrage nicht verstanden.',
  'error.unknown_topic': 'Der Support kennt diese Anfrageart nicht{named}.',
  'error.wrong_account': 'Die Lizenzdatei gehört zu einem anderen Konto.',
  'error.malformed_license_file': 'Die Lizenzdatei des Shops ist beschädigt.',
  'error.unsupported_algorithm': 'Die Lizenzdatei ist mit einem unbekannten Verfahren signiert.',
  'error.corrupt_file': 'Eine gespeicherte Datei ist beschädigt.',
  'error.io': 'Eine Datei konnte nicht gelesen oder geschrieben werden.',
  'error.clipboard': 'Der Text konnte nicht in die Zwischenablage kopiert werden.',
  'error.license_exists': 'Für diese E-Mail-Adresse gibt es bereits eine Lizenz.',
  'error.method_not_allowed': 'Der Shop nimmt diese Anfrage so nicht an.',
  'error.payload_too_large': 'Die Anfrage ist zu groß für den Shop.',
  'error.generic': 'Das hat nicht geklappt (Fehler „{code}“).',
  'error.invalid_reference': 'Die Bestellreferenz ist ungültig.',
  'error.invalid_reference.too_long': 'Die Bestellreferenz ist zu lang (höchstens {max} Zeichen).',
  'error.invalid_reference.control_character': 'Die Bestellreferenz enthält einen Zeilenumbruch oder ein Steuerzeichen.',
  'error.invalid_reference.leitweg_coarse':
    'Die Leitweg-ID ist ungültig: Die Grobadressierung vor dem ersten Bindestrich muss aus 2 bis 12 Ziffern bestehen.',
  'error.invalid_reference.leitweg_fine':
    'Die Leitweg-ID ist ungültig: Zwischen Grobadressierung und Prüfziffer darf nur eine Feinadressierung aus 1 bis 30 Buchstaben und Ziffern stehen.',
  'error.invalid_reference.leitweg_check_digits':
    'Die Leitweg-ID ist ungültig: Die Prüfziffer am Ende stimmt nicht, zu den übrigen Stellen gehört {expected}. Bitte die Leitweg-ID bei der Rechnungsstelle prüfen. Eine andere Referenz (z. B. „Kostenstelle 0815-12“) wird nicht geprüft.',
} as const satisfies ErrorTexts;

/** A text key: the first page's and the other pages' (de-pages.ts). */
export type Key = keyof typeof de | keyof typeof dePages;

/** Every error code the app can send needs a text: a code without one fails the type check. */
type ErrorTexts = Record<`error.${ErrorCode}`, string> & Record<string, string>;
