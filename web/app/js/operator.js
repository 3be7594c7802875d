// operator.js: the operator view: live dashboard, chargers (with those
// waiting for approval), one charger with its command panel and security,
// and sessions with filters and CSV export.

import * as API from "./api.js";
import { watch } from "./live.js";
import { LineChart } from "./chart.js";
import { approvalPanel, profileBadge, admissionBadge, securityCard } from "./security.js";
import { canChange, ROLE_LABEL } from "./account.js";
import {
  h, connectorIcon, typeLabel, kW, kWh, fixed, duration, when, ago,
  statusTone, statusLabel, badge, onlineBadge, feedback, asCharger, applyConnector,
} from "./ui.js";

const isOpen = (s) => s.status === "pending" || s.status === "active";
const table = (head, body, attrs = {}) => h("div", { class: "table-wrap" },
  h("table", attrs, h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))), body));

function tile(key, label) {
  const v = h("div", { class: "value", dataset: { value: key } }, "–");
  const note = h("div", { class: "small muted" });
  return { el: h("div", { class: "metric", dataset: { tile: key } }, h("div", { class: "label" }, label), v, note), set: (t, n = "") => { v.textContent = t; note.textContent = n; } };
}

function connectorBadges(c) {
  return h("div", { class: "row" }, c.connectors.map((k) => badge(`${k.connectorId}: ${c.online ? statusLabel(k.status) : "Offline"}`, statusTone(k.status, c.online))));
}

const midnight = () => { const d = new Date(); d.setHours(0, 0, 0, 0); return d; };

// --- Dashboard -------------------------------------------------------------

