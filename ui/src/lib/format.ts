// Display formatting. Money stays a decimal string end to end: it is only re-punctuated, never
// turned into a float. Dates are shown in Europe/Berlin whatever the computer's zone.
import { locale, t } from '../i18n/index.svelte';

const ZONE = 'Europe/Berlin';
const MONEY = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Formats a decimal string as euros: de `1.234,56 €`, en `€1,234.56`; unparsable text is shown as is. */
export function formatMoney(amount: string): string {
  const m = MONEY.exec(amount.trim());
  if (!m) return amount;
  const [, sign = '', whole, fraction = ''] = m;
  const cents = fraction.padEnd(2, '0');
  const de = locale.lang === 'de';
  const grouped = whole.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, de ? '.' : ',');
  return de ? `${sign}${grouped},${cents} €` : `${sign}€${grouped}.${cents}`;
}

/** Formats a decimal rate such as "0.19" as a percentage number ("19"), by moving the point in text. */
export function formatPercent(rate: string): string {
  const m = MONEY.exec(rate.trim());
  if (!m) return rate;
  const [, sign = '', whole, fraction = ''] = m;
  const padded = fraction.padEnd(2, '0');
  const intPart = (whole + padded.slice(0, 2)).replace(/^0+(?=\d)/, '');
  const rest = padded.slice(2).replace(/0+$/, '');
  return `${sign}${intPart}${rest ? (locale.lang === 'de' ? ',' : '.') + rest : ''}`;
}

function parse(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

type Lang = typeof locale.lang;

// Made on first use: each format loads ICU locale and zone data, which the first paint pays for
// only in its own language (docs/performance.md).
const dateOptions: Record<Lang, Intl.DateTimeFormatOptions> = {
  de: { timeZone: ZONE, day: '2-digit', month: '2-digit', year: 'numeric' },
  en: { timeZone: ZONE, day: 'numeric', month: 'short', year: 'numeric' },
};
const dateFormats: Partial<Record<Lang, Intl.DateTimeFormat>> = {};
const dateTimeFormats: Partial<Record<Lang, Intl.DateTimeFormat>> = {};

function dateFormat(lang: Lang): Intl.DateTimeFormat {
  return (dateFormats[lang] ??= new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : 'en-GB', dateOptions[lang]));
}

function dateTimeFormat(lang: Lang): Intl.DateTimeFormat {
  return (dateTimeFormats[lang] ??= new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : 'en-GB', {
    ...dateOptions[lang],
    hour: '2-digit',
    minute: '2-digit',
  }));
}

/** A day in Europe/Berlin: de `01.01.2026`, en `1 Jan 2026`; "–" when absent. */
export function formatDate(iso: string | null | undefined): string {
  const d = parse(iso);
  return d ? dateFormat(locale.lang).format(d) : '–';
}

/** A moment in Europe/Berlin with hours and minutes. */
export function formatDateTime(iso: string | null | undefined): string {
  const d = parse(iso);
  return d ? dateTimeFormat(locale.lang).format(d) : '–';
}

/** "1 Tag" / "183 Tage" in the current language. */
export function formatDays(n: number): string {
  return t(n === 1 ? 'days.one' : 'days.other', { n });
}
