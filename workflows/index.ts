export { batchDelivery } from './batchDelivery';
export { batcher } from './batcher';
export { callbackEvent } from './callbackEvent';
export { callSequencer } from './callSequencer';
export { coalescer } from './coalescer';
export { deliveryJob } from './deliveryJob';
export { purgeAttemptLog } from './purgeAttemptLog';
export { tenantDeletion } from './tenantDeletion';
