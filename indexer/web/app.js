// Mensura's web page: views of the indexer's API (/openapi.json), drawn in the browser
// with nothing but the DOM and SVG. Routes live in the URL's fragment:
//   #/                     the chain: heights, indexer lag, frames per block
//   #/fleet                meters by model and status, silent, under inspection, findings
//   #/meters/ID?from=&to=  a meter: load profile, register, program, contracts, audit trail
//   #/consumers/ADDRESS    a consumer: contracts, prepaid balance, consumption, invoices
//   #/suppliers/ADDRESS    a supplier: contracts, unpaid invoices, what is outstanding
//   #/invoices/ID          an invoice with its lines
//   #/blocks/N             a block: its measurements (frame hashes) and events
//   #/programs/HASH        an LR program: who approved it, its audit trail, its meters
// Every view re-draws itself when the index reaches a new height (/api/live).
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

// ---------- views ----------

/** #/ : the chain. */
async function chainView() {
  const [status, blocks] = await Promise.all([api('/api/status'), api('/api/blocks?limit=300')]);
  // The genesis block has no time (0): it is left out of plots over time.
  const list = blocks.blocks.filter((b) => b.timestamp > 0).reverse();
  const perBlock = list.map((b) => ({ x: b.timestamp, y: b.measurements }));
  return [
    h('h1', {}, 'Chain'),
    h('div', { class: 'cards' },
      card('finalized height', status.finalized ?? '—', 'finalized'),
      card('indexed height', status.indexed ? status.indexed.number : '—', 'indexed-height'),
      card('indexer lag', status.lagBlocks === null ? '—' : `${status.lagBlocks} blocks`, 'lag'),
      card('node', status.node.connected ? 'connected' : 'not connected', 'connected')),
    status.node.lastError ? h('p', { class: 'error' }, status.node.lastError) : null,
    indexedNote(status.indexed),
    h('h2', {}, 'Frames per block'),
    plot({ title: 'Measurements per block', points: perBlock, yUnit: 'frames/block', kind: 'bars', name: 'frames-per-block',
      caption: `Measurements (one per accepted frame) in each of the last ${list.length} indexed blocks.` }),
    h('h2', {}, 'Latest blocks'),
    table('Latest indexed blocks', [
      ['block', (b) => blockLink(b.number)],
      ['time', (b) => time(b.timestamp)],
      ['measurements', (b) => b.measurements, true],
      ['events', (b) => b.events, true],
      ['fees in block', (b) => msr(b.feesInBlock), true],
      ['hash', (b) => h('span', { class: 'hash', title: b.hash }, short(b.hash))],
    ], blocks.blocks.slice(0, 20), 'blocks'),
    h('p', { class: 'muted' }, `Indexer database: ${status.backend}; node ${status.node.url}.`),
  ];
}

/** Measurements per second between consecutive blocks. */
function ratePoints(blocks) {
  const list = blocks.filter((b) => b.timestamp > 0).reverse();
  const out = [];
  for (let i = 1; i < list.length; i++) {
    const dt = (list[i].timestamp - list[i - 1].timestamp) / 1000;
    if (dt > 0) out.push({ x0: list[i - 1].timestamp, x: list[i].timestamp, y: list[i].measurements / dt });
  }
  return out;
}

