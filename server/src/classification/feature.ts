// Owns the classification feature's wiring: the time sweep runs at start and on the configured
// interval (not under NODE_ENV=test, where tests run it with `app.runSweep()` after moving the
// ManualClock), and stops when the server closes. It decorates the whole app with runSweep.
import { defineFeature } from '../app.ts';
import { createSweeper, type SweepOptions, type SweepResult } from './sweeper.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Runs the time sweep now, across every organisation. */
    runSweep: (options?: SweepOptions) => Promise<SweepResult>;
  }
}

export const classificationFeature = defineFeature(
  { name: 'classification', decoratesApp: true },
  async (app, deps) => {
    const sweeper = createSweeper({
      pool: deps.db.appPool,
      lockPool: deps.db.ownerPool,
      clock: deps.clock,
      log: deps.log,
      events: deps.events,
      lockGroup: deps.config.syncEngineGroup,
    });
    app.decorate('runSweep', (options?: SweepOptions) => sweeper.runOnce(options));
    if (deps.config.env !== 'test') {
      app.addHook('onReady', async () => {
        void sweeper.start(deps.config.sweepIntervalSeconds).catch(() => {});
      });
    }
    app.addHook('onClose', () => sweeper.stop());
  },
);
