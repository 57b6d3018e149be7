// Mounts the whole app against a mocked backend and records every invoke.
import { render } from '@testing-library/svelte';
import { mockIPC } from '@tauri-apps/api/mocks';
import App from '../src/App.svelte';
import { settingsDe } from './fixtures';
import type { AppInfo, LicenseView, Settings } from '../src/lib/bindings';

/** One recorded invoke. */
export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

/** A command's answer: a value, or a function of the args (throw to reject). */
type Handler = unknown | ((args: Record<string, unknown>) => unknown);

/** No central policy: nothing locked, not read-only. */
export const NO_POLICY: AppInfo['policy'] = {
  locked: {},
  read_only: false,
  read_only_origin: null,
  allowed_shop_hosts: [],
  problems: [],
};

/** Options of a mounted app. */
export interface Setup {
  views?: LicenseView[];
  settings?: Settings;
  info?: Partial<AppInfo>;
  hash?: string;
  handlers?: Record<string, Handler>;
}

/** Mounts the app at a hash; returns the recorded calls and the render result. */
export function mountApp(setup: Setup = {}) {
  const calls: Call[] = [];
  const handlers: Record<string, Handler> = {
    list_licenses: setup.views ?? [],
    get_settings: setup.settings ?? settingsDe,
    app_info: { version: '0.1.0', demo: false, data_home: '/tmp/fe2', policy: NO_POLICY, ...setup.info },
    ...setup.handlers,
  };
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      if (!(cmd in handlers)) throw { code: 'internal', message: `unmocked ${cmd}`, details: {} };
      const h = handlers[cmd];
      return typeof h === 'function' ? (h as (a: Record<string, unknown>) => unknown)(args) : h;
    },
    { shouldMockEvents: true },
  );
  location.hash = setup.hash ?? '#/';
  const result = render(App);
  return { calls, ...result, count: (cmd: string) => calls.filter((c) => c.cmd === cmd).length };
}

/** A command error as the backend rejects with it. */
export function ipcError(code: string, details: Record<string, unknown> = {}, message = code) {
  return () => {
    throw { code, message, details };
  };
}