export async function dashboardScreen(main, _p, { alive, user }) {
  const chargers = new Map();
  const sessions = new Map(); // open sessions and sessions created today
  const load = async () => {
    const [cs, open, today] = await Promise.all([
      API.chargers(),
      API.listAll("/api/v1/sessions?status=pending,active"),
      todaySessions(),
    ]);
    chargers.clear(); sessions.clear();
    for (const c of cs) chargers.set(c.id, c);
    for (const s of [...today, ...open]) sessions.set(s.id, s);
  };
  // The chart starts with the last 30 minutes as the meter log has them,
  // then goes on live. Without them (an older server) it starts empty.
  const CHART_MS = 30 * 60 * 1000;
  const [, history] = await Promise.all([load(), API.powerHistory(new Date(Date.now() - CHART_MS), 15).catch(() => null)]);
  if (!alive()) return;

  const t = { online: tile("online", "Chargers online"), active: tile("active", "Sessions active"), power: tile("power", "Power now"), energy: tile("energy", "Energy today") };
  const chart = new LineChart({ label: "Total charging power, last 30 minutes", format: (w) => `${kW(w)} kW`, windowMs: CHART_MS, hold: true });
  if (history) {
    // Each bucket is a mean over its time: drawn at its middle.
    const until = +new Date(history.until), half = history.stepSeconds * 500;
    chart.addAll(history.items.map((b) => { const t = +new Date(b.time); return [Math.min(t + half, (t + until) / 2), b.powerW]; }));
  }
  const statuses = h("div", { class: "row", id: "status-counts" });
  const activeBody = h("tbody", {});
  const offlineList = h("ul", { class: "log", id: "offline" });
  const approvals = approvalPanel({ onChange: (c) => { chargers.set(c.id, c); draw(); }, readOnly: !canChange(user) });
  await approvals.load();
  if (!alive()) return;
  main.append(h("h1", {}, "Dashboard"), approvals.el, h("div", { class: "tiles" }, Object.values(t).map((x) => x.el)),
    h("h2", {}, "Power now, last 30 minutes"), h("div", { class: "card" }, chart.wrap),
    h("h2", {}, "Connectors"), h("div", { class: "card" }, statuses),
    h("h2", {}, "Active sessions"), table(["Charger", "Tag", "Started", "Power", "Energy"], activeBody, { id: "active-sessions" }),
    h("h2", {}, "Offline chargers"), h("div", { class: "card" }, offlineList));

  const powerNow = () => [...sessions.values()].filter((s) => s.status === "active").reduce((a, s) => a + (s.powerW || 0), 0);
  const draw = () => {
    const cs = [...chargers.values()];
    const online = cs.filter((c) => c.online).length;
    const open = [...sessions.values()].filter(isOpen);
    const since = midnight();
    const energy = [...sessions.values()].filter((s) => new Date(s.startedAt || s.createdAt) >= since).reduce((a, s) => a + s.energyWh, 0);
    t.online.set(`${online} / ${cs.length}`, cs.length - online ? `${cs.length - online} offline` : "all online");
    t.active.set(String(open.filter((s) => s.status === "active").length), open.some((s) => s.status === "pending") ? `${open.filter((s) => s.status === "pending").length} starting` : "");
    t.power.set(`${kW(powerNow())} kW`);
    t.energy.set(`${kWh(energy)} kWh`, "sessions started since midnight");

    const counts = {};
    for (const c of cs) for (const k of c.connectors) { const st = c.online ? k.status : "Offline"; counts[st] = (counts[st] || 0) + 1; }
    statuses.replaceChildren(...Object.entries(counts).sort().map(([st, n]) => badge(`${statusLabel(st)}: ${n}`, st === "Offline" ? "bad" : statusTone(st))));
    if (!cs.length) statuses.append(h("span", { class: "muted" }, "No chargers yet."));

    activeBody.replaceChildren(...open.map((s) => h("tr", {},
      h("td", {}, h("a", { href: `/operator/chargers/${encodeURIComponent(s.chargerId)}` }, s.chargerId), ` #${s.connectorId || "–"}`),
      h("td", {}, s.idTag), h("td", {}, when(s.startedAt || s.createdAt)),
      h("td", { class: "num" }, `${kW(s.powerW)} kW`), h("td", { class: "num" }, `${kWh(s.energyWh)} kWh`))));
    if (!open.length) activeBody.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No session is running.")));
    const off = cs.filter((c) => !c.online);
    offlineList.replaceChildren(...off.map((c) => h("li", {}, h("a", { href: `/operator/chargers/${encodeURIComponent(c.id)}` }, c.id), ` — last seen ${ago(c.lastSeenAt)}`)));
    if (!off.length) offlineList.append(h("li", { class: "muted" }, "None."));
  };
  draw();
  chart.add(Date.now(), powerNow());
  const sample = setInterval(() => { chart.add(Date.now(), powerNow()); draw(); }, 5000);
  watch({}, (e) => {
    approvals.onEvent(e);
    if (e.charger) chargers.set(e.charger.id, asCharger(e.charger));
    else if (e.type === "charger.disconnected") chargers.delete(e.chargerId); // deleted
    if (e.connector) applyConnector(chargers.get(e.chargerId), e.connector);
    if (e.session) sessions.set(e.session.id, e.session);
    if (e.type.startsWith("session.")) chart.add(Date.now(), powerNow());
    draw();
  }, async () => { await Promise.all([load(), approvals.load()]); draw(); });
  return () => clearInterval(sample);
}

async function todaySessions() {
  // Sessions come newest first: page until one was created before midnight.
  const since = midnight();
  const out = [];
  let cursor = "";
  for (let i = 0; i < 20; i++) {
    const p = await API.sessions({}, { limit: 1000, cursor });
    for (const s of p.items) {
      if (new Date(s.createdAt) < since) return out;
      out.push(s);
    }
    cursor = p.nextCursor;
    if (!cursor) break;
  }
  return out;
}

// --- Chargers --------------------------------------------------------------

