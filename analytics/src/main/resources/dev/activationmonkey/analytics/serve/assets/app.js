// Activation Monkey dashboard: a run list, a run page and a comparison page over monkey serve's JSON endpoints.
// Hash routes: #/ (runs), #/run/ID, #/compare/ID1,ID2,... Polls /api/version and redraws in place when the
// collector commits new files (no reload). window.monkeyCharts holds the uPlot charts by name (the browser tests read it).
(function () {
  'use strict';
  const POLL_MS = Number(new URLSearchParams(location.search).get('poll')) || 2000;
  const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  const main = document.getElementById('main');
  const charts = window.monkeyCharts = {};
  let version = null;
  let rendering = false;

  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
  }
  function pct(v) { return v == null ? '–' : (100 * v).toFixed(1) + '%'; }
  function sci(v) { return v == null ? '–' : (Math.abs(v) >= 1e-2 && Math.abs(v) < 1e4 ? v.toPrecision(3) : v.toExponential(2)); }
  async function get(url) {
    const r = await fetch(url, {cache: 'no-store'});
    if (!r.ok) { throw new Error(r.status + ' ' + (await r.text()).trim()); }
    return r.json();
  }
  function route() {
    const h = location.hash.replace(/^#\/?/, '');
    if (h.startsWith('run/')) { return {page: 'run', run: decodeURIComponent(h.slice(4))}; }
    if (h.startsWith('compare/')) { return {page: 'compare', runs: h.slice(8).split(',').map(decodeURIComponent)}; }
    return {page: 'runs'};
  }

  // ---- charts ------------------------------------------------------------------------------------------
  /** Aligns [{label, xs, ys}] on the union of their x values: uPlot's [xs, ys1, ys2, ...]. */
  function align(lines, log) {
    const xs = Array.from(new Set(lines.flatMap(l => Array.from(l.xs)))).sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const data = [xs];
    for (const l of lines) {
      const ys = new Array(xs.length).fill(null);
      l.xs.forEach((x, i) => { const y = l.ys[i]; ys[at.get(x)] = (y == null || (log && y <= 0)) ? null : y; });
      data.push(ys);
    }
    return data;
  }
  /** Draws (or updates in place, keeping the zoom) the chart `name` in element `el`. */
  function chart(name, el, title, lines, log) {
    const data = align(lines, log);
    const labels = lines.map(l => l.label);
    const old = charts[name];
    if (old && old.root.isConnected && old.monkeyLabels.join('\n') === labels.join('\n')) {
      old.setData(data, false);
      return old;
    }
    if (old) { old.destroy(); }
    const opts = {
      title: title, width: 560, height: 260,
      scales: {x: {time: false}, y: log ? {distr: 3} : {}},
      series: [{label: 'iteration'}].concat(lines.map((l, i) => ({label: l.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true}))),
      axes: [{label: 'iteration'}, {size: 60}],
    };
    const u = new uPlot(opts, data, el);
    u.monkeyLabels = labels;
    el.classList.add('chart');
    charts[name] = u;
    return u;
  }

  // ---- run list ----------------------------------------------------------------------------------------
  async function renderRuns() {
    const d = await get('/api/runs');
    version = d.version;
    if (!d.runs.length) {
      main.innerHTML = '<p id="empty">No run in this dataset yet: waiting for the collector to commit files.</p>';
      return;
    }
    let h = '<h2>Runs</h2><table id="runs"><tr><th></th><th>run</th><th>status</th><th>started</th><th>network</th>'
      + '<th>workers</th><th>last iteration</th><th>latest loss</th><th>latest accuracy</th><th>alerts</th></tr>';
    for (const r of d.runs) {
      h += '<tr data-run="' + esc(r.runId) + '"><td><input type="checkbox" class="pick" value="' + esc(r.runId) + '"></td>'
        + '<td class="t"><a href="#/run/' + encodeURIComponent(r.runId) + '">' + esc(r.runId) + '</a></td>'
        + '<td class="t status-' + esc(r.status) + '">' + esc(r.status) + '</td>'
        + '<td class="t">' + (r.startMillis ? new Date(r.startMillis).toISOString().replace('T', ' ').slice(0, 19) : '–') + '</td>'
        + '<td class="t">' + esc(r.network.summary) + (r.network.parameters ? ' <span class="muted">(' + r.network.parameters + ' parameters, ' + esc(r.network.updater) + ')</span>' : '') + '</td>'
        + '<td>' + r.workers + '</td><td class="last-iteration">' + r.lastIteration + '</td><td>' + sci(r.loss) + '</td><td>' + pct(r.accuracy) + '</td>'
        + '<td class="' + (r.errors ? 'ERROR' : r.alerts ? 'WARN' : '') + '">' + r.alerts + '</td></tr>';
    }
    h += '</table><button id="compare">Compare selected runs on the same charts</button>';
    main.innerHTML = h;
    document.getElementById('compare').onclick = () => {
      const picked = Array.from(document.querySelectorAll('.pick:checked')).map(c => encodeURIComponent(c.value));
      if (picked.length >= 2) { location.hash = '#/compare/' + picked.join(','); }
    };
  }

  // ---- a run -------------------------------------------------------------------------------------------
  const METRICS = [
    {key: 'gradient', title: 'Gradient L2 norm per layer', log: true},
    {key: 'zero', title: 'Exact-zero activations per layer', log: false},
    {key: 'saturated', title: 'Saturated activations per layer', log: false},
    {key: 'updateRatio', title: 'log10(update / parameter) per layer', log: false},
  ];
  function layerLines(series, key) {
    return series.filter(s => s[key].some(v => v != null))
      .map(s => ({label: 'layer ' + s.layer + (s.name ? ' ' + s.name : ''), xs: s.iterations, ys: s[key]}));
  }
  async function renderRun(runId, redraw) {
    const d = await get('/api/run?run=' + encodeURIComponent(runId));
    version = d.version;
    if (!redraw || !document.getElementById('run-page') || main.dataset.run !== runId) {
      main.dataset.run = runId;
      main.innerHTML = '<div id="run-page"><h2>Run <span id="run-id"></span></h2><p id="run-summary"></p>'
        + '<h3>Layers</h3><div id="layers"></div><h3>Alerts</h3><div id="alerts"></div>'
        + '<h3>Charts</h3><div class="charts" id="charts"></div>'
        + '<h3>Heatmaps</h3><p><button id="heat-sparsity">Layer × iteration: sparsity</button>'
        + '<button id="heat-gradient">Layer × iteration: gradient norm</button> '
        + '<span class="muted">or click a layer row for its neuron × iteration firing rates</span></p><div id="heatmap-box"></div>'
        + '<h3>Per worker and distributions</h3><p>Layer <select id="worker-layer"></select> '
        + '<button id="per-worker-zero">zero fraction per worker</button><button id="per-worker-gradient">gradient L2 per worker</button>'
        + '<button id="ridgeline">activation histograms over time</button><button id="samples">raw activation samples</button></p><div class="charts" id="extra"></div>'
        + '<div id="neuron-section"></div></div>';
      document.getElementById('run-id').textContent = runId;
      document.getElementById('heat-sparsity').onclick = () => showHeatmap(runId, 'sparsity');
      document.getElementById('heat-gradient').onclick = () => showHeatmap(runId, 'gradient');
      document.getElementById('per-worker-zero').onclick = () => perWorker(runId, 'zero');
      document.getElementById('per-worker-gradient').onclick = () => perWorker(runId, 'gradient');
      document.getElementById('ridgeline').onclick = () => ridgeline(runId);
      document.getElementById('samples').onclick = () => {
        const url = '/api/sample.png?run=' + encodeURIComponent(runId) + '&layer=' + document.getElementById('worker-layer').value;
        let box = document.getElementById('sample-box');
        if (!box) { box = document.createElement('div'); box.id = 'sample-box'; document.getElementById('extra').appendChild(box); }
        const img = new Image();
        img.id = 'sample';
        img.onload = () => { box.innerHTML = ''; box.appendChild(img); };
        img.onerror = () => fetch(url).then(r => r.text()).then(t => { box.innerHTML = '<p class="ERROR">' + esc(t) + '</p>'; });
        img.src = url;
      };
      neuronSection(runId);
      Object.keys(charts).forEach(k => { charts[k].destroy(); delete charts[k]; });
    }
    document.getElementById('run-summary').innerHTML = 'Status <b class="status-' + esc(d.status) + '">' + esc(d.status)
      + '</b>; iterations ' + d.firstIteration + '–<span id="last-iteration">' + d.lastIteration + '</span>; '
      + d.workers + ' worker(s)' + (d.finalAccuracy != null ? '; latest accuracy ' + pct(d.finalAccuracy) : '') + '.';
    let t = '<table id="layer-table"><tr><th>layer</th><th>name</th><th>type</th><th>activation</th><th>sparsity</th>'
      + '<th>gradients</th><th>zero</th><th>near-0</th><th>dead (last)</th><th>lazy</th><th>saturated</th><th>grad L2</th>'
      + '<th>grad growth</th><th>log10 upd/param</th><th>NaN/Inf</th></tr>';
    for (const l of d.layers) {
      t += '<tr class="click" data-layer="' + l.index + '" title="neuron × iteration heatmap"><td>' + l.index + '</td><td class="t">'
        + esc(l.name) + '</td><td class="t">' + esc(l.type) + '</td><td class="t">' + esc(l.activation || '–') + '</td>'
        + '<td><span class="badge ' + l.sparsityBadge + '">' + l.sparsityBadge + '</span></td>'
        + '<td><span class="badge ' + l.gradientBadge + '">' + l.gradientBadge + '</span></td>'
        + '<td>' + pct(l.zero) + '</td><td>' + pct(l.nearZero) + '</td><td>' + (l.units ? l.deadLastWindow + '/' + l.units : '–')
        + '</td><td>' + (l.units ? l.lazy + '/' + l.units : '–') + '</td><td>' + pct(l.saturated) + '</td><td>' + sci(l.gradientL2)
        + '</td><td>' + sci(l.gradientGrowth) + '</td><td>' + sci(l.updateRatioLog10) + '</td><td>' + l.nonFinite + '</td></tr>';
    }
    document.getElementById('layers').innerHTML = t + '</table>';
    document.querySelectorAll('#layer-table tr[data-layer]').forEach(tr => {
      tr.onclick = () => showHeatmap(runId, 'firing', tr.dataset.layer);
    });
    const sel = document.getElementById('worker-layer');
    if (sel.options.length !== d.layers.length) {
      sel.innerHTML = d.layers.map(l => '<option value="' + l.index + '">' + l.index + ' ' + esc(l.name) + '</option>').join('');
    }
    let a = '';
    if (!d.diagnoses.length) { a = '<p id="no-alerts">No alerts.</p>'; } else {
      a = '<table id="alert-table"><tr><th>level</th><th>rule</th><th>layer</th><th>iterations</th><th>onset</th><th>finding</th><th>evidence</th><th>what to try</th></tr>';
      const row = (x, prefix, remedies) => '<tr class="' + x.level + '"><td class="t">' + x.level + '</td><td class="t">' + prefix + esc(x.rule)
        + '</td><td>' + (x.layer == null ? '' : x.layer) + '</td><td>' + x.from + '–' + x.to + '</td><td class="t">' + esc(x.onset || '')
        + '</td><td class="t">' + esc(x.message) + '</td><td class="t">' + Object.entries(x.evidence).map(([k, v]) => esc(k) + '=' + sci(v)).join(', ')
        + '</td><td class="t">' + (remedies ? x.remedies.map(esc).join('<br>') : '') + '</td></tr>';
      for (const g of d.diagnoses) {
        a += row(g, '', true);
        g.consequences.forEach(c => { a += row(c, '&#8627; consequence: ', false); });
      }
      a += '</table>';
    }
    document.getElementById('alerts').innerHTML = a;
    const box = document.getElementById('charts');
    const slot = name => {
      let el = document.getElementById('chart-' + name);
      if (!el) { el = document.createElement('div'); el.id = 'chart-' + name; box.appendChild(el); }
      return el;
    };
    if (d.evaluations.length) {
      const xs = d.evaluations.map(e => e.iteration);
      chart('evaluation', slot('evaluation'), 'Test loss and accuracy (per epoch)', [
        {label: 'loss', xs: xs, ys: d.evaluations.map(e => e.loss)},
        {label: 'accuracy', xs: xs, ys: d.evaluations.map(e => e.accuracy)}], false);
    }
    for (const m of METRICS) {
      const lines = layerLines(d.series, m.key);
      if (lines.length) { chart(m.key, slot(m.key), m.title, lines, m.log); }
    }
  }
  function showHeatmap(runId, metric, layer) {
    const box = document.getElementById('heatmap-box');
    const url = '/api/heatmap.png?run=' + encodeURIComponent(runId) + '&metric=' + metric + (layer != null ? '&layer=' + layer : '');
    box.innerHTML = '<p class="muted">' + (metric === 'firing' ? 'Firing rate per neuron, layer ' + esc(layer) : metric) + '</p>';
    const img = new Image();
    img.id = 'heatmap';
    img.alt = metric + ' heatmap';
    img.onerror = () => fetch(url).then(r => r.text()).then(t => { box.innerHTML = '<p class="ERROR" id="heatmap-error">' + esc(t) + '</p>'; });
    img.src = url;
    box.appendChild(img);
  }
  async function perWorker(runId, metric) {
    const layer = document.getElementById('worker-layer').value;
    const d = await get('/api/workers?run=' + encodeURIComponent(runId) + '&layer=' + layer + '&metric=' + metric);
    let el = document.getElementById('chart-workers');
    if (!el) { el = document.createElement('div'); el.id = 'chart-workers'; document.getElementById('extra').appendChild(el); }
    chart('workers', el, (metric === 'zero' ? 'Exact-zero activations' : 'Gradient L2') + ' per worker, layer ' + layer,
      d.workers.map(w => ({label: 'worker ' + w.worker, xs: w.iterations, ys: w.values})), metric === 'gradient');
  }
  /** Activation maximization of the run's checkpoints, where the server was given them. */
  async function neuronSection(runId) {
    const d = await get('/api/checkpoints?run=' + encodeURIComponent(runId));
    const box = document.getElementById('neuron-section');
    if (!box || !d.epochs.length) { return; }
    box.innerHTML = '<h3>What a neuron responds to</h3><p>Checkpoint of epoch <select id="max-epoch">'
      + d.epochs.map(e => '<option>' + e + '</option>').join('') + '</select>, layer of the selector above, neuron '
      + '<input id="max-neuron" type="number" min="0" value="0" style="width:5em"> <button id="max-one">maximize, beside the '
      + 'examples that excite it most</button><button id="max-grid">grid of the layer\'s neurons</button></p><div id="max-box"></div>';
    const show = grid => {
      const url = '/api/maximize.png?run=' + encodeURIComponent(runId) + '&epoch=' + document.getElementById('max-epoch').value
        + '&layer=' + document.getElementById('worker-layer').value + (grid ? '' : '&neuron=' + document.getElementById('max-neuron').value);
      const out = document.getElementById('max-box');
      out.innerHTML = '<p class="muted">maximizing… (seconds)</p>';
      const img = new Image();
      img.id = 'maximized';
      img.onload = () => { out.innerHTML = ''; out.appendChild(img); };
      img.onerror = () => fetch(url).then(r => r.text()).then(t => { out.innerHTML = '<p class="ERROR">' + esc(t) + '</p>'; });
      img.src = url;
    };
    document.getElementById('max-one').onclick = () => show(false);
    document.getElementById('max-grid').onclick = () => show(true);
  }

  /** Histograms over time, one ridge per logged iteration (oldest at the back), as TensorBoard's distributions view. */
  async function ridgeline(runId) {
    const layer = document.getElementById('worker-layer').value;
    const d = await get('/api/histograms?run=' + encodeURIComponent(runId) + '&layer=' + layer + '&max=30');
    let c = document.getElementById('ridgeline-canvas');
    if (!c) { c = document.createElement('canvas'); c.id = 'ridgeline-canvas'; c.width = 560; c.height = 360; c.className = 'chart'; document.getElementById('extra').appendChild(c); }
    const g = c.getContext('2d');
    g.clearRect(0, 0, c.width, c.height);
    const hs = d.histograms;
    c.dataset.ridges = hs.length;
    if (!hs.length) { g.fillText('No histograms logged for layer ' + layer, 20, 20); return; }
    let lo = Infinity, hi = -Infinity;
    hs.forEach(h => { lo = Math.min(lo, h.edges[0]); hi = Math.max(hi, h.edges[h.edges.length - 1]); });
    if (hi <= lo) { hi = lo + 1; }
    const left = 60, right = c.width - 10, top = 30, bottom = c.height - 30, step = (bottom - top - 40) / Math.max(1, hs.length - 1);
    g.font = '11px sans-serif';
    g.fillText('Activation histograms, layer ' + layer + ' (' + hs.length + ' logged iterations)', left, 14);
    hs.forEach((h, i) => {
      const base = top + 40 + i * step;
      const max = Math.max(...h.counts, 1);
      g.beginPath();
      g.moveTo(left + (h.edges[0] - lo) / (hi - lo) * (right - left), base);
      h.counts.forEach((n, b) => {
        const x = left + ((h.edges[b] + h.edges[b + 1]) / 2 - lo) / (hi - lo) * (right - left);
        g.lineTo(x, base - n / max * 40);
      });
      g.lineTo(left + (h.edges[h.edges.length - 1] - lo) / (hi - lo) * (right - left), base);
      g.fillStyle = 'hsla(' + (220 - 180 * i / hs.length) + ',70%,55%,0.6)';
      g.fill();
      g.strokeStyle = '#fff';
      g.stroke();
      if (i % Math.ceil(hs.length / 8) === 0 || i === hs.length - 1) { g.fillStyle = '#333'; g.fillText(String(h.iteration), 4, base); }
    });
    g.fillStyle = '#333';
    g.fillText(sci(lo), left, c.height - 10);
    g.fillText(sci(hi), right - 50, c.height - 10);
  }

  // ---- comparison --------------------------------------------------------------------------------------
  async function renderCompare(runs) {
    const ds = await Promise.all(runs.map(r => get('/api/run?run=' + encodeURIComponent(r))));
    version = ds[0].version;
    const layers = Math.max(...ds.map(d => d.layers.length));
    let layer = Number(main.dataset.compareLayer || 0);
    if (!document.getElementById('compare-page') || main.dataset.compare !== runs.join(',')) {
      main.dataset.compare = runs.join(',');
      main.dataset.run = '';
      Object.keys(charts).forEach(k => { charts[k].destroy(); delete charts[k]; });
      main.innerHTML = '<div id="compare-page"><h2>Runs compared: ' + runs.map(esc).join(', ') + '</h2><p>Layer <select id="compare-layer">'
        + Array.from({length: layers}, (_, i) => '<option>' + i + '</option>').join('') + '</select></p><div class="charts" id="compare-charts"></div></div>';
      const sel = document.getElementById('compare-layer');
      sel.value = String(layer);
      sel.onchange = () => { main.dataset.compareLayer = sel.value; Object.keys(charts).forEach(k => { charts[k].destroy(); delete charts[k]; }); document.getElementById('compare-charts').innerHTML = ''; renderCompare(runs); };
    }
    const box = document.getElementById('compare-charts');
    const slot = name => {
      let el = document.getElementById('chart-' + name);
      if (!el) { el = document.createElement('div'); el.id = 'chart-' + name; box.appendChild(el); }
      return el;
    };
    chart('compare-accuracy', slot('compare-accuracy'), 'Test accuracy per run',
      ds.map(d => ({label: d.runId, xs: d.evaluations.map(e => e.iteration), ys: d.evaluations.map(e => e.accuracy)})), false);
    for (const m of METRICS) {
      const lines = ds.map(d => {
        const s = d.series.find(x => x.layer === layer);
        return s ? {label: d.runId, xs: s.iterations, ys: s[m.key]} : {label: d.runId, xs: [], ys: []};
      });
      if (lines.some(l => l.ys.some(v => v != null))) { chart('compare-' + m.key, slot('compare-' + m.key), m.title.replace('per layer', 'layer ' + layer), lines, m.log); }
    }
  }

  async function render(redraw) {
    if (rendering) { return; }
    rendering = true;
    try {
      const r = route();
      if (r.page === 'run') { await renderRun(r.run, redraw); } else if (r.page === 'compare') { await renderCompare(r.runs); } else { main.dataset.run = ''; await renderRuns(); }
      if (!window.monkeyFirstRender) { window.monkeyFirstRender = performance.now(); }
      window.monkeyRenders = (window.monkeyRenders || 0) + 1;
    } catch (e) {
      main.innerHTML = '<p class="ERROR" id="error">' + esc(e.message) + '</p>';
    } finally {
      rendering = false;
    }
  }
  async function poll() {
    try {
      const v = (await get('/api/version')).version;
      document.getElementById('live').className = '';
      if (version !== null && v !== version) { await render(true); }
    } catch (e) {
      document.getElementById('live').className = 'stale';
    }
    setTimeout(poll, POLL_MS);
  }
  window.addEventListener('hashchange', () => render(false));
  render(false).then(() => setTimeout(poll, POLL_MS));
})();
