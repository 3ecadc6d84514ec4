/**
 * The contract between the workflows and everything else: signals, queries, search attributes,
 * workflow ids, the shapes that cross the boundary, failure types, event kinds and the activities'
 * interface. Imports nothing but the Temporal SDK's workflow-safe parts, so workflow code and
 * clients share it alike.
 */
export * from './activities';
export * from './batching';
export * from './coalescing';
export * from './eventKinds';
export * from './failures';
export * from './ids';
export * from './searchAttributes';
export * from './sequencing';
export * from './signals';
export * from './statuses';
export * from './tenants';
export * from './types';
