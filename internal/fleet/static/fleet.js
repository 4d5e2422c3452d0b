// Sense HAT fleet page: plain JS, no framework, no build step. Every
// device the server finds gets a card with its matrix mirrored live; the
// plots draw the readings the server keeps for the last hour, or a day or
// a week read from the history stream.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  // What a device sends is shown as text, never as markup, and with its
  // control, bidi and other invisible characters written as \u{XXXX}
  // (the server's fleet.Shown does the same to ids): an id cannot reorder
  // or hide the text around it.
  const hiddenRe = /[\p{Cc}\p{Cf}\u2028\u2029\\]/gu;
  const esc = (s) => String(s).replace(hiddenRe, (c) => (c === "\\" ? "\\\\" : "\\u{" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") + "}"));
  const labelOf = (id) => { const d = byId.get(id); return d && d.label ? d.label : esc(id); };
  const palette = ["#4fb3ff", "#f2b84b", "#5fd38d", "#ff7b72", "#c792ea", "#ffd866", "#78dce8", "#fc9867"];

  // --- state ----------------------------------------------------------------
  const cards = new Map(); // id -> {root, leds, facts, state, frame, lit, frames}
  let devices = [];
  let byId = new Map(); // id -> entry of devices: a reading finds its card in O(1)
  let info = { prefix: "sensehat", simulation: false };

  // --- cards -----------------------------------------------------------------
  const matrixPx = 96, ledPitch = matrixPx / 8; // a card's matrix canvas
  function card(id) {
    let c = cards.get(id);
    if (c) return c;
    const root = el("article", "device");
    root.dataset.id = id;
    const h = el("h3");
    h.append(el("span", "id", labelOf(id)));
    const state = el("span", "state", "online");
    h.append(state);
    // The matrix is one canvas, drawn when the card is in view (paint):
    // 64 LED elements a card were 3,072 elements to lay out and paint
    // for each page of 48 shown.
    const mini = el("canvas", "mini");
    mini.width = mini.height = matrixPx;
    mini.setAttribute("role", "img");
    mini.setAttribute("aria-label", "LED matrix of " + labelOf(id));
    mini.dataset.lit = "0";
    mini.dataset.frames = "0";
    const facts = el("dl", "facts");
    root.append(h, mini, facts);
    root.hidden = true; // until applyFilter puts it on the page shown
    c = { root, mini, facts, state, lit: 0, frames: 0, rgb: new Uint8Array(192) };
    cards.set(id, c);
    return c;
  }

  function showFrame(id, hex) {
    const c = cards.get(id);
    if (!c || !hex || hex.length !== 384) return;
    let lit = 0;
    for (let i = 0; i < 64; i++) {
      const r = parseInt(hex.substr(6 * i, 2), 16), g = parseInt(hex.substr(6 * i + 2, 2), 16), b = parseInt(hex.substr(6 * i + 4, 2), 16);
      c.rgb[3 * i] = r; c.rgb[3 * i + 1] = g; c.rgb[3 * i + 2] = b;
      if (r + g + b) lit++;
    }
    c.lit = lit;
    c.frames++;
    c.mini.dataset.lit = String(lit);
    c.mini.dataset.frames = String(c.frames);
    if (!c.root.hidden) paint(c);
  }

  // paint draws a card's matrix from its last frame: the dark LEDs as
  // one path, each lit one in its colour with a faint halo.
  function paint(c) {
    const g = c.ctx || (c.ctx = c.mini.getContext("2d"));
    g.globalAlpha = 1;
    g.fillStyle = "#050505";
    g.fillRect(0, 0, matrixPx, matrixPx);
    g.beginPath();
    for (let i = 0; i < 64; i++) {
      if (c.rgb[3 * i] + c.rgb[3 * i + 1] + c.rgb[3 * i + 2]) continue;
      const x = (i % 8 + 0.5) * ledPitch, y = (Math.floor(i / 8) + 0.5) * ledPitch;
      g.moveTo(x + ledPitch * 0.4, y);
      g.arc(x, y, ledPitch * 0.4, 0, 2 * Math.PI);
    }
    g.fillStyle = "#1a1a1a";
    g.fill();
    if (!c.lit) return;
    for (let i = 0; i < 64; i++) {
      const r = c.rgb[3 * i], gr = c.rgb[3 * i + 1], b = c.rgb[3 * i + 2];
      if (r + gr + b === 0) continue;
      const x = (i % 8 + 0.5) * ledPitch, y = (Math.floor(i / 8) + 0.5) * ledPitch;
      g.fillStyle = "rgb(" + r + "," + gr + "," + b + ")";
      g.globalAlpha = 0.3;
      g.beginPath();
      g.arc(x, y, ledPitch * 0.5, 0, 2 * Math.PI);
      g.fill();
      g.globalAlpha = 1;
      g.beginPath();
      g.arc(x, y, ledPitch * 0.4, 0, 2 * Math.PI);
      g.fill();
    }
  }

  function fmt(v, digits) {
    if (typeof v !== "number") return esc(v);
    return Number.isInteger(v) ? String(v) : v.toFixed(digits === undefined ? 1 : digits);
  }
  function uptime(s) {
    s = Math.floor(s);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return (d ? d + "d " : "") + (d || h ? h + "h " : "") + m + "m " + (s % 60) + "s";
  }

  // Facts shown on a card: from the status reply, then the latest readings.
  function renderFacts(c, d) {
    const rows = [];
    const st = d.status || {};
    rows.push(["version", esc(d.version || st.version || "?")]);
    if (d.note) rows.push(["note", esc(d.note)]);
    if (typeof st.uptime_s === "number") rows.push(["uptime", uptime(st.uptime_s)]);
    if (st.nats) rows.push(["NATS", (st.nats.connected ? "connected" : "disconnected") + (st.nats.reconnects ? ", " + st.nats.reconnects + " reconnects" : "")]);
    if (st.display) rows.push(["display", "rotation " + esc(st.display.rotation) + "°" + (st.display.low_light ? ", low light" : "") + (st.display.showing ? ", showing \u201c" + esc(st.display.showing) + "\u201d" : "")]);
    const errs = st.errors || {};
    const counts = errs.counts || null;
    let nErr = 0;
    if (counts && typeof counts === "object") for (const v of Object.values(counts)) nErr += Number(v) || 0;
    if (nErr) rows.push(["errors", String(nErr) + (errs.last ? " (last: " + esc(errs.last) + ")" : "")]);
    const rd = d.readings || {};
    const env = (rd.env && rd.env.values) || null;
    if (env) {
      if (typeof env.temperature_c === "number") rows.push(["temperature", fmt(env.temperature_c) + " °C"]);
      if (typeof env.humidity_pct === "number") rows.push(["humidity", fmt(env.humidity_pct) + " %"]);
      if (typeof env.pressure_hpa === "number") rows.push(["pressure", fmt(env.pressure_hpa) + " hPa"]);
    }
    const mo = (rd.motion && rd.motion.values) || null;
    if (mo && typeof mo.roll_deg === "number") rows.push(["roll/pitch/yaw", ["roll_deg", "pitch_deg", "yaw_deg"].map((k) => (typeof mo[k] === "number" ? fmt(mo[k], 0) : "–")).join(" / ") + " °"]);
    if (mo && typeof mo.heading_deg === "number") rows.push(["heading", fmt(mo.heading_deg, 0) + " °"]);
    // Values outside their physical range: shown as sent, marked, never plotted.
    const absurd = [];
    for (const [kind, r] of Object.entries(rd)) for (const [k, v] of Object.entries((r && r.dropped) || {})) absurd.push(esc(kind + "." + k) + " = " + esc(v));
    if (absurd.length) rows.push(["not physical", absurd.join(", ") + " (dropped" + (d.dropped ? ", " + d.dropped + " so far" : "") + ")"]);
    if (d.status_error) rows.push(["status", esc(d.status_error)]);
    c.facts.replaceChildren();
    for (const [k, v] of rows) c.facts.append(el("dt", "", k), el("dd", k === "not physical" ? "absurd" : "", v));
    let cls = "state", text = "online";
    if (d.gone) { cls += " bad"; text = "gone"; }
    else if (d.status_error) { cls += " warn"; text = "no status"; }
    else if (st.nats && !st.nats.connected) { cls += " warn"; text = "reconnecting"; }
    else if (nErr) { cls += " warn"; text = "errors"; }
    c.state.className = cls;
    c.state.textContent = text;
    c.root.classList.toggle("gone", !!d.gone);
    c.root.dataset.state = text;
  }

  function showDevices(list) {
    devices = list.map((d) => Object.assign(d, { readings: d.readings || {} }));
    byId = new Map(devices.map((d) => [d.id, d]));
    const box = $("devices");
    const seen = new Set();
    for (const d of devices) {
      seen.add(d.id);
      const c = card(d.id);
      if (!c.root.isConnected) {
        if (box.querySelector(".hint")) box.replaceChildren();
        box.append(c.root);
      }
      // A card out of view is drawn when it comes into view (applyFilter).
      c.d = d;
      c.key = keyOf(d);
      if (c.root.hidden) c.stale = true;
      else renderFacts(c, d);
      if (d.frame && c.frames === 0) showFrame(d.id, d.frame);
    }
    for (const [id, c] of cards) {
      if (!seen.has(id)) {
        c.root.remove();
        cards.delete(id);
      }
    }
    const present = devices.filter((d) => !d.gone).length;
    $("count").textContent = present + " present" + (devices.length > present ? ", " + (devices.length - present) + " gone" : "");
    box.dataset.count = String(devices.length);
    applyFilter();
    fillTargets();
    fillPlotDevices();
  }

  // --- filter and pages ----------------------------------------------------------
  // A fleet of hundreds: the filter box narrows the cards (and the plots'
  // devices) to those whose id, version or state holds its text; what
  // matches is shown a page of pageSize cards at a time. Each card keeps
  // its text in lower case (key, made when the device list comes), and a
  // keystroke only flips hidden on the cards that leave or join the page
  // shown: at most two pages of cards are touched, whatever the fleet's
  // size, and nothing is rebuilt. The plot follows once the cards are
  // drawn.
  const pageSize = 48;
  let page = 0;
  let filterText = "";
  let matched = null; // ids that match filterText; null: all
  const keyOf = (d) => ((d.label || d.id) + " " + (d.version || "") + (d.gone ? " gone" : "")).toLowerCase();
  const matches = (d) => !matched || matched.has(d.id);
  function applyFilter() {
    const shown = [];
    let touched = 0;
    matched = filterText ? new Set() : null;
    for (const d of devices) {
      const c = cards.get(d.id);
      if (!c) continue;
      if (!filterText || c.key.includes(filterText)) {
        shown.push(c);
        if (matched) matched.add(d.id);
      } else if (!c.root.hidden) {
        c.root.hidden = true;
        touched++;
      }
    }
    const pages = Math.max(1, Math.ceil(shown.length / pageSize));
    page = Math.min(page, pages - 1);
    shown.forEach((c, i) => {
      const hide = Math.floor(i / pageSize) !== page;
      if (c.root.hidden === hide) return;
      touched++;
      if (!hide) {
        if (c.stale && c.d) { renderFacts(c, c.d); c.stale = false; }
        paint(c);
      }
      c.root.hidden = hide;
    });
    $("page-nav").hidden = pages <= 1;
    $("page-info").textContent = "page " + (page + 1) + " of " + pages;
    const box = $("devices");
    box.dataset.matched = String(shown.length);
    box.dataset.shown = String(Math.max(0, Math.min(pageSize, shown.length - page * pageSize)));
    box.dataset.touched = String(touched);
    if (filterText) $("count").textContent += " · " + shown.length + " match";
  }
  // The plot redraws once typing pauses, after the narrowed cards are on
  // screen: one draw for a word typed, not one per key.
  let replot = 0;
  // What the last keystroke cost, for people and for tests: from the input
  // event (its timeStamp: when the browser took the key) to the end of
  // this handler, to the frame after the one that drew the narrowed cards,
  // and to a task after that.
  let filterSeq = 0, lastFilter = null;
  $("filter").addEventListener("input", (e) => {
    filterText = $("filter").value.trim().toLowerCase();
    page = 0;
    const present = devices.filter((d) => !d.gone).length;
    $("count").textContent = present + " present" + (devices.length > present ? ", " + (devices.length - present) + " gone" : "");
    applyFilter();
    clearTimeout(replot);
    replot = setTimeout(() => { fillPlotDevices(); if (plotInView) drawPlot(); }, 150);
    const seq = ++filterSeq, script = performance.now() - e.timeStamp;
    const box = $("devices");
    const r = { seq, text: filterText, script, matched: Number(box.dataset.matched), shown: Number(box.dataset.shown), touched: Number(box.dataset.touched) };
    // frame: the next frame's callback, so the frame drawing the narrowed
    // cards was produced; painted: a task after that frame, so also after
    // whatever tasks (stream events) were queued ahead of it.
    requestAnimationFrame(() => requestAnimationFrame(() => {
      r.frame = performance.now() - e.timeStamp;
      setTimeout(() => { r.painted = performance.now() - e.timeStamp; lastFilter = r; }, 0);
    }));
  });
  $("page-prev").addEventListener("click", () => { page = Math.max(0, page - 1); applyFilter(); });
  $("page-next").addEventListener("click", () => { page++; applyFilter(); });

  // Readings come a few a second per device (hundreds a second for a
  // large fleet): a card out of view is only marked stale, and the cards
  // in view are drawn once per frame, however many readings came.
  const dirty = new Set();
  let flushing = false;
  function onReading(r) {
    const d = byId.get(r.id);
    if (!d) return;
    d.readings[r.kind] = r.data;
    if (typeof r.dropped === "number") d.dropped = r.dropped;
    const c = cards.get(r.id);
    if (!c) return;
    if (c.root.hidden) { c.stale = true; return; }
    dirty.add(c);
    if (!flushing) {
      flushing = true;
      requestAnimationFrame(() => {
        flushing = false;
        for (const c of dirty) {
          if (c.root.hidden) c.stale = true;
          else if (c.d) renderFacts(c, c.d);
        }
        dirty.clear();
      });
    }
  }

  // --- actions ---------------------------------------------------------------
  function fillTargets() {
    const sel = $("target");
    const want = ["all", "any"].concat(devices.filter((d) => !d.gone).map((d) => d.id));
    const have = Array.from(sel.options).map((o) => o.value);
    if (want.join() === have.join()) return;
    const cur = sel.value;
    sel.replaceChildren();
    for (const v of want) {
      const o = el("option", "", v === "all" ? "all devices" : v === "any" ? "any one device" : labelOf(v));
      o.value = v;
      sel.append(o);
    }
    if (want.includes(cur)) sel.value = cur;
  }

  function showReply(what, r) {
    const ol = $("replies");
    let cls = "ok", text;
    if (r.error) {
      cls = "bad";
      text = "error: " + esc(r.error);
    } else {
      const j = r.reply || {};
      if (j.displayed === true) text = "displayed" + (typeof j.duration_ms === "number" ? " in " + (j.duration_ms / 1000).toFixed(1) + " s" : "");
      else if (j.displayed === false) { cls = "warn"; text = esc(j.reason || "not displayed"); }
      else text = esc(JSON.stringify(j));
    }
    const li = el("li", cls, new Date().toLocaleTimeString() + " " + what + " → " + (r.from ? labelOf(r.from) : "?") + ": " + text);
    li.dataset.from = r.from || "";
    li.dataset.result = cls;
    ol.prepend(li);
    while (ol.children.length > 100) ol.lastChild.remove();
  }
  // Each reply is shown as it comes (the server writes one per line), so a
  // device that never answers holds up none of the others.
  async function act(what, path, fields) {
    try {
      const r = await fetch(path, { method: "POST", body: new URLSearchParams(fields), headers: { Accept: "application/x-ndjson" } });
      if (!r.ok) {
        const j = await r.json().catch(() => ({ error: r.statusText }));
        throw new Error(j.error || r.statusText);
      }
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (value) buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (line.trim()) showReply(what, JSON.parse(line));
        }
        if (done) break;
      }
    } catch (e) {
      showReply(what, { error: e.message });
    }
  }
  function targetDevice(to) {
    return devices.find((d) => d.id === to) || devices.find((d) => !d.gone);
  }
  $("send").addEventListener("click", () => {
    const text = $("text").value;
    if (!text.trim()) return;
    act("text", "fleet/text", { to: $("target").value, text });
  });
  $("text").addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); $("send").click(); }
  });
  $("clear").addEventListener("click", () => {
    const to = $("target").value === "any" ? "all" : $("target").value;
    act("clear", "fleet/clear", { to });
  });
  $("rotate").addEventListener("click", () => {
    const to = $("target").value === "any" ? "all" : $("target").value;
    const d = targetDevice(to);
    const cur = d && d.status && d.status.display ? d.status.display.rotation : 0;
    act("rotate", "fleet/config", { to, rotation: String((cur + 90) % 360) });
  });
  $("lowlight").addEventListener("click", () => {
    const to = $("target").value === "any" ? "all" : $("target").value;
    const d = targetDevice(to);
    const cur = !!(d && d.status && d.status.display && d.status.display.low_light);
    act("low light " + (cur ? "off" : "on"), "fleet/config", { to, low_light: String(!cur) });
  });

  // --- plots -------------------------------------------------------------------
  // A colour per device that stays when others come and go.
  const colourOf = (id) => {
    let h = 0;
    for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return palette[h % palette.length];
  };
  const plotOff = new Set(); // devices unticked
  const plotLast = new Map(); // id -> last plotted value
  // One label per device, made when the device list changes; the filter
  // only hides the others.
  const plotLabels = new Map(); // id -> label
  let plotIds = "";
  function fillPlotDevices() {
    const box = $("plot-devices");
    const all = devices.map((d) => d.id);
    if (all.join() !== plotIds) {
      plotIds = all.join();
      plotLabels.clear();
      box.replaceChildren();
      for (const id of all) {
        const lab = plotLabel(id);
        plotLabels.set(id, lab);
        box.append(lab);
      }
    }
    for (const d of devices) {
      const lab = plotLabels.get(d.id);
      const hide = !matches(d);
      if (lab && lab.hidden !== hide) lab.hidden = hide;
    }
  }
  function plotLabel(id) {
    const lab = el("label");
    const cb = el("input");
    cb.type = "checkbox";
    cb.value = id;
    cb.checked = !plotOff.has(id);
    cb.addEventListener("change", () => {
      if (cb.checked) plotOff.delete(id); else plotOff.add(id);
      drawPlot();
    });
    const sw = el("span", "", "■");
    sw.style.color = colourOf(id);
    lab.append(cb, sw, document.createTextNode(labelOf(id)));
    return lab;
  }
  async function fillQuantities() {
    const qs = await fetch("fleet/quantities").then((r) => r.json()).catch(() => []);
    const sel = $("quantity");
    if (Array.from(sel.options).map((o) => o.value).join() === qs.join()) return;
    const cur = sel.value || "env.temperature_c";
    sel.replaceChildren();
    for (const q of qs) {
      const o = el("option", "", q);
      o.value = q;
      sel.append(o);
    }
    if (qs.includes(cur)) sel.value = cur;
  }
  $("quantity").addEventListener("change", () => drawPlot());

  const windowMs = () => (info.window_s || 3600) * 1000;
  const spanMs = { day: 864e5, week: 7 * 864e5 };
  const spanOf = () => (document.querySelector('#span input[name="span"]:checked') || { value: "hour" }).value;
  const spanText = (w) => (w % 86400 === 0 ? (w / 86400 === 1 ? "day" : w / 86400 + " days") : w % 3600 === 0 ? (w / 3600 === 1 ? "hour" : w / 3600 + " hours") : Math.round(w / 60) + " min");
  for (const r of document.querySelectorAll('#span input[name="span"]')) r.addEventListener("change", () => drawPlot());
  function plotNote(text, isError) {
    const p = $("plot-note");
    p.hidden = !text;
    p.textContent = text || "";
    p.classList.toggle("error", !!isError);
  }
  // Each draw fetches; only the latest request's answer is drawn, so a
  // slow week cannot overwrite the hour asked for since.
  let drawSeq = 0;
  let series = {};
  async function drawPlot() {
    const q = $("quantity").value;
    const span = spanOf();
    const seq = ++drawSeq;
    $("plot-span").textContent = "last " + (span === "hour" ? spanText(info.window_s || 3600) : span);
    if (!q) {
      $("plot").replaceChildren();
      $("plot-range").textContent = "No readings yet.";
      return;
    }
    let src = "memory", note = "", failed = "";
    try {
      const r = await fetch("fleet/series?q=" + encodeURIComponent(q) + (span === "hour" ? "" : "&span=" + span));
      if (seq !== drawSeq) return;
      if (!r.ok) {
        const j = await r.json().catch(() => ({}));
        failed = j.error || r.status + " " + r.statusText;
      } else {
        series = await r.json();
        src = r.headers.get("Sensehat-Series-Source") || "memory";
        note = r.headers.get("Sensehat-Series-Note") || "";
      }
    } catch (e) {
      failed = "plots: " + e.message;
    }
    if (seq !== drawSeq) return;
    const svg = $("plot");
    svg.dataset.span = span;
    svg.dataset.source = failed ? "error" : src;
    if (failed) {
      svg.replaceChildren();
      plotNote(failed, true);
      return;
    }
    if (src === "memory" && span !== "hour") note += " (README: Keep every reading).";
    plotNote(note, false);
    const W = Math.max(200, svg.clientWidth), H = Math.max(120, svg.clientHeight);
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    const ns = "http://www.w3.org/2000/svg";
    const mk = (tag, attrs, text) => {
      const e = document.createElementNS(ns, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      return e;
    };
    // A span read from the stream is drawn whole. Memory's hour, or less
    // while the page has kept less: a chart of the last two minutes should
    // not be a sliver at its right edge.
    const now = Date.now();
    let lo = Infinity, hi = -Infinity, first = now;
    const picked = (id) => !matched || matched.has(id);
    const shown = Object.entries(series).filter(([id, s]) => !plotOff.has(id) && picked(id) && s && s.length);
    for (const [, s] of shown) for (const p of s) { lo = Math.min(lo, p.v); hi = Math.max(hi, p.v); first = Math.min(first, p.t); }
    const t0 = src === "stream" ? now - spanMs[span] : Math.max(now - Math.max(windowMs(), spanMs[span] || 0), Math.min(first, now - 60e3));
    svg.replaceChildren();
    if (!shown.length) {
      svg.append(mk("text", { x: 12, y: 24 }, "no samples yet"));
      return;
    }
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const pad = (hi - lo) * 0.08;
    lo -= pad; hi += pad;
    const L = 56, R = 8, T = 8, B = 22;
    const x = (t) => L + ((t - t0) / (now - t0)) * (W - L - R);
    const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
    for (let i = 0; i <= 4; i++) {
      const v = lo + ((hi - lo) * i) / 4;
      svg.append(mk("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      svg.append(mk("text", { x: 4, y: y(v) + 4 }, fmt(v, 1)));
    }
    const range = now - t0;
    for (let i = 0; i <= 4; i++) {
      const ago = range * (1 - i / 4);
      const label = i === 4 ? "now" : ago >= 2 * 864e5 ? "-" + Math.round(ago / 864e5) + "d" : ago >= 2 * 3600e3 ? "-" + Math.round(ago / 3600e3) + "h" : ago >= 120e3 ? "-" + Math.round(ago / 60e3) + "m" : "-" + Math.round(ago / 1e3) + "s";
      svg.append(mk("text", { x: Math.min(W - 40, Math.max(L, x(now - ago) - 14)), y: H - 6 }, label));
    }
    for (const [id, s] of shown) {
      const pts = s.filter((p) => p.t >= t0).map((p) => x(p.t).toFixed(1) + "," + y(p.v).toFixed(1)).join(" ");
      const line = mk("polyline", { points: pts, stroke: colourOf(id) });
      line.dataset.id = id;
      line.dataset.last = String(s[s.length - 1].v);
      svg.append(line);
      // A lone point (one slice of a week holding readings) draws no line.
      const last = s[s.length - 1];
      if (last.t >= t0) svg.append(mk("circle", { cx: x(last.t).toFixed(1), cy: y(last.v).toFixed(1), r: 2.5, fill: colourOf(id) }));
      plotLast.set(id, s[s.length - 1].v);
    }
    $("plot-range").textContent = q + ": " + fmt(lo + pad, 2) + " … " + fmt(hi - pad, 2);
  }
  // The chart is fetched and drawn every 2 s only while it is on screen:
  // for hundreds of devices that is a large answer and hundreds of lines,
  // which a page scrolled to its cards would pay for nothing. It is drawn
  // at once when it comes into view.
  let plotInView = true;
  if ("IntersectionObserver" in window) {
    new IntersectionObserver((entries) => {
      const was = plotInView;
      plotInView = entries[entries.length - 1].isIntersecting;
      if (plotInView && !was) drawPlot();
    }).observe($("plot"));
  }
  async function plotLoop() {
    await fillQuantities();
    if (plotInView) await drawPlot();
    setTimeout(plotLoop, 2000);
  }
  window.addEventListener("resize", () => drawPlot());

  // A read-only handle for people poking at the page and for tests.
  window.fleet = {
    ids: () => devices.map((d) => d.id),
    state: (id) => (cards.get(id) ? cards.get(id).root.dataset.state : "absent"),
    lit: (id) => (cards.get(id) ? cards.get(id).lit : -1),
    frames: (id) => (cards.get(id) ? cards.get(id).frames : -1),
    plotLast: (id) => (plotLast.has(id) ? plotLast.get(id) : null),
    // plot shows quantity q, scrolling the chart into view as a person
    // would to look at it.
    plot: (q) => { $("plot").scrollIntoView(); $("quantity").value = q; return drawPlot().then(() => $("quantity").value === q); },
    plotSpan: () => $("plot").dataset.span || "",
    plotSource: () => $("plot").dataset.source || "",
    // lastFilter is what the last input into the filter box cost (ms from
    // the input event to the end of the handler, and to the painted
    // frame), how many cards match, are shown and had their DOM touched.
    lastFilter: () => lastFilter,
    // filter puts text into the filter box as one input event and
    // returns lastFilter once that input's frame is painted.
    filter: async (text) => {
      const seq = filterSeq + 1;
      $("filter").value = text;
      $("filter").dispatchEvent(new Event("input"));
      while (!lastFilter || lastFilter.seq < seq) await new Promise((r) => setTimeout(r, 5));
      return lastFilter;
    },
  };

  // --- event stream ------------------------------------------------------------
  function connect() {
    const link = $("fleet-link");
    const es = new EventSource("fleet/events");
    es.onopen = () => { link.textContent = "fleet live"; link.classList.add("up"); };
    es.onerror = () => { link.textContent = "reconnecting…"; link.classList.remove("up"); };
    es.addEventListener("devices", (e) => showDevices(JSON.parse(e.data)));
    es.addEventListener("frame", (e) => { const f = JSON.parse(e.data); showFrame(f.id, f.rgb); });
    es.addEventListener("reading", (e) => onReading(JSON.parse(e.data)));
  }

  fetch("api/info")
    .then((r) => r.json())
    .then((i) => {
      info = i;
      if (i.window_s) {
        $("plot-span").textContent = "last " + spanText(i.window_s);
        // The first choice is memory's window: "hour" unless --window says otherwise.
        if (i.window_s !== 3600) $("span-hour").textContent = "live " + spanText(i.window_s);
      }
      // What the server keeps, so a value or device missing is explained.
      fetch("fleet/limits").then((r) => r.json()).then((l) => {
        $("limits-hint").textContent = "The page lists at most " + l.max_devices + " devices and keeps only the contract's readings of the devices it found; a value outside its sensor's physical range is shown as not physical and never plotted (" + l.dropped + " so far; ranges in fleet/limits).";
      }).catch(() => {});
      if (i.gone_after_s) $("gone-hint").textContent = "A device that misses discovery for " + i.gone_after_s + " s is marked gone.";
      if (i.simulation) {
        // The emulator: the simulated board's controls join the page.
        $("sim").hidden = false;
        $("link").hidden = false;
        const s = el("script");
        s.src = "app.js";
        document.body.append(s);
      }
    })
    .catch(() => {})
    .finally(() => {
      connect();
      plotLoop();
    });
})();
