// The platform the page runs on, for the little the page does differently there.

/** True in WebView2 (Windows): its user agent names the platform; WebKitGTK's names X11 or Wayland. */
export function onWindows(userAgent: string): boolean {
  return /\bWindows\b/.test(userAgent);
}
