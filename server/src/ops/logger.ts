// Owns the one logger: structured JSON lines (pino). Tokens, passwords and cookies are
// redacted wherever they appear in a logged object.
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'sertantai'): Logger {
  return pino({
    name,
    level,
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
      ],
      censor: '[redacted]',
    },
  });
}
