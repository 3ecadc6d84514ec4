/**
 * The package's entry, for receivers: verify a delivered webhook (`v1` HMAC-SHA256 or `v1a`
 * Ed25519). TypeScript source; load it through tsx (`node --import tsx`) or a TypeScript build.
 */
export { verifyWebhook, WebhookVerificationError, type VerificationFailure, type VerifyWebhookOptions, type WebhookHeaders } from './domain/verify';
