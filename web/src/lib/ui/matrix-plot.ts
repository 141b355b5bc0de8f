// The 2x2 matrix's drawing: its coordinate system (a 1000 × 640 view box shared by the SVG and
// the canvas), the marks of a large matrix drawn on a canvas (each band's marker drawn once,
// then copied to every point of that band), and the pointer's hit test there. The SVG draws each mark as a link while there are few
// (CANVAS_FROM); past that, thousands of DOM nodes cost more than the whole canvas.
import type { Quadrant } from '@sertantai/core';
import type { MatrixPoint, RiskBand } from '$lib/model/matrix';

/** From this many points the marks are drawn on a canvas instead of one SVG link each. */
export const CANVAS_FROM = 1_000;

export const VIEW = { width: 1000, height: 640 } as const;
export const PAD = { left: 70, right: 20, top: 20, bottom: 56 } as const;
export const PLOT = {
  width: VIEW.width - PAD.left - PAD.right,
  height: VIEW.height - PAD.top - PAD.bottom,
} as const;
/** View box x of a point's 0..1 position (0 left). */
export const px = (x: number) => PAD.left + x * PLOT.width;
/** View box y of a point's 0..1 position (0 bottom). */
export const py = (y: number) => PAD.top + (1 - y) * PLOT.height;

/** Marker radius in view box units (markerPath's). */
const R = 7;

/** The colours of the bands as the page's styles set them (custom properties on the figure). */
export type BandColours = Record<RiskBand, string> & { edge: string; hollowEdge: string };

/** Bands drawn in this order, so the riskiest marks lie on top. */
const ORDER: RiskBand[] = ['unscored', 'low', 'medium', 'high'];

export type DrawnCounts = Record<Quadrant, number> & { total: number };

/** One marker's outline centred on (x, y), in view box units (markerPath's shapes). */
function traceMarker(ctx: CanvasRenderingContext2D, band: RiskBand, x: number, y: number) {
  ctx.beginPath();
  if (band === 'medium') {
    ctx.moveTo(x, y - R - 1);
    ctx.lineTo(x + R + 1, y);
    ctx.lineTo(x, y + R + 1);
    ctx.lineTo(x - R - 1, y);
  } else if (band === 'high') {
    ctx.moveTo(x, y - R - 1);
    ctx.lineTo(x + R + 1, y + R - 1);
    ctx.lineTo(x - R - 1, y + R - 1);
  } else {
    ctx.moveTo(x + R, y);
    ctx.arc(x, y, R, 0, 2 * Math.PI);
  }
  ctx.closePath();
}

/** Each band's marker drawn once at the canvas's resolution; `half` is half its side in pixels. */
export type Sprites = { images: Record<RiskBand, CanvasImageSource>; half: number };

/**
 * Draws each band's marker (fill and edge) once on a small canvas of its own, at `scale`
 * pixels per view box unit: the matrix then copies these, a blit per mark. (One path of 10,000
 * marks took seconds to fill and stroke on a software rasteriser; 10,000 copies take a few ms.)
 */
export function markerSprites(
  colours: BandColours,
  scale: number,
  canvas: () => HTMLCanvasElement | OffscreenCanvas,
): Sprites {
  const half = Math.ceil((R + 3) * scale);
  const images = {} as Record<RiskBand, CanvasImageSource>;
  for (const band of ORDER) {
    const sprite = canvas();
    sprite.width = 2 * half;
    sprite.height = 2 * half;
    const ctx = sprite.getContext('2d') as CanvasRenderingContext2D | null;
    if (ctx) {
      ctx.setTransform(scale, 0, 0, scale, half, half);
      traceMarker(ctx, band, 0, 0);
      ctx.fillStyle = band === 'unscored' ? colours.edge : colours[band];
      ctx.fill();
      ctx.strokeStyle = band === 'unscored' ? colours.hollowEdge : colours.edge;
      ctx.lineWidth = band === 'unscored' ? 2 : 1.5;
      ctx.stroke();
    }
    // An ImageBitmap copies fast; a canvas as the source is snapshotted again on every copy.
    images[band] = 'transferToImageBitmap' in sprite ? sprite.transferToImageBitmap() : sprite;
  }
  return { images, half };
}

/**
 * True the first time a band's marker is asked for at this pixel: the same marker copied again
 * on the same pixel changes nothing visible (never-touched or unreachable controls pile up at
 * the matrix's edges, thousands on one spot), so each is copied once.
 */
function once(at: Set<number>, left: number, top: number): boolean {
  const key = (left + 4096) * 65536 + (top + 4096);
  if (at.has(key)) return false;
  at.add(key);
  return true;
}

/**
 * Draws every point's marker (shape and colour by risk band, as the SVG's markerPath) on a
 * canvas of `width` × `height` pixels, `scaleX`/`scaleY` pixels per view box unit, the riskiest
 * bands last. Answers how many it drew in each quadrant.
 */
