// What an operator can do to a job: run (with a reason), cancel, pause, resume, retry, skip.

import { html } from '../vendor/htm-preact-standalone.js';
import { post } from './api.js';
import { act, ask } from './components.js';
import { runHref } from './router.js';

const path = (name, action) => `/api/jobs/${encodeURIComponent(name)}/${action}`;

export async function runJob(name) {
  const reason = await ask({
    title: `Run ${name}`,
    input: 'Reason (optional, kept in the run’s history)',
    confirm: 'Run now',
  });
  if (reason === null) return null;
  const body = reason.trim() ? { reason: reason.trim() } : undefined;
  return act(
    () => post(path(name, 'run'), body),
    (r) => html`Run <a href=${runHref(r.run_id)}>#${r.run_id}</a> of ${name} started`,
  );
}

export async function cancelJob(name) {
  const sure = await ask({
    title: `Cancel ${name}?`,
    message: 'Its process group gets SIGTERM, then SIGKILL after the grace period.',
    confirm: 'Cancel the run',
  });
  return sure ? act(() => post(path(name, 'cancel')), `${name}: cancel requested`) : null;
}

export const pauseJob = (name) => act(() => post(path(name, 'pause')), `${name} paused`);
export const resumeJob = (name) => act(() => post(path(name, 'resume')), `${name} resumed`);
export const retryJob = (name) =>
  act(
    () => post(path(name, 'retry')),
    (r) => html`Retry <a href=${runHref(r.run_id)}>#${r.run_id}</a> of ${name} started`,
  );

export async function skipJob(name) {
  const sure = await ask({
    title: `Skip ${name}?`,
    message: 'Its waiting runs and its next scheduled run are skipped.',
    confirm: 'Skip',
  });
  return sure ? act(() => post(path(name, 'skip')), `${name}: next run skipped`) : null;
}

export function JobActions({ job }) {
  const name = job.name;
  return html`<div class="job-actions" role="group" aria-label=${`Actions for ${name}`}>
    <button class="primary" onClick=${() => runJob(name)} title="Run now">Run</button>
    <button disabled=${!job.running} onClick=${() => cancelJob(name)}>Cancel</button>
    ${job.paused
      ? html`<button onClick=${() => resumeJob(name)}>Resume</button>`
      : html`<button onClick=${() => pauseJob(name)}>Pause</button>`}
    <button onClick=${() => retryJob(name)}>Retry</button>
    <button onClick=${() => skipJob(name)}>Skip</button>
  </div>`;
}
