// One job: its effective definition, its state, its actions and its latest runs.

import { html } from '../../vendor/htm-preact-standalone.js';
import { JobActions } from '../actions.js';
import { get } from '../api.js';
import { ErrorNote, Loading, Status, Time, TimeBoth, usePoll } from '../components.js';
import { frequency, runDuration } from '../format.js';
import { lastOutcome } from '../recent.js';
import { href, jobHref, runHref } from '../router.js';

const POLL_MS = 3000;

const none = html`<span class="muted">—</span>`;

function text(value) {
  if (value === null || value === undefined || value === '') return none;
  if (Array.isArray(value)) return value.length ? value.join(', ') : none;
  return String(value);
}

// `{key: value}` as `key = value` lines.
function pairs(map, show = (v) => v) {
  const entries = Object.entries(map || {});
  if (!entries.length) return none;
  return html`<ul class="plain">${entries.map(([k, v]) => html`<li><code>${k}</code> = ${show(v)}</li>`)}</ul>`;
}

function notifyText(notify) {
  if (!notify) return none;
  const events = Object.entries(notify).filter(([, target]) => target);
  if (!events.length) return none;
  return html`<ul class="plain">${events.map(
    ([event, t]) => html`<li>${event.replace(/_/g, ' ')} → <strong>${t.channel}</strong>${t.message ? html` <q>${t.message}</q>` : ''}${t.attach_logs ? ` (logs: ${t.attach_logs})` : ''}${t.only_after_failure ? ' (only after a failure)' : ''}</li>`,
  )}</ul>`;
}

function healthcheckText(hc) {
  if (!hc) return none;
  return html`<code>${hc.command}</code>${hc.timeout ? `, timeout ${hc.timeout}` : ''}${hc.on_fail ? `, on fail: ${hc.on_fail}` : ''}`;
}

export function RunsTable({ runs, now, showJob = false }) {
  if (!runs.length) return html`<p class="muted">No runs yet.</p>`;
  return html`<div class="table-wrap"><table class="runs">
    <thead><tr>
      <th>Run</th>${showJob && html`<th>Job</th>`}<th>Status</th><th>Attempt</th><th>Trigger</th>
      <th>Reason</th><th>Created</th><th>Duration</th><th>Exit</th><th>SLA</th>
    </tr></thead>
    <tbody>${runs.map(
      (r) => html`<tr key=${r.id}>
        <td><a href=${runHref(r.id)}>#${r.id}</a></td>
        ${showJob && html`<td><a href=${jobHref(r.job_name)}>${r.job_name}</a></td>`}
        <td><${Status} status=${r.status} />${r.status_reason && html`<small>${r.status_reason}</small>`}</td>
        <td>${r.attempt}</td>
        <td>${r.trigger}<small>${r.triggered_by}</small></td>
        <td>${r.reason}</td>
        <td><${Time} iso=${r.created_at} now=${now} /></td>
        <td>${runDuration(r, now)}</td>
        <td>${r.exit_code ?? ''}</td>
        <td>${r.sla_breached ? html`<span class="badge st-failed">breached</span>` : ''}</td>
      </tr>`,
    )}</tbody>
  </table></div>`;
}

export function JobView({ name }) {
  const detail = usePoll(() => get(`/api/jobs/${encodeURIComponent(name)}`, { runs: 50 }), POLL_MS, [name]);
  const list = usePoll(() => get('/api/jobs'), POLL_MS, []);
  if (detail.data === undefined) {
    return detail.error ? html`<${ErrorNote} error=${detail.error} />` : html`<${Loading} />`;
  }
  const { job, runs } = detail.data;
  const summary = (list.data || []).find((j) => j.name === name) || { name };
  const outcome = lastOutcome(summary, runs);
  const now = Date.now();
  const fields = [
    ['Frequency', html`${frequency(job.frequency)} <code>${job.frequency}</code>`],
    ['Time', text(job.time)],
    ['Timezone', text(job.timezone)],
    ['Working directory', text(job.working_dir)],
    [
      'Depends on',
      job.depends_on.length
        ? job.depends_on.map((d) => html`<a class="chip" href=${jobHref(d)}>${d}</a> `)
        : text(null),
    ],
    ['Timeout', text(job.timeout)],
    ['Retries', text(job.retries)],
    ['Retry delay', text(job.retry_delay)],
    ['Concurrency', text(job.concurrency)],
    ['On failure', text(job.on_failure)],
    ['SLA', text(job.sla)],
    ['Catch up', text(job.catchup)],
    ['Tags', job.tags.length ? job.tags.map((t) => html`<a class="chip" href=${href('/jobs', { tag: t })}>${t}</a> `) : text(null)],
    ['Healthcheck', healthcheckText(job.healthcheck)],
    ['Outputs', pairs(job.output, (v) => html`<code>${v}</code>`)],
    ['Notify', notifyText(job.notify)],
    ['Environment', pairs(job.env)],
  ];
  return html`<section class="view job-view">
    <header class="view-head">
      <h1>${name}</h1>
      <${JobActions} job=${summary} />
    </header>
    <${ErrorNote} error=${detail.error} />
    ${job.description && html`<p class="lead">${job.description}</p>`}
    <div class="facts">
      <div><span class="label">State</span>${summary.running ? html`<${Status} status="RUNNING" />` : summary.paused ? html`<span class="badge st-paused">PAUSED</span>` : 'idle'}</div>
      <div><span class="label">Next run</span><${TimeBoth} iso=${summary.next_run} now=${now} /></div>
      <div><span class="label">Last outcome</span>${outcome.status ? html`<${Status} status=${outcome.status} /> <${Time} iso=${outcome.at} now=${now} />` : 'never run'}</div>
      <div><span class="label">Elsewhere</span><a href=${href('/audit', { job: name })}>history</a> · <a href=${href('/dag', { focus: name })}>DAG</a></div>
    </div>
    <h2>Command</h2>
    <pre class="command">${job.command}</pre>
    <h2>Definition</h2>
    <dl class="definition">
      ${fields.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}
    </dl>
    <h2>Latest runs</h2>
    <${RunsTable} runs=${runs} now=${now} />
  </section>`;
}
