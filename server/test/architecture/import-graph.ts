// Reads the import graph of the server and the workspace packages with the TypeScript compiler's
// own import scanner (every `import`, `import type`, `export … from` and `import()` counts: a
// circle over types is still a circle for a reader) and finds its circles, between files or
// between rooms (groups of files). Only imports of our own files are followed; npm packages are leaves.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export type ImportGraph = Map<string, Set<string>>;

const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'build', '.svelte-kit']);

/** Every .ts file (not .d.ts) under `dir`, recursively. */
export function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) files.push(...sourceFiles(full));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      files.push(full);
    }
  }
  return files;
}

/** Workspace packages by name (`@sertantai/core` → its folder), read from packages/<dir>/package.json. */
export function workspacePackages(packagesDir: string): Map<string, string> {
  const packages = new Map<string, string>();
  if (!existsSync(packagesDir)) return packages;
  for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
    const manifest = path.join(packagesDir, entry.name, 'package.json');
    if (entry.isDirectory() && existsSync(manifest)) {
      packages.set(JSON.parse(readFileSync(manifest, 'utf8')).name, path.join(packagesDir, entry.name));
    }
  }
  return packages;
}

function asFile(candidate: string): string | undefined {
  const tries = [
    candidate,
    candidate.replace(/\.js$/, '.ts'),
    `${candidate}.ts`,
    path.join(candidate, 'index.ts'),
  ];
  return tries.find((file) => existsSync(file) && statSync(file).isFile());
}

/** The entry file a package's `exports` (or `main`) gives for `subpath` ('.' or './x'). */
function packageEntry(dir: string, subpath: string): string | undefined {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const exported = typeof manifest.exports === 'object' ? manifest.exports[subpath] : undefined;
  const target =
    typeof exported === 'string'
      ? exported
      : (exported?.import ??
        exported?.default ??
        exported?.types ??
        (subpath === '.' ? manifest.main : undefined));
  return asFile(path.join(dir, typeof target === 'string' ? target : subpath));
}

function resolve(from: string, specifier: string, packages: Map<string, string>): string | undefined {
  if (specifier.startsWith('.')) return asFile(path.resolve(path.dirname(from), specifier));
  for (const [name, dir] of packages) {
    if (specifier === name) return packageEntry(dir, '.');
    if (specifier.startsWith(`${name}/`)) return packageEntry(dir, `.${specifier.slice(name.length)}`);
  }
  return undefined; // an npm package or a Node built-in
}

export function importGraph(files: string[], packages: Map<string, string>): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const targets = new Set<string>();
    for (const imported of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
      const target = resolve(file, imported.fileName, packages);
      if (target !== undefined) targets.add(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** The same graph with each file replaced by its room (`roomOf`); imports inside a room are dropped. */
export function roomGraph(graph: ImportGraph, roomOf: (file: string) => string): ImportGraph {
  const rooms: ImportGraph = new Map();
  for (const [file, targets] of graph) {
    const from = roomOf(file);
    const edges = rooms.get(from) ?? new Set<string>();
    for (const target of targets) if (roomOf(target) !== from) edges.add(roomOf(target));
    rooms.set(from, edges);
  }
  return rooms;
}

/** Strongly connected components with more than one node, or a node importing itself (Tarjan). */
export function circles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.has(node)) found.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}
