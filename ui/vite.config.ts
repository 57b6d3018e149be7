import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Tauri serves ui/dist; the dev server port is fixed because tauri.conf.json's devUrl names it.
export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  envPrefix: ['VITE_', 'TAURI_ENV_'],
  server: { port: 5173, strictPort: true },
  build: {
    target: ['safari16', 'chrome105'],
    // Both web views preload modules themselves; the polyfill would cost the first paint ~0.3 KB.
    modulePreload: { polyfill: false },
    outDir: 'dist',
    emptyOutDir: true,
    // No inline assets: the CSP allows only files from 'self'.
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
  },
});
