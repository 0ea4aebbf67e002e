// The DAG, laid out left to right by dagre; nodes coloured by their job's latest run and
// kept current by polling; a node opens its job.

import dagre from '../../vendor/dagre.esm.js';
import { html, useEffect, useMemo, useRef, useState } from '../../vendor/htm-preact-standalone.js';
import { get } from '../api.js';
import { ErrorNote, Loading, usePoll } from '../components.js';
import { statusClass } from '../format.js';
import { canListRuns, jobStatus, loadRecent } from '../recent.js';
import { jobHref } from '../router.js';

const POLL_MS = 3000;
const NODE_HEIGHT = 34;
const CHAR_WIDTH = 7.4; // px per character of the node font, for the node widths

export function layout(nodes) {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 56, marginx: 12, marginy: 12 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    graph.setNode(node.name, { width: Math.max(80, node.name.length * CHAR_WIDTH + 28), height: NODE_HEIGHT });
  }
  for (const node of nodes) for (const up of node.dependencies) graph.setEdge(up, node.name);
  dagre.layout(graph);
  const size = graph.graph();
  return {
    width: Math.ceil(size.width || 0),
    height: Math.ceil(size.height || 0),
    nodes: graph.nodes().map((name) => ({ name, ...graph.node(name) })),
    edges: graph.edges().map((e) => ({ from: e.v, to: e.w, points: graph.edge(e).points })),
  };
}

function edgePath(points) {
  const [start, ...rest] = points;
  if (!rest.length) return '';
  let d = `M${start.x},${start.y}`;
  if (rest.length === 1) return `${d} L${rest[0].x},${rest[0].y}`;
  // a smooth curve through dagre's points: quadratic segments between midpoints
  for (let i = 0; i < rest.length - 1; i++) {
    const mid = { x: (rest[i].x + rest[i + 1].x) / 2, y: (rest[i].y + rest[i + 1].y) / 2 };
    d += ` Q${rest[i].x},${rest[i].y} ${mid.x},${mid.y}`;
  }
  const end = rest[rest.length - 1];
  return `${d} L${end.x},${end.y}`;
}

function Legend() {
  const items = ['SUCCESS', 'FAILED', 'RUNNING', 'PENDING', 'RETRYING', 'SKIPPED', 'CANCELLED', null];
  return html`<ul class="legend" aria-label="Colours">
    ${items.map((s) => html`<li><span class=${`swatch ${statusClass(s)}`}></span>${s ? s.toLowerCase() : 'never run'}</li>`)}
  </ul>`;
}

export function DagView({ query }) {
  const dag = usePoll(() => get('/api/dag'), POLL_MS * 4, []);
  const jobs = usePoll(() => get('/api/jobs'), POLL_MS, []);
  const recent = usePoll(() => (canListRuns() ? loadRecent() : null), POLL_MS, []);
  const [fit, setFit] = useState(false);
  const focusRef = useRef(null);
  const shape = dag.data ? JSON.stringify(dag.data) : '';
  const laid = useMemo(() => (dag.data ? layout(dag.data) : null), [shape]);
  const focus = query.focus || '';

  useEffect(() => {
    if (focusRef.current) focusRef.current.scrollIntoView({ block: 'center', inline: 'center' });
  }, [laid, focus]);

  if (!laid) return dag.error ? html`<${ErrorNote} error=${dag.error} />` : html`<${Loading} what="Laying out the DAG" />`;
  const summaries = new Map((jobs.data || []).map((j) => [j.name, j]));
  const runsByJob = recent.data ? recent.data.byJob : new Map();
  const upstreams = new Map(dag.data.map((n) => [n.name, n.dependencies]));
  const svgSize = fit
    ? { width: '100%', viewBox: `0 0 ${laid.width} ${laid.height}` }
    : { width: laid.width, height: laid.height, viewBox: `0 0 ${laid.width} ${laid.height}` };
  return html`<section class="view dag-view">
    <header class="view-head">
      <h1>DAG <small class="muted">${laid.nodes.length} jobs, ${laid.edges.length} edges</small></h1>
      <label><input type="checkbox" checked=${fit} onChange=${(e) => setFit(e.target.checked)} /> fit to width</label>
    </header>
    <${ErrorNote} error=${dag.error || jobs.error} />
    <${Legend} />
    <div class="dag-wrap">
      <svg class="dag" ...${svgSize} role="img" aria-label="Job dependency graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
          </marker>
        </defs>
        ${laid.edges.map(
          (e) => html`<path key=${`${e.from}>${e.to}`} class="edge" data-from=${e.from} data-to=${e.to}
            d=${edgePath(e.points)} marker-end="url(#arrow)" />`,
        )}
        ${laid.nodes.map((n) => {
          const summary = summaries.get(n.name);
          const status = jobStatus(summary, runsByJob.get(n.name));
          const deps = upstreams.get(n.name) || [];
          const label = `${n.name}: ${status ? status.toLowerCase() : 'never run'}${deps.length ? `, after ${deps.join(', ')}` : ''}`;
          return html`<a key=${n.name} href=${jobHref(n.name)} class=${`node ${statusClass(status)} ${focus === n.name ? 'focus' : ''}`}
            data-job=${n.name} data-status=${status || ''} aria-label=${label}
            ref=${focus === n.name ? focusRef : undefined}>
            <title>${label}</title>
            <rect x=${n.x - n.width / 2} y=${n.y - n.height / 2} width=${n.width} height=${n.height} rx="6" />
            <text x=${n.x} y=${n.y + 4} text-anchor="middle">${n.name}</text>
            ${summary && summary.paused && html`<text class="paused-mark" x=${n.x + n.width / 2 - 8} y=${n.y - n.height / 2 + 11} text-anchor="end">paused</text>`}
          </a>`;
        })}
      </svg>
    </div>
  </section>`;
}
