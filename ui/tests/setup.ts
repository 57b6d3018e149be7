// Shared test setup: a fresh hash, German, empty state and no IPC mocks between tests.
import { afterEach, beforeAll, beforeEach } from 'vitest';
import { clearMocks } from '@tauri-apps/api/mocks';
import { cleanup } from '@testing-library/svelte';
import { app } from '../src/lib/store.svelte';
import { loadPageTexts, locale, setLanguage } from '../src/i18n/index.svelte';

// The app loads the English texts before it mounts an English page (main.ts) and before a saved
// language takes effect (Settings): loaded once here, a test's switch to English is as quick.
// The pages' German texts come with the first page opened; tests/texts.test.ts checks the loading.
beforeAll(async () => {
  await setLanguage('en');
  await setLanguage('de');
});

beforeEach(() => {
  location.hash = '#/';
  app.views = [];
  app.loaded = false;
  app.info = null;
  app.settings = null;
  app.refreshing = false;
  app.refreshError = null;
  locale.lang = 'de';
});

afterEach(() => {
  // Unmount first: the app's unlisten calls still need the mocked event plugin.
  cleanup();
  clearMocks();
});
