export { callbackEvent } from './callbackEvent';
