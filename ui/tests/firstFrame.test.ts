// Its own file: the dashboard shows the first frame's cards once per page (module state).
import { expect, test } from 'vitest';
import { screen, waitFor } from '@testing-library/svelte';
import { faqLicense, settingsDe, view } from './fixtures';
import { mountApp, NO_POLICY } from './harness';
import { cardsThatFit } from '../src/views/Dashboard.svelte';

test('cards that fit the window: whole columns times the rows below the heading, at least one', () => {
  expect(cardsThatFit(1100, 760)).toBe(3 * 3);
  expect(cardsThatFit(1024, 768)).toBe(3 * 4);
  expect(cardsThatFit(1920, 1080)).toBe(3 * 5); // main is at most 72rem wide
  expect(cardsThatFit(700, 760)).toBe(2 * 3);
  expect(cardsThatFit(300, 100)).toBe(1);
});

test('the first frame holds the cards that fit the window, the rest follow a row per task', async () => {
  const many = Array.from({ length: 40 }, (_, i) => {
    const license = faqLicense({ id: 6000 + i, email: `wehr${i}@kreis.de`, name: `Wehr ${i}` });
    return view(license, { email: license.email, days_left: 100 + i, urgency: 'ok' });
  });
  (window as { __FE2_START__?: unknown }).__FE2_START__ = {
    views: many,
    settings: settingsDe,
    info: { version: '0.1.0', demo: false, data_home: '/tmp/fe2', policy: NO_POLICY },
  };
  const never = () => new Promise(() => {});
  mountApp({ handlers: { list_licenses: never, get_settings: never, app_info: never } });
  const first = cardsThatFit(window.innerWidth, window.innerHeight);
  expect(first).toBeLessThan(many.length);
  expect(screen.getAllByTestId('license-card')).toHaveLength(first);
  // Each task adds one row (whole columns), never everything at once.
  const counts = [first];
  await waitFor(() => {
    const now = screen.getAllByTestId('license-card').length;
    if (now !== counts.at(-1)) counts.push(now);
    expect(now).toBe(many.length);
  });
  expect(counts.length).toBeGreaterThan(2);
  const row = cardsThatFit(window.innerWidth, 0); // one row's worth
  counts.slice(1, -1).forEach((n, i) => expect(n - counts[i]).toBe(row));
  expect(screen.getAllByTestId('license-card').map((c) => c.dataset.email)).toEqual(many.map((v) => v.email));
});
