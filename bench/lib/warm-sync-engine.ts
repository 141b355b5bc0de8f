// Starts an app process's sync engine before anything is measured: the engine starts
// replication on the process's first shape request (~0.5 s on this machine), a one-time cost a
// running server has long paid, which the first measured sign-in would otherwise carry. It
// uses an organisation of its own, so the measured organisation's shapes still start cold.
// (bench/web.ts does the same inline.)
export async function warmSyncEngine(base: string): Promise<void> {
  const registered = await fetch(`${base}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `bench-warm-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`,
      password: 'correct horse battery',
      organization_name: 'Bench warm-up',
    }),
  });
  if (!registered.ok) throw new Error(`warm-up registration failed: ${registered.status}`);
  const { access_token: token } = (await registered.json()) as { access_token: string };
  const shape = await fetch(`${base}/api/electric/sync?table=control_providers&offset=-1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!shape.ok) throw new Error(`warm-up shape request failed: ${shape.status}`);
  await shape.arrayBuffer();
}
