// Owns one webhook attempt: POST the JSON body, signed, to the webhook's URL through the SSRF
// guard, within a timeout; the answer is an outcome, never a throw. Redirects are not followed
// (a 3xx is a failed attempt), so a receiver cannot bounce the server to an internal address.
// The timeout bounds the whole attempt up to the status line and headers (not only silence
// between bytes, which a receiver trickling one byte at a time never lets happen), and the
// receiver's body is never read: the connection is closed once its status is known.
//
// Signature: `X-Sertantai-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the
// webhook's secret>`. The body carries the delivery id and its creation time; receivers compare
// the signature in constant time and may drop a delivery id they have seen (docs/api.md).
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { AddressRefused, guardedLookup, isPublicAddress, parseWebhookUrl } from './address-policy.ts';

export const SIGNATURE_HEADER = 'x-sertantai-signature';

export type AttemptOutcome =
  | { outcome: 'delivered'; status: number }
  | { outcome: 'failed'; status: number | null; error: string }
  | { outcome: 'blocked'; status: null; error: string };

export function signatureOf(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export type WebhookRequest = {
  url: string;
  secret: string;
  body: string;
  deliveryId: string;
  event: string;
  allowPrivate: boolean;
  timeoutMs: number;
};

export async function postWebhook(request: WebhookRequest): Promise<AttemptOutcome> {
  let url: URL;
  try {
    url = parseWebhookUrl(request.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (!request.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
      throw new AddressRefused(`${host} is a loopback, private or reserved address`);
    }
  } catch (error) {
    return { outcome: 'blocked', status: null, error: `URL refused: ${(error as Error).message}` };
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<AttemptOutcome>((resolve) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(request.allowPrivate),
        timeout: request.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(request.body),
          'user-agent': 'Sertantai-Webhooks/1',
          'x-sertantai-event': request.event,
          'x-sertantai-delivery': request.deliveryId,
          [SIGNATURE_HEADER]: signatureOf(request.secret, request.body),
        },
      },
      (res) => {
        clearTimeout(deadline);
        const status = res.statusCode ?? 0;
        // The status is the answer: a body (endless, huge or trickled) would only hold the connection.
        res.destroy();
        resolve(
          status >= 200 && status < 300
            ? { outcome: 'delivered', status }
            : { outcome: 'failed', status, error: `receiver answered ${status}` },
        );
      },
    );
    const late = () => req.destroy(new Error(`no answer within ${request.timeoutMs} ms`));
    const deadline = setTimeout(late, request.timeoutMs);
    req.on('timeout', late);
    req.on('error', (error) => {
      clearTimeout(deadline);
      resolve(
        error instanceof AddressRefused
          ? { outcome: 'blocked', status: null, error: `URL refused: ${error.message}` }
          : { outcome: 'failed', status: null, error: error.message },
      );
    });
    req.end(request.body);
  });
}
