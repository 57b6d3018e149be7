// Its own file: the start data is read once per page (window state).
import { afterEach, expect, test } from 'vitest';
import { screen } from '@testing-library/svelte';
import { faqLicense, settingsEn, view } from './fixtures';
import { mountApp } from './harness';

afterEach(() => {
  delete (window as { __FE2_START__?: unknown }).__FE2_START__;
});

test('the first cards come from the start data before any command answers', async () => {
  (window as { __FE2_START__?: unknown }).__FE2_START__ = {
    views: [view(faqLicense())],
    settings: settingsEn,
    info: { version: '0.1.0', demo: true, data_home: '/tmp/fe2' },
  };
  const never = () => new Promise(() => {});
  const { calls } = mountApp({ handlers: { list_licenses: never, get_settings: never, app_info: never } });
  const cards = await screen.findAllByTestId('license-card');
  expect(cards).toHaveLength(1);
  // In the start data's language and with its demo mark, while the commands are still asked.
  expect(screen.getByTestId('refresh-button').textContent).toContain('Refresh');
  expect(screen.getByTestId('demo-mark')).toBeTruthy();
  expect(calls.map((c) => c.cmd)).toEqual(expect.arrayContaining(['list_licenses', 'get_settings', 'app_info']));
});

test('start data of another shape is ignored and the commands decide', async () => {
  (window as { __FE2_START__?: unknown }).__FE2_START__ = { views: 'nope' };
  mountApp({ views: [view(faqLicense()), view(faqLicense({ email: 'b@ff.de' }))] });
  expect(await screen.findAllByTestId('license-card')).toHaveLength(2);
});