/** #/fleet : for a notified body or a regulator. */
async function fleetView() {
  const [fleet, blocks, meters] = await Promise.all([
    api('/api/fleet'), api('/api/blocks?limit=300'), api('/api/meters?limit=200'),
  ]);
  const total = fleet.byModelAndStatus.reduce((n, g) => n + g.meters, 0);
  const units = Object.fromEntries(meters.meters.map((m) => [m.id, m.unit]));
  return [
    h('h1', {}, 'Fleet'),
    indexedNote(fleet.indexed),
    h('div', { class: 'cards' },
      card('meters', total, 'meters-total'),
      card('under inspection', fleet.underInspection.length, 'under-inspection'),
      card(`silent > ${fleet.silentAfterMs / 60_000} min`, fleet.silent.length, 'silent'),
      card('discrepancies', fleet.discrepancies.length, 'discrepancies')),
    h('h2', {}, 'Meters by model and status'),
    table('Meters by model and status', [
      ['model', (g) => `${g.model} ${g.name}`],
      ['status', (g) => statusText(g.status)],
      ['meters', (g) => g.meters, true],
    ], fleet.byModelAndStatus, 'by-model'),
    h('h2', {}, 'Measurements per second'),
    plot({ title: 'Measurements per second', points: ratePoints(blocks.blocks), yUnit: 'measurements/s', name: 'rate',
      caption: 'Measurements finalized per second of chain time, block by block (the last 300 blocks).' }),
    h('h2', {}, 'Under inspection'),
    table('Meters under inspection', [
      ['meter', (m) => meterLink(m.meter)],
      ['since block', (m) => blockLink(m.sinceBlock)],
    ], fleet.underInspection, 'inspections'),
    h('h2', {}, 'Discrepancies from check meters'),
    table('Discrepancies found by check meters (latest first)', [
      ['block', (e) => blockLink(e.block)],
      ['time', (e) => time(e.timestamp)],
      ['meter', (e) => (e.meter === null ? '—' : meterLink(e.meter))],
      ['finding', (e) => describeEvent(e, units[e.meter])],
    ], fleet.discrepancies, 'discrepancies'),
    h('h2', {}, 'Silent meters'),
    table(`Active meters with no interval ending in the last ${fleet.silentAfterMs / 60_000} min before the indexed block`, [
      ['meter', (m) => meterLink(m.meter)],
      ['last interval end', (m) => time(m.lastEnd)],
    ], fleet.silent.slice(0, 100), 'silent'),
    h('h2', {}, 'Meters'),
    table(`Meters (first ${meters.meters.length})`, [
      ['meter', (m) => meterLink(m.id)],
      ['status', (m) => statusText(m.status)],
      ['model', (m) => m.model, true],
      ['supply point', (m) => m.supplyPoint ?? '—'],
      ['measurements', (m) => m.measurements, true],
      ['register', (m) => quantity(m.register, m.unit), true],
    ], meters.meters, 'meters'),
  ];
}

/** The UTC offset of the meter's supply point: its current (or latest) contract's. */
function offsetOf(meter) {
  const contracts = meter.contracts ?? [];
  const current = contracts.find((c) => c.status === 'Active') ?? contracts[contracts.length - 1];
  return current ? current.utcOffsetMinutes : null;
}

const PERIODS = [
  ['15 min', 15 * 60_000], ['1 hour', 3_600_000], ['6 hours', 6 * 3_600_000],
  ['24 hours', 24 * 3_600_000], ['7 days', 7 * 24 * 3_600_000],
];

/** `datetime-local` value (UTC) of a Unix-ms time, and back. */
const toInput = (ms) => new Date(ms).toISOString().slice(0, 16);
const fromInput = (text) => Date.parse(`${text}:00Z`);

function rateUnit(unit) {
  return unit === 'Wh' ? 'W' : `${unit ?? 'units'}/h`;
}

