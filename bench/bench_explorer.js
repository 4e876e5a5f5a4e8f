// bench_explorer.js -- how fast the explorer answers a changed control: BERT-base at seq 128 (the
// page's default configuration) in Debian's chromium, headless (tests/web/harness.js). Never part of
// the tests; scripts/bench-explorer.sh builds web/ and runs it (and `cmake --build build --target
// bench` runs that script). Usage: node bench/bench_explorer.js OUT_CSV [REPS]
//
// Each repetition switches the dealer schedule (offline <-> inline: a full `mpcsim infer` of the same
// model) and times, inside the page, from the control's change event to the new numbers in the DOM
// (page_ms), and, inside the worker, the simulation alone (sim_ms: xp_cmd_infer in WebAssembly).
// Two scenarios: 'idle' waits for the other views (speedups, curve: 27 more runs) to finish before
// the change; 'views_busy' changes as soon as the numbers are shown, so the change runs beside the
// run of those views in flight on the other worker (sharing the cores). Columns: schema bench_explorer
// (`mpcsim schema bench_explorer`; MPCSIM_BIN, default build/mpcsim, gives the header).
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ROOT, serve, launch } = require('../tests/web/harness');

const WAIT = { timeout: 120000 };

function stats(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

// Switches #dealer to v and resolves, in the page, when the numbers are shown: {pageMs, simMs, state}.
function change(page, v) {
  return page.evaluate((value) => new Promise((resolve) => {
    const body = document.body, sel = document.getElementById('dealer');
    const t0 = performance.now();
    const obs = new MutationObserver(() => {
      if (body.dataset.main !== 'ok' && body.dataset.main !== 'error') return;
      const pageMs = performance.now() - t0;
      obs.disconnect();
      resolve({ pageMs, simMs: +document.getElementById('timing').dataset.simMs, state: body.dataset.main });
    });
    obs.observe(body, { attributes: true, attributeFilter: ['data-main'] });
    sel.value = value;
    sel.dispatchEvent(new Event('change'));
  }), v);
}

async function main() {
  const out = process.argv[2];
  const reps = +(process.argv[3] || 11);
  if (!out || !(reps >= 1)) { console.error('usage: node bench/bench_explorer.js OUT_CSV [REPS]'); process.exit(2); }
  const header = execFileSync(process.env.MPCSIM_BIN || path.join(ROOT, 'build/mpcsim'), ['schema', '--header', 'bench_explorer'])
    .toString().trim();
  let server, browser;
  try {
    server = await serve();
    browser = await launch();
    const version = browser.version();
    const page = await browser.newPage();
    await page.goto(server.base);
    await page.waitForFunction(() => document.body.dataset.main === 'ok' && document.body.dataset.views === 'ok', null, WAIT);
    const rows = [];
    for (const scenario of ['idle', 'views_busy']) {
      const pageMs = [], simMs = [];
      for (let i = 0; i <= reps; i++) { // the first change warms up and is not counted
        if (scenario === 'idle')
          await page.waitForFunction(() => document.body.dataset.views === 'ok', null, WAIT);
        const r = await change(page, i % 2 ? 'offline' : 'inline');
        if (r.state !== 'ok') throw new Error('the page showed an error: ' + await page.textContent('#error'));
        if (i > 0) { pageMs.push(r.pageMs); simMs.push(r.simMs); }
      }
      const p = stats(pageMs), s = stats(simMs);
      const row = ['explorer_recompute', 'bert-base', 128, scenario, 'chromium ' + version, reps, p.median.toFixed(1),
                   p.min.toFixed(1), p.max.toFixed(1), s.median.toFixed(1), s.min.toFixed(1), 100];
      if (row.length !== header.split(',').length) throw new Error(`a row of ${row.length} cells for the header ${header}`);
      rows.push(row.join(','));
      console.error(`bench: explorer bert-base seq 128 (${scenario}): page ${p.median.toFixed(1)} ms median ` +
                    `(${p.min.toFixed(1)}..${p.max.toFixed(1)}), simulation ${s.median.toFixed(1)} ms`);
    }
    const csv = `# mpcsim explorer bench: chromium headless, ${os.cpus().length} cores, load average ` +
      `${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end\n` + header + '\n' + rows.join('\n') + '\n';
    const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, csv);
    fs.renameSync(tmp, out);
    console.error('bench: -> ' + out);
  } finally {
    if (browser) await browser.close();
    if (server) server.stop();
  }
}

main().catch((e) => { console.error('bench_explorer: ' + (e && e.stack ? e.stack : e)); process.exit(1); });
