// Data: the store's tables as paged, filterable tables (api.md §6 `/api/db/*`).

import { html } from '../../vendor/htm-preact-standalone.js';
import { get, has, post } from '../api.js';
import { ErrorNote, Status, Time, act, ask, usePoll } from '../components.js';
import { href, jobHref, navigate, runHref } from '../router.js';
import { FilterForm, PagedTable, usePage } from '../table.js';
import { STATUSES, TRIGGERS, runColumns } from './audit.js';

const POLL_MS = 5000;
const runLink = (r) => (r.run_id ? html`<a href=${runHref(r.run_id)}>#${r.run_id}</a>` : '');
const jobLink = (r) => html`<a href=${jobHref(r.job_name)}>${r.job_name}</a>`;

async function retryAlert(alert) {
  const sure = await ask({
    title: `Retry alert #${alert.id}?`,
    message: `It goes back to pending and is sent again through ${alert.channel}.`,
    confirm: 'Retry',
  });
  if (sure) await act(() => post(`/api/db/alerts/${alert.id}/retry`), `Alert #${alert.id} queued for retry`);
}

async function clearLock(job) {
  const sure = await ask({
    title: `Clear the lock of ${job}?`,
    message: 'Only when no run of it is really running.',
    confirm: 'Clear lock',
  });
  if (sure) await act(() => post(`/api/db/job_state/${encodeURIComponent(job)}/clear_lock`), `Lock of ${job} cleared`);
}

const TABLES = {
  job_runs: {
    title: 'job_runs',
    path: '/api/db/job_runs',
    limit: 50,
    fields: [
      { name: 'job', label: 'Job' },
      { name: 'status', label: 'Status', type: 'select', options: STATUSES },
      { name: 'trigger', label: 'Trigger', type: 'select', options: TRIGGERS },
      { name: 'since', label: 'Created since', type: 'datetime' },
      { name: 'until', label: 'Created until', type: 'datetime' },
      { name: 'sla_breached', label: 'SLA breached only', type: 'checkbox' },
    ],
    columns: () => runColumns(Date.now()),
    key: (r) => r.id,
  },
  run_logs: {
    title: 'run_logs',
    path: '/api/db/run_logs',
    limit: 200,
    fields: [
      { name: 'q', label: 'Text contains', placeholder: 'search every log' },
      { name: 'job', label: 'Job' },
      { name: 'run_id', label: 'Run id', type: 'number' },
      { name: 'stream', label: 'Stream', type: 'select', options: ['stdout', 'stderr', 'healthcheck'] },
    ],
    columns: () => [
      { label: 'Run', render: runLink },
      { label: 'Seq', key: 'seq' },
      { label: 'Stream', render: (l) => html`<span class=${`stream-tag s-${l.stream}`}>${l.stream}</span>` },
      { label: 'Line', render: (l) => html`<code class="log-line">${l.line}</code>`, className: 'wide' },
      { label: 'Time', render: (l) => html`<${Time} iso=${l.ts} />` },
    ],
    key: (l) => `${l.run_id}:${l.seq}`,
  },
  run_outputs: {
    title: 'run_outputs',
    path: '/api/db/run_outputs',
    limit: 100,
    fields: [
      { name: 'job', label: 'Job' },
      { name: 'run_id', label: 'Run id', type: 'number' },
      { name: 'cycle_id', label: 'Cycle id' },
    ],
    columns: () => [
      { label: 'Run', render: runLink },
      { label: 'Job', render: jobLink },
      { label: 'Variable', render: (o) => html`<code>${o.var_name}</code>` },
      { label: 'Value', key: 'value', className: 'wide value-cell' },
      { label: 'Cycle', render: (o) => html`<small>${o.cycle_id}</small>` },
    ],
    key: (o) => `${o.run_id}:${o.var_name}`,
  },
  state: {
    title: 'job_state',
    path: '/api/db/state',
    limit: null,
    fields: [],
    columns: () => [
      { label: 'Job', render: jobLink },
      { label: 'Last success', render: (s) => html`<${Time} iso=${s.last_success} />` },
      { label: 'Last failure', render: (s) => html`<${Time} iso=${s.last_failure} />` },
      { label: 'Next run', render: (s) => html`<${Time} iso=${s.next_run} />` },
      {
        label: 'Lock',
        render: (s) =>
          s.lock_pid
            ? html`pid ${s.lock_pid} <button onClick=${() => clearLock(s.job_name)}>Clear lock</button>`
            : html`<span class="muted">none</span>`,
      },
    ],
    key: (s) => s.job_name,
  },
  alerts: {
    title: 'alerts',
    path: '/api/db/alerts',
    limit: 100,
    fields: [
      { name: 'job', label: 'Job' },
      { name: 'status', label: 'Status', type: 'select', options: ['delivered', 'failed', 'pending'] },
    ],
    columns: () => [
      { label: 'Alert', render: (a) => `#${a.id}` },
      { label: 'Job', render: jobLink },
      { label: 'Run', render: runLink },
      { label: 'Event', key: 'event' },
      { label: 'Channel', key: 'channel' },
      { label: 'Status', render: (a) => html`<${Status} status=${a.status.toUpperCase()} />` },
      { label: 'Attempts', key: 'attempts' },
      { label: 'Last attempt', render: (a) => html`<${Time} iso=${a.last_attempt_at} />` },
      { label: 'Error', key: 'error', className: 'wide' },
      {
        label: '',
        render: (a) =>
          a.status === 'pending' ? html`<span class="muted">pending</span>` : html`<button onClick=${() => retryAlert(a)}>Retry</button>`,
      },
    ],
    key: (a) => a.id,
  },
};

