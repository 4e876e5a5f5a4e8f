// explorer.js -- the explorer page: controls <-> URL state, `mpcsim infer` options, views.
// Every number shown comes from the simulator (worker.js runs xp_cmd_infer, compiled to WebAssembly);
// this script only builds the options, checks ranges, and draws.
'use strict';

const $ = (id) => document.getElementById(id);
const LIMITS = { seqMin: 1, seqMax: 65536, bwMin: 1e3, bwMax: 1e12, latMin: 0, latMax: 10 };
const BW_LOG = [6, 11];    // slider: 1 Mbit/s .. 100 Gbit/s
const LAT_LOG = [-5, 0];   // slider: 10 us .. 1 s
const WATCHDOG_MS = 30000; // a request running longer is stopped (the page says so)
const APPROX = { gelu: ['gelu-erf', 'relu', 'quad'], softmax: ['softmax', '2relu', '2quad'] };
const CURVE_BW = [1e7, 3e7, 1e8, 3e8, 1e9, 3e9, 1e10, 3e10, 1e11];

let catalog = null;
let state = null;
let generation = 0, nextId = 1;

// ---------- formatting ----------
function sig(x, n = 3) { return Number(x.toPrecision(n)).toString(); }
function fmtTime(s) {
  if (s === 0) return '0 s';
  if (s < 1e-3) return sig(s * 1e6) + ' µs';
  if (s < 1) return sig(s * 1e3) + ' ms';
  return sig(s, 4) + ' s';
}
function fmtBytes(b) {
  const u = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (b >= 1000 && i < u.length - 1) { b /= 1000; i++; }
  return sig(b) + ' ' + u[i];
}
function fmtBps(b) {
  const u = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let i = 0;
  while (b >= 1000 && i < u.length - 1) { b /= 1000; i++; }
  return sig(b) + ' ' + u[i];
}
function esc(s) { return String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';'); }
function parseCsv(text) {
  if (!text) return [];
  const lines = text.trim().split('\n');
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const v = l.split(','), o = {};
    head.forEach((h, i) => { o[h] = v[i]; });
    return o;
  });
}

// ---------- state <-> URL <-> controls ----------
function defaults() {
  return { model: 'bert-base', config: '', seq: '128', gelu: 'gelu-erf', softmax: 'softmax', norm: 'layernorm',
           protocol: catalog.protocols[0], dealer: 'offline', net: 'lan', bw: '', lat: '', link: 'ideal',
           compute: 'zero', layer: '0' };
}
function profile(name) { return catalog.networks.find((p) => p.name === name); }

function stateFromUrl() {
  const s = defaults();
  const q = new URLSearchParams(location.search);
  for (const k of Object.keys(s)) if (q.has(k)) s[k] = q.get(k);
  if (s.net !== 'custom' && profile(s.net)) {
    s.bw = String(profile(s.net).bps);
    s.lat = String(profile(s.net).latency_s);
  }
  if (q.has('bw') || q.has('lat')) {
    if (!q.has('net')) s.net = 'custom';
  }
  return s;
}

function urlFromState(s) {
  const q = new URLSearchParams();
  const d = defaults();
  for (const k of Object.keys(s)) {
    if ((k === 'bw' || k === 'lat') && s.net !== 'custom') continue;
    if (k === 'config' && s.model !== 'custom') continue;
    if (s[k] !== d[k]) q.set(k, s[k]);
  }
  const str = q.toString();
  return location.pathname + (str ? '?' + str : '');
}

function fillSelect(sel, values, labels) {
  sel.innerHTML = values.map((v, i) => `<option value="${esc(v)}">${esc(labels ? labels[i] : v)}</option>`).join('');
}

function ensureOption(sel, v) {
  if (![...sel.options].some((o) => o.value === v)) {
    const o = document.createElement('option');
    o.value = o.textContent = v;
    sel.appendChild(o);
  }
  sel.value = v;
}

function toSlider(v, range) {
  const x = Math.log10(Math.max(v, 10 ** range[0]));
  return Math.round(1000 * (x - range[0]) / (range[1] - range[0]));
}
function fromSlider(p, range) { return 10 ** (range[0] + (range[1] - range[0]) * p / 1000); }

