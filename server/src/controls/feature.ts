// Owns the controls feature's wiring (routes in routes.ts, commands in service.ts).
import type { Feature } from '../app.ts';
import { registerControlRoutes } from './routes.ts';

export const controlsFeature: Feature = (app, deps) => {
  registerControlRoutes(app, deps);
};
