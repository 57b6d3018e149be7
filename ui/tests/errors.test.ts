import { describe, expect, test } from 'vitest';
import { errorText } from '../src/lib/errors';
import { setLanguage } from '../src/i18n/index.svelte';

const error = (code: string, details: Record<string, unknown> = {}) => ({ code, message: code, details });

describe('error texts name what was wrong', async () => {
  test('an invalid e-mail address is named', async () => {
    expect(errorText(error('invalid_email', { email: 'wehr@ff' }))).toBe('Die E-Mail-Adresse ist ungültig (wehr@ff).');
    await setLanguage('en');
    expect(errorText(error('invalid_email', { email: 'wehr@ff' }))).toBe('The e-mail address is invalid (wehr@ff).');
  });

  test('an unknown ticket topic is named', async () => {
    expect(errorText(error('unknown_topic', { topic: 'refund' }))).toContain('Anfrageart nicht (refund).');
  });

  test('without a value (an empty field, an older app) no placeholder is left', async () => {
    expect(errorText(error('invalid_email', { email: '' }))).toBe('Die E-Mail-Adresse ist ungültig.');
    expect(errorText(error('unknown_topic'))).toBe('Der Support kennt diese Anfrageart nicht.');
  });

  test('a due renewal names its date', async () => {
    await setLanguage('de');
    const due = error('renewal_due', { renewal_date: '2026-01-01T00:00:00Z' });
    expect(errorText(due)).toBe(
      'Die Verlängerung vom 01.01.2026 ist fällig und noch nicht bezahlt. Änderungen sind wieder möglich, sobald sie bezahlt ist.',
    );
    await setLanguage('en');
    expect(errorText(due)).toBe(
      'The renewal of 1 Jan 2026 is due and not paid yet. Changes are possible again once it is paid.',
    );
    await setLanguage('de');
  });

  test('a refused order reference says exactly what is wrong', async () => {
    await setLanguage('de');
    const checkDigits = errorText(error('invalid_reference', { problem: 'leitweg_check_digits', expected: '06' }));
    expect(checkDigits).toContain('Prüfziffer');
    expect(checkDigits).toContain('gehört 06');
    expect(errorText(error('invalid_reference', { problem: 'too_long', max: 64 }))).toBe(
      'Die Bestellreferenz ist zu lang (höchstens 64 Zeichen).',
    );
    expect(errorText(error('invalid_reference', { problem: 'leitweg_coarse' }))).toContain('2 bis 12 Ziffern');
    // A problem this version does not know still gets the code's sentence.
    expect(errorText(error('invalid_reference', { problem: 'new_rule' }))).toBe('Die Bestellreferenz ist ungültig.');
    await setLanguage('en');
    expect(errorText(error('invalid_reference', { problem: 'leitweg_check_digits', expected: '33' }))).toContain(
      'give 33',
    );
    await setLanguage('de');
  });

  test('a proxy error names the proxy, the CA to install or the command to store the login', async () => {
    const proxy = 'http://proxy.stadt.de:8080';
    const missing = errorText(error('proxy_auth_required', { proxy, problem: 'missing' }));
    expect(missing).toContain(`fe2-license proxy login --proxy ${proxy} --username NAME`);
    expect(errorText(error('proxy_auth_required', { proxy, problem: 'rejected' }))).toContain('abgelehnt');
    expect(errorText(error('proxy_unreachable', { proxy }))).toContain(`${proxy} antwortet nicht`);
    const issuer = 'CN=Stadt Musterstadt Proxy CA, O=Stadt Musterstadt';
    expect(errorText(error('tls_intercepted', { issuer, proxy }))).toContain(`„${issuer}“`);
    await setLanguage('en');
    expect(errorText(error('tls_intercepted', { issuer, proxy }))).toContain('root certificate');
    expect(errorText(error('proxy_auth_required', { proxy, problem: 'rejected' }))).toContain('refused the stored login');
    await setLanguage('de');
  });
});
