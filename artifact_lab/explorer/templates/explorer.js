// The explorer's views, shared by the offline page and the JupyterLab widget.
// Plain script, no imports, no network: it builds the controls and draws a "view" (the data
// of artifact_lab.explorer.views.view_data) on canvases and tables. Every number it writes
// is recorded in ui.drawn (canvas text) or carries data-q (DOM text), for the tests.
"use strict";
const ExplorerCore = (() => {
  // ---- numbers, rounded once, exactly as Python's format(x, ".{f}f") -----------------------
  function fixed(x, f) {
    let s = x.toFixed(f);
    // toFixed rounds an exact tie away from zero, Python to even: find ties in the exact
    // expansion (100 digits hold every double a tie at f <= 6 decimals can be)
    const full = Math.abs(x).toFixed(100), dot = full.indexOf(".");
    if (/^50*$/.test(full.slice(dot + 1 + f))) {
      const kept = f ? full.slice(0, dot + 1 + f) : full.slice(0, dot);
      if (+kept.slice(-1) % 2 === 0) s = (x < 0 ? "-" : "") + kept;
    }
    return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;  // never "-0.0000"
  }
  // one vocabulary: how each kind of number is written (views.FORMATS says the same)
  function fmt(kind, x, V) {
    if (x === null || x === undefined) return "n/a";
    if (kind === "count" || kind === "int") return String(x);
    if (kind === "db") return x === "inf" ? "∞" : x === "-inf" ? "none" : fixed(x, V.decimals.db);
    if (kind === "hf") return x === 0 ? "0 (exact)" : fixed(x, V.decimals.score);
    if (kind === "bool") return x ? "yes" : "no";
    return fixed(x, V.decimals[kind]);
  }
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));

  // ---- colours ----------------------------------------------------------------------------
  const MAPS = {
    viridis: ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b", "#fde725"],
    rdbu: ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"],
    magma: ["#000004", "#1c1044", "#4f127b", "#812581", "#b5367a", "#e55064", "#fb8761", "#fec287", "#fcfdbf"],
  };
  const hex = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  const TABLES = {};
  function lut(name) {  // 256 colours per map, computed once
    if (TABLES[name]) return TABLES[name];
    const stops = MAPS[name].map(hex), out = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) {
      const t = (i / 255) * (stops.length - 1), j = Math.min(Math.floor(t), stops.length - 2), f = t - j;
      for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(stops[j][c] + f * (stops[j + 1][c] - stops[j][c]));
    }
    return (TABLES[name] = out);
  }
  // a colour scale: the map and its range; diverging around 0 for signed data
  function scale(lo, hi, sequential = "viridis") {
    if (lo < 0) { const m = Math.max(-lo, hi) || 1; return { map: "rdbu", lo: -m, hi: m, signed: true }; }
    return { map: sequential, lo: 0, hi: hi > 0 ? hi : 1, signed: false };
  }
  function colour(sc, x) {
    const t = Math.min(1, Math.max(0, (x - sc.lo) / (sc.hi - sc.lo))), i = Math.round(t * 255) * 3, L = lut(sc.map);
    return [L[i], L[i + 1], L[i + 2]];
  }
  const rgb = (c) => `rgb(${c[0]},${c[1]},${c[2]})`;
  const paler = (x) => Math.round(x * 0.45 + 255 * 0.55);  // the border: the same colour, paler
  function packed(sc, pale) {  // 256 colours as little-endian RGBA words, for ImageData
    const L = lut(sc.map), out = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let [r, g, b] = [L[3 * i], L[3 * i + 1], L[3 * i + 2]];
      if (pale) [r, g, b] = [paler(r), paler(g), paler(b)];
      out[i] = ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
    }
    return out;
  }
  const light = (c) => 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 140;

  // ---- DOM helpers ------------------------------------------------------------------------
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") e.textContent = v; else e.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids) if (kid !== null && kid !== undefined) e.append(kid);
    return e;
  }
  let UID = 0;

  // ---- canvas plots: axes, ticks, colour bars; every text recorded -------------------------
  const FONT = 11;  // px: 8.25 pt, the smallest text drawn
  function surface(canvas, w, hgt) {
    const r = window.devicePixelRatio || 1;
    canvas.width = Math.round(w * r); canvas.height = Math.round(hgt * r);
    canvas.style.width = w + "px"; canvas.style.height = hgt + "px";
    const ctx = canvas.getContext("2d");
    ctx.setTransform(r, 0, 0, r, 0, 0);
    ctx.clearRect(0, 0, w, hgt);
    ctx.font = `${FONT}px "DejaVu Sans", Helvetica, Arial, sans-serif`;
    return ctx;
  }
  function text(ui, id, ctx, str, x, y, opts = {}) {
    ctx.save();
    ctx.fillStyle = opts.color || "#222";
    ctx.textAlign = opts.align || "left";
    ctx.textBaseline = opts.baseline || "alphabetic";
    if (opts.rotate) { ctx.translate(x, y); ctx.rotate(opts.rotate); ctx.fillText(str, 0, 0); }
    else ctx.fillText(str, x, y);
    ctx.restore();
    if (opts.q) ui.drawn[id].push({ q: opts.q, i: opts.i ?? null, text: str });
  }
  const fits = (ctx, str, room) => ctx.measureText(str).width + 4 <= room;

  // a heat map of rows x cols values at `cell` px, with ticks, titles and a colour bar
  function heatmap(ui, id, canvas, p) {
    const { rows, cols } = p, cell = p.cell, left = 40, top = 8, barW = 12;
    const W = cols * cell, H = rows * cell, width = left + W + 16 + barW + 58, height = top + H + 36;
    const ctx = surface(canvas, width, height);
    ui.drawn[id] = [];
    // the cells, one pixel per value (through a packed colour table), scaled without smoothing
    const img = new ImageData(cols, rows), px = new Uint32Array(img.data.buffer), vals = p.values, sc = p.scale;
    const A = packed(sc, false), B = p.pale ? packed(sc, true) : A, lo = sc.lo, f = 255 / (sc.hi - sc.lo);
    for (let i = 0; i < rows * cols; i++) {
      let t = Math.round((vals[i] - lo) * f);
      t = t < 0 ? 0 : t > 255 ? 255 : t;
      px[i] = p.pale && !p.pale[i] ? B[t] : A[t];
    }
    const colourAt = (i) => { const c = colour(sc, vals[i]); return p.pale && !p.pale[i] ? c.map(paler) : c; };
    const off = document.createElement("canvas");
    off.width = cols; off.height = rows;
    off.getContext("2d").putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, left, top, W, H);
    ctx.strokeStyle = "#555"; ctx.lineWidth = 1; ctx.strokeRect(left - 0.5, top - 0.5, W + 1, H + 1);
    if (p.outline) {  // the interior, framed
      const [r0, r1, c0, c1] = p.outline;
      ctx.strokeStyle = "#e6b800"; ctx.lineWidth = 2;
      ctx.strokeRect(left + c0 * cell + 1, top + r0 * cell + 1, (c1 - c0 + 1) * cell - 2, (r1 - r0 + 1) * cell - 2);
    }
    if (p.marks) { ctx.strokeStyle = "#e00"; ctx.lineWidth = 2; for (const [r, c] of p.marks) ctx.strokeRect(left + c * cell + 1.5, top + r * cell + 1.5, cell - 3, cell - 3); }
    if (p.circles) { ctx.strokeStyle = "#0ff"; ctx.lineWidth = 1.5; for (const [r, c] of p.circles) { ctx.beginPath(); ctx.arc(left + (c + 0.5) * cell, top + (r + 0.5) * cell, Math.max(cell * 0.7, 4), 0, 2 * Math.PI); ctx.stroke(); } }
    // labels in the cells, only where they fit
    if (p.label && cell >= FONT + 4) {
      const all = [];
      let widest = "";
      for (let i = 0; i < rows * cols; i++) { all.push(p.label(i)); if (all[i].length > widest.length) widest = all[i]; }
      if (fits(ctx, widest.replace(/\d/g, "0"), cell)) {
        for (let i = 0; i < rows * cols; i++) {
          const r = Math.floor(i / cols), c = i % cols;
          text(ui, id, ctx, all[i], left + (c + 0.5) * cell, top + (r + 0.5) * cell, { align: "center", baseline: "middle", color: light(colourAt(i)) ? "#000" : "#fff", q: p.labelQ, i });
        }
        ui.drawn[id].labelled = true;
      }
    }
    // axes: first and last index (or the given ticks), and the axis titles
    for (const [v, at] of p.xticks) text(ui, id, ctx, v, left + at * cell, top + H + 13, { align: "center", q: p.tickQ });
    for (const [v, at] of p.yticks) text(ui, id, ctx, v, left - 4, top + at * cell + 4, { align: "right", q: p.tickQ });
    text(ui, id, ctx, p.xlabel, left + W / 2, top + H + 29, { align: "center" });
    text(ui, id, ctx, p.ylabel, 11, top + H / 2, { align: "center", rotate: -Math.PI / 2 });
    colourbar(ui, id, ctx, p.bar, left + W + 16, top, barW, Math.max(H, 60));
  }
  function colourbar(ui, id, ctx, bar, x, y, w, hgt) {
    const L = lut(bar.scale.map);
    for (let i = 0; i < hgt; i++) {
      const j = Math.round((1 - i / (hgt - 1)) * 255) * 3;
      ctx.fillStyle = `rgb(${L[j]},${L[j + 1]},${L[j + 2]})`;
      ctx.fillRect(x, y + i, w, 1);
    }
    ctx.strokeStyle = "#555"; ctx.lineWidth = 1; ctx.strokeRect(x - 0.5, y - 0.5, w + 1, hgt + 1);
    const sc = bar.scale;
    for (const [label, value] of bar.ticks) {
      const at = y + (1 - (value - sc.lo) / (sc.hi - sc.lo)) * (hgt - 1);
      ctx.fillStyle = "#555"; ctx.fillRect(x + w, at, 3, 1);
      text(ui, id, ctx, label, x + w + 5, at + 4, { q: bar.q });
    }
    text(ui, id, ctx, bar.label, x + w + 48, y + hgt / 2, { align: "center", rotate: -Math.PI / 2 });
  }
  // a 1-D plot: bars or a line with markers, y axis from lo to hi (0 included)
  function plot1d(ui, id, canvas, p) {
    const n = p.values.length, left = 58, top = 10, H = 150;
    const step = Math.max(1, Math.min(30, Math.floor(p.room / n))), W = step * n;
    const ctx = surface(canvas, left + W + 12, top + H + 36);
    ui.drawn[id] = [];
    const lo = Math.min(0, p.lo), hi = Math.max(0, p.hi) > lo ? Math.max(0, p.hi) : lo + 1;
    const y = (v) => top + H - ((v - lo) / (hi - lo)) * H, x = (i) => left + (i + 0.5) * step;
    if (p.band) { ctx.fillStyle = "#fff3c4"; ctx.fillRect(left + p.band[0] * step, top, (p.band[1] - p.band[0] + 1) * step, H); }
    ctx.strokeStyle = "#999"; ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(left, y(0)); ctx.lineTo(left + W, y(0)); ctx.stroke();
    if (p.bars) {
      for (let i = 0; i < n; i++) {
        ctx.fillStyle = p.barColour(i);
        const a = y(Math.max(0, p.values[i])), b = y(Math.min(0, p.values[i]));
        ctx.fillRect(left + i * step + (step > 4 ? 1 : 0), a, Math.max(1, step - (step > 4 ? 2 : 0)), Math.max(b - a, 0.5));
      }
    } else {
      ctx.strokeStyle = p.colour || "#1f4e99"; ctx.lineWidth = 1.5; ctx.beginPath();
      for (let i = 0; i < n; i++) (i ? ctx.lineTo(x(i), y(p.values[i])) : ctx.moveTo(x(i), y(p.values[i])));
      ctx.stroke();
      ctx.fillStyle = p.colour || "#1f4e99";
      for (let i = 0; i < n; i++) ctx.fillRect(x(i) - 1.5, y(p.values[i]) - 1.5, 3, 3);
    }
    if (p.marks) { ctx.strokeStyle = "#e00"; ctx.lineWidth = 2; for (const i of p.marks) ctx.strokeRect(left + i * step + 0.5, top + 0.5, step - 1, H - 1); }
    if (p.label && step >= 8) {
      const labels = Array.from({ length: n }, (_, i) => p.label(i));
      const widest = labels.reduce((a, b) => (b.length > a.length ? b : a), "");
      if (fits(ctx, widest.replace(/\d/g, "0"), step)) {
        for (let i = 0; i < n; i++) text(ui, id, ctx, labels[i], x(i), Math.min(y(p.values[i]), y(0)) - 3, { align: "center", q: p.labelQ, i });
        ui.drawn[id].labelled = true;
      }
    }
    ctx.strokeStyle = "#555"; ctx.strokeRect(left - 0.5, top - 0.5, W + 1, H + 1);
    for (const [label, value] of p.yticks) {
      ctx.fillStyle = "#555"; ctx.fillRect(left - 4, y(value), 4, 1);
      text(ui, id, ctx, label, left - 6, y(value) + 4, { align: "right", q: p.tickQ });
    }
    for (const [label, at] of p.xticks) text(ui, id, ctx, label, x(at), top + H + 13, { align: "center", q: p.xtickQ || "index" });
    text(ui, id, ctx, p.xlabel, left + W / 2, top + H + 29, { align: "center" });
    text(ui, id, ctx, p.ylabel, 11, top + H / 2, { align: "center", rotate: -Math.PI / 2 });
  }
  const cellSize = (n, room = 360) => Math.max(1, Math.min(28, Math.floor(room / n)));
  // the room a panel leaves for a heat map: its width less the axes and the colour bar, so
  // that a narrow window gets a smaller map, not smaller text
  const room = (sec, most) => Math.max(60, Math.min(most, (sec.clientWidth || 2 * most) - 150));
  const ends = (n) => (n > 1 ? [[String(0), 0.5], [String(n - 1), n - 0.5]] : [[String(0), 0.5]]);
  const ends1 = (n) => (n > 1 ? [["0", 0], [String(n - 1), n - 1]] : [["0", 0]]);
  function bounds(mask, L, nd) {  // [r0, r1, c0, c1] of the true cells, or null
    let r0 = Infinity, r1 = -1, c0 = Infinity, c1 = -1;
    for (let i = 0; i < mask.length; i++) if (mask[i]) {
      const r = nd === 1 ? 0 : Math.floor(i / L), c = i % L;
      r0 = Math.min(r0, r); r1 = Math.max(r1, r); c0 = Math.min(c0, c); c1 = Math.max(c1, c);
    }
    return r1 < 0 ? null : [r0, r1, c0, c1];
  }
  function valueTicks(sc, V) {  // the scale's ends and 0, written once
    const vals = sc.signed ? [sc.lo, 0, sc.hi] : [0, sc.hi];
    return [...new Set(vals)].map((v) => [fmt("value", v, V), v]);
  }

  // ---- the app ------------------------------------------------------------------------------
  function mount(root, cfg) {
    const V = cfg.vocabulary, uid = `ex${++UID}`, ui = { drawn: {}, keys: {}, timings: [], root, vocabulary: V };
    const id = (name) => `${uid}-${name}`;
    root.classList.add("ex-root", cfg.mode === "page" ? "ex-page" : "ex-widget");
    root.innerHTML = "";
    // controls: each with its own label
    const form = h("form", { class: "ex-controls", "aria-label": "controls" });
    form.addEventListener("submit", (ev) => ev.preventDefault());
    const inputs = {};
    for (const c of V.controls) {
      if (c.only && c.only !== cfg.mode) continue;
      let field;
      if (c.kind === "radio") {
        field = h("fieldset", { class: "ex-field ex-radio", "data-c": c.name }, h("legend", { text: c.label }));
        for (const [label, value] of c.options) {
          const r = h("input", { type: "radio", name: id(c.name), id: id(`${c.name}-${value}`), value: String(value), "data-c": c.name });
          field.append(h("span", { class: "ex-choice" }, r, h("label", { for: r.id, text: label })));
        }
      } else if (c.kind === "select") {
        const sel = h("select", { id: id(c.name), "data-c": c.name });
        inputs[c.name] = sel;
        field = h("div", { class: "ex-field" }, h("label", { for: sel.id, class: "ex-name", "data-label": c.name, text: c.label }), sel);
      } else {
        const r = h("input", { type: "range", id: id(c.name), min: 0, max: 1, step: 1, "data-c": c.name });
        inputs[c.name] = r;
        field = h("div", { class: "ex-field" }, h("label", { for: r.id, class: "ex-name", "data-label": c.name, text: c.label }), r,
          h("output", { for: r.id, id: id(`${c.name}-v`), class: "ex-readout", "data-q": `control.${c.name}` }));
        if (c.name === "paint_step") {
          const play = h("button", { type: "button", id: id("play"), class: "ex-play", text: "play" });
          field.append(play);
          ui.play = play;
        }
      }
      form.append(field);
    }
    if (cfg.mode === "widget") {
      const add = h("button", { type: "button", "data-c": "add_layer", text: "add layer" });
      const clear = h("button", { type: "button", "data-c": "clear_stack", text: "clear stack" });
      add.addEventListener("click", () => cfg.onCommand("add_layer"));
      clear.addEventListener("click", () => cfg.onCommand("clear_stack"));
      form.append(h("div", { class: "ex-field ex-buttons" }, add, clear));
    }
    const clampNote = h("p", { class: "ex-clamp", role: "status", "aria-live": "polite" });
    form.append(clampNote);
    root.append(form);
    ui.form = form; ui.inputs = inputs; ui.clampNote = clampNote;

    // views
    const panel = (name, title, what) => {
      const sec = h("section", { class: `ex-panel ex-panel-${name}`, "aria-labelledby": id(`${name}-h`) },
        h("h2", { id: id(`${name}-h`), text: title }), what ? h("p", { class: "ex-what", text: what }) : null);
      return sec;
    };
    const P = V.panels, views = h("div", { class: "ex-views" });
    const status = h("p", { class: "ex-status", role: "status" });
    const mk = (name, withTable) => {
      const sec = panel(name, P[name].title, P[name].what);
      const canvas = h("canvas", { id: id(`${name}-canvas`), role: "img", "aria-label": P[name].title });
      sec.append(canvas, h("p", { class: "ex-caption", id: id(`${name}-cap`) }));
      let details = null;
      if (withTable) {
        details = h("details", { class: "ex-alt" }, h("summary", { text: P[name].table }), h("div", { class: "ex-table" }));
        details.addEventListener("toggle", () => { ui.keys[name + "-table"] = null; if (ui.view) drawTables(ui.view); });
        sec.append(details);
      }
      views.append(sec);
      return { sec, canvas, caption: sec.querySelector(".ex-caption"), details };
    };
    ui.p = {};
    ui.p.input = mk("input", false);
    ui.p.taps = mk("taps", true);
    ui.p.overlap = mk("overlap", true);
    const gains = panel("gains", P.gains.title, P.gains.what);
    gains.append(h("table", { class: "ex-gains", id: id("gains") }));
    views.append(gains);
    ui.p.gains = { sec: gains, table: gains.querySelector("table") };
    ui.p.output = mk("output", false);
    ui.p.spectrum = mk("spectrum", false);
    const scores = panel("scores", P.scores.title, null);
    scores.append(h("table", { class: "ex-scores", id: id("scores") }), h("p", { class: "ex-what ex-measure" }), h("ul", { class: "ex-notes", "aria-live": "polite" }));
    views.append(scores);
    ui.p.scores = { sec: scores, table: scores.querySelector("table"), measure: scores.querySelector(".ex-measure"), notes: scores.querySelector(".ex-notes") };
    const formula = panel("formula", P.formula.title, P.formula.what);
    formula.append(h("div", { class: "ex-formula" }));
    views.append(formula);
    ui.p.formula = { sec: formula, box: formula.querySelector(".ex-formula") };
    const error = h("p", { class: "ex-error", role: "alert" });
    root.append(status, error, views);
    ui.status = status; ui.error = error; ui.views = views;

    // events: one render per change ("input" only: "change" repeats it)
    form.addEventListener("input", (ev) => {
      const name = ev.target.dataset.c;
      if (!name) return;
      const values = ui.values();
      if (name !== "paint_step" && "paint_step" in values) values.paint_step = null;  // a new configuration paints all
      for (const [n, e] of Object.entries(inputs)) if (e.type === "range") readout(n, e, values[n]);
      ui.lastEvent = ev.timeStamp;
      cfg.onInput(values, name);
    });
    if (ui.play) ui.play.addEventListener("click", () => togglePlay());
    let timer = null;
    function togglePlay() {
      if (timer) { clearInterval(timer); timer = null; ui.play.textContent = "play"; return; }
      const r = inputs.paint_step; r.value = 0;
      ui.play.textContent = "stop";
      cfg.onInput({ ...ui.values(), paint_step: 0 }, "paint_step");
      timer = setInterval(() => {
        if (+r.value >= +r.max) { clearInterval(timer); timer = null; ui.play.textContent = "play"; return; }
        cfg.onInput({ ...ui.values(), paint_step: +r.value + 1 }, "paint_step");
      }, 350);
    }

    ui.values = () => {
      const out = {};
      for (const c of V.controls) {
        if (c.only && c.only !== cfg.mode) continue;
        if (c.kind === "radio") {
          const on = form.querySelector(`input[name="${id(c.name)}"]:checked`);
          out[c.name] = on ? +on.value : null;
        } else if (c.kind === "select") out[c.name] = c.numeric ? +inputs[c.name].value : inputs[c.name].value;
        else out[c.name] = +inputs[c.name].value;
      }
      if ("paint_step" in out && out.paint_step === +inputs.paint_step.max) out.paint_step = null;
      return out;
    };
    // set every control's range and value (limits: {name: {min, max, disabled, label, options}})
    ui.setControls = (values, limits) => {
      for (const c of V.controls) {
        if (c.only && c.only !== cfg.mode) continue;
        const lim = limits[c.name] || {}, v = values[c.name];
        if (c.kind === "radio") {
          for (const r of form.querySelectorAll(`input[name="${id(c.name)}"]`)) r.checked = +r.value === v;
          continue;
        }
        const e = inputs[c.name];
        if (c.kind === "select") {
          const opts = lim.options || c.options;
          if (e.dataset.opts !== JSON.stringify(opts)) {
            e.innerHTML = "";
            for (const o of opts) e.append(h("option", { value: String(o), text: String(o) }));
            e.dataset.opts = JSON.stringify(opts);
          }
          e.value = String(v);
        } else {
          e.min = lim.min ?? c.min; e.max = lim.max ?? c.max;
          e.value = v === null ? e.max : v;
          readout(c.name, e, v);
        }
        e.disabled = Boolean(lim.disabled);
        const name = root.querySelector(`label[for="${e.id}"]`), want = lim.label || c.label;
        if (name.textContent !== want) name.textContent = want;
      }
    };
    function readout(name, e, v) {  // the number beside a slider, and its spoken value
      if (name === "paint_step" && (v === null || +e.value === +e.max)) e.value = e.max;
      const out = root.querySelector(`#${id(name)}-v`);
      out.textContent = name === "paint_step" && +e.value === +e.max ? `all ${e.max}` : e.value;
      e.setAttribute("aria-valuetext", out.textContent);
    }
    ui.setClamped = (lines) => { clampNote.textContent = lines.join(" "); clampNote.hidden = !lines.length; };
    ui.setError = (msg) => { error.textContent = msg || ""; error.hidden = !msg; views.classList.toggle("ex-stale", Boolean(msg)); };
    ui.setStatus = (msg) => { status.textContent = msg || ""; status.hidden = !msg; };
    ui.setClamped([]); ui.setError(null); ui.setStatus(null);

    // ---- drawing: each panel redrawn only when what it shows changed -------------------------
    const changed = (name, key) => { if (ui.keys[name] === key) return false; ui.keys[name] = key; return true; };
    function drawInput(v) {
      const p = ui.p.input, sc = scale(v.signal_lo, v.signal_hi);
      const n = v.n, vals = v.signal;
      if (v.nd === 2) {
        heatmap(ui, "input", p.canvas, { rows: n, cols: n, cell: cellSize(n, room(p.sec, 160)), values: vals, scale: sc,
          xticks: ends(n), yticks: ends(n), tickQ: "index", xlabel: "input column", ylabel: "input row",
          bar: { scale: sc, ticks: valueTicks(sc, V), q: "input.scale", label: "value" } });
      } else {
        plot1d(ui, "input", p.canvas, { room: room(p.sec, 520) + 80, values: vals, lo: v.signal_lo, hi: v.signal_hi, bars: true, barColour: () => "#777",
          yticks: valueTicks(scale(v.signal_lo, v.signal_hi), V), tickQ: "input.scale", xticks: ends1(n), xlabel: "input position", ylabel: "value" });
      }
      const shape = v.nd === 2 ? `${n}×${n}` : `${n}`;
      const cap = fill(V.captions.input[v.input], { shape, lo: fmt("value", v.signal_lo, V), hi: fmt("value", v.signal_hi, V) });
      p.caption.textContent = cap;
      p.canvas.setAttribute("aria-label", cap);
    }
    function drawOverlap(v) {
      const p = ui.p.overlap, L = v.L, vals = v.painted, top = Math.max(1, v.overlap_max);
      const sc = { map: "viridis", lo: 0, hi: top, signed: false };
      const marks = [];
      if (v.newest) for (let i = 0; i < v.newest.length; i++) if (v.newest[i]) marks.push(v.nd === 1 ? i : [Math.floor(i / L), i % L]);
      if (v.nd === 2) {
        heatmap(ui, "overlap", p.canvas, { rows: L, cols: L, cell: cellSize(L, room(p.sec, 360)), outline: bounds(v.interior, L, 2), marks,
          values: vals, scale: sc, pale: v.interior,
          label: (i) => String(vals[i]), labelQ: "count", xticks: ends(L), yticks: ends(L), tickQ: "index",
          xlabel: "output column", ylabel: "output row",
          bar: { scale: sc, ticks: [["0", 0], [String(top), top]], q: "overlap.scale", label: V.words.pairs } });
      } else {
        const b = bounds(v.interior, L, 1);
        plot1d(ui, "overlap", p.canvas, { room: room(p.sec, 520) + 80, values: vals, lo: 0, hi: top, bars: true, band: b ? [b[2], b[3]] : null, marks,
          barColour: (i) => (v.interior[i] ? "#3e6fb0" : "#b8b8b8"), label: (i) => String(vals[i]), labelQ: "count",
          yticks: [["0", 0], [String(top), top]], tickQ: "overlap.scale", xticks: ends1(L), xlabel: "output position", ylabel: V.words.pairs });
      }
      const painted = v.step < v.pixels ? fill(V.captions.painted, { step: v.step, pixels: v.pixels }) : "";
      const labelled = ui.drawn.overlap.labelled ? "" : V.captions.unlabelled;
      const inside = v.interior.reduce((a, b) => a + b, 0);
      const cap = fill(V.captions.overlap, { shape: v.nd === 2 ? `${L}×${L}` : `${L}`, top, inside }) + painted + labelled;
      p.caption.textContent = cap;
      p.canvas.setAttribute("aria-label", cap);
    }
    function drawTaps(v) {
      const p = ui.p.taps, k = v.k, w = v.taps;
      let m = 0; for (const x of w) m = Math.max(m, Math.abs(x));
      const sc = { map: "rdbu", lo: -(m || 1), hi: m || 1, signed: true };
      const label = (i) => fmt("tap", w[i], V);
      if (v.nd === 2) {
        heatmap(ui, "taps", p.canvas, { rows: k, cols: k, cell: Math.max(4, Math.min(56, Math.floor(room(p.sec, 300) / k))), values: w, scale: sc,
          label, labelQ: "tap", xticks: ends(k), yticks: ends(k), tickQ: "index", xlabel: "tap column", ylabel: "tap row",
          bar: { scale: sc, ticks: [[fmt("tap", -m, V), -m], ["0", 0], [fmt("tap", m, V), m]].filter((t, i, a) => a.findIndex((u) => u[0] === t[0]) === i), q: "taps.scale", label: "tap" } });
      } else {
        plot1d(ui, "taps", p.canvas, { room: room(p.sec, 300) + 80, values: w, lo: Math.min(0, ...w), hi: Math.max(0, ...w), bars: true, barColour: (i) => rgb(colour(sc, w[i])),
          label, labelQ: "tap", yticks: [...new Set([Math.min(0, ...w), 0, Math.max(0, ...w)])].map((x) => [fmt("tap", x, V), x]), tickQ: "taps.scale",
          xticks: ends1(k), xlabel: "tap", ylabel: "weight" });
      }
      const cap = fill(V.captions.taps, { shape: v.nd === 2 ? `${k}×${k}` : `${k}`, family: v.family });
      p.caption.textContent = cap;
      p.canvas.setAttribute("aria-label", cap);
    }
    function drawOutput(v) {
      const p = ui.p.output, L = v.L, sc = scale(v.output_lo, v.output_hi);
      const b = bounds(v.interior, L, v.nd);
      if (v.nd === 2) {
        heatmap(ui, "output", p.canvas, { rows: L, cols: L, cell: cellSize(L, room(p.sec, 360)), outline: b, values: v.output, scale: sc,
          xticks: ends(L), yticks: ends(L), tickQ: "index", xlabel: "output column", ylabel: "output row",
          bar: { scale: sc, ticks: valueTicks(sc, V), q: "output.scale", label: "value" } });
      } else {
        plot1d(ui, "output", p.canvas, { room: room(p.sec, 520) + 80, values: v.output, lo: v.output_lo, hi: v.output_hi, band: b ? [b[2], b[3]] : null,
          yticks: valueTicks(sc, V), tickQ: "output.scale",
          xticks: ends1(L), xlabel: "output position", ylabel: "value" });
      }
      const where = b ? fill(V.captions.interior, { first: b[2], last: b[3], each: V.words.each[v.nd] }) : V.captions.no_interior;
      const cap = fill(V.captions.output, { shape: v.nd === 2 ? `${L}×${L}` : `${L}`, input: v.input, scale: V.words.scale[v.nd],
        lo: fmt("value", sc.signed ? sc.lo : 0, V), hi: fmt("value", sc.hi, V) }) + where;
      p.caption.textContent = cap;
      p.canvas.setAttribute("aria-label", cap);
    }
    function drawSpectrum(v) {
      const p = ui.p.spectrum;
      p.sec.hidden = !cfg.spectrum;
      if (!cfg.spectrum) return;
      if (!v.spectrum) {
        surface(p.canvas, 10, 10); ui.drawn.spectrum = [];
        p.canvas.hidden = true;
        p.caption.textContent = V.captions.no_spectrum;
        return;
      }
      p.canvas.hidden = false;
      const [R, C] = v.nd === 2 ? v.crop_shape : [1, v.crop_shape[0]];
      // log10 power, DC in the middle, as Python sends it (with its range: written numbers)
      const logs = v.spectrum_logs, lo = v.spectrum_lo, hi = v.spectrum_hi;
      const s = v.s, freq = (i, n) => ((i - Math.floor(n / 2)) / n);
      if (v.nd === 2) {
        const sc = { map: "magma", lo, hi: hi > lo ? hi : lo + 1, signed: false }, circles = [];
        for (let a = 0; a < s; a++) for (let b2 = 0; b2 < s; b2++) if (a || b2) {
          const r = (Math.round((a * R) / s) + Math.floor(R / 2)) % R, c = (Math.round((b2 * C) / s) + Math.floor(C / 2)) % C;
          circles.push([r, c]);
        }
        heatmap(ui, "spectrum", p.canvas, { rows: R, cols: C, cell: cellSize(C, room(p.sec, 260)), circles: circles.length <= 64 ? circles : null,
          values: logs, scale: sc, xticks: [[fixed(freq(0, C), 2), 0.5], ["0", Math.floor(C / 2) + 0.5]], yticks: [[fixed(freq(0, R), 2), 0.5], ["0", Math.floor(R / 2) + 0.5]],
          tickQ: "spectrum.freq", xlabel: "column frequency (cycles/sample)", ylabel: "row frequency",
          bar: { scale: sc, ticks: [[fixed(lo, 1), lo], [fixed(hi, 1), hi]], q: "spectrum.scale", label: "log10 power" } });
      } else {
        const marks = [];
        for (let a = 1; a < s; a++) marks.push((Math.round((a * C) / s) + Math.floor(C / 2)) % C);
        plot1d(ui, "spectrum", p.canvas, { room: room(p.sec, 520) + 80, values: Array.from(logs).map((x) => x - lo), lo: 0, hi: hi - lo || 1, marks, colour: "#5b2a86",
          yticks: [[fixed(lo, 1), 0], [fixed(hi, 1), hi - lo]], tickQ: "spectrum.scale",
          xticks: [[fixed(freq(0, C), 2), 0], ["0", Math.floor(C / 2)]], xtickQ: "spectrum.freq", xlabel: "frequency (cycles/sample)", ylabel: "log10 power" });
      }
      const cap = fill(V.captions.spectrum, { shape: v.nd === 2 ? `${R}×${C}` : `${C}` });
      p.caption.textContent = cap;
      p.canvas.setAttribute("aria-label", cap);
    }
    function drawGains(v) {
      const t = ui.p.gains.table, s = v.s, rows = v.nd === 1 ? 1 : s;
      let m = 0; for (const g of v.gains) m = Math.max(m, Math.abs(g));
      const sc = { map: "rdbu", lo: -(m || 1), hi: m || 1 };
      t.innerHTML = "";
      t.append(h("caption", { text: V.captions.gains }));
      const head = h("tr", {}, h("th", { scope: "col", text: v.nd === 1 ? "phase" : "row \\ column phase" }));
      for (let c = 0; c < s; c++) head.append(h("th", { scope: "col", "data-q": "index", "data-of": "gains", text: String(c) }));
      t.append(h("thead", {}, head));
      const body = h("tbody");
      for (let r = 0; r < rows; r++) {
        const tr = h("tr", {}, v.nd === 1 ? h("th", { scope: "row", text: "gain" }) : h("th", { scope: "row", "data-q": "index", "data-of": "gains", text: String(r) }));
        for (let c = 0; c < s; c++) {
          const i = r * s + c, col = colour(sc, v.gains[i]);
          tr.append(h("td", { "data-q": "gain", "data-i": i, style: `background:${rgb(col)};color:${light(col) ? "#000" : "#fff"}`, text: fmt("gain", v.gains[i], V) }));
        }
        body.append(tr);
      }
      t.append(body);
    }
    function drawScores(v) {
      const sc = v.scores, P2 = ui.p.scores;
      const rows = [
        ["oc", V.labels.overlap_contrast, sc.oc === null ? sc.layer_oc.map((x) => fmt("score", x, V)).join(", ") : fmt("score", sc.oc, V)],
        ["cb", V.labels.checkerboard_score, fmt("score", sc.cb, V)],
        ["ncb", V.labels.noise_checkerboard, fmt("score", sc.ncb, V)],
        ["holes", V.labels.holes, fmt("bool", sc.holes, V)],
        ["hf", fill(V.labels.harmonic_fraction, { input: v.input }), fmt("hf", sc.hf, V)],
        ["db", fill(V.labels.peak_db, { input: v.input }), fmt("db", sc.db, V)],
      ];
      P2.table.innerHTML = "";
      for (const [k, name, val] of rows) P2.table.append(h("tr", {}, h("th", { scope: "row", text: name }), h("td", { "data-q": `score.${k}`, text: val })));
      P2.measure.textContent = fill(V.captions.measure, { input: v.input, shape: v.nd === 2 ? `${v.n}×${v.n}` : `${v.n}` });
      P2.notes.innerHTML = "";
      for (const [key, note] of v.notes) P2.notes.append(h("li", { "data-note": key, text: note }));
    }
    function drawFormula(v) {
      const box = ui.p.formula.box;
      box.innerHTML = "";
      v.terms.forEach((t, j) => {
        const name = v.terms.length > 1 ? `L${j + 1}` : "L";
        const span = (k) => h("span", { class: "ex-val", "data-q": `term.${k}`, "data-i": j, text: String(t[k]).replace("-", "−") });
        box.append(h("div", {}, `${name} = (n−1)·s − 2·p + d·(k−1) + op + 1`),
          h("div", {}, "  = (", span("n"), "−1)·", span("s"), " − 2·", span("p"), " + ", span("d"), "·(", span("k"), "−1) + ", span("op"), " + 1"),
          h("div", {}, "  = ", span("stretch"), " + (", span("crop"), ") + ", span("reach"), " + ", span("extra"), " + 1 = ", span("size"), v.nd === 2 ? " per axis" : ""));
      });
    }
    function drawTables(v) {
      for (const [name, vals, shape] of [["overlap", v.painted, [v.nd === 2 ? v.L : 1, v.L]], ["taps", v.taps, [v.nd === 2 ? v.k : 1, v.k]]]) {
        const d = ui.p[name].details;
        if (!d.open) continue;
        const key = name === "overlap" ? ui.keys.overlap : ui.keys.taps;
        if (!changed(name + "-table", key)) continue;
        const box = d.querySelector(".ex-table"), q = name === "overlap" ? "count" : "tap", parts = [];
        parts.push("<table><thead><tr><th scope='col'>row \\ column</th>");
        for (let c = 0; c < shape[1]; c++) parts.push(`<th scope='col' data-q='index' data-of='${name}'>${c}</th>`);
        parts.push("</tr></thead><tbody>");
        for (let r = 0; r < shape[0]; r++) {
          parts.push(`<tr><th scope='row' data-q='index' data-of='${name}'>${r}</th>`);
          for (let c = 0; c < shape[1]; c++) { const i = r * shape[1] + c; parts.push(`<td data-q='${q}' data-i='${i}'>${fmt(q === "count" ? "count" : "tap", vals[i], V)}</td>`); }
          parts.push("</tr>");
        }
        box.innerHTML = parts.join("") + "</tbody></table>";
      }
    }
    ui.show = (v) => {
      const t0 = performance.now();
      ui.view = v;
      const geo = [v.nd, v.L, v.k, v.s, v.key], spent = {};
      const timed = (name, key, draw) => {
        if (!changed(name, JSON.stringify(key))) return;
        const a = performance.now();
        draw(v);
        spent[name] = performance.now() - a;
      };
      timed("input", [v.nd, v.n, v.input], drawInput);
      timed("overlap", [...geo, v.step], drawOverlap);
      timed("taps", [v.nd, v.k, v.kernel_key], drawTaps);
      timed("gains", [v.nd, v.s, v.kernel_key, v.key], drawGains);
      timed("output", [...geo, v.kernel_key, v.input], drawOutput);
      timed("spectrum", [...geo, v.kernel_key, v.input], drawSpectrum);
      drawScores(v); drawFormula(v); drawTables(v);
      ui.setStatus(v.status || null);
      const t1 = performance.now(), rec = { event: ui.lastEvent ?? null, start: t0, end: t1, frame: null, spent };
      ui.timings.push(rec);
      if (ui.timings.length > 1000) ui.timings.shift();
      ui.lastEvent = null;
      // when the frame that shows this change has been painted
      requestAnimationFrame(() => setTimeout(() => { rec.frame = performance.now(); }, 0));
      if (cfg.afterShow) cfg.afterShow(ui, v);
    };
    return ui;
  }
  // a view from Python (artifact_lab.explorer.views.view_data): arrays arrive as binary
  // buffers (DataView, in the widget) or base64 (JSON); everything else is plain JSON
  const TYPES = { "<f8": Float64Array, "<f4": Float32Array, "<i4": Int32Array, "<u2": Uint16Array, u1: Uint8Array };
  function outer(axis, nd) {  // a mask over the output from its per-axis mask
    const L = axis.length, out = new Uint8Array(L ** nd);
    if (nd === 1) out.set(axis);
    else for (let r = 0; r < L; r++) if (axis[r]) for (let c = 0; c < L; c++) out[r * L + c] = axis[c];
    return out;
  }
  function decodeArray(a) {
    if (!a) return null;
    let buf;
    if (a.b64 !== undefined) {
      const bin = atob(a.b64), u = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
      buf = u.buffer;
    } else {
      const dv = a.data;
      buf = dv.buffer.slice(dv.byteOffset, dv.byteOffset + dv.byteLength);
    }
    return new TYPES[a.dtype](buf);
  }
  function decode(v) {
    const out = { ...v };
    for (const name of ["signal", "painted", "gains", "taps", "output", "spectrum"]) out[name] = decodeArray(v[name]);
    // what is only drawn arrives as 8-bit steps of its colour scale: back to values
    const unstep = (q, lo, hi) => { const y = new Float64Array(q.length), f = (hi - lo) / 255; for (let i = 0; i < q.length; i++) y[i] = lo + q[i] * f; return y; };
    const sc = scale(v.output_lo, v.output_hi);
    out.output = unstep(out.output, sc.lo, sc.hi);
    out.spectrum_logs = out.spectrum ? unstep(out.spectrum, v.spectrum_lo, v.spectrum_hi > v.spectrum_lo ? v.spectrum_hi : v.spectrum_lo + 1) : null;
    out.interior = outer(v.interior_axis, v.nd);
    out.newest = v.newest_axes ? (v.nd === 1 ? Uint8Array.from(v.newest_axes[0])
      : (() => { const [R, C] = v.newest_axes, L = C.length, m = new Uint8Array(L * L);
                 for (let r = 0; r < L; r++) if (R[r]) for (let c = 0; c < L; c++) m[r * L + c] = C[c];
                 return m; })()) : null;
    return out;
  }
  return { mount, fixed, fmt, fill, scale, decode };
})();
