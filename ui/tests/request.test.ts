import { describe, expect, test, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { catalog, faqLicense, settingsEn, view } from './fixtures';
import { ipcError, mountApp, type Setup } from './harness';
import type { License } from '../src/lib/bindings';

const EMAIL = 'leitstelle@ff-musterstadt.de';
const ticket = { number: '654321', topic: 'navlog_activation', subject: 'Freischaltung NavLog', status: 'open', created: '2025-07-02T12:00:00Z' };
const withAmobile = faqLicense({
  items: [...faqLicense().items, { sku: 'fe2-amobile-pro', name: 'aMobile PRO', quantity: 1, unit_price: '120.00' }],
});

function openRequest(topic: string, license: License = faqLicense(), handlers: Setup['handlers'] = {}, over: Partial<Setup> = {}) {
  return mountApp({
    views: [view(license)],
    hash: `#/license/${EMAIL}/request/${topic}`,
    handlers: { create_ticket: ticket, get_catalog: catalog, support_fallback: null, ...handlers },
    ...over,
  });
}

describe('NavLog request', () => {
  test('without aMobile PRO it explains the precondition and sends nothing', async () => {
    const { count } = openRequest('navlog_activation');
    const why = await screen.findByTestId('precondition');
    expect(why.dataset.code).toBe('requires_amobile_pro');
    expect(why.textContent).toContain('aMobile PRO');
    const send = screen.getByTestId('request-submit') as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    await fireEvent.submit(send.closest('form') as HTMLFormElement);
    expect(count('create_ticket')).toBe(0);
  });

  test('in English too', async () => {
    openRequest('navlog_activation', faqLicense(), {}, { settings: settingsEn });
    const why = await screen.findByTestId('precondition');
    expect(why.textContent).toContain('book at least one aMobile PRO license first');
  });

  test('an active NavLog is explained', async () => {
    openRequest('navlog_activation', { ...withAmobile, features: ['navlog'] });
    expect((await screen.findByTestId('precondition')).dataset.code).toBe('already_active');
  });

  test('with aMobile PRO it sends one ticket and shows its number', async () => {
    const { calls } = openRequest('navlog_activation', withAmobile);
    await fireEvent.click(await screen.findByTestId('request-submit'));
    expect((await screen.findByTestId('ticket-number')).textContent).toBe('Ticketnummer: 654321');
    const sent = calls.filter((c) => c.cmd === 'create_ticket');
    expect(sent).toHaveLength(1);
    expect(sent[0].args).toMatchObject({ email: EMAIL, topic: 'navlog_activation', fields: {} });
    expect(String(sent[0].args.message)).toContain('NavLog');
    expect(String(sent[0].args.idempotencyKey)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('license e-mail change', () => {
  test.each([
    ['de', 'LEITSTELLE@ff-musterstadt.de', 'Die neue Adresse muss sich von der bisherigen unterscheiden.'],
    ['de', 'keine-adresse', 'Bitte eine gültige E-Mail-Adresse eingeben.'],
    ['en', EMAIL, 'The new address must differ from the current one.'],
    ['en', 'a@b', 'Please enter a valid e-mail address.'],
  ])('%s: %s is refused before sending', async (lang, address, text) => {
    const { count } = openRequest('license_email_change', faqLicense(), {}, lang === 'en' ? { settings: settingsEn } : {});
    await fireEvent.input(await screen.findByTestId('new-email'), { target: { value: address } });
    await fireEvent.click(screen.getByTestId('request-submit'));
    expect(screen.getByTestId('validation-error').textContent).toBe(text);
    expect(count('create_ticket')).toBe(0);
  });

  test('a valid new address is sent as new_email; afterwards adding it is offered', async () => {
    const { calls } = openRequest('license_email_change', faqLicense(), {
      create_ticket: { ...ticket, topic: 'license_email_change' },
    });
    await fireEvent.input(await screen.findByTestId('new-email'), { target: { value: 'neu@ff-musterstadt.de' } });
    await fireEvent.click(screen.getByTestId('request-submit'));
    await screen.findByTestId('ticket-number');
    expect(calls.find((c) => c.cmd === 'create_ticket')?.args.fields).toEqual({ new_email: 'neu@ff-musterstadt.de' });
    expect(screen.getByTestId('add-new-account').getAttribute('href')).toBe('#/add?email=neu%40ff-musterstadt.de');
  });

  test('a refusal by the shop (409) is explained, never sent to the support site', async () => {
    openRequest('license_email_change', faqLicense(), { create_ticket: ipcError('email_in_use') });
    await fireEvent.input(await screen.findByTestId('new-email'), { target: { value: 'neu@ff-musterstadt.de' } });
    await fireEvent.click(screen.getByTestId('request-submit'));
    expect((await screen.findByTestId('error-message')).dataset.code).toBe('email_in_use');
    expect(screen.queryByTestId('support-fallback')).toBeNull();
  });
});

describe('general and package change requests', () => {
  test('a general request needs text', async () => {
    const { count } = openRequest('general');
    await fireEvent.click(await screen.findByTestId('request-submit'));
    expect(screen.getByTestId('validation-error').textContent).toBe('Bitte beschreiben Sie Ihr Anliegen.');
    expect(count('create_ticket')).toBe(0);
  });

  test('a package change sends the wanted totals', async () => {
    const legacy = faqLicense({ package: { code: 'paket-3', name: 'FE2 Paket 3', legacy: true } });
    const { calls } = openRequest('package_change', legacy);
    const inputs = await screen.findAllByTestId('wanted-qty');
    const persons = inputs.find((i) => i.dataset.sku === 'fe2-persons') as HTMLInputElement;
    expect(persons.value).toBe('20');
    await fireEvent.input(persons, { target: { value: '40' } });
    await fireEvent.click(screen.getByTestId('request-submit'));
    await screen.findByTestId('ticket-number');
    const fields = calls.find((c) => c.cmd === 'create_ticket')?.args.fields as { items: { sku: string; quantity: number }[] };
    expect(fields.items).toContainEqual({ sku: 'fe2-persons', quantity: 40 });
  });

  test('a package change asks for the options only, not for the packages of the catalog', async () => {
    const legacy = faqLicense({
      package: { code: 'paket-3', name: 'FE2 Paket 3', legacy: true },
      items: [
        { sku: 'fe2-paket-3', name: 'FE2 Paket 3', quantity: 1, unit_price: '700.00' },
        { sku: 'fe2-persons', name: 'Zusätzliche Personen', quantity: 10, unit_price: '12.00' },
      ],
    });
    const withPackages = {
      ...catalog,
      products: [{ sku: 'fe2-paket-3', name: { de: 'FE2 Paket 3', en: 'FE2 package 3' }, min: 1, max: 1, switchable: false }, ...catalog.products],
    };
    const { calls } = openRequest('package_change', legacy, { get_catalog: withPackages });
    // Once the catalog is there, its switchable products are the fields.
    await waitFor(() =>
      expect(screen.getAllByTestId('wanted-qty').map((i) => i.dataset.sku)).toEqual(['fe2-persons', 'fe2-amweb', 'fe2-amobile-pro']),
    );
    await fireEvent.click(screen.getByTestId('request-submit'));
    await screen.findByTestId('ticket-number');
    const args = calls.find((c) => c.cmd === 'create_ticket')?.args as { message: string; fields: { items: { sku: string }[] } };
    expect(args.fields.items.map((i) => i.sku)).toEqual(['fe2-persons', 'fe2-amweb', 'fe2-amobile-pro']);
    expect(args.message).toContain('Wechsel auf das FE2 Basispaket');
  });

  test('when the ticket route is unreachable it asks, copies the text, then opens the support site', async () => {
    const order: string[] = [];
    const writeText = vi.fn(async (text: string) => {
      order.push(`copy ${text}`);
    });
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { calls, count } = openRequest('general', faqLicense(), {
      create_ticket: ipcError('unreachable'),
      support_fallback: () => {
        order.push('open');
        return null;
      },
    });
    await fireEvent.input(await screen.findByTestId('request-message'), { target: { value: 'Bitte um Rückruf.' } });
    await fireEvent.click(screen.getByTestId('request-submit'));
    const ask = await screen.findByTestId('support-fallback');
    expect(count('support_fallback')).toBe(0);
    await fireEvent.click(ask);
    expect((await screen.findByTestId('fallback-done')).textContent).toContain('in die Zwischenablage kopiert');
    // The copy comes first, while the click still counts as the user's action.
    expect(order).toEqual(['copy Bitte um Rückruf.', 'open']);
    expect(calls.find((c) => c.cmd === 'support_fallback')?.args).toEqual({ email: EMAIL, topic: 'general' });
    delete (navigator as { clipboard?: unknown }).clipboard;
  });

  test('when nothing can be copied it says so and opens nothing', async () => {
    const writeText = vi.fn(async () => {
      throw new DOMException('denied', 'NotAllowedError');
    });
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const execCommand = vi.fn(() => false);
    Object.defineProperty(document, 'execCommand', { value: execCommand, configurable: true });
    const { count } = openRequest('general', faqLicense(), { create_ticket: ipcError('unreachable') });
    await fireEvent.input(await screen.findByTestId('request-message'), { target: { value: 'Frage' } });
    await fireEvent.click(screen.getByTestId('request-submit'));
    await fireEvent.click(await screen.findByTestId('support-fallback'));
    await waitFor(() => expect(screen.getByTestId('error-message').textContent).toContain('Zwischenablage'));
    expect(execCommand).toHaveBeenCalledWith('copy');
    expect(count('support_fallback')).toBe(0);
    delete (navigator as { clipboard?: unknown }).clipboard;
    delete (document as { execCommand?: unknown }).execCommand;
  });

  test('a retry after an error keeps the same idempotency key', async () => {
    let attempt = 0;
    const { calls } = openRequest('general', faqLicense(), {
      create_ticket: () => {
        attempt += 1;
        if (attempt === 1) throw { code: 'timeout', message: '', details: {} };
        return ticket;
      },
    });
    await fireEvent.input(await screen.findByTestId('request-message'), { target: { value: 'Frage' } });
    await fireEvent.click(screen.getByTestId('request-submit'));
    await screen.findByTestId('error-message');
    await fireEvent.click(screen.getByTestId('request-submit'));
    await screen.findByTestId('ticket-number');
    const keys = calls.filter((c) => c.cmd === 'create_ticket').map((c) => c.args.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
  });
});
