// How command rejections become the typed AppError the UI translates (docs/ipc.md).
import { describe, expect, test } from 'vitest';
import { mockIPC } from '@tauri-apps/api/mocks';
import { refresh, toAppError } from '../src/lib/backend';
import { allowsSupportFallback } from '../src/lib/errors';

// Verbatim as tauri 2.12 rejects a non-string `email` (src-tauri/src/tests_ipc_fuzz.rs sees it).
const TAURI_INVALID_ARGS =
  'invalid args `email` for command `refresh`: invalid type: integer `1`, expected a string';

describe('toAppError', () => {
  test('our {code, message, details} passes through', () => {
    const e = toAppError({ code: 'unknown_account', message: 'no account x', details: { a: 1 } });
    expect(e).toEqual({ code: 'unknown_account', message: 'no account x', details: { a: 1 } });
  });

  test("Tauri's invalid-args string is a bad_request naming the argument", () => {
    const e = toAppError(TAURI_INVALID_ARGS);
    expect(e.code).toBe('bad_request');
    expect(e.details).toEqual({ arg: 'email', command: 'refresh' });
    expect(e.message).toBe(TAURI_INVALID_ARGS);
    expect(allowsSupportFallback(e)).toBe(false);
  });

  test('a missing argument too', () => {
    const e = toAppError(
      'invalid args `idempotencyKey` for command `create_ticket`: command create_ticket missing required key idempotencyKey',
    );
    expect(e.code).toBe('bad_request');
    expect(e.details.arg).toBe('idempotencyKey');
  });

  test('anything else stays internal', () => {
    for (const raw of ['Command foo not allowed by ACL', 'invalid args', null, undefined, 42, {}]) {
      expect(toAppError(raw).code).toBe('internal');
    }
  });

  test('a command call rejects with the typed error', async () => {
    mockIPC(() => {
      throw TAURI_INVALID_ARGS;
    });
    await expect(refresh('x@y.de')).rejects.toMatchObject({ code: 'bad_request' });
  });
});
