// Jobs: every job with its schedule, next run, last outcome, state, recent runs and actions;
// a tag health strip that also filters. The table is windowed: only the rows in sight are
// rendered (a thousand jobs would otherwise cost seconds of layout), all of equal height.

import {
  html,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from '../../vendor/htm-preact-standalone.js';
import { JobActions } from '../actions.js';
import { get } from '../api.js';
import { ErrorNote, Loading, RunPill, Status, TimeBoth, usePoll } from '../components.js';
import { frequency } from '../format.js';
import {
  PILLS,
  canListRuns,
  jobStatus,
  lastOutcome,
  loadJobRuns,
  loadRecent,
  mergeRuns,
} from '../recent.js';
import { href, jobHref, navigate } from '../router.js';

const POLL_MS = 3000;
const ROW_FETCHES = 4; // rows' own run fetches in flight at once
const OVERSCAN = 8; // rows rendered beyond each edge of the window

// Health of a tag: how many of its jobs failed last, succeeded, run (or wait for a retry),
// are paused, or neither (never run, or skipped or cancelled last).
function tagHealth(jobs, runsByJob) {
  const tags = new Map();
  for (const job of jobs) {
    const status = jobStatus(job, runsByJob.get(job.name));
    for (const tag of job.tags || []) {
      let h = tags.get(tag);
      if (!h) tags.set(tag, (h = { tag, total: 0, failed: 0, ok: 0, running: 0, paused: 0, none: 0 }));
      h.total += 1;
      if (job.paused) h.paused += 1;
      if (status === 'RUNNING' || status === 'PENDING' || status === 'RETRYING') h.running += 1;
      else if (status === 'FAILED') h.failed += 1;
      else if (status === 'SUCCESS') h.ok += 1;
      else h.none += 1; // never run, or its latest run was skipped or cancelled
    }
  }
  return [...tags.values()].sort((a, b) => a.tag.localeCompare(b.tag));
}

function TagStrip({ health, current }) {
  if (!health.length) return null;
  const segment = (h, key) =>
    h[key] ? html`<span class=${`seg seg-${key}`} style=${{ flexGrow: h[key] }}></span>` : null;
  return html`<nav class="tag-strip" aria-label="Tags">
    <a class=${`tag-card ${current ? '' : 'active'}`} href=${href('/jobs')}>
      <strong>all jobs</strong>
    </a>
    ${health.map((h) => {
      const summary =
        `${h.total} jobs: ${h.failed} failing, ${h.ok} fine, ${h.running} running, ` +
        `${h.paused} paused, ${h.none} not run, skipped or cancelled`;
      return html`<a key=${h.tag} class=${`tag-card ${current === h.tag ? 'active' : ''}`}
        href=${href('/jobs', { tag: h.tag })} title=${summary} aria-label=${`tag ${h.tag}: ${summary}`}>
        <strong>${h.tag}</strong>
        <span class="muted">${h.total}${h.failed ? html` · <span class="bad">${h.failed} failing</span>` : ''}</span>
        <span class="health" aria-hidden="true">
          ${segment(h, 'failed')}${segment(h, 'running')}${segment(h, 'ok')}${segment(h, 'none')}
        </span>
      </a>`;
    })}
  </nav>`;
}

function JobRow({ job, runs, now, wanted }) {
  useEffect(() => wanted(job.name), [job.name, wanted]);
  const outcome = lastOutcome(job, runs);
  return html`<tr data-job=${job.name} class=${`job ${job.paused ? 'paused' : ''}`}>
    <td class="job-name">
      <a href=${jobHref(job.name)}>${job.name}</a>
      <small title=${job.description}>${job.description}</small>
    </td>
    <td data-label="Schedule">
      <span title=${job.frequency}>${frequency(job.frequency)}</span>
      <small>${job.timezone}</small>
    </td>
    <td class="tags" data-label="Tags">
      ${(job.tags || []).map(
        (t) => html`<a key=${t} class="chip" href=${href('/jobs', { tag: t })}>${t}</a>`,
      )}
    </td>
    <td data-label="Next run"><${TimeBoth} iso=${job.next_run} now=${now} /></td>
    <td data-label="Last outcome">
      ${outcome.status
        ? html`<${Status} status=${outcome.status} /> <${TimeBoth} iso=${outcome.at} now=${now} inline />`
        : html`<span class="muted">never run</span>`}
    </td>
    <td data-label="State">
      ${job.running && html`<${Status} status="RUNNING" />`}
      ${job.paused && html`<span class="badge st-paused">PAUSED</span>`}
      ${!job.running && !job.paused && html`<span class="muted">idle</span>`}
    </td>
    <td class="pills" data-label="Recent">
      ${(runs || []).slice(0, PILLS).reverse().map((r) => html`<${RunPill} key=${r.id} run=${r} />`)}
    </td>
    <td class="actions-cell"><${JobActions} job=${job} /></td>
  </tr>`;
}

// Rows of jobs that the window of newest runs does not cover fetch their own runs when
// they are rendered (which, the list being windowed, means when they come into sight),
// a few at a time.
function useRowRuns(recent) {
  const [rowRuns, setRowRuns] = useState(() => new Map());
  const queue = useRef([]);
  const requested = useRef(new Set());
  const inFlight = useRef(0);
  const recentRef = useRef(recent);
  recentRef.current = recent;

  const pump = () => {
    while (inFlight.current < ROW_FETCHES && queue.current.length) {
      const name = queue.current.shift();
      inFlight.current += 1;
      loadJobRuns(name)
        .then((runs) => setRowRuns((m) => new Map(m).set(name, runs)))
        .catch(() => requested.current.delete(name))
        .finally(() => {
          inFlight.current -= 1;
          pump();
        });
    }
  };

  const wanted = useMemo(
    () => (name) => {
      const window = recentRef.current;
      if (!window || !window.full || requested.current.has(name)) return;
      if ((window.byJob.get(name) || []).length >= PILLS) return;
      requested.current.add(name);
      queue.current.push(name);
      pump();
    },
    [],
  );
  return { rowRuns, wanted };
}

// The rows in sight (plus a margin) of a list of `count` rows of equal height, scrolled
// with the window. The row height is the CSS variable `--job-row` of the list, so the
// narrow layout's taller cards need nothing here.
function useWindowRows(count, body) {
  const [range, setRange] = useState({ first: 0, last: 40, row: 56 });
  useLayoutEffect(() => {
    const update = () => {
      const element = body.current;
      if (!element) return;
      const row = parseFloat(getComputedStyle(element).getPropertyValue('--job-row')) || 56;
      const top = element.getBoundingClientRect().top;
      const first = Math.max(0, Math.floor(-top / row) - OVERSCAN);
      const last = Math.min(count, Math.max(first, Math.ceil((window.innerHeight - top) / row)) + OVERSCAN);
      setRange((r) => (r.first === first && r.last === last && r.row === row ? r : { first, last, row }));
    };
    update();
    window.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      window.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, [count]);
  return range;
}

function Spacer({ height }) {
  return height > 0
    ? html`<tr class="spacer" aria-hidden="true"><td colspan="8" style=${{ height: `${height}px` }}></td></tr>`
    : null;
}

export function JobsView({ query }) {
  const tag = query.tag || '';
  const [search, setSearch] = useState(query.q || '');
  const jobs = usePoll(() => get('/api/jobs'), POLL_MS, []);
  const recent = usePoll(() => (canListRuns() ? loadRecent() : null), POLL_MS, []);
  const { rowRuns, wanted } = useRowRuns(recent.data);
  const rendered = useRef(false);
  const body = useRef(null);

  const all = jobs.data || [];
  const runsOf = (name) =>
    mergeRuns(recent.data ? recent.data.byJob.get(name) : [], rowRuns.get(name));
  const byJob = useMemo(() => new Map(all.map((j) => [j.name, runsOf(j.name)])), [all, recent.data, rowRuns]);
  const health = useMemo(() => tagHealth(all, byJob), [all, byJob]);
  const needle = search.trim().toLowerCase();
  const shown = all.filter(
    (j) =>
      (!tag || (j.tags || []).includes(tag)) &&
      (!needle || j.name.toLowerCase().includes(needle) || (j.description || '').toLowerCase().includes(needle)),
  );

  const range = useWindowRows(shown.length, body);

  useEffect(() => {
    // for bench/dashboard.py: the first time the list is on screen
    if (jobs.data && !rendered.current && (range.last > range.first || !shown.length)) {
      rendered.current = true;
      performance.mark('husky:jobs-rendered');
    }
  }, [jobs.data, range]);

  if (jobs.data === undefined) return jobs.error ? html`<${ErrorNote} error=${jobs.error} />` : html`<${Loading} what="Loading jobs" />`;
  const now = Date.now();
  return html`<section class="view jobs-view">
    <header class="view-head">
      <h1>Jobs <small class="muted">${shown.length} of ${all.length}</small></h1>
      <input type="search" class="search" placeholder="Filter by name or description"
        aria-label="Filter jobs by name or description" value=${search}
        onInput=${(e) => setSearch(e.target.value)} />
    </header>
    <${ErrorNote} error=${jobs.error} />
    <${TagStrip} health=${health} current=${tag} />
    ${tag && html`<p class="filter-note">Tag <span class="chip">${tag}</span>
      <button class="link" onClick=${() => navigate('/jobs')}>show all</button></p>`}
    <div class="table-wrap">
      <table class="jobs" data-count=${shown.length}>
        <colgroup>
          <col class="c-job" /><col class="c-schedule" /><col class="c-tags" /><col class="c-next" />
          <col class="c-outcome" /><col class="c-state" /><col class="c-pills" /><col class="c-actions" />
        </colgroup>
        <thead><tr>
          <th>Job</th><th>Schedule</th><th>Tags</th><th>Next run</th><th>Last outcome</th>
          <th>State</th><th title="oldest to newest">Recent runs</th><th><span class="sr-only">Actions</span></th>
        </tr></thead>
        <tbody ref=${body}>
          <${Spacer} height=${range.first * range.row} />
          ${shown.slice(range.first, range.last).map(
            (job) => html`<${JobRow} key=${job.name} job=${job} runs=${byJob.get(job.name)} now=${now} wanted=${wanted} />`,
          )}
          <${Spacer} height=${Math.max(0, shown.length - range.last) * range.row} />
        </tbody>
      </table>
    </div>
    ${!shown.length && html`<p class="muted">No job matches.</p>`}
  </section>`;
}
