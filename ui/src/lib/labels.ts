// Words for values that come from the shop (statuses, products), with a safe fallback.
import { hasKey, locale, t } from '../i18n/index.svelte';
import type { Catalog, License, LicenseView } from './bindings';

/** The status in words; a status this version does not know is "unbekannt". */
export function statusText(status: string): string {
  const key = `status.${status}`;
  return hasKey(key) ? t(key) : t('status.unknown');
}

/** The value of `data-verified`: true, false or outdated. */
export function verifiedAttr(view: LicenseView): 'true' | 'false' | 'outdated' {
  if (view.verification === 'verified') return 'true';
  if (view.verification === 'outdated') return 'outdated';
  return 'false';
}

/** The display name of an SKU: the catalog's name in the UI language, else the license's. */
export function productName(sku: string, license?: License | null, catalog?: Catalog | null): string {
  const product = catalog?.products.find((p) => p.sku === sku);
  if (product) return product.name[locale.lang] || product.name.de || sku;
  return license?.items.find((i) => i.sku === sku)?.name || sku;
}

/** Which date a card names: trial end, end date or the next renewal. */
export function expiryLabel(license: License): string {
  if (license.kind === 'trial') return t('card.trialEnds');
  if (license.end_date) return t('card.ends');
  if (license.next_payment_date) return t('card.renews');
  return t('card.expiry');
}
