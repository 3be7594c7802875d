// ui.js: small DOM and formatting helpers shared by the screens.

// h builds an element: h("p", {class: "x", onclick: f}, "text", child...).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

const SVGNS = "http://www.w3.org/2000/svg";
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

// connectorIcon is the face of a connector type (CCS2, CHAdeMO, Type2).
export function connectorIcon(type) {
  const known = ["CCS2", "CHAdeMO", "Type2"];
  const id = known.includes(type) ? type : "plug";
  const el = svg("svg", { "aria-hidden": "true", focusable: "false" }, svg("use", { href: `/icons/connectors.svg#${id}` }));
  return el;
}

// CONNECTOR_TYPES are OCPI 2.2.1's connector types (what the API's
// connectorType holds), the common ones first, with the words people use
// for them. A connector's short `type` is CCS2, CHAdeMO, Type2, CCS1 or
// Type1 for the common ones, else its connectorType.
export const CONNECTOR_TYPES = [
  ["IEC_62196_T2_COMBO", "CCS2"], ["CHADEMO", "CHAdeMO"], ["IEC_62196_T2", "Type 2"],
  ["IEC_62196_T1_COMBO", "CCS1"], ["IEC_62196_T1", "Type 1"],
  ["IEC_62196_T3A", "Type 3A"], ["IEC_62196_T3C", "Type 3C"],
  ["GBT_AC", "GB/T AC"], ["GBT_DC", "GB/T DC"], ["CHAOJI", "ChaoJi"],
  ["TESLA_S", "Tesla (Model S/X)"], ["TESLA_R", "Tesla Roadster"],
  ["IEC_60309_2_single_16", "IEC 60309 single-phase 16 A"], ["IEC_60309_2_three_16", "IEC 60309 three-phase 16 A"],
  ["IEC_60309_2_three_32", "IEC 60309 three-phase 32 A"], ["IEC_60309_2_three_64", "IEC 60309 three-phase 64 A"],
  ["DOMESTIC_A", "Domestic A (NEMA 1-15)"], ["DOMESTIC_B", "Domestic B (NEMA 5-15)"], ["DOMESTIC_C", "Domestic C (CEE 7/17)"],
  ["DOMESTIC_D", "Domestic D"], ["DOMESTIC_E", "Domestic E (CEE 7/5)"], ["DOMESTIC_F", "Domestic F (Schuko)"],
  ["DOMESTIC_G", "Domestic G (BS 1363)"], ["DOMESTIC_H", "Domestic H (SI 32)"], ["DOMESTIC_I", "Domestic I (AS 3112)"],
  ["DOMESTIC_J", "Domestic J (SEV 1011)"], ["DOMESTIC_K", "Domestic K (DS 60884-2-D1)"], ["DOMESTIC_L", "Domestic L (CEI 23-16-VII)"],
  ["DOMESTIC_M", "Domestic M (BS 546)"], ["DOMESTIC_N", "Domestic N (NBR 14136)"], ["DOMESTIC_O", "Domestic O (TIS 166-2549)"],
  ["NEMA_5_20", "NEMA 5-20"], ["NEMA_6_30", "NEMA 6-30"], ["NEMA_6_50", "NEMA 6-50"], ["NEMA_10_30", "NEMA 10-30"],
  ["NEMA_10_50", "NEMA 10-50"], ["NEMA_14_30", "NEMA 14-30"], ["NEMA_14_50", "NEMA 14-50"],
  ["PANTOGRAPH_BOTTOM_UP", "Pantograph (bottom-up)"], ["PANTOGRAPH_TOP_DOWN", "Pantograph (top-down)"],
];
export const COMMON_CONNECTOR_TYPES = 5; // the first five: CCS2, CHAdeMO, Type 2, CCS1, Type 1
const TYPE_LABEL = Object.fromEntries([
  ...CONNECTOR_TYPES,
  ["CCS2", "CCS2"], ["CHAdeMO", "CHAdeMO"], ["Type2", "Type 2"], ["CCS1", "CCS1"], ["Type1", "Type 1"],
]);
// typeLabel names a connector type: a short type or an OCPI connectorType.
export const typeLabel = (t) => TYPE_LABEL[t] || t || "Unknown type";

export const POWER_TYPES = [["AC_1_PHASE", "AC, 1 phase"], ["AC_3_PHASE", "AC, 3 phases"], ["DC", "DC"],
  ["AC_2_PHASE", "AC, 2 phases"], ["AC_2_PHASE_SPLIT", "AC, split phase"]];
