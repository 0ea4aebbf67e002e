// Jobs: every job with its schedule, next run, last outcome, state, recent runs and actions;
// a tag health strip that also filters.

import { html, useEffect, useMemo, useRef, useState } from '../../vendor/htm-preact-standalone.js';
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

// Health of a tag: how many of its jobs are failing, fine, running, paused, never run.
function tagHealth(jobs, runsByJob) {
  const tags = new Map();
  for (const job of jobs) {
    const status = jobStatus(job, runsByJob.get(job.name));
    for (const tag of job.tags || []) {
      let h = tags.get(tag);
      if (!h) tags.set(tag, (h = { tag, total: 0, failed: 0, ok: 0, running: 0, paused: 0, none: 0 }));
      h.total += 1;
      if (job.paused) h.paused += 1;
      if (status === 'RUNNING' || status === 'PENDING') h.running += 1;
      else if (status === 'FAILED' || status === 'CANCELLED') h.failed += 1;
      else if (status) h.ok += 1;
      else h.none += 1;
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
        `${h.paused} paused, ${h.none} never run`;
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

function JobRow({ job, runs, now, observe }) {
  const row = useRef(null);
  useEffect(() => observe(row.current), [observe]);
  const outcome = lastOutcome(job);
  return html`<tr ref=${row} data-job=${job.name} class=${job.paused ? 'paused' : ''}>
    <td class="job-name">
      <a href=${jobHref(job.name)}>${job.name}</a>
      ${job.description && html`<small>${job.description}</small>`}
    </td>
    <td data-label="Schedule">
      <span title=${job.frequency}>${frequency(job.frequency)}</span>
      ${job.timezone && html`<small>${job.timezone}</small>`}
    </td>
    <td class="tags" data-label="Tags">
      ${(job.tags || []).map(
        (t) => html`<a key=${t} class="chip" href=${href('/jobs', { tag: t })}>${t}</a>`,
      )}
    </td>
    <td data-label="Next run"><${TimeBoth} iso=${job.next_run} now=${now} /></td>
    <td data-label="Last outcome">
      ${outcome.status
        ? html`<${Status} status=${outcome.status} /> <${TimeBoth} iso=${outcome.at} now=${now} />`
        : html`<span class="muted">never run</span>`}
    </td>
    <td data-label="State">
      ${job.running && html`<${Status} status="RUNNING" />`}
      ${job.paused && html`<span class="badge st-paused">PAUSED</span>`}
      ${!job.running && !job.paused && html`<span class="muted">idle</span>`}
    </td>
    <td class="pills" data-label="Recent">${(runs || []).slice(0, PILLS).map((r) => html`<${RunPill} key=${r.id} run=${r} />`)}</td>
    <td><${JobActions} job=${job} /></td>
  </tr>`;
}

// Rows of jobs that the window of newest runs does not cover fetch their own runs when
// they scroll into view, a few at a time.
function useRowRuns(recent) {
  const [rowRuns, setRowRuns] = useState(() => new Map());
  const queue = useRef([]);
  const requested = useRef(new Set());
  const inFlight = useRef(0);
  const observer = useRef(null);
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

  useEffect(() => {
    observer.current = new IntersectionObserver((entries) => {
      const window = recentRef.current;
      if (!window || !window.full) return;
      for (const entry of entries) {
        const name = entry.target.dataset.job;
        if (!entry.isIntersecting || requested.current.has(name)) continue;
        if ((window.byJob.get(name) || []).length >= PILLS) continue;
        requested.current.add(name);
        queue.current.push(name);
      }
      pump();
    });
    return () => observer.current.disconnect();
  }, []);

  const observe = useMemo(
    () => (element) => {
      if (!element || !observer.current) return undefined;
      observer.current.observe(element);
      return () => observer.current && observer.current.unobserve(element);
    },
    [],
  );
  return { rowRuns, observe };
}

export function JobsView({ query }) {
  const tag = query.tag || '';
  const [search, setSearch] = useState(query.q || '');
  const jobs = usePoll(() => get('/api/jobs'), POLL_MS, []);
  const recent = usePoll(() => (canListRuns() ? loadRecent() : null), POLL_MS, []);
  const { rowRuns, observe } = useRowRuns(recent.data);
  const rendered = useRef(false);

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

  useEffect(() => {
    if (jobs.data && !rendered.current) {
      rendered.current = true;
      performance.mark('husky:jobs-rendered');
    }
  }, [jobs.data]);

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
        <thead><tr>
          <th>Job</th><th>Schedule</th><th>Tags</th><th>Next run</th><th>Last outcome</th>
          <th>State</th><th>Recent runs</th><th><span class="sr-only">Actions</span></th>
        </tr></thead>
        <tbody>
          ${shown.map(
            (job) => html`<${JobRow} key=${job.name} job=${job} runs=${byJob.get(job.name)} now=${now} observe=${observe} />`,
          )}
        </tbody>
      </table>
    </div>
    ${!shown.length && html`<p class="muted">No job matches.</p>`}
  </section>`;
}
