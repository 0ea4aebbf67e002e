// Timeline: the last 24 hours (or 6, or 1) of runs as bars, one row per job (Gantt), so
// overlaps, retries and SLA breaches stand out.

import { html } from '../../vendor/htm-preact-standalone.js';
import { get, has } from '../api.js';
import { ErrorNote, Loading, usePoll } from '../components.js';
import { absolute, parseTime, runDuration, statusClass } from '../format.js';
import { href, jobHref, runHref } from '../router.js';

const HOUR = 3600 * 1000;
// hours shown → the step between axis ticks
const SPANS = { 1: 10 * 60 * 1000, 6: HOUR, 24: 3 * HOUR };
const PAGE = 1000;
const MAX_RUNS = 10000;
const POLL_MS = 10000;

// Runs created since `since`, and those still running that were created before it.
async function loadWindow(since) {
  const path = has('/api/db/job_runs') ? '/api/db/job_runs' : has('/api/audit') ? '/api/audit' : null;
  if (!path) return { runs: [], unsupported: true };
  const byId = new Map();
  let truncated = true;
  for (let offset = 0; offset < MAX_RUNS; offset += PAGE) {
    const page = await get(path, { since: new Date(since).toISOString(), limit: PAGE, offset });
    for (const run of page) byId.set(run.id, run);
    if (page.length < PAGE) {
      truncated = false;
      break;
    }
  }
  for (const run of await get(path, { status: 'RUNNING', limit: PAGE })) byId.set(run.id, run);
  return { runs: [...byId.values()], truncated };
}

// Rows of lanes: a run goes in the first lane of its job where it overlaps nothing.
export function lanes(runs, now) {
  const jobs = new Map();
  const sorted = [...runs].sort((a, b) => (a.start - b.start) || (a.id - b.id));
  for (const run of sorted) {
    let job = jobs.get(run.job_name);
    if (!job) jobs.set(run.job_name, (job = []));
    let lane = job.find((l) => l.end <= run.start);
    if (!lane) job.push((lane = { end: 0, runs: [] }));
    lane.runs.push(run);
    lane.end = Math.max(run.end, run.start + 1);
  }
  return [...jobs.entries()].sort((a, b) => a[0].localeCompare(b[0]));
}

function Axis({ from, span, step }) {
  const ticks = [];
  const offset = new Date(from).getTimezoneOffset() * 60 * 1000; // ticks on local round times
  for (let t = Math.ceil((from - offset) / step) * step + offset; t < from + span; t += step) ticks.push(t);
  const label = (t) => {
    const d = new Date(t);
    return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  };
  return html`<div class="tl-axis" aria-hidden="true">
    ${ticks.map((t) => html`<span key=${t} style=${{ left: `${((t - from) / span) * 100}%` }}>${label(t)}</span>`)}
  </div>`;
}

function Bar({ run, from, span, now }) {
  const left = ((Math.max(run.start, from) - from) / span) * 100;
  const width = Math.max(((Math.min(run.end, now) - Math.max(run.start, from)) / span) * 100, 0.08);
  const classes = ['tl-bar', statusClass(run.status)];
  if (run.attempt > 1) classes.push('retry');
  if (run.sla_breached) classes.push('sla');
  if (!run.started_at) classes.push('waiting');
  const label =
    `#${run.id} ${run.job_name} ${run.status}, attempt ${run.attempt}, ` +
    `${absolute(run.started_at || run.created_at)}, ${runDuration(run, now) || 'not started'}` +
    (run.sla_breached ? ', SLA breached' : '');
  return html`<a class=${classes.join(' ')} href=${runHref(run.id)} title=${label} aria-label=${label}
    data-run=${run.id} style=${{ left: `${left}%`, width: `${width}%` }}></a>`;
}

export function TimelineView({ query }) {
  const hours = SPANS[query.hours] ? Number(query.hours) : 24;
  const span = hours * HOUR;
  const data = usePoll(() => loadWindow(Date.now() - span), POLL_MS, [span]);
  if (data.data === undefined) return data.error ? html`<${ErrorNote} error=${data.error} />` : html`<${Loading} what="Loading runs" />`;
  if (data.data.unsupported) return html`<p class="muted">This daemon cannot list runs (no /api/db/job_runs or /api/audit).</p>`;
  const now = Date.now();
  const from = now - span;
  const runs = data.data.runs
    .map((r) => {
      const start = parseTime(r.started_at) ?? parseTime(r.created_at);
      const end = parseTime(r.finished_at) ?? now;
      return { ...r, start, end };
    })
    .filter((r) => r.end >= from);
  const rows = lanes(runs, now);
  const breaches = runs.filter((r) => r.sla_breached).length;
  const retries = runs.filter((r) => r.attempt > 1).length;
  return html`<section class="view timeline-view">
    <header class="view-head">
      <h1>Timeline <small class="muted">${`last ${hours} hour${hours > 1 ? 's' : ''}: ${runs.length} runs of ${rows.length} jobs, ${retries} retries, ${breaches} SLA breaches`}</small></h1>
      <nav class="actions" aria-label="Time span">
        ${Object.keys(SPANS).map(
          (h) => html`<a class="chip" href=${href('/timeline', { hours: h === '24' ? '' : h })}
            aria-current=${Number(h) === hours ? 'true' : undefined}>${h} h</a>`,
        )}
      </nav>
    </header>
    <${ErrorNote} error=${data.error} />
    ${data.data.truncated && html`<p class="muted">Showing the newest ${MAX_RUNS} runs only.</p>`}
    <p class="legend-line muted"><span class="tl-key retry"></span> retry attempt
      <span class="tl-key sla"></span> SLA breached <span class="tl-key waiting"></span> waiting for a slot</p>
    <div class="timeline" role="list">
      <div class="tl-row tl-head"><div class="tl-label"></div><div class="tl-track"><${Axis} from=${from} span=${span} step=${SPANS[hours]} /></div></div>
      ${rows.map(
        ([job, jobLanes]) => html`<div key=${job} class="tl-row" role="listitem" data-job=${job}>
          <div class="tl-label"><a href=${jobHref(job)}>${job}</a></div>
          <div class="tl-track">
            ${jobLanes.map(
              (lane, i) => html`<div key=${i} class="tl-lane">
                ${lane.runs.map((r) => html`<${Bar} key=${r.id} run=${r} from=${from} span=${span} now=${now} />`)}
              </div>`,
            )}
          </div>
        </div>`,
      )}
      ${!rows.length && html`<p class="muted">No runs in this span.</p>`}
    </div>
  </section>`;
}
