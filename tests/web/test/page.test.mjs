// The indexer's web page in a real browser (headless Chromium) against a real node and
// indexer: every view loads, its figures equal what the chain says at the block the
// page is indexed to, the live view updates while frames land, a figure traces to its
// block and frame, a program to its approvals, and the page works from the keyboard and
// on a phone. Screenshots are kept in tests/web/screenshots (or $MENSURA_WEB_ARTIFACTS).
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startStack, simulate, waitFor, artifacts } from '../lib/stack.mjs';

let stack;
let simulation;

/** Thousandths of a unit as the page writes them: `12.345 Wh`. */
function quantity(text, unit) {
  const v = BigInt(text);
  return `${v / 1000n}.${String(v % 1000n).padStart(3, '0')} ${unit}`;
}

/** Planck as the page writes them. */
function msr(value) {
  const v = BigInt(value);
  const unit = 10n ** 12n;
  return `${v / unit}.${String(v % unit).padStart(12, '0')} MSR`;
}

/** A little-endian u128 from a SCALE answer (`0x…`). */
function u128(hex) {
  const bytes = Buffer.from(hex.slice(2), 'hex');
  let v = 0n;
  for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/** The length prefix of a SCALE vector answer. */
function vecLength(hex) {
  const b = Buffer.from(hex.slice(2), 'hex');
  switch (b[0] & 3) {
    case 0: return b[0] >> 2;
    case 1: return (b[0] | (b[1] << 8)) >> 2;
    case 2: return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 2;
    default: throw new Error('vector of more than 2^30 entries');
  }
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

async function open(page, hash) {
  await page.goto(`${stack.base}/${hash}`);
  await page.waitForSelector(`#view[data-view="${hash.split('?')[0]}"]`);
}

/**
 * Every figure of the view as one reading: the height it is indexed to (`at`), each
 * `data-field`'s text, the title of a link inside it, each table's rows, each plot's points.
 */
function snapshot(page) {
  return page.evaluate(() => {
    const out = { fields: {}, titles: {}, rows: {}, plots: {} };
    const at = document.querySelector('#view [data-field="indexed"] a');
    out.at = at ? Number(at.textContent.slice(1)) : null;
    const when = at?.parentElement.querySelector('time');
    out.atTime = when ? Date.parse(when.getAttribute('datetime')) : null;
    for (const el of document.querySelectorAll('#view [data-field]')) {
      out.fields[el.dataset.field] ??= el.innerText;
      const titled = el.querySelector('[title]');
      if (titled) out.titles[el.dataset.field] ??= titled.getAttribute('title');
    }
    for (const el of document.querySelectorAll('#view [data-table]')) {
      out.rows[el.dataset.table] = el.querySelectorAll('tbody tr').length;
    }
    for (const el of document.querySelectorAll('#view [data-plot]')) out.plots[el.dataset.plot] = Number(el.dataset.points);
    return out;
  });
}

const field = (page, name) => page.locator(`[data-field="${name}"]`).first().innerText();

/** Waits until the index has reached the node's finalized head, and returns that block. */
async function caughtUp() {
  return waitFor('the indexer to reach the finalized head', async () => {
    const finalized = await stack.rpc('chain_getHeader', [await stack.rpc('chain_getFinalizedHead')]);
    const status = await stack.api('/api/status');
    const number = parseInt(finalized.number, 16);
    return status.indexed && status.indexed.number >= number ? status.indexed : undefined;
  });
}

before(async () => {
  stack = await startStack();
  // Ten meters for 150 s with the tampering scenario: a meter reading high against its
  // check meter (discrepancies, an inspection), one dropping frames, one replaying.
  simulation = simulate(stack, ['--meters', '10', '--scenario', 'tampering', '--duration', '150s', '--settle', '30s']);
});

after(async () => {
  await simulation?.catch(() => {});
  if (!stack) return;
  const { indexer, node } = await stack.stop();
  assert.equal(node.code, 0, `node ended with ${JSON.stringify(node)}`);
  assert.equal(indexer.code, 0, `indexer ended with ${JSON.stringify(indexer)}`);
});

test('the meter view updates by itself when a frame lands', async () => {
  const page = await stack.page();
  await waitFor('meter 0 to have a measurement', async () => (await stack.api('/api/meters/0')).meter.measurements > 0);
  await open(page, '#/meters/0');
  const before = await field(page, 'register');
  const rendered = await page.locator('#view').getAttribute('data-rendered');
  await page.evaluate(() => { window.notReloaded = true; });
  await shot(page, 'live-before');
  await page.waitForFunction((b) => document.querySelector('[data-field="register"]')?.innerText !== b, before, { timeout: 60_000 });
  const after = await field(page, 'register');
  assert.notEqual(after, before);
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
  assert.notEqual(await page.locator('#view').getAttribute('data-rendered'), rendered);
  // The header's heights moved with it.
  assert.match(await page.locator('#live').innerText(), /^Indexed to block #\d+/);
  await shot(page, 'live-after');
  await page.close();
});

test('the simulation ends and the index catches up', async () => {
  const { summary } = await simulation;
  assert.ok(summary.accepted > 0 || summary.measured > 0 || Object.keys(summary).length > 0, JSON.stringify(summary));
  await caughtUp();
});

test('the chain view shows the finalized height, the lag and frames per block', async () => {
  const indexed = await caughtUp();
  const page = await stack.page();
  await open(page, '#/');
  const shown = await snapshot(page);
  const finalized = Number(shown.fields.finalized);
  const height = Number(shown.fields['indexed-height']);
  const node = parseInt((await stack.rpc('chain_getHeader', [await stack.rpc('chain_getFinalizedHead')])).number, 16);
  assert.ok(height >= indexed.number && height <= finalized && finalized <= node, `${indexed.number} ≤ ${height} ≤ ${finalized} ≤ ${node}`);
  assert.equal(shown.fields.lag, `${finalized - height} blocks`);
  const points = shown.plots['frames-per-block'];
  const timed = (await stack.api('/api/blocks?limit=300')).blocks.filter((b) => b.number <= height && b.timestamp > 0);
  assert.equal(points, timed.length, 'one bar per indexed block (but genesis, which has no time)');
  // The latest blocks' measurement counts equal the chain's events.
  assert.equal(shown.rows.blocks, Math.min(20, height + 1));
  await shot(page, 'chain');
  await page.close();
});

test('the meter view equals the chain at the indexed block, and a measurement traces to its block and frame', async () => {
  const page = await stack.page();
  await open(page, '#/meters/0?from=0&to=99999999999999');
  // Everything read at once: a live update cannot fall between two figures.
  const shown = await snapshot(page);
  const onChain = await stack.rpc('mensura_meter', [0, await stack.rpc('chain_getBlockHash', [shown.at])]);
  assert.equal(shown.fields.register, quantity(onChain.register, onChain.unit));
  assert.equal(Number(shown.fields.measurements), onChain.measurements);
  assert.equal(shown.fields['chain-head'].trim(), onChain.chainHead);
  assert.equal(shown.titles['program-hash'], onChain.lrProgram.hash);
  assert.equal(shown.fields['program-version'], onChain.lrProgram.version);
  // The load profile over all time draws every measurement.
  assert.equal(shown.plots['load-profile'], onChain.measurements);
  // Times are in the supply point's local time and UTC.
  assert.match(await field(page, 'offset'), /^UTC[+-]\d\d:\d\d$/);
  assert.match(await page.locator('[data-table="measurements"] tbody tr td:nth-child(3)').first().innerText(), /UTC[+-]\d\d:\d\d\n.* UTC$/);
  await shot(page, 'meter');

  // The latest measurement's frame link leads to its block, which holds that frame. The
  // row is read at once: the view updates itself as frames land, and a new first row
  // read between two cells would pair one measurement's frame with another's block.
  const row = await page.locator('[data-table="measurements"] tbody tr').first().evaluate((tr) => ({
    frameHash: tr.querySelector('td:nth-child(8) [title]').getAttribute('title').replace('frame hash ', ''),
    blockNumber: Number(tr.querySelector('td:nth-child(7)').innerText.slice(1)),
    link: tr.querySelector('td:nth-child(8) a').getAttribute('href'),
  }));
  const { frameHash, blockNumber } = row;
  assert.equal(row.link, `#/blocks/${blockNumber}`, 'the frame links to the block of its measurement');
  await open(page, row.link);
  assert.equal((await field(page, 'block-hash')).trim(), await stack.rpc('chain_getBlockHash', [blockNumber]));
  assert.ok((await page.locator('[data-table="measurements"]').innerText()).includes(frameHash), 'the block lists the frame');
  await shot(page, 'block');
  await page.close();
});

test('a program links to the notified bodies that approved it', async () => {
  const page = await stack.page();
  await open(page, '#/meters/0');
  await page.locator('[data-field="program-hash"] a').click();
  await page.waitForSelector('#view[data-view^="#/programs/"]');
  const { approvals } = JSON.parse(await stack.cli(['query', 'program', '0', '--json']));
  assert.ok(approvals.length > 0);
  const shown = await page.locator('[data-field="approved-by"] li').allInnerTexts();
  assert.deepEqual(shown.sort(), approvals.sort());
  assert.ok((await field(page, 'program-meters')).includes('meter 0'));
  await shot(page, 'program');
  await page.close();
});

test("the consumer view equals the chain: prepaid balance, what is outstanding, every invoice", async () => {
  const { publicKey } = JSON.parse(await stack.cli(['key', 'inspect', '--uri', '//Ferdie', '--json']));
  // Ferdie is the consumer of the dev chain's meters 0–2.
  const address = (await stack.api('/api/meters/0')).meter.contracts[0].consumer;
  // Billing periods are one minute on the dev chain: wait for an invoice.
  await waitFor('an invoice of Ferdie', async () => (await stack.api(`/api/consumers/${address}/invoices`)).invoices.length > 0, 180_000);
  const page = await stack.page();
  await open(page, `#/consumers/${address}`);
  // Invoices keep coming (a period a minute): compare at the height the page shows.
  const shown = await snapshot(page);
  const at = await stack.rpc('chain_getBlockHash', [shown.at]);
  const prepaid = u128(await stack.rpc('state_call', ['BillingApi_prepaid_balance', publicKey, at]));
  const outstanding = u128(await stack.rpc('state_call', ['BillingApi_outstanding', publicKey, at]));
  const invoices = vecLength(await stack.rpc('state_call', ['BillingApi_invoices_of_consumer', `${publicKey}${'00'.repeat(8)}64000000`, at]));
  assert.equal(shown.fields.prepaid, msr(prepaid));
  assert.notEqual(prepaid, 0n, 'meter 1 is prepaid: Ferdie holds a prepaid balance');
  assert.equal(shown.fields.outstanding, msr(outstanding));
  assert.equal(shown.rows.invoices, invoices);
  assert.equal(Number(shown.fields.paid) + Number(shown.fields.open) + Number(shown.fields.disputed), invoices);
  // Meter 1 is prepaid, 0 and 2 postpaid: three contracts, each with its band split.
  assert.equal(shown.rows.contracts, 3);
  await shot(page, 'consumer');

  // An invoice with its lines, priced as the chain priced it.
  const cli = JSON.parse(await stack.cli(['query', 'invoices', '--consumer', '//Ferdie', '--json']));
  const first = cli[cli.length - 1];
  await page.locator(`[data-table="invoices"] a[href="#/invoices/${first.id}"]`).click();
  await page.waitForSelector(`#view[data-view="#/invoices/${first.id}"]`);
  assert.equal(await field(page, 'amount'), msr(first.amount));
  assert.ok(await page.locator('[data-table="lines"] tbody tr').count() > 0);
  await shot(page, 'invoice');
  await page.close();
});

test("a supplier's view lists its contracts and unpaid invoices as the chain has them", async () => {
  const page = await stack.page();
  const address = (await stack.api('/api/meters/0')).meter.contracts[0].consumer;
  await open(page, `#/consumers/${address}`);
  await page.locator('[data-table="contracts"] tbody tr').first().locator('td:nth-child(3) a').click();
  await page.waitForSelector('#view[data-view^="#/suppliers/"]');
  const shown = await snapshot(page);
  // The dev chain's supplier supplies meters 0–2 to Ferdie.
  assert.equal(Number(shown.fields.contracts), 3);
  assert.equal(shown.rows.contracts, 3);
  const invoices = JSON.parse(await stack.cli(['query', 'invoices', '--consumer', '//Ferdie', '--json']))
    .filter((i) => i.issued <= shown.atTime);
  const unpaid = invoices.filter((i) => i.status === 'Open');
  assert.equal(shown.rows.unpaid, unpaid.length);
  assert.equal(Number(shown.fields.open), unpaid.length);
  const outstanding = invoices.reduce((n, i) => n + BigInt(i.outstanding), 0n);
  assert.equal(shown.fields.outstanding, msr(outstanding));
  await shot(page, 'supplier');
  await page.close();
});

test('the fleet view shows meters by status, inspections and discrepancies as the chain has them', async () => {
  await caughtUp();
  const page = await stack.page();
  await open(page, '#/fleet');
  const shown = await snapshot(page);
  const indexed = { hash: await stack.rpc('chain_getBlockHash', [shown.at]) };
  let meters = 0;
  let from = null;
  for (;;) {
    const pageOf = await stack.rpc('mensura_meters', [from, 1000, indexed.hash]);
    meters += pageOf.meters.length;
    if (pageOf.next === null || pageOf.next === undefined) break;
    from = pageOf.next;
  }
  assert.equal(Number(shown.fields['meters-total']), meters);
  // The scenario's high-reading meter 0 was caught by its check meter, and is under
  // inspection, as the chain's surveillance storage says.
  const discrepancies = (await stack.api('/api/events?pallet=Surveillance&name=DiscrepancyFound')).events.length;
  assert.ok(discrepancies > 0, 'the check meter found the 3 % high meter');
  assert.equal(Number(shown.fields.discrepancies), discrepancies);
  assert.equal(shown.rows.discrepancies, discrepancies);
  assert.ok((await page.locator('[data-table="inspections"]').innerText()).includes('meter 0'));
  assert.ok(shown.plots.rate > 0);
  await shot(page, 'fleet');
  await page.close();
});

test('the page works from the keyboard and says why an input is wrong', async () => {
  const page = await stack.page();
  await open(page, '#/');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  // Tab to the Fleet link and follow it with Enter.
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    if ((await page.evaluate(() => document.activeElement.textContent)) === 'Fleet') break;
  }
  await page.keyboard.press('Enter');
  await page.waitForSelector('#view[data-view="#/fleet"]');
  assert.equal(await page.locator('nav a[aria-current="page"]').innerText(), 'Fleet');
  // The lookup field: a meter id opens the meter; nonsense gets the API's reason.
  await page.locator('#lookup-input').fill('2');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#view[data-view="#/meters/2"]');
  await page.locator('#lookup-input').fill('not-an-address');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#view [role="alert"]');
  assert.match(await page.locator('#view [role="alert"]').innerText(), /No such view|not an SS58 address/);
  await open(page, '#/meters/999999');
  assert.match(await page.locator('#view [role="alert"]').innerText(), /no meter 999999/);
  await page.close();
});

test('the meter view is readable on a phone', async () => {
  const page = await stack.page({ width: 390, height: 844 });
  await open(page, '#/meters/0');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow} px wider than the phone`);
  await shot(page, 'meter-phone');
  await page.close();
});

test('no view raised a script error', () => {
  // The browser logs the answers the keyboard test provoked on purpose: 404 for meter
  // 999999, 400 for a malformed address. Nothing else may appear.
  const provoked = /status of (404|400) .*\((.*\/api\/meters\/999999|.*\/api\/consumers\/not-an-address[^)]*)\)$/;
  assert.deepEqual(stack.errors.filter((e) => !provoked.test(e)), []);
});
