/**
 * Event types the service emits about itself. Shared by the catalog and the workflow (which
 * must not emit operational events about operational events, or a failing endpoint would loop).
 */
export const OPERATIONAL_EVENT_TYPES = [
  'delivery_exhausted',
  'delivery_recovered',
  'endpoint_disabled',
  'endpoint_enabled',
] as const;

export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export function isOperational(type: string): type is OperationalEventType {
  return (OPERATIONAL_EVENT_TYPES as readonly string[]).includes(type);
}

/** Temporal task priority: 1 is first; tasks without one are 3 (the default of 1–5). */
export const URGENT_PRIORITY_KEY = 1;

/** Escalations a person should act on now take the priority lane. */
export function isUrgent(event: { type: string; data: Record<string, unknown> }): boolean {
  return event.type === 'escalation_requested' && (event.data.priority === 'urgent' || event.data.priority === 'high');
}
