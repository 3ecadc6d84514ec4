/**
 * Where to go once logged in: `?next=` names the page that sent the browser here (the Temporal UI
 * at /ui sends a browser without a session to /console?next=/ui/…). Only a path on this origin is
 * followed, so a link elsewhere cannot use the login to send anyone off-site.
 */
export function nextPage() {
  const next = new URLSearchParams(location.search).get('next');
  if (!next || !next.startsWith('/')) return undefined;
  try {
    const url = new URL(next, location.origin);
    return url.origin === location.origin ? url.pathname + url.search + url.hash : undefined;
  } catch {
    return undefined;
  }
}
