// reports.js: the operator's usage reports. The server computes every
// number (GET /api/v1/reports/usage); this page picks the range, interval,
// grouping and site, draws each measure over time as bars (plain SVG) and
// lists the rows, with the same report as a CSV download.

import * as API from "./api.js";
import { h, svg, kWh, fixed, byName } from "./ui.js";

const zone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const isoDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
const addDays = (s, n) => { const [y, m, d] = s.split("-").map(Number); return isoDay(new Date(y, m - 1, d + n)); };
const pct = (v) => `${fixed(v * 100, 1)} %`;
const money = (list) => (list && list.length ? list.map((m) => `${m.amount} ${m.currency}`).join(" + ") : "–");

// usageQuery is the report's query string for the form's values.
export function usageQuery({ from, to, interval, groupBy, siteId }) {
  const p = new URLSearchParams({ from, to: addDays(to, 1), interval, tz: zone() });
  if (groupBy) p.set("groupBy", groupBy);
  if (siteId) p.set("siteId", siteId);
  return p;
}

// perPeriod sums grouped rows into one per period (ratios from their sums).
function perPeriod(rows) {
  const m = new Map();
  for (const r of rows) {
    let x = m.get(r.periodStart);
    if (!x) m.set(r.periodStart, x = { periodStart: r.periodStart, sessions: 0, energyWh: 0, revenue: {}, occupiedS: 0, connectorS: 0, onlineS: 0, chargerS: 0 });
    x.sessions += r.sessions; x.energyWh += r.energyWh;
    x.occupiedS += r.occupiedS; x.connectorS += r.connectorS; x.onlineS += r.onlineS; x.chargerS += r.chargerS;
    for (const v of r.revenue) x.revenue[v.currency] = (x.revenue[v.currency] || 0) + Number(v.amount);
  }
  return [...m.values()].map((x) => ({ ...x,
    utilisation: x.connectorS ? x.occupiedS / x.connectorS : 0, availability: x.chargerS ? x.onlineS / x.chargerS : 0 }));
}

// barChart draws values over periods as bars, with the largest labelled.
function barChart(id, title, points, format) {
  const max = Math.max(...points.map((p) => p.v), 0);
  const w = 1000 / Math.max(points.length, 1);
  const bars = points.map((p, i) => svg("rect", {
    class: "bar", x: (i * w + w * 0.1).toFixed(2), width: (w * 0.8).toFixed(2),
    y: max ? (100 - (p.v / max) * 100).toFixed(2) : 100, height: max ? ((p.v / max) * 100).toFixed(2) : 0,
  }, svg("title", {}, `${p.label}: ${format(p.v)}`)));
  return h("figure", { class: "card report-chart", id },
    h("figcaption", {}, h("strong", {}, title), " ", h("span", { class: "muted chart-peak" }, `peak ${format(max)}`)),
    svg("svg", { class: "chart bars", viewBox: "0 0 1000 100", preserveAspectRatio: "none", role: "img", "aria-label": title }, ...bars));
}

