import { describe, expect, it } from 'vitest';
import { distanceOf, type NetworkLink, providerDistances } from './distance.ts';

const link = (from: string, to: string, weight: number): NetworkLink => ({ from, to, weight });

describe('providerDistances', () => {
  it('self providers are at 0; the chain self → department → contractor → vendor adds up', () => {
    const d = providerDistances(
      ['me'],
      [link('me', 'dept', 1), link('dept', 'contractor', 1.5), link('contractor', 'vendor', 2)],
    );
    expect(Object.fromEntries(d)).toEqual({ me: 0, dept: 1, contractor: 2.5, vendor: 4.5 });
  });

  it('takes the cheapest path, not the fewest hops', () => {
    const d = providerDistances(
      ['me'],
      [link('me', 'v', 10), link('me', 'a', 1), link('a', 'b', 1), link('b', 'v', 1)],
    );
    expect(d.get('v')).toBe(3);
  });

  it('follows links in their direction only', () => {
    const d = providerDistances(['me'], [link('other', 'me', 1)]);
    expect(d.has('other')).toBe(false);
  });

  it('uses the nearest of several self providers', () => {
    const d = providerDistances(['me', 'you'], [link('me', 'x', 5), link('you', 'x', 0.5)]);
    expect(d.get('x')).toBe(0.5);
    expect(d.get('you')).toBe(0);
  });

  it('no self providers: nothing is reachable', () => {
    expect(providerDistances([], [link('a', 'b', 1)]).size).toBe(0);
  });

  it('survives cycles and self loops', () => {
    const d = providerDistances(
      ['a'],
      [link('a', 'b', 1), link('b', 'a', 1), link('b', 'b', 1), link('b', 'c', 1)],
    );
    expect(Object.fromEntries(d)).toEqual({ a: 0, b: 1, c: 2 });
  });

  it('ignores non-positive and non-finite weights', () => {
    const d = providerDistances(
      ['a'],
      [link('a', 'b', 0), link('a', 'c', -1), link('a', 'e', Number.NaN), link('a', 'f', Infinity)],
    );
    expect([...d.keys()]).toEqual(['a']);
  });

  it('rounds float sums so 0.1 + 0.2 + 1.7 is exactly 2 (Remote at the default threshold)', () => {
    const d = providerDistances(['a'], [link('a', 'b', 0.1), link('b', 'c', 0.2), link('c', 'd', 1.7)]);
    expect(d.get('d')).toBe(2);
  });

  it('agrees with Floyd–Warshall on random graphs', () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let round = 0; round < 200; round++) {
      const n = 2 + Math.floor(random() * 9);
      const nodes = Array.from({ length: n }, (_, i) => `p${i}`);
      const links: NetworkLink[] = [];
      for (let k = 0; k < n * 2; k++) {
        const from = nodes[Math.floor(random() * n)]!;
        const to = nodes[Math.floor(random() * n)]!;
        if (from !== to) links.push(link(from, to, Math.round((0.1 + random() * 5) * 10) / 10));
      }
      const selves = nodes.filter(() => random() < 0.25);
      const expected = floydWarshall(nodes, links, selves);
      const actual = providerDistances(selves, links);
      for (const node of nodes) {
        const want = expected.get(node);
        if (want === undefined) expect(actual.has(node)).toBe(false);
        else expect(actual.get(node)).toBeCloseTo(want, 6);
      }
    }
  });
});

describe('distanceOf', () => {
  const distances = new Map([
    ['me', 0],
    ['dept', 1],
  ]);
  it('null without a provider (Remote)', () => expect(distanceOf(null, distances)).toBeNull());
  it('null when unreachable', () => expect(distanceOf('nowhere', distances)).toBeNull());
  it('0 for a self provider', () => expect(distanceOf('me', distances)).toBe(0));
  it('the cheapest path otherwise', () => expect(distanceOf('dept', distances)).toBe(1));
});

function floydWarshall(nodes: string[], links: NetworkLink[], selves: string[]): Map<string, number> {
  const d = new Map<string, number>();
  const key = (a: string, b: string) => `${a}>${b}`;
  for (const a of nodes) for (const b of nodes) d.set(key(a, b), a === b ? 0 : Infinity);
  for (const l of links) d.set(key(l.from, l.to), Math.min(d.get(key(l.from, l.to))!, l.weight));
  for (const k of nodes)
    for (const i of nodes)
      for (const j of nodes) {
        const via = d.get(key(i, k))! + d.get(key(k, j))!;
        if (via < d.get(key(i, j))!) d.set(key(i, j), via);
      }
  const result = new Map<string, number>();
  for (const node of nodes) {
    const best = Math.min(...selves.map((s) => d.get(key(s, node))!));
    if (Number.isFinite(best)) result.set(node, best);
  }
  return result;
}
