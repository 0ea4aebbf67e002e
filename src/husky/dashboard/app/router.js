// Hash routes (`#/runs/42`, `#/audit?job=etl`): deep links need nothing from the server.

import { useEffect, useState } from '../vendor/htm-preact-standalone.js';

export function parse(hash = location.hash) {
  const text = hash.replace(/^#/, '') || '/';
  const [path, search = ''] = text.split('?', 2);
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, query: Object.fromEntries(new URLSearchParams(search)) };
}

export function href(path, query) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const tail = search.toString();
  return `#${path}${tail ? `?${tail}` : ''}`;
}

export function navigate(path, query, { replace = false } = {}) {
  const target = href(path, query);
  if (replace) {
    history.replaceState(history.state, '', target);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = target;
  }
}

export function useRoute() {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const update = () => setRoute(parse());
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

export const jobHref = (name) => href(`/jobs/${encodeURIComponent(name)}`);
export const runHref = (id) => href(`/runs/${id}`);
