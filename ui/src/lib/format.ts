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

// German dates are numbers only, so they are written here: the first Intl format costs the first
// paint 11–16 ms in WebKitGTK (ICU locale and zone data; docs/performance.md). Europe/Berlin keeps
// EU summer time, from the last Sunday of March to the last Sunday of October, 01:00 UTC both
// (since 1996). Outside the years that tests/format.test.ts compares with Intl, Intl formats.
const RULE_YEARS = { first: 1996, last: 2037 };
const HOUR = 3_600_000;

function lastSundayUtc(year: number, month: number): number {
  const lastDay = new Date(Date.UTC(year, month + 1, 0, 1));
  return lastDay.getTime() - lastDay.getUTCDay() * 24 * HOUR;
}

/** The wall clock in Europe/Berlin as UTC fields of a shifted Date; null outside the rule's years. */
function berlinWallClock(d: Date): Date | null {
  const year = d.getUTCFullYear();
  if (year < RULE_YEARS.first || year > RULE_YEARS.last) return null;
  const t = d.getTime();
  const summer = t >= lastSundayUtc(year, 2) && t < lastSundayUtc(year, 9);
  return new Date(t + (summer ? 2 : 1) * HOUR);
}

const two = (n: number) => String(n).padStart(2, '0');

/** The Berlin wall clock when the page speaks German and the rule covers the year, else null (Intl). */
function germanWallClock(d: Date): Date | null {
  return locale.lang === 'de' ? berlinWallClock(d) : null;
}

function germanDate(wall: Date): string {
  return `${two(wall.getUTCDate())}.${two(wall.getUTCMonth() + 1)}.${wall.getUTCFullYear()}`;
}

// Made on first use: each format loads ICU locale and zone data.
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
  if (!d) return '–';
  const wall = germanWallClock(d);
  return wall ? germanDate(wall) : dateFormat(locale.lang).format(d);
}

/** A moment in Europe/Berlin with hours and minutes: de `01.12.2026, 10:34`. */
export function formatDateTime(iso: string | null | undefined): string {
  const d = parse(iso);
  if (!d) return '–';
  const wall = germanWallClock(d);
  return wall
    ? `${germanDate(wall)}, ${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}`
    : dateTimeFormat(locale.lang).format(d);
}

/** "1 Tag" / "183 Tage" in the current language. */
export function formatDays(n: number): string {
  return t(n === 1 ? 'days.one' : 'days.other', { n });
}
