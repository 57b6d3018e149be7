import { describe, expect, test } from 'vitest';
import { fireEvent, screen } from '@testing-library/svelte';
import { faqLicense, settingsEn, view } from './fixtures';
import { ipcError, mountApp } from './harness';

async function submit(handler: unknown, settings = {}) {
  const app = mountApp({ hash: '#/add', handlers: { add_account: handler }, ...settings });
  const url = (await screen.findByTestId('account-shop-url')) as HTMLInputElement;
  expect(url.value).toBe('https://www.alamos-gmbh.com');
  await fireEvent.input(screen.getByTestId('account-email'), { target: { value: 'leitstelle@ff-musterstadt.de' } });
  await fireEvent.input(screen.getByTestId('account-password'), { target: { value: 'abcd EFGH 1234 ijkl MNOP 5678' } });
  await fireEvent.click(screen.getByTestId('account-submit'));
  return app;
}

const cases: [string, Record<string, unknown>, string, string][] = [
  ['invalid_credentials', {}, '', 'E-Mail-Adresse oder Anwendungspasswort ist falsch.'],
  ['too_many_attempts', { retry_after: 42 }, '', 'Bitte warten Sie 42 Sekunden'],
  ['unreachable', {}, '', 'Der Shop ist nicht erreichbar.'],
  ['timeout', {}, '', 'nicht rechtzeitig geantwortet'],
  ['tls', {}, 'invalid peer certificate: issuer "Stadtverwaltung Root CA"', 'Stadtverwaltung Root CA'],
  ['proxy', {}, '', 'Proxy-Server'],
  ['not_a_shop_api', {}, '', 'kein FE2-Shop'],
  ['insecure_url', {}, '', 'http://'],
  ['invalid_url', {}, '', 'Adresse des Shops ist ungültig'],
  ['invalid_email', {}, '', 'E-Mail-Adresse ist ungültig'],
  ['keychain_unavailable', {}, '', 'Passwortspeicher'],
  ['account_exists', {}, '', 'bereits ein Konto'],
  ['something_new', {}, '', 'Fehler „something_new“'],
];

describe('add account', () => {
  test.each(cases)('%s is explained in plain German', async (code, details, message, text) => {
    await submit(ipcError(code, details, message || code));
    const error = await screen.findByTestId('error-message');
    expect(error.dataset.code).toBe(code);
    expect(error.textContent).toContain(text);
  });

  test('errors are translated in English too', async () => {
    await submit(ipcError('invalid_credentials'), { settings: settingsEn });
    const error = await screen.findByTestId('error-message');
    expect(error.textContent).toBe('The e-mail address or application password is wrong.');
  });

  test('success sends the fields once and shows the pinned key fingerprint', async () => {
    const added = view(faqLicense(), { fingerprint: 'ab12 cd34 ef56 7890' });
    const { calls } = await submit(added);
    const fp = await screen.findByTestId('fingerprint');
    expect(fp.textContent).toBe('ab12 cd34 ef56 7890');
    const add = calls.filter((c) => c.cmd === 'add_account');
    expect(add).toHaveLength(1);
    expect(add[0].args).toEqual({
      shopUrl: 'https://www.alamos-gmbh.com',
      email: 'leitstelle@ff-musterstadt.de',
      password: 'abcd EFGH 1234 ijkl MNOP 5678',
    });
  });

  test('a shop that moved is used only after the user confirms the new address', async () => {
    const added = view(faqLicense(), { fingerprint: 'ab12 cd34 ef56 7890' });
    const moved = 'https://www.alamos-gmbh.example';
    const { calls } = await submit((args: Record<string, unknown>) => {
      if (args.shopUrl === moved) return added;
      throw { code: 'shop_moved', message: `the shop answers from another address: ${moved}`, details: { shop_url: moved } };
    });
    const box = await screen.findByTestId('shop-moved');
    expect(box.textContent).toContain(`anderen Adresse: ${moved}`);
    expect(calls.filter((c) => c.cmd === 'add_account')).toHaveLength(1);
    await fireEvent.click(screen.getByTestId('use-moved'));
    expect((await screen.findByTestId('fingerprint')).textContent).toBe('ab12 cd34 ef56 7890');
    const add = calls.filter((c) => c.cmd === 'add_account');
    expect(add.map((c) => c.args.shopUrl)).toEqual(['https://www.alamos-gmbh.com', moved]);
  });

  test('empty fields are refused before anything is sent', async () => {
    const { count } = mountApp({ hash: '#/add', handlers: { add_account: null } });
    await fireEvent.click(await screen.findByTestId('account-submit'));
    expect(screen.getByTestId('validation-error').textContent).toContain('alle Felder');
    expect(count('add_account')).toBe(0);
    expect((screen.getByTestId('account-password') as HTMLInputElement).type).toBe('password');
  });
});
