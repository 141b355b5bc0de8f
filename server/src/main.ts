// Composition root: config → logger → database (migrated) → seed → HTTP server (boot.ts).
// `npm start` runs this; it prints the URL, the database in use and the demo logins.
import { startServer } from './boot.ts';
import { systemClock } from './clock.ts';
import { allFeatures } from './features.ts';
import { seedDemoData } from './seed/seed.ts';

startServer({
  port: (config) => config.port,
  // The built-in sync engine reads the WAL; a real Electric (ELECTRIC_URL) does its own.
  requireLogicalWal: (config) => config.electricUrl === undefined,
  features: allFeatures,
  prepare: async (config, db) => (config.seed ? await seedDemoData(db, systemClock) : undefined),
  startupLines: ({ url, config, db, prepared: seeded }) => {
    const lines = [
      `  Sertantai Controls is running at ${url}`,
      `  Database: ${db.description}`,
      config.electricUrl
        ? `  Sync: proxying to Electric at ${config.electricUrl}`
        : '  Sync: built-in engine',
    ];
    if (seeded && seeded.logins.length > 0) {
      lines.push('', '  Demo logins (seeded):');
      for (const login of seeded.logins) {
        lines.push(
          `    ${login.organization.padEnd(22)} ${login.role.padEnd(7)} ${login.email.padEnd(32)} ${login.password}`,
        );
      }
    }
    return lines;
  },
});
