// Audit: every run, newest first, with each filter of /api/audit, paged, and CSV export.

import { html, useState } from '../../vendor/htm-preact-standalone.js';
import { get, has } from '../api.js';
import { ErrorNote, Status, Time, toast, usePoll } from '../components.js';
import { absolute, csv, download, runDuration } from '../format.js';
import { jobHref, navigate, runHref } from '../router.js';
import { FilterForm, PagedTable, usePage } from '../table.js';

const PATH = '/api/audit';
const LIMIT = 50;
const EXPORT_PAGE = 1000;
const EXPORT_MAX = 100000;
const POLL_MS = 5000;

export const STATUSES = ['PENDING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED', 'RETRYING', 'SKIPPED'];
export const TRIGGERS = ['schedule', 'manual', 'dependency'];
export const RUN_FIELDS = [
  'id', 'job_name', 'status', 'status_reason', 'attempt', 'trigger', 'triggered_by', 'reason',
  'created_at', 'started_at', 'finished_at', 'exit_code', 'hc_status', 'sla_breached',
];

export function runColumns(now) {
  return [
    { label: 'Run', render: (r) => html`<a href=${runHref(r.id)}>#${r.id}</a>` },
    { label: 'Job', render: (r) => html`<a href=${jobHref(r.job_name)}>${r.job_name}</a>` },
    {
      label: 'Status',
      render: (r) => html`<${Status} status=${r.status} />${r.status_reason && html`<small>${r.status_reason}</small>`}`,
    },
    { label: 'Attempt', key: 'attempt' },
    { label: 'Trigger', render: (r) => html`${r.trigger}<small>${r.triggered_by}</small>` },
    { label: 'Reason', key: 'reason' },
    { label: 'Created', render: (r) => html`<${Time} iso=${r.created_at} now=${now} />` },
    { label: 'Started', render: (r) => absolute(r.started_at) },
    { label: 'Duration', render: (r) => runDuration(r, now) },
    { label: 'Exit', render: (r) => r.exit_code ?? '' },
    { label: 'SLA', render: (r) => (r.sla_breached ? html`<span class="badge st-failed">breached</span>` : '') },
  ];
}

async function exportCsv(filters) {
  const rows = [];
  for (let offset = 0; offset < EXPORT_MAX; offset += EXPORT_PAGE) {
    const page = await get(PATH, { ...filters, limit: EXPORT_PAGE, offset });
    rows.push(...page);
    if (page.length < EXPORT_PAGE) break;
  }
  download(`husky-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.csv`, csv(RUN_FIELDS, rows));
  toast(`Exported ${rows.length} runs`, 'success');
}

export function AuditView({ query }) {
  const [exporting, setExporting] = useState(false);
  const jobs = usePoll(() => get('/api/jobs'), 0, []);
  const tags = usePoll(() => get('/api/tags'), 0, []);
  const { offset, ...filters } = query;
  const page = usePage(has(PATH) ? PATH : null, query, LIMIT, POLL_MS);
  if (!has(PATH)) return html`<p class="muted">This daemon has no /api/audit.</p>`;
  const fields = [
    { name: 'job', label: 'Job', list: 'audit-jobs', placeholder: 'any job' },
    { name: 'status', label: 'Status', type: 'select', options: STATUSES },
    { name: 'trigger', label: 'Trigger', type: 'select', options: TRIGGERS },
    { name: 'tag', label: 'Tag', type: 'select', options: (tags.data || []).map((t) => t.tag) },
    { name: 'reason', label: 'Reason contains', placeholder: 'any reason' },
    { name: 'since', label: 'Since', type: 'datetime' },
  ];
  const onExport = async () => {
    setExporting(true);
    try {
      await exportCsv(filters);
    } catch (error) {
      toast(String(error.message || error), 'error');
    } finally {
      setExporting(false);
    }
  };
  return html`<section class="view audit-view">
    <header class="view-head"><h1>Audit</h1></header>
    <datalist id="audit-jobs">${(jobs.data || []).map((j) => html`<option value=${j.name} />`)}</datalist>
    <${FilterForm} fields=${fields} values=${filters} onApply=${(values) => navigate('/audit', values)}>
      <button type="button" onClick=${onExport} disabled=${exporting}>${exporting ? 'Exporting…' : 'Export CSV'}</button>
    <//>
    <${ErrorNote} error=${page.error} />
    <${PagedTable} page=${page} columns=${runColumns(Date.now())} rowKey=${(r) => r.id}
      onOffset=${(o) => navigate('/audit', { ...filters, offset: o || '' })} empty="No run matches." />
  </section>`;
}
