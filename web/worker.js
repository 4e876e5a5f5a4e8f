// worker.js -- runs the simulator (mpcsim.js/.wasm) off the page's thread, so the page never freezes
// (the page starts two: one for the configuration shown, one for the extra runs of its views).
// Request: {id, args: [...], config: string|null}. Reply: {id, rc, stderr, out, breakdown, timeline, ms}
// or {id, crashed: message} when the C side stopped on an internal check (the page then starts a new
// worker). args are `mpcsim infer`'s options; explorer_infer adds the output paths.
importScripts('mpcsim.js');
let stderr = '';
const ready = createMpcsim({ printErr: (s) => { stderr += s + '\n'; }, print: (s) => { stderr += s + '\n'; } })
  .then((M) => {
    postMessage({ catalog: JSON.parse(M.UTF8ToString(M._explorer_catalog())) });
    return M;
  })
  .catch((e) => { postMessage({ loadError: String(e) }); throw e; });

function readOut(M, name) {
  try { return M.FS.readFile('/explorer/' + name, { encoding: 'utf8' }); } catch (e) { return null; }
}

onmessage = async (ev) => {
  const req = ev.data;
  const M = await ready;
  stderr = '';
  try {
    const args = req.args.slice();
    if (req.config !== null && req.config !== undefined) {
      M.FS.writeFile('/explorer/config.json', req.config);
      args.push('--config', '/explorer/config.json');
    }
    const t0 = performance.now();
    const rc = M.ccall('explorer_infer', 'number', ['string'], [args.join('\n')]);
    const ms = performance.now() - t0;
    postMessage({ id: req.id, rc, stderr, ms, out: readOut(M, 'out.csv'),
                  breakdown: readOut(M, 'breakdown.csv'), timeline: readOut(M, 'timeline.csv') });
  } catch (e) {
    postMessage({ id: req.id, crashed: (stderr + '\n' + String(e)).trim() });
    close();
  }
};
