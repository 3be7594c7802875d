// driver.js: the driver's screens: find a charger, pick a connector and
// start, follow the session live, stop, see the summary, and the history.

import * as API from "./api.js";
import { watch } from "./live.js";
import { LineChart } from "./chart.js";
import { addressLine, groupBySite, hasCoordinates, siteMap } from "./sites.js";
import { canLocate, distanceM, distanceText, locate, permission, recentPosition } from "./geo.js";
import { isZero, money, moneyList, costTable, receiptURL, hasReceipt, paymentWords, paymentSettled, sessionCost } from "./money.js";
import {
  h, connectorIcon, typeLabel, kW, kWh, fixed, duration, when, ago,
  statusTone, statusLabel, badge, onlineBadge, feedback, asCharger, applyConnector, chargerName, sentence,
} from "./ui.js";

// connectorLine shows a connector's type, status and rating, and the EVSE
// id printed on the charger when the operator set one; price, when given,
// is what charging there costs (see priceLine).
function connectorLine(c, online, price) {
  return h("div", { class: "conn" },
    connectorIcon(c.type),
    h("div", { class: "grow" },
      h("div", {}, h("strong", {}, typeLabel(c.type)), " · ", h("span", { class: "num" }, c.maxPowerW ? `${kW(c.maxPowerW)} kW` : "power not stated")),
      h("div", { class: "small muted" }, `Connector ${c.connectorId}`, c.evseId ? h("span", { class: "code" }, ` · ${c.evseId}`) : ""),
      price || ""),
    badge(online ? statusLabel(c.status) : "Offline", statusTone(c.status, online)));
}

// priceLine shows a connector's price for this driver before they start:
// the tariff's quote ("0.36 EUR/kWh · 1.00 EUR per session", VAT
// included) or Free. p is the API's answer; nothing when it is unknown.
function priceLine(connectorId, p) {
  if (!p) return "";
  const free = !p.quote;
  return h("div", { class: `price${free ? " free" : ""}`, dataset: { price: connectorId } },
    free ? "Free" : p.quote.text || money(p.quote.energyPrice, p.quote.currency) + "/kWh",
    free ? "" : h("span", { class: "small muted" }, " · VAT included"));
}

// matches: the search finds a charger by its name or id, maker, connector
// types, and its site's name and address.
const matches = (c, site, q) => !q || [c.id, c.name, c.vendor, c.model, ...c.connectors.map((k) => typeLabel(k.type)),
  site && site.name, site && addressLine(site)].some((s) => (s || "").toLowerCase().includes(q));

// --- Chargers -------------------------------------------------------------

