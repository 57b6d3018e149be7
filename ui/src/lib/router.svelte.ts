// Hash routing: #/, #/license/<e-mail>[/change|/doctor|/request/<topic>], #/settings, #/add, #/budget, #/log.

/** A parsed route. */
export type Route =
  | { name: 'dashboard' }
  | { name: 'detail'; email: string }
  | { name: 'change'; email: string }
  | { name: 'request'; email: string; topic: string }
  | { name: 'settings' }
  | { name: 'budget' }
  | { name: 'log' }
  | { name: 'add'; email: string }
  | { name: 'doctor'; email: string }
  | { name: 'unknown' };

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Parses a location hash. */
export function parseHash(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0) return { name: 'dashboard' };
  if (parts[0] === 'settings' && parts.length === 1) return { name: 'settings' };
  if (parts[0] === 'budget' && parts.length === 1) return { name: 'budget' };
  if (parts[0] === 'log' && parts.length === 1) return { name: 'log' };
  if (parts[0] === 'add' && parts.length === 1) {
    return { name: 'add', email: new URLSearchParams(query).get('email') ?? '' };
  }
  if (parts[0] === 'license' && parts.length >= 2) {
    const email = decode(parts[1]);
    if (parts.length === 2) return { name: 'detail', email };
    if (parts.length === 3 && parts[2] === 'change') return { name: 'change', email };
    if (parts.length === 3 && parts[2] === 'doctor') return { name: 'doctor', email };
    if (parts.length === 4 && parts[2] === 'request') return { name: 'request', email, topic: decode(parts[3]) };
  }
  return { name: 'unknown' };
}

/** Encodes an e-mail for a hash path, keeping the @ readable. */
function enc(email: string): string {
  return encodeURIComponent(email).replace(/%40/g, '@');
}

/** Hash links of the routes. */
export const href = {
  dashboard: () => '#/',
  detail: (email: string) => `#/license/${enc(email)}`,
  change: (email: string) => `#/license/${enc(email)}/change`,
  doctor: (email: string) => `#/license/${enc(email)}/doctor`,
  request: (email: string, topic: string) => `#/license/${enc(email)}/request/${topic}`,
  settings: () => '#/settings',
  budget: () => '#/budget',
  log: () => '#/log',
  add: (email = '') => (email ? `#/add?email=${encodeURIComponent(email)}` : '#/add'),
};

/** The current route, kept in step with the location hash. */
export const router = $state<{ route: Route }>({ route: parseHash(location.hash) });

/** Starts following hashchange; returns the function that stops it. */
export function followHash(): () => void {
  const update = () => {
    router.route = parseHash(location.hash);
  };
  update();
  window.addEventListener('hashchange', update);
  return () => window.removeEventListener('hashchange', update);
}

/** Navigates to a hash link. */
export function go(link: string): void {
  if (location.hash !== link) location.hash = link;
  router.route = parseHash(link);
}

/** The route one level up (Esc): sub-forms go to their license, a license to the dashboard. */
export function parentOf(route: Route): string | null {
  switch (route.name) {
    case 'change':
    case 'request':
    case 'doctor':
      return href.detail(route.email);
    case 'dashboard':
      return null;
    default:
      return href.dashboard();
  }
}
