// One run: its facts, its live log, what it captured, and the job's runs before and after.

import { html } from '../../vendor/htm-preact-standalone.js';
import { cancelJob } from '../actions.js';
import { get } from '../api.js';
import { ErrorNote, Loading, Status, Time, usePoll } from '../components.js';
import { ACTIVE, absolute, runDuration } from '../format.js';
import { href, jobHref, runHref } from '../router.js';
import { LogViewer } from './logs.js';

const POLL_MS = 2000;
const NEIGHBOURS = 200; // runs of the job searched for the previous and next one

function Fact({ label, children }) {
  return html`<div><span class="label">${label}</span><div class="value">${children}</div></div>`;
}

function slaText(run, job) {
  if (run.sla_breached) return html`<span class="badge st-failed">breached</span>`;
  if (!job || !job.sla) return html`<span class="muted">no SLA</span>`;
  return ACTIVE.has(run.status) ? `running within ${job.sla}` : `met (${job.sla})`;
}

function healthText(run, job) {
  if (run.hc_status) return html`<span class=${`badge st-hc-${run.hc_status}`}>${run.hc_status}</span>`;
  if (!job || !job.healthcheck) return html`<span class="muted">no healthcheck</span>`;
  return html`<span class="muted">not run (yet)</span>`;
}

function Neighbours({ run, runs }) {
  const index = runs.findIndex((r) => r.id === run.id);
  const previous = index >= 0 ? runs[index + 1] : null;
  const next = index > 0 ? runs[index - 1] : null;
  return html`<nav class="neighbours" aria-label="Runs of this job">
    ${previous
      ? html`<a rel="prev" href=${runHref(previous.id)}>‹ previous run #${previous.id}</a>`
      : html`<span class="muted">no earlier run${index < 0 ? ' in the latest ' + NEIGHBOURS : ''}</span>`}
    <a href=${href('/audit', { job: run.job_name })}>all runs of ${run.job_name}</a>
    ${next
      ? html`<a rel="next" href=${runHref(next.id)}>next run #${next.id} ›</a>`
      : html`<span class="muted">latest run</span>`}
  </nav>`;
}

function Outputs({ outputs }) {
  if (!outputs || !outputs.length) return html`<p class="muted">Nothing captured.</p>`;
  return html`<div class="table-wrap"><table class="outputs">
    <thead><tr><th>Variable</th><th>Value</th><th>Cycle</th></tr></thead>
    <tbody>${outputs.map(
      (o) => html`<tr key=${o.var_name}><td><code>${o.var_name}</code></td>
        <td class="value-cell">${o.value}</td><td><small>${o.cycle_id}</small></td></tr>`,
    )}</tbody>
  </table></div>`;
}

export function RunView({ id }) {
  const run = usePoll(() => get(`/api/runs/${id}`), POLL_MS, [id]);
  const outputs = usePoll(() => get(`/api/runs/${id}/outputs`), POLL_MS * 3, [id]);
  const jobName = run.data && run.data.job_name;
  const job = usePoll(
    () => (jobName ? get(`/api/jobs/${encodeURIComponent(jobName)}`, { runs: NEIGHBOURS }) : null),
    POLL_MS * 5,
    [jobName, id],
  );

  if (run.data === undefined) {
    return run.error ? html`<${ErrorNote} error=${run.error} />` : html`<${Loading} what="Loading run" />`;
  }
  const r = run.data;
  const definition = job.data ? job.data.job : null;
  const now = Date.now();
  const onEnd = () => {
    run.reload();
    outputs.reload();
    job.reload();
  };
  return html`<section class="view run-view" data-run=${r.id} data-status=${r.status}>
    <header class="view-head">
      <h1>Run #${r.id} <small>of <a href=${jobHref(r.job_name)}>${r.job_name}</a></small></h1>
      ${ACTIVE.has(r.status) && html`<button onClick=${() => cancelJob(r.job_name)}>Cancel</button>`}
    </header>
    <${ErrorNote} error=${run.error} />
    ${job.data && html`<${Neighbours} run=${r} runs=${job.data.runs} />`}
    <div class="facts run-facts">
      <${Fact} label="Status"><span class="run-status"><${Status} status=${r.status} /></span>
        ${r.status_reason && html`<small class="status-reason">${r.status_reason}</small>`}<//>
      <${Fact} label="Attempt">${r.attempt}<//>
      <${Fact} label="Trigger">${r.trigger}<//>
      <${Fact} label="Triggered by">${r.triggered_by}<//>
      <${Fact} label="Reason">${r.reason || html`<span class="muted">—</span>`}<//>
      <${Fact} label="Created"><span title=${r.created_at}>${absolute(r.created_at)}</span><//>
      <${Fact} label="Started">${r.started_at ? html`<span title=${r.started_at}>${absolute(r.started_at)}</span>` : html`<span class="muted">not yet</span>`}<//>
      <${Fact} label="Finished">${r.finished_at ? html`<${Time} iso=${r.finished_at} now=${now} />` : html`<span class="muted">—</span>`}<//>
      <${Fact} label="Duration">${runDuration(r, now) || html`<span class="muted">—</span>`}<//>
      <${Fact} label="Exit code">${r.exit_code ?? html`<span class="muted">—</span>`}<//>
      <${Fact} label="SLA">${slaText(r, definition)}<//>
      <${Fact} label="Healthcheck">${healthText(r, definition)}<//>
    </div>
    <h2>Log</h2>
    <${LogViewer} runId=${r.id} live=${ACTIVE.has(r.status)} status=${r.status} onEnd=${onEnd} />
    <h2>Outputs</h2>
    <${Outputs} outputs=${outputs.data} />
  </section>`;
}