/** #/meters/ID */
async function meterView([id], query) {
  const { meter, indexed } = await api(`/api/meters/${encodeURIComponent(id)}`);
  const now = indexed ? indexed.timestamp : Date.now();
  const to = Number(query.get('to') ?? now + 1);
  const from = Number(query.get('from') ?? to - 3_600_000);
  const offset = offsetOf(meter);
  const unit = meter.unit ?? meter.modelInfo?.unit;
  const [series, consumption, audit, events] = await Promise.all([
    pages(`/api/meters/${meter.id}/measurements?from=${from}&to=${to}`, 'measurements'),
    api(`/api/meters/${meter.id}/consumption?from=${from}&to=${to}`),
    api(`/api/meters/${meter.id}/audit?limit=1000`),
    api(`/api/events?meter=${meter.id}&limit=50`),
  ]);
  const ms = series.items;
  // Average rate over each interval: thousandths of a unit over hours.
  const points = ms.map((m) => ({
    x0: m.start, x: m.end,
    y: Number(BigInt(m.quantity)) / 1000 / Math.max(1, m.end - m.start) * 3_600_000,
  }));
  const program = meter.programInfo;
  const periodForm = h('form', {
    class: 'period', 'aria-label': 'Period of the load profile',
    onsubmit: (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      const a = fromInput(f.get('from')), b = fromInput(f.get('to'));
      if (Number.isFinite(a) && Number.isFinite(b) && b > a) go(`#/meters/${meter.id}?from=${a}&to=${b}`);
      else e.target.querySelector('.error').textContent = 'The end of the period must be after its start.';
    },
  },
  h('label', {}, 'from (UTC)', h('input', { type: 'datetime-local', name: 'from', id: 'period-from', value: toInput(from) })),
  h('label', {}, 'to (UTC)', h('input', { type: 'datetime-local', name: 'to', id: 'period-to', value: toInput(to) })),
  h('button', { type: 'submit', id: 'period-show' }, 'Show'),
  PERIODS.map(([label, span]) => link(`#/meters/${meter.id}?from=${now + 1 - span}&to=${now + 1}`, `last ${label}`)),
  h('span', { class: 'error', role: 'alert' }));
  return [
    h('h1', {}, `Meter ${meter.id}`, h('span', { class: 'muted' }, ` · ${meter.serial}`)),
    indexedNote(indexed),
    h('div', { class: 'cards' },
      card('register', quantity(meter.register, unit), 'register'),
      card('status', statusText(meter.status), 'status'),
      card('measurements', meter.measurements, 'measurements'),
      card('last interval end', time(meter.lastEnd, offset), 'last-end')),
    facts([
      ['model', meter.modelInfo ? `${meter.modelInfo.name} (${meter.modelInfo.kind}, ${meter.modelInfo.unit}, maximum permissible error ${meter.modelInfo.maxPermissibleErrorPpm / 10_000} %)` : meter.model, 'model'],
      ['supply point', meter.supplyPoint ?? '—', 'supply-point'],
      ['local time', offset === null ? 'no contract: times in UTC' : offsetName(offset), 'offset'],
      ['device key', h('span', { class: 'hash' }, meter.deviceKey), 'device-key'],
      ['hash-chain head', h('span', { class: 'hash' }, meter.chainHead), 'chain-head'],
    ]),
    h('h2', {}, 'LR program'),
    program && program.measurer ? facts([
      ['hash', programLink(program.hash), 'program-hash'],
      ['version', program.version, 'program-version'],
      ['measurer', h('span', { class: 'hash' }, program.measurer)],
      ['status', statusText(program.status)],
      ['approved by', program.approvedBy.length ? h('ul', {}, program.approvedBy.map((a) => h('li', { class: 'hash' }, a))) : 'nobody', 'approved-by'],
      ['published in block', blockLink(program.publishedBlock)],
    ]) : h('p', { class: 'muted' }, program ? `program ${program.hash} (not indexed)` : 'No LR program bound.'),
    h('h2', {}, 'Load profile'),
    periodForm,
    plot({ title: `Meter ${meter.id} load profile`, points, yUnit: rateUnit(unit), name: 'load-profile',
      caption: `Average ${unit === 'Wh' ? 'power' : 'rate'} over each measured interval starting between ${civil(from)} and ${civil(to)} UTC: ${ms.length} measurements, ${quantity(consumption.quantity, unit)} in all.` }),
    h('h2', {}, 'Consumption by time-of-use band'),
    table(`Consumption of measurements starting in the period, by the band of the contract's tariff that bills it`, [
      ['contract', (b) => b.contract ?? '—'],
      ['tariff', (b) => b.tariff ?? '—'],
      ['band', (b) => (b.band === null ? 'not billed' : `${b.band}: ${minute(b.fromMinute)}–${minute(b.toMinute)} local`)],
      ['measurements', (b) => b.measurements, true],
      ['consumption', (b) => quantity(b.quantity, unit), true],
    ], consumption.bands, 'bands'),
    h('h2', {}, 'Contracts'),
    table('Supply contracts of this meter', [
      ['contract', (c) => c.id],
      ['consumer', (c) => consumerLink(c.consumer)],
      ['supplier', (c) => supplierLink(c.supplier)],
      ['tariff', (c) => c.tariff, true],
      ['payment', (c) => c.payment],
      ['status', (c) => statusText(c.status)],
      ['start', (c) => time(c.start, c.utcOffsetMinutes)],
      ['end', (c) => time(c.end, c.utcOffsetMinutes)],
    ], meter.contracts, 'contracts'),
    h('h2', {}, 'Measurements'),
    table(`Measurements in the period (latest ${Math.min(50, ms.length)} of ${ms.length})`, [
      ['index', (m) => m.index, true],
      ['seq', (m) => m.sequence, true],
      ['start', (m) => time(m.start, offset)],
      ['end', (m) => time(m.end, offset)],
      ['quantity', (m) => quantity(m.quantity, unit), true],
      ['register', (m) => quantity(m.register, unit), true],
      ['block', (m) => blockLink(m.block)],
      ['frame', (m) => link(`#/blocks/${m.block}`, h('span', { class: 'hash', title: `frame hash ${m.frame}` }, short(m.frame)))],
    ], ms.slice(-50).reverse(), 'measurements'),
    h('h2', {}, 'Events'),
    table('Events naming this meter (latest first)', [
      ['block', (e) => blockLink(e.block)],
      ['time', (e) => time(e.timestamp, offset)],
      ['event', (e) => `${e.pallet}.${e.name}`],
      ['fields', (e) => describeEvent(e, unit)],
    ], events.events, 'events'),
    h('h2', {}, 'Audit trail'),
    auditTable(audit.entries),
  ];
}