export function drawMarks(
  ctx: CanvasRenderingContext2D,
  points: readonly MatrixPoint[],
  sprites: Sprites,
  size: { width: number; height: number; scaleX: number; scaleY: number },
): DrawnCounts {
  const counts: DrawnCounts = { self: 0, specialist: 0, service: 0, strange: 0, total: 0 };
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, size.width, size.height);
  const byBand: Record<RiskBand, MatrixPoint[]> = { unscored: [], low: [], medium: [], high: [] };
  for (const p of points) {
    byBand[p.band].push(p);
    counts[p.quadrant] += 1;
    counts.total += 1;
  }
  const { half } = sprites;
  for (const band of ORDER) {
    const image = sprites.images[band];
    const at = new Set<number>();
    for (const p of byBand[band]) {
      const left = Math.round(px(p.x) * size.scaleX) - half;
      const top = Math.round(py(p.y) * size.scaleY) - half;
      if (once(at, left, top)) ctx.drawImage(image, left, top);
    }
  }
  return counts;
}

/** A rectangle of canvas pixels: left, top, right, bottom. */
type Box = [number, number, number, number];

/**
 * Redraws only where `points` differ from `previous` (the points last drawn, by id): each
 * changed mark's old and new square is cleared and every mark overlapping one is drawn again
 * in band order, clipped to those squares. A live write moves one mark: a few copies instead of
 * one per control (redrawing 50,000 marks took ~300 ms per write on a software rasteriser).
 * Answers the counts and the changed points (to update `previous`), or undefined when a full
 * redraw is the better choice (a mark gone, or more than `limit` changed).
 */
export function drawChanges(
  ctx: CanvasRenderingContext2D,
  points: readonly MatrixPoint[],
  previous: ReadonlyMap<string, MatrixPoint>,
  sprites: Sprites,
  size: { scaleX: number; scaleY: number },
  limit = 200,
): { counts: DrawnCounts; changed: MatrixPoint[] } | undefined {
  const counts: DrawnCounts = { self: 0, specialist: 0, service: 0, strange: 0, total: 0 };
  const { half } = sprites;
  const box = (p: MatrixPoint): Box => {
    const left = Math.round(px(p.x) * size.scaleX) - half;
    const top = Math.round(py(p.y) * size.scaleY) - half;
    return [left, top, left + 2 * half, top + 2 * half];
  };
  const dirty: Box[] = [];
  const changed: MatrixPoint[] = [];
  let kept = 0;
  for (const p of points) {
    counts[p.quadrant] += 1;
    counts.total += 1;
    const before = previous.get(p.id);
    if (before) kept += 1;
    if (before === p) continue;
    changed.push(p);
    if (changed.length > limit) return undefined;
    if (before && before.x === p.x && before.y === p.y && before.band === p.band) continue;
    if (before) dirty.push(box(before));
    dirty.push(box(p));
  }
  if (kept !== previous.size) return undefined; // a mark is gone: its square is unknown here
  if (dirty.length === 0) return { counts, changed };
  // Each changed square on its own: clipped to it (a rectangle clip is the rasteriser's fast
  // path), cleared, and every mark overlapping it copied again in band order.
  const inSquare = dirty.map(
    () => ({ unscored: [], low: [], medium: [], high: [] }) as Record<RiskBand, Box[]>,
  );
  const side = 2 * half;
  for (const p of points) {
    // No array per point here: this loop runs over every control on each write.
    const left = Math.round(px(p.x) * size.scaleX) - half;
    const top = Math.round(py(p.y) * size.scaleY) - half;
    for (let i = 0; i < dirty.length; i++) {
      const d = dirty[i]!;
      if (left < d[2] && d[0] < left + side && top < d[3] && d[1] < top + side) {
        inSquare[i]![p.band].push([left, top, left + side, top + side]);
      }
    }
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  dirty.forEach((d, i) => {
    ctx.save();
    ctx.beginPath();
    ctx.rect(d[0], d[1], d[2] - d[0], d[3] - d[1]);
    ctx.clip();
    ctx.clearRect(d[0], d[1], d[2] - d[0], d[3] - d[1]);
    for (const band of ORDER) {
      const at = new Set<number>();
      for (const b of inSquare[i]![band])
        if (once(at, b[0], b[1])) ctx.drawImage(sprites.images[band], b[0], b[1]);
    }
    ctx.restore();
  });
  return { counts, changed };
}

/**
 * The point under view box position (x, y): the nearest whose marker lies within `radius`,
 * latest drawn first among equals (as the SVG's stacking). Undefined over empty space.
 */
export function pointAtPosition(
  points: readonly MatrixPoint[],
  x: number,
  y: number,
  radius = R + 2,
): MatrixPoint | undefined {
  let best: MatrixPoint | undefined;
  let bestDistance = radius * radius;
  for (const p of points) {
    const dx = px(p.x) - x;
    const dy = py(p.y) - y;
    const distance = dx * dx + dy * dy;
    if (distance <= bestDistance) {
      bestDistance = distance;
      best = p;
    }
  }
  return best;
}
