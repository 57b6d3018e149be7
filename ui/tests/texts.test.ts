// The first page's modules use only the first page's texts (de.ts): the other pages' German
// texts (de-pages.ts) arrive later, with the first page opened (Page.svelte). A key from there
// in the first page would show as the bare key. The first page's modules are those main.ts
// reaches through static imports; dynamic imports (the pages) and type imports do not count.
import { describe, expect, it, vi } from 'vitest';
import { de } from '../src/i18n/de';
import { dePages } from '../src/i18n/de-pages';
import { en } from '../src/i18n/en';

// Every source file's text, by its path under src/.
const sources: Record<string, string> = Object.fromEntries(
  Object.entries(
    import.meta.glob<string>('../src/**/*.{ts,svelte}', { query: '?raw', import: 'default', eager: true }),
  ).map(([path, text]) => [path.replace('../src/', ''), text]),
);

/** The path under src/ that an import names, or null for a package or a stylesheet. */
function resolveImport(from: string, spec: string): string | null {
  const parts = from.split('/').slice(0, -1);
  for (const part of spec.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '.') parts.push(part);
  }
  const base = parts.join('/');
  return [base, `${base}.ts`, `${base}.svelte.ts`].find((p) => /\.(ts|svelte)$/.test(p) && p in sources) ?? null;
}

/** The files main.ts reaches through static value imports. */
function firstPageModules(): Set<string> {
  const seen = new Set<string>();
  const todo = ['main.ts'];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of sources[file].matchAll(/^\s*import\s+(?!type\b)(?:[^'";]*?\s+from\s+)?'(\.[^']+)'/gm)) {
      const target = resolveImport(file, m[1]);
      if (target) todo.push(target);
    }
  }
  return seen;
}

const pageKeys = new Set(Object.keys(dePages));
const firstKeys = new Set(Object.keys(de));

describe('texts loaded on demand', () => {
  const modules = firstPageModules();
  const names = [...modules];

  it('finds the first page and not the pages loaded later', () => {
    for (const name of ['App.svelte', 'views/Dashboard.svelte', 'views/LicenseCard.svelte', 'lib/errors.ts', 'i18n/de.ts']) {
      expect(names).toContain(name);
    }
    for (const name of ['views/Detail.svelte', 'views/ChangeForm.svelte', 'lib/orderLabels.ts', 'i18n/de-pages.ts', 'i18n/en.ts']) {
      expect(names).not.toContain(name);
    }
  });

  it.each(names.filter((n) => !n.startsWith('i18n/')))('%s uses no page-only text', (name) => {
    const text = sources[name];
    const literals = [...text.matchAll(/'([a-zA-Z]+\.[\w.]+)'/g)].map((m) => m[1]);
    expect(literals.filter((k) => pageKeys.has(k))).toEqual([]);
    // Keys built from data (`status.${status}`): no key with that prefix may be a page text.
    const prefixes = [...text.matchAll(/`([a-zA-Z]+)\.\$\{/g)].map((m) => `${m[1]}.`);
    for (const prefix of prefixes) {
      expect([...pageKeys].filter((k) => k.startsWith(prefix)), prefix).toEqual([]);
    }
  });

  it('has each key once, in German and in English', () => {
    expect([...firstKeys].filter((k) => pageKeys.has(k))).toEqual([]);
    expect(Object.keys(en).sort()).toEqual([...firstKeys, ...pageKeys].sort());
  });
});

describe('loading', () => {
  // A fresh module: the shared set-up has loaded the English texts already.
  async function freshTexts() {
    vi.resetModules();
    return import('../src/i18n/index.svelte');
  }

  it('has the page texts only after loading them', async () => {
    const i18n = await freshTexts();
    expect(i18n.t('dashboard.heading')).toBe(de['dashboard.heading']);
    expect(i18n.t('budget.heading')).toBe('budget.heading');
    expect(i18n.hasKey('orderType.switch_order')).toBe(false);
    await i18n.loadPageTexts();
    expect(i18n.t('budget.heading')).toBe('Haushaltsplanung');
    expect(i18n.hasKey('orderType.switch_order')).toBe(true);
  });

  it('switches to English once its texts are there, and the last switch wins', async () => {
    const i18n = await freshTexts();
    const english = i18n.setLanguage('en');
    expect(i18n.locale.lang).toBe('de');
    await english;
    expect(i18n.locale.lang).toBe('en');
    expect(i18n.t('app.title')).toBe('FE2 License Manager');
    expect(document.documentElement.lang).toBe('en');
    const late = i18n.setLanguage('en');
    await i18n.setLanguage('de');
    await late;
    expect(i18n.locale.lang).toBe('de');
  });
});