function minute(m) {
  return m === null || m === undefined ? '?' : `${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

function auditTable(entries) {
  return table('Legally relevant changes, oldest first', [
    ['#', (e) => e.index, true],
    ['block', (e) => blockLink(e.block)],
    ['by', (e) => h('span', { class: 'hash', title: e.actor }, short(e.actor))],
    ['change', (e) => e.change],
  ], entries, 'audit');
}

function invoiceLines(invoice) {
  return table(`Lines of invoice ${invoice.id}`, [
    ['band', (l) => `${l.band}: ${minute(l.fromMinute)}–${minute(l.toMinute)} local`],
    ['quantity', (l) => quantity(l.quantity, invoice.unit), true],
    ['price', (l) => (l.price === null ? '—' : `${msr(l.price)}/${invoice.unit ?? 'unit'}`), true],
    ['charge', (l) => (l.charge === null ? '—' : msr(l.charge)), true],
  ], invoice.lines, 'lines');
}

function invoiceRows(invoices, offsets, name = 'invoices') {
  return table('Invoices, newest first', [
    ['invoice', (i) => link(`#/invoices/${i.id}`, `${i.id}`)],
    ['meter', (i) => meterLink(i.meter)],
    ['period from', (i) => time(i.from, offsets[i.contract])],
    ['to', (i) => time(i.to, offsets[i.contract])],
    ['status', (i) => statusText(i.status)],
    ['amount', (i) => msr(i.amount), true],
    ['paid', (i) => msr(i.paid), true],
    ['credited', (i) => msr(i.credited), true],
    ['outstanding', (i) => msr(i.outstanding), true],
    ['due', (i) => time(i.due, offsets[i.contract])],
  ], invoices, name);
}

/** #/consumers/ADDRESS */
async function consumerView([address]) {
  const [consumer, invoices] = await Promise.all([
    api(`/api/consumers/${encodeURIComponent(address)}`),
    api(`/api/consumers/${encodeURIComponent(address)}/invoices?limit=200`),
  ]);
  const offsets = Object.fromEntries(consumer.contracts.map((c) => [c.id, c.utcOffsetMinutes]));
  const count = (status) => consumer.invoices.find((g) => g.status === status) ?? { invoices: 0, outstanding: '0' };
  const outstanding = consumer.invoices.reduce((n, g) => n + BigInt(g.outstanding), 0n);
  // Each contract's consumption since it started, by band.
  const split = await Promise.all(consumer.contracts.map(async (c) => {
    const meter = await api(`/api/meters/${c.meter}`);
    const from = c.start ?? 0;
    const to = c.end ?? (consumer.indexed ? consumer.indexed.timestamp + 1 : Date.now());
    const answer = to > from ? await api(`/api/meters/${c.meter}/consumption?from=${from}&to=${to}`) : { bands: [], quantity: '0' };
    return { contract: c, unit: meter.meter.unit, answer };
  }));
  return [
    h('h1', {}, 'Consumer ', h('span', { class: 'hash' }, address)),
    indexedNote(consumer.indexed),
    h('div', { class: 'cards' },
      card('prepaid balance', msr(consumer.prepaid), 'prepaid'),
      card('outstanding', msr(outstanding.toString()), 'outstanding'),
      card('open invoices', count('Open').invoices, 'open'),
      card('paid invoices', count('Paid').invoices, 'paid'),
      card('disputed invoices', count('Disputed').invoices, 'disputed')),
    h('h2', {}, 'Contracts'),
    table('Supply contracts', [
      ['contract', (c) => c.id],
      ['meter', (c) => meterLink(c.meter)],
      ['supplier', (c) => supplierLink(c.supplier)],
      ['tariff', (c) => c.tariff, true],
      ['payment', (c) => c.payment],
      ['status', (c) => statusText(c.status)],
      ['local time', (c) => offsetName(c.utcOffsetMinutes)],
      ['start', (c) => time(c.start, c.utcOffsetMinutes)],
    ], consumer.contracts, 'contracts'),
    h('h2', {}, 'Consumption by time-of-use band'),
    split.map(({ contract, unit, answer }) => table(
      `Contract ${contract.id} (meter ${contract.meter}) since it started: ${quantity(answer.quantity, unit)}`, [
        ['tariff', (b) => b.tariff ?? '—'],
        ['band', (b) => (b.band === null ? 'not billed' : `${b.band}: ${minute(b.fromMinute)}–${minute(b.toMinute)} local`)],
        ['measurements', (b) => b.measurements, true],
        ['consumption', (b) => quantity(b.quantity, unit), true],
      ], answer.bands.filter((b) => b.contract === contract.id), `bands-${contract.id}`)),
    h('h2', {}, 'Invoices'),
    invoiceRows(invoices.invoices, offsets),
  ];
}