export const FORMATS = [["SOCKET", "Socket"], ["CABLE", "Cable"]];
// A connector's phase rotation (OCPP ConnectorPhaseRotation): the grid
// phase of its L1, L2 and L3.
export const ROTATIONS = [["RST", "RST: L1, L2, L3 as the grid's"], ["RTS", "RTS: L1, L3, L2"], ["SRT", "SRT: L2, L1, L3"],
  ["STR", "STR: L2, L3, L1"], ["TRS", "TRS: L3, L1, L2"], ["TSR", "TSR: L3, L2, L1"], ["Unknown", "Unknown"], ["NotApplicable", "Not applicable (DC)"]];
export const powerTypeLabel = (p) => (POWER_TYPES.find(([v]) => v === p) || [])[1] || p || "";
export const formatLabel = (f) => (FORMATS.find(([v]) => v === f) || [])[1] || f || "";

// chargerName is what people call a charger: the operator's name, else its id.
export const chargerName = (c) => (c && c.name) || (c && c.id) || "";

// byName compares names as people read them: "Bay 2" before "Bay 10".
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
export const byName = (a, b) => collator.compare(a, b);

export const kW = (w) => (w == null ? "–" : (w / 1000).toLocaleString(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 }));
// kWh shows three decimals below 1 kWh, so the first watt-hours of a
// session are visible.
export const kWh = (wh) => {
  if (wh == null) return "–";
  const d = Math.abs(wh) < 1000 ? 3 : 2;
  return (wh / 1000).toLocaleString(undefined, { minimumFractionDigits: d, maximumFractionDigits: d });
};
export const fixed = (v, d = 0) => (v == null ? "–" : Number(v).toLocaleString(undefined, { maximumFractionDigits: d, minimumFractionDigits: d }));

export function duration(ms) {
  if (ms == null || ms < 0 || !isFinite(ms)) return "–";
  const s = Math.floor(ms / 1000);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  return hh ? `${hh} h ${String(mm).padStart(2, "0")} min` : `${mm}:${String(ss).padStart(2, "0")}`;
}

export function when(t) {
  if (!t) return "–";
  const d = new Date(t);
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

export function ago(t) {
  if (!t) return "never";
  const s = Math.round((Date.now() - new Date(t)) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return when(t);
}

// statusTone says how a connector status reads to a driver.
export function statusTone(status, online = true) {
  if (!online) return "muted";
  switch (status) {
    case "Available": return "ok";
    case "Preparing": case "Charging": case "SuspendedEV": case "SuspendedEVSE": case "Finishing": case "Occupied": return "info";
    case "Reserved": return "warn";
    case "Faulted": case "Unavailable": return "bad";
    default: return "muted";
  }
}

export const statusLabel = (s) => ({
  SuspendedEV: "Paused by car", SuspendedEVSE: "Paused by charger", Unknown: "Unknown",
})[s] || s || "Unknown";

export function badge(text, tone) {
  return h("span", { class: `badge ${tone}` }, text);
}

export function onlineBadge(online) {
  return badge(online ? "Online" : "Offline", online ? "ok" : "bad");
}

// sentence makes a message from the API (Go style, lower-case) start
// like a sentence, for showing on its own.
export const sentence = (m) => (m ? m.charAt(0).toUpperCase() + m.slice(1) : m);

// feedback sets a live status message: tone is wait, ok or bad.
export function feedback(el, tone, text) {
  el.className = `feedback ${tone || ""}`;
  el.textContent = text || "";
}

// OCPP 1.6 chargers report connector 0 for the charger as a whole. It is
// the charger's status, never one of its connectors: asCharger makes a
// charger from an event or the API so, and applyConnector puts a
// connector's new state in its charger (add: one not listed yet is added).
// applyConnector answers whether the charger changed.
export function asCharger(c) {
  if (!c || !c.connectors || !c.connectors.some((k) => k.connectorId === 0)) return c;
  const whole = c.connectors.find((k) => k.connectorId === 0);
  return { ...c, status: whole.status || c.status, connectors: c.connectors.filter((k) => k.connectorId !== 0) };
}

export function applyConnector(c, k, { add = false } = {}) {
  if (!c || !k) return false;
  if (k.connectorId === 0) {
    c.status = k.status;
    return true;
  }
  const i = c.connectors.findIndex((x) => x.connectorId === k.connectorId);
  if (i >= 0) c.connectors[i] = k;
  else if (add) c.connectors = [...c.connectors, k].sort((a, b) => a.connectorId - b.connectorId);
  else return false;
  return true;
}
