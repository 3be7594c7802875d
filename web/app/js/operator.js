// operator.js: the operator view: live dashboard, chargers (with those
// waiting for approval), one charger with its command panel and security,
// and sessions with filters and CSV export.

import * as API from "./api.js";
import { watch } from "./live.js";
import { LineChart } from "./chart.js";
import { approvalPanel, profileBadge, admissionBadge, securityCard } from "./security.js";
import { canChange, ROLE_LABEL } from "./account.js";
import { addressLine, groupBySite, siteMap, siteSelect } from "./sites.js";
import { sessionCost } from "./money.js";
import {
  h, connectorIcon, typeLabel, kW, kWh, fixed, duration, when, ago,
  statusTone, statusLabel, badge, onlineBadge, feedback, asCharger, applyConnector, chargerName, sentence, byName,
  CONNECTOR_TYPES, COMMON_CONNECTOR_TYPES, POWER_TYPES, FORMATS, ROTATIONS, powerTypeLabel, formatLabel,
} from "./ui.js";

const isOpen = (s) => s.status === "pending" || s.status === "active";
const table = (head, body, attrs = {}) => h("div", { class: "table-wrap" },
  h("table", attrs, h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))), body));

function tile(key, label) {
  const v = h("div", { class: "value", dataset: { value: key } }, "–");
  const note = h("div", { class: "small muted" });
  return { el: h("div", { class: "metric", dataset: { tile: key } }, h("div", { class: "label" }, label), v, note), set: (t, n = "") => { v.textContent = t; note.textContent = n; } };
}

// OCPP versions as operators name them; the API's values are the
// WebSocket subprotocols (and ocpp1.5s / ocpp1.6s for SOAP chargers).
const OCPP_LABELS = { "ocpp1.6": "OCPP 1.6J", "ocpp2.0.1": "OCPP 2.0.1", "ocpp1.5s": "OCPP 1.5 SOAP", "ocpp1.6s": "OCPP 1.6 SOAP" };
const ocppLabel = (v) => (v ? OCPP_LABELS[v] || v : "–");

function connectorBadges(c) {
  return h("div", { class: "row" }, c.connectors.map((k) => badge(`${k.connectorId}: ${c.online ? statusLabel(k.status) : "Offline"}`, statusTone(k.status, c.online))));
}

// --- Dashboard -------------------------------------------------------------

