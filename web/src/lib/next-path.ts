// Where to go after signing in: `?next=/controls` on the sign-in page opens that screen
// (bookmarks, benchmarks); only a path of this site is followed, anything else is the dashboard.
export function nextPath(url: URL): string {
  const next = url.searchParams.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}
