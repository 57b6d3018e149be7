// Svelte compiler options: component CSS goes into the emitted CSS file (the CSP forbids
// injected <style> elements), and runes mode everywhere.
export default {
  compilerOptions: { runes: true, css: 'external' },
};
