export { callbackEvent } from './callbackEvent';
export { deliveryJob } from './deliveryJob';
export { purgeAttemptLog } from './purgeAttemptLog';