function showControls(s) {
  ensureOption($('model'), s.model);
  $('config-box').hidden = s.model !== 'custom';
  if (s.model === 'custom' && document.activeElement !== $('config')) $('config').value = s.config;
  $('seq').value = s.seq;
  for (const k of ['gelu', 'softmax', 'norm', 'protocol', 'dealer', 'link', 'compute', 'net']) ensureOption($(k), s[k]);
  const bw = Number(s.bw), lat = Number(s.lat);
  $('bw').value = toSlider(bw, BW_LOG);
  $('lat').value = lat > 0 ? toSlider(lat, LAT_LOG) : 0;
  $('bw-out').textContent = isFinite(bw) ? fmtBps(bw) : s.bw;
  $('lat-out').textContent = isFinite(lat) ? fmtTime(lat) : s.lat;
  $('layer').value = s.layer;
}

// ---------- options for `mpcsim infer` ----------
// Returns {args, cmd} or {error}. Range checks here keep an absurd value from reaching the simulator
// (a bandwidth of 1 bit/s would overflow its nanosecond clock); the simulator checks the rest.
function inferArgs(s, over = {}) {
  const o = Object.assign({}, s, over);
  const errs = [];
  if (!/^\d+$/.test(o.seq) || +o.seq < LIMITS.seqMin || +o.seq > LIMITS.seqMax)
    errs.push(`sequence length '${o.seq}' is out of range: a whole number from ${LIMITS.seqMin} to ${LIMITS.seqMax}`);
  if (o.net === 'custom') {
    const bw = Number(o.bw), lat = Number(o.lat);
    if (!(o.bw !== '' && isFinite(bw) && bw >= LIMITS.bwMin && bw <= LIMITS.bwMax))
      errs.push(`bandwidth '${o.bw}' bit/s is out of range: ${fmtBps(LIMITS.bwMin)} to ${fmtBps(LIMITS.bwMax)}`);
    if (!(o.lat !== '' && isFinite(lat) && lat >= LIMITS.latMin && lat <= LIMITS.latMax))
      errs.push(`one-way latency '${o.lat}' s is out of range: 0 to ${LIMITS.latMax} s`);
  } else if (!profile(o.net)) {
    errs.push(`unknown network preset '${o.net}' (known: ${catalog.networks.map((p) => p.name).join(', ')})`);
  }
  if (!/^\d+$/.test(o.layer)) errs.push(`layer '${o.layer}' is not a whole number`);
  if (o.model === 'custom' && !o.config.trim()) errs.push('paste a config.json (or choose a model from the zoo)');
  if (errs.length) return { error: errs.join('\n') };
  const a = [];
  if (o.model !== 'custom') a.push('--model', o.model);
  a.push('--seq', o.seq, '--gelu', o.gelu, '--softmax', o.softmax, '--norm', o.norm);
  if (catalog.protocols.length > 1) a.push('--protocol', o.protocol);
  a.push('--dealer', o.dealer);
  if (o.net === 'custom') a.push('--bandwidth', Math.round(Number(o.bw)) + 'bit', '--latency', Math.round(Number(o.lat) * 1e9) + 'ns');
  else a.push('--net', o.net);
  a.push('--link-model', o.link, '--compute', o.compute);
  const quote = (x) => /^[\w.:+\-/=]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`;
  const cmd = 'mpcsim infer ' + a.map(quote).join(' ') + (o.model === 'custom' ? ' --config config.json' : '');
  return { args: a, cmd, config: o.model === 'custom' ? o.config : null };
}

// ---------- the workers ----------
// Two simulators, each in its own web worker: 'main' runs the configuration shown, 'views' the extra
// runs of the speedup and curve views, so a changed control never queues behind those.
function runner(name) { return { name, worker: null, inflight: null, queue: [] }; }
const runners = { main: runner('main'), views: runner('views') };

function startWorker(r) {
  r.worker = new Worker('worker.js');
  r.worker.onmessage = (ev) => onWorkerMessage(r, ev.data);
  r.worker.onerror = (ev) => {
    showError('The simulator could not be loaded: ' + (ev.message || 'worker error') +
              '. Serve this folder with `bash scripts/explorer.sh` (a web worker cannot start from a file:// page).');
    ev.preventDefault();
  };
}

function restartWorker(r) {
  r.worker.terminate();
  startWorker(r);
}

function send(r) {
  if (r.inflight || !r.queue.length || !catalog) return;
  const req = r.inflight = r.queue.shift();
  req.id = nextId++;
  req.t0 = performance.now();
  req.timer = setTimeout(() => {
    r.inflight = null;
    restartWorker(r);
    req.done({ rc: -1, stderr: `stopped: this simulation ran longer than ${WATCHDOG_MS / 1000} s (try the ideal link model or a shorter sequence)` });
    send(r);
  }, WATCHDOG_MS);
  r.worker.postMessage({ id: req.id, args: req.args, config: req.config });
}

function submit(r, req, done) {
  r.queue.push({ args: req.args, config: req.config, done, gen: generation });
  send(r);
}

// A run for an older state that has been going for a while (a big model on the packet link model) is
// not waited for: its worker is replaced.
function dropStale(r) {
  if (r.inflight && r.inflight.gen !== generation && performance.now() - r.inflight.t0 > 500) {
    clearTimeout(r.inflight.timer);
    r.inflight = null;
    restartWorker(r);
  }
}

function onWorkerMessage(r, m) {
  if (m.catalog) {
    if (!catalog) init(m.catalog);
    send(r);
    return;
  }
  if (m.loadError) { showError('The simulator failed to load: ' + m.loadError); return; }
  if (!r.inflight || m.id !== r.inflight.id) return;
  const req = r.inflight;
  clearTimeout(req.timer);
  r.inflight = null;
  if (m.crashed) {
    restartWorker(r); // the module stopped on an internal check: start afresh
    req.done({ rc: -1, stderr: 'the simulator stopped: ' + m.crashed });
  } else {
    req.done(m);
  }
  send(r);
}

// ---------- recompute ----------
function setState(s, push) {
  state = s;
  const url = urlFromState(s);
  if (push && url !== location.pathname + location.search) history.replaceState(null, '', url);
  showControls(s);
  recompute();
}

function showError(msg) {
  $('error').hidden = false;
  $('error').textContent = msg;
}

function clearError() {
  $('error').hidden = true;
  $('error').textContent = '';
}

function cleanStderr(text) {
  return text.split('\n').filter((l) => l && !l.startsWith('infer: ')).join('\n')
    .split('/explorer/config.json').join('config.json'); // the pasted text, as the command names it
}

function recompute() {
  const gen = ++generation;
  for (const w of Object.values(runners)) {
    w.queue = [];
    dropStale(w);
  }
  const r = inferArgs(state);
  document.body.dataset.main = 'busy';
  if (r.error) {
    $('command').textContent = '';
    showError(r.error);
    markStale();
    document.body.dataset.main = 'error';
    $('status').textContent = 'not computed: fix the value above';
    return;
  }
  $('command').textContent = r.cmd;
  $('status').textContent = 'simulating…';
  const t0 = performance.now();
  submit(runners.main, r, (m) => {
    if (gen !== generation) return;
    const rows = parseCsv(m.out);
    if (m.rc !== 0 || rows.length !== 1) {
      showError(cleanStderr(m.stderr || '') || `the simulator exited with code ${m.rc}`);
      markStale();
      $('status').textContent = 'not computed';
      document.body.dataset.main = 'error';
      return;
    }
    clearError();
    const res = { row: rows[0], breakdown: parseCsv(m.breakdown), timeline: parseCsv(m.timeline) };
    showTotals(res, m.ms, performance.now() - t0);
    showBreakdown(res);
    showTimeline(res);
    $('status').textContent = 'done';
    document.body.dataset.main = 'ok';
    secondary(gen, res);
  });
}

function markStale() {
  for (const id of ['view-totals', 'breakdown', 'timeline', 'speedups', 'curve']) $(id).classList.add('stale');
}

function setNum(id, raw, text) {
  const el = $(id);
  el.dataset.raw = raw;
  el.textContent = text;
  el.title = raw;
}

function showTotals(res, simMs, pageMs) {
  const r = res.row;
  $('view-totals').classList.remove('stale');
  setNum('v-latency', r.latency_s, fmtTime(+r.latency_s));
  setNum('v-rounds', r.rounds, Number(r.rounds).toLocaleString('en-US'));
  setNum('v-bytes-p0', r.online_sent_bytes_p0, fmtBytes(+r.online_sent_bytes_p0));
  setNum('v-bytes-p1', r.online_sent_bytes_p1, fmtBytes(+r.online_sent_bytes_p1));
  setNum('v-dealer', r.dealer_bytes, fmtBytes(+r.dealer_bytes));
  const tot = res.breakdown.find((b) => b.level === 'total');
  const lat = +r.latency_s;
  if (tot && lat > 0) {
    const pct = (x) => Math.round(100 * x / lat) + '%';
    $('why-totals').textContent =
      `${pct(+tot.transfer_s)} of the latency is bytes on the wire (${fmtBytes(+r.online_sent_bytes_p0)} each way at ` +
      `${fmtBps(+r.bandwidth_bps)}), ${pct(+tot.latency_wait_s)} is waiting for messages to cross ` +
      `(${r.rounds} rounds of ${fmtTime(+r.one_way_latency_s)} one way), ${pct(+tot.compute_s)} is compute ` +
      `(${r.compute_model}); the dealer's ${fmtBytes(+r.dealer_bytes)} are ` +
      (r.dealer === 'offline' ? 'sent before the input arrives (offline), outside the latency.' : 'requested during the inference (inline).');
  }
  $('timing').textContent = `recomputed in ${simMs.toFixed(0)} ms of simulation (${pageMs.toFixed(0)} ms on the page)`;
  $('timing').dataset.simMs = simMs.toFixed(1);
}

