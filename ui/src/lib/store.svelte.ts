// Application state shared by the views: the licenses, settings and refresh progress.
import * as backend from './backend';
import { setLanguage } from '../i18n/index.svelte';
import type { AppInfo, LicenseView, Settings } from './bindings';
import type { AppError } from './errors';

/**
 * Everything the views share. The list of views is raw state: it is only ever replaced as a
 * whole (each list comes from the backend), so its objects need no deep proxies, which cost the
 * first paint of 25 cards measurably (docs/performance.md).
 */
class AppState {
  views = $state.raw<LicenseView[]>([]);
  loaded = $state(false);
  info = $state<AppInfo | null>(null);
  settings = $state<Settings | null>(null);
  refreshing = $state(false);
  refreshError = $state<AppError | null>(null);
}

/** The app's shared state. */
export const app = new AppState();

/** The view of an account, e-mail compared case-insensitively. */
export function findView(email: string): LicenseView | undefined {
  const wanted = email.trim().toLowerCase();
  return app.views.find((v) => v.email.toLowerCase() === wanted);
}

/** Replaces one account's view, keeping the backend's order (a new list: raw state). */
export function replaceView(view: LicenseView): void {
  const i = app.views.findIndex((v) => v.email.toLowerCase() === view.email.toLowerCase());
  app.views = i >= 0 ? app.views.map((v, j) => (j === i ? view : v)) : [...app.views, view];
}

/** Applies saved settings; the language follows once its texts are loaded. */
export function applySettings(settings: Settings): Promise<void> {
  app.settings = settings;
  // English texts that cannot be loaded leave the page in German rather than half translated.
  return setLanguage(settings.language === 'en' ? 'en' : 'de').catch(() => undefined);
}

/** Deep equality of JSON values; the start data's objects may list their keys in another order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ob = b as Record<string, unknown>;
  return ka.every((k) => k in ob && sameJson((a as Record<string, unknown>)[k], ob[k]));
}

/** What the app puts into the page before it loads (src-tauri `start_data`). */
interface StartData {
  views: LicenseView[];
  settings: Settings;
  info: AppInfo;
}

/** The language of the start data's settings: the page waits for its texts before mounting. */
export function startLanguage(): 'de' | 'en' {
  return startData()?.settings.language === 'en' ? 'en' : 'de';
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

/** Resolves in a task of its own: whatever is due meanwhile (input, a frame) comes first. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Resolves after the next frame has been painted (a task after the animation frame). */
export function afterNextPaint(): Promise<void> {
  if (typeof requestAnimationFrame !== 'function') return nextTask();
  return new Promise<void>((resolve) => requestAnimationFrame(() => resolve())).then(nextTask);
}

/**
 * Start-up: the first paint uses the data the app put into the page (no IPC to wait for), and
 * the commands that answer from memory confirm it; without that data the page waits for them.
 * Never the network; afterwards the backend's events keep the list current.
 */
export async function start(): Promise<() => void> {
  const given = startData();
  if (given) {
    void applySettings(given.settings);
    app.info = given.info;
    app.views = given.views;
    app.loaded = true;
    // The commands confirm the start data after the dashboard's first two frames (the cards in
    // the window, then the first of the rest) instead of competing with them: they cost the page
    // and the app's main thread ~15 ms, and nothing waits for them but the background refresh.
    await afterNextPaint();
    await afterNextPaint();
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
  if (settings.status === 'fulfilled') void applySettings(settings.value);
  if (info.status === 'fulfilled') app.info = info.value;
  // An update that arrived meanwhile is newer than the start-up list. The same list as the start
  // data is not set again: that would render every card a second time during the first frame.
  if (views.status === 'fulfilled' && !eventSeen && !(given && sameJson(views.value, given.views))) {
    app.views = views.value;
  }
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
