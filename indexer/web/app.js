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
