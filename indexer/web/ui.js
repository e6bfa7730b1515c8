// Mensura's web page: what every view draws with, loaded before app.js (which holds the
// views and the routing). Values as people read them, the DOM, plots in SVG, and the
// indexer's API.
'use strict';

// ---------- values as people read them ----------

const UNIT = 10n ** 12n; // planck per MSR

/** Thousandths of a unit (decimal string) as `12.345 Wh`. */
function quantity(text, unit) {
  return `${milli(text)} ${unit ?? 'units'}`;
}

function milli(text) {
  const v = BigInt(text ?? '0');
  const sign = v < 0n ? '-' : '';
  const a = v < 0n ? -v : v;
  return `${sign}${a / 1000n}.${String(a % 1000n).padStart(3, '0')}`;
}

/** Planck (decimal string) as `0.001500000000 MSR`. */
function msr(text) {
  const v = BigInt(text ?? '0');
  return `${v / UNIT}.${String(v % UNIT).padStart(12, '0')} MSR`;
}

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DD hh:mm:ss` of a Unix-ms time shifted by `offset` minutes. */
function civil(ms, offset = 0) {
  const d = new Date(ms + offset * 60_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function offsetName(offset) {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  return `UTC${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/**
 * A time: in the supply point's local time (its contract's UTC offset) and in UTC, or
 * in UTC alone where no supply point applies.
 */
function time(ms, offset) {
  if (ms === null || ms === undefined) return h('span', { class: 'muted' }, '—');
  const iso = new Date(ms).toISOString();
  if (offset === undefined || offset === null) {
    return h('time', { class: 'time', datetime: iso }, `${civil(ms)} UTC`);
  }
  return h('time', { class: 'time', datetime: iso },
    `${civil(ms, offset)} ${offsetName(offset)}`, h('span', { class: 'utc' }, `${civil(ms)} UTC`));
}

/**
 * An event's fields in words where the page knows them (a check meter's finding, with
 * its unit), else as they are indexed (JSON).
 */
function describeEvent(e, unit) {
  const f = e.fields ?? {};
  if (e.pallet === 'Surveillance' && e.name === 'DiscrepancyFound') {
    return `measured ${quantity(f.measured, unit)} against check meter ${f.check}'s ${quantity(f.counter, unit)} ` +
      `(allowed difference ${quantity(f.allowed, unit)}) from ${civil(f.start)} to ${civil(f.end)} UTC`;
  }
  return h('code', {}, JSON.stringify(f));
}

function short(hash) {
  return hash && hash.length > 18 ? `${hash.slice(0, 10)}…${hash.slice(-6)}` : hash;
}

// ---------- the DOM ----------

/** An element with attributes and children (strings become text: never parsed as HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function link(href, ...children) {
  return h('a', { href }, ...children);
}

const meterLink = (id) => link(`#/meters/${id}`, `meter ${id}`);
const blockLink = (n) => link(`#/blocks/${n}`, `#${n}`);
const supplierLink = (a) => link(`#/suppliers/${a}`, h('span', { class: 'hash', title: a }, short(a)));
const consumerLink = (a) => link(`#/consumers/${a}`, h('span', { class: 'hash', title: a }, short(a)));
const programLink = (hash) => link(`#/programs/${hash}`, h('span', { class: 'hash', title: hash }, short(hash)));
const statusText = (s) => h('span', { class: `status status-${s}` }, s);

/** A definition list of [label, value, field] rows; `field` names the figure for tests. */
function facts(rows) {
  return h('dl', { class: 'facts' }, rows.filter(Boolean).map(([label, value, field]) => [
    h('dt', {}, label), h('dd', { 'data-field': field }, value),
  ]));
}

function card(label, value, field) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label),
    h('div', { class: 'value', 'data-field': field }, value));
}

/**
 * A table: `columns` are [heading, cell(row), numeric?]; `caption` says what it lists;
 * an empty table says so in words.
 */
