// Owns the controls feature's wiring (routes in routes.ts, commands in service.ts).
import { defineFeature } from '../app.ts';
import { registerControlRoutes } from './routes.ts';

export const controlsFeature = defineFeature(
  { name: 'controls', dependencies: ['identity'] },
  async (app, deps) => registerControlRoutes(app, deps),
);
