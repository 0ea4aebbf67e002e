// The newest runs across all jobs, in one request: the jobs view's pills and the DAG's
// colours come from here, so neither costs a request per job.
//
// A window of the newest WINDOW runs covers every job that ran lately. When the window is
// full, a job whose older runs fall outside it gets them fetched when its row is visible
// (`loadJobRuns`), so a thousand jobs cost one request plus a few for the rows on screen.

import { get, has } from './api.js';

export const WINDOW = 500;
export const PILLS = 10;

const RUNS_PATH = '/api/db/job_runs';
const AUDIT_PATH = '/api/audit';

function source() {
  if (has(RUNS_PATH)) return RUNS_PATH;
  if (has(AUDIT_PATH)) return AUDIT_PATH;
  return null;
}

export const canListRuns = () => source() !== null;

// `{ byJob: Map(job → runs newest first), full }`, or null when the daemon cannot list runs.
export async function loadRecent() {
  const path = source();
  if (!path) return null;
  const runs = await get(path, { limit: WINDOW });
  return { byJob: groupByJob(runs), full: runs.length >= WINDOW };
}

export async function loadJobRuns(job, limit = PILLS) {
  const path = source();
  return path ? get(path, { job, limit }) : [];
}

export function groupByJob(runs) {
  const byJob = new Map();
  for (const run of runs) {
    let list = byJob.get(run.job_name);
    if (!list) byJob.set(run.job_name, (list = []));
    list.push(run);
  }
  return byJob;
}

// Runs of one job from the window and from a row's own fetch, newest first, no repeats.
export function mergeRuns(...lists) {
  const seen = new Map();
  for (const list of lists) for (const run of list || []) seen.set(run.id, run);
  return [...seen.values()].sort((a, b) => b.id - a.id);
}

// The status a job shows: RUNNING when it runs, else its newest run's, else its last
// outcome from job_state, else none.
export function jobStatus(job, runs) {
  if (job && job.running) return 'RUNNING';
  if (runs && runs.length) return runs[0].status;
  return lastOutcome(job, runs).status;
}

const ENDED = new Set(['SUCCESS', 'FAILED', 'CANCELLED', 'SKIPPED', 'RETRYING']);

// How the job's latest finished run ended, with its time: from its newest runs when they
// are known (so a skipped or cancelled run counts too), else from job_state's
// last_success / last_failure, whichever is later.
export function lastOutcome(job, runs) {
  const ended = (runs || []).find((r) => ENDED.has(r.status));
  if (ended) return { status: ended.status, at: ended.finished_at || ended.created_at };
  const ok = job && job.last_success;
  const bad = job && job.last_failure;
  if (!ok && !bad) return { status: null, at: null };
  if (ok && (!bad || Date.parse(ok) >= Date.parse(bad))) return { status: 'SUCCESS', at: ok };
  return { status: 'FAILED', at: bad };
}
