// Turns every failure into a message a person understands. The server answers errors as
// {"error": "<for a person>", "code": "<UPPER_SNAKE>", "details": {...}}; network failures and
// odd answers get their own plain-language messages here.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** True when the request never reached the server (offline, server down, DNS…). */
  get isNetwork(): boolean {
    return this.status === 0;
  }
}

const FALLBACK: Record<number, string> = {
  400: 'Some of the information is not valid. Check the form and try again.',
  401: 'Your session has ended. Please sign in again.',
  403: 'Your role does not allow this action.',
  404: 'This item no longer exists, or it belongs to another organisation.',
  409: 'Someone else changed this at the same time. Reload and try again.',
  413: 'The file is too large.',
  429: 'Too many attempts. Wait a moment and try again.',
};

export function networkError(): ApiError {
  return new ApiError(
    0,
    'NETWORK',
    'Cannot reach the server. Check your connection; changes you log are kept and sent when you are back online.',
  );
}

/** Reads an error answer into an ApiError with the server's message when it sent one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const message =
    typeof record.error === 'string' && record.error.trim() !== ''
      ? record.error
      : (FALLBACK[response.status] ??
        (response.status >= 500
          ? 'The server had a problem. Please try again in a moment.'
          : `The request failed (${response.status}).`));
  const code = typeof record.code === 'string' ? record.code : `HTTP_${response.status}`;
  const details =
    typeof record.details === 'object' && record.details !== null
      ? (record.details as Record<string, unknown>)
      : {};
  return new ApiError(response.status, code, message, details);
}

/** A person-readable message for anything thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    const issues = error.details.issues;
    if (Array.isArray(issues) && issues.length > 0) {
      const first = issues[0] as { path?: string; message?: string };
      if (first?.message) return `${error.message} (${first.path ? `${first.path}: ` : ''}${first.message})`;
    }
    return error.message;
  }
  if (error instanceof TypeError) return networkError().message;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong. Please try again.';
}