// chargersScreen lists the chargers by site: each site with its name,
// address and chargers; chargers at no site last. Sites are by name, or
// nearest first once the browser gives a position (see geo.js): the list
// never waits for it.
export async function chargersScreen(main, _params, { alive }) {
  const input = h("input", { id: "search", type: "search", autocomplete: "off", placeholder: "Name, place, type (CCS2, Type 2…)", "aria-controls": "charger-list" });
  const list = h("div", { id: "charger-list", "aria-live": "polite" });
  const count = h("p", { class: "small muted", id: "charger-count" });
  const nearest = h("button", { type: "button", id: "nearest", class: "quiet", hidden: true }, "Show nearest first");
  const order = h("p", { class: "small muted", id: "sort-note", role: "status" });
  main.append(h("h1", {}, "Find a charger"),
    h("div", { class: "card" }, h("label", { for: "search" }, "Search"), input),
    h("div", { class: "row spread list-head" }, h("div", {}, count, order), nearest), list);

  let [all, list0] = await Promise.all([API.chargers(), API.sites()]);
  if (!alive()) return; // left while loading: the next screen has the stream
  const sites = siteMap(list0);
  let here = recentPosition();
  let locating = false;
  let why = ""; // why there is no position, in words
  let asked = ""; // the geolocation permission: granted, prompt or denied; "" unknown

  const card = (c) => h("a", { class: "card", href: `/chargers/${encodeURIComponent(c.id)}`, dataset: { charger: c.id } },
    h("div", { class: "row spread" }, h("strong", { class: "charger-name" }, chargerName(c)), onlineBadge(c.online)),
    h("div", { class: "small muted" }, [c.name ? c.id : "", [c.vendor, c.model].filter(Boolean).join(" ")].filter(Boolean).join(" · ")),
    h("ul", { class: "connectors" }, c.connectors.map((k) => h("li", {}, connectorLine(k, c.online)))));
  const section = ({ site, chargers }, dist) => {
    const hid = site ? `site-${site.id}` : "site-none";
    const addr = site && addressLine(site);
    return h("section", { class: "site", dataset: { site: site ? site.id : "" }, "aria-labelledby": hid },
      h("div", { class: "site-head" },
        h("div", { class: "grow" },
          h("h2", { id: hid }, site ? site.name : "Other chargers"),
          site ? (addr ? h("address", { class: "small" }, addr) : "") : h("p", { class: "small muted" }, "Not at a listed place.")),
        dist != null ? h("span", { class: "distance", title: "As the crow flies" }, distanceText(dist)) : ""),
      chargers.map(card));
  };

  const draw = () => {
    const q = input.value.trim().toLowerCase();
    const shown = all.filter((c) => matches(c, c.siteId && sites.get(c.siteId), q));
    const groups = groupBySite(shown, sites);
    const dist = new Map(here ? groups.filter((g) => hasCoordinates(g.site)).map((g) => [g.site, distanceM(here, g.site.coordinates)]) : []);
    if (here) {
      // Nearest first; sites without coordinates after them (by name);
      // chargers at no site last.
      const rank = (g) => (!g.site ? 2 : dist.has(g.site) ? 0 : 1);
      groups.sort((a, b) => rank(a) - rank(b) || (rank(a) === 0 ? dist.get(a.site) - dist.get(b.site) : 0));
    }
    if (sites.size) list.replaceChildren(...groups.map((g) => section(g, g.site ? dist.get(g.site) : null)));
    else list.replaceChildren(...groups.flatMap((g) => g.chargers.map(card))); // no sites at all: no headings
    if (!shown.length) list.append(h("p", { class: "muted" }, all.length ? "No charger matches your search." : "No chargers yet."));
    const places = groups.filter((g) => g.site).length;
    count.textContent = `${q ? `${shown.length} of ${all.length}` : shown.length} charger${all.length === 1 ? "" : "s"}${places ? ` at ${places} place${places === 1 ? "" : "s"}` : ""}`;
    // Distances need sites; the button only where asking can help.
    const located = sites.size > 0 && [...sites.values()].some(hasCoordinates);
    nearest.hidden = !located || !!here || !canLocate() || asked === "denied";
    nearest.disabled = locating;
    order.textContent = !located ? "" : here ? "Nearest first, from your location." : locating ? "Finding your location…"
      : why ? `By name: ${why}.` : asked === "denied" ? "By name: location is off for Joule in this browser." : "By name.";
  };

  const useLocation = async () => {
    if (locating) return;
    locating = true;
    draw();
    try {
      here = await locate();
      why = "";
    } catch (e) {
      why = e.message;
    }
    locating = false;
    if (alive()) draw();
  };
  nearest.addEventListener("click", useLocation);
  input.addEventListener("input", draw);
  draw();

  // Ask only when the driver asks (the button), or by itself when they
  // already allowed it; a denied permission is never asked again.
  const perm = here || !canLocate() ? null : await permission();
  if (!alive()) return;
  const follow = () => {
    asked = perm.state;
    if (asked === "granted" && !here) useLocation();
    else draw();
  };
  if (perm) {
    perm.addEventListener("change", follow);
    follow();
  }

  const unknown = new Set(); // site ids asked for, so each is asked once
  const learnSite = (c) => {
    if (!c.siteId || sites.has(c.siteId) || unknown.has(c.siteId)) return;
    unknown.add(c.siteId); // a site event was missed: ask for it
    API.site(c.siteId).then((s) => { sites.set(s.id, s); draw(); }, () => {});
  };
  all.forEach(learnSite);
  watch({}, (e) => {
    if (sites.apply(e)) draw();
    else if (e.charger) {
      const c = asCharger(e.charger);
      const i = all.findIndex((x) => x.id === c.id);
      if (i >= 0) all[i] = c; else all.push(c);
      learnSite(c);
      draw();
    } else if (e.connector) {
      if (applyConnector(all.find((c) => c.id === e.chargerId), e.connector)) draw();
    }
  }, async () => {
    let fresh;
    [all, fresh] = await Promise.all([API.chargers(), API.sites()]);
    sites.reset(fresh);
    unknown.clear();
    all.forEach(learnSite);
    draw();
  });
  return () => { if (perm) perm.removeEventListener("change", follow); };
}

// --- One charger: pick a connector and start --------------------------------

// notFound draws the page for something that does not exist, or that is
// not the driver's (the API answers 404 for both, on purpose).
function notFound(main, title, text) {
  main.append(h("h1", { id: "not-found" }, title), h("p", {}, text),
    h("p", { class: "row" }, h("a", { class: "button primary", href: "/" }, "Find a charger"), h("a", { class: "button", href: "/history" }, "Your sessions")));
}