export async function chargersScreen(main, _p, { alive, user }) {
  const upsert = (c) => {
    const i = all.findIndex((x) => x.id === c.id);
    if (i >= 0) all[i] = c; else all.push(c);
  };
  const approvals = approvalPanel({ onChange: (c) => { upsert(c); draw(); }, readOnly: !canChange(user) });
  let [all] = await Promise.all([API.chargers(), approvals.load()]);
  if (!alive()) return;
  const body = h("tbody", {});
  const input = h("input", { id: "filter", type: "search", placeholder: "Id, vendor, model, firmware, Pending" });
  main.append(h("h1", {}, "Chargers"), approvals.el, h("div", { class: "filters" }, h("div", {}, h("label", { for: "filter" }, "Filter"), input)),
    table(["Charger", "State", "Admission", "Security", "Last seen", "Vendor / model", "Firmware", "OCPP", "Connectors"], body, { id: "chargers" }));
  const draw = () => {
    const q = input.value.trim().toLowerCase();
    const rows = all.filter((c) => !q || [c.id, c.vendor, c.model, c.firmwareVersion, c.admission].some((s) => (s || "").toLowerCase().includes(q)));
    body.replaceChildren(...rows.map((c) => h("tr", { dataset: { charger: c.id } },
      h("td", {}, h("a", { href: `/operator/chargers/${encodeURIComponent(c.id)}` }, c.id)),
      // The boot answer, when it says more than the admission does.
      h("td", {}, onlineBadge(c.online), c.registrationStatus && c.registrationStatus !== "Accepted" && c.registrationStatus !== c.admission ? [" ", badge(c.registrationStatus, "warn")] : ""),
      h("td", { dataset: { col: "admission" } }, admissionBadge(c.admission)),
      h("td", { dataset: { col: "security" } }, profileBadge(c.securityProfile)),
      h("td", { title: c.lastSeenAt || "" }, ago(c.lastSeenAt)),
      h("td", {}, [c.vendor, c.model].filter(Boolean).join(" ") || "–"),
      h("td", {}, c.firmwareVersion || "–"),
      h("td", {}, c.ocppVersion || "–"),
      h("td", {}, connectorBadges(c)))));
    if (!rows.length) body.append(h("tr", {}, h("td", { colspan: 9, class: "muted" }, "No chargers.")));
  };
  input.addEventListener("input", draw);
  draw();
  const tick = setInterval(draw, 15000); // keep "last seen" honest
  watch({}, (e) => {
    approvals.onEvent(e);
    if (e.charger) upsert(asCharger(e.charger));
    else if (e.type === "charger.disconnected") all = all.filter((c) => c.id !== e.chargerId); // deleted
    else if (!e.connector || !applyConnector(all.find((c) => c.id === e.chargerId), e.connector)) return;
    draw();
  }, async () => { [all] = await Promise.all([API.chargers(), approvals.load()]); draw(); });
  return () => clearInterval(tick);
}

// --- One charger -----------------------------------------------------------

const EVENT_TEXT = {
  "charger.connected": "connected",
  "charger.disconnected": "disconnected",
  "charger.booted": "booted (BootNotification)",
  "charger.updated": "updated",
  "connector.status": "connector status",
  "session.pending": "session requested",
  "session.started": "session started",
  "session.meter": "meter values",
  "session.stopped": "session stopped",
  "session.failed": "session failed",
  "session.updated": "session updated",
};

function describe(e) {
  let text = EVENT_TEXT[e.type] || e.type;
  if (e.connector) {
    const k = e.connector; // connector 0 is the charger itself (OCPP 1.6)
    text = `${k.connectorId ? `${text} — connector ${k.connectorId}` : "charger status"}: ${k.status}${k.errorCode && k.errorCode !== "NoError" ? ` (${k.errorCode})` : ""}`;
  }
  if (e.type === "charger.booted" && e.charger) text += ` — firmware ${e.charger.firmwareVersion || "?"}`;
  if (e.session && e.type !== "session.meter") text += ` — ${e.session.idTag} on connector ${e.session.connectorId || "?"}`;
  if (e.type === "session.meter" && e.session) text += ` — ${kW(e.session.powerW)} kW, ${kWh(e.session.energyWh)} kWh`;
  return text;
}