export async function reportsScreen(main, _p, { alive }) {
  const params = new URLSearchParams(location.search);
  const today = isoDay(new Date());
  const f = {
    from: h("input", { id: "r-from", type: "date", value: params.get("from") || addDays(today, -29), required: true }),
    to: h("input", { id: "r-to", type: "date", value: params.get("to") || today, required: true }),
    interval: h("select", { id: "r-interval" }, ["day", "week", "month"].map((v) => h("option", { value: v, selected: (params.get("interval") || "day") === v }, v))),
    groupBy: h("select", { id: "r-group" }, [["", "Everything"], ["site", "Site"], ["charger", "Charger"]].map(([v, l]) =>
      h("option", { value: v, selected: (params.get("groupBy") || "") === v }, l))),
    siteId: h("select", { id: "r-site" }, h("option", { value: "" }, "All sites")),
  };
  const sites = await API.sites().catch(() => []);
  if (!alive()) return;
  for (const s of sites.sort((a, b) => byName(a.name, b.name))) f.siteId.append(h("option", { value: s.id, selected: params.get("siteId") === s.id }, s.name));
  const csv = h("a", { class: "button", id: "report-csv", download: "usage.csv" }, "Download CSV");
  const status = h("p", { class: "muted", id: "report-status", role: "status" });
  const charts = h("div", { class: "report-charts", id: "report-charts" });
  const body = h("tbody", {});
  const totals = h("div", { class: "tiles", id: "report-totals" });
  const form = h("form", { class: "filters", "aria-label": "Report" },
    h("div", {}, h("label", { for: "r-from" }, "From"), f.from),
    h("div", {}, h("label", { for: "r-to" }, "To (inclusive)"), f.to),
    h("div", {}, h("label", { for: "r-interval" }, "Interval"), f.interval),
    h("div", {}, h("label", { for: "r-group" }, "By"), f.groupBy),
    h("div", {}, h("label", { for: "r-site" }, "Site"), f.siteId),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Show"), csv));
  const siteName = (id) => (sites.find((s) => s.id === id) || {}).name || id || "No site";
  main.append(h("h1", {}, "Reports"), form, status, totals, charts,
    h("div", { class: "table-wrap" }, h("table", { id: "report-rows" },
      h("thead", {}, h("tr", {}, ["Period", "Site", "Charger", "Sessions", "Energy", "Revenue", "Utilisation", "Availability"].map((x) => h("th", { scope: "col" }, x)))), body)));

  const values = () => ({ from: f.from.value, to: f.to.value, interval: f.interval.value, groupBy: f.groupBy.value, siteId: f.siteId.value });
  const load = async () => {
    const v = values();
    const q = usageQuery(v);
    csv.href = `/api/v1/reports/usage?${q}&format=csv`;
    status.textContent = "Loading…";
    let rep;
    try {
      rep = await API.usageReport(q);
    } catch (e) {
      status.textContent = e.message;
      return;
    }
    if (!alive()) return;
    status.textContent = `${rep.rows.length} rows, ${rep.timeZone}`;
    const t = rep.totals;
    totals.replaceChildren(...[["sessions", "Sessions", String(t.sessions)], ["energy", "Energy", `${kWh(t.energyWh)} kWh`],
      ["revenue", "Revenue", money(t.revenue)], ["utilisation", "Utilisation", pct(t.utilisation)], ["availability", "Availability", pct(t.availability)]]
      .map(([k, l, val]) => h("div", { class: "metric", dataset: { total: k } }, h("div", { class: "label" }, l), h("div", { class: "value" }, val))));
    const pp = perPeriod(rep.rows);
    const label = (r) => new Date(r.periodStart).toLocaleDateString();
    const cur = (t.revenue[0] || {}).currency;
    charts.replaceChildren(
      barChart("chart-energy", "Energy (kWh)", pp.map((r) => ({ label: label(r), v: r.energyWh / 1000 })), (x) => `${fixed(x, 1)} kWh`),
      barChart("chart-sessions", "Sessions", pp.map((r) => ({ label: label(r), v: r.sessions })), (x) => fixed(x)),
      barChart("chart-revenue", `Revenue${cur ? ` (${cur})` : ""}`, pp.map((r) => ({ label: label(r), v: cur ? r.revenue[cur] || 0 : 0 })), (x) => fixed(x, 2)),
      barChart("chart-utilisation", "Utilisation", pp.map((r) => ({ label: label(r), v: r.utilisation })), pct),
      barChart("chart-availability", "Availability", pp.map((r) => ({ label: label(r), v: r.availability })), pct));
    body.replaceChildren(...rep.rows.map((r) => h("tr", {},
      h("td", {}, label(r)), h("td", {}, v.groupBy ? siteName(r.siteId) : "All"), h("td", {}, r.chargerId || "–"),
      h("td", { class: "num" }, String(r.sessions)), h("td", { class: "num" }, `${kWh(r.energyWh)} kWh`),
      h("td", { class: "num" }, money(r.revenue)), h("td", { class: "num" }, pct(r.utilisation)), h("td", { class: "num" }, pct(r.availability)))));
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = values();
    const p = new URLSearchParams(Object.entries(v).filter(([, x]) => x));
    history.replaceState(null, "", `/operator/reports?${p}`);
    load();
  });
  await load();
}
