import { describe, expect, test } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { faqLicense, settingsEn, view } from './fixtures';
import { ipcError, mountApp } from './harness';
import type { BudgetReport } from '../src/lib/bindings';

const EMAIL = 'leitstelle@ff-musterstadt.de';

/** A year as the core computes it: the FAQ license renewing with 30 persons, a switch order,
 * and a trial that does not renew (its data not verified). */
function report(year: number): BudgetReport {
  return {
    year,
    net: '1010.00',
    vat: '191.90',
    gross: '1201.90',
    ordered_gross: '71.59',
    charged_gross: '0.00',
    complete: true,
    all_verified: false,
    accounts: [
      {
        email: EMAIL,
        verification: 'verified',
        as_of: '2026-07-02T12:00:00Z',
        orders_known: true,
        budget: {
          email: EMAIL,
          holder: 'FF Musterstadt',
          license_id: 4711,
          package: 'FE2 Basispaket',
          renewals: [
            {
              date: `${year}-01-01T00:00:00Z`,
              price_list: '2023-04-17',
              lines: [
                { sku: 'fe2-basis', name: 'FE2 Basispaket', quantity: 1, unit_price: '650.00', net: '650.00' },
                { sku: 'fe2-persons', name: 'Zusätzliche Personen', quantity: 30, unit_price: '12.00', net: '360.00' },
              ],
              changes_applied: [],
              net: '1010.00',
              vat: '191.90',
              gross: '1201.90',
            },
          ],
          not_counted: null,
          ordered: [
            { order_id: 10042, type: 'switch_order', date: `${year}-07-02T12:00:00Z`, status: 'pending', gross: '71.59' },
          ],
          charged: [],
          net: '1010.00',
          vat: '191.90',
          gross: '1201.90',
          ordered_gross: '71.59',
          charged_gross: '0.00',
        },
      },
      {
        email: 'test@ff-neustadt.de',
        verification: 'not_verified',
        as_of: null,
        orders_known: false,
        budget: {
          email: 'test@ff-neustadt.de',
          holder: 'FF Neustadt',
          license_id: 4712,
          package: 'FE2 Basispaket',
          renewals: [],
          not_counted: { reason: 'trial', ends: `${year}-03-01T00:00:00Z` },
          ordered: [],
          charged: [],
          net: '0.00',
          vat: '0.00',
          gross: '0.00',
          ordered_gross: '0.00',
          charged_gross: '0.00',
        },
      },
    ],
  };
}