// ---------- charts ----------
const PARTS = [['compute_s', 'compute', 'var(--c-compute)'], ['transfer_s', 'transfer', 'var(--c-transfer)'],
               ['latency_wait_s', 'latency waiting', 'var(--c-latency)'], ['other_wait_s', 'other waiting', 'var(--c-other)']];

function legend(y) {
  return PARTS.map((p, i) => `<rect x="${110 + i * 130}" y="${y}" width="10" height="10" style="fill:${p[2]}"/>` +
                              `<text x="${124 + i * 130}" y="${y + 9}">${p[1]}</text>`).join('');
}

function showBreakdown(res) {
  const ops = res.breakdown.filter((b) => b.level === 'op' && +b.time_s > 0);
  const W = 640, rowH = 18, H = 30 + ops.length * rowH;
  const max = Math.max(...ops.map((o) => +o.time_s), 1e-12);
  let svg = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="per-operator time">` + legend(4);
  ops.forEach((o, i) => {
    const y = 24 + i * rowH;
    let x = 110;
    svg += `<text x="104" y="${y + 12}" text-anchor="end">${esc(o.tag)}</text>`;
    for (const [k, , c] of PARTS) {
      const w = (W - 200) * (+o[k]) / max;
      if (w > 0) svg += `<rect x="${x}" y="${y + 2}" width="${w}" height="${rowH - 5}" style="fill:${c}"><title>${esc(o.tag)}: ${k.replace('_s', '')} ${fmtTime(+o[k])}</title></rect>`;
      x += w;
    }
    svg += `<text x="${x + 4}" y="${y + 12}">${fmtTime(+o.time_s)}</text>`;
  });
  $('breakdown').innerHTML = svg + '</svg>';
  $('breakdown').classList.remove('stale');
  if (ops.length) {
    const top = ops.reduce((a, b) => (+b.time_s > +a.time_s ? b : a));
    const total = ops.reduce((a, b) => a + +b.time_s, 0);
    const dom = PARTS.reduce((a, b) => (+top[b[0]] > +top[a[0]] ? b : a));
    $('why-breakdown').textContent = `${top.tag} costs most: ${fmtTime(+top.time_s)} (${Math.round(100 * top.time_s / total)}% of ` +
      `the operators' time, ${top.rounds} rounds), mostly ${dom[1]}. Times are those of the party that finishes last.`;
  } else {
    $('why-breakdown').textContent = '';
  }
}