export async function chargerScreen(main, { id }, { alive, navigate, user }) {
  let c = await API.charger(id);
  if (!alive()) return;
  // A viewer sees everything; the forms that change the charger or send
  // it a command are disabled (the API would answer 403 anyway).
  const readOnly = !canChange(user);
  const security = securityCard(c, { navigate, onChange: (x) => { c = x; draw(); }, readOnly });
  await security.load();
  if (!alive()) return;
  const facts = h("dl", { class: "facts", id: "facts" });
  const state = h("span", { id: "charger-online" });
  const connBody = h("tbody", {});
  const log = h("ol", { class: "log", id: "activity", "aria-live": "polite" }, h("li", { class: "muted" }, "Waiting for events…"));
  let logEmpty = true;
  const result = h("pre", { class: "result", id: "command-result", "aria-live": "polite", hidden: true });
  const resultNote = h("div", { id: "command-status", class: "feedback", role: "status" });

  const draw = () => {
    state.replaceChildren(onlineBadge(c.online));
    const rows = [
      ["Last seen", ago(c.lastSeenAt)], ["Last boot", when(c.lastBootAt)], ["Registration", c.registrationStatus || "–"],
      ["Vendor / model", [c.vendor, c.model].filter(Boolean).join(" ") || "–"], ["Serial", c.serialNumber || "–"],
      ["Firmware", c.firmwareVersion || "–"], ["OCPP", c.ocppVersion || "–"], ["Charger status", c.status || "–"],
    ];
    if (c.firmwareStatus) rows.push(["Firmware update", c.firmwareStatus]);
    facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    security.update(c);
    connBody.replaceChildren(...c.connectors.map((k) => h("tr", { dataset: { connector: k.connectorId } },
      h("td", {}, String(k.connectorId)),
      h("td", {}, h("span", { class: "conn" }, connectorIcon(k.type), typeLabel(k.type))),
      h("td", { class: "num" }, k.maxPowerW ? `${kW(k.maxPowerW)} kW` : "–"),
      h("td", {}, badge(c.online ? statusLabel(k.status) : `Offline (last: ${statusLabel(k.status)})`, statusTone(k.status, c.online))),
      h("td", {}, k.errorCode || "–"),
      h("td", {}, ago(k.updatedAt)))));
    if (fillChoices) fillChoices();
  };
  let fillChoices = null; // set once the command panel exists

  const addEvent = (e) => {
    if (logEmpty) { log.replaceChildren(); logEmpty = false; }
    log.prepend(h("li", { dataset: { type: e.type } }, h("time", { datetime: e.time }, when(e.time)), " ", describe(e)));
    while (log.children.length > 100) log.lastChild.remove();
  };

  // Command panel: one small form per OCPP action.
  const field = (label, el) => { el.id = el.id || `f-${Math.random().toString(36).slice(2, 8)}`; return h("div", {}, h("label", { for: el.id }, label), el); };
  const select = (id, opts) => h("select", { id }, opts.map((o) => (o instanceof Node ? o : h("option", { value: o }, o))));
  // A connector list follows the charger's connectors, which may be
  // reported after the page opened: first its fixed choices (the whole
  // charger, any), then each connector. It keeps its choice, or shows the
  // first; with nothing to choose it says so (value "").
  const connectorSelect = (id, fixed = []) => {
    const el = h("select", { id });
    el.fill = () => {
      const opts = [...fixed.map(([v, label]) => [String(v), label]), ...c.connectors.map((k) => [String(k.connectorId), `Connector ${k.connectorId}`])];
      if (!opts.length) opts.push(["", "No connectors reported yet"]);
      const same = el.options.length === opts.length && opts.every(([v, label], i) => el.options[i].value === v && el.options[i].textContent === label);
      if (same) return false;
      const was = el.value;
      el.replaceChildren(...opts.map(([v, label]) => h("option", { value: v }, label)));
      el.value = opts.some(([v]) => v === was) ? was : opts[0][0];
      return el.value !== was;
    };
    el.fill();
    return el;
  };
  const connectorOf = (sel) => {
    const n = Number(sel.value);
    if (!sel.value || !Number.isInteger(n) || n < 1) throw new Error("choose one of the charger's connectors");
    return n;
  };
  // run sends a typed, version-free command (Joule translates it for 1.6
  // and 2.0.1 chargers) and shows the charger's answer.
  const GOOD = new Set(["Accepted", "Unlocked", "Scheduled", "RebootRequired"]);
  const run = async (action, send, button) => {
    button.disabled = true;
    result.hidden = true;
    feedback(resultNote, "wait", `${action}: waiting for the charger…`);
    try {
      const r = await send();
      if (Array.isArray(r.keys)) { // a configuration read
        const unknown = r.unknownKeys || [];
        feedback(resultNote, unknown.length && !r.keys.length ? "bad" : "ok",
          `${action}: ${r.keys.length} key${r.keys.length === 1 ? "" : "s"}${unknown.length ? `, unknown: ${unknown.join(", ")}` : ""}`);
        result.textContent = r.keys.map((k) => `${k.key} = ${k.value ?? "(no value)"}${k.readonly ? " (read-only)" : ""}`).join("\n") || "(none)";
      } else {
        feedback(resultNote, GOOD.has(r.status) ? "ok" : "bad", `${action}: ${r.status}`);
        result.textContent = JSON.stringify(r, null, 2);
      }
      result.hidden = false;
    } catch (e) {
      feedback(resultNote, "bad", `${action}: ${API.explain(e, "send the command").replace(/^Could not send the command: /, "")}`);
    } finally {
      button.disabled = false;
    }
  };
  const form = (name, title, fields, send, danger) => {
    const b = h("button", { type: "submit", class: danger ? "danger" : "primary", id: `cmd-${name}` }, title);
    const f = h("form", { class: "card", "aria-label": title }, h("h3", {}, title), ...fields, b);
    f.addEventListener("submit", (ev) => { ev.preventDefault(); run(name, send, b); });
    return f;
  };
  // OCPP 2.0.1 has a device model instead of flat keys: Component.Variable.
  const v201 = c.ocppVersion === "ocpp2.0.1";
  const resetType = select("reset-type", ["Soft", "Hard"]);
  const unlockConn = connectorSelect("unlock-connector");
  const availConn = connectorSelect("avail-connector", [[0, "0 — whole charger"]]);
  const availType = select("avail-type", ["Operative", "Inoperative"]);
  const getKeys = h("input", { id: "get-keys", placeholder: "empty = all keys" });
  const setKey = h("input", { id: "set-key", placeholder: v201 ? "SampledDataCtrlr.TxUpdatedInterval" : "MeterValueSampleInterval", required: true });
  const setValue = h("input", { id: "set-value", placeholder: "60" });
  const keyHint = h("p", { class: "small muted" }, v201 ? "OCPP 2.0.1 keys are Component.Variable, e.g. SampledDataCtrlr.TxUpdatedInterval (EVSE@1.AvailabilityState for one EVSE)." : "OCPP 1.6 configuration keys, e.g. MeterValueSampleInterval.");
  const trigMsg = select("trigger-message", ["StatusNotification", "BootNotification", "Heartbeat", "MeterValues", "DiagnosticsStatusNotification", "FirmwareStatusNotification"]
    .map((m) => h("option", { value: m }, v201 && m === "DiagnosticsStatusNotification" ? "LogStatusNotification" : m)));
  const trigConn = connectorSelect("trigger-connector", [["", "Any / whole charger"]]);
  const keysOf = (s) => s.split(",").map((k) => k.trim()).filter(Boolean);
  const commands = h("fieldset", { class: "commands", id: "commands", disabled: readOnly, "aria-describedby": readOnly ? "read-only" : undefined },
    form("Reset", "Reset", [field("Type", resetType)], () => API.reset(c.id, resetType.value), true),
    form("UnlockConnector", "Unlock connector", [field("Connector", unlockConn)], async () => API.unlock(c.id, connectorOf(unlockConn))),
    form("ChangeAvailability", "Change availability", [field("Connector", availConn), field("Availability", availType)],
      () => API.changeAvailability(c.id, +availConn.value, availType.value)),
    form("GetConfiguration", "Get configuration", [field("Keys (comma separated)", getKeys)], async () => {
      // The answer is the whole stored configuration; show the keys asked for.
      const ks = keysOf(getKeys.value), asked = new Set(ks.map((k) => k.toLowerCase()));
      const r = await API.readConfiguration(c.id, ks);
      if (!ks.length) return r;
      const pick = (k) => asked.has(k.toLowerCase());
      return { ...r, keys: r.keys.filter((k) => pick(k.key)), unknownKeys: (r.unknownKeys || []).filter(pick) };
    }),
    form("ChangeConfiguration", "Change configuration", [field("Key", setKey), field("Value", setValue), keyHint],
      () => API.changeConfiguration(c.id, setKey.value.trim(), setValue.value)),
    form("TriggerMessage", "Trigger message", [field("Message", trigMsg), field("Connector", trigConn)],
      () => API.trigger(c.id, trigMsg.value, +trigConn.value || 0)));

  // Connector facts OCPP 1.6 does not report: type and rating.
  const edConn = connectorSelect("edit-connector");
  const edType = select("edit-type", [h("option", { value: "" }, "Unknown"), ...["CCS2", "CHAdeMO", "Type2", "CCS1", "Type1"].map((t) => h("option", { value: t }, typeLabel(t)))]);
  const edPower = h("input", { id: "edit-power", type: "number", min: 0, step: "0.1", inputmode: "decimal" });
  const edNote = h("div", { class: "feedback", role: "status" });
  const edSave = h("button", { type: "submit", class: "primary" }, "Save connector");
  const edit = h("form", { class: "card", "aria-label": "Connector type and rating" }, h("fieldset", { disabled: readOnly }, h("h3", {}, "Connector type and rating"),
    h("div", { class: "filters" }, field("Connector", edConn), field("Type", edType), field("Max power (kW)", edPower)), edNote, edSave));
  const fillEdit = () => { const k = c.connectors.find((k) => k.connectorId === +edConn.value); if (k) { edType.value = k.type || ""; edPower.value = k.maxPowerW ? k.maxPowerW / 1000 : ""; } };
  edConn.addEventListener("change", fillEdit);
  fillEdit();
  const unlockButton = commands.querySelector("#cmd-UnlockConnector");
  fillChoices = () => {
    for (const sel of [unlockConn, availConn, trigConn]) sel.fill();
    if (edConn.fill()) fillEdit();
    unlockButton.disabled = !c.connectors.length;
    edSave.disabled = !c.connectors.length;
  };
  fillChoices();
  edit.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    edSave.disabled = true;
    try {
      const k = await API.api(`/api/v1/chargers/${encodeURIComponent(c.id)}/connectors/${connectorOf(edConn)}`, { method: "PATCH", body: { type: edType.value, maxPowerW: Math.round((+edPower.value || 0) * 1000) } });
      const i = c.connectors.findIndex((x) => x.connectorId === k.connectorId);
      if (i >= 0) c.connectors[i] = k;
      draw();
      feedback(edNote, "ok", "Saved.");
    } catch (e) { feedback(edNote, "bad", e.message); } finally { edSave.disabled = false; }
  });

  main.append(h("p", {}, h("a", { href: "/operator/chargers" }, "← Chargers")),
    h("div", { class: "row" }, h("h1", {}, c.id), state),
    h("div", { class: "card" }, facts),
    h("h2", {}, "Connectors"), table(["#", "Type", "Max", "Status", "Error", "Updated"], connBody, { id: "connectors" }),
    security.el,
    h("h2", {}, "Commands"),
    readOnly ? h("p", { class: "feedback warn", id: "read-only" }, `You are signed in as ${ROLE_LABEL[user.role] || user.role}: you can see this charger but not send it commands or change it.`) : "",
    resultNote, result, commands,
    h("h2", { id: "activity-h" }, "Recent activity"),
    h("p", { class: "small muted" }, "Live events for this charger since this page was opened (connections, boots, status changes, sessions). This is not a log of raw OCPP messages."),
    h("div", { class: "card" }, log),
    h("h2", {}, "Settings"), edit);
  draw();
  const tick = setInterval(draw, 15000);
  watch({ chargerId: id }, (e) => {
    if (e.type.startsWith("charger.")) security.refresh(); // a connection or boot may have been recorded
    if (e.charger) c = asCharger(e.charger);
    else if (e.connector) applyConnector(c, e.connector, { add: true });
    addEvent(e);
    draw();
  }, async () => { c = await API.charger(id); draw(); security.refresh(); });
  return () => { clearInterval(tick); security.stop(); };
}

