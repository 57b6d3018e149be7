import { expect, test } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { settingsDe } from './fixtures';
import { mountApp } from './harness';

test('thresholds must be whole numbers with critical below warning', async () => {
  const { count } = mountApp({ hash: '#/settings', handlers: { set_settings: settingsDe } });
  const critical = await screen.findByTestId('settings-critical-days');
  await fireEvent.input(critical, { target: { value: '30' } });
  await fireEvent.click(screen.getByTestId('settings-save'));
  expect(screen.getByTestId('validation-error').textContent).toBe('Der kritische Wert muss kleiner sein als der Warnwert.');
  await fireEvent.input(critical, { target: { value: '7,5' } });
  expect(screen.getByTestId('validation-error').textContent).toBe('Bitte ganze Zahlen von 0 bis 365 eingeben.');
  expect(count('set_settings')).toBe(0);
});

test('saving English switches the language at once', async () => {
  const { calls } = mountApp({
    hash: '#/settings',
    handlers: { set_settings: (args: Record<string, unknown>) => args.settings },
  });
  const language = await screen.findByTestId('settings-language');
  await fireEvent.change(language, { target: { value: 'en' } });
  await fireEvent.input(screen.getByTestId('settings-warning-days'), { target: { value: '45' } });
  await fireEvent.click(screen.getByTestId('settings-save'));
  await waitFor(() => expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Settings'));
  expect(calls.find((c) => c.cmd === 'set_settings')?.args).toEqual({
    settings: { language: 'en', warning_days: 45, critical_days: 14, notifications: true, autostart: false, renewal_reminder_days: 90, proxy: 'system' },
  });
});

test('the renewal reminder days are saved with the other settings and checked', async () => {
  const { calls, count } = mountApp({
    hash: '#/settings',
    handlers: { set_settings: (args: Record<string, unknown>) => args.settings },
  });
  const reminder = (await screen.findByTestId('settings-reminder-days')) as HTMLInputElement;
  expect(reminder.value).toBe('90');
  await fireEvent.input(reminder, { target: { value: '367' } });
  await fireEvent.click(screen.getByTestId('settings-save'));
  expect(screen.getByTestId('validation-error').textContent).toBe(
    'Bitte für die Erinnerung eine ganze Zahl von 0 bis 366 eingeben.',
  );
  expect(count('set_settings')).toBe(0);
  await fireEvent.input(reminder, { target: { value: '120' } });
  await fireEvent.click(screen.getByTestId('settings-save'));
  await waitFor(() => expect(count('set_settings')).toBe(1));
  expect(calls.find((c) => c.cmd === 'set_settings')?.args).toEqual({
    settings: { language: 'de', warning_days: 30, critical_days: 14, notifications: true, autostart: false, renewal_reminder_days: 120, proxy: 'system' },
  });
});

test('a setting a policy locks is greyed and named', async () => {
  mountApp({
    hash: '#/settings',
    info: {
      policy: {
        locked: { warning_days: String.raw`HKLM\SOFTWARE\Policies\Alamos\FE2 License Manager`, proxy: '/etc/fe2-license/policy.json' },
        read_only: false,
        read_only_origin: null,
        allowed_shop_hosts: [],
        problems: ['HKLM\\…\\CriticalDays: 400 is more than 366 days; ignored'],
      },
    },
  });
  const warning = (await screen.findByTestId('settings-warning-days')) as HTMLInputElement;
  expect(warning.disabled).toBe(true);
  expect(screen.getByTestId('locked-warning_days').textContent).toBe('vom Administrator festgelegt');
  expect(warning.getAttribute('aria-describedby')).toBe('warning-days-locked');
  expect((screen.getByTestId('settings-critical-days') as HTMLInputElement).disabled).toBe(false);
  expect((screen.getByTestId('settings-proxy') as HTMLFieldSetElement).disabled).toBe(true);
  expect(screen.getByTestId('policy-problems').textContent).toContain('CriticalDays');
  expect(screen.queryByTestId('locked-critical_days')).toBeNull();
});

test('a proxy address is checked and saved', async () => {
  const { calls, count } = mountApp({
    hash: '#/settings',
    handlers: { set_settings: (args: Record<string, unknown>) => args.settings },
  });
  await fireEvent.click(await screen.findByTestId('settings-proxy-url-mode'));
  const url = await screen.findByTestId('settings-proxy-url');
  await fireEvent.input(url, { target: { value: 'proxy.stadt.de' } });
  await fireEvent.click(screen.getByTestId('settings-save'));
  expect(screen.getByTestId('validation-error').textContent).toBe('Bitte den Proxy als http://host:port angeben.');
  expect(count('set_settings')).toBe(0);
  await fireEvent.input(url, { target: { value: 'http://proxy.stadt.de:3128' } });
  await fireEvent.click(screen.getByTestId('settings-save'));
  await waitFor(() => expect(count('set_settings')).toBe(1));
  expect((calls.find((c) => c.cmd === 'set_settings')?.args.settings as { proxy: string }).proxy).toBe('http://proxy.stadt.de:3128');
});
