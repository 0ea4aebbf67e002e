// A run's log: live over the WebSocket (api.md §7), or in pages when the run has ended.
//
// WebSocket frames (one per line) are collected as they arrive and delivered once per
// animation frame (or every 200 ms when the tab is hidden and animation frames stop), so a
// run printing thousands of lines a second costs one view update per frame, not one per
// line. A browser takes a WebSocket message at a time (here ~6,000 a second), so a run
// that has already ended is read from /api/runs/{id}/logs in pages of 10,000 lines
// instead: 100,000 lines arrive in about a second rather than in fifteen.

import { describe, get, wsUrl } from './api.js';

const PAGE = 10000;

// Every line of an ended run, page by page; `onEnd` once the last page is in.
export function readLog(runId, { onLines, onEnd, onError }) {
  let cancelled = false;
  (async () => {
    let offset = 0;
    for (;;) {
      const query = { limit: PAGE, offset, include_healthcheck: 'true' };
      const page = await get(`/api/runs/${runId}/logs`, query);
      if (cancelled) return;
      if (page.length) onLines(page);
      offset += page.length;
      if (page.length < PAGE) break;
    }
    onEnd({ type: 'end' });
  })().catch((error) => {
    if (!cancelled) onError(describe(error));
  });
  return () => {
    cancelled = true;
  };
}

export function followLog(runId, { onLines, onEnd, onError }) {
  const socket = new WebSocket(wsUrl(`/ws/logs/${runId}`, { include_healthcheck: 'true' }));
  let pending = [];
  let scheduled = false;
  let ended = false;
  let closedByUs = false;
  let frameHandle = 0;
  let timerHandle = 0;

  const flush = () => {
    cancelAnimationFrame(frameHandle);
    clearTimeout(timerHandle);
    scheduled = false;
    if (pending.length) {
      const batch = pending;
      pending = [];
      onLines(batch);
    }
  };

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    frameHandle = requestAnimationFrame(flush);
    timerHandle = setTimeout(flush, 200);
  };

  socket.onmessage = (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    if (frame.type === 'log') {
      pending.push(frame);
      schedule();
    } else if (frame.type === 'end') {
      ended = true;
      flush();
      onEnd(frame);
    } else if (frame.type === 'error') {
      flush();
      onError(frame.message || 'log stream error');
    }
  };
  socket.onclose = (event) => {
    flush();
    if (!ended && !closedByUs) onError(`log stream closed (${event.code || 'no code'})`);
  };

  return () => {
    closedByUs = true;
    cancelAnimationFrame(frameHandle);
    clearTimeout(timerHandle);
    pending = [];
    socket.close();
  };
}
