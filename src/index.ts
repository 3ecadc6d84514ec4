/**
 * The package's entry, for receivers: verify a delivered webhook (`v1` HMAC-SHA256 or `v1a`
 * Ed25519). TypeScript source; load it through tsx (`node --import tsx`) or a TypeScript build.
 */
export {
  isWebhookVerificationError,
  verifyTraceparent,
  verifyWebhook,
  type VerificationFailure,
  type VerifyWebhookOptions,
  type WebhookHeaders,
  type WebhookVerificationError,
} from './domain/verify';
/** What verifyWebhook throws: code `webhook_unverified`, `details.reason` a VerificationFailure (isWebhookVerificationError). */
export { CallbackEventsError, type ErrorCode } from './errors';