const is404 = (e) => e instanceof API.ApiError && e.status === 404;

export async function chargerScreen(main, { id }, { navigate, alive }) {
  let c;
  try {
    c = await API.charger(id);
  } catch (e) {
    if (!is404(e)) throw e;
    if (alive()) notFound(main, "Charger not found", `There is no charger ${id} here. It may have been removed.`);
    return;
  }
  // The driver's own open sessions here (the API lists only theirs), and
  // the charger's site.
  const siteOf = (x) => (x.siteId ? API.site(x.siteId).catch(() => null) : null);
  const [{ items: open }, site0] = await Promise.all([API.sessions({ chargerId: id, status: "pending,active" }, { limit: 10 }), siteOf(c)]);
  if (!alive()) return;
  let site = site0;
  // Each connector's price for this driver, before they start (a price
  // the API cannot tell is left out rather than guessed).
  const prices = new Map();
  const loadPrice = (n) => API.connectorTariff(c.id, n).then((p) => { prices.set(n, p); }, () => { prices.set(n, null); });
  await Promise.all(c.connectors.map((k) => loadPrice(k.connectorId)));
  if (!alive()) return;

  const status = h("div", { id: "charger-state" });
  const choices = h("div", { class: "connectors" });
  const fb = h("div", { id: "feedback", class: "feedback", role: "status", "aria-live": "polite" });
  const start = h("button", { id: "start", type: "submit", class: "primary big" }, "Start charging");
  // A start refused for payment (402): why, next to the button, and where
  // to add money or a card.
  const payError = h("div", { id: "start-error", class: "feedback bad", role: "alert", hidden: true });
  // Ready by (optional): the time the driver leaves and the energy they
  // want by then; Joule plans the charging into the cheapest hours.
  const departure = h("input", { id: "departure-time", type: "datetime-local", "aria-describedby": "departure-hint" });
  const energyWanted = h("input", { id: "energy-wanted", type: "number", inputmode: "decimal", min: 1, max: 1000, step: "any", autocomplete: "off",
    placeholder: "e.g. 30", "aria-describedby": "departure-hint" });
  const ready = h("details", { class: "card ready-by", id: "ready-by" },
    h("summary", {}, "Ready by (optional)"),
    h("p", { class: "hint", id: "departure-hint" }, "When you leave and how much energy you need by then: the charger may charge later, when it is cheaper, and the car is ready on time."),
    h("div", { class: "filters align-top" },
      h("div", {}, h("label", { for: "departure-time" }, "I leave at"), departure),
      h("div", {}, h("label", { for: "energy-wanted" }, "Energy wanted (kWh)"), energyWanted)));
  const form = h("form", { novalidate: true }, h("fieldset", {}, h("legend", {}, "Choose a connector"), choices), ready, fb, payError, start);
  ready.addEventListener("input", (ev) => ev.target.removeAttribute("aria-invalid"));
  // wish reads Ready by: {departureTime, energyWantedWh}, {} when empty,
  // or null after saying what is wrong.
  const wish = () => {
    const t = departure.value, kWhWanted = energyWanted.value.trim().replace(",", ".");
    if (!t && !kWhWanted) return {};
    const bad = (el, text) => { ready.open = true; el.setAttribute("aria-invalid", "true"); el.focus(); feedback(fb, "bad", text); return null; };
    if (!t) return bad(departure, "Say when you leave, or clear the energy wanted.");
    if (!kWhWanted) return bad(energyWanted, "Say how much energy you want by then, in kWh, or clear the time.");
    const at = new Date(t), e = Number(kWhWanted);
    if (!(at - Date.now() > 60000)) return bad(departure, "The time you leave must be later than a minute from now.");
    if (at - Date.now() > 7 * 24 * 3600 * 1000) return bad(departure, "The time you leave must be within a week.");
    if (!(e > 0 && e <= 1000)) return bad(energyWanted, "The energy wanted is a number of kWh, above 0 and at most 1000.");
    return { departureTime: at.toISOString(), energyWantedWh: Math.round(e * 1000) };
  };
  let picked = 0;

  const title = h("h1", {});
  const place = h("p", { id: "charger-site", class: "small" });
  const draw = () => {
    title.textContent = chargerName(c);
    // Where it is, and its id when the name is not the id.
    place.hidden = !site && !c.name;
    place.replaceChildren(...(site ? [h("strong", {}, site.name), addressLine(site) ? ` · ${addressLine(site)}` : ""] : []),
      c.name ? h("span", { class: "muted" }, `${site ? " · " : ""}Charger ${c.id}`) : "");
    status.replaceChildren(h("div", { class: "row" }, onlineBadge(c.online), h("span", { class: "small muted" }, [c.vendor, c.model].filter(Boolean).join(" "))),
      c.online ? "" : h("p", { class: "small", role: "note" }, `This charger is offline (last seen ${ago(c.lastSeenAt)}). Starting will not work until it is back.`));
    choices.replaceChildren(...c.connectors.map((k) => {
      const usable = k.status !== "Faulted" && k.status !== "Unavailable";
      const input = h("input", { type: "radio", name: "connector", value: k.connectorId, id: `conn-${k.connectorId}`, disabled: !usable, checked: picked === k.connectorId,
        "aria-describedby": `conn-${k.connectorId}-d` });
      input.addEventListener("change", () => { picked = k.connectorId; });
      return h("label", { class: "choice", for: `conn-${k.connectorId}` }, input,
        h("div", { class: "card", id: `conn-${k.connectorId}-d` }, connectorLine(k, c.online, priceLine(k.connectorId, prices.get(k.connectorId)))));
    }));
  };
  if (c.connectors.length === 1) picked = c.connectors[0].connectorId;
  draw();

  main.append(h("p", {}, h("a", { href: "/" }, "← All chargers")), title, place, status,
    open.length ? h("p", { class: "feedback ok" }, "You have a session here. ", h("a", { href: `/sessions/${encodeURIComponent(open[0].id)}` }, "Open your session")) : "",
    form);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!picked) { feedback(fb, "bad", "Choose a connector first."); choices.querySelector("input:not(:disabled)")?.focus(); return; }
    const w = wish();
    if (!w) return;
    start.disabled = true;
    payError.hidden = true;
    feedback(fb, "wait", "Waiting for the charger…");
    const slow = setTimeout(() => feedback(fb, "wait", "Still waiting for the charger to answer…"), 6000);
    try {
      // No id tag: the API starts with the driver's app tag.
      const s = await API.startSession(c.id, picked, w);
      clearTimeout(slow);
      feedback(fb, "ok", "Accepted — the charger is starting.");
      navigate(`/sessions/${encodeURIComponent(s.id)}`);
    } catch (e) {
      clearTimeout(slow);
      if (e instanceof API.ApiError && (e.status === 402 || e.code === "payment_required")) {
        feedback(fb, "", "");
        payError.replaceChildren(h("strong", {}, "Payment needed. "), sentence(e.message.replace(/\.$/, "")), ". ",
          h("a", { href: "/account#wallet-h" }, "Add money or a card in your account"), ".");
        payError.hidden = false;
      } else if (e instanceof API.ApiError && e.code === "invalid" && /^(departureTime|energyWantedWh)/.test(e.message)) {
        // The API's word on the departure wish, next to its fields.
        ready.open = true;
        const el = e.message.startsWith("energyWantedWh") ? energyWanted : departure;
        el.setAttribute("aria-invalid", "true");
        feedback(fb, "bad", sentence(e.message.replace(/^(departureTime|energyWantedWh)/, (m) => (m === "departureTime" ? "the time you leave" : "the energy wanted"))) + ".");
      } else feedback(fb, "bad", API.explain(e, "start"));
      start.disabled = false;
    }
  });

  // A charger moved to another site: its site is asked for again.
  const follow = async () => {
    if ((c.siteId || "") === (site ? site.id : "")) return;
    site = await siteOf(c);
    if (alive()) draw();
  };
  const priceNew = () => {
    const missing = c.connectors.filter((k) => !prices.has(k.connectorId)).map((k) => loadPrice(k.connectorId));
    if (missing.length) Promise.all(missing).then(() => { if (alive()) draw(); });
  };
  watch({ chargerId: id }, (e) => {
    if (e.charger) c = asCharger(e.charger);
    else if (!e.connector || !applyConnector(c, e.connector)) return;
    draw();
    follow();
    priceNew();
  }, async () => { c = await API.charger(id); draw(); follow(); priceNew(); });
}

