// husky.yaml: view, validate and save it; every problem is shown at its line (a marked
// gutter number, a band behind the line with the message, and a list that jumps there).
// A text that fails validation is never written, and the running config stays.

import { html, useEffect, useMemo, useRef, useState } from '../../vendor/htm-preact-standalone.js';
import { get, post } from '../api.js';
import { ErrorNote, Loading, ask, refreshAll, toast } from '../components.js';

export const LINE_HEIGHT = 20; // px; the CSS gives the editor this line height

function Gutter({ count, problems, scroll }) {
  const numbers = useMemo(() => Array.from({ length: count }, (_, i) => i + 1).join('\n'), [count]);
  const marked = new Map();
  for (const p of problems) if (p.line > 0 && !marked.has(p.line)) marked.set(p.line, p.message);
  return html`<div class="gutter" aria-hidden="true">
    <div class="gutter-inner" style=${{ transform: `translateY(${-scroll}px)` }}>
      <pre>${numbers}</pre>
      ${[...marked.entries()].map(
        ([n, message]) => html`<div key=${n} class="ln err" data-line=${n} title=${message}
          style=${{ top: `${(n - 1) * LINE_HEIGHT}px` }}>${n}</div>`,
      )}
    </div>
  </div>`;
}

// Bands behind the error lines, each carrying its messages after the line's text.
function Marks({ problems, lines, scroll }) {
  const byLine = new Map();
  for (const p of problems) {
    if (p.line <= 0) continue;
    if (!byLine.has(p.line)) byLine.set(p.line, []);
    byLine.get(p.line).push(p);
  }
  return html`<div class="marks" aria-hidden="true" style=${{ transform: `translate(${-scroll.left}px, ${-scroll.top}px)` }}>
    ${[...byLine.entries()].map(
      ([line, list]) => html`<div class="mark" data-line=${line} style=${{ top: `${(line - 1) * LINE_HEIGHT}px` }}>
        <span class="mark-text">${lines[line - 1] || ''}</span><span class="mark-msg">${list.map((p) => p.message).join(' · ')}</span>
      </div>`,
    )}
  </div>`;
}

function Problems({ result, onJump }) {
  if (!result) return null;
  if (result.ok) return html`<p class="ok-note" role="status">${result.message}</p>`;
  const problems = result.problems || [];
  return html`<div class="problems" role="alert">
    <p class="error-note">${problems.length ? `${problems.length} problem${problems.length > 1 ? 's' : ''}: nothing was saved, the running config is unchanged.` : result.error}</p>
    <ol>
      ${problems.map(
        (p) => html`<li>
          ${p.line > 0
            ? html`<button class="link" onClick=${() => onJump(p)}>line ${p.line}${p.column ? `:${p.column}` : ''}</button>`
            : html`<span class="muted">(no line)</span>`}
          ${p.path && html` <code>${p.path}</code>`}: ${p.message}
        </li>`,
      )}
    </ol>
  </div>`;
}

export function ConfigView() {
  const [file, setFile] = useState(null);
  const [error, setError] = useState(null);
  const [text, setText] = useState('');
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const [scroll, setScroll] = useState({ top: 0, left: 0 });
  const area = useRef(null);

  const load = async () => {
    try {
      const data = await get('/api/config');
      setFile(data);
      setText(data.yaml);
      setResult(null);
      setError(null);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    load();
  }, []);

  if (!file) return error ? html`<${ErrorNote} error=${error} />` : html`<${Loading} what="Loading husky.yaml" />`;
  const dirty = text !== file.yaml;
  const lines = text.split('\n');
  const problems = result && !result.ok ? result.problems || [] : [];

  const check = async (action) => {
    setBusy(true);
    try {
      const answer = await post(`/api/config/${action}`, { yaml: text });
      if (answer.ok) {
        setResult({ ok: true, message: action === 'save' ? 'Saved and reloaded.' : 'Valid: saving would succeed.' });
        if (action === 'save') {
          setFile({ ...file, yaml: text });
          toast('husky.yaml saved and reloaded', 'success');
          refreshAll();
        }
      } else {
        const problems = [...(answer.problems || [])].sort((a, b) => a.line - b.line || a.column - b.column);
        setResult({ ...answer, problems });
        const first = problems.find((p) => p.line > 0);
        if (first && area.current) area.current.scrollTop = Math.max(0, (first.line - 3) * LINE_HEIGHT);
        if (action === 'save' && answer.error && answer.error.startsWith('saved but')) setFile({ ...file, yaml: text });
      }
    } catch (e) {
      setResult({ ok: false, error: e.message, problems: [] });
    } finally {
      setBusy(false);
    }
  };

  const save = async () => {
    const sure = await ask({ title: 'Save husky.yaml?', message: 'It is checked first; a valid file is written and the daemon reloads it.', confirm: 'Save' });
    if (sure) await check('save');
  };

  const revert = async () => {
    if (dirty && !(await ask({ title: 'Discard your changes?', confirm: 'Discard' }))) return;
    await load();
  };

  const jump = (problem) => {
    const element = area.current;
    const start = lines.slice(0, problem.line - 1).reduce((n, l) => n + l.length + 1, 0);
    const end = start + (lines[problem.line - 1] || '').length;
    element.focus();
    element.setSelectionRange(start, end);
    element.scrollTop = Math.max(0, (problem.line - 3) * LINE_HEIGHT);
  };

  return html`<section class="view config-view">
    <header class="view-head">
      <h1>husky.yaml <small class="muted">${file.path}</small></h1>
      <div class="actions">
        <button onClick=${() => check('validate')} disabled=${busy}>Validate</button>
        <button class="primary" onClick=${save} disabled=${busy || !dirty}>Save</button>
        <button onClick=${revert} disabled=${busy}>Revert</button>
        ${dirty && html`<span class="badge st-pending">unsaved changes</span>`}
      </div>
    </header>
    <${Problems} result=${result} onJump=${jump} />
    <div class="editor">
      <${Gutter} count=${lines.length} problems=${problems} scroll=${scroll.top} />
      <div class="editor-main">
        <${Marks} problems=${problems} lines=${lines} scroll=${scroll} />
        <textarea ref=${area} spellcheck="false" wrap="off" aria-label="husky.yaml" value=${text}
          onInput=${(e) => setText(e.target.value)}
          onScroll=${(e) => setScroll({ top: e.target.scrollTop, left: e.target.scrollLeft })}></textarea>
      </div>
    </div>
  </section>`;
}