export async function dashboardScreen(main, _p, { alive, user }) {
  const chargers = new Map();
  const sessions = new Map(); // open sessions
  let summary = null; // today's and the last 30 days' numbers, as the server counts them
  const loadSummary = async () => {
    summary = await API.reportSummary(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC").catch(() => summary);
  };
  const load = async () => {
    const [cs, open] = await Promise.all([
      API.chargers(),
      API.listAll("/api/v1/sessions?status=pending,active"),
      loadSummary(),
    ]);
    chargers.clear(); sessions.clear();
    for (const c of cs) chargers.set(c.id, c);
    for (const s of open) sessions.set(s.id, s);
  };
  // The chart starts with the last 30 minutes as the meter log has them,
  // then goes on live. Without them (an older server) it starts empty.
  const CHART_MS = 30 * 60 * 1000;
  const [, history] = await Promise.all([load(), API.powerHistory(new Date(Date.now() - CHART_MS), 15).catch(() => null)]);
  if (!alive()) return;

  const t = { online: tile("online", "Chargers online"), active: tile("active", "Sessions active"), power: tile("power", "Power now"), energy: tile("energy", "Energy today"),
    sessions: tile("sessions", "Sessions today"), revenue: tile("revenue", "Revenue today"), utilisation: tile("utilisation", "Utilisation today"),
    availability: tile("availability", "Availability, 30 days") };
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
    t.online.set(`${online} / ${cs.length}`, cs.length - online ? `${cs.length - online} offline` : "all online");
    t.active.set(String(open.filter((s) => s.status === "active").length), open.some((s) => s.status === "pending") ? `${open.filter((s) => s.status === "pending").length} starting` : "");
    t.power.set(`${kW(powerNow())} kW`);
    if (summary) {
      const d = summary.today, m = summary.last30Days;
      const money = (list) => (list.length ? list.map((x) => `${x.amount} ${x.currency}`).join(" + ") : "–");
      t.energy.set(`${kWh(d.energyWh)} kWh`, "sessions started since midnight");
      t.sessions.set(String(d.sessions), `${m.sessions} in 30 days`);
      t.revenue.set(money(d.revenue), "sessions finished since midnight");
      t.utilisation.set(`${fixed(d.utilisation * 100, 1)} %`, `${fixed(m.utilisation * 100, 1)} % over 30 days`);
      t.availability.set(`${fixed(m.availability * 100, 1)} %`, "time chargers were online");
    }

    const counts = {};
    for (const c of cs) for (const k of c.connectors) { const st = c.online ? k.status : "Offline"; counts[st] = (counts[st] || 0) + 1; }
    statuses.replaceChildren(...Object.entries(counts).sort().map(([st, n]) => badge(`${statusLabel(st)}: ${n}`, st === "Offline" ? "bad" : statusTone(st))));
    if (!cs.length) statuses.append(h("span", { class: "muted" }, "No chargers yet."));

    activeBody.replaceChildren(...open.map((s) => h("tr", {},
      h("td", {}, h("a", { href: `/operator/chargers/${encodeURIComponent(s.chargerId)}` }, chargerName(chargers.get(s.chargerId)) || s.chargerId), ` #${s.connectorId || "–"}`),
      h("td", {}, s.idTag), h("td", {}, when(s.startedAt || s.createdAt)),
      h("td", { class: "num" }, `${kW(s.powerW)} kW`), h("td", { class: "num" }, `${kWh(s.energyWh)} kWh`))));
    if (!open.length) activeBody.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No session is running.")));
    const off = cs.filter((c) => !c.online);
    offlineList.replaceChildren(...off.map((c) => h("li", {}, h("a", { href: `/operator/chargers/${encodeURIComponent(c.id)}` }, chargerName(c)), ` — last seen ${ago(c.lastSeenAt)}`)));
    if (!off.length) offlineList.append(h("li", { class: "muted" }, "None."));
  };
  draw();
  chart.add(Date.now(), powerNow());
  const sample = setInterval(() => { chart.add(Date.now(), powerNow()); draw(); }, 5000);
  const numbers = setInterval(() => loadSummary().then(() => alive() && draw()), 30000);
  // A session's news changes today's numbers: ask again, at most every 2 s.
  let soon = 0;
  const refreshSoon = () => {
    if (!soon) soon = setTimeout(async () => { await loadSummary(); soon = 0; if (alive()) draw(); }, 2000);
  };
  watch({}, (e) => {
    approvals.onEvent(e);
    if (e.charger) chargers.set(e.charger.id, asCharger(e.charger));
    else if (e.type === "charger.disconnected") chargers.delete(e.chargerId); // deleted
    if (e.connector) applyConnector(chargers.get(e.chargerId), e.connector);
    if (e.session) sessions.set(e.session.id, e.session);
    if (e.type.startsWith("session.")) { chart.add(Date.now(), powerNow()); refreshSoon(); }
    draw();
  }, async () => { await Promise.all([load(), approvals.load()]); draw(); });
  return () => { clearInterval(sample); clearInterval(numbers); clearTimeout(soon); };
}

// --- Chargers --------------------------------------------------------------