// --- Live session and summary ----------------------------------------------

const POWER = "Power.Active.Import";

// powerSeries sums per-phase power samples that share a timestamp.
function addPower(series, samples) {
  for (const m of samples || []) {
    if (m.measurand !== POWER || (m.location && m.location !== "Outlet")) continue;
    const t = +new Date(m.timestamp);
    const p = series.get(t) || {};
    p[m.phase || "-"] = m.value;
    series.set(t, p);
  }
}
const seriesPoints = (series) => [...series.entries()].map(([t, p]) => [t, Object.values(p).reduce((a, b) => a + b, 0)]).sort((a, b) => a[0] - b[0]);

// chargingMs is the time power was flowing: the intervals after a sample
// with power above zero (until the next sample, or now while live).
function chargingMs(points, endMs) {
  let ms = 0;
  for (let i = 0; i < points.length; i++) {
    const next = i + 1 < points.length ? points[i + 1][0] : endMs;
    if (points[i][1] > 0 && next > points[i][0]) ms += next - points[i][0];
  }
  return ms;
}

function metric(key, label, unit) {
  const v = h("span", { class: "value", dataset: { value: key } }, "–");
  const el = h("div", { class: `metric${key === "power" ? " hero" : ""}`, dataset: { metric: key } },
    h("div", { class: "label" }, label), h("div", {}, v, unit ? h("span", { class: "unit" }, unit) : ""));
  return { el, set: (t) => { v.textContent = t; }, show: (on) => { el.hidden = !on; } };
}

