// The tiny translation layer: the chosen language is reactive state, t() reads it. Only the
// first page's German texts are in the first bundle; the other pages' German texts and the
// English texts are chunks loaded on demand (docs/performance.md).
import { de, type Key } from './de';

/** A UI language. */
export type Lang = 'de' | 'en';

/** The language in force; settings set it (setLanguage), the OS locale never does. */
export const locale = $state<{ lang: Lang }>({ lang: 'de' });

type Texts = Partial<Record<Key, string>>;

// Replaced as a whole when a chunk arrives, so that every t() that ran before runs again.
let texts = $state.raw<{ de: Texts; en: Texts | null }>({ de, en: null });

let switches = 0;

/** A loader that runs once, and again after a failure (a chunk that could not be fetched). */
function once(load: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  return () =>
    (running ??= load().catch((e: unknown) => {
      running = null;
      throw e;
    }));
}

/** Loads the German texts of the pages after the first. */
export const loadPageTexts = once(async () => {
  const { dePages } = await import('./de-pages');
  texts = { ...texts, de: { ...texts.de, ...dePages } };
});

const loadEnglish = once(async () => {
  const { en } = await import('./en');
  texts = { ...texts, en };
});

/**
 * Switches the language once its texts are there (German at once). The last call wins; when
 * the English texts cannot be loaded the language stays as it was and the error is returned.
 */
export async function setLanguage(lang: Lang): Promise<void> {
  const mine = ++switches;
  if (lang === 'en') await loadEnglish();
  if (mine !== switches) return;
  locale.lang = lang;
  document.documentElement.lang = lang;
}

/** True when the loaded texts have this key (for keys built from data such as a status). */
export function hasKey(key: string): key is Key {
  return key in texts.de;
}

/** The text for a key in the current language, with {placeholders} filled in. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = (locale.lang === 'en' ? texts.en?.[key] : undefined) ?? texts.de[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
