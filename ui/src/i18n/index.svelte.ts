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

let pageTexts: Promise<void> | null = null;
let englishTexts: Promise<void> | null = null;
let switches = 0;

/** Loads the German texts of the pages after the first (once; again after a failure). */
export function loadPageTexts(): Promise<void> {
  pageTexts ??= import('./de-pages').then(
    ({ dePages }) => {
      texts = { ...texts, de: { ...texts.de, ...dePages } };
    },
    (e: unknown) => {
      pageTexts = null;
      throw e;
    },
  );
  return pageTexts;
}

function loadEnglish(): Promise<void> {
  englishTexts ??= import('./en').then(
    ({ en }) => {
      texts = { ...texts, en };
    },
    (e: unknown) => {
      englishTexts = null;
      throw e;
    },
  );
  return englishTexts;
}

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
