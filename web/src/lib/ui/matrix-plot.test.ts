import { describe, expect, it } from 'vitest';
import type { MatrixPoint } from '$lib/model/matrix';
import { drawChanges, drawMarks, pointAtPosition, px, py, type Sprites } from './matrix-plot';

const point = (id: string, x: number, y: number, partial: Partial<MatrixPoint> = {}): MatrixPoint => ({
  id,
  name: id,
  quadrant: 'self',
  x,
  y,
  band: 'low',
  days: 1,
  distance: 1,
  probability: 0.1,
  ...partial,
});

/** A 2D context that records each copy of a marker: which band's image, where. */
function recordingContext() {
  const copies: { image: string; x: number; y: number }[] = [];
  const ctx = {
    setTransform() {},
    clearRect() {},
    save() {},
    restore() {},
    beginPath() {},
    rect() {},
    clip() {},
    drawImage(image: { band: string }, x: number, y: number) {
      copies.push({ image: image.band, x, y });
    },
  };
  return { ctx: ctx as unknown as CanvasRenderingContext2D, copies };
}

const sprites = {
  images: {
    low: { band: 'low' },
    medium: { band: 'medium' },
    high: { band: 'high' },
    unscored: { band: 'unscored' },
  },
  half: 10,
} as unknown as Sprites;
const size = { width: 1000, height: 640, scaleX: 1, scaleY: 1 };

describe('the matrix canvas', () => {
  it('draws every point once, centred on its place, the riskiest last, and counts them per quadrant', () => {
    const points = [
      point('a', 0.1, 0.1, { band: 'high', quadrant: 'self' }),
      point('b', 0.2, 0.2, { band: 'low', quadrant: 'self' }),
      point('c', 0.7, 0.2, { band: 'medium', quadrant: 'specialist' }),
      point('d', 0.7, 0.8, { band: 'unscored', quadrant: 'strange' }),
      point('e', 0.8, 0.9, { band: 'high', quadrant: 'strange' }),
    ];
    const { ctx, copies } = recordingContext();
    const counts = drawMarks(ctx, points, sprites, size);
    expect(counts).toEqual({ self: 2, specialist: 1, service: 0, strange: 2, total: 5 });
    expect(copies.map((c) => c.image)).toEqual(['unscored', 'low', 'medium', 'high', 'high']);
    const d = copies.find((c) => c.image === 'unscored')!;
    expect(d).toEqual({ image: 'unscored', x: Math.round(px(0.7)) - 10, y: Math.round(py(0.8)) - 10 });
  });

  it('copies a marker once per pixel: marks piled on one spot (the edges) cost one copy', () => {
    const pile = Array.from({ length: 1000 }, (_, i) => point(`p${i}`, 0.985, 0.985));
    const { ctx, copies } = recordingContext();
    const counts = drawMarks(ctx, [...pile, point('q', 0.985, 0.985, { band: 'high' })], sprites, size);
    expect(counts.total).toBe(1001);
    expect(copies.map((c) => c.image)).toEqual(['low', 'high']);
  });

  it('draws nothing for an empty matrix', () => {
    const { ctx, copies } = recordingContext();
    expect(drawMarks(ctx, [], sprites, size).total).toBe(0);
    expect(copies).toEqual([]);
  });

  it('finds the mark under the pointer: the nearest within its radius, none over empty space', () => {
    const points = [point('a', 0.25, 0.25), point('b', 0.26, 0.25), point('c', 0.75, 0.75)];
    expect(pointAtPosition(points, px(0.25), py(0.25))?.id).toBe('a');
    expect(pointAtPosition(points, px(0.26) + 1, py(0.25))?.id).toBe('b');
    expect(pointAtPosition(points, px(0.75) + 5, py(0.75) - 5)?.id).toBe('c');
    expect(pointAtPosition(points, px(0.5), py(0.5))).toBeUndefined();
  });

  it('after a write redraws only the marks overlapping the moved one, old and new place', () => {
    const before = [
      point('a', 0.1, 0.1, { band: 'high' }),
      point('b', 0.101, 0.1, { band: 'low' }),
      point('c', 0.9, 0.9, { band: 'medium', quadrant: 'strange' }),
      point('d', 0.5, 0.5),
    ];
    const shown = new Map(before.map((p) => [p.id, p]));
    const moved = point('c', 0.1, 0.1, { band: 'medium', quadrant: 'self' });
    const after = [before[0]!, before[1]!, moved, before[3]!];
    const { ctx, copies } = recordingContext();
    const result = drawChanges(ctx, after, shown, sprites, size);
    expect(result?.counts).toEqual({ self: 4, specialist: 0, service: 0, strange: 0, total: 4 });
    expect(result?.changed).toEqual([moved]);
    // a, b and the moved c overlap its new square (band order); d is far from both squares
    expect(copies.map((c) => c.image)).toEqual(['low', 'medium', 'high']);
    expect(drawChanges(ctx, after, new Map([...shown, ['c', moved]]), sprites, size)?.changed).toEqual([]);
  });

  it('answers undefined (draw everything) when a mark is gone or too many changed', () => {
    const points = [point('a', 0.1, 0.1), point('b', 0.2, 0.2)];
    const shown = new Map(points.map((p) => [p.id, p]));
    const { ctx, copies } = recordingContext();
    expect(drawChanges(ctx, [points[0]!], shown, sprites, size)).toBeUndefined();
    const all = points.map((p) => ({ ...p }));
    expect(drawChanges(ctx, all, shown, sprites, size, 1)).toBeUndefined();
    expect(copies).toEqual([]);
  });
});
