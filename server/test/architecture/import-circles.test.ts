// Keeps the import graph of server/src and packages/ free of circles, between files and between
// rooms (a room: a top-level folder of server/src, one of its root files, or a package), and keeps
// every import running downwards: the foundation (db, http, ops, events and the root settings)
// and the packages never import a feature or the composition. Each rule is first shown to catch
// a made-up breach, so a broken check cannot pass quietly.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  circles,
  type ImportGraph,
  importGraph,
  roomGraph,
  sourceFiles,
  workspacePackages,
} from './import-graph.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const src = path.join(root, 'server/src');
const packagesDir = path.join(root, 'packages');
const graph = importGraph([...sourceFiles(src), ...sourceFiles(packagesDir)], workspacePackages(packagesDir));

/** Where each file lives: a package, a top-level folder of server/src, or a root file of it. */
function roomOf(file: string): string {
  const fromPackages = path.relative(packagesDir, file);
  if (!fromPackages.startsWith('..')) return `packages/${fromPackages.split(path.sep)[0]}`;
  const [first, ...rest] = path.relative(src, file).split(path.sep);
  return rest.length === 0 ? first! : `${first}/`;
}

const FOUNDATION = new Set([
  'db/',
  'http/',
  'ops/',
  'events/',
  'clock.ts',
  'config.ts',
  'limit-settings.ts',
  'paths.ts',
  'sync-settings.ts',
]);
const isBelowFeatures = (room: string) => FOUNDATION.has(room) || room.startsWith('packages/');

const shown = (found: string[][]) => found.map((circle) => circle.map((file) => path.relative(root, file)));

/** Imports from the foundation or a package into anything above them. */
function importsRunningUp(rooms: ImportGraph): string[] {
  const up: string[] = [];
  for (const [from, targets] of rooms) {
    if (!isBelowFeatures(from)) continue;
    for (const target of targets) if (!isBelowFeatures(target)) up.push(`${from} → ${target}`);
  }
  return up.sort();
}

describe('import graph', () => {
  it('reads the real tree (the server, its features and the shared core are all in it)', () => {
    const rooms = [...new Set([...graph.keys()].map(roomOf))];
    expect(rooms).toEqual(expect.arrayContaining(['app.ts', 'auth/', 'sync/', 'db/', 'packages/core']));
    expect([...graph.values()].reduce((n, targets) => n + targets.size, 0)).toBeGreaterThan(300);
  });

  it('finds circles and upward imports in a made-up graph', () => {
    const made: ImportGraph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a'])],
      ['d', new Set(['d'])],
      ['e', new Set(['a'])],
    ]);
    expect(circles(made)).toEqual([['a', 'b', 'c'], ['d']]);
    const up = new Map([
      ['db/', new Set(['auth/'])],
      ['auth/', new Set(['db/'])],
    ]);
    expect(importsRunningUp(up)).toEqual(['db/ → auth/']);
  });

  it('has no circle between files', () => {
    expect(shown(circles(graph))).toEqual([]);
  });

  it('has no circle between rooms', () => {
    expect(circles(roomGraph(graph, roomOf))).toEqual([]);
  });

  it('has no import running up from the foundation or a package into a feature or the composition', () => {
    expect(importsRunningUp(roomGraph(graph, roomOf))).toEqual([]);
  });
});
