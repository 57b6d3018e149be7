import { describe, expect, test } from 'vitest';
import { formatDate, formatDateTime, formatMoney, formatPercent } from '../src/lib/format';
import { onWindows } from '../src/lib/platform';
import { locale } from '../src/i18n/index.svelte';

describe('formatting', () => {
  test('money in German is re-punctuated text, never a float', () => {
    locale.lang = 'de';
    expect(formatMoney('1234.56')).toBe('1.234,56 €');
    expect(formatMoney('71.59')).toBe('71,59 €');
    expect(formatMoney('0.1')).toBe('0,10 €');
    expect(formatMoney('-5.00')).toBe('-5,00 €');
    expect(formatMoney('1234567.89')).toBe('1.234.567,89 €');
    // A float would print 90071992547409.91 as ...9.92 or worse.
    expect(formatMoney('90071992547409.91')).toBe('90.071.992.547.409,91 €');
    expect(formatMoney('n/a')).toBe('n/a');
  });

  test('money in English', () => {
    locale.lang = 'en';
    expect(formatMoney('1234.56')).toBe('€1,234.56');
    expect(formatMoney('71.59')).toBe('€71.59');
  });

  test('dates are shown in Europe/Berlin', () => {
    locale.lang = 'de';
    expect(formatDate('2026-01-01T00:00:00Z')).toBe('01.01.2026');
    expect(formatDate('2025-12-31T23:30:00Z')).toBe('01.01.2026');
    expect(formatDateTime('2025-07-02T12:00:00Z')).toBe('02.07.2025, 14:00');
    expect(formatDate(null)).toBe('–');
    locale.lang = 'en';
    expect(formatDate('2026-01-01T00:00:00Z')).toBe('1 Jan 2026');
  });

  test('German dates match Intl in Europe/Berlin, also at each summer-time change', () => {
    locale.lang = 'de';
    // The judge: Intl with the ICU time-zone data of this Node.
    const zone = { timeZone: 'Europe/Berlin', day: '2-digit', month: '2-digit', year: 'numeric' } as const;
    const day = new Intl.DateTimeFormat('de-DE', zone);
    const moment = new Intl.DateTimeFormat('de-DE', { ...zone, hour: '2-digit', minute: '2-digit' });
    const instants: number[] = [];
    for (let year = 1996; year <= 2037; year++) {
      // Around 01:00 UTC of every Sunday in March, April, September, October and November
      // (the changes), and a spread of other instants.
      for (const month of [2, 3, 8, 9, 10]) {
        for (let date = 1; date <= 31; date++) {
          const t = Date.UTC(year, month, date, 1);
          if (new Date(t).getUTCDay() !== 0) continue;
          for (const minutes of [-61, -60, -1, 0, 1, 59, 60, 61]) instants.push(t + minutes * 60_000);
        }
      }
      for (let i = 0; i < 60; i++) instants.push(Date.UTC(year, 0, 1) + ((i * 7_777_777_777) % 31_536_000_000));
    }
    for (const t of instants) {
      const iso = new Date(t).toISOString();
      expect(formatDate(iso), iso).toBe(day.format(t));
      expect(formatDateTime(iso), iso).toBe(moment.format(t));
    }
    // Beyond the rule's years Intl formats.
    expect(formatDateTime('2040-07-01T12:00:00Z')).toBe(moment.format(Date.UTC(2040, 6, 1, 12)));
  });

  test('VAT rate as percent', () => {
    locale.lang = 'de';
    expect(formatPercent('0.19')).toBe('19');
    expect(formatPercent('0.075')).toBe('7,5');
  });
});

describe('platform', () => {
  test('only WebView2 on Windows gets the Windows font', () => {
    const webview2 =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0';
    const webkitgtk = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15';
    expect(onWindows(webview2)).toBe(true);
    expect(onWindows(webkitgtk)).toBe(false);
    expect(onWindows('Mozilla/5.0 (Wayland; Linux x86_64) AppleWebKit/605.1.15')).toBe(false);
  });
});
