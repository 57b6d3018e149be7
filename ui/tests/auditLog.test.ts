import { describe, expect, test } from 'vitest';
import { fireEvent, screen } from '@testing-library/svelte';
import { settingsEn } from './fixtures';
import { ipcError, mountApp } from './harness';
import type { AuditEntry, AuditReport } from '../src/lib/bindings';

const EMAIL = 'leitstelle@ff-musterstadt.de';

function entry(over: Partial<AuditEntry>): AuditEntry {
  return {
    time: '2026-07-02T12:00:00Z',
    action: 'account_added',
    email: EMAIL,
    details: {},
    os_user: 'kommandant',
    host: 'FW-PC-1',
    prev: '0'.repeat(64),
    ...over,
  };
}

function report(over: Partial<AuditReport> = {}): AuditReport {
  return {
    entries: [
      entry({ details: { shop_url: 'https://www.alamos-gmbh.com', fingerprint: 'ab12 cd34' } }),
      entry({
        time: '2026-07-03T08:30:00Z',
        action: 'order_placed',
        details: { order: 2001, net: '60.16', gross: '71.59', reference: null },
      }),
    ],
    problems: [],
    path: '/tmp/fe2/data/audit-log.jsonl',
    write_error: null,
    anchor_error: null,
    ...over,
  };
}

describe('audit log page (Verlauf)', () => {
  test('lists the entries newest first with action, details, user and computer', async () => {
    mountApp({ hash: '#/log', handlers: { audit_log: report() } });
    const rows = await screen.findAllByTestId('log-entry');
    expect(rows.map((r) => r.dataset.action)).toEqual(['order_placed', 'account_added']);
    expect(rows[0].textContent).toContain('03.07.2026, 10:30');
    expect(rows[0].textContent).toContain('Bestellung aufgegeben');
    expect(rows[0].textContent).toContain('order: 2001');
    expect(rows[0].textContent).toContain('gross: 71.59');
    expect(rows[0].textContent).not.toContain('reference');
    expect(rows[0].textContent).toContain('kommandant @ FW-PC-1');
    expect(screen.getByTestId('log-intact').textContent).toContain('2 Einträge');
    expect(screen.queryByTestId('log-broken')).toBeNull();
  });

  test('a broken chain is a warning naming file and line', async () => {
    mountApp({
      hash: '#/log',
      handlers: { audit_log: report({ problems: [{ problem: 'chain_broken', file: 'audit-log.jsonl', line: 2 }] }) },
    });
    const warning = await screen.findByTestId('log-broken');
    expect(warning.getAttribute('role')).toBe('alert');
    expect(warning.textContent).toContain('außerhalb der App verändert');
    expect(screen.getByTestId('log-problem').textContent).toContain('audit-log.jsonl, Zeile 2');
    expect(screen.queryByTestId('log-intact')).toBeNull();
  });

  test('a missing tail and a finding noted by an append name their counts; an unread anchor is said', async () => {
    mountApp({
      hash: '#/log',
      handlers: {
        audit_log: report({
          entries: [entry({ action: 'anchor_mismatch', details: { anchored_lines: 3, found_lines: 2 } })],
          problems: [
            { problem: 'anchor_mismatch', file: 'audit-log.jsonl', line: 3, anchored_lines: 3, found_lines: 2 },
            { problem: 'tail_missing', file: 'audit-log-2026.jsonl', line: 3, missing: 1 },
            { problem: 'not_anchored', file: 'audit-log.jsonl', line: 5 },
          ],
          anchor_error: { code: 'keychain_unavailable', class: 'local', message: 'no keychain', details: {} },
        }),
      },
    });
    const problems = await screen.findAllByTestId('log-problem');
    expect(problems.map((p) => p.dataset.problem)).toEqual(['anchor_mismatch', 'tail_missing', 'not_anchored']);
    expect(problems[0].textContent).toContain('er zählte 3 Zeilen, vorgefunden 2');
    expect(problems[1].textContent).toContain('audit-log-2026.jsonl, Zeile 3: danach fehlen 1 Zeilen');
    expect(problems[2].textContent).toContain('nicht durch den Anker');
    expect(screen.getByTestId('log-entry').textContent).toContain('Protokollende passte nicht zum Anker');
    expect(screen.getByTestId('log-anchor-error').textContent).toContain('ungeprüft');
  });

  test('English, empty, and an error that can be retried', async () => {
    let fail = true;
    const { calls } = mountApp({
      hash: '#/log',
      settings: settingsEn,
      handlers: {
        audit_log: () => {
          if (fail) ipcError('io', { path: '/x' }, 'disk')();
          return report({ entries: [] });
        },
      },
    });
    await screen.findByRole('alert');
    fail = false;
    await fireEvent.click(screen.getByTestId('log-reload'));
    expect((await screen.findByTestId('log-empty')).textContent).toBe('No entries yet.');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('History');
    expect(calls.filter((c) => c.cmd === 'audit_log')).toHaveLength(2);
  });

  test('the navigation reaches it', async () => {
    mountApp({ handlers: { audit_log: report() } });
    const link = await screen.findByTestId('audit-log');
    expect(link.getAttribute('href')).toBe('#/log');
    expect(link.textContent).toBe('Verlauf');
  });
});