function table(caption, columns, rows, name) {
  if (!rows.length) return h('p', { class: 'muted', 'data-table': name }, `${caption}: none.`);
  return h('div', { class: 'table-wrap' }, h('table', { 'data-table': name },
    h('caption', { class: 'muted' }, caption),
    h('thead', {}, h('tr', {}, columns.map(([head, , num]) => h('th', { scope: 'col', class: num ? 'num' : null }, head)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell, num]) => h('td', { class: num ? 'num' : null }, cell(row))))))));
}

// ---------- plots (SVG) ----------

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * A plot of `points` ({x: Unix ms, y: number}): a step line (`kind: 'line'`) or bars.
 * The axes carry their units; the caption says what is drawn.
 */
function plot({ title, points, yUnit, kind = 'line', caption, name }) {
  const W = 760, H = 260, L = 64, R = 12, T = 14, B = 40;
  const svg = s('svg', { class: 'plot', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `${title} (${yUnit})`, 'data-plot': name, 'data-points': points.length });
  svg.append(s('title', {}, `${title} (${yUnit})`));
  if (!points.length) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle' }, 'nothing in this period'));
    return h('figure', {}, svg, h('figcaption', {}, caption));
  }
  const x0 = Math.min(...points.map((p) => p.x0 ?? p.x));
  const x1 = Math.max(...points.map((p) => p.x), x0 + 1);
  const yMax = niceMax(Math.max(...points.map((p) => p.y)));
  const X = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const Y = (y) => T + (1 - y / yMax) * (H - T - B);
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    svg.append(s('line', { class: 'grid', x1: L, x2: W - R, y1: Y(y), y2: Y(y) }));
    svg.append(s('text', { x: L - 6, y: Y(y) + 4, 'text-anchor': 'end' }, +y.toPrecision(4)));
  }
  for (let i = 0; i <= 4; i++) {
    const x = x0 + ((x1 - x0) * i) / 4;
    svg.append(s('text', { x: X(x), y: H - B + 16, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, civil(x).slice(11, 19)));
  }
  svg.append(s('text', { x: L, y: H - 6 }, `time (UTC), ${civil(x0).slice(0, 10)}`));
  svg.append(s('text', { x: L + 6, y: T + 10 }, yUnit));
  svg.append(s('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
  svg.append(s('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
  if (kind === 'bars') {
    const w = Math.max(1, (W - L - R) / points.length - 1);
    for (const p of points) {
      svg.append(s('rect', { class: 'bar', x: X(p.x) - w / 2, y: Y(p.y), width: w, height: Math.max(0, H - B - Y(p.y)) },
        s('title', {}, `${civil(p.x)} UTC: ${p.y} ${yUnit}`)));
    }
  } else {
    let d = '';
    for (const p of points) {
      const start = p.x0 ?? p.x;
      d += `${d ? 'L' : 'M'}${X(start).toFixed(1)},${Y(p.y).toFixed(1)}L${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`;
    }
    svg.append(s('path', { class: 'series', d }));
  }
  return h('figure', {}, svg, h('figcaption', {}, caption));
}

// ---------- the API ----------

class NotFound extends Error {}

async function api(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (response.status === 404) throw new NotFound(body.error ?? 'not found');
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

/** Every page of a cursor-paged list (`next`), up to `max` items. */
async function pages(path, key, max = 5000) {
  const items = [];
  let cursor = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(`${path}${sep}limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`);
    items.push(...page[key]);
    if (page.next === null || page.next === undefined || items.length >= max) return { items, last: page };
    cursor = page.next;
  }
}

function indexedNote(indexed) {
  if (!indexed) return h('p', { class: 'muted' }, 'Nothing is indexed yet.');
  return h('p', { class: 'muted', 'data-field': 'indexed' },
    'As of block ', blockLink(indexed.number), ', ', time(indexed.timestamp), '.');
}
