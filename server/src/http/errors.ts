// Owns the one HTTP error shape: {"error": "<for a person>", "code": "<UPPER_SNAKE>", "details": {...}}.
// Code throws these factories; the error handler in http/error-handler.ts turns them into responses.

export type ErrorDetails = Record<string, unknown>;

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetails = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody() {
    return { error: this.message, code: this.code, details: this.details };
  }
}

export const validationError = (message: string, details: ErrorDetails = {}) =>
  new AppError(400, 'VALIDATION_ERROR', message, details);

export const unauthorized = (code: string, message: string, details: ErrorDetails = {}) =>
  new AppError(401, code, message, details);

export const forbidden = (message = 'Your role does not allow this action.', details: ErrorDetails = {}) =>
  new AppError(403, 'FORBIDDEN', message, details);

/** Also used for another organisation's ids: never reveal that they exist. */
export const notFound = (what = 'Resource') => new AppError(404, 'NOT_FOUND', `${what} not found.`);

export const conflict = (message: string, details: ErrorDetails = {}) =>
  new AppError(409, 'CONFLICT', message, details);

export const rateLimited = (retryAfterSeconds: number) =>
  new AppError(
    429,
    'RATE_LIMITED',
    `Too many attempts. Try again in ${retryAfterSeconds} seconds.`,
    { retry_after: retryAfterSeconds },
    { 'retry-after': String(retryAfterSeconds) },
  );

export const upstreamUnavailable = (message: string, retryAfterSeconds = 5, status = 503) =>
  new AppError(
    status,
    'UPSTREAM_UNAVAILABLE',
    message,
    { retry_after: retryAfterSeconds },
    {
      'retry-after': String(retryAfterSeconds),
    },
  );

/**
 * The service is too busy right now (no connection free, a statement over its timeout, the
 * snapshot queue full, load shedding): nothing was changed; try again after `retryAfterSeconds`.
 */
export const overloaded = (message: string, retryAfterSeconds = 2, details: ErrorDetails = {}) =>
  new AppError(
    503,
    'OVERLOADED',
    message,
    { ...details, retry_after: retryAfterSeconds },
    { 'retry-after': String(retryAfterSeconds) },
  );
