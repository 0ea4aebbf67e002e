// Filter forms and paged tables for the audit and data views. Filters live in the address
// (`#/audit?job=etl&status=failed`), so a filtered view is a link.

import { html, useEffect, useState } from '../vendor/htm-preact-standalone.js';
import { get } from './api.js';
import { Pager, usePoll } from './components.js';

const pad = (n) => String(n).padStart(2, '0');

// RFC 3339 (UTC) ↔ the local `YYYY-MM-DDTHH:MM` of `<input type="datetime-local">`.
export function toLocalInput(iso) {
  const ms = Date.parse(iso || '');
  if (Number.isNaN(ms)) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(text) {
  if (!text) return '';
  const ms = new Date(text).getTime();
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function Field({ field, value, onChange }) {
  const id = `f-${field.name}`;
  let input;
  if (field.type === 'select') {
    input = html`<select id=${id} value=${value} onChange=${(e) => onChange(e.target.value)}>
      <option value="">any</option>
      ${field.options.map((o) => html`<option value=${o}>${o}</option>`)}
    </select>`;
  } else if (field.type === 'datetime') {
    input = html`<input id=${id} type="datetime-local" value=${toLocalInput(value)}
      onChange=${(e) => onChange(fromLocalInput(e.target.value))} />`;
  } else if (field.type === 'checkbox') {
    input = html`<input id=${id} type="checkbox" checked=${value === 'true'}
      onChange=${(e) => onChange(e.target.checked ? 'true' : '')} />`;
  } else {
    input = html`<input id=${id} type=${field.type || 'text'} value=${value} list=${field.list}
      placeholder=${field.placeholder || ''} onInput=${(e) => onChange(e.target.value)} />`;
  }
  return html`<label class=${`field field-${field.type || 'text'}`} for=${id}>
    <span>${field.label}</span>${input}
  </label>`;
}

// The form keeps its own draft; Apply hands the values on (which puts them in the address).
export function FilterForm({ fields, values, onApply, children }) {
  const [draft, setDraft] = useState(values);
  useEffect(() => setDraft(values), [JSON.stringify(values)]);
  const submit = (event) => {
    event.preventDefault();
    onApply(draft);
  };
  const clear = () => {
    setDraft({});
    onApply({});
  };
  return html`<form class="filters" onSubmit=${submit} role="search">
    ${fields.map(
      (f) => html`<${Field} key=${f.name} field=${f}
        value=${draft[f.name] || ''} onChange=${(v) => setDraft({ ...draft, [f.name]: v })} />`,
    )}
    <div class="filter-actions">
      <button type="submit" class="primary">Apply</button>
      <button type="button" onClick=${clear}>Clear</button>
      ${children}
    </div>
  </form>`;
}

export function DataTable({ columns, rows, rowKey, empty = 'No rows.' }) {
  if (!rows.length) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-wrap"><table class="data">
    <thead><tr>${columns.map((c) => html`<th>${c.label}</th>`)}</tr></thead>
    <tbody>${rows.map(
      (row, i) => html`<tr key=${rowKey ? rowKey(row) : i}>
        ${columns.map((c) => html`<td class=${c.className || ''}>${c.render ? c.render(row) : row[c.key] ?? ''}</td>`)}
      </tr>`,
    )}</tbody>
  </table></div>`;
}

// One page of `path` with the filters in `query` (and its `offset`), polled; no `path`, no rows.
export function usePage(path, query, limit, pollMs) {
  const params = { ...query, limit, offset: Number(query.offset) || 0 };
  const key = JSON.stringify([path, params]);
  const page = usePoll(() => (path ? get(path, params) : []), pollMs, [key]);
  return { ...page, offset: params.offset, limit };
}

export function PagedTable({ page, columns, rowKey, onOffset, empty }) {
  const rows = page.data || [];
  return html`<div class="paged" data-rows=${rows.length} aria-busy=${page.loading ? 'true' : 'false'}>
    <${DataTable} columns=${columns} rows=${rows} rowKey=${rowKey} empty=${page.loading ? 'Loading…' : empty} />
    <${Pager} offset=${page.offset} limit=${page.limit} count=${rows.length} onChange=${onOffset} />
  </div>`;
}