// chargersScreen lists the chargers grouped by site: each site a row
// group headed by its name, address and count; chargers at no site last.
export async function chargersScreen(main, _p, { alive, user }) {
  const upsert = (c) => {
    const i = all.findIndex((x) => x.id === c.id);
    if (i >= 0) all[i] = c; else all.push(c);
  };
  const approvals = approvalPanel({ onChange: (c) => { upsert(c); draw(); }, readOnly: !canChange(user) });
  let [all, list] = await Promise.all([API.chargers(), API.sites(), approvals.load()]);
  if (!alive()) return;
  const sites = siteMap(list);
  const tbl = table(["Charger", "State", "Admission", "Security", "Last seen", "Vendor / model", "Firmware", "OCPP", "Connectors"], [], { id: "chargers" });
  const t = tbl.querySelector("table");
  const input = h("input", { id: "filter", type: "search", placeholder: "Name, id, site, vendor, model, firmware, Pending" });
  // The site filter: ?site=<id> (the Sites page links here), or "none".
  const only = h("select", { id: "site-filter" });
  const fillOnly = () => {
    const want = only.value || new URLSearchParams(location.search).get("site") || "";
    only.replaceChildren(h("option", { value: "" }, "All sites"),
      ...[...sites.values()].sort((a, b) => byName(a.name, b.name)).map((x) => h("option", { value: x.id }, x.name)),
      h("option", { value: "none" }, "Not at a site"));
    only.value = [...only.options].some((o) => o.value === want) ? want : "";
  };
  only.addEventListener("change", () => {
    history.replaceState(null, "", `/operator/chargers${only.value ? `?site=${encodeURIComponent(only.value)}` : ""}`);
    draw();
  });
  main.append(h("h1", {}, "Chargers"), approvals.el,
    h("div", { class: "filters" }, h("div", {}, h("label", { for: "filter" }, "Filter"), input), h("div", {}, h("label", { for: "site-filter" }, "Site"), only)), tbl);
  const COLS = 9;
  const row = (c) => h("tr", { dataset: { charger: c.id } },
    h("td", {}, h("a", { href: `/operator/chargers/${encodeURIComponent(c.id)}` }, chargerName(c)), c.name ? h("div", { class: "small muted code" }, c.id) : ""),
    // The boot answer, when it says more than the admission does.
    h("td", {}, onlineBadge(c.online), c.registrationStatus && c.registrationStatus !== "Accepted" && c.registrationStatus !== c.admission ? [" ", badge(c.registrationStatus, "warn")] : ""),
    h("td", { dataset: { col: "admission" } }, admissionBadge(c.admission)),
    h("td", { dataset: { col: "security" } }, profileBadge(c.securityProfile)),
    h("td", { title: c.lastSeenAt || "" }, ago(c.lastSeenAt)),
    h("td", {}, [c.vendor, c.model].filter(Boolean).join(" ") || "–"),
    h("td", {}, c.firmwareVersion || "–"),
    h("td", { dataset: { col: "ocpp" } }, ocppLabel(c.ocppVersion)),
    h("td", {}, connectorBadges(c)));
  // A group's heading: the site's name, address and how many chargers
  // (and how many of them online); it stays in view when the table
  // scrolls sideways.
  const groupHead = (site, cs) => {
    const on = cs.filter((c) => c.online).length;
    const where = site ? [addressLine(site), site.address && site.address.country].filter(Boolean).join(", ") : "";
    return h("tr", { class: "group" }, h("th", { colspan: COLS, scope: "rowgroup", id: site ? `site-${site.id}` : "site-none" },
      h("div", { class: "group-head" },
        h("span", { class: "group-name" }, site ? site.name : "Not at a site"),
        where ? h("span", { class: "small muted" }, where) : "",
        h("span", { class: "small muted", dataset: { count: "" } }, `${cs.length} charger${cs.length === 1 ? "" : "s"} · ${on} online`))));
  };
  const draw = () => {
    const q = input.value.trim().toLowerCase();
    const siteOf = (c) => c.siteId && sites.get(c.siteId);
    const at = only.value;
    const rows = all.filter((c) => (!at || (at === "none" ? !siteOf(c) : c.siteId === at)) &&
      (!q || [c.id, c.name, siteOf(c)?.name, c.vendor, c.model, c.firmwareVersion, c.admission].some((s) => (s || "").toLowerCase().includes(q))));
    const groups = groupBySite(rows, sites);
    t.querySelectorAll("tbody").forEach((b) => b.remove());
    if (!sites.size) t.append(h("tbody", {}, groups.flatMap((g) => g.chargers.map(row)))); // no sites: no headings
    else t.append(...groups.map((g) => h("tbody", { dataset: { site: g.site ? g.site.id : "" } }, groupHead(g.site, g.chargers), g.chargers.map(row))));
    if (!rows.length) t.append(h("tbody", {}, h("tr", {}, h("td", { colspan: COLS, class: "muted" }, "No chargers."))));
  };
  input.addEventListener("input", draw);
  fillOnly();
  draw();
  const tick = setInterval(draw, 15000); // keep "last seen" honest
  watch({}, (e) => {
    approvals.onEvent(e);
    if (sites.apply(e)) { fillOnly(); draw(); return; }
    if (e.charger) upsert(asCharger(e.charger));
    else if (e.type === "charger.disconnected") all = all.filter((c) => c.id !== e.chargerId); // deleted
    else if (!e.connector || !applyConnector(all.find((c) => c.id === e.chargerId), e.connector)) return;
    draw();
  }, async () => { let fresh; [all, fresh] = await Promise.all([API.chargers(), API.sites(), approvals.load()]); sites.reset(fresh); fillOnly(); draw(); });
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
  let [c, siteList] = await Promise.all([API.charger(id), API.sites()]);
  if (!alive()) return;
  const siteName = (sid) => { const x = siteList.find((s) => s.id === sid); return x ? x.name : sid; };
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

  const title = h("h1", {});
  const subtitle = h("span", { class: "muted code", id: "charger-id" });
  const draw = () => {
    title.textContent = chargerName(c);
    subtitle.textContent = c.name ? c.id : "";
    state.replaceChildren(onlineBadge(c.online));
    const rows = [
      ["Site", c.siteId ? h("a", { href: `/operator/chargers?site=${encodeURIComponent(c.siteId)}` }, siteName(c.siteId)) : "–"],
      ["Last seen", ago(c.lastSeenAt)], ["Last boot", when(c.lastBootAt)], ["Registration", c.registrationStatus || "–"],
      ["Vendor / model", [c.vendor, c.model].filter(Boolean).join(" ") || "–"], ["Serial", c.serialNumber || "–"],
      ["Firmware", c.firmwareVersion || "–"], ["OCPP", ocppLabel(c.ocppVersion)], ["Charger status", c.status || "–"],
    ];
    // A SOAP charger is called at its own service's address.
    // Without one (its messages carry no wsa:From) it cannot be sent
    // commands: say so, rather than leave the operator with 409s.
    if (c.soapAddress) rows.push(["SOAP address", h("span", { class: "code", id: "soap-address" }, c.soapAddress)]);
    else if (c.ocppVersion === "ocpp1.5s" || c.ocppVersion === "ocpp1.6s") {
      rows.push(["SOAP address", h("span", { class: "feedback warn", id: "soap-address", dataset: { missing: "" } },
        "None: the charger's messages carry no wsa:From, so Joule cannot send it commands until one does.")]);
    }
    if (c.firmwareStatus) rows.push(["Firmware update", c.firmwareStatus]);
    facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    security.update(c);
    connBody.replaceChildren(...c.connectors.map((k) => h("tr", { dataset: { connector: k.connectorId } },
      h("td", {}, String(k.connectorId)),
      h("td", {}, h("span", { class: "conn" }, connectorIcon(k.type), h("span", {}, typeLabel(k.type),
        k.format || k.powerType ? h("span", { class: "small muted" }, ` · ${[{ SOCKET: "socket", CABLE: "cable" }[k.format], powerTypeLabel(k.powerType)].filter(Boolean).join(", ")}`) : ""))),
      h("td", { class: "num" }, k.maxPowerW ? `${kW(k.maxPowerW)} kW` : "–"),
      h("td", {}, k.evseId ? h("span", { class: "code" }, k.evseId) : "–"),
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
    // OCPP 1.5 has no TriggerMessage: say so instead of a form that fails.
    c.ocppVersion === "ocpp1.5s"
      ? h("div", { class: "card", id: "no-trigger" }, h("h3", {}, "Trigger message"),
        h("p", { class: "small muted" }, "OCPP 1.5 has no TriggerMessage (nor charging profiles): the charger sends its messages on its own."))
      : form("TriggerMessage", "Trigger message", [field("Message", trigMsg), field("Connector", trigConn)],
        () => API.trigger(c.id, trigMsg.value, +trigConn.value || 0)));

  // The operator's side of the charger (PATCH /chargers/{id}, one merge
  // patch of what changed): its name, its site, and what each connector
  // is, which OCPP 1.6 cannot report and a 2.0.1 charger may report
  // wrongly: EVSE id, plug, format, power type and rating. A connector
  // value the operator leaves unset (the first option) is what the
  // charger reported, or what its plug implies. Live updates redraw the
  // form but keep what the operator is changing.
  const sName = h("input", { id: "charger-name", type: "text", maxlength: 255, autocomplete: "off", placeholder: c.id });
  const sSite = siteSelect(siteList, c.siteId, { id: "charger-site" });
  const connBox = h("div", { id: "connector-settings" });
  const sNote = h("div", { class: "feedback", role: "status", id: "settings-status" });
  const sSave = h("button", { type: "submit", class: "primary", id: "save-charger" }, "Save");
  const settings = h("form", { class: "card", id: "charger-settings", "aria-labelledby": "settings-h", novalidate: true },
    h("fieldset", { disabled: readOnly },
      h("div", { class: "filters align-top" },
        field("Name", sName), field("Site", sSite)),
      h("p", { class: "hint" }, "Drivers see the name (the id when there is none) under the site, nearest sites first."),
      connBox, sNote, sSave));
  const dirty = new Set(); // fields changed and not saved yet
  settings.addEventListener("input", (ev) => { dirty.add(ev.target); ev.target.removeAttribute("aria-invalid"); });
  settings.addEventListener("change", (ev) => dirty.add(ev.target));
  const put = (el, v) => { if (!dirty.has(el)) el.value = v; };
  const typeOptions = () => [
    h("optgroup", { label: "Common" }, CONNECTOR_TYPES.slice(0, COMMON_CONNECTOR_TYPES).map(([v, label]) => h("option", { value: v }, label))),
    h("optgroup", { label: "Other (OCPI)" }, CONNECTOR_TYPES.slice(COMMON_CONNECTOR_TYPES).map(([v, label]) => h("option", { value: v }, label))),
  ];
  const editors = new Map(); // connectorId → its fields
  const none = h("p", { class: "small muted" }, "No connectors reported yet: they appear here when the charger reports them.");
  const editor = (n) => {
    const id = (x) => `edit-${n}-${x}`;
    const e = {
      evse: h("input", { id: id("evse"), type: "text", maxlength: 48, autocomplete: "off", autocapitalize: "characters", placeholder: "DE*ABC*E123456*1" }),
      type: h("select", { id: id("type") }, h("option", { value: "" }), typeOptions()),
      format: h("select", { id: id("format") }, h("option", { value: "" }), FORMATS.map(([v, label]) => h("option", { value: v }, label))),
      power: h("select", { id: id("power-type") }, h("option", { value: "" }), POWER_TYPES.map(([v, label]) => h("option", { value: v }, label))),
      max: h("input", { id: id("max"), type: "text", inputmode: "decimal", autocomplete: "off" }),
      rotation: h("select", { id: id("rotation") }, h("option", { value: "" }, "Not set (as RST)"),
        ROTATIONS.map(([v, label]) => h("option", { value: v }, label))),
    };
    e.el = h("fieldset", { class: "conn-edit", dataset: { connector: n } }, h("legend", {}, `Connector ${n}`),
      h("div", { class: "filters align-top" },
        field("EVSE id", e.evse), field("Connector type", e.type), field("Format", e.format), field("Power type", e.power), field("Max power (kW)", e.max),
        field("Phase rotation", e.rotation)));
    return e;
  };
  // auto names a connector value the operator leaves to the charger.
  const auto = (k, key, label) => {
    const rep = k.reported && k.reported[key], mine = k.operator && k.operator[key];
    if (rep) return `Reported: ${label(rep)}`;
    if (!mine && k[key]) return `From the plug: ${label(k[key])}`;
    return "Not set";
  };
  // A site made after the page opened (the charger's stream does not
  // carry site events): the sites are read again.
  const asked = new Set();
  const knowSite = (sid) => {
    if (!sid || siteList.some((x) => x.id === sid) || asked.has(sid)) return;
    asked.add(sid);
    API.sites().then((list) => {
      if (!alive()) return;
      siteList = list;
      sSite.fill(siteList);
      draw();
    }, () => {});
  };
  const fillSettings = () => {
    put(sName, c.name || "");
    knowSite(c.siteId);
    put(sSite, [...sSite.options].some((o) => o.value === c.siteId) ? c.siteId : "");
    for (const k of c.connectors) {
      if (!editors.has(k.connectorId)) editors.set(k.connectorId, editor(k.connectorId));
      const e = editors.get(k.connectorId), op = k.operator || {};
      e.type.options[0].textContent = auto(k, "connectorType", typeLabel);
      e.format.options[0].textContent = auto(k, "format", formatLabel);
      e.power.options[0].textContent = auto(k, "powerType", powerTypeLabel);
      e.max.placeholder = k.reported && k.reported.maxPowerW ? `${kW(k.reported.maxPowerW)} reported` : "";
      put(e.evse, k.evseId || "");
      put(e.type, op.connectorType || "");
      put(e.format, op.format || "");
      put(e.power, op.powerType || "");
      put(e.max, op.maxPowerW ? String(op.maxPowerW / 1000) : "");
      const rep = k.reported && k.reported.phaseRotation;
      e.rotation.options[0].textContent = rep ? `Reported: ${(ROTATIONS.find(([v]) => v === rep) || [rep, rep])[1]}` : "Not set (as RST)";
      put(e.rotation, op.phaseRotation || "");
    }
    const ids = new Set(c.connectors.map((k) => k.connectorId));
    for (const n of editors.keys()) if (!ids.has(n)) editors.delete(n);
    // Moved only when the connectors changed: moving a field would take
    // the focus from the operator typing in it.
    const want = c.connectors.length ? c.connectors.map((k) => editors.get(k.connectorId).el) : [none];
    if (want.length !== connBox.children.length || want.some((el, i) => connBox.children[i] !== el)) connBox.replaceChildren(...want);
  };
  const invalid = (el, text) => {
    el.setAttribute("aria-invalid", "true");
    el.focus();
    feedback(sNote, "bad", text);
  };
  settings.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    // Only what the operator changed: a field they did not touch is not
    // sent, whatever it shows.
    const patch = {};
    const name = sName.value.trim();
    if (dirty.has(sName) && name !== (c.name || "")) patch.name = name || null;
    if (dirty.has(sSite) && sSite.value !== (c.siteId || "")) patch.siteId = sSite.value || null;
    const conns = [];
    for (const k of c.connectors) {
      const e = editors.get(k.connectorId), op = k.operator || {};
      const d = { connectorId: k.connectorId };
      const evse = e.evse.value.trim().toUpperCase();
      if (dirty.has(e.evse) && evse !== (k.evseId || "")) d.evseId = evse || null;
      if (dirty.has(e.rotation) && e.rotation.value !== (op.phaseRotation || "")) d.phaseRotation = e.rotation.value || null;
      for (const [key, sel] of [["connectorType", e.type], ["format", e.format], ["powerType", e.power]]) {
        if (dirty.has(sel) && sel.value !== (op[key] || "")) d[key] = sel.value || null;
      }
      if (dirty.has(e.max)) {
        const raw = e.max.value.trim().replace(",", ".");
        if (raw && !(Number.isFinite(+raw) && +raw >= 0)) { invalid(e.max, `Connector ${k.connectorId}: the max power is a number of kW, like 22 or 150.`); return; }
        const w = Math.round((+raw || 0) * 1000);
        if (w !== (op.maxPowerW || 0)) d.maxPowerW = w || null;
      }
      if (Object.keys(d).length > 1) conns.push(d);
    }
    if (conns.length) patch.connectors = conns;
    if (!Object.keys(patch).length) { dirty.clear(); fillSettings(); feedback(sNote, "ok", "Nothing to save: nothing was changed."); return; }
    sSave.disabled = true;
    feedback(sNote, "wait", "Saving…");
    try {
      c = asCharger(await API.updateCharger(c.id, patch));
      dirty.clear();
      draw();
      feedback(sNote, "ok", "Saved.");
    } catch (e) {
      // The API's problem names the member: name, siteId, connectors[i].evseId ...
      const m = /^(name|siteId|connectors\[(\d+)\]\.(\w+))\b/.exec(e.message);
      const ed = m && m[2] != null && conns[+m[2]] && editors.get(conns[+m[2]].connectorId);
      const el = !m ? null : m[1] === "name" ? sName : m[1] === "siteId" ? sSite
        : ed && { evseId: ed.evse, connectorType: ed.type, type: ed.type, format: ed.format, powerType: ed.power, maxPowerW: ed.max, phaseRotation: ed.rotation }[m[3]];
      if (el) invalid(el, sentence(e.message));
      else feedback(sNote, "bad", sentence(e.message));
    } finally { sSave.disabled = false; }
  });
  const unlockButton = commands.querySelector("#cmd-UnlockConnector");
  fillChoices = () => {
    for (const sel of [unlockConn, availConn, trigConn]) sel.fill();
    unlockButton.disabled = !c.connectors.length;
    fillSettings();
  };
  fillChoices();

  main.append(h("p", {}, h("a", { href: "/operator/chargers" }, "← Chargers")),
    h("div", { class: "row title" }, title, subtitle, state),
    h("div", { class: "card" }, facts),
    h("h2", {}, "Connectors"), table(["#", "Type", "Max", "EVSE id", "Status", "Error", "Updated"], connBody, { id: "connectors" }),
    security.el,
    h("h2", {}, "Commands"),
    readOnly ? h("p", { class: "feedback warn", id: "read-only" }, `You are signed in as ${ROLE_LABEL[user.role] || user.role}: you can see this charger but not send it commands or change it.`) : "",
    resultNote, result, commands,
    h("h2", { id: "activity-h" }, "Recent activity"),
    h("p", { class: "small muted" }, "Live events for this charger since this page was opened (connections, boots, status changes, sessions). This is not a log of raw OCPP messages."),
    h("div", { class: "card" }, log),
    h("h2", { id: "settings-h" }, "Name, site and connectors"), settings);
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
    table(["Started", "Charger", "Tag", "Status", "Energy", "Power", "Duration", "Stop reason", "Cost"], body, { id: "sessions" }), h("p", {}, more));

  let items = [];
  let cursor = "";
  const filter = () => ({ chargerId: fCharger.value.trim(), idTag: fTag.value.trim(), status: fStatus.value });
  const q = () => { const p = new URLSearchParams(); for (const [k, v] of Object.entries(filter())) if (v) p.set(k, v); return p; };
  const row = (s) => h("tr", { dataset: { session: s.id } },
    h("td", {}, h("a", { href: `/operator/sessions/${encodeURIComponent(s.id)}`, title: "Cost, payment and refund" }, when(s.startedAt || s.createdAt))),
    h("td", {}, h("a", { href: `/operator/chargers/${encodeURIComponent(s.chargerId)}` }, s.chargerId), ` #${s.connectorId || "–"}`),
    h("td", {}, s.idTag),
    h("td", {}, badge(s.status, { active: "info", pending: "info", finished: "ok", failed: "bad" }[s.status] || "muted"), s.failureReason ? h("div", { class: "small muted" }, s.failureReason) : ""),
    h("td", { class: "num" }, `${kWh(s.energyWh)} kWh`),
    h("td", { class: "num" }, s.status === "active" ? `${kW(s.powerW)} kW` : "–"),
    h("td", { class: "num" }, s.startedAt ? duration((s.stoppedAt ? new Date(s.stoppedAt) : Date.now()) - new Date(s.startedAt)) : "–"),
    h("td", {}, s.stopReason || "–"),
    h("td", { class: "num" }, sessionCost(s)));
  const draw = () => {
    body.replaceChildren(...items.map(row));
    if (!items.length) body.append(h("tr", {}, h("td", { colspan: 9, class: "muted" }, "No sessions match.")));
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
