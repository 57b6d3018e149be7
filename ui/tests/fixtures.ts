// Test data in the IPC shapes, built around the FAQ example of docs/domain.md.
import type { Catalog, License, LicenseView, Quote, Settings } from '../src/lib/bindings';

/** The FAQ license: Basispaket and 20 persons, period 2025 → 2026. */
export function faqLicense(over: Partial<License> = {}): License {
  return {
    id: 4711,
    email: 'leitstelle@ff-musterstadt.de',
    name: 'FF Musterstadt',
    kind: 'subscription',
    status: 'active',
    package: { code: 'basis', name: 'FE2 Basispaket', legacy: false },
    billing_period: 'year',
    billing_interval: 1,
    start_date: '2024-01-01T00:00:00Z',
    period_start: '2025-01-01T00:00:00Z',
    next_payment_date: '2026-01-01T00:00:00Z',
    end_date: null,
    trial_end_date: null,
    currency: 'EUR',
    items: [
      { sku: 'fe2-basis', name: 'FE2 Basispaket', quantity: 1, unit_price: '650.00' },
      { sku: 'fe2-persons', name: 'Zusätzliche Personen', quantity: 20, unit_price: '12.00' },
    ],
    features: [],
    price_list: '2023-04-17',
    scheduled_changes: [],
    has_paid_order: true,
    switch: { allowed: true, reason: null },
    ...over,
  };
}

/** A verified, online view of a license. */
export function view(license: License | null, over: Partial<LicenseView> = {}): LicenseView {
  return {
    email: license?.email ?? 'leer@example.org',
    shop_url: 'https://www.alamos-gmbh.com',
    fingerprint: 'ab12 cd34 ef56 7890',
    license,
    verification: 'verified',
    verification_error: null,
    as_of: '2025-07-02T12:00:00Z',
    clock_behind: false,
    fetched_at: '2025-07-02T12:00:01Z',
    offline: false,
    offline_since: null,
    last_error: null,
    expires_at: license?.next_payment_date ?? null,
    days_left: 183,
    usable: true,
    urgency: 'ok',
    default_reference: null,
    renewal_reminder: null,
    ...over,
  };
}

/** The catalog of the reference shop's price list from 17.04.2023. */
export const catalog: Catalog = {
  currency: 'EUR',
  vat_rate: '0.19',
  price_lists: [
    {
      id: '2023-04-17',
      valid_from: '2023-04-17',
      prices: { 'fe2-basis': '650.00', 'fe2-persons': '12.00', 'fe2-amweb': '90.00', 'fe2-amobile-pro': '120.00', 'fe2-am4': '60.00' },
    },
  ],
  products: [
    { sku: 'fe2-basis', name: { de: 'FE2 Basispaket', en: 'FE2 base package' }, min: 1, max: 1, switchable: false },
    { sku: 'fe2-persons', name: { de: 'Zusätzliche Personen', en: 'Additional persons' }, min: 0, max: 500, switchable: true },
    { sku: 'fe2-amweb', name: { de: 'AMweb', en: 'AMweb' }, min: 0, max: 50, switchable: true },
    { sku: 'fe2-amobile-pro', name: { de: 'aMobile PRO', en: 'aMobile PRO' }, min: 0, max: 100, switchable: true },
  ],
};

/** The shop's quote for the FAQ upgrade: persons 20 → 30 on 2025-07-02T12:00Z. */
export const faqQuote: Quote = {
  quote_date: '2025-07-02T12:00:00Z',
  price_list: '2023-04-17',
  days_remaining: 183,
  days_in_period: 365,
  lines: [
    { sku: 'fe2-persons', from: 20, to: 30, change: 'upgrade', unit_price: '12.00', fee: '60.16', effective_date: '2025-07-02T12:00:00Z' },
  ],
  setup_fee: { net: '60.16', vat: '11.43', gross: '71.59', vat_rate: '0.19' },
  next_renewal: { date: '2026-01-01T00:00:00Z', net: '1010.00', vat: '191.90', gross: '1201.90' },
};

/** The FAQ downgrade: persons 20 → 10, effective at the period end, nothing to pay. */
export const downgradeQuote: Quote = {
  quote_date: '2025-10-01T00:00:00Z',
  price_list: '2023-04-17',
  days_remaining: 92,
  days_in_period: 365,
  lines: [
    { sku: 'fe2-persons', from: 20, to: 10, change: 'downgrade', unit_price: '12.00', fee: '0.00', effective_date: '2026-01-01T00:00:00Z' },
  ],
  setup_fee: { net: '0.00', vat: '0.00', gross: '0.00', vat_rate: '0.19' },
  next_renewal: { date: '2026-01-01T00:00:00Z', net: '770.00', vat: '146.30', gross: '916.30' },
};

/** Default settings, German. */
export const settingsDe: Settings = { language: 'de', warning_days: 30, critical_days: 14, notifications: true, autostart: false, renewal_reminder_days: 90, proxy: 'system' };
/** The same in English. */
export const settingsEn: Settings = { ...settingsDe, language: 'en' };
