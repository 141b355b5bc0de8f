// The import protocol of every CSV import route (docs/api.md): a dry run first, then the import
// with ?progress=true, whose answer is one JSON object a line — {done, total} after each batch,
// then {imported, txid}, or the error shape if the write failed (nothing was written).
import { session } from '../api/client';
import { ApiError, errorFromResponse } from '../api/errors';

export type Problem = { line: number; problem: string };

const csvPost = (url: string, text: string) =>
  session.fetch(url, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: text });

/** The dry run: how many rows the file would import, or ApiError listing every problem. */
export async function checkCsv(url: string, text: string): Promise<number> {
  const response = await csvPost(`${url}?dry_run=true`, text);
  if (!response.ok) throw await errorFromResponse(response);
  return ((await response.json()) as { would_import: number }).would_import;
}

export function problemsOf(error: unknown): Problem[] {
  return error instanceof ApiError && Array.isArray(error.details.errors)
    ? (error.details.errors as Problem[])
    : [];
}

/** Imports the file, calling `progress` as batches are written; resolves with the count. */
export async function importCsv(
  url: string,
  text: string,
  progress: (done: number, total: number) => void,
): Promise<number> {
  const response = await csvPost(`${url}?progress=true`, text);
  if (!response.ok) throw await errorFromResponse(response);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let last: Record<string, unknown> = {};
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim() !== '')) {
      last = JSON.parse(line) as Record<string, unknown>;
      if (typeof last.done === 'number' && typeof last.total === 'number') progress(last.done, last.total);
    }
    if (done) break;
  }
  if (typeof last.imported === 'number') return last.imported;
  throw new ApiError(
    200,
    typeof last.code === 'string' ? last.code : 'IMPORT_FAILED',
    typeof last.error === 'string'
      ? last.error
      : 'The import stopped before it finished. Nothing was written.',
    (last.details as Record<string, unknown>) ?? {},
  );
}

/** The problems as a CSV file (line, problem) for a spreadsheet. */
export function problemsCsv(problems: readonly Problem[]): string {
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  return `${['line,problem', ...problems.map((p) => `${p.line},${quote(p.problem)}`)].join('\r\n')}\r\n`;
}

export function downloadFile(name: string, blob: Blob) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
