import type { WebhookClient } from '../src/http/webhookClient';
import { signedPost } from './signedPost';

/** The ceiling workflow's one activity: the same signed POST as a delivery, nothing else. */
export function createCeilingActivities(client: WebhookClient, url: string, secret: string) {
  return {
    async post(id: string): Promise<void> {
      const outcome = await signedPost(client, url, secret, id);
      // A failure retries like a delivery would (the receiver answers 200, so this is rare).
      if (!outcome.ok) throw new Error(outcome.message);
    },
  };
}

export type CeilingActivities = ReturnType<typeof createCeilingActivities>;
