import { describe, expect, test } from 'vitest';
import { errorText } from '../src/lib/errors';
import { locale } from '../src/i18n/index.svelte';

const error = (code: string, details: Record<string, unknown> = {}) => ({ code, message: code, details });

describe('error texts name what was wrong', () => {
  test('an invalid e-mail address is named', () => {
    expect(errorText(error('invalid_email', { email: 'wehr@ff' }))).toBe('Die E-Mail-Adresse ist ungültig (wehr@ff).');
    locale.lang = 'en';
    expect(errorText(error('invalid_email', { email: 'wehr@ff' }))).toBe('The e-mail address is invalid (wehr@ff).');
  });

  test('an unknown ticket topic is named', () => {
    expect(errorText(error('unknown_topic', { topic: 'refund' }))).toContain('Anfrageart nicht (refund).');
  });

  test('without a value (an empty field, an older app) no placeholder is left', () => {
    expect(errorText(error('invalid_email', { email: '' }))).toBe('Die E-Mail-Adresse ist ungültig.');
    expect(errorText(error('unknown_topic'))).toBe('Der Support kennt diese Anfrageart nicht.');
  });
});
