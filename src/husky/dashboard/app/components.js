// Pieces every view uses: polling, toasts, dialogs, status badges, run pills, pagers.

import { html, useEffect, useRef, useState } from '../vendor/htm-preact-standalone.js';
import { describe } from './api.js';
import { absolute, relative, statusClass } from './format.js';
import { runHref } from './router.js';

// -- polling ---------------------------------------------------------------------------

// Everything that polls also reloads on this event (after an action, a new token…).
export function refreshAll() {
  window.dispatchEvent(new Event('husky:refresh'));
}

// `load()` now and every `intervalMs` (slower while the tab is hidden; 0 = once).
// Returns `{ data, error, loading, reload }`; an older answer never overwrites a newer one.
export function usePoll(load, intervalMs, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const runner = useRef(null);
  useEffect(() => {
    let alive = true;
    let timer = 0;
    let seq = 0;
    setState((s) => ({ ...s, loading: true }));
    const run = async () => {
      clearTimeout(timer);
      const mine = ++seq;
      let next;
      try {
        const data = await load();
        next = { data, error: null, loading: false };
      } catch (error) {
        next = (s) => ({ data: s.data, error, loading: false });
      }
      if (!alive || mine !== seq) return;
      setState(next);
      if (intervalMs) timer = setTimeout(run, document.hidden ? intervalMs * 4 : intervalMs);
    };
    runner.current = run;
    run();
    window.addEventListener('husky:refresh', run);
    return () => {
      alive = false;
      clearTimeout(timer);
      window.removeEventListener('husky:refresh', run);
    };
  }, deps);
  return { ...state, reload: () => runner.current && runner.current() };
}

// -- toasts ----------------------------------------------------------------------------

let toastSeq = 0;
let toasts = [];
const toastListeners = new Set();

export function toast(text, kind = 'info') {
  const id = ++toastSeq;
  toasts = [...toasts, { id, text, kind }];
  toastListeners.forEach((l) => l(toasts));
  setTimeout(() => dismiss(id), kind === 'error' ? 9000 : 4000);
}

function dismiss(id) {
  toasts = toasts.filter((t) => t.id !== id);
  toastListeners.forEach((l) => l(toasts));
}

export function Toasts() {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    toastListeners.add(setList);
    return () => toastListeners.delete(setList);
  }, []);
  return html`<div class="toasts" role="status" aria-live="polite">
    ${list.map(
      (t) => html`<div key=${t.id} class=${`toast toast-${t.kind}`}>
        <span>${t.text}</span>
        <button class="link" aria-label="Dismiss" onClick=${() => dismiss(t.id)}>×</button>
      </div>`,
    )}
  </div>`;
}

// Run an API action, say how it went, and refresh what is on screen.
export async function act(action, done) {
  try {
    const result = await action();
    if (result && result.ok === false) {
      toast(result.error || 'failed', 'error');
      return result;
    }
    if (done) toast(typeof done === 'function' ? done(result) : done, 'success');
    refreshAll();
    return result;
  } catch (error) {
    toast(describe(error), 'error');
    return null;
  }
}

// -- dialogs ---------------------------------------------------------------------------

let openDialog = null;
const dialogListeners = new Set();

// Ask the user: resolves to the text typed (`input` given), true (confirmed) or null.
export function ask({ title, message = '', input = null, confirm = 'OK', secret = false }) {
  return new Promise((resolve) => {
    openDialog = { title, message, input, confirm, secret, resolve };
    dialogListeners.forEach((l) => l(openDialog));
  });
}

export function Dialogs() {
  const [current, setCurrent] = useState(openDialog);
  const dialog = useRef(null);
  const field = useRef(null);
  useEffect(() => {
    dialogListeners.add(setCurrent);
    return () => dialogListeners.delete(setCurrent);
  }, []);
  useEffect(() => {
    if (current && dialog.current && !dialog.current.open) {
      dialog.current.showModal();
      (field.current || dialog.current.querySelector('button[type=submit]')).focus();
    }
  }, [current]);
  if (!current) return null;
  const finish = (value) => {
    openDialog = null;
    if (dialog.current && dialog.current.open) dialog.current.close();
    setCurrent(null);
    current.resolve(value);
  };
  const submit = (event) => {
    event.preventDefault();
    finish(current.input === null ? true : field.current.value);
  };
  return html`<dialog ref=${dialog} class="dialog" onCancel=${(e) => (e.preventDefault(), finish(null))}>
    <form onSubmit=${submit}>
      <h2>${current.title}</h2>
      ${current.message && html`<p>${current.message}</p>`}
      ${current.input !== null &&
      html`<label class="field">
        <span>${current.input}</span>
        <input ref=${field} type=${current.secret ? 'password' : 'text'} autocomplete="off" />
      </label>`}
      <div class="actions">
        <button type="button" onClick=${() => finish(null)}>Cancel</button>
        <button type="submit" class="primary">${current.confirm}</button>
      </div>
    </form>
  </dialog>`;
}

// -- small views -----------------------------------------------------------------------

export function Status({ status }) {
  return html`<span class=${`badge ${statusClass(status)}`}>${status || '—'}</span>`;
}

export function Time({ iso, now }) {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime=${iso} title=${absolute(iso)}>${relative(iso, now)}</time>`;
}

// "in 3h" on top of the local date and time.
export function TimeBoth({ iso, now, inline = false }) {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time class=${inline ? 'both inline' : 'both'} datetime=${iso}
    ><span>${relative(iso, now)}</span><small>${absolute(iso)}</small></time
  >`;
}

export function RunPill({ run }) {
  const label = `run ${run.id} ${run.status}${run.created_at ? ` · ${absolute(run.created_at)}` : ''}`;
  return html`<a class=${`pill ${statusClass(run.status)}`} href=${runHref(run.id)} title=${label}
    aria-label=${label}></a>`;
}

export function Pager({ offset, limit, count, onChange }) {
  const from = count ? offset + 1 : 0;
  return html`<nav class="pager" aria-label="Pages">
    <button disabled=${offset === 0} onClick=${() => onChange(Math.max(0, offset - limit))}>
      ‹ Previous
    </button>
    <span class="muted">rows ${from}–${offset + count}</span>
    <button disabled=${count < limit} onClick=${() => onChange(offset + limit)}>Next ›</button>
  </nav>`;
}

export function ErrorNote({ error }) {
  return error ? html`<p class="error-note" role="alert">${describe(error)}</p>` : null;
}

export function Loading({ what = 'Loading' }) {
  return html`<p class="muted" aria-busy="true">${what}…</p>`;
}
