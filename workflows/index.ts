export { batchDelivery } from './batchDelivery';
export { batcher } from './batcher';
export { callbackEvent } from './callbackEvent';
export { deliveryJob } from './deliveryJob';
export { purgeAttemptLog } from './purgeAttemptLog';
