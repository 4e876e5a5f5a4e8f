// harness.js -- what the explorer's browser test and its benchmark share: serving web/ on localhost
// with scripts/explorer.sh --no-build (web/build.sh must have run) and launching Debian's chromium
// headless through playwright-core (CHROMIUM overrides /usr/bin/chromium).
'use strict';
const { chromium } = require('playwright-core');
const { spawn } = require('child_process');
const path = require('path');

const ROOT = path.resolve(__dirname, '../..');

// Starts the server; resolves to {base, log(), stop()} once it answers (rejects after 10 s).
async function serve() {
  const port = 20000 + (process.pid % 20000);
  const base = `http://127.0.0.1:${port}/`;
  const server = spawn('bash', [path.join(ROOT, 'scripts/explorer.sh'), '--no-build', '--port', String(port)],
                       { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr.on('data', (d) => { log = (log + d).slice(-4000); }); // the access log, shown on failure
  const handle = { base, log: () => log, stop: () => server.kill() };
  for (let i = 0; i < 100; i++) {
    try { const r = await fetch(base + 'index.html'); if (r.ok) return handle; } catch (e) { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  handle.stop();
  throw new Error('the explorer server did not start: ' + log);
}

function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
}

module.exports = { ROOT, serve, launch };