/** #/suppliers/ADDRESS */
async function supplierView([address]) {
  const [supplier, unpaid] = await Promise.all([
    api(`/api/suppliers/${encodeURIComponent(address)}?limit=50`),
    api(`/api/suppliers/${encodeURIComponent(address)}?status=Open&limit=1000`),
  ]);
  const offsets = Object.fromEntries(supplier.contracts.map((c) => [c.id, c.utcOffsetMinutes]));
  const total = (status) => supplier.invoiceTotals.find((g) => g.status === status) ?? { invoices: 0, outstanding: '0' };
  const outstanding = supplier.invoiceTotals.reduce((n, g) => n + BigInt(g.outstanding), 0n);
  return [
    h('h1', {}, 'Supplier ', h('span', { class: 'hash' }, address)),
    indexedNote(supplier.indexed),
    h('div', { class: 'cards' },
      card('contracts', supplier.contracts.length, 'contracts'),
      card('outstanding', msr(outstanding.toString()), 'outstanding'),
      card('open invoices', total('Open').invoices, 'open'),
      card('paid invoices', total('Paid').invoices, 'paid'),
      card('disputed invoices', total('Disputed').invoices, 'disputed')),
    h('h2', {}, 'Contracts'),
    table('Supply contracts of this supplier', [
      ['contract', (c) => c.id],
      ['meter', (c) => meterLink(c.meter)],
      ['consumer', (c) => consumerLink(c.consumer)],
      ['tariff', (c) => c.tariff, true],
      ['payment', (c) => c.payment],
      ['status', (c) => statusText(c.status)],
      ['start', (c) => time(c.start, c.utcOffsetMinutes)],
      ['end', (c) => time(c.end, c.utcOffsetMinutes)],
    ], supplier.contracts, 'contracts'),
    h('h2', {}, 'Unpaid invoices'),
    invoiceRows(unpaid.invoices, offsets, 'unpaid'),
    h('h2', {}, 'Latest invoices'),
    invoiceRows(supplier.invoices, offsets, 'invoices'),
  ];
}

/** #/invoices/ID */
async function invoiceView([id]) {
  const { invoice, indexed } = await api(`/api/invoices/${encodeURIComponent(id)}`);
  const { meter } = await api(`/api/meters/${invoice.meter}`);
  invoice.unit = meter.unit;
  const offset = (meter.contracts.find((c) => c.id === invoice.contract) ?? {}).utcOffsetMinutes;
  return [
    h('h1', {}, `Invoice ${invoice.id}`),
    indexedNote(indexed),
    h('div', { class: 'cards' },
      card('amount', msr(invoice.amount), 'amount'),
      card('status', statusText(invoice.status), 'status'),
      card('paid', msr(invoice.paid), 'paid'),
      card('outstanding', msr(invoice.outstanding), 'outstanding')),
    facts([
      ['consumer', consumerLink(invoice.consumer)],
      ['meter', meterLink(invoice.meter)],
      ['contract / tariff', `${invoice.contract} / ${invoice.tariff}`],
      ['period', h('span', {}, time(invoice.from, offset), ' – ', time(invoice.to, offset))],
      ['issued', h('span', {}, time(invoice.issued, offset), ' in block ', blockLink(invoice.issuedBlock))],
      ['due', time(invoice.due, offset)],
      ['register', `${quantity(invoice.registerFrom, meter.unit)} → ${quantity(invoice.registerTo, meter.unit)}`],
      ['measurements', invoice.firstIndex === null ? 'none' :
        `${invoice.measurements} (indexes ${invoice.firstIndex} … ${invoice.lastIndex})`],
      ['energy / standing charge', `${msr(invoice.energy)} / ${msr(invoice.standing)}`],
      ['credited', msr(invoice.credited)],
      invoice.dispute ? ['dispute', `${invoice.dispute.reason}${invoice.dispute.resolution ? ` — ${invoice.dispute.resolution.resolution}` : ' — awaiting a notified body'}`] : null,
    ]),
    h('h2', {}, 'Lines'),
    invoiceLines(invoice),
  ];
}

