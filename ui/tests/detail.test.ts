import { describe, expect, test } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { faqLicense, view } from './fixtures';
import { mountApp } from './harness';
import type { License } from '../src/lib/bindings';

const EMAIL = 'leitstelle@ff-musterstadt.de';
const details = {
  orders: [
    { id: 1001, type: 'parent_order', status: 'completed', total: '1059.10', date_created: '2024-01-01T00:00:00Z', date_paid: '2024-01-02T09:00:00Z' },
    { id: 1002, type: 'switch_order', status: 'pending', total: '71.59', date_created: '2025-07-02T12:00:00Z', date_paid: null },
  ],
  tickets: [{ number: '123456', topic: 'general', subject: 'Frage', status: 'open', created: '2025-07-01T08:00:00Z' }],
  order_notes: [{ order_id: 1002, net: '60.16', reference: '04011000-1234512345-06' }],
};

function open(license: License, handlers: Record<string, unknown> = {}) {
  return mountApp({
    views: [view(license)],
    hash: `#/license/${EMAIL}`,
    handlers: { license_details: details, open_link: null, ...handlers },
  });
}

describe('license detail', () => {
  test('shows items, scheduled changes, orders and tickets', async () => {
    open(faqLicense({
      features: ['navlog'],
      scheduled_changes: [{ id: 'sc_1', sku: 'fe2-persons', quantity: 10, effective_date: '2026-01-01T00:00:00Z' }],
    }));
    const qty = await screen.findAllByTestId('item-qty');
    expect(qty.map((q) => [q.dataset.sku, q.textContent])).toEqual([['fe2-basis', '1'], ['fe2-persons', '20']]);
    expect(screen.getByText('12,00 €')).toBeTruthy();
    expect(screen.getByTestId('feature-navlog').textContent).toContain('NavLog: freigeschaltet');
    const sc = screen.getByTestId('scheduled-change');
    expect(sc.dataset.sku).toBe('fe2-persons');
    expect(sc.textContent).toContain('Zusätzliche Personen: 10 ab 01.01.2026');
    // Newest first.
    const orders = await screen.findAllByTestId('order');
    expect(orders.map((o) => o.dataset.orderId)).toEqual(['1002', '1001']);
    expect(orders[1].textContent).toContain('bezahlt am 02.01.2024');
    expect(orders[1].textContent).toContain('1.059,10 €');
    expect(orders[0].textContent).toContain('Zahlung offen');
    // Type, and from this computer's audit log the net amount and the reference given.
    expect(orders[0].textContent).toContain('Änderung');
    expect(orders[1].textContent).toContain('Erstbestellung');
    expect(screen.getAllByTestId('order-net').map((c) => c.textContent)).toEqual(['60,16 €', '']);
    expect(screen.getAllByTestId('order-reference').map((c) => c.textContent)).toEqual(['04011000-1234512345-06', '']);
    expect(screen.getByTestId('print-orders')).toBeTruthy();
    expect(screen.getByTestId('ticket').textContent).toContain('Ticket 123456');
    expect(screen.getByTestId('change-quantities').getAttribute('href')).toBe(`#/license/${EMAIL}/change`);
    expect(screen.getByTestId('fingerprint').textContent).toBe('ab12 cd34 ef56 7890');
  });

  test('a changed shop key is explained as not verified', async () => {
    mountApp({
      views: [view(faqLicense(), { verification: 'not_verified', verification_error: { code: 'key_changed', class: 'trust', message: 'x', details: {} } })],
      hash: `#/license/${EMAIL}`,
      handlers: { license_details: details },
    });
    expect((await screen.findByTestId('verified')).dataset.verified).toBe('false');
    const why = screen.getByTestId('verification-error');
    expect(why.dataset.code).toBe('key_changed');
    expect(why.textContent).toContain('Konto neu hinzufügen');
  });

  test('an order link opens the order through open_link', async () => {
    const { calls } = open(faqLicense());
    const orders = await screen.findAllByTestId('order');
    await fireEvent.click(orders[0].querySelector('button') as HTMLButtonElement);
    expect(calls.find((c) => c.cmd === 'open_link')?.args).toEqual({ email: EMAIL, target: 'order', id: 1002 });
  });

  test('cancelling a scheduled change calls the backend with its id', async () => {
    const withChange = faqLicense({
      scheduled_changes: [{ id: 'sc_1', sku: 'fe2-persons', quantity: 10, effective_date: '2026-01-01T00:00:00Z' }],
    });
    const { calls } = open(withChange, { cancel_scheduled_change: view(faqLicense()) });
    await fireEvent.click(await screen.findByTestId('cancel-scheduled-change'));
    await waitFor(() => expect(screen.queryByTestId('scheduled-change')).toBeNull());
    expect(calls.find((c) => c.cmd === 'cancel_scheduled_change')?.args).toEqual({ email: EMAIL, id: 'sc_1' });
  });

  test('trial: banner with days left, explanation and a buy button', async () => {
    const { calls } = open(faqLicense({ kind: 'trial', next_payment_date: null, trial_end_date: '2025-07-12T12:00:00Z', switch: { allowed: false, reason: 'trial_license' } }));
    const banner = await screen.findByTestId('trial-banner');
    expect(banner.textContent).toContain('Testlizenz: noch 183 Tage.');
    expect(banner.textContent).toContain('derselben E-Mail-Adresse');
    expect(screen.getByTestId('eligibility-reason').dataset.code).toBe('trial_license');
    expect(screen.queryByTestId('change-quantities')).toBeNull();
    await fireEvent.click(banner.querySelector('button') as HTMLButtonElement);
    expect(calls.find((c) => c.cmd === 'open_link')?.args).toEqual({ email: EMAIL, target: 'buy' });
  });

  test('on-hold: names the status and links to paying the invoice', async () => {
    const { calls } = open(faqLicense({ status: 'on-hold', switch: { allowed: false, reason: 'subscription_not_active' } }));
    const reason = await screen.findByTestId('eligibility-reason');
    expect(reason.dataset.code).toBe('subscription_not_active');
    expect(reason.textContent).toContain('Aktueller Status: Angehalten – Zahlung offen');
    await fireEvent.click(reason.querySelector('button') as HTMLButtonElement);
    expect(calls.find((c) => c.cmd === 'open_link')?.args).toEqual({ email: EMAIL, target: 'subscription' });
  });

  test('a due renewal says why changes wait and links to paying it', async () => {
    const { calls } = open(
      faqLicense({ next_payment_date: '2025-07-01T00:00:00Z', switch: { allowed: false, reason: 'renewal_due' } }),
    );
    const reason = await screen.findByTestId('eligibility-reason');
    expect(reason.dataset.code).toBe('renewal_due');
    expect(reason.textContent).toContain('Die Verlängerung vom 01.07.2025 ist fällig');
    await fireEvent.click(reason.querySelector('button') as HTMLButtonElement);
    expect(calls.find((c) => c.cmd === 'open_link')?.args).toEqual({ email: EMAIL, target: 'subscription' });
  });

  test('no paid order is explained', async () => {
    open(faqLicense({ has_paid_order: false, switch: { allowed: false, reason: 'no_paid_order' } }));
    const reason = await screen.findByTestId('eligibility-reason');
    expect(reason.dataset.code).toBe('no_paid_order');
    expect(reason.textContent).toContain('noch keine Bestellung bezahlt');
  });

  test('legacy package leads to a prepared package change request', async () => {
    open(faqLicense({ package: { code: 'paket-3', name: 'FE2 Paket 3', legacy: true }, switch: { allowed: false, reason: 'legacy_package' } }));
    const reason = await screen.findByTestId('eligibility-reason');
    expect(reason.dataset.code).toBe('legacy_package');
    expect(reason.textContent).toContain('FE2 Paket 3');
    expect(reason.querySelector('a')?.getAttribute('href')).toBe(`#/license/${EMAIL}/request/package_change`);
  });

  test('remove account asks first, then removes and returns to the dashboard', async () => {
    const { count } = open(faqLicense(), { remove_account: null });
    await fireEvent.click(await screen.findByTestId('remove-account'));
    expect(count('remove_account')).toBe(0);
    await fireEvent.click(screen.getByTestId('confirm-remove'));
    await waitFor(() => expect(location.hash).toBe('#/'));
    expect(count('remove_account')).toBe(1);
    await screen.findByTestId('empty-state');
  });
});