export async function sessionScreen(main, { id }, { alive, user }) {
  let s;
  try {
    s = await API.session(id);
  } catch (e) {
    if (!is404(e)) throw e;
    if (alive()) notFound(main, "Session not found", "This session does not exist, or it is not one of yours.");
    return;
  }
  const series = new Map();
  addPower(series, await API.meterValues(id).catch(() => []));
  if (!alive()) return;

  const title = h("h1", {});
  const where = h("p", { class: "muted" }, h("a", { href: `/chargers/${encodeURIComponent(s.chargerId)}` }, s.chargerId));
  const fb = h("div", { id: "feedback", class: "feedback", role: "status", "aria-live": "polite" });
  const m = {
    power: metric("power", "Power", "kW"),
    energy: metric("energy", "Energy", "kWh"),
    elapsed: metric("elapsed", "Elapsed"),
    charging: metric("charging", "Charging time"),
    voltage: metric("voltage", "Voltage", "V"),
    current: metric("current", "Current", "A"),
    soc: metric("soc", "Battery", "%"),
  };
  // The running cost: priced by the API with each meter value, an
  // estimate until the session ends and the final cost is computed.
  const costValue = h("span", { class: "value", dataset: { value: "cost" } }, "–");
  const costNote = h("div", { class: "small muted", id: "cost-note" });
  const costTile = h("div", { class: "metric cost", dataset: { metric: "cost" }, hidden: true },
    h("div", { class: "label" }, "Cost so far"), h("div", {}, costValue), costNote);
  const chart = new LineChart({ label: "Charging power over time", format: (w) => `${kW(w)} kW` });
  const live = h("section", { id: "live", "aria-label": "Live session" },
    h("div", { class: "metrics" }, Object.values(m).map((x) => x.el), costTile),
    h("h2", {}, "Power over time"), h("div", { class: "card" }, chart.wrap));
  const summary = h("section", { id: "summary", "aria-labelledby": "summary-h", hidden: true });
  const stop = h("button", { id: "stop", type: "button", class: "danger big" }, "Stop charging");
  const after = h("p", { hidden: true }, h("a", { class: "button primary", href: "/" }, "Find another charger"), " ", h("a", { class: "button", href: "/history" }, "History"));
  // Smart charging: when the site shares its current, why this session
  // gets less (or waits), and when a departure plan charges.
  const smart = h("div", { id: "smart-notice", class: "smart-notice", role: "status", "aria-live": "polite", hidden: true });
  const readyBy = h("p", { id: "ready-info", class: "small", hidden: true });
  main.append(title, where, fb, smart, readyBy, live, summary, h("p", {}, stop), after);

  let stopping = false;
  let lastStatus = "";
  let pollTimer = 0;
  // After the end, the final cost and the payment's capture follow; a
  // slow poll shows them (and the receipt) for a few minutes at most.
  let settleTimer = 0;
  let settleUntil = 0;
  const settle = () => {
    const waiting = s.status === "finished" && (s.tariffId || s.cost || s.payment) &&
      (!s.cost || !s.cost.final || (s.payment && !paymentSettled(s.payment) && s.payment.status !== "unpaid"));
    if (!waiting) { clearInterval(settleTimer); settleTimer = 0; return; }
    if (settleTimer) return;
    settleUntil = settleUntil || Date.now() + 3 * 60000;
    if (Date.now() > settleUntil) return;
    settleTimer = setInterval(async () => {
      if (Date.now() > settleUntil) { clearInterval(settleTimer); return; }
      try { take(await API.session(id)); draw(); } catch {}
    }, 2000);
  };

  const draw = () => {
    const pts = seriesPoints(series);
    const now = Date.now();
    const startMs = +new Date(s.startedAt || s.createdAt);
    const endMs = s.stoppedAt ? +new Date(s.stoppedAt) : s.status === "active" || s.status === "pending" ? now : +new Date(s.updatedAt);
    const isLive = s.status === "active" || s.status === "pending";
    const waiting = s.status === "active" && s.smart && s.smart.allocation && s.smart.allocation.state === "waiting";
    title.textContent = waiting ? "Waiting to charge"
      : { pending: "Starting…", active: "Charging", finished: "Session summary", failed: "Session did not start" }[s.status] || s.status;
    where.replaceChildren(h("a", { href: `/chargers/${encodeURIComponent(s.chargerId)}` }, s.chargerId), s.connectorId ? ` · connector ${s.connectorId}` : "",
      user && s.idTag === user.appIdTag ? " · with the app" : ` · card ${s.idTag}`);

    // Live values while the session is open; once it ended, the summary
    // shows its final ones, and nothing here is left to look live.
    m.power.set(kW(isLive ? s.powerW : 0)); m.power.show(isLive);
    m.energy.set(kWh(s.energyWh));
    m.elapsed.set(duration(endMs - startMs));
    m.charging.set(duration(chargingMs(pts, isLive ? now : endMs)));
    m.voltage.set(fixed(s.voltageV, 0)); m.voltage.show(isLive && s.voltageV != null);
    m.current.set(fixed(s.currentA, 1)); m.current.show(isLive && s.currentA != null);
    m.soc.set(fixed(s.socPercent, 0)); m.soc.show(isLive && s.socPercent != null);
    // Cost only when the API prices the session; never computed here.
    costTile.hidden = !s.cost && !s.tariffId;
    costValue.textContent = s.cost ? money(s.cost.total, s.cost.currency) : "–";
    costNote.textContent = s.cost ? "Estimate, VAT included: the final price comes when charging stops." : "Priced from the first meter reading.";

    if (s.status !== lastStatus) {
      lastStatus = s.status;
      if (s.status === "pending") feedback(fb, "wait", "Waiting for the charger to start…");
      else if (s.status === "active" && !stopping) feedback(fb, "ok", "Charging. Numbers update live.");
      else if (s.status === "finished") feedback(fb, "ok", `Charging stopped${s.stopReason ? ` (${reasonText(s.stopReason)})` : ""}.`);
      else if (s.status === "failed") feedback(fb, "bad", `The charger did not start charging${s.failureReason ? `: ${s.failureReason}` : ""}.`);
    }
    drawSmart(smart, readyBy, s, isLive);
    stop.hidden = s.status !== "active";
    stop.disabled = stopping;
    after.hidden = isLive;
    live.querySelector(".metrics").hidden = !isLive;
    if (s.status === "finished") drawSummary(summary, s, pts);
    summary.hidden = s.status !== "finished";
    settle();
    chart.points = pts;
    chart.draw();
  };

  // Answers can come out of order (the stop's answer after the stream said
  // the session finished): the page never goes back to an older state.
  const ended = (x) => x.status === "finished" || x.status === "failed";
  const take = (next) => {
    if (!next || (ended(s) && !ended(next)) || new Date(next.updatedAt) < new Date(s.updatedAt)) return;
    s = next;
  };

  const refresh = async () => {
    try {
      take(await API.session(id));
      series.clear();
      addPower(series, await API.meterValues(id));
      if (ended(s)) { stopping = false; clearInterval(pollTimer); }
      draw();
    } catch {}
  };

  stop.addEventListener("click", async () => {
    stopping = true;
    draw();
    feedback(fb, "wait", "Waiting for the charger to stop…");
    try {
      take(await API.stopSession(id));
      if (ended(s)) stopping = false; // the stream was first
      else {
        feedback(fb, "wait", "Stop accepted — waiting for the final meter reading…");
        // The stop is confirmed by the charger's StopTransaction; the stream
        // brings it, and a slow poll covers a stream that was down.
        pollTimer = setInterval(refresh, 3000);
      }
    } catch (e) {
      stopping = false;
      feedback(fb, "bad", API.explain(e, "stop"));
      if (e.code === "conflict") refresh();
    }
    draw();
  });

  draw();
  const tick = setInterval(() => { if (s.status === "active" || s.status === "pending") draw(); }, 1000);
  watch({ sessionId: id }, (e) => {
    if (e.session) take(e.session);
    if (e.samples) addPower(series, e.samples);
    if (ended(s)) { stopping = false; clearInterval(pollTimer); }
    draw();
  }, refresh);
  return () => { clearInterval(tick); clearInterval(pollTimer); clearInterval(settleTimer); };
}