function StateTable({ table }) {
  const rows = usePoll(() => get(table.path), POLL_MS, [table.path]);
  return html`<div class="paged" data-rows=${(rows.data || []).length}>
    <${ErrorNote} error=${rows.error} />
    ${rows.data && html`<table class="data"><thead><tr>${table.columns().map((c) => html`<th>${c.label}</th>`)}</tr></thead>
      <tbody>${rows.data.map((r) => html`<tr key=${table.key(r)}>${table.columns().map((c) => html`<td>${c.render(r)}</td>`)}</tr>`)}</tbody></table>`}
  </div>`;
}

function PagedData({ name, table, query }) {
  const { offset, ...filters } = query;
  const page = usePage(table.path, query, table.limit, POLL_MS);
  return html`
    <${FilterForm} fields=${table.fields} values=${filters} onApply=${(v) => navigate(`/data/${name}`, v)} />
    <${ErrorNote} error=${page.error} />
    <${PagedTable} page=${page} columns=${table.columns()} rowKey=${table.key}
      onOffset=${(o) => navigate(`/data/${name}`, { ...filters, offset: o || '' })} />`;
}

export function DataView({ table: name = 'job_runs', query }) {
  const available = Object.entries(TABLES).filter(([, t]) => has(t.path));
  const table = TABLES[name];
  return html`<section class="view data-view">
    <header class="view-head"><h1>Data</h1></header>
    <nav class="tabs" aria-label="Tables">
      ${Object.entries(TABLES).map(
        ([key, t]) => html`<a key=${key} href=${href(`/data/${key}`)} aria-current=${key === name ? 'page' : undefined}
          class=${`tab ${has(t.path) ? '' : 'unavailable'}`}>${t.title}</a>`,
      )}
    </nav>
    ${!table && html`<p class="error-note">No table "${name}".</p>`}
    ${table && !has(table.path) && html`<p class="muted">This daemon has no ${table.path} (${available.length} of ${Object.keys(TABLES).length} tables available).</p>`}
    ${table && has(table.path) && (table.limit ? html`<${PagedData} key=${name} name=${name} table=${table} query=${query} />` : html`<${StateTable} table=${table} />`)}
  </section>`;
}
