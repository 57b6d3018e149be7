import { mount } from 'svelte';
import App from './App.svelte';
import { setLanguage } from './i18n/index.svelte';
import { startLanguage } from './lib/store.svelte';
import { onWindows } from './lib/platform';
import './app.css';

// Windows' UI font (app.css): set before the first layout.
if (onWindows(navigator.userAgent)) document.documentElement.classList.add('windows');

const mountApp = () => mount(App, { target: document.getElementById('app') as HTMLElement });

// German mounts at once, while the page loads. English texts are a chunk of their own: an English
// page waits for them (a local file) rather than flashing German, and starts in German without them.
if (startLanguage() === 'en') {
  void setLanguage('en')
    .catch(() => undefined)
    .finally(mountApp);
} else {
  mountApp();
}
