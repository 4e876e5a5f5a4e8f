// explorer.test.js -- the explorer (web/) in a real browser: Debian's chromium, headless, driven by
// playwright-core (harness.js). Serves web/ with scripts/explorer.sh --no-build (build it first:
// web/build.sh), and checks the page against the native `mpcsim infer` (MPCSIM_BIN, default build/mpcsim):
//  - three configurations set through the URL (the default LAN, a WAN with other approximations and a
//    non-default protocol when the build has one, a custom network with the tcp link model, the inline
//    dealer, BatchNorm and a compute profile) show latency, rounds and bytes EQUAL to mpcsim infer's CSV
//    for the same options (spelled independently here), and so does the page's own "copy as command";
//  - a changed control (a select, the bandwidth slider) updates the numbers, to mpcsim infer's, and the URL;
//  - a pasted config.json runs like --config; a malformed one, an out-of-range value (page-side and
//    simulator-side) show a clear message, never a hang (every wait is bounded).
//  - the actors' trace (tests/web/sim_ctx_trace.c) is identical under the fiber and threads backends.
// Prints one line per check and a closing 'explorer: N passed, N failed'. Usage: node explorer.test.js
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, serve, launch } = require('./harness');

const BIN = process.env.MPCSIM_BIN || path.join(ROOT, 'build/mpcsim');
const WAIT = { timeout: 90000 };
const KEYS = { latency: 'latency_s', rounds: 'rounds', 'bytes-p0': 'online_sent_bytes_p0',
               'bytes-p1': 'online_sent_bytes_p1', dealer: 'dealer_bytes' };

