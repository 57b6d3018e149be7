import { describe, expect, test, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/svelte';
import { emit } from '@tauri-apps/api/event';
import { faqLicense, settingsEn, view } from './fixtures';
import { mountApp } from './harness';

const trial = faqLicense({
  id: 5001,
  email: 'probe@ff-beispiel.de',
  name: 'FF Beispiel',
  kind: 'trial',
  status: 'active',
  next_payment_date: null,
  trial_end_date: '2025-07-12T12:00:00Z',
  switch: { allowed: false, reason: 'trial_license' },
});
const onHold = faqLicense({
  id: 4800,
  email: 'kasse@gemeinde-nord.de',
  name: 'Gemeinde Nord',
  status: 'on-hold',
  switch: { allowed: false, reason: 'subscription_not_active' },
});
const big = faqLicense({ id: 4900, email: 'it@kreis.de', name: 'Kreis IT' });

// The backend's order (most urgent first), deliberately not alphabetical.
const views = [
  view(onHold, { email: onHold.email, days_left: -3, urgency: 'expired', usable: false }),
  view(trial, { email: trial.email, days_left: 10, urgency: 'critical', expires_at: trial.trial_end_date }),
  view(big, { email: big.email, days_left: 183, urgency: 'ok' }),
];

describe('dashboard', () => {
  test('renders every license in German in the order the backend gives', async () => {
    mountApp({ views });
    const cards = await screen.findAllByTestId('license-card');
    expect(cards.map((c) => c.dataset.email)).toEqual([onHold.email, trial.email, big.email]);

    const ok = within(cards[2]);
    expect(ok.getByText('Kreis IT')).toBeTruthy();
    expect(ok.getByTestId('license-status').dataset.status).toBe('active');
    expect(ok.getByTestId('license-status').textContent).toBe('Aktiv');
    const days = ok.getByTestId('days-left');
    expect(days.dataset.days).toBe('183');
    expect(days.textContent).toBe('183 Tage');
    expect(days.classList.contains('urgency-ok')).toBe(true);
    expect(cards[2].textContent).toContain('Nächste Verlängerung: 01.01.2026');
    expect(ok.getByTestId('as-of').textContent).toBe('Stand 02.07.2025, 14:00');
    expect(ok.getByTestId('verified').dataset.verified).toBe('true');

    const expired = within(cards[0]);
    expect(expired.getByTestId('days-left').dataset.days).toBe('-3');
    expect(expired.getByTestId('days-left').classList.contains('urgency-expired')).toBe(true);
    expect(expired.getByTestId('license-status').textContent).toContain('Zahlung offen');
    expect(cards[1].textContent).toContain('Testphase endet am: 12.07.2025');
    expect(within(cards[1]).getByTestId('days-left').classList.contains('urgency-critical')).toBe(true);
  });

  test('renders in English when the settings say so', async () => {
    mountApp({ views, settings: settingsEn });
    const cards = await screen.findAllByTestId('license-card');
    await waitFor(() => expect(within(cards[2]).getByTestId('days-left').textContent).toBe('183 days'));
    expect(within(cards[2]).getByTestId('license-status').textContent).toBe('Active');
    expect(cards[2].textContent).toContain('Next renewal: 1 Jan 2026');
    expect(within(cards[2]).getByTestId('as-of').textContent).toBe('As of 2 Jul 2025, 14:00');
    expect(screen.getByTestId('refresh-button').textContent).toContain('Refresh');
  });

  test('an unknown status is shown as unknown with the shop text kept in data-status', async () => {
    const odd = faqLicense({ status: 'paused-by-admin' });
    mountApp({ views: [view(odd)] });
    const status = await screen.findByTestId('license-status');
    expect(status.dataset.status).toBe('paused-by-admin');
    expect(status.textContent).toBe('unbekannt');
  });

  test('tampered data is marked as not verified, outdated as outdated', async () => {
    const a = faqLicense({ email: 'a@x.de' });
    const b = faqLicense({ email: 'b@x.de' });
    mountApp({
      views: [
        view(a, { email: a.email, verification: 'not_verified', verification_error: { code: 'bad_signature', class: 'trust', message: 'x', details: {} } }),
        view(b, { email: b.email, verification: 'outdated' }),
      ],
    });
    const marks = await screen.findAllByTestId('verified');
    expect(marks.map((m) => m.dataset.verified)).toEqual(['false', 'outdated']);
    expect(marks[0].textContent).toContain('nicht verifiziert');
    expect(marks[1].textContent).toContain('veraltet');
    expect(screen.getAllByTestId('license-card')[0].classList.contains('untrusted')).toBe(true);
  });

  test('the offline banner names the time since when the shop is unreachable', async () => {
    mountApp({
      views: [
        view(big, { email: big.email, offline: true, offline_since: '2025-07-02T10:15:00Z' }),
        view(trial, { email: trial.email }),
      ],
    });
    const banner = await screen.findByTestId('offline-banner');
    expect(banner.textContent).toContain('Shop nicht erreichbar seit 02.07.2025, 12:15');
    expect(screen.getAllByTestId('license-card')).toHaveLength(2);
  });

  test('no banner while every shop answers; demo mark only in demo mode', async () => {
    mountApp({ views, info: { demo: true } });
    await screen.findAllByTestId('license-card');
    expect(screen.queryByTestId('offline-banner')).toBeNull();
    await screen.findByTestId('demo-mark');
  });

  test('a refresh refused by the shop is said on the card, the cached data stays', async () => {
    mountApp({
      views: [view(big, { email: big.email, last_error: { code: 'invalid_credentials', class: 'refusal', message: '401', details: {} } })],
    });
    const note = await screen.findByTestId('card-error');
    expect(note.dataset.code).toBe('invalid_credentials');
    expect(note.textContent).toContain('Anwendungspasswort ist falsch');
    expect(screen.getByTestId('days-left').dataset.days).toBe('183');
  });

  test('empty state explains how to add an account', async () => {
    mountApp({ views: [] });
    const empty = await screen.findByTestId('empty-state');
    expect(empty.textContent).toContain('Anwendungspasswörter');
    expect(screen.queryByTestId('demo-mark')).toBeNull();
  });

  test('licenses-updated replaces the list; refresh-state shows progress', async () => {
    mountApp({ views: [views[2]] });
    await screen.findByTestId('license-card');
    await emit('licenses-updated', views);
    await waitFor(() => expect(screen.getAllByTestId('license-card')).toHaveLength(3));
    const button = screen.getByTestId('refresh-button');
    await emit('refresh-state', { running: true });
    await waitFor(() => expect(button.getAttribute('aria-busy')).toBe('true'));
    expect(button.textContent).toContain('Wird aktualisiert');
    await emit('refresh-state', { running: false });
    await waitFor(() => expect(button.getAttribute('aria-busy')).toBe('false'));
  });

  test('F5 and the button refresh, one request at a time', async () => {
    let release: (v: unknown) => void = () => {};
    const { count } = mountApp({
      views,
      handlers: { refresh_all: () => new Promise((r) => (release = r)) },
    });
    await screen.findAllByTestId('license-card');
    await fireEvent.keyDown(window, { key: 'F5' });
    await fireEvent.click(screen.getByTestId('refresh-button'));
    expect(count('refresh_all')).toBe(1);
    release([views[0]]);
    await waitFor(() => expect(screen.getAllByTestId('license-card')).toHaveLength(1));
  });

  test('a card opens the detail; Esc returns to the dashboard', async () => {
    mountApp({ views, handlers: { license_details: { orders: [], tickets: [] } } });
    const cards = await screen.findAllByTestId('license-card');
    expect(cards[2].getAttribute('href')).toBe('#/license/it@kreis.de');
    location.hash = cards[2].getAttribute('href') ?? '';
    await screen.findByRole('heading', { level: 1, name: 'Kreis IT' });
    await fireEvent.keyDown(window, { key: 'Escape' });
    await screen.findByRole('heading', { level: 1, name: 'Ihre FE2-Lizenzen' });
    expect(location.hash).toBe('#/');
  });

  test('a card is a real link (so Enter opens it); Alt+Left goes back', async () => {
    mountApp({ views, handlers: { license_details: { orders: [], tickets: [] } } });
    const cards = await screen.findAllByTestId('license-card');
    expect(cards[0].tagName).toBe('A');
    location.hash = '#/license/it@kreis.de';
    await screen.findByRole('heading', { level: 1, name: 'Kreis IT' });
    const back = vi.spyOn(history, 'back');
    await fireEvent.keyDown(window, { key: 'ArrowLeft', altKey: true });
    expect(back).toHaveBeenCalledTimes(1);
    back.mockRestore();
  });
});
