// The app shell: navigation, the daemon's heartbeat, the sign-in prompt, and the views.

import { html, render } from '../vendor/htm-preact-standalone.js';
import { get, loadCapabilities, onUnauthorized, setToken } from './api.js';
import { Dialogs, Toasts, ask, refreshAll, toast, usePoll } from './components.js';
import { href, useRoute } from './router.js';
import { AuditView } from './views/audit.js';
import { ConfigView } from './views/config.js';
import { DagView } from './views/dag.js';
import { DaemonView } from './views/daemon.js';
import { DataView } from './views/data.js';
import { JobView } from './views/job.js';
import { JobsView } from './views/jobs.js';
import { RunView } from './views/run.js';
import { TimelineView } from './views/timeline.js';

const NAV = [
  ['jobs', 'Jobs'],
  ['dag', 'DAG'],
  ['timeline', 'Timeline'],
  ['audit', 'Audit'],
  ['data', 'Data'],
  ['config', 'Config'],
  ['daemon', 'Daemon'],
];

function Heartbeat() {
  const status = usePoll(() => get('/api/status'), 10000, []);
  if (status.error) return html`<span class="heartbeat down" role="status">daemon unreachable</span>`;
  if (!status.data) return null;
  return html`<span class="heartbeat up" title=${`pid ${status.data.pid}`}>
    v${status.data.version} · up ${status.data.uptime}
  </span>`;
}

function View({ route }) {
  const [section = 'jobs', arg] = route.parts;
  const { query } = route;
  switch (section) {
    case 'jobs':
      return arg ? html`<${JobView} key=${arg} name=${arg} />` : html`<${JobsView} query=${query} />`;
    case 'runs':
      return /^\d+$/.test(arg || '')
        ? html`<${RunView} key=${arg} id=${Number(arg)} />`
        : html`<p class="error-note">"${arg}" is not a run id.</p>`;
    case 'dag':
      return html`<${DagView} query=${query} />`;
    case 'timeline':
      return html`<${TimelineView} query=${query} />`;
    case 'audit':
      return html`<${AuditView} query=${query} />`;
    case 'data':
      return html`<${DataView} table=${arg} query=${query} />`;
    case 'config':
      return html`<${ConfigView} />`;
    case 'daemon':
      return html`<${DaemonView} />`;
    default:
      return html`<p class="error-note">No page here. <a href=${href('/jobs')}>Go to the jobs</a>.</p>`;
  }
}

function App() {
  const route = useRoute();
  const section = route.parts[0] || 'jobs';
  return html`
    <button class="skip-link" onClick=${() => document.getElementById('main').focus()}>Skip to content</button>
    <header class="top">
      <a class="brand" href=${href('/jobs')}>Husky</a>
      <nav class="main-nav" aria-label="Views">
        ${NAV.map(
          ([key, label]) => html`<a key=${key} href=${href(`/${key}`)}
            aria-current=${section === key || (key === 'jobs' && section === 'runs') ? 'page' : undefined}>${label}</a>`,
        )}
      </nav>
      <${Heartbeat} />
    </header>
    <main id="main" tabindex="-1"><${View} route=${route} /></main>
    <${Toasts} />
    <${Dialogs} />`;
}

// A 401: ask for a bearer token (Basic auth is the browser's own dialog).
let asking = false;
onUnauthorized(async (error, challenge) => {
  if (asking || /^basic/i.test(challenge)) {
    if (!asking) toast('Sign-in needed: reload the page to get the sign-in dialog.', 'error');
    return;
  }
  asking = true;
  try {
    const value = await ask({
      title: 'Sign in',
      message: `The daemon answered "${error.message}". Enter a bearer token (kept for this browser tab only).`,
      input: 'Token',
      secret: true,
      confirm: 'Sign in',
    });
    if (value && value.trim()) {
      setToken(value.trim());
      refreshAll();
    }
  } finally {
    asking = false;
  }
});

await loadCapabilities();
render(html`<${App} />`, document.getElementById('app'));