// --- Sessions --------------------------------------------------------------

export async function sessionsScreen(main, _p, { alive }) {
  const params = new URLSearchParams(location.search);
  const fCharger = h("input", { id: "f-charger", value: params.get("chargerId") || "", autocomplete: "off" });
  const fTag = h("input", { id: "f-tag", value: params.get("idTag") || "", autocomplete: "off" });
  const fStatus = h("select", { id: "f-status" }, ["", "pending,active", "active", "finished", "failed"].map((v) =>
    h("option", { value: v, selected: (params.get("status") || "") === v }, v === "" ? "Any" : v === "pending,active" ? "open" : v)));
  const exportLink = h("a", { class: "button", id: "export", download: "sessions.csv" }, "Export CSV");
  const filters = h("form", { class: "filters", role: "search", "aria-label": "Filter sessions" },
    h("div", {}, h("label", { for: "f-charger" }, "Charger"), fCharger),
    h("div", {}, h("label", { for: "f-tag" }, "Id tag"), fTag),
    h("div", {}, h("label", { for: "f-status" }, "Status"), fStatus),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Apply"), exportLink));
  const body = h("tbody", {});
  const more = h("button", { type: "button", hidden: true }, "Load more");
  main.append(h("h1", {}, "Sessions"), filters,
    table(["Started", "Charger", "Tag", "Status", "Energy", "Power", "Duration", "Stop reason"], body, { id: "sessions" }), h("p", {}, more));

  let items = [];
  let cursor = "";
  const filter = () => ({ chargerId: fCharger.value.trim(), idTag: fTag.value.trim(), status: fStatus.value });
  const q = () => { const p = new URLSearchParams(); for (const [k, v] of Object.entries(filter())) if (v) p.set(k, v); return p; };
  const row = (s) => h("tr", { dataset: { session: s.id } },
    h("td", {}, when(s.startedAt || s.createdAt)),
    h("td", {}, h("a", { href: `/operator/chargers/${encodeURIComponent(s.chargerId)}` }, s.chargerId), ` #${s.connectorId || "–"}`),
    h("td", {}, s.idTag),
    h("td", {}, badge(s.status, { active: "info", pending: "info", finished: "ok", failed: "bad" }[s.status] || "muted"), s.failureReason ? h("div", { class: "small muted" }, s.failureReason) : ""),
    h("td", { class: "num" }, `${kWh(s.energyWh)} kWh`),
    h("td", { class: "num" }, s.status === "active" ? `${kW(s.powerW)} kW` : "–"),
    h("td", { class: "num" }, s.startedAt ? duration((s.stoppedAt ? new Date(s.stoppedAt) : Date.now()) - new Date(s.startedAt)) : "–"),
    h("td", {}, s.stopReason || "–"));
  const draw = () => {
    body.replaceChildren(...items.map(row));
    if (!items.length) body.append(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No sessions match.")));
    more.hidden = !cursor;
    const p = q();
    exportLink.href = `/api/v1/sessions.csv${p.toString() ? "?" + p : ""}`;
  };
  const load = async (reset) => {
    if (reset) { items = []; cursor = ""; }
    const p = await API.sessions(filter(), { limit: 100, cursor });
    if (!alive()) return;
    items.push(...p.items);
    cursor = p.nextCursor;
    draw();
  };
  filters.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = q();
    history.replaceState(null, "", `/operator/sessions${p.toString() ? "?" + p : ""}`);
    load(true);
  });
  more.addEventListener("click", () => load(false));
  await load(true);
  if (!alive()) return; // left while loading: the next screen has the stream
  watch({}, (e) => {
    if (!e.session) return;
    const s = e.session, f = filter();
    const i = items.findIndex((x) => x.id === s.id);
    if (i >= 0) items[i] = s;
    else if ((!f.chargerId || f.chargerId === s.chargerId) && (!f.idTag || f.idTag === s.idTag) && (!f.status || f.status.split(",").includes(s.status))) items.unshift(s);
    else return;
    draw();
  }, () => load(true));
}
