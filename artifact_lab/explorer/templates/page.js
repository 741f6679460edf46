// The offline page: builds each view from the embedded data (stored at padding 0) and
// draws it with the explorer's own views (ExplorerCore, shared with the widget).
(() => {
  const D = JSON.parse(document.getElementById("data").textContent);
  const V = D.vocabulary, core = ExplorerCore, fill = core.fill;
  const bytes = (s) => { const bin = atob(s), out = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i); return out; };
  const kernelSize = (S) => (D.fixed_k[S.family] ? D.fixed_k[S.family][S.stride] : S.kernel_size);
  const label = (name) => V.controls.find((c) => c.name === name).label;

  // what torch accepts for the other controls (the library's checks say the same)
  function limits(S) {
    const n = D.n[S.ndim], k = kernelSize(S), L0 = (n - 1) * S.stride + S.dilation * (k - 1) + 1;
    const opMax = Math.max(S.stride, S.dilation) - 1, op = Math.min(S.output_padding, opMax);
    const g = D.grid;
    return {
      kernel_size: { min: g.k[0], max: g.k[g.k.length - 1], disabled: Boolean(D.fixed_k[S.family]) },
      stride: { min: g.s[0], max: g.s[g.s.length - 1] },
      dilation: { min: g.d[0], max: g.d[g.d.length - 1] },
      seed: { disabled: !g.random.includes(S.family) },
      output_padding: { min: 0, max: opMax },
      padding: { min: 0, max: Math.floor((L0 + op - 1) / 2) },
      paint_step: { min: 0, max: n ** S.ndim },
    };
  }
  // keep every control inside its range, saying so where a value had to move
  function clamp(S) {
    const said = [];
    if (D.fixed_k[S.family]) S.kernel_size = kernelSize(S);
    if (!D.grid.random.includes(S.family)) S.seed = D.grid.seeds[0];
    for (const name of ["output_padding", "padding"]) {
      const top = limits(S)[name].max;
      if (S[name] > top) { said.push(fill(V.clamped, { label: label(name), old: S[name], new: top })); S[name] = top; }
    }
    if (S.paint_step !== null && S.paint_step >= limits(S).paint_step.max) S.paint_step = null;
    return said;
  }

  // the output at padding 0, for drawing: the taps convolved with the input (float64)
  const outputs = new Map();
  function outputAtZero(nd, n, k, s, d, taps, x, key) {
    if (outputs.has(key)) return outputs.get(key);
    const L0 = (n - 1) * s + d * (k - 1) + 1, y = new Float64Array(L0 ** nd);
    if (nd === 1) {
      for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) y[i * s + j * d] += x[i] * taps[j];
    } else {
      for (let i1 = 0; i1 < n; i1++) for (let i2 = 0; i2 < n; i2++) {
        const xv = x[i1 * n + i2];
        for (let j1 = 0; j1 < k; j1++) for (let j2 = 0; j2 < k; j2++)
          y[(i1 * s + j1 * d) * L0 + i2 * s + j2 * d] += xv * taps[j1 * k + j2];
      }
    }
    if (outputs.size > 64) outputs.clear();
    outputs.set(key, y);
    return y;
  }

  // the view, as artifact_lab.explorer.views.view_data gives it for the same controls
  function view(S) {
    const nd = S.ndim, n = D.n[nd], k = kernelSize(S), s = S.stride, d = S.dilation, p = S.padding, op = S.output_padding;
    const [ov0, first, last] = D.geo[nd][`${k},${s},${d}`];
    const L0 = ov0.length, L = L0 - 2 * p + op, size = L ** nd;
    const axis = Array.from({ length: L }, (_, o) => (o + p < L0 ? ov0[o + p] : 0));
    const lo = first === null ? 1 : Math.max(first - p, 0), hi = first === null ? 0 : Math.min(last - p, L - 1);
    const overlap = new Int32Array(size), interior = new Uint8Array(size);
    let top = 0, inside = 0;
    for (let i = 0; i < size; i++) {
      const r = nd === 1 ? 0 : Math.floor(i / L), c = i % L;
      overlap[i] = nd === 1 ? axis[c] : axis[r] * axis[c];
      interior[i] = (nd === 1 || (r >= lo && r <= hi)) && c >= lo && c <= hi ? 1 : 0;
      top = Math.max(top, overlap[i]); inside += interior[i];
    }
    const key = `${S.family},${k},${s},${d},${S.seed}`, entry = D.ker[nd][key], input = D.grid.inputs.indexOf(S.input_kind);
    const g0 = entry.g, gains = new Float64Array(s ** nd);
    for (let i = 0; i < gains.length; i++) {
      const r = nd === 1 ? 0 : Math.floor(i / s), c = i % s;
      gains[i] = nd === 1 ? g0[(c + p) % s] : g0[((r + p) % s) * s + ((c + p) % s)];  // the phases roll with p
    }
    const taps = D.taps[nd][`${S.family},${k},${s},${S.seed}`];
    const signal = S.input_kind === "constant" ? new Float64Array(n ** nd).fill(1) : Float64Array.from(D.signal[nd].noise);
    const y0 = outputAtZero(nd, n, k, s, d, taps, signal, `${nd},${key},${S.input_kind}`), output = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      const r = nd === 1 ? 0 : Math.floor(i / L) + p, c = (i % L) + p;
      output[i] = r < L0 && c < L0 ? y0[nd === 1 ? c : r * L0 + c] : 0;
    }
    let sLo = Infinity, sHi = -Infinity;
    for (const x of signal) { sLo = Math.min(sLo, x); sHi = Math.max(sHi, x); }
    // painting: input sample q adds its footprint i*s + j*d - p along each axis
    const pixels = n ** nd, step = S.paint_step === null ? pixels : S.paint_step;
    let painted = overlap, newest = null;
    if (step < pixels) {
      painted = new Int32Array(size);
      const foot = (i) => Array.from({ length: k }, (_, j) => i * s + j * d - p).filter((o) => o >= 0 && o < L);
      for (let q = 0; q < step; q++) {
        const fr = nd === 1 ? [0] : foot(Math.floor(q / n)), fc = foot(q % n);
        for (const r of fr) for (const c of fc) painted[nd === 1 ? c : r * L + c] += 1;
        if (q === step - 1) {
          newest = new Uint8Array(size);
          for (const r of fr) for (const c of fc) newest[nd === 1 ? c : r * L + c] = 1;
          if (!newest.some((x) => x)) newest = null;
        }
      }
    }
    // measured on the interior crop at padding 0 (stored)
    const [hf, db] = entry.m ? entry.m[input] : [null, null];
    // the notes, in the library's order and words (artifact_lab.explorer.state.NOTES)
    const N = V.notes, notes = [];
    if (db === "-inf") notes.push(["exact_zero", N.exact_zero]);
    else if (db === "inf") notes.push(["periodic", N.periodic]);
    if (D.fixed_k[S.family]) notes.push(["fixed_k", fill(N.fixed_k, { family: S.family, k })]);
    if (!inside) notes.push(["empty_interior", fill(N.empty_interior, { first: d * (k - 1) - p, last: (n - 1) * s - p })]);
    if (!entry.m) notes.push(["no_crop", N.no_crop]);
    if (inside && size > inside) notes.push(["border", fill(N.border, { border: size - inside, total: size })]);
    if (inside && p > d * (k - 1)) notes.push(["cut", fill(N.cut, { p, reach: d * (k - 1) })]);
    if (entry.holes) notes.push(["holes", N.holes]);
    if (gains.every((x) => x === 0)) notes.push(["zero_gain", N.zero_gain]);
    const terms = { n, k, s, p, op, d, stretch: (n - 1) * s, crop: -2 * p, reach: d * (k - 1), extra: op };
    terms.size = terms.stretch + terms.crop + terms.reach + terms.extra + 1;
    if (terms.size !== L) notes.push(["inconsistent", "Inconsistent output size: please report this page."]);
    return {
      nd, n, input: S.input_kind, signal, signal_lo: sLo, signal_hi: sHi, L, painted, overlap_max: top, interior,
      newest, step, pixels, s, gains, k, taps, family: S.family,
      output, output_lo: entry.lo[input], output_hi: entry.hi[input], spectrum: null, crop_shape: null,
      scores: { oc: entry.oc, layer_oc: [entry.oc], cb: entry.cb, ncb: entry.ncb, holes: entry.holes, hf, db },
      terms: [terms], notes, key: JSON.stringify([nd, n, k, s, d, p, op]), kernel_key: key, status: null,
    };
  }

  let S = { ndim: 2, family: "ones", seed: D.grid.seeds[0], input_kind: "constant", kernel_size: 3, stride: 2, dilation: 1, output_padding: 0, padding: 0, paint_step: null };
  const ui = core.mount(document.getElementById("app"), {
    vocabulary: V, mode: "page", spectrum: false,
    onInput: (values) => update(values),
  });
  function update(values) {
    S = { ...S, ...values };
    const said = clamp(S);
    ui.setControls(S, limits(S));
    ui.setClamped(said);
    ui.show(view(S));
    window.explorerView = ui.view;
  }
  update(S);
  window.explorerUI = ui;
  window.explorerUpdate = update;
  window.explorerReady = true;
})();
