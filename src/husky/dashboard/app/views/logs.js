// The log viewer: fed by the WebSocket, virtualised (only the rows in sight are in the
// DOM), so a run of 100,000 lines scrolls like one of ten.
//
// Lines live in a plain array outside Preact's state; a batch per animation frame (ws.js)
// bumps a counter to re-render. The filtered view (healthcheck toggle, search) is kept
// incrementally: a new batch only appends its matching lines.

import {
  html,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
} from '../../vendor/htm-preact-standalone.js';
import { download } from '../format.js';
import { followLog, readLog } from '../ws.js';

export const ROW_HEIGHT = 18; // px; the CSS gives `.log .ln` this height
const OVERSCAN = 20;
const STREAM_LABEL = { stdout: 'out', stderr: 'err', healthcheck: 'hc' };

function clock(ts) {
  const at = new Date(ts);
  if (Number.isNaN(at.getTime())) return '';
  const two = (n) => String(n).padStart(2, '0');
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, '0')}`;
}

function highlight(text, needle) {
  if (!needle) return text;
  const lower = text.toLowerCase();
  const parts = [];
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    parts.push(text.slice(from, at), html`<mark>${text.slice(at, at + needle.length)}</mark>`);
    from = at + needle.length;
  }
  parts.push(text.slice(from));
  return parts;
}

// Lines shown for the current filter, extended as lines arrive.
function useFiltered(lines, version, showHealthcheck, needle) {
  const view = useRef({ key: null, items: [], done: 0 });
  const key = `${showHealthcheck}\u0000${needle}`;
  const v = view.current;
  if (v.key !== key) {
    v.key = key;
    v.items = [];
    v.done = 0;
  }
  const all = lines.current;
  for (let i = v.done; i < all.length; i++) {
    const line = all[i];
    if (!showHealthcheck && line.stream === 'healthcheck') continue;
    if (needle && !line.line.toLowerCase().includes(needle)) continue;
    v.items.push(line);
  }
  v.done = all.length;
  return v.items;
}

// The scrolling box: only the rows in sight (plus a margin) are rendered. Scrolling
// re-renders this alone, not the toolbar.
function LogLines({ items, version, needle, follow, setFollow, empty }) {
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(400);
  const box = useRef(null);

  useEffect(() => {
    const element = box.current;
    const observer = new ResizeObserver(() => setViewport(element.clientHeight));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  useLayoutEffect(() => {
    const element = box.current;
    if (follow && element) {
      element.scrollTop = element.scrollHeight;
      setScrollTop(element.scrollTop);
    }
  }, [version, follow, items.length]);

  const onScroll = (event) => {
    const element = event.currentTarget;
    setScrollTop(element.scrollTop);
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight < ROW_HEIGHT * 2;
    if (atBottom !== follow) setFollow(atBottom);
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  const rows = [];
  for (let i = first; i < last; i++) {
    const line = items[i];
    // keyed by slot, so a row element is reused for the line that takes its place
    rows.push(html`<div key=${i % (last - first)} class=${`ln s-${line.stream}`} data-seq=${line.seq}>
      <span class="seq">${line.seq}</span><span class="ts">${clock(line.ts)}</span><span
        class="stream">${STREAM_LABEL[line.stream] || line.stream}</span><span
        class="tx">${highlight(line.line, needle)}</span>
    </div>`);
  }
  return html`<div class="log" ref=${box} onScroll=${onScroll} tabindex="0" aria-label="Log lines">
    <div class="log-spacer" style=${{ height: `${items.length * ROW_HEIGHT}px` }}>
      <div class="log-rows" style=${{ transform: `translateY(${first * ROW_HEIGHT}px)` }}>${rows}</div>
    </div>
    ${!items.length && html`<p class="muted log-empty">${empty}</p>`}
  </div>`;
}

export function LogViewer({ runId, live, status, onEnd }) {
  const lines = useRef([]);
  const counts = useRef({ healthcheck: 0 });
  const [version, setVersion] = useState(0);
  const [state, setState] = useState({ phase: 'connecting', detail: '' });
  const [showHealthcheck, setShowHealthcheck] = useState(false);
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState('');
  const onEndRef = useRef(onEnd);
  onEndRef.current = onEnd;

  useEffect(() => {
    lines.current = [];
    counts.current = { healthcheck: 0 };
    setVersion((v) => v + 1);
    setState({ phase: 'connecting', detail: '' });
    const open = live ? followLog : readLog;
    return open(runId, {
      onLines: (batch) => {
        const all = lines.current;
        for (const frame of batch) {
          all.push(frame);
          if (frame.stream === 'healthcheck') counts.current.healthcheck += 1;
        }
        if (live) setState((s) => (s.phase === 'connecting' ? { phase: 'live', detail: '' } : s));
        setVersion((v) => v + 1);
      },
      onEnd: (frame) => {
        setState({ phase: 'ended', detail: frame.status || frame.reason || status || '' });
        if (onEndRef.current) onEndRef.current(frame);
      },
      onError: (message) => setState({ phase: 'error', detail: message }),
    });
  }, [runId]);

  const needle = search.trim().toLowerCase();
  const items = useFiltered(lines, version, showHealthcheck, needle);
  const saveAll = () =>
    download(`run-${runId}.log`, `${lines.current.map((l) => `${l.stream}\t${l.line}`).join('\n')}\n`, 'text/plain');

  return html`<section class="log-viewer" aria-label="Log">
    <div class="log-tools">
      <input type="search" class="search" placeholder="Search the log" aria-label="Search the log"
        value=${search} onInput=${(e) => setSearch(e.target.value)} />
      <label><input type="checkbox" checked=${showHealthcheck}
        onChange=${(e) => setShowHealthcheck(e.target.checked)} /> healthcheck lines (${counts.current.healthcheck})</label>
      <label><input type="checkbox" checked=${follow} onChange=${(e) => setFollow(e.target.checked)} /> follow</label>
      <button onClick=${saveAll} disabled=${!lines.current.length}>Download</button>
      <span class=${`log-state phase-${state.phase}`} data-phase=${state.phase} role="status">
        ${state.phase === 'connecting' && 'connecting…'}
        ${state.phase === 'live' && 'live'}
        ${state.phase === 'ended' && `ended${state.detail ? `: ${state.detail}` : ''}`}
        ${state.phase === 'error' && state.detail}
        ${' · '}<span class="log-count">${items.length.toLocaleString()}</span>${needle || !showHealthcheck ? ` of ${lines.current.length.toLocaleString()}` : ''} lines
      </span>
    </div>
    <${LogLines} items=${items} version=${version} needle=${needle} follow=${follow}
      setFollow=${setFollow} empty=${state.phase === 'connecting' ? 'Connecting…' : 'No lines.'} />
  </section>`;
}