function tagColor(tag) {
  let h = 0;
  for (const c of tag) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} 55% 55%)`;
}

function showTimeline(res) {
  const L = state.layer;
  const spans = res.timeline.filter((s) => s.layer === L);
  $('timeline').classList.remove('stale');
  if (!spans.length) {
    $('timeline').innerHTML = '';
    $('why-timeline').textContent = `This model has no layer ${L}.`;
    return;
  }
  const t0 = Math.min(...spans.map((s) => +s.start_s)), t1 = Math.max(...spans.map((s) => +s.end_s));
  const W = 640, X0 = 40, span = Math.max(t1 - t0, 1e-12);
  const x = (t) => X0 + (W - X0 - 10) * (t - t0) / span;
  let svg = `<svg viewBox="0 0 ${W} 96" role="img" aria-label="timeline of layer ${esc(L)}">`;
  ['P0', 'P1'].forEach((p, i) => {
    const y = 8 + i * 34;
    svg += `<text x="4" y="${y + 17}">${p}</text>`;
    for (const s of spans.filter((q) => q.party === p)) {
      const a = x(+s.start_s), w = Math.max(x(+s.end_s) - a, 0.5);
      svg += `<rect x="${a}" y="${y}" width="${w}" height="26" style="fill:${tagColor(s.tag)}"><title>${esc(s.tag)}: ${fmtTime(s.end_s - s.start_s)}</title></rect>`;
      if (w > 44) svg += `<text x="${a + 3}" y="${y + 17}" style="fill:white">${esc(s.tag)}</text>`;
    }
  });
  svg += `<text x="${X0}" y="90">${fmtTime(t0)}</text><text x="${W - 10}" y="90" text-anchor="end">${fmtTime(t1)}</text>`;
  $('timeline').innerHTML = svg + '</svg>';
  const longest = spans.reduce((a, b) => (b.end_s - b.start_s > a.end_s - a.start_s ? b : a));
  $('why-timeline').textContent = `Layer ${L} runs from ${fmtTime(t0)} to ${fmtTime(t1)}; its longest step is ` +
    `${longest.tag} (${fmtTime(longest.end_s - longest.start_s)} on ${longest.party}). Both parties run every step ` +
    'together: each exchange waits for the other party\'s message.';
}

// The approximation grid and the bandwidth curve: more runs of the same simulator, after the main one.
// body's data-views is 'busy' until both views have been drawn for this state ('ok').
function secondary(gen, main) {
  document.body.dataset.views = 'busy';
  let views = 2;
  const drawn = () => { if (--views === 0) document.body.dataset.views = 'ok'; };
  const base = { gelu: 'gelu-erf', softmax: 'softmax' };
  const results = {};
  const key = (g, s) => g + '+' + s;
  const combos = [];
  for (const g of APPROX.gelu) for (const s of APPROX.softmax) combos.push([g, s]);
  let left = combos.length;
  for (const [g, s] of combos) {
    const r = inferArgs(state, { gelu: g, softmax: s });
    submit(runners.views, r, (m) => {
      if (gen !== generation) return;
      const row = parseCsv(m.out)[0];
      if (m.rc === 0 && row) results[key(g, s)] = Object.assign({ ops: parseCsv(m.breakdown).filter((b) => b.level === 'op') }, row);
      if (--left === 0) { showSpeedups(results, key(base.gelu, base.softmax)); drawn(); }
    });
  }
  // Curve: this approximation (or MPCFormer's cheapest, Quad + 2Quad, when this is the baseline).
  let approx = { gelu: state.gelu, softmax: state.softmax };
  if (approx.gelu.startsWith('gelu') && approx.softmax === 'softmax') approx = { gelu: 'quad', softmax: '2quad' };
  const lat = state.net === 'custom' ? state.lat : String(profile(state.net).latency_s);
  const pts = CURVE_BW.map((bw) => ({ bw }));
  let cleft = pts.length * 2;
  for (const p of pts) {
    for (const [which, ov] of [['base', base], ['approx', approx]]) {
      const r = inferArgs(state, Object.assign({ net: 'custom', bw: String(p.bw), lat }, ov));
      if (r.error) { cleft--; continue; }
      submit(runners.views, r, (m) => {
        if (gen !== generation) return;
        const row = parseCsv(m.out)[0];
        if (m.rc === 0 && row) p[which] = row;
        if (--cleft === 0) { showCurve(pts, approx, lat); drawn(); }
      });
    }
  }
  if (cleft === 0) { showCurve(pts, approx, lat); drawn(); } // no point could run
}

function showSpeedups(results, baseKey) {
  const base = results[baseKey];
  $('speedups').classList.remove('stale');
  if (!base) { $('speedups').innerHTML = ''; $('why-speedups').textContent = 'The baseline did not run.'; return; }
  const rows = Object.entries(results).map(([k, r]) => ({ k, r, x: base.latency_s / r.latency_s }));
  const W = 640, rowH = 18, H = 8 + rows.length * rowH;
  const max = Math.max(...rows.map((r) => r.x));
  let svg = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="speedups">`;
  rows.forEach((r, i) => {
    const y = 4 + i * rowH, w = (W - 330) * r.x / max;
    const cur = r.k === state.gelu + '+' + state.softmax;
    svg += `<text x="124" y="${y + 12}" text-anchor="end" ${cur ? 'font-weight="bold"' : ''}>${esc(r.k)}</text>` +
           `<rect x="130" y="${y + 2}" width="${w}" height="${rowH - 5}" style="fill:var(--accent)"/>` +
           `<text x="${134 + w}" y="${y + 12}">${sig(r.x)}× (${fmtTime(+r.r.latency_s)}, ${r.r.rounds} rounds)</text>`;
  });
  $('speedups').innerHTML = svg + '</svg>';
  const best = rows.reduce((a, b) => (b.x > a.x ? b : a));
  // Where the saving is: the operators whose time dropped most from the baseline's breakdown to the
  // best's (the breakdown sums the same step tags `mpcsim explain` reads).
  const saved = base.ops.map((o) => {
    const b = best.r.ops.find((q) => q.tag === o.tag);
    return { tag: o.tag, dt: b ? o.time_s - b.time_s : 0, from: o.rounds, to: b ? b.rounds : '?' };
  }).filter((o) => o.dt > 0).sort((a, b) => b.dt - a.dt).slice(0, 2);
  $('why-speedups').textContent = best.k === baseKey ? 'At this network no approximation is faster than GeLU + Softmax.' :
    `At this network ${best.k} is fastest, ${sig(best.x)}× GeLU + Softmax: ${best.r.rounds} rounds ` +
    `instead of ${base.rounds} and ${fmtBytes(+best.r.online_sent_bytes_p0)} instead of ${fmtBytes(+base.online_sent_bytes_p0)} ` +
    'per party' + (saved.length ? '; the time saved is in ' + saved.map((o) => `${o.tag} (${o.from} → ${o.to} rounds, ` +
    `${fmtTime(o.dt)} less)`).join(' and ') : '') + '.';
}

