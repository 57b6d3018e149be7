// Its own file: the start data is read once per page (window state).
import { afterEach, expect, test } from 'vitest';
import { screen, waitFor } from '@testing-library/svelte';
import { faqLicense, settingsDe, settingsEn, view } from './fixtures';
import { mountApp, NO_POLICY } from './harness';
import { setLanguage } from '../src/i18n/index.svelte';
import { sameJson, startLanguage } from '../src/lib/store.svelte';

afterEach(() => {
  delete (window as { __FE2_START__?: unknown }).__FE2_START__;
});

test('the first cards come from the start data before any command answers', async () => {
  (window as { __FE2_START__?: unknown }).__FE2_START__ = {
    views: [view(faqLicense())],
    settings: settingsEn,
    info: { version: '0.1.0', demo: true, data_home: '/tmp/fe2', policy: NO_POLICY },
  };
  const never = () => new Promise(() => {});
  // As main.ts: the start data's language first, then the app.
  expect(startLanguage()).toBe('en');
  await setLanguage(startLanguage());
  const { calls } = mountApp({ handlers: { list_licenses: never, get_settings: never, app_info: never } });
  const cards = await screen.findAllByTestId('license-card');
  expect(cards).toHaveLength(1);
  // In the start data's language and with its demo mark, while the commands are still asked.
  expect(screen.getByTestId('refresh-button').textContent).toContain('Refresh');
  expect(screen.getByTestId('demo-mark')).toBeTruthy();
  // The commands confirm the start data after the first frame.
  await waitFor(() =>
    expect(calls.map((c) => c.cmd)).toEqual(expect.arrayContaining(['list_licenses', 'get_settings', 'app_info'])),
  );
});

test('start data of another shape is ignored and the commands decide', async () => {
  (window as { __FE2_START__?: unknown }).__FE2_START__ = { views: 'nope' };
  mountApp({ views: [view(faqLicense()), view(faqLicense({ email: 'b@ff.de' }))] });
  expect(await screen.findAllByTestId('license-card')).toHaveLength(2);
});

test('a command answer that differs from the start data replaces it', async () => {
  (window as { __FE2_START__?: unknown }).__FE2_START__ = {
    views: [view(faqLicense())],
    settings: settingsDe,
    info: { version: '0.1.0', demo: false, data_home: '/tmp/fe2', policy: NO_POLICY },
  };
  mountApp({ views: [view(faqLicense()), view(faqLicense({ email: 'b@ff.de' }))] });
  await waitFor(() => expect(screen.getAllByTestId('license-card')).toHaveLength(2));
});

test('JSON values compare deeply, whatever the order of their keys', () => {
  expect(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
  expect(sameJson({ a: 1, b: [1, { c: 'x' }] }, { a: 1, b: [1, { c: 'y' }] })).toBe(false);
  expect(sameJson({ a: 1 }, { a: 1, b: null })).toBe(false);
  expect(sameJson([1, 2], { 0: 1, 1: 2 })).toBe(false);
  expect(sameJson(null, {})).toBe(false);
  expect(sameJson('1', 1)).toBe(false);
});
