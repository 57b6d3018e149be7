import { describe, expect, test, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { catalog, downgradeQuote, faqLicense, faqQuote, settingsEn, view } from './fixtures';
import { ipcError, mountApp, type Setup } from './harness';
import type { Quote } from '../src/lib/bindings';

const EMAIL = 'leitstelle@ff-musterstadt.de';
const order = { id: 2001, type: 'switch_order', status: 'pending', total: '71.59', date_created: '2025-07-02T12:00:00Z', date_paid: null };
const upgraded = faqLicense({ items: [faqLicense().items[0], { ...faqLicense().items[1], quantity: 30 }] });

function openForm(handlers: Setup['handlers'] = {}, over: Partial<Setup> = {}) {
  return mountApp({
    views: [view(faqLicense())],
    hash: `#/license/${EMAIL}/change`,
    handlers: {
      get_catalog: catalog,
      estimate: faqQuote,
      preview: { quote: faqQuote, idempotency_key: 'key-1' },
      switch_quantities: { order, license: upgraded, quote: faqQuote },
      open_link: null,
      ...handlers,
    },
    ...over,
  });
}

async function persons(value: string) {
  const inputs = await screen.findAllByTestId('qty-input');
  const input = inputs.find((i) => i.dataset.sku === 'fe2-persons') as HTMLInputElement;
  await fireEvent.input(input, { target: { value } });
  return input;
}

async function previewFaq() {
  await persons('30');
  await fireEvent.click(screen.getByTestId('preview-button'));
  return screen.findByTestId('quote-gross');
}

describe('change quantities: validation', () => {
  test('only switchable products get an input, with the current total beside it', async () => {
    openForm();
    const inputs = (await screen.findAllByTestId('qty-input')) as HTMLInputElement[];
    expect(inputs.map((i) => [i.dataset.sku, i.value])).toEqual([['fe2-persons', '20'], ['fe2-amweb', '0'], ['fe2-amobile-pro', '0']]);
    expect(screen.getByText(/bisher: 20/)).toBeTruthy();
    expect(screen.getByLabelText('Zusätzliche Personen')).toBe(inputs[0]);
  });

  test.each([
    ['de', '3,5', 'Zusätzliche Personen: Bitte eine ganze Zahl eingeben.'],
    ['de', '-1', 'Zusätzliche Personen: Bitte eine ganze Zahl eingeben.'],
    ['de', '501', 'Zusätzliche Personen: Erlaubt sind 0 bis 500.'],
    ['en', '3.5', 'Additional persons: please enter a whole number.'],
    ['en', '501', 'Additional persons: allowed are 0 to 500.'],
  ])('%s: %s is refused in words before anything is sent', async (lang, value, text) => {
    const { count } = openForm({}, lang === 'en' ? { settings: settingsEn } : {});
    await persons(value);
    await waitFor(() => expect(screen.getByTestId('validation-error').textContent).toBe(text));
    await fireEvent.click(screen.getByTestId('preview-button'));
    expect(count('preview')).toBe(0);
    expect(count('estimate')).toBe(0);
  });

  test.each([
    ['de', 'Sie haben nichts geändert.'],
    ['en', 'You have not changed anything.'],
  ])('%s: unchanged totals are refused', async (lang, text) => {
    const { count } = openForm({}, lang === 'en' ? { settings: settingsEn } : {});
    await persons('20');
    await fireEvent.click(screen.getByTestId('preview-button'));
    expect(screen.getByTestId('validation-error').textContent).toBe(text);
    expect(count('preview')).toBe(0);
  });

  test('a local estimate follows the typing and is marked as an estimate', async () => {
    const { calls } = openForm();
    await persons('30');
    const estimate = await screen.findByTestId('local-estimate', {}, { timeout: 2000 });
    expect(estimate.textContent).toContain('Schätzung');
    expect(estimate.textContent).toContain('71,59 €');
    expect(calls.find((c) => c.cmd === 'estimate')?.args).toEqual({ email: EMAIL, items: [{ sku: 'fe2-persons', quantity: 30 }] });
  });
});

describe('change quantities: preview and confirm', () => {
  test('the FAQ preview in German', async () => {
    const { calls } = openForm();
    expect((await previewFaq()).textContent).toBe('71,59 €');
    expect(screen.getByTestId('quote-net').textContent).toBe('60,16 €');
    expect(screen.getByTestId('quote-vat').textContent).toBe('11,43 €');
    expect(screen.getByText('MwSt. (19 %)')).toBeTruthy();
    expect(screen.getByTestId('quote-days').textContent).toBe('Verbleibende Tage der Laufzeit: 183 von 365');
    expect(screen.getByTestId('quote-line').textContent).toContain('Zusätzliche Personen: 20 → 30, Einrichtungsgebühr 60,16 €');
    expect(screen.getByTestId('next-renewal').textContent).toContain('01.01.2026: 1.201,90 € brutto (1.010,00 € netto)');
    expect(screen.getByText('Die Laufzeit Ihrer Lizenzen ändert sich nicht.')).toBeTruthy();
    expect(screen.queryByTestId('old-price-list')).toBeNull();
    expect(calls.find((c) => c.cmd === 'preview')?.args).toEqual({ email: EMAIL, items: [{ sku: 'fe2-persons', quantity: 30 }] });
  });

  test('the FAQ preview in English', async () => {
    openForm({}, { settings: settingsEn });
    await waitFor(() => expect(screen.getByTestId('preview-button').textContent).toContain('preview'));
    expect((await previewFaq()).textContent).toBe('€71.59');
    expect(screen.getByTestId('quote-net').textContent).toBe('€60.16');
    expect(screen.getByTestId('quote-vat').textContent).toBe('€11.43');
    expect(screen.getByTestId('next-renewal').textContent).toContain('1 Jan 2026: €1,201.90 gross');
  });

  test('"Vorschau drucken" opens the system print dialog', async () => {
    const print = vi.spyOn(window, 'print').mockImplementation(() => {});
    openForm();
    await previewFaq();
    await fireEvent.click(screen.getByTestId('print-preview'));
    expect(print).toHaveBeenCalledTimes(1);
    print.mockRestore();
  });

  test('an older price list of the current term is noted', async () => {
    openForm({}, { views: [view(faqLicense({ price_list: '2023-01-13' }))] });
    await previewFaq();
    expect(screen.getByTestId('old-price-list').textContent).toContain('(13.01.2023)');
    expect(screen.getByTestId('old-price-list').textContent).toContain('ab 17.04.2023');
  });

  test('confirm needs the tick; a double click sends exactly one switch with the preview key', async () => {
    let release: (v: unknown) => void = () => {};
    const { calls } = openForm({
      switch_quantities: () => new Promise((r) => (release = r)),
    });
    await previewFaq();
    const confirm = screen.getByTestId('confirm-switch') as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('confirm-checkbox'));
    expect(confirm.disabled).toBe(false);
    await fireEvent.input(screen.getByTestId('reference-input'), { target: { value: ' 991-12345-67 ' } });
    // Two clicks in the same tick, before the DOM could disable the button.
    confirm.click();
    confirm.click();
    await waitFor(() => expect(confirm.disabled).toBe(true));
    const switches = calls.filter((c) => c.cmd === 'switch_quantities');
    expect(switches).toHaveLength(1);
    expect(switches[0].args).toEqual({
      email: EMAIL,
      items: [{ sku: 'fe2-persons', quantity: 30 }],
      expectedGross: '71.59',
      reference: '991-12345-67',
      idempotencyKey: 'key-1',
    });
    release({ order, license: upgraded, quote: faqQuote });
    const number = await screen.findByTestId('order-number');
    expect(number.textContent).toBe('Bestellung 2001');
    expect(screen.getAllByTestId('new-qty').find((q) => q.dataset.sku === 'fe2-persons')?.textContent).toBe('30');
  });

  test('a retry after a timeout reuses the same key', async () => {
    let attempt = 0;
    const { calls } = openForm({
      switch_quantities: () => {
        attempt += 1;
        if (attempt === 1) throw { code: 'timeout', message: 'timeout', details: {} };
        return { order, license: upgraded, quote: faqQuote };
      },
    });
    await previewFaq();
    await fireEvent.click(screen.getByTestId('confirm-checkbox'));
    await fireEvent.click(screen.getByTestId('confirm-switch'));
    expect((await screen.findByTestId('error-message')).dataset.code).toBe('timeout');
    await fireEvent.click(screen.getByTestId('confirm-switch'));
    await screen.findByTestId('order-number');
    const keys = calls.filter((c) => c.cmd === 'switch_quantities').map((c) => c.args.idempotencyKey);
    expect(keys).toEqual(['key-1', 'key-1']);
  });

  test('quote_changed shows the new quote and needs a new tick', async () => {
    const newer: Quote = { ...faqQuote, setup_fee: { net: '70.00', vat: '13.30', gross: '83.30', vat_rate: '0.19' } };
    let attempt = 0;
    const { calls } = openForm({
      switch_quantities: (args: Record<string, unknown>) => {
        attempt += 1;
        if (attempt === 1) throw { code: 'quote_changed', message: 'changed', details: { quote: newer } };
        expect(args.expectedGross).toBe('83.30');
        return { order: { ...order, total: '83.30' }, license: upgraded, quote: newer };
      },
    });
    await previewFaq();
    await fireEvent.click(screen.getByTestId('confirm-checkbox'));
    await fireEvent.click(screen.getByTestId('confirm-switch'));
    await screen.findByTestId('quote-changed');
    expect(screen.getByTestId('quote-gross').textContent).toBe('83,30 €');
    expect((screen.getByTestId('confirm-checkbox') as HTMLInputElement).checked).toBe(false);
    expect((screen.getByTestId('confirm-switch') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('confirm-checkbox'));
    await fireEvent.click(screen.getByTestId('confirm-switch'));
    await screen.findByTestId('order-number');
    const switches = calls.filter((c) => c.cmd === 'switch_quantities');
    expect(switches.map((c) => [c.args.expectedGross, c.args.idempotencyKey])).toEqual([['71.59', 'key-1'], ['83.30', 'key-1']]);
  });

  test('editing after the preview requires a new preview', async () => {
    openForm();
    await previewFaq();
    await fireEvent.click(screen.getByTestId('confirm-checkbox'));
    await persons('31');
    expect((screen.getByTestId('confirm-switch') as HTMLButtonElement).disabled).toBe(true);
  });

  test('a downgrade has nothing to pay and names the effective date', async () => {
    const downgraded = faqLicense({
      scheduled_changes: [{ id: 'sc_9', sku: 'fe2-persons', quantity: 10, effective_date: '2026-01-01T00:00:00Z' }],
    });
    openForm({
      estimate: downgradeQuote,
      preview: { quote: downgradeQuote, idempotency_key: 'key-2' },
      switch_quantities: { order: null, license: downgraded, quote: downgradeQuote },
    });
    await persons('10');
    await fireEvent.click(screen.getByTestId('preview-button'));
    expect((await screen.findByTestId('quote-gross')).textContent).toBe('0,00 €');
    expect(screen.getByTestId('quote-line').textContent).toContain('wirksam zum 01.01.2026');
    await fireEvent.click(screen.getByTestId('confirm-checkbox'));
    await fireEvent.click(screen.getByTestId('confirm-switch'));
    expect((await screen.findByTestId('nothing-to-pay')).textContent).toBe('Nichts zu zahlen, wirksam zum 01.01.2026.');
    expect(screen.queryByTestId('order-number')).toBeNull();
  });

  test('a shop refusal at preview is shown in words', async () => {
    openForm({ preview: ipcError('invalid_quantity', { sku: 'fe2-persons' }) });
    await persons('30');
    await fireEvent.click(screen.getByTestId('preview-button'));
    const error = await screen.findByTestId('error-message');
    expect(error.dataset.code).toBe('invalid_quantity');
    expect(error.textContent).toContain('fe2-persons');
  });
});

describe('change quantities: scheduled downgrades', () => {
  test('an untouched field never cancels a scheduled change; retyping today\'s total does', async () => {
    const scheduled = faqLicense({
      items: [...faqLicense().items, { sku: 'fe2-amweb', name: 'AMweb', quantity: 2, unit_price: '90.00' }],
      scheduled_changes: [{ id: 'sc_1', sku: 'fe2-persons', quantity: 10, effective_date: '2026-01-01T00:00:00Z' }],
    });
    const { calls } = openForm({}, { views: [view(scheduled)] });
    expect(await screen.findByText(/vorgemerkt: 10 ab 01\.01\.2026/)).toBeTruthy();
    const amweb = (await screen.findAllByTestId('qty-input')).find((i) => i.dataset.sku === 'fe2-amweb') as HTMLInputElement;
    await fireEvent.input(amweb, { target: { value: '3' } });
    await fireEvent.click(screen.getByTestId('preview-button'));
    await screen.findByTestId('quote-gross');
    expect(calls.filter((c) => c.cmd === 'preview').at(-1)?.args.items).toEqual([{ sku: 'fe2-amweb', quantity: 3 }]);
    await persons('20');
    await fireEvent.click(screen.getByTestId('preview-button'));
    await waitFor(() =>
      expect(calls.filter((c) => c.cmd === 'preview').at(-1)?.args.items).toEqual([
        { sku: 'fe2-persons', quantity: 20 },
        { sku: 'fe2-amweb', quantity: 3 },
      ]),
    );
  });

  test("the account's default reference is filled in and sent unless changed", async () => {
    const { calls } = openForm({}, { views: [view(faqLicense(), { default_reference: 'Kostenstelle 0815-12' })] });
    await previewFaq();
    const input = screen.getByTestId('reference-input') as HTMLInputElement;
    expect(input.value).toBe('Kostenstelle 0815-12');
    await fireEvent.click(screen.getByTestId('confirm-checkbox'));
    await fireEvent.click(screen.getByTestId('confirm-switch'));
    await screen.findByTestId('order-number');
    expect(calls.find((c) => c.cmd === 'switch_quantities')?.args.reference).toBe('Kostenstelle 0815-12');
  });
});