// nextCharge is the departure plan's next period with current, from now:
// {from, to, limitA}, or null.
function nextCharge(plan, now = Date.now()) {
  for (const p of plan || []) {
    if (p.limitA > 0 && +new Date(p.to) > now) return p;
  }
  return null;
}

// priceText is a plan's energy price with the session's currency when the
// price does not name one: "0.20 EUR".
const priceText = (p, s) => (/[A-Za-z]/.test(p) ? p : `${p} ${(s.cost && s.cost.currency) || ""}`.trim());

// ampsText: a current with a decimal only when it has one ("16", "6.7").
const ampsText = (a) => fixed(a, 1).replace(/\.0$/, "");

const clock = (t) => new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
// dayClock is a time, with its day when not today: "06:00", "Tue 06:00".
const dayClock = (t) => {
  const d = new Date(t);
  return d.toDateString() === new Date().toDateString() ? clock(d) : `${d.toLocaleDateString([], { weekday: "short" })} ${clock(d)}`;
};

// drawSmart shows a live session's allocation when it is limited or
// waiting: a notice the driver cannot miss, with Joule's message, the
// limit in amperes, the place in line, and when a departure plan charges.
function drawSmart(el, ready, s, isLive) {
  const sm = s.smart || {};
  const a = sm.allocation;
  ready.hidden = !isLive || !sm.departureTime;
  if (!ready.hidden) {
    ready.replaceChildren(h("strong", {}, `Ready by ${dayClock(sm.departureTime)}`),
      sm.energyWantedWh ? ` · ${kWh(sm.energyWantedWh)} kWh wanted` : "");
  }
  if (!isLive || !a || (a.state !== "limited" && a.state !== "waiting")) { el.hidden = true; el.replaceChildren(); return; }
  const waiting = a.state === "waiting";
  const head = waiting
    ? (a.queuePosition ? `Waiting, number ${a.queuePosition} in line` : "Waiting for room at this site")
    : `Limited to ${ampsText(a.limitA)} A${a.phases === 1 ? " (1 phase)" : ""}`;
  const next = nextCharge(a.plan);
  const planLine = next
    ? (+new Date(next.from) > Date.now()
      ? `Your plan charges from ${dayClock(next.from)} to ${dayClock(next.to)} at ${ampsText(next.limitA)} A${next.pricePerKWh ? `, ${priceText(next.pricePerKWh, s)}/kWh` : ""}.`
      : `Your plan charges now, until ${dayClock(next.to)}, at ${ampsText(next.limitA)} A.`)
    : "";
  el.className = `smart-notice ${waiting ? "waiting" : "limited"}`;
  el.dataset.state = a.state;
  el.replaceChildren(h("strong", { class: "smart-head", id: "smart-head" }, head),
    a.message ? h("p", { id: "smart-message" }, a.message) : "",
    planLine ? h("p", { id: "smart-plan", class: "small" }, planLine) : "",
    waiting ? h("p", { class: "small muted" }, "You do not need to do anything: charging starts by itself when the site has room.") : "");
  el.hidden = false;
}

