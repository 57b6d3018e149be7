import { describe, expect, test } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/svelte';
import { faqLicense, settingsEn, view } from './fixtures';
import { ipcError, mountApp } from './harness';

const PATH = '/home/kommune/Downloads/fe2-lizenzen.ics';

describe('calendar export', () => {
  test('the button saves the file once and says where, with progress meanwhile', async () => {
    let release: (saved: { path: string; replaced: boolean }) => void = () => {};
    const { count } = mountApp({
      views: [view(faqLicense())],
      hash: '#/budget',
      handlers: {
        budget: () => [],
        export_calendar: () => new Promise((resolve) => (release = resolve)),
      },
    });
    const button = (await screen.findByTestId('calendar-export')) as HTMLButtonElement;
    expect(button.textContent?.trim()).toBe('Kalender exportieren');
    await fireEvent.click(button);
    await waitFor(() => expect(button.disabled).toBe(true));
    expect(screen.getByText('Kalender wird gespeichert …')).toBeTruthy();
    // A second click while it runs does not start another export.
    await fireEvent.click(button);
    release({ path: PATH, replaced: false });
    await waitFor(() =>
      expect(screen.getByTestId('calendar-saved').textContent?.trim()).toBe(`Kalender gespeichert: ${PATH}`),
    );
    expect(button.disabled).toBe(false);
    expect(count('export_calendar')).toBe(1);
  });

  test('a replaced earlier export is said', async () => {
    mountApp({
      views: [view(faqLicense())],
      hash: '#/budget',
      handlers: { budget: () => [], export_calendar: { path: PATH, replaced: true } },
    });
    await fireEvent.click(await screen.findByTestId('calendar-export'));
    const saved = await screen.findByTestId('calendar-saved');
    expect(saved.dataset.replaced).toBe('true');
    expect(saved.textContent).toContain('Die frühere Datei mit diesem Namen wurde ersetzt');
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