let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log(`ok   ${name}`); }
  else { failed++; console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`); }
}

function native(args) {
  const csv = execFileSync(BIN, ['infer', ...args], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim().split('\n');
  const head = csv[0].split(','), row = csv[1].split(',');
  const r = {};
  for (const [k, col] of Object.entries(KEYS)) r[k] = row[head.indexOf(col)];
  return r;
}

async function settled(page) {
  await page.waitForFunction(() => ['ok', 'error'].includes(document.body.dataset.main), null, WAIT);
  return page.evaluate(() => document.body.dataset.main);
}
async function numbers(page) {
  return page.evaluate((keys) => Object.fromEntries(keys.map((k) => [k, document.getElementById('v-' + k).dataset.raw])),
                       Object.keys(KEYS));
}
async function errorText(page) {
  return page.evaluate(() => (document.getElementById('error').hidden ? '' : document.getElementById('error').textContent));
}
function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'explorer-test-'));
  let browser, server;
  try {
    server = await serve();
    browser = await launch();
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const open = async (query) => { await page.goto(server.base + query); return settled(page); };

    // ---- the fiber backend behind the browser build runs the actors as the threads backend does ----
    const traceNative = execFileSync(path.join(path.dirname(BIN), 'sim_ctx_trace'), { stdio: ['ignore', 'pipe', 'pipe'] });
    const traceFiber = execFileSync(process.execPath, [path.join(ROOT, 'build-web/sim_ctx_trace.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    check('sim actors: the fiber backend\'s trace equals the threads backend\'s, byte for byte',
          traceNative.length > 500 && traceNative.equals(traceFiber), `${traceNative.length} vs ${traceFiber.length} bytes`);

    // ---- the protocol selector lists what the build has ----
    await open('');
    const protocols = await page.evaluate(() => [...document.getElementById('protocol').options].map((o) => o.value));
    check('protocol selector lists the build\'s families (crypten first)', protocols[0] === 'crypten', protocols.join(','));
    const other = protocols.find((p) => p !== 'crypten');

    // ---- three configurations through the URL, against mpcsim infer ----
    const configs = [
      ['default (lan)', '', ['--model', 'bert-base', '--seq', '128']],
      ['wan, quad + 2quad' + (other ? ', protocol ' + other : ''),
       `?seq=64&net=wan&gelu=quad&softmax=2quad${other ? '&protocol=' + other : ''}`,
       ['--model', 'bert-base', '--seq', '64', '--net', 'wan', '--gelu', 'quad', '--softmax', '2quad',
        ...(other ? ['--protocol', other] : [])]],
      ['custom 50 Mbit/s 5 ms, tcp link, inline dealer, batchnorm, compute profile',
       '?model=bert-mini&seq=32&norm=batchnorm&dealer=inline&net=custom&bw=50000000&lat=0.005&link=tcp&compute=profile:zen5-2core',
       ['--model', 'bert-mini', '--seq', '32', '--norm', 'batchnorm', '--dealer', 'inline', '--bandwidth', '50mbit',
        '--latency', '5ms', '--link-model', 'tcp', '--compute', 'profile:zen5-2core']],
    ];
    const seen = [];
    for (const [name, query, args] of configs) {
      const st = await open(query);
      const got = await numbers(page), want = native(args);
      check(`${name}: page equals mpcsim infer`, st === 'ok' && same(got, want),
            `${st} page ${JSON.stringify(got)} native ${JSON.stringify(want)} ${await errorText(page)}`);
      const cmd = await page.evaluate(() => document.getElementById('command').textContent);
      const cargs = cmd.replace(/^mpcsim infer /, '').split(' ');
      check(`${name}: "copy as command" runs to the same numbers`, cmd.startsWith('mpcsim infer ') && same(native(cargs), want), cmd);
      seen.push(JSON.stringify(got));
    }
    check('the three configurations differ', new Set(seen).size === 3);

    // ---- every view is drawn, each with its one-line explanation ----
    await open('?model=bert-mini&seq=32');
    await page.waitForFunction(() => document.body.dataset.views === 'ok', null, WAIT);
    const why = await page.evaluate(() => Object.fromEntries(['totals', 'breakdown', 'timeline', 'speedups', 'curve']
      .map((v) => [v, document.getElementById('why-' + v).textContent])));
    const charts = await page.evaluate(() => ['breakdown', 'timeline', 'speedups', 'curve']
      .every((v) => document.querySelector(`#${v} svg`) !== null));
    check('all five views are drawn and explained in one line', charts &&
          Object.values(why).every((t) => t.length > 40 && !t.includes('\n') && !/undefined|NaN/.test(t)), JSON.stringify(why));
    check('the speedup explanation names where the time is saved (act, softmax)',
          /the time saved is in .*(act|softmax) \(\d+ → \d+ rounds/.test(why.speedups), why.speedups);

    // ---- a changed control updates the numbers ----
    await open('');
    const before = await numbers(page);
    await page.selectOption('#softmax', '2relu');
    let st = await settled(page);
    let got = await numbers(page);
    check('changing attention to 2relu updates to mpcsim infer\'s numbers',
          st === 'ok' && !same(got, before) && same(got, native(['--model', 'bert-base', '--seq', '128', '--softmax', '2relu'])),
          JSON.stringify(got));
    check('the URL follows the control', new URL(page.url()).searchParams.get('softmax') === '2relu', page.url());
    await page.evaluate(() => { const s = document.getElementById('bw'); s.value = '200'; s.dispatchEvent(new Event('change')); });
    st = await settled(page);
    got = await numbers(page);
    const q = new URL(page.url()).searchParams;
    const bw = q.get('bw');
    check('the bandwidth slider sets a custom network (about 10 Mbit/s)', q.get('net') === 'custom' && Math.abs(Math.log10(+bw) - 7) < 0.01, page.url());
    check('after the slider, the numbers equal mpcsim infer\'s', st === 'ok' && same(got, native(
      ['--model', 'bert-base', '--seq', '128', '--softmax', '2relu', '--bandwidth', bw + 'bit', '--latency', '400us'])), JSON.stringify(got));

    // ---- a pasted config.json ----
    const good = { model_type: 'bert', hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 2,
                   intermediate_size: 128, vocab_size: 100, max_position_embeddings: 64 };
    fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(good));
    await open('?model=custom&seq=16');
    check('custom model without a config asks for one', (await errorText(page)).includes('paste a config.json'));
    await page.fill('#config', JSON.stringify(good));
    await page.click('#config-apply');
    st = await settled(page);
    got = await numbers(page);
    check('a pasted config.json equals mpcsim infer --config', st === 'ok' &&
          same(got, native(['--config', path.join(tmp, 'config.json'), '--seq', '16'])), JSON.stringify(got) + (await errorText(page)));
    await page.fill('#config', '{"hidden_size": 768, "num_hidden_layers": ');
    await page.click('#config-apply');
    st = await settled(page);
    let err = await errorText(page);
    check('a malformed config.json shows a clear message', st === 'error' && /JSON error at byte \d+/.test(err) && err.includes('config.json'), err);
    await page.fill('#config', JSON.stringify(Object.assign({}, good, { num_hidden_layers: 1000 })));
    await page.click('#config-apply');
    st = await settled(page);
    err = await errorText(page);
    check('an out-of-range config.json value shows a clear message', st === 'error' && err.includes('num_hidden_layers 1000 out of'), err);

    // ---- out-of-range values ----
    const bad = [
      ['?seq=600', /--seq 600 exceeds the model's 512 positions/],
      ['?seq=0', /sequence length '0' is out of range/],
      ['?seq=12x', /sequence length '12x' is out of range/],
      ['?net=custom&bw=1&lat=0.001', /bandwidth '1' bit\/s is out of range/],
      ['?net=custom&bw=1e9&lat=-3', /one-way latency '-3' s is out of range/],
      ['?net=moon', /unknown network preset 'moon'/],
      ['?gelu=sigmoid', /--gelu: unknown activation 'sigmoid'/],
    ];
    for (const [query, re] of bad) {
      st = await open(query);
      err = await errorText(page);
      check(`${query} shows a clear message`, st === 'error' && re.test(err), `${st}: ${err}`);
    }
    st = await open('?seq=8&model=bert-tiny');
    check('after errors, a valid configuration computes again', st === 'ok' && (await errorText(page)) === '');
    check('no uncaught page errors', pageErrors.length === 0, pageErrors.join('; '));
  } catch (e) {
    failed++;
    console.log('FAIL ' + (e && e.stack ? e.stack : e));
  } finally {
    if (browser) await browser.close();
    if (server) server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (failed && server) console.log('server log (last lines):\n' + server.log());
  console.log(`explorer: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
