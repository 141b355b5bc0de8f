// Owns the translation of every failure into the one error shape. Client mistakes become
// 4xx with a message a person can act on; PostgreSQL errors caused by input (bad uuid, check
// or foreign-key violations, RLS refusals) are 4xx too; a busy database (no connection within
// the acquire timeout, a statement over statement_timeout) is 503 OVERLOADED. Only our own bugs are 500s.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isPoolAcquireTimeout, isStatementTimeout } from '../db/overload.ts';
import type { Metrics } from '../ops/metrics.ts';
import { AppError, conflict, notFound, overloaded, validationError } from './errors.ts';

type PgError = Error & { code?: string; constraint?: string; column?: string; table?: string };

/** Maps a database error caused by client input to an AppError; undefined when it is ours. */
export function databaseErrorToAppError(error: PgError, metrics?: Metrics): AppError | undefined {
  if (isPoolAcquireTimeout(error)) {
    metrics?.poolAcquireTimeouts.inc({ pool: 'app' });
    return overloaded('The service is busy right now. Nothing was changed; please try again shortly.', 2);
  }
  if (isStatementTimeout(error)) {
    // The statement ran past statement_timeout and its transaction rolled back.
    metrics?.statementTimeouts.inc({ pool: 'app' });
    return overloaded('The request took too long and was stopped. Nothing was changed; please try again.', 5);
  }
  switch (error.code) {
    case '22P02': // invalid_text_representation (e.g. a malformed uuid)
    case '22007': // invalid_datetime_format
    case '22008': // datetime_field_overflow
    case '22003': // numeric_value_out_of_range
    case '22001': // string_data_right_truncation
    case '22021': // character_not_in_repertoire (a NUL byte in text)
    case '22P05': // untranslatable_character
    case '22025': // invalid_escape_sequence (LIKE)
    case '2201B': // invalid_regular_expression
    case '54000': // program_limit_exceeded (e.g. a value too large for an index)
    case '23502': // not_null_violation
    case '23514': // check_violation
      return validationError('The request contains a value the register cannot store.', {
        constraint: error.constraint ?? error.column ?? null,
      });
    case '23503': // foreign_key_violation: the referenced row does not exist in this organisation
      return notFound('Referenced resource');
    case '23505': // unique_violation
      return conflict('A record with the same unique value already exists.', {
        constraint: error.constraint ?? null,
      });
    case '57014': // query_canceled: the statement ran past statement_timeout (the transaction rolled back)
      metrics?.statementTimeouts.inc({ pool: 'app' });
      return overloaded(
        'The request took too long and was stopped. Nothing was changed; please try again.',
        5,
      );
    case '42501': // insufficient_privilege: row-level security refused the statement
      metrics?.rlsViolations.inc();
      return notFound();
    default:
      return undefined;
  }
}

export function installErrorHandler(app: FastifyInstance, metrics: Metrics) {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error, metrics);
    if (appError) {
      if ((error as PgError).code === '42501') {
        request.log.warn(
          { event: 'security.rls_refused', err: error, route: request.routeOptions.url },
          'row-level security refused a statement',
        );
      }
      return reply
        .code(appError.status)
        .headers(appError.headers)
        .header('cache-control', 'no-store')
        .send(appError.toBody());
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).header('cache-control', 'no-store').send({
      error: 'Something went wrong on our side. Please try again.',
      code: 'INTERNAL_ERROR',
      details: {},
    });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(notFound(`Route ${request.method} ${request.url.split('?')[0]}`).toBody());
  });
}

function toAppError(error: FastifyError, metrics: Metrics): AppError | undefined {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    return validationError('The request is not valid.', {
      issues: error.validation.map((issue) => ({
        path: `${error.validationContext ?? 'body'}${issue.instancePath.replaceAll('/', '.')}`,
        message: issue.message,
      })),
    });
  }
  const fromDatabase = databaseErrorToAppError(error as PgError, metrics);
  if (fromDatabase) return fromDatabase;
  // Fastify's own client errors: malformed JSON, wrong content type, body too large, ...
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code =
      status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'VALIDATION_ERROR';
    return new AppError(status === 413 || status === 415 ? status : 400, code, clientMessage(error));
  }
  return undefined;
}

function clientMessage(error: FastifyError): string {
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError)
    return 'The body is not valid JSON.';
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'The body is empty but JSON was declared.';
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'The body is too large.';
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return 'This content type is not accepted here.';
  return error.message;
}
