import { describe, expect, test } from 'vitest';
import { screen, waitFor } from '@testing-library/svelte';
import { faqLicense, settingsEn, view } from './fixtures';
import { mountApp } from './harness';

describe('renewal reminder on the card', () => {
  const reminder = { date: '2026-07-01T00:00:00Z', days_left: 60, net: '1037.44', gross: '1234.56' };

  test('shows the date and the gross amount of the next renewal from the core', async () => {
    mountApp({ views: [view(faqLicense(), { renewal_reminder: reminder })] });
    const line = await screen.findByTestId('renewal-reminder');
    expect(line.textContent?.trim()).toBe('Verlängerung am 01.07.2026: 1.234,56 € brutto');
  });

  test('without a cached catalog the date alone; in English; none without a reminder', async () => {
    mountApp({
      views: [
        view(faqLicense(), { renewal_reminder: { ...reminder, net: null, gross: null } }),
        view(faqLicense({ email: 'b@x.de' })),
      ],
      settings: settingsEn,
    });
    await waitFor(() =>
      expect(screen.getByTestId('renewal-reminder').textContent?.trim()).toBe('Renewal on 1 Jul 2026'),
    );
    expect(screen.getAllByTestId('renewal-reminder')).toHaveLength(1);
  });
});
