/**
 * One realistic example of every catalog type's `data`: shown by `GET /v1/event-types` and sent,
 * marked `test: true`, by `POST /v1/endpoints/:id/test { type }`, so a receiver can build and
 * check its handler for a type before a real call produces one.
 *
 * Every value is invented (555 numbers, example.com hosts, made-up ids); test/unit/catalog.test.ts
 * parses each example with its own type's schema, and the mapped type below makes a missing type
 * a compile error, so the examples cannot drift from the catalog.
 *
 * Each call type fills its sensitive fields on purpose: a test send then shows what an endpoint's
 * payload scope removes.
 */
import type { EventData, EventType } from './catalog';

const callId = 'call_01JD6Q4ZK8V3M2N7P5R9T1W3XY';
const agentId = 'agent_claims_intake';
const metadata = { leadId: 'L-204871', campaign: 'renewal-q4' };

export const catalogExamples: { readonly [T in EventType]: EventData<T> } = {
  call_started: {
    callId,
    agentId,
    metadata,
    direction: 'outbound',
    from: '+15555550142',
    to: '+15555550199',
    startedAt: '2026-11-29T15:02:11Z',
  },
  call_completed: {
    callId,
    agentId,
    metadata,
    startedAt: '2026-11-29T15:02:11Z',
    endedAt: '2026-11-29T15:09:47Z',
    durationMs: 456_000,
    endedReason: 'caller_hangup',
    disposition: 'claim_intake_completed',
    intent: 'file_auto_claim',
    summary: 'Policyholder reported a rear-end collision on Nov 27; no injuries; photos to follow by email.',
    extracted: { policyNumber: 'AUT-88412-03', incidentDate: '2026-11-27', injuries: false },
    transcript: [
      { role: 'agent', text: 'Thanks for calling Northwind Insurance, how can I help?', at: '2026-11-29T15:02:13Z' },
      { role: 'caller', text: 'I need to report an accident from Wednesday.', at: '2026-11-29T15:02:18Z' },
    ],
    recordingUrl: 'https://recordings.example.com/calls/call_01JD6Q4ZK8V3M2N7P5R9T1W3XY.wav',
  },
  disposition_updated: {
    callId,
    agentId,
    metadata,
    disposition: 'appointment_booked',
    previousDisposition: 'callback_requested',
    extracted: { appointmentType: 'annual_physical', clinic: 'Riverside Family Medicine' },
  },
  escalation_requested: {
    callId,
    agentId,
    metadata,
    priority: 'high',
    reasonCode: 'suspected_fraud',
    queue: 'card-fraud-tier2',
    slaDueAt: '2026-11-29T15:40:00Z',
    summary: 'Caller disputes three card-not-present charges from last night and asked for a specialist.',
  },
  callback_scheduled: {
    callId,
    agentId,
    metadata,
    contactToken: 'ct_7f3a9c2e51b84d06',
    window: { start: '2026-12-01T14:00:00Z', end: '2026-12-01T16:00:00Z', timezone: 'America/Chicago' },
    queue: 'billing-callbacks',
    phone: '+15555550142',
  },
  case_created: {
    callId,
    agentId,
    metadata,
    caseId: 'case_55120',
    externalSystem: 'salesforce',
    externalRef: '5003h00000AbCdE',
    category: 'prior_authorization',
    priority: 'normal',
    description: 'Patient requests prior authorization for an MRI ordered by Dr. Alvarez.',
  },
  transcription_ready: {
    callId,
    agentId,
    metadata,
    transcriptId: 'tr_01JD6QA2H4',
    language: 'en-US',
    url: 'https://transcripts.example.com/tr_01JD6QA2H4.json',
    expiresAt: '2026-12-06T15:10:00Z',
    text: 'Agent: Thanks for calling Northwind Insurance, how can I help? Caller: I need to report an accident from Wednesday.',
  },
  recording_ready: {
    callId,
    agentId,
    metadata,
    recordingId: 'rec_01JD6QA9M1',
    format: 'audio/wav',
    durationMs: 456_000,
    url: 'https://recordings.example.com/calls/call_01JD6Q4ZK8V3M2N7P5R9T1W3XY.wav',
    expiresAt: '2026-12-06T15:10:00Z',
  },
  endpoint_test: { callId: 'test', message: 'A test event sent from the callback-events API.' },
  delivery_exhausted: {
    callId,
    deliveryId: 'evt_4be1c07d93a25f6e8d10~ep-crm',
    eventId: 'evt_4be1c07d93a25f6e8d10',
    eventType: 'call_completed',
    endpointId: 'ep-crm',
    status: 'awaiting_review',
    attempts: 8,
    reason: 'receiver answered 503 on every attempt',
  },
  delivery_recovered: {
    callId,
    deliveryId: 'evt_4be1c07d93a25f6e8d10~ep-crm',
    eventId: 'evt_4be1c07d93a25f6e8d10',
    eventType: 'call_completed',
    endpointId: 'ep-crm',
    status: 'delivered',
    attempts: 9,
  },
  endpoint_disabled: {
    endpointId: 'ep-crm',
    reason: 'every attempt failed since 2026-11-28T09:00:00.000Z',
    disabledAt: '2026-11-29T09:00:00Z',
  },
  endpoint_enabled: { endpointId: 'ep-crm', enabledAt: '2026-11-29T11:30:00Z' },
};
