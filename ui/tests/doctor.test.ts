import { expect, test } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { faqLicense, view } from './fixtures';
import { mountApp } from './harness';
import type { Diagnosis } from '../src/lib/bindings';

const EMAIL = 'leitstelle@ff-musterstadt.de';
const SHOP = 'https://www.alamos-gmbh.com';

const intercepted: Diagnosis = {
  checks: [
    { kind: 'data_home', outcome: 'pass', subject: '/home/u/fe2', detail: 'exists and can be written', error: null },
    { kind: 'proxy', outcome: 'pass', subject: SHOP, detail: 'http://proxy.stadt.de:3128 (set by policy or settings)', error: null },
    { kind: 'tls', outcome: 'fail', subject: SHOP, detail: 'the certificate was issued by "CN=Stadt Proxy CA"', error: {
      code: 'tls_intercepted', class: 'insecure', message: 'issued by CN=Stadt Proxy CA', details: { issuer: 'CN=Stadt Proxy CA', proxy: 'http://proxy.stadt.de:3128' },
    } },
    { kind: 'shop', outcome: 'skip', subject: SHOP, detail: 'not checked: an earlier check on the way to the shop failed', error: null },
  ],
};

test('an offline license offers the check; it names the first failure and what to do', async () => {
  const { calls } = mountApp({
    views: [{ ...view(faqLicense()), offline: true, last_error: { code: 'timeout', class: 'network', message: 'late', details: {} } }],
    hash: `#/license/${EMAIL}`,
    handlers: { license_details: { orders: [], tickets: [], order_notes: [] }, run_doctor: intercepted },
  });
  await fireEvent.click(await screen.findByTestId('open-doctor'));
  const first = await screen.findByTestId('doctor-first-failure');
  expect(first.dataset.kind).toBe('tls');
  expect(first.textContent).toContain('Zuerst beheben: Verschlüsselung (TLS)');
  expect(first.textContent).toContain('Stammzertifikat');
  const checks = screen.getAllByTestId('doctor-check');
  expect(checks.map((c) => [c.dataset.kind, c.dataset.outcome])).toEqual([
    ['data_home', 'pass'], ['proxy', 'pass'], ['tls', 'fail'], ['shop', 'skip'],
  ]);
  expect(calls.find((c) => c.cmd === 'run_doctor')?.args).toEqual({ email: EMAIL });
  // Again: the button runs the checks once more.
  await fireEvent.click(screen.getByTestId('doctor-again'));
  await waitFor(() => expect(calls.filter((c) => c.cmd === 'run_doctor')).toHaveLength(2));
  expect(screen.getByTestId('banner-doctor').getAttribute('href')).toBe(`#/license/${EMAIL}/doctor`);
});
