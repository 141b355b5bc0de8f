// Owns HTTP revalidation of shape answers, shared by the public endpoint and the engine's
// internal route: an answer whose etag the client already holds (If-None-Match) becomes a 304
// without a body, as Electric does, and a shared-cache answer is made private to its user.

/** The etags of an If-None-Match header, unquoted (`W/` weak prefixes ignored). */
function etagsOf(header: string | string[] | undefined): string[] {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return values
    .flatMap((value) => value.split(','))
    .map((tag) => tag.trim().replace(/^W\//, '').replace(/^"|"$/g, ''))
    .filter((tag) => tag !== '');
}

/**
 * A 304 carrying the answer's headers when the client already holds this exact answer, else
 * undefined. Only 200s with an etag qualify (subset snapshots and SSE streams carry none).
 */
export function notModified(
  response: Response,
  ifNoneMatch: string | string[] | undefined,
): Response | undefined {
  const etag = response.headers.get('etag');
  if (response.status !== 200 || etag === null || ifNoneMatch === undefined) return undefined;
  if (!etagsOf(ifNoneMatch).includes(etag.replace(/^"|"$/g, ''))) return undefined;
  void response.body?.cancel().catch(() => {});
  const headers = new Headers(response.headers);
  headers.delete('content-type');
  headers.delete('content-length');
  return new Response(null, { status: 304, headers });
}

/**
 * A shape answer at the public endpoint belongs to one user: browsers may keep it as long as
 * Electric says, shared caches (CDN, proxies) never. `s-maxage` only speaks to shared caches.
 */
export function privateCacheControl(value: string): string {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !/^s-maxage=/i.test(part))
    .map((part) => (/^public$/i.test(part) ? 'private' : part))
    .join(', ');
}
