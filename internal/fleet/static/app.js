// Sense HAT emulator: the simulation panel of the fleet page (loaded by
// fleet.js when the page is served by `sensehat emulate`). Plain JS, no
// framework, no build step.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  // The LEDs show 5-bit PWM duties, which are linear light (the host's
  // gamma table was applied before they reached the ATtiny). A screen
  // expects sRGB, so encode duty/31 with the sRGB transfer curve.
  const srgb = new Array(32);
  for (let d = 0; d < 32; d++) {
    const l = d / 31;
    const v = l <= 0.0031308 ? 12.92 * l : 1.055 * Math.pow(l, 1 / 2.4) - 0.055;
    srgb[d] = Math.round(255 * v);
  }

  // --- matrix -----------------------------------------------------------
  const matrix = $("matrix");
  const leds = [];
  for (let i = 0; i < 64; i++) {
    const el = document.createElement("div");
    el.className = "led";
    matrix.appendChild(el);
    leds.push(el);
  }
  const state = { frames: 0, lit: 0, duties: new Uint8Array(192) };

  function showFrame(hex) {
    const duty = state.duties;
    for (let i = 0; i < 192; i++) duty[i] = parseInt(hex.substr(2 * i, 2), 16) & 0x1f;
    let lit = 0;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const o = y * 24 + x;
        const r = duty[o], g = duty[o + 8], b = duty[o + 16];
        const el = leds[y * 8 + x];
        if (r + g + b === 0) {
          el.classList.remove("on");
          continue;
        }
        lit++;
        // The core of a bright LED saturates to white on camera and to
        // the eye; a dim one does not.
        const hot = (Math.max(r, g, b) / 31) * 0.85;
        el.style.setProperty("--c", srgb[r] + ", " + srgb[g] + ", " + srgb[b]);
        el.style.setProperty("--hot", hot.toFixed(2));
        el.classList.add("on");
      }
    }
    state.lit = lit;
    state.frames++;
    matrix.dataset.lit = String(lit);
    matrix.dataset.frames = String(state.frames);
  }

  // A read-only handle for people poking at the page and for tests.
  window.sensehat = {
    lit: () => state.lit,
    frames: () => state.frames,
    pixel: (x, y) => {
      const o = y * 24 + x, d = state.duties;
      return [d[o], d[o + 8], d[o + 16]];
    },
  };

  // --- requests, in order -------------------------------------------------
  // A press and its release must reach the board in that order, so every
  // request waits for the one before it.
  let queue = Promise.resolve();
  function post(path, fields) {
    const body = new URLSearchParams(fields);
    queue = queue.then(() =>
      fetch(path, { method: "POST", body }).then(async (r) => {
        if (!r.ok) {
          const j = await r.json().catch(() => ({ error: r.statusText }));
          throw new Error(j.error || r.statusText);
        }
        return r.status === 204 ? null : r.json();
      })
    );
    const p = queue;
    queue = queue.catch(() => {});
    return p;
  }

  // --- joystick -----------------------------------------------------------
  // The daemon reads the joystick on an interrupt; a press released within
  // the same millisecond could be missed, as it would be on the board, so
  // every press is held for at least minHold.
  const minHold = 100;
  const held = new Map(); // key -> time pressed
  const buttons = {};
  document.querySelectorAll("#joystick button").forEach((b) => (buttons[b.dataset.key] = b));

  function press(key) {
    if (held.has(key)) return;
    held.set(key, performance.now());
    buttons[key].classList.add("down");
    post("api/joystick", { key, action: "press" }).catch(showError);
  }
  function release(key) {
    if (!held.has(key)) return;
    const wait = Math.max(0, held.get(key) + minHold - performance.now());
    held.delete(key);
    setTimeout(() => {
      if (held.has(key)) return; // pressed again meanwhile
      buttons[key].classList.remove("down");
      post("api/joystick", { key, action: "release" }).catch(showError);
    }, wait);
  }

  Object.entries(buttons).forEach(([key, b]) => {
    b.addEventListener("pointerdown", (e) => {
      e.preventDefault();
      b.setPointerCapture(e.pointerId);
      press(key);
    });
    for (const ev of ["pointerup", "pointercancel", "lostpointercapture"]) {
      b.addEventListener(ev, () => release(key));
    }
    b.addEventListener("contextmenu", (e) => e.preventDefault());
  });

  const keyMap = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right", Enter: "middle", " ": "middle" };
  function joyKey(e) {
    const t = e.target;
    // Arrow keys belong to a focused slider.
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return null;
    return keyMap[e.key] || null;
  }
  document.addEventListener("keydown", (e) => {
    const k = joyKey(e);
    if (!k) return;
    e.preventDefault();
    if (!e.repeat) press(k); // the daemon makes its own "held" events
  });
  document.addEventListener("keyup", (e) => {
    const k = joyKey(e);
    if (!k) return;
    e.preventDefault();
    release(k);
  });
  window.addEventListener("blur", () => held.forEach((_, k) => release(k)));

  // --- sliders --------------------------------------------------------------
  const form = $("conditions");
  const sliders = form.querySelectorAll("input[type=range]");
  const condError = $("cond-error");
  function showOutput(input) {
    form.querySelector('output[data-for="' + input.name + '"]').textContent = Number(input.value).toFixed(input.step < 1 ? 2 : 0);
  }
  function showError(err) {
    condError.textContent = String(err.message || err);
    condError.hidden = false;
  }
  // One request in flight per slider; the newest value wins.
  const pending = {};
  const inflight = {};
  function send(input) {
    pending[input.name] = input.value;
    if (inflight[input.name]) return;
    inflight[input.name] = true;
    const value = pending[input.name];
    delete pending[input.name];
    post("api/conditions", { [input.name]: value })
      .then(() => (condError.hidden = true))
      .catch(showError)
      .finally(() => {
        inflight[input.name] = false;
        if (input.name in pending) send(input);
      });
  }
  sliders.forEach((s) => {
    s.addEventListener("input", () => {
      showOutput(s);
      send(s);
    });
    s.addEventListener("change", () => send(s));
  });
  function showConditions(c) {
    sliders.forEach((s) => {
      if (document.activeElement === s || !(s.name in c)) return;
      s.value = c[s.name];
      showOutput(s);
    });
  }

  // --- colour sensor light --------------------------------------------------
  // A colour and a brightness become the four channels the simulated
  // sensor gathers per cycle: each colour channel is brightness × its
  // share of 255, and clear (no filter) is their sum.
  const lightColour = $("light_colour");
  const lightLevel = $("light_level");
  const lightForm = $("light");
  function lightFields() {
    const hex = lightColour.value;
    const level = Number(lightLevel.value);
    const ch = [1, 3, 5].map((i) => Math.round((level * parseInt(hex.substr(i, 2), 16) / 255) * 100) / 100);
    const clear = Math.min(1024, Math.round((ch[0] + ch[1] + ch[2]) * 100) / 100);
    return { light_red: ch[0], light_green: ch[1], light_blue: ch[2], light_clear: clear };
  }
  function showLightOutputs() {
    lightForm.querySelector('output[data-for="light_colour"]').textContent = lightColour.value;
    lightForm.querySelector('output[data-for="light_level"]').textContent = lightLevel.value;
  }
  // One request in flight; the newest setting wins.
  let lightInflight = false;
  let lightPending = false;
  function sendLight() {
    if (lightInflight) {
      lightPending = true;
      return;
    }
    lightInflight = true;
    lightPending = false;
    post("api/conditions", lightFields())
      .then(() => (condError.hidden = true))
      .catch(showError)
      .finally(() => {
        lightInflight = false;
        if (lightPending) sendLight();
      });
  }
  for (const el of [lightColour, lightLevel]) {
    el.addEventListener("input", () => {
      showLightOutputs();
      sendLight();
    });
    el.addEventListener("change", sendLight);
  }
  function showLight(c) {
    if (!("light_red" in c) || document.activeElement === lightColour || document.activeElement === lightLevel) return;
    const rgb = [c.light_red, c.light_green, c.light_blue];
    const level = Math.max(...rgb);
    if (level > 0) {
      lightColour.value = "#" + rgb.map((v) => Math.round((v / level) * 255).toString(16).padStart(2, "0")).join("");
    }
    lightLevel.value = String(Math.round(level));
    showLightOutputs();
  }
  window.sensehat.light = lightFields;

  // --- readings and messages ------------------------------------------------
  const readings = $("readings");
  const latest = new Map();
  function fmt(v) {
    if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(2);
    if (Array.isArray(v)) return "[" + v.map(fmt).join(", ") + "]";
    if (v && typeof v === "object") return Object.entries(v).map(([k, x]) => k + " " + fmt(x)).join(", ");
    return String(v);
  }
  let readingsDirty = false;
  function renderReadings() {
    readingsDirty = false;
    readings.replaceChildren();
    for (const [subject, data] of latest) {
      const kind = subject.split(".").pop();
      let obj;
      try { obj = JSON.parse(data); } catch { obj = null; }
      if (!obj || typeof obj !== "object") continue;
      const add = (name, v) => {
        const dt = document.createElement("dt");
        dt.textContent = name;
        const dd = document.createElement("dd");
        dd.textContent = fmt(v);
        readings.append(dt, dd);
      };
      // Each quantity under its one name (internal/wire, quantities.go):
      // kind.field, and kind.field.x, .y, .z for a vector [x, y, z].
      for (const [k, v] of Object.entries(obj)) {
        if (k === "time") continue;
        if (Array.isArray(v) && v.length === 3) ["x", "y", "z"].forEach((a, i) => add(kind + "." + k + "." + a, v[i]));
        else add(kind + "." + k, v);
      }
    }
  }

  const messages = $("messages");
  const maxMessages = 60;
  function addMessage(m) {
    const li = document.createElement("li");
    li.className = m.dir;
    for (const [cls, text] of [["t", m.time], ["s", m.subject], ["d", m.data]]) {
      const span = document.createElement("span");
      span.className = cls;
      span.textContent = text;
      li.appendChild(span);
    }
    messages.prepend(li);
    while (messages.children.length > maxMessages) messages.lastChild.remove();
  }

  function onMessage(m) {
    if (m.subject.includes(".sensors.")) {
      latest.set(m.subject, m.data);
      if (!readingsDirty) {
        readingsDirty = true;
        requestAnimationFrame(renderReadings);
      }
      return;
    }
    addMessage(m);
  }

  // --- event stream ---------------------------------------------------------
  const link = $("link");
  function connect() {
    const es = new EventSource("events");
    es.onopen = () => {
      link.textContent = "live";
      link.classList.add("up");
    };
    es.onerror = () => {
      link.textContent = "reconnecting…";
      link.classList.remove("up");
    };
    es.addEventListener("frame", (e) => showFrame(e.data));
    es.addEventListener("conditions", (e) => {
      const c = JSON.parse(e.data);
      showConditions(c);
      showLight(c);
    });
    es.addEventListener("msg", (e) => onMessage(JSON.parse(e.data)));
  }
  connect();

  fetch("api/info")
    .then((r) => r.json())
    .then((info) => {
      const base = info.prefix + "." + info.id;
      $("devid").textContent = info.id;
      document.title = "Sense HAT " + info.id;
      const s = "--server " + info.nats_url;
      $("try").textContent = [
        "nats " + s + " pub " + base + ".led.text 'hello world'",
        "nats " + s + ' pub ' + base + '.led.text \'{"text":"Hi","color":"red","speed":12}\'',
        "nats " + s + " req " + base + ".status ''",
        "nats " + s + " req " + base + '.colour.config \'{"gain":16,"integration_cycles":64}\'',
        "nats " + s + " pub " + base + ".led.clear ''",
        "nats " + s + " sub '" + base + ".>'",
      ].join("\n");
    })
    .catch(() => {});
})();
