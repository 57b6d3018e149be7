// Error codes in plain words. The UI translates `code`; `message` is shown only as a detail.
import { hasKey, t } from '../i18n/index.svelte';
import { formatDate } from './format';
import { ERROR_CLASSES, OFFLINE_CLASSES, type ErrorClass, type ErrorInfo } from './bindings';

/**
 * A command error as the page holds it: the app's `ErrorInfo`, or one the page made itself from
 * Tauri's refusal of an argument (`toAppError`), which has no class of its own.
 */
export type AppError = Omit<ErrorInfo, 'class'> & { class?: ErrorClass };

/** The user-facing sentence for a command error. */
export function errorText(e: AppError): string {
  const d = e.details ?? {};
  // A refused order reference names its problem (core `reference::ReferenceProblem`).
  const specific = `error.${e.code}.${String(d.problem ?? '')}`;
  const key = hasKey(specific) ? specific : `error.${e.code}`;
  if (!hasKey(key)) return t('error.generic', { code: e.code });
  // The refused value (invalid_email, unknown_topic), when the core sent one.
  const value = String(d.email ?? d.topic ?? '');
  return t(key, {
    seconds: String(d.retry_after ?? d.seconds ?? '60'),
    sku: String(d.sku ?? ''),
    detail: e.message || e.code,
    named: value ? ` (${value})` : '',
    url: String(d.shop_url ?? ''),
    max: String(d.max ?? ''),
    expected: String(d.expected ?? ''),
    host: String(d.host ?? ''),
    allowed: Array.isArray(d.allowed) ? d.allowed.join(', ') : '',
    proxy: String(d.proxy ?? ''),
    issuer: String(d.issuer ?? ''),
    // A due renewal (renewal_due) names its date.
    date: typeof d.renewal_date === 'string' ? formatDate(d.renewal_date) : '',
  });
}

/** The class of an error: as the app sent it, else the class of its code (a shop's own code is a refusal). */
export function errorClass(e: AppError): ErrorClass {
  return e.class ?? (ERROR_CLASSES as Record<string, ErrorClass | undefined>)[e.code] ?? 'refusal';
}

/**
 * True when a ticket may go through the support site instead: the route was unreachable or
 * answered 5xx (the classes the core calls offline), never after a 409/422 refusal.
 */
export function allowsSupportFallback(e: AppError): boolean {
  return OFFLINE_CLASSES.includes(errorClass(e));
}
