// Owns how an import request is answered, the same for every importer. The whole file is
// checked, then written, in one tenant transaction: a bad file is a 400 listing every problem
// and nothing is written. ?dry_run=true checks only (read-only). ?progress=true, once the file
// has passed its checks, answers 200 with application/x-ndjson: a line {"done", "total"} after
// each batch written, then {"imported", "txid"} — or {"error", "code"} if the write failed, in
// which case the transaction rolled back and nothing was written.
import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { FeatureDeps } from '../app.ts';
import { currentTxid } from '../db/tenant.ts';
import { databaseErrorToAppError } from '../http/error-handler.ts';
import { AppError } from '../http/errors.ts';
import { inTenant, readInTenant } from '../http/tenant-context.ts';
import type { Importer } from './importer.ts';

export const importQuery = z
  .object({
    dry_run: z.enum(['true', 'false']).default('false'),
    progress: z.enum(['true', 'false']).default('false'),
  })
  .strict();

export const importResponses = {
  200: z
    .object({ dry_run: z.literal(true), would_import: z.number().int() })
    .describe('a dry run; with ?progress=true, application/x-ndjson progress lines instead'),
  201: z.object({ imported: z.number().int(), txid: z.number().int() }),
};

const ndjson = (value: unknown) => `${JSON.stringify(value)}\n`;

export async function answerImport(
  deps: FeatureDeps,
  importer: Importer,
  request: FastifyRequest,
  reply: FastifyReply,
  query: z.infer<typeof importQuery>,
) {
  if (typeof request.body !== 'string') {
    throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the file as text/csv.');
  }
  const text = request.body;
  if (query.dry_run === 'true') {
    const count = await readInTenant(deps.db, request, async (tx) => (await importer(tx, text)).count);
    return reply.code(200).send({ dry_run: true, would_import: count });
  }
  const now = deps.clock.now();
  if (query.progress !== 'true') {
    const result = await inTenant(deps.db, request, async (tx) => {
      const checked = await importer(tx, text);
      await checked.write(tx, now, deps.events, () => {});
      return { imported: checked.count, txid: await currentTxid(tx) };
    });
    return reply.code(201).send(result);
  }

  const stream = new PassThrough();
  let passed: (total: number) => void = () => {};
  const checkedFile = new Promise<number>((resolve) => {
    passed = resolve;
  });
  const work = inTenant(deps.db, request, async (tx) => {
    const checked = await importer(tx, text);
    passed(checked.count);
    stream.write(ndjson({ done: 0, total: checked.count }));
    await checked.write(tx, now, deps.events, (done, total) => stream.write(ndjson({ done, total })));
    return { imported: checked.count, txid: await currentTxid(tx) };
  });
  // A file that fails its checks rejects `work` before it passes: that is the usual 400.
  await Promise.race([checkedFile, work]);
  work.then(
    (result) => stream.end(ndjson(result)),
    (error: Error) => {
      const known = error instanceof AppError ? error : databaseErrorToAppError(error);
      if (!known) request.log.error({ err: error }, 'import failed while writing');
      const body = known?.toBody() ?? { error: 'The import failed. Nothing was written.', code: 'INTERNAL' };
      stream.end(ndjson(body));
    },
  );
  return reply
    .code(200)
    .header('content-type', 'application/x-ndjson; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(stream);
}
