// Words and numbers for people: times, durations, frequencies, statuses, CSV.

const pad = (n, width = 2) => String(n).padStart(width, '0');

export function parseTime(iso) {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}

// `2024-05-01 14:03:22` in the browser's time zone.
export function absolute(iso) {
  const ms = parseTime(iso);
  if (ms === null) return '';
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

// `1h 2m`, `45s`, `350 ms`: the two largest units.
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  let seconds = Math.round(ms / 1000);
  const units = [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts = [];
  for (const [unit, size] of units) {
    if (seconds >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

// `in 3h 12m` / `5m ago`, relative to `now` (ms).
export function relative(iso, now = Date.now()) {
  const ms = parseTime(iso);
  if (ms === null) return '';
  const delta = ms - now;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`;
}

// A run's duration: finished − started, or so far when it still runs.
export function runDuration(run, now = Date.now()) {
  const start = parseTime(run.started_at);
  if (start === null) return '';
  const end = parseTime(run.finished_at) ?? now;
  return duration(end - start);
}

const UNIT_WORDS = { h: 'hour', m: 'minute', s: 'second', ms: 'millisecond', us: 'microsecond' };

// `every:90m` → `every 90 minutes`; `1h30m` stays readable as `1h 30m`.
function interval(text) {
  const match = /^(\d+)(h|m|s|ms|us)$/.exec(text);
  if (!match) return `every ${text.replace(/(\d)([a-z]+)/g, '$1$2 ').trim()}`;
  const [, count, unit] = match;
  const word = UNIT_WORDS[unit];
  return count === '1' ? `every ${word}` : `every ${count} ${word}s`;
}

const FREQUENCIES = {
  hourly: 'every hour',
  daily: 'every day',
  weekly: 'every Monday',
  monthly: 'on the 1st of each month',
  weekdays: 'Monday to Friday',
  weekends: 'Saturday and Sunday',
  manual: 'only when run by hand',
};

const capital = (word) => word.charAt(0).toUpperCase() + word.slice(1);

// The frequency as written in husky.yaml, in words.
export function frequency(text) {
  const value = (text || '').trim();
  if (FREQUENCIES[value]) return FREQUENCIES[value];
  if (value.startsWith('every:')) return interval(value.slice(6).trim());
  if (value.startsWith('after:')) return `after ${value.slice(6).trim()} succeeds`;
  const days = /^on:\s*\[(.*)\]$/.exec(value);
  if (days) {
    const names = days[1].split(',').map((d) => capital(d.trim()));
    return names.length > 1
      ? `every ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
      : `every ${names[0]}`;
  }
  return value;
}

export const ACTIVE = new Set(['PENDING', 'RUNNING']);
export const TERMINAL = new Set(['SUCCESS', 'FAILED', 'CANCELLED', 'SKIPPED', 'RETRYING']);

// The CSS class of a status (`st-success`, `st-failed`, …).
export function statusClass(status) {
  return `st-${String(status || 'none').toLowerCase()}`;
}

// RFC 4180 CSV; values that a spreadsheet would run as a formula get a leading `'`.
export function csv(columns, rows) {
  const cell = (value) => {
    let text = value === undefined || value === null ? '' : String(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [columns.map(cell).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

export function download(filename, text, type = 'text/csv') {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
