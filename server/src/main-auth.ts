// The identity service on its own (`npm run start:auth`): the /auth routes and GET /api/me,
// /health and /metrics, on AUTH_PORT (default 4001), against the same database as the main
// server. For the setup where one identity service serves several Sertantai apps: they accept
// its tokens because they share SHARED_TOKEN_SECRET and the claim format. With the embedded
// database, a running `npm start` is attached to (same DATA_DIR), never started twice.
import { identityFeature } from './auth/feature.ts';
import { startServer } from './boot.ts';
import { ConfigError } from './config.ts';

function authPort(value: string | undefined): number {
  if (value === undefined || value === '') return 4001;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError([`AUTH_PORT: must be a port number (0-65535), got "${value}"`]);
  }
  return port;
}

startServer({
  loggerName: 'sertantai-auth',
  port: () => authPort(process.env.AUTH_PORT),
  requireLogicalWal: () => false,
  features: [identityFeature],
  startupLines: ({ url, db }) => [
    `  Sertantai identity service is running at ${url}`,
    `  Database: ${db.description}`,
  ],
});
