// Owns the one logger: structured JSON lines (pino). Tokens, passwords and cookies are
// redacted wherever they appear in a logged object.
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/** Writes to stdout, or to `destination` (tests read the raw lines). */
export function createLogger(level: string, name = 'sertantai', destination?: DestinationStream): Logger {
  return pino(
    {
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
    },
    destination,
  );
}
