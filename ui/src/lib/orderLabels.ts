// Words for the detail page's orders and tickets. Apart from labels.ts because their texts are
// page texts (de-pages.ts), which the first page's modules may not use (tests/texts.test.ts).
import { hasKey, t } from '../i18n/index.svelte';

/** An order's payment state in words: paid with its date, else the order status. */
export function orderText(status: string, datePaid: string | null, formatDate: (iso: string) => string): string {
  if (datePaid && (status === 'completed' || status === 'processing')) {
    return t('detail.orderPaid', { date: formatDate(datePaid) });
  }
  const key = `order.${status}`;
  return hasKey(key) ? t(key) : status;
}

/** An order's type in words; a type this version does not know verbatim. */
export function orderTypeText(type: string): string {
  const key = `orderType.${type}`;
  return hasKey(key) ? t(key) : type;
}

/** A ticket status in words; an unknown one verbatim. */
export function ticketStatusText(status: string): string {
  const key = `ticket.${status}`;
  return hasKey(key) ? t(key) : status;
}
