// Its own file: the first-card mark is set once per page load (module state).
import { expect, test } from 'vitest';
import { screen, waitFor } from '@testing-library/svelte';
import { faqLicense, view } from './fixtures';
import { mountApp } from './harness';

test('the first paint needs only memory commands and marks the first card once', async () => {
  expect(performance.getEntriesByName('fe2-first-card')).toHaveLength(0);
  const { calls } = mountApp({ views: [view(faqLicense())] });
  await screen.findAllByTestId('license-card');
  await waitFor(() => expect(performance.getEntriesByName('fe2-first-card')).toHaveLength(1));
  const commands = calls.map((c) => c.cmd).filter((c) => !c.startsWith('plugin:'));
  expect(commands.sort()).toEqual(['app_info', 'get_settings', 'list_licenses']);
});
