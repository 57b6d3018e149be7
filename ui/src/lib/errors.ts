// Error codes in plain words. The UI translates `code`; `message` is shown only as a detail.
import { hasKey, t } from '../i18n/index.svelte';
import type { AppError } from './types';

/** The user-facing sentence for a command error. */
export function errorText(e: AppError): string {
  const key = `error.${e.code}`;
  if (!hasKey(key)) return t('error.generic', { code: e.code });
  const d = e.details ?? {};
  // The refused value (invalid_email, unknown_topic), when the core sent one.
  const value = String(d.email ?? d.topic ?? '');
  return t(key, {
    seconds: String(d.retry_after ?? '60'),
    sku: String(d.sku ?? ''),
    detail: e.message || e.code,
    named: value ? ` (${value})` : '',
  });
}

/**
 * Codes after which a ticket may go through the support site instead: the route was unreachable
 * or answered 5xx (the same set the core calls "offline"), never a 409/422 refusal.
 */
const FALLBACK_CODES = new Set([
  'unreachable',
  'timeout',
  'proxy',
  'shop_unavailable',
  'internal',
  'not_a_shop_api',
  'response_too_large',
]);

/** True when the support-site fallback may be offered for this error. */
export function allowsSupportFallback(e: AppError): boolean {
  return FALLBACK_CODES.has(e.code);
}
