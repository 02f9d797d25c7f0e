import { createHmac, randomBytes } from 'node:crypto';

/** The three headers of a Standard Webhooks request (standardwebhooks.com). */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs `body` the Standard Webhooks way: `webhook-signature` is `v1,` and the base64
 * HMAC-SHA256, under `secret` (the bytes after `whsec_`), of `<id>.<timestamp>.<body>`. A new
 * random `webhook-id` each time; `webhook-timestamp` in seconds, so the receiver can refuse
 * replays outside its tolerance.
 */
export function signWebhook(secret: Buffer, body: string, nowMs: number): WebhookHeaders {
  const id = `msg_${randomBytes(16).toString('base64url')}`;
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