/** #/blocks/N */
async function blockView([number]) {
  const [{ block, measurements, events, indexed }, status] = await Promise.all([
    api(`/api/blocks/${encodeURIComponent(number)}`), api('/api/status'),
  ]);
  const explorer = `https://polkadot.js.org/apps/?rpc=${encodeURIComponent(status.node.url)}#/explorer/query/${block.hash}`;
  return [
    h('h1', {}, `Block #${block.number}`),
    indexedNote(indexed),
    facts([
      ['hash', h('span', { class: 'hash' }, block.hash), 'block-hash'],
      ['parent', block.number > 0 ? link(`#/blocks/${block.number - 1}`, h('span', { class: 'hash' }, block.parent)) : h('span', { class: 'hash' }, block.parent)],
      ['time', time(block.timestamp)],
      ['measurements', block.measurements, 'block-measurements'],
      ['measuring fees settled', `${msr(block.feesInBlock)} (total ${msr(block.feesCharged)})`],
      ['check it', link(explorer, 'this block in Polkadot.js apps')],
    ]),
    h('h2', {}, 'Measurements'),
    table('Measurements in this block: each frame by its BLAKE2b-256 hash', [
      ['meter', (m) => meterLink(m.meter)],
      ['index', (m) => m.index, true],
      ['seq', (m) => m.sequence, true],
      ['start', (m) => time(m.start)],
      ['quantity (‰ unit)', (m) => m.quantity, true],
      ['extrinsic', (m) => m.extrinsic ?? '—', true],
      ['frame hash', (m) => h('span', { class: 'hash' }, m.frame)],
    ], measurements, 'measurements'),
    h('h2', {}, 'Events'),
    table('Other events in this block', [
      ['#', (e) => e.index, true],
      ['event', (e) => `${e.pallet}.${e.name}`],
      ['meter', (e) => (e.meter === null ? '—' : meterLink(e.meter))],
      ['fields', (e) => h('code', {}, JSON.stringify(e.fields))],
    ], events, 'events'),
  ];
}

/** #/programs/HASH */
async function programView([hash]) {
  const { program, audit, meters, indexed } = await api(`/api/programs/${encodeURIComponent(hash)}`);
  return [
    h('h1', {}, 'LR program ', h('span', { class: 'hash' }, short(program.hash))),
    indexedNote(indexed),
    facts([
      ['hash', h('span', { class: 'hash' }, program.hash), 'program-hash'],
      ['version', program.version, 'program-version'],
      ['status', statusText(program.status)],
      ['measurer', h('span', { class: 'hash' }, program.measurer)],
      ['published in block', blockLink(program.publishedBlock)],
      ['approved by', program.approvedBy.length ? h('ul', {}, program.approvedBy.map((a) => h('li', { class: 'hash' }, a))) : 'nobody', 'approved-by'],
      ['meters bound', meters.length ? meters.map((m, i) => [i ? ', ' : '', meterLink(m)]) : 'none', 'program-meters'],
    ]),
    h('h2', {}, 'Audit trail'),
    auditTable(audit),
  ];
}

// ---------- routing and live updates ----------

