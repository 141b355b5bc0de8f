// Owns the invitation link's format. The token travels in the URL fragment
// (/invitation#token=…): browsers never send a fragment to a server, so it cannot land in a
// request log, a proxy's log or a Referer. Links made before this (/invitation?token=…) keep
// working; the server redacts `token` from its request log lines.

export function invitationLink(origin: string, token: string): string {
  return `${origin}/invitation#token=${encodeURIComponent(token)}`;
}

/** The token of an invitation link: from the fragment, else from an old-style query. */
export function invitationTokenOf(url: URL): string {
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  return (fragment.get('token') ?? url.searchParams.get('token') ?? '').trim();
}
