// Copying text with the web view's own clipboard (WebKitGTK, WebView2) instead of a Tauri plugin:
// the plugin linked X11 and Wayland clipboard clients into the Linux binary (docs/performance.md).
import type { AppError } from './errors';

/**
 * Copies `text`. Call it from the click handler before any `await`: engines allow page code to
 * write the clipboard only during a user's action. The asynchronous Clipboard API first, else
 * the older copy command on a hidden text field; an `AppError` with code `clipboard` when both fail.
 */
export async function copyText(text: string): Promise<void> {
  const modern = navigator.clipboard?.writeText?.(text);
  if (modern) {
    try {
      await modern;
      return;
    } catch {
      // Refused (no user action seen, a permission): the copy command may still be allowed.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } finally {
    area.remove();
  }
  if (!copied) {
    const failure: AppError = { code: 'clipboard', message: 'cannot copy to the clipboard', details: {} };
    throw failure;
  }
}