const ROUTES = [
  [/^#?\/?$/, chainView, 'chain'],
  [/^#\/fleet$/, fleetView, 'fleet'],
  [/^#\/meters\/(\d+)$/, meterView, null],
  [/^#\/consumers\/([1-9A-HJ-NP-Za-km-z]{40,60})$/, consumerView, null],
  [/^#\/suppliers\/([1-9A-HJ-NP-Za-km-z]{40,60})$/, supplierView, null],
  [/^#\/invoices\/(\d+)$/, invoiceView, null],
  [/^#\/blocks\/(\d+)$/, blockView, null],
  [/^#\/programs\/(0x[0-9a-f]{64})$/, programView, null],
];

function go(hash) {
  if (location.hash === hash) render({ keepFocus: true });
  else location.hash = hash;
}

let rendering = null;
let pending = false;

/** Draws the view the URL names; a live update keeps the focus and the scroll position. */
async function render({ keepFocus = false, initial = false } = {}) {
  if (rendering) { pending = true; return; }
  const main = document.getElementById('view');
  const [path, search] = (location.hash || '#/').split('?');
  const route = ROUTES.find(([re]) => re.test(path));
  for (const a of document.querySelectorAll('nav a')) {
    if (route && a.dataset.nav === route[2]) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  rendering = (async () => {
    let content;
    try {
      if (!route) throw new NotFound(`No such view: ${path}. Try a meter id, a block number or a consumer address.`);
      content = await route[1](path.match(route[0]).slice(1), new URLSearchParams(search ?? ''));
    } catch (error) {
      content = [h('h1', {}, error instanceof NotFound ? 'Not found' : 'Something failed'), h('p', { class: 'error', role: 'alert' }, error.message)];
    }
    const focused = keepFocus ? document.activeElement?.id : null;
    const scroll = window.scrollY;
    main.replaceChildren(...[content].flat(Infinity).filter(Boolean));
    main.dataset.rendered = String(Date.now());
    main.dataset.view = path;
    if (keepFocus) {
      if (focused) document.getElementById(focused)?.focus();
      window.scrollTo(0, scroll);
    } else {
      // A new view takes the focus (a screen reader reads it next); the first one
      // leaves it at the top of the page, where the skip link is.
      if (!initial) main.focus({ preventScroll: true });
      document.title = `${main.querySelector('h1')?.textContent ?? 'Mensura'} — Mensura`;
    }
  })();
  await rendering;
  rendering = null;
  if (pending) { pending = false; render({ keepFocus: true }); }
}

/** An address opens its consumer view, or its supplier view if it consumes nothing. */
async function openAccount(address) {
  const response = await fetch(`/api/consumers/${encodeURIComponent(address)}`);
  if (response.status === 404 && (await fetch(`/api/suppliers/${encodeURIComponent(address)}`)).ok) {
    go(`#/suppliers/${address}`);
  } else {
    go(`#/consumers/${address}`);
  }
}

function lookup(event) {
  event.preventDefault();
  const q = new FormData(event.target).get('q').trim();
  let m;
  if ((m = q.match(/^(?:meter\s*)?(\d+)$/i))) go(`#/meters/${m[1]}`);
  else if ((m = q.match(/^(?:block\s*)?#(\d+)$/i) ?? q.match(/^block\s*(\d+)$/i))) go(`#/blocks/${m[1]}`);
  else if ((m = q.match(/^invoice\s*(\d+)$/i))) go(`#/invoices/${m[1]}`);
  else if (/^0x[0-9a-f]{64}$/.test(q)) go(`#/programs/${q}`);
  else if (/^[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(q)) openAccount(q);
  else go(`#/consumers/${q}`);
}

/** The header's line: the heights, kept current by the server's events. */
function showStatus(status) {
  const live = document.getElementById('live');
  const connected = status.node && status.node.connected;
  live.classList.toggle('down', !connected);
  live.dataset.indexed = status.indexed ? status.indexed.number : '';
  live.textContent = status.indexed
    ? `Indexed to block #${status.indexed.number} (${civil(status.indexed.timestamp)} UTC) · finalized #${status.finalized ?? '?'} · lag ${status.lagBlocks ?? '?'} blocks${connected ? '' : ' · node not connected'}`
    : 'Nothing indexed yet';
}

function listen() {
  // EventSource reconnects by itself; every event after the page's first draw (one
  // after a reconnection too: blocks may have been indexed meanwhile) re-draws the view.
  const source = new EventSource('/api/live');
  let initial = true;
  source.addEventListener('status', (event) => {
    showStatus(JSON.parse(event.data));
    if (!initial) render({ keepFocus: true });
    initial = false;
  });
  source.addEventListener('error', () => {
    const live = document.getElementById('live');
    live.classList.add('down');
    live.textContent = 'Live updates interrupted; reconnecting…';
  });
}

document.getElementById('lookup').addEventListener('submit', lookup);
window.addEventListener('hashchange', () => render());
render({ initial: true });
listen();
