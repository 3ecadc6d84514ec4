/** Dates as the operator's browser reads them, with the ISO instant on hover. */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A `datetime-local` input's value (local time) as an ISO instant, or undefined when empty. */
export function isoFromLocal(value) {
  return value ? new Date(value).toISOString() : undefined;
}

/** An ISO instant as a `datetime-local` value in local time. */
export function localFromIso(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const pretty = (value) => JSON.stringify(value, null, 2);
