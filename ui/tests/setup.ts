// Shared test setup: a fresh hash, German, empty state and no IPC mocks between tests.
import { afterEach, beforeEach } from 'vitest';
import { clearMocks } from '@tauri-apps/api/mocks';
import { cleanup } from '@testing-library/svelte';
import { app } from '../src/lib/store.svelte';
import { locale } from '../src/i18n/index.svelte';

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
