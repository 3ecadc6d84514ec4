import { useEffect, useState } from 'preact/hooks';

/**
 * Pages live in the URL's hash (#/endpoints/ep-1, #/deliveries?status=discarded), so a reload or a
 * shared link opens the same page, and the server serves one page for all of them.
 */

function parse() {
  const raw = location.hash.replace(/^#/, '') || '/endpoints';
  const [path, search = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: Object.fromEntries(new URLSearchParams(search)) };
}

export function useRoute() {
  const [route, setRoute] = useState(parse);
  useEffect(() => {
    const update = () => setRoute(parse());
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** A hash link: href(['deliveries', id], { status }). */
export function href(parts, params = {}) {
  const search = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '')).toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`;
}

export function go(parts, params) {
  location.hash = href(parts, params);
}