test('one license can be refreshed on its own; a failure is said in words', async () => {
  let attempt = 0;
  const { calls } = mountApp({
    views: [view(faqLicense())],
    hash: `#/license/${EMAIL}`,
    handlers: {
      license_details: details,
      refresh: () => {
        attempt += 1;
        if (attempt === 1) throw { code: 'unreachable', message: 'dns', details: {} };
        return view(faqLicense({ items: [faqLicense().items[0], { ...faqLicense().items[1], quantity: 25 }] }));
      },
    },
  });
  await fireEvent.click(await screen.findByTestId('refresh-one'));
  expect((await screen.findByTestId('error-message')).dataset.code).toBe('unreachable');
  await fireEvent.click(screen.getByTestId('refresh-one'));
  await waitFor(() => expect(screen.getAllByTestId('item-qty')[1].textContent).toBe('25'));
  expect(calls.filter((c) => c.cmd === 'refresh').map((c) => c.args)).toEqual([{ email: EMAIL }, { email: EMAIL }]);
});

describe('default order reference', () => {
  test('the default order reference is saved through the core, and its refusal is explained', async () => {
    const saved = view(faqLicense(), { default_reference: '04011000-1234512345-06' });
    let answer: unknown = () => {
      throw { code: 'invalid_reference', message: 'x', details: { problem: 'leitweg_check_digits', expected: '06' } };
    };
    const { calls } = open(faqLicense(), { set_default_reference: () => (typeof answer === 'function' ? (answer as () => unknown)() : answer) });
    const input = (await screen.findByTestId('default-reference')) as HTMLInputElement;
    expect(input.value).toBe('');
    await fireEvent.input(input, { target: { value: ' 04011000-1234512345-07 ' } });
    await fireEvent.click(screen.getByTestId('default-reference-save'));
    expect(await screen.findByText(/zu den übrigen Stellen gehört 06/)).toBeTruthy();
    expect(calls.find((c) => c.cmd === 'set_default_reference')?.args).toEqual({ email: EMAIL, reference: '04011000-1234512345-07' });
    answer = saved;
    await fireEvent.input(input, { target: { value: '04011000-1234512345-06' } });
    await fireEvent.click(screen.getByTestId('default-reference-save'));
    expect(await screen.findByText('Die Standard-Bestellreferenz wurde gespeichert.')).toBeTruthy();
    // Emptied: cleared with null, not an empty string.
    answer = view(faqLicense());
    await fireEvent.input(input, { target: { value: '   ' } });
    await fireEvent.click(screen.getByTestId('default-reference-save'));
    expect(await screen.findByText('Die Standard-Bestellreferenz wurde entfernt.')).toBeTruthy();
    const sent = calls.filter((c) => c.cmd === 'set_default_reference').map((c) => c.args.reference);
    expect(sent).toEqual(['04011000-1234512345-07', '04011000-1234512345-06', null]);
  });
});

test('read-only by policy: no action that changes something, and the reason said', async () => {
  mountApp({
    views: [view(faqLicense({
      scheduled_changes: [{ id: 'sc_1', sku: 'fe2-persons', quantity: 10, effective_date: '2026-01-01T00:00:00Z' }],
    }))],
    hash: `#/license/${EMAIL}`,
    handlers: { license_details: details, open_link: null },
    info: {
      policy: { locked: {}, read_only: true, read_only_origin: 'HKLM', allowed_shop_hosts: [], problems: [] },
    },
  });
  await screen.findAllByTestId('item-qty');
  expect(screen.getByTestId('read-only-banner').textContent).toContain('Nur lesen: vom Administrator festgelegt');
  expect(screen.getByTestId('read-only-notice')).toBeTruthy();
  for (const id of ['change-quantities', 'request-navlog', 'cancel-scheduled-change', 'default-reference-form', 'remove-account', 'add-account']) {
    expect(screen.queryByTestId(id), id).toBeNull();
  }
  // What is only shown stays: the scheduled change and the orders.
  expect(screen.getByTestId('scheduled-change')).toBeTruthy();
  expect(await screen.findAllByTestId('order')).toHaveLength(2);
});
