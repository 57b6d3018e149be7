// Application state shared by the views: the licenses, settings and refresh progress.
import * as backend from './backend';
import { locale } from '../i18n/index.svelte';
import type { AppInfo, LicenseView, Settings } from './bindings';
import type { AppError } from './errors';

/** Everything the views share. */
export const app = $state<{
  views: LicenseView[];
  loaded: boolean;
  info: AppInfo | null;
  settings: Settings | null;
  refreshing: boolean;
  refreshError: AppError | null;
}>({ views: [], loaded: false, info: null, settings: null, refreshing: false, refreshError: null });

/** The view of an account, e-mail compared case-insensitively. */
export function findView(email: string): LicenseView | undefined {
  const wanted = email.trim().toLowerCase();
  return app.views.find((v) => v.email.toLowerCase() === wanted);
}

/** Replaces one account's view in place, keeping the backend's order. */
export function replaceView(view: LicenseView): void {
  const i = app.views.findIndex((v) => v.email.toLowerCase() === view.email.toLowerCase());
  if (i >= 0) app.views[i] = view;
  else app.views.push(view);
}

/** Applies saved settings, the language included. */
export function applySettings(settings: Settings): void {
  app.settings = settings;
  locale.lang = settings.language === 'en' ? 'en' : 'de';
  document.documentElement.lang = locale.lang;
}

/** What the app puts into the page before it loads (src-tauri `start_data`). */
interface StartData {
  views: LicenseView[];
  settings: Settings;
  info: AppInfo;
}

/** The app's start data, when the page has it in the expected shape. */
function startData(): StartData | null {
  const data = (window as { __FE2_START__?: unknown }).__FE2_START__;
  if (!data || typeof data !== 'object') return null;
  const { views, settings, info } = data as Partial<StartData>;
  if (!Array.isArray(views) || !settings || typeof settings !== 'object' || !info || typeof info !== 'object') {
    return null;
  }
  return { views, settings, info };
}

/**
 * Start-up: the first paint uses the data the app put into the page (no IPC to wait for), and
 * the commands that answer from memory confirm it; without that data the page waits for them.
 * Never the network; afterwards the backend's events keep the list current.
 */
export async function start(): Promise<() => void> {
  const given = startData();
  if (given) {
    applySettings(given.settings);
    app.info = given.info;
    app.views = given.views;
    app.loaded = true;
  }
  let eventSeen = false;
  const listeners = Promise.allSettled([
    backend.onLicensesUpdated((list) => {
      eventSeen = true;
      app.views = list;
    }),
    backend.onRefreshState((running) => {
      app.refreshing = running;
    }),
  ]);
  const [views, settings, info] = await Promise.allSettled([
    backend.listLicenses(),
    backend.getSettings(),
    backend.appInfo(),
  ]);
  if (settings.status === 'fulfilled') applySettings(settings.value);
  if (info.status === 'fulfilled') app.info = info.value;
  // An update that arrived meanwhile is newer than the start-up list.
  if (views.status === 'fulfilled' && !eventSeen) app.views = views.value;
  app.loaded = true;
  const offs = await listeners;
  return () => offs.forEach((o) => o.status === 'fulfilled' && o.value());
}

let refreshRunning = false;

/** Refreshes every account (F5, the button); a second request while one runs is ignored. */
export async function refreshAll(): Promise<void> {
  if (refreshRunning) return;
  refreshRunning = true;
  app.refreshing = true;
  app.refreshError = null;
  try {
    app.views = await backend.refreshAll();
  } catch (e) {
    app.refreshError = e as AppError;
  } finally {
    refreshRunning = false;
    app.refreshing = false;
  }
}
