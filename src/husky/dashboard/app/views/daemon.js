// The daemon: what runs (version, pid, uptime, paths, counts), reload and stop; the
// integrations with their credential status and a test button.

import { html } from '../../vendor/htm-preact-standalone.js';
import { get, post } from '../api.js';
import { ErrorNote, Loading, Time, act, ask, toast, usePoll } from '../components.js';
import { href } from '../router.js';

const POLL_MS = 5000;

async function stopDaemon() {
  const sure = await ask({
    title: 'Stop the daemon?',
    message: 'Running jobs drain first. Nothing is scheduled until it is started again (husky start).',
    confirm: 'Stop the daemon',
  });
  if (sure) await act(() => post('/api/daemon/stop'), 'The daemon is stopping');
}

async function testIntegration(name) {
  const answer = await act(() => post(`/api/integrations/${encodeURIComponent(name)}/test`));
  if (answer && answer.ok) toast(`Test message sent through ${name}`, 'success');
}

function Integrations() {
  const list = usePoll(() => get('/api/integrations'), POLL_MS * 3, []);
  if (list.data === undefined) return list.error ? html`<${ErrorNote} error=${list.error} />` : html`<${Loading} />`;
  if (!list.data.length) return html`<p class="muted">No integrations in husky.yaml.</p>`;
  return html`<div class="table-wrap"><table class="data integrations">
    <thead><tr><th>Name</th><th>Provider</th><th>Credentials</th><th></th></tr></thead>
    <tbody>${list.data.map(
      (i) => html`<tr key=${i.name} data-integration=${i.name}>
        <td>${i.name}</td><td>${i.provider}</td>
        <td><span class=${`badge ${i.status === 'configured' ? 'st-success' : 'st-failed'}`}>${i.status}</span></td>
        <td><button onClick=${() => testIntegration(i.name)}>Send test</button></td>
      </tr>`,
    )}</tbody>
  </table></div>`;
}

function DaemonConfig({ path }) {
  const file = usePoll(() => get('/api/config/daemon'), 0, [path]);
  if (!file.data) return html`<${ErrorNote} error=${file.error} />`;
  return html`<details><summary>huskyd.yaml <small class="muted">${file.data.path}</small></summary>
    <pre class="command">${file.data.yaml}</pre></details>`;
}

export function DaemonView() {
  const info = usePoll(() => get('/api/daemon/info'), POLL_MS, []);
  if (info.data === undefined) return info.error ? html`<${ErrorNote} error=${info.error} />` : html`<${Loading} />`;
  const d = info.data;
  const facts = [
    ['Version', d.version],
    ['PID', d.pid],
    ['Up for', d.uptime],
    ['Started', html`<${Time} iso=${d.started_at} />`],
    ['Jobs', d.total_job_count],
    ['Running', d.active_job_count],
    ['Paused', d.paused_job_count],
    ['husky.yaml', html`<code>${d.config_path}</code> <a href=${href('/config')}>edit</a>`],
    ['huskyd.yaml', d.daemon_config_path ? html`<code>${d.daemon_config_path}</code>` : html`<span class="muted">none (defaults)</span>`],
    ['Database', html`<code>${d.db_path}</code>`],
  ];
  return html`<section class="view daemon-view">
    <header class="view-head">
      <h1>Daemon</h1>
      <div class="actions">
        <button onClick=${() => act(() => post('/api/daemon/reload'), 'Config reloaded')}>Reload config</button>
        <button class="danger" onClick=${stopDaemon}>Stop daemon</button>
      </div>
    </header>
    <${ErrorNote} error=${info.error} />
    <dl class="definition daemon-facts">${facts.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>
    ${d.daemon_config_path && html`<${DaemonConfig} path=${d.daemon_config_path} />`}
    <h2>Integrations</h2>
    <${Integrations} />
  </section>`;
}
