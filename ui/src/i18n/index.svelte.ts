// The tiny translation layer: the chosen language is reactive state, t() reads it.
import { de, type Key } from './de';
import { en } from './en';

/** A UI language. */
export type Lang = 'de' | 'en';

const dictionaries: Record<Lang, Record<Key, string>> = { de, en };

/** The language in force; settings set it, the OS locale never does. */
export const locale = $state<{ lang: Lang }>({ lang: 'de' });

/** True when the dictionary has this key (for keys built from data such as a status). */
export function hasKey(key: string): key is Key {
  return key in de;
}

/** The text for a key in the current language, with {placeholders} filled in. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  const text = dictionaries[locale.lang][key] ?? de[key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