const reasonText = (r) => ({
  Remote: "stopped from the app", Local: "stopped at the charger", EVDisconnected: "car unplugged",
  PowerLoss: "power loss", Reboot: "charger restarted", HardReset: "charger restarted", SoftReset: "charger restarted",
  DeAuthorized: "tag no longer authorised", EmergencyStop: "emergency stop",
})[r] || r;

function drawSummary(el, s, pts) {
  const startMs = +new Date(s.startedAt || s.createdAt);
  const endMs = +new Date(s.stoppedAt || s.updatedAt);
  const chMs = chargingMs(pts, endMs);
  const avgW = chMs > 0 ? (s.energyWh / (chMs / 3600000)) : null;
  const rows = [
    ["Energy delivered", `${kWh(s.energyWh)} kWh`],
    ["Duration", duration(endMs - startMs)],
    ["Charging time", duration(chMs)],
    ["Average power", avgW == null ? "–" : `${kW(avgW)} kW`],
    ["Started", when(s.startedAt || s.createdAt)],
    ["Stopped", when(s.stoppedAt)],
    ["Reason", reasonText(s.stopReason) || "–"],
    ["Meter", s.meterStartWh != null && s.meterStopWh != null ? `${fixed(s.meterStartWh)} → ${fixed(s.meterStopWh)} Wh` : "–"],
  ];
  if (s.socPercent != null) rows.push(["Battery at the end", `${fixed(s.socPercent, 0)} %`]);
  el.replaceChildren(h("h2", { id: "summary-h" }, "Summary"),
    costCard(s),
    h("div", { class: "card" }, h("dl", { class: "facts" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { class: "num", dataset: { fact: k } }, v)]))));
}

