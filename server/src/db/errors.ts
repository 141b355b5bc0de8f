// Owns the error a database start-up problem is reported with: one line for the operator,
// printed by boot.ts without a stack trace.
export class DatabaseStartupError extends Error {}