describe('budget', () => {
  test('shows both years with lines, totals, the order and the reasons, marked where not verified', async () => {
    const { calls } = mountApp({
      views: [view(faqLicense())],
      hash: '#/budget',
      handlers: { budget: () => [report(2026), report(2027)] },
    });
    const tables = await screen.findAllByTestId('budget-table');
    expect(tables.map((t) => t.dataset.year)).toEqual(['2026', '2027']);
    expect(calls.find((c) => c.cmd === 'budget')?.args).toEqual({ year: null });
    const lines = screen.getAllByTestId('budget-line');
    expect(lines[1].textContent).toContain('Zusätzliche Personen');
    expect(lines[1].textContent).toContain('12,00 €');
    expect(lines[1].textContent).toContain('360,00 €');
    expect(screen.getAllByTestId('budget-renewal-gross')[0].textContent).toBe('1.201,90 €');
    expect(screen.getAllByTestId('budget-total-gross')[0].textContent).toBe('1.201,90 €');
    expect(screen.getAllByTestId('budget-ordered')[0].textContent).toContain('Bestellung 10042');
    expect(screen.getAllByTestId('budget-ordered-total')[0].textContent).toContain('71,59 €');
    const reason = screen.getAllByTestId('budget-not-counted')[0];
    expect(reason.dataset.reason).toBe('trial');
    expect(reason.textContent).toContain('Testlizenz, endet am 01.03.2026');
    const accounts = screen.getAllByTestId('budget-account');
    expect(accounts[1].dataset.verification).toBe('not_verified');
    expect(accounts[1].querySelector('[data-testid="budget-unverified"]')?.textContent).toContain('nicht verifiziert');
    expect(accounts[0].querySelector('[data-testid="budget-unverified"]')).toBeNull();
    expect(screen.getAllByTestId('budget-orders-unknown')).toHaveLength(2);
    expect(screen.getAllByTestId('budget-not-all-verified')).toHaveLength(2);
  });

  test('renewals and purchases invoiced in the year are listed and summed as already charged', async () => {
    // Renewed (and paid) on 1 January: no renewal of the year left, one charged.
    const renewed = report(2026);
    const budget = renewed.accounts[0].budget!;
    budget.renewals = [];
    budget.net = budget.vat = budget.gross = '0.00';
    budget.charged = [
      { order_id: 10050, type: 'renewal_order', date: '2026-01-01T00:00:00Z', status: 'completed', gross: '1059.10' },
      { order_id: 10001, type: 'parent_order', date: '2026-02-01T00:00:00Z', status: 'pending', gross: '100.00' },
    ];
    budget.charged_gross = '1159.10';
    renewed.net = renewed.vat = renewed.gross = '0.00';
    renewed.charged_gross = '1159.10';
    mountApp({ views: [view(faqLicense())], hash: '#/budget', handlers: { budget: [renewed] } });
    const charged = await screen.findAllByTestId('budget-charged');
    expect(charged.map((row) => row.dataset.orderId)).toEqual(['10050', '10001']);
    expect(charged[0].textContent).toContain('Bereits berechnet: Verlängerung, Bestellung 10050 (abgeschlossen)');
    expect(charged[0].textContent).toContain('01.01.2026');
    expect(charged[0].textContent).toContain('1.059,10 €');
    expect(charged[1].textContent).toContain('Erstbestellung, Bestellung 10001 (Zahlung offen)');
    expect(screen.getByTestId('budget-charged-total').textContent).toContain('Bereits berechnet 2026 (brutto)');
    expect(screen.getByTestId('budget-charged-total').textContent).toContain('1.159,10 €');
    expect(screen.getByTestId('budget-total-gross').textContent).toBe('0,00 €');
  });

  test('a fixed term says when it ends', async () => {
    const ended = report(2027);
    ended.accounts[1].budget!.not_counted = { reason: 'fixed_term', ends: '2027-01-01T00:00:00Z' };
    mountApp({ views: [view(faqLicense())], hash: '#/budget', handlers: { budget: [ended] } });
    const reason = (await screen.findAllByTestId('budget-not-counted'))[0];
    expect(reason.dataset.reason).toBe('fixed_term');
    expect(reason.textContent).toContain('Befristet bis 01.01.2027: danach keine Verlängerung.');
  });

  test('one year on request; a refused year is explained', async () => {
    const { calls } = mountApp({
      views: [view(faqLicense())],
      hash: '#/budget',
      handlers: {
        budget: (args: Record<string, unknown>) => {
          if (args.year === 1999) return ipcError('bad_request', {}, 'the budget year 1999 is outside 2000–2100')();
          return args.year === null ? [report(2026), report(2027)] : [report(args.year as number)];
        },
      },
    });
    await screen.findAllByTestId('budget-table');
    const input = screen.getByTestId('budget-year') as HTMLInputElement;
    await fireEvent.input(input, { target: { value: '2028' } });
    await fireEvent.click(screen.getByTestId('budget-show'));
    await waitFor(() =>
      expect(screen.getAllByTestId('budget-table').map((t) => t.dataset.year)).toEqual(['2028']),
    );
    expect(calls.filter((c) => c.cmd === 'budget').map((c) => c.args.year)).toEqual([null, 2028]);
    await fireEvent.input(input, { target: { value: '1999' } });
    await fireEvent.click(screen.getByTestId('budget-show'));
    expect(await screen.findByRole('alert')).toBeTruthy();
  });

  test('speaks English', async () => {
    mountApp({
      views: [view(faqLicense())],
      settings: settingsEn,
      hash: '#/budget',
      handlers: { budget: () => [report(2026)] },
    });
    await waitFor(() =>
      expect(screen.getByTestId('budget-year-heading').textContent).toBe('Budget year 2026'),
    );
    expect(screen.getByTestId('budget-total-gross').textContent).toBe('€1,201.90');
    expect(screen.getByTestId('budget-charged-total').textContent).toContain('Already charged 2026 (gross)');
  });

  test('signed but outdated data is marked as outdated, not as unverified', async () => {
    const outdated = report(2026);
    outdated.accounts[0].verification = 'outdated';
    mountApp({ hash: '#/budget', handlers: { budget: [outdated] } });
    const accounts = await screen.findAllByTestId('budget-account');
    const mark = accounts[0].querySelector('[data-testid="budget-unverified"]');
    expect(mark?.textContent).toContain('signiert, aber veraltet');
    expect(mark?.classList.contains('verified-outdated')).toBe(true);
  });
});
