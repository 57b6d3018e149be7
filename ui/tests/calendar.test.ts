import { describe, expect, test } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { faqLicense, settingsEn, view } from './fixtures';
import { ipcError, mountApp } from './harness';

const PATH = '/home/kommune/Downloads/fe2-lizenzen.ics';

describe('calendar export', () => {
  test('the button saves the file once and says where, with progress meanwhile', async () => {
    let release: (path: string) => void = () => {};
    const { count } = mountApp({
      views: [view(faqLicense())],
      hash: '#/budget',
      handlers: {
        budget: () => [],
        export_calendar: () => new Promise<string>((resolve) => (release = resolve)),
      },
    });
    const button = (await screen.findByTestId('calendar-export')) as HTMLButtonElement;
    expect(button.textContent?.trim()).toBe('Kalender exportieren');
    await fireEvent.click(button);
    await waitFor(() => expect(button.disabled).toBe(true));
    expect(screen.getByText('Kalender wird gespeichert …')).toBeTruthy();
    // A second click while it runs does not start another export.
    await fireEvent.click(button);
    release(PATH);
    await waitFor(() =>
      expect(screen.getByTestId('calendar-saved').textContent).toBe(`Kalender gespeichert: ${PATH}`),
    );
    expect(button.disabled).toBe(false);
    expect(count('export_calendar')).toBe(1);
  });

  test('a failure is explained; English texts', async () => {
    mountApp({
      views: [view(faqLicense())],
      settings: settingsEn,
      hash: '#/budget',
      handlers: { budget: () => [], export_calendar: ipcError('io', { path: PATH }, 'disk full') },
    });
    const button = await screen.findByTestId('calendar-export');
    await waitFor(() => expect(button.textContent?.trim()).toBe('Export calendar'));
    await fireEvent.click(button);
    expect(await screen.findByRole('alert')).toBeTruthy();
    expect(screen.queryByTestId('calendar-saved')).toBeNull();
  });
});
