// The shared core: pure rules and facts (no I/O, no clock, no Node or browser API), imported by
// name as `@sertantai/core` from the server, the web app, the benches and the scripts. It ships
// as TypeScript source: tsx, Vitest and Vite read it directly, and `npm run build:server`
// bundles it into dist/ (the only workspace package the server bundle does not leave external).
export * from './attention.ts';
export * from './distance.ts';
export * from './quadrant.ts';
export * from './risk.ts';
export * from './roles.ts';
export * from './rows.ts';
export * from './strategies.ts';
export * from './tables.ts';
