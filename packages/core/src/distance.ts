// Owns provider distance: the cheapest path over the directed provider network from any of the
// organisation's "self" providers (is_user_themselves) to a provider. Pure: the caller loads
// the providers and links. Dijkstra with a binary heap (weights are strictly positive).

export type NetworkLink = { from: string; to: string; weight: number };

/** Distances are rounded so float sums (0.1 + 0.2) compare as a person expects against thresholds. */
const round = (value: number) => Math.round(value * 1e9) / 1e9;

/**
 * Cheapest distance from the nearest self provider to every reachable provider. Self providers
 * are at 0; providers missing from the map are unreachable (Remote). Links with a non-positive or
 * non-finite weight are ignored (the database refuses them anyway).
 */
export function providerDistances(
  selfProviderIds: Iterable<string>,
  links: Iterable<NetworkLink>,
): Map<string, number> {
  const outgoing = new Map<string, NetworkLink[]>();
  for (const link of links) {
    if (!(link.weight > 0) || !Number.isFinite(link.weight)) continue;
    const list = outgoing.get(link.from);
    if (list) list.push(link);
    else outgoing.set(link.from, [link]);
  }
  const settled = new Map<string, number>();
  const best = new Map<string, number>();
  const heap = new MinHeap();
  for (const id of selfProviderIds) {
    best.set(id, 0);
    heap.push(0, id);
  }
  while (heap.size > 0) {
    const [cost, id] = heap.pop();
    if (settled.has(id)) continue;
    settled.set(id, round(cost));
    for (const link of outgoing.get(id) ?? []) {
      if (settled.has(link.to)) continue;
      const next = cost + link.weight;
      const known = best.get(link.to);
      if (known === undefined || next < known) {
        best.set(link.to, next);
        heap.push(next, link.to);
      }
    }
  }
  return settled;
}

/** A control's distance: null without a provider or when its provider is unreachable. */
export function distanceOf(providerId: string | null, distances: Map<string, number>): number | null {
  if (providerId === null) return null;
  return distances.get(providerId) ?? null;
}

/** Binary min-heap of (cost, id); small and local, so written here rather than a dependency. */
class MinHeap {
  private items: Array<[number, string]> = [];
  get size() {
    return this.items.length;
  }
  push(cost: number, id: string) {
    const items = this.items;
    items.push([cost, id]);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]![0] <= items[i]![0]) break;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }
  pop(): [number, string] {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < items.length && items[left]![0] < items[smallest]![0]) smallest = left;
        if (right < items.length && items[right]![0] < items[smallest]![0]) smallest = right;
        if (smallest === i) break;
        [items[smallest], items[i]] = [items[i]!, items[smallest]!];
        i = smallest;
      }
    }
    return top;
  }
}