function showCurve(pts, approx, lat) {
  const ok = pts.filter((p) => p.base && p.approx);
  $('curve').classList.remove('stale');
  if (!ok.length) { $('curve').innerHTML = ''; $('why-curve').textContent = ''; return; }
  ok.forEach((p) => { p.x = p.base.latency_s / p.approx.latency_s; });
  const W = 640, H = 200, X0 = 50, Y0 = 170;
  const top = Math.max(...ok.map((p) => p.x)) * 1.1;
  const step = top <= 3 ? 0.5 : top <= 8 ? 1 : Math.ceil(top / 5);
  const ymax = Math.ceil(top / step) * step;
  const lx = (bw) => X0 + (W - X0 - 45) * (Math.log10(bw) - 7) / 4;
  const ly = (x) => Y0 - (Y0 - 10) * x / ymax;
  let svg = `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="speedup against bandwidth">`;
  svg += `<line x1="${X0}" y1="${Y0}" x2="${W - 20}" y2="${Y0}" stroke="#999"/><line x1="${X0}" y1="10" x2="${X0}" y2="${Y0}" stroke="#999"/>`;
  for (const bw of [1e7, 1e8, 1e9, 1e10, 1e11]) svg += `<text x="${lx(bw)}" y="${Y0 + 15}" text-anchor="middle">${fmtBps(bw)}</text>`;
  for (let v = 0; v <= ymax + 1e-9; v += step) svg += `<text x="${X0 - 4}" y="${ly(v) + 4}" text-anchor="end">${sig(v)}×</text>`;
  svg += `<polyline fill="none" stroke="var(--accent)" stroke-width="2" points="${ok.map((p) => lx(p.bw) + ',' + ly(p.x)).join(' ')}"/>`;
  for (const p of ok) svg += `<circle cx="${lx(p.bw)}" cy="${ly(p.x)}" r="3" style="fill:var(--accent)"><title>${fmtBps(p.bw)}: ${sig(p.x)}×</title></circle>`;
  $('curve').innerHTML = svg + '</svg>';
  const lo = ok[0], hi = ok[ok.length - 1];
  const bytesRatio = lo.base.online_sent_bytes_p0 / lo.approx.online_sent_bytes_p0;
  const roundsRatio = hi.base.rounds / hi.approx.rounds;
  $('why-curve').textContent = `${approx.gelu}+${approx.softmax} over GeLU + Softmax at ${fmtTime(+lat)} one way: ` +
    `${sig(lo.x)}× at ${fmtBps(lo.bw)}, where bytes dominate (byte ratio ${sig(bytesRatio)}), and ${sig(hi.x)}× at ` +
    `${fmtBps(hi.bw)}, where round trips dominate (round ratio ${sig(roundsRatio)}).`;
}

