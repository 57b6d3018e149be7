// Small helpers without Tauri or UI state.

/** A fresh random idempotency key (UUID v4). */
export function newKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The quantity of an SKU in a list of items; an option not booked counts as 0. */
export function quantityOf(items: { sku: string; quantity: number }[], sku: string): number {
  return items.find((i) => i.sku === sku)?.quantity ?? 0;
}

/** A whole number typed by a user ("30", " 30 "), or null for anything else ("3,5", "1e3", "-"). */
export function parseWholeNumber(text: string): number | null {
  const s = text.trim();
  if (!/^\d{1,9}$/.test(s)) return null;
  return Number(s);
}

/**
 * A first plausibility check of an e-mail address before sending; the shop and the core decide
 * finally (normalisation and IDN live there).
 */
export function looksLikeEmail(text: string): boolean {
  return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(text.trim());
}