// costCard shows what a finished session costs: the total, its breakdown
// (energy, time, parking, fee, VAT), where the payment is and, once it
// was taken, the receipt. A free session says so.
function costCard(s) {
  if (!s.cost && !s.tariffId && !s.payment) {
    return h("div", { class: "card", id: "cost-summary" }, h("p", { class: "price free", dataset: { fact: "Cost" } }, "Free: this session cost nothing."));
  }
  const c = s.cost;
  const pay = paymentWords(s.payment);
  const final = c && c.final;
  return h("div", { class: "card stack", id: "cost-summary", "aria-labelledby": "cost-h" },
    h("div", { class: "row spread" }, h("h3", { id: "cost-h" }, final ? "Cost" : "Cost (estimate)"),
      h("strong", { class: "total num", id: "cost-total" }, c ? money(c.total, c.currency) : "–")),
    c ? costTable(c, { id: "cost-breakdown" }) : "",
    final ? "" : h("p", { class: "small muted", id: "cost-pending" }, "Working out the final price…"),
    pay ? h("p", { class: `feedback ${pay.tone}`, id: "payment-state" }, pay.text) : "",
    hasReceipt(s.payment) ? h("p", {}, h("a", { class: "button", id: "receipt-link", href: receiptURL(s.id), target: "_blank", rel: "noopener" }, "Receipt"),
      h("span", { class: "small muted" }, " opens in a new tab, to print or save")) : "");
}

// --- History ---------------------------------------------------------------

export async function historyScreen(main, _params, { alive }) {
  const totals = h("div", { class: "tiles", id: "totals" });
  const list = h("div", { id: "history" });
  const more = h("button", { type: "button", hidden: true }, "Show older sessions");
  const csv = h("a", { class: "button", id: "export", href: "/api/v1/sessions.csv", download: "sessions.csv" }, "Export CSV");
  main.append(h("h1", {}, "Your sessions"), h("p", { class: "small muted" }, "Sessions started with the app or with your cards."), totals,
    h("div", { class: "row spread" }, h("h2", {}, "Sessions"), csv), list, more);

  const items = [];
  let cursor = "";
  // The totals of every session, from the API (what was spent, paid and
  // still owed, per currency); without them, what the page has loaded.
  let sums = null;
  API.sessionTotals().then((t) => { sums = t; if (alive()) draw(); }, () => {});
  const load = async () => {
    const p = await API.sessions({}, { limit: 50, cursor }); // the driver's own
    if (!alive()) return;
    items.push(...p.items);
    cursor = p.nextCursor;
    more.hidden = !cursor;
    draw();
  };
  const draw = () => {
    const done = items.filter((s) => s.status === "finished");
    const energy = done.reduce((a, s) => a + s.energyWh, 0);
    const ms = done.reduce((a, s) => a + (s.stoppedAt && s.startedAt ? new Date(s.stoppedAt) - new Date(s.startedAt) : 0), 0);
    const tile = (key, label, value) => h("div", { class: "metric", dataset: { tile: key } }, h("div", { class: "label" }, label), h("div", { class: "value" }, value));
    if (sums) {
      const owed = (sums.unpaid || []).filter((x) => !isZero(x.amount));
      totals.replaceChildren(tile("sessions", "Sessions", String(sums.sessions)), tile("energy", "Energy", `${kWh(sums.energyWh)} kWh`),
        tile("spent", "Spent", moneyList(sums.costs)),
        owed.length ? tile("unpaid", "Not paid yet", moneyList(owed)) : tile("average", "Average", sums.sessions ? `${kWh(sums.energyWh / sums.sessions)} kWh` : "–"));
    } else {
      totals.replaceChildren(tile("sessions", "Sessions", String(done.length)), tile("energy", "Energy", `${kWh(energy)} kWh`), tile("time", "Time plugged in", duration(ms)),
        tile("average", "Average", done.length ? `${kWh(energy / done.length)} kWh` : "–"));
    }
    list.replaceChildren(...items.map((s) => h("a", { class: "card", href: `/sessions/${encodeURIComponent(s.id)}` },
      h("div", { class: "row spread" }, h("strong", {}, when(s.startedAt || s.createdAt)), badge(s.status, { active: "info", pending: "info", finished: "ok", failed: "bad" }[s.status] || "muted")),
      h("div", { class: "small muted" }, `${s.chargerId} · connector ${s.connectorId || "–"}`),
      h("div", { class: "row spread" },
        h("span", { class: "num" }, `${kWh(s.energyWh)} kWh`, s.stoppedAt && s.startedAt ? ` · ${duration(new Date(s.stoppedAt) - new Date(s.startedAt))}` : ""),
        sessionCost(s)))));
    if (!items.length) list.append(h("p", { class: "muted" }, "No sessions yet. ", h("a", { href: "/" }, "Find a charger"), " to start one."));
  };
  more.addEventListener("click", load);
  await load();
}
