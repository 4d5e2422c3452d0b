// The desired-state card of the fleet page: each device's desired
// settings against what it reports in force, the ones that differ marked,
// and an edit made against the revision shown (docs/desired-state.md).
// Everything from the network is put in with textContent, never as HTML.
(function () {
  "use strict";
  const body = document.getElementById("desired-body");
  const note = document.getElementById("desired-note");
  const keySel = document.getElementById("desired-key");
  const setSel = document.getElementById("desired-setting");
  const valueIn = document.getElementById("desired-value");
  const reply = document.getElementById("desired-reply");
  if (!body) return;
  let view = null;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function revisionOf(key) {
    if (!view) return 0;
    if (key === "_default") return view.default.revision;
    const d = view.devices.find((r) => r.id === key);
    return d ? d.own.revision : 0;
  }

  function render() {
    body.replaceChildren();
    if (view.problem) {
      note.textContent = view.problem;
      return;
    }
    let differ = 0;
    for (const row of view.devices) {
      const tr = el("tr");
      const n = (row.differs || []).length;
      if (n > 0 || row.problem) {
        tr.className = "differs";
        differ++;
      }
      tr.dataset.id = row.id;
      tr.append(el("td", row.id), el("td", String(row.own.revision)), el("td", row.reported ? String(row.applied_revision) : "–"));
      const want = [], diff = [];
      for (const [k, v] of Object.entries(row.desired || {}).sort()) want.push(k + "=" + v);
      for (const d of row.differs || []) diff.push(d.Setting + ": " + d.Desired + " wanted, " + (d.InForce || "none") + " in force" + (d.Why ? " (" + d.Why + ")" : ""));
      tr.append(el("td", want.join(", ") || "—"));
      tr.append(el("td", row.problem || (diff.length ? diff.join("; ") : "as desired"), diff.length || row.problem ? "bad" : "ok"));
      body.append(tr);
    }
    note.textContent = view.devices.length + " device(s), " + differ + " differ; fleet default at revision " + view.default.revision +
      " " + JSON.stringify(view.default.settings);
    const keys = ["_default"].concat(view.devices.map((r) => r.id));
    const was = keySel.value;
    keySel.replaceChildren(...keys.map((k) => { const o = el("option", k === "_default" ? "fleet default" : k); o.value = k; return o; }));
    if (keys.includes(was)) keySel.value = was;
    if (setSel.options.length === 0) {
      setSel.replaceChildren(...view.fields.map((f) => { const o = el("option", f); o.value = f; return o; }));
    }
  }

  async function load() {
    try {
      const r = await fetch("fleet/desired");
      view = await r.json();
      render();
    } catch (e) {
      note.textContent = "desired state: " + e;
    }
  }

  async function edit(op) {
    const key = keySel.value, setting = setSel.value;
    const fields = new URLSearchParams({ key: key, revision: String(revisionOf(key)) });
    if (op === "set") fields.append("set", setting + "=" + valueIn.value);
    else fields.append("unset", setting);
    const r = await fetch("fleet/desired", { method: "POST", body: fields });
    const text = await r.text();
    let msg = text;
    try { const j = JSON.parse(text); msg = j.revision !== undefined ? key + " now at revision " + j.revision : (j.error || text); } catch (_) { /* plain text */ }
    reply.textContent = (r.ok ? "" : r.status === 409 ? "Not written: " : "Refused: ") + msg;
    reply.className = r.ok ? "ok" : "bad";
    load();
  }

  document.getElementById("desired-set").addEventListener("click", () => edit("set"));
  document.getElementById("desired-unset").addEventListener("click", () => edit("unset"));
  load();
  setInterval(load, 5000);
})();
