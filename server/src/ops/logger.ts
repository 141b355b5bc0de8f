// Owns the one logger: structured JSON lines (pino). Tokens, passwords and cookies are
// redacted wherever they appear in a logged object, and the request line's URL has the values
// of query parameters that can carry a credential (token, refresh_token, access_token, secret,
// api_secret, password…) replaced, so an old `/invitation?token=…` link or an internal
// `?secret=…` request never writes its credential into the log.
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

const CREDENTIAL_PARAMS = new Set([
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'secret',
  'api_secret',
  'api_key',
  'key',
  'password',
  'code',
]);

const REDACTED = '[redacted]';

/** The URL with the value of every credential-carrying query parameter replaced. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const pairs = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const end = pair.indexOf('=');
      const rawName = end < 0 ? pair : pair.slice(0, end);
      return CREDENTIAL_PARAMS.has(paramName(rawName)) ? `${rawName}=${REDACTED}` : pair;
    });
  return `${url.slice(0, start)}?${pairs.join('&')}`;
}

function paramName(raw: string): string {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' ')).trim().toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/** Fastify's request serializer, with the URL redacted. */
type LoggedRequest = {
  method: string;
  url: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
};
const serializeRequest = (request: LoggedRequest) => ({
  method: request.method,
  url: redactUrl(request.url),
  host: request.host,
  remoteAddress: request.ip,
  remotePort: request.socket?.remotePort,
});

export function createLogger(level: string, name = 'sertantai', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    serializers: { req: serializeRequest },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.password_hash',
        '*.access_token',
        '*.refresh_token',
        '*.token',
        '*.secret',
      ],
      censor: REDACTED,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
