// Owns "once the next frame is painted": a task posted from an animation-frame callback runs
// after that frame's style, layout and paint (the same signal a browser bench reads as "shown").

/** Calls `then` after the next frame is painted; the returned function cancels it. */
export function afterNextPaint(then: () => void): () => void {
  let cancelled = false;
  const frame = requestAnimationFrame(() => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      if (!cancelled) then();
    };
    channel.port2.postMessage(null);
  });
  return () => {
    cancelled = true;
    cancelAnimationFrame(frame);
  };
}