// ---------- wiring ----------
function init(cat) {
  catalog = cat;
  fillSelect($('model'), cat.models.concat(['custom']), cat.models.concat(['custom: paste a config.json']));
  fillSelect($('gelu'), cat.gelu);
  fillSelect($('softmax'), cat.softmax);
  fillSelect($('norm'), cat.norm);
  fillSelect($('protocol'), cat.protocols);
  fillSelect($('compute'), cat.compute);
  fillSelect($('net'), cat.networks.map((p) => p.name).concat(['custom']),
             cat.networks.map((p) => `${p.name}: ${p.description}`).concat(['custom (the sliders)']));
  const change = (k, v) => setState(Object.assign({}, state, { [k]: v }), true);
  for (const k of ['gelu', 'softmax', 'norm', 'protocol', 'dealer', 'link', 'compute', 'model'])
    $(k).addEventListener('change', () => change(k, $(k).value));
  $('seq').addEventListener('change', () => change('seq', $('seq').value.trim()));
  $('layer').addEventListener('change', () => change('layer', $('layer').value.trim()));
  $('net').addEventListener('change', () => {
    const p = profile($('net').value);
    setState(Object.assign({}, state, p ? { net: p.name, bw: String(p.bps), lat: String(p.latency_s) } : { net: 'custom' }), true);
  });
  $('bw').addEventListener('input', () => { $('bw-out').textContent = fmtBps(Number(sig(fromSlider($('bw').value, BW_LOG)))); });
  $('lat').addEventListener('input', () => { $('lat-out').textContent = fmtTime(Number(sig(fromSlider($('lat').value, LAT_LOG)))); });
  $('bw').addEventListener('change', () => setState(Object.assign({}, state, { net: 'custom', bw: sig(fromSlider($('bw').value, BW_LOG)) }), true));
  $('lat').addEventListener('change', () => setState(Object.assign({}, state, { net: 'custom', lat: sig(fromSlider($('lat').value, LAT_LOG)) }), true));
  $('config-apply').addEventListener('click', () => setState(Object.assign({}, state, { model: 'custom', config: $('config').value }), true));
  $('copy').addEventListener('click', () => copy($('command').textContent, 'command copied'));
  $('link-copy').addEventListener('click', () => copy(location.href, 'link copied'));
  window.addEventListener('popstate', () => setState(stateFromUrl(), false));
  setState(stateFromUrl(), false);
}

function copy(text, what) {
  const done = () => { $('status').textContent = what; };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, done));
  else fallbackCopy(text, done);
}
function fallbackCopy(text, done) {
  const t = document.createElement('textarea');
  t.value = text;
  document.body.appendChild(t);
  t.select();
  document.execCommand('copy');
  t.remove();
  done();
}

for (const r of Object.values(runners)) startWorker(r);
