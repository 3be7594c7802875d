// siteload.js: one site in the operator view, and its load management
// (smart charging): the grid connection's limit, the building's reserve
// and the site meter; the limit in force and a grid operator's signal;
// what each session gets, what each phase draws against its budget, and
// the site's load over time. It follows site.load events live.

import * as API from "./api.js";
import { watch } from "./live.js";
import { canChange, ROLE_LABEL } from "./account.js";
import { SeriesChart } from "./chart.js";
import { addressLine } from "./sites.js";
import { h, badge, feedback, sentence, fixed, when, byName, chargerName } from "./ui.js";

const PHASES = ["L1", "L2", "L3"];
const HOUR = 3600 * 1000;

// amps shows a current: "16.0 A".
const amps = (a) => (a == null ? "–" : `${fixed(a, 1)} A`);

// limitText shows a grid limit as the operator set it: "32 A per phase",
// "22 kW".
export function limitText(v, unit) {
  if (v == null) return "–";
  return unit === "W" ? `${fixed(v / 1000, v % 1000 ? 1 : 0)} kW` : `${fixed(v, v % 1 ? 1 : 0)} A per phase`;
}

const STATE = {
  charging: { label: "Charging", tone: "ok" },
  limited: { label: "Limited", tone: "warn" },
  waiting: { label: "Waiting", tone: "info" },
};

// localInput is a time for a datetime-local input, in the browser's zone.
const localInput = (d) => {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

function field(id, label, el, hint) {
  el.id = id;
  if (hint) el.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", {}, h("label", { for: id }, label), el, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : "");
}

const unitSelect = (units) => h("select", {}, units.map(([v, l]) => h("option", { value: v }, l)));
const number = (attrs = {}) => h("input", { type: "number", inputmode: "decimal", min: 0, step: "any", autocomplete: "off", ...attrs });

// norm fills what a load may leave out (no sessions: null).
const norm = (l) => ({ ...l, sessions: l.sessions || [], budgetA: l.budgetA || [0, 0, 0], drawA: l.drawA || [0, 0, 0], allocA: l.allocA || [0, 0, 0] });

export async function siteScreen(main, { id }, { alive, user }) {
  const readOnly = !canChange(user);
  let site, load, chargers, history;
  try {
    [site, load, chargers, history] = await Promise.all([API.site(id), API.siteLoad(id), API.listAll(`/api/v1/chargers?siteId=${encodeURIComponent(id)}`),
      API.siteLoadHistory(id, new Date(Date.now() - HOUR)).catch(() => ({ items: [] }))]);
  } catch (e) {
    if (!(e instanceof API.ApiError) || e.status !== 404) throw e;
    if (alive()) main.append(h("h1", {}, "Site not found"), h("p", {}, h("a", { href: "/operator/sites" }, "← Sites")));
    return;
  }
  if (!alive()) return;
  load = norm(load);

  const title = h("h1", { tabindex: "-1" });
  const address = h("p", { class: "muted", id: "site-address" });

  // --- Now: the limit in force, the phases, the sessions. -----------------
  const now = h("dl", { class: "facts", id: "load-now" });
  const noLimit = h("p", { class: "feedback warn", id: "no-limit", hidden: true },
    "This site has no grid limit: Joule does not share its chargers' current. Set one below.");
  const bars = h("div", { class: "phase-bars", id: "phase-bars" });
  const allocNote = h("div", { class: "feedback", role: "status", id: "allocations-status" });
  const allocBody = h("tbody", {});
  const allocTable = h("div", { class: "table-wrap" }, h("table", { id: "allocations" },
    h("thead", {}, h("tr", {}, ["Charger", "State", "Limit", "Phases", "Draw L1 · L2 · L3", "Why", "In line", "Priority"].map((x) => h("th", { scope: "col" }, x)))),
    allocBody));
  const chart = new SeriesChart({
    id: "load-chart", label: "The site's current per phase and its limit over the last hour", windowMs: HOUR,
    format: (a) => `${fixed(a, 0)} A`,
    series: [
      { key: "L1", name: "L1", cls: "s1" }, { key: "L2", name: "L2", cls: "s2" }, { key: "L3", name: "L3", cls: "s3" },
      { key: "limit", name: "Limit", cls: "limit", step: true },
    ],
  });

  // --- The grid operator's signal. -----------------------------------------
  const signalState = h("p", { id: "grid-signal-state" });
  const endSignal = h("button", { type: "button", class: "danger-quiet", id: "grid-signal-end", hidden: true }, "End the signal now");
  const sig = { limit: number({ required: true }), unit: unitSelect([["A", "A per phase"], ["W", "W (total)"]]), until: h("input", { type: "datetime-local" }) };
  const signalNote = h("div", { class: "feedback", role: "status", id: "grid-signal-status" });
  const signalSet = h("button", { type: "submit", class: "primary", id: "grid-signal-set" }, "Set signal");
  const signalForm = h("form", { id: "grid-signal-form", novalidate: true },
    h("fieldset", { disabled: readOnly },
      h("div", { class: "filters align-top" },
        field("signal-limit", "Limit", sig.limit), field("signal-unit", "Unit", sig.unit),
        field("signal-until", "Until", sig.until, "Optional: without it, until you end it."),
        h("div", { class: "form-end" }, signalSet))),
    signalNote);

  // --- The site's own limits. --------------------------------------------
  const f = {
    limit: number(), limitUnit: unitSelect([["A", "A per phase"], ["W", "W (total)"]]),
    reserve: number(), reserveUnit: unitSelect([["A", "A per phase"], ["W", "W (total)"]]),
    source: h("select", {}, h("option", { value: "" }, "None"), h("option", { value: "charger" }, "A charger's meter"), h("option", { value: "api" }, "Pushed through the API")),
    meterCharger: h("select", {}),
  };
  const meterChargerField = field("meter-charger", "Meter charger", f.meterCharger, "Its connector 0 reports the site's current per phase.");
  const loadNote = h("div", { class: "feedback", role: "status", id: "load-form-status" });
  const loadSave = h("button", { type: "submit", class: "primary", id: "load-save" }, "Save limits");
  const loadForm = h("form", { id: "load-form", novalidate: true },
    h("fieldset", { disabled: readOnly },
      h("div", { class: "filters align-top" },
        field("grid-limit-value", "Grid limit", f.limit, "The grid connection. Empty: no load management."), field("grid-limit-unit", "Unit", f.limitUnit),
        field("reserve-value", "Reserve for the building", f.reserve, "Kept for the building when no meter measures it."), field("reserve-unit", "Unit", f.reserveUnit),
        field("meter-source", "Site meter", f.source), meterChargerField),
      h("p", {}, loadSave)),
    loadNote);

  main.append(h("p", {}, h("a", { href: "/operator/sites" }, "← Sites")), title, address,
    readOnly ? h("p", { class: "feedback warn", id: "read-only" }, `You are signed in as ${ROLE_LABEL[user.role] || user.role}: you can see this site's load but not change it.`) : "",
    h("section", { id: "load-management", "aria-labelledby": "load-h" },
      h("h2", { id: "load-h" }, "Load management"),
      noLimit,
      h("div", { class: "card" }, now),
      h("h3", { class: "sub" }, "Per phase: draw and budget"), bars,
      h("h3", { class: "sub", id: "allocations-h" }, "Sessions"), allocNote, allocTable,
      h("h3", { class: "sub" }, "The last hour"), h("div", { class: "card" }, chart.wrap),
      h("div", { class: "card stack", id: "grid-signal", "aria-labelledby": "grid-signal-h" },
        h("div", { class: "row spread" }, h("h3", { id: "grid-signal-h" }, "Grid signal"), endSignal),
        signalState,
        h("p", { class: "small muted" }, "A grid operator's request to draw less: the lower of it and the grid limit applies until it ends."),
        signalForm),
      h("div", { class: "card stack", "aria-labelledby": "limits-h" }, h("h3", { id: "limits-h" }, "Site limits"), loadForm)));

  const chargerById = () => new Map(chargers.map((c) => [c.id, c]));

  // fillForm shows the site's saved limits; an operator's unsaved edits
  // are kept when the site changes meanwhile.
  let dirty = false;
  const fillForm = () => {
    if (dirty) return;
    const g = site.gridLimit, r = site.reserve, m = site.meter;
    f.limit.value = g ? g.value : "";
    f.limitUnit.value = g ? g.unit : "A";
    f.reserve.value = r ? r.value : "";
    f.reserveUnit.value = r ? r.unit : "A";
    f.source.value = m ? m.source : "";
    const sorted = [...chargers].sort((a, b) => byName(chargerName(a), chargerName(b)));
    f.meterCharger.replaceChildren(...sorted.map((c) => h("option", { value: c.id }, chargerName(c))));
    if (m && m.chargerId && !sorted.some((c) => c.id === m.chargerId)) f.meterCharger.append(h("option", { value: m.chargerId }, m.chargerId));
    f.meterCharger.value = m && m.chargerId ? m.chargerId : sorted.length ? sorted[0].id : "";
    meterChargerField.hidden = f.source.value !== "charger";
  };
  loadForm.addEventListener("input", (ev) => { dirty = true; ev.target.removeAttribute("aria-invalid"); });
  f.source.addEventListener("change", () => { meterChargerField.hidden = f.source.value !== "charger"; });

  const phaseBar = (i) => {
    const budget = load.budgetA[i] || 0, draw = load.drawA[i] || 0, alloc = load.allocA[i] || 0;
    const scale = Math.max(load.limitA, budget, draw, alloc, 1);
    const pct = (v) => `${Math.min(100, (v / scale) * 100).toFixed(1)}%`;
    const over = draw > budget + 0.5;
    // Sizes go through the CSSOM: the app's CSP (style-src 'self')
    // refuses style attributes.
    const part = (cls, prop, v, attrs = {}) => {
      const el = h("div", { class: cls, ...attrs });
      el.style[prop] = pct(v);
      return el;
    };
    return h("div", { class: `phase${over ? " over" : ""}`, dataset: { phase: PHASES[i] } },
      h("span", { class: "phase-name" }, PHASES[i]),
      h("div", { class: "bar-track", role: "meter", "aria-label": `${PHASES[i]} draw`, "aria-valuemin": 0, "aria-valuemax": budget.toFixed(1), "aria-valuenow": draw.toFixed(1) },
        part("bar-budget", "width", budget), part("bar-fill", "width", draw), part("bar-alloc", "left", alloc, { title: `Allocated ${amps(alloc)}` })),
      h("span", { class: "num phase-text", dataset: { value: PHASES[i] } }, `${fixed(draw, 1)} of ${fixed(budget, 1)} A`,
        h("span", { class: "small muted" }, ` · allocated ${fixed(alloc, 1)} A`)));
  };

  // A priority just set shows at once; a load computed before the
  // change (an event in flight) does not turn it back for a few seconds.
  const pendingPriority = new Map(); // session id -> {priority, until}
  const withPending = (x) => {
    const p = pendingPriority.get(x.sessionId);
    if (!p) return x;
    if (p.priority === !!x.priority || Date.now() > p.until) { pendingPriority.delete(x.sessionId); return x; }
    return { ...x, priority: p.priority };
  };

  const allocRow = (x, byId) => {
    const a = x.allocation;
    const st = a ? STATE[a.state] || { label: a.state, tone: "muted" } : { label: "Not allocated yet", tone: "muted" };
    const c = byId.get(x.chargerId);
    const prio = h("button", { type: "button", class: "quiet toggle", dataset: { priority: x.sessionId }, "aria-pressed": String(!!x.priority), disabled: readOnly,
      "aria-label": `Priority for ${chargerName(c) || x.chargerId} connector ${x.connectorId}` }, x.priority ? "Priority" : "Normal");
    prio.addEventListener("click", () => togglePriority(x, prio));
    return h("tr", { dataset: { session: x.sessionId, state: a ? a.state : "" } },
      h("td", {}, h("a", { href: `/operator/chargers/${encodeURIComponent(x.chargerId)}` }, chargerName(c) || x.chargerId),
        h("div", { class: "small muted" }, `Connector ${x.connectorId} · `, h("a", { href: `/operator/sessions/${encodeURIComponent(x.sessionId)}` }, "session"))),
      h("td", { dataset: { col: "state" } }, badge(st.label, st.tone)),
      h("td", { class: "num nowrap", dataset: { col: "limit" } }, a ? amps(a.limitA) : "–"),
      h("td", { class: "num", dataset: { col: "phases" } }, a && a.phases ? `${a.phases}${a.phases === 1 && a.phase ? ` (L${a.phase})` : ""}` : "–"),
      h("td", { class: "num nowrap", dataset: { col: "draw" } }, (x.drawA || []).map((v) => fixed(v, 1)).join(" · ")),
      h("td", { dataset: { col: "reason" } }, a && a.message ? a.message : h("span", { class: "muted" }, "–"),
        x.departureTime ? h("div", { class: "small muted" }, `Ready by ${when(x.departureTime)}${x.energyWantedWh ? `, ${fixed(x.energyWantedWh / 1000, 1)} kWh` : ""}`) : ""),
      h("td", { class: "num", dataset: { col: "queue" } }, a && a.queuePosition ? `#${a.queuePosition}` : "–"),
      h("td", {}, prio));
  };

  const draw = () => {
    title.textContent = site.name;
    address.textContent = addressLine(site);
    address.hidden = !address.textContent;
    const limited = load.limitA > 0;
    noLimit.hidden = limited;
    const sig0 = load.gridSignal;
    const facts = [
      ["Limit in force", h("span", { id: "limit-now", class: "num strong" }, limited ? `${amps(load.limitA)} per phase` : "None"),
        sig0 && limited && load.limitA < load.normalLimitA ? h("span", { class: "small" }, " (grid signal)") : ""],
      ["Grid limit", h("span", { id: "limit-normal", class: "num" }, site.gridLimit ? limitText(site.gridLimit.value, site.gridLimit.unit) : "None"),
        site.gridLimit && site.gridLimit.unit === "W" ? h("span", { class: "small muted" }, ` = ${amps(load.normalLimitA)} per phase`) : ""],
      ["Building", load.buildingA ? h("span", { class: "num" }, `${load.buildingA.map((v) => fixed(v, 1)).join(" · ")} A (metered)`)
        : h("span", { class: "num" }, load.reserveA ? `${amps(load.reserveA)} reserved` : "Nothing reserved, not metered")],
      ["Sessions", `${load.sessions.length}${load.sessions.some((x) => x.allocation && x.allocation.state === "waiting") ? `, ${load.sessions.filter((x) => x.allocation && x.allocation.state === "waiting").length} waiting` : ""}`],
      ["Updated", when(load.at)],
    ];
    now.replaceChildren(...facts.flatMap(([k, ...v]) => [h("dt", {}, k), h("dd", { dataset: { fact: k } }, ...v)]));
    bars.replaceChildren(...PHASES.map((_, i) => phaseBar(i)));
    bars.hidden = !limited;

    const byId = chargerById();
    const rows = [...load.sessions].sort((a, b) => byName(chargerName(byId.get(a.chargerId)) || a.chargerId, chargerName(byId.get(b.chargerId)) || b.chargerId) || a.connectorId - b.connectorId);
    allocBody.replaceChildren(...rows.map((x) => allocRow(withPending(x), byId)));
    if (!rows.length) allocBody.append(h("tr", {}, h("td", { colspan: 8, class: "muted" }, "No session is charging at this site.")));

    signalState.replaceChildren(...(sig0
      ? [h("strong", {}, `${limitText(sig0.limit, sig0.unit)}`), sig0.until ? ` until ${when(sig0.until)}` : " until it is ended", h("span", { class: "small muted" }, ` · set ${when(sig0.setAt)}`)]
      : [h("span", { class: "muted" }, "No signal: the grid limit applies.")]));
    endSignal.hidden = !sig0 || readOnly;
    signalForm.querySelector("fieldset").disabled = readOnly || !site.gridLimit;
  };

  // sample is one point of the chart from a live load: what the site
  // draws (the chargers, and the building when metered, as the history
  // records it) and its limit.
  const sample = (l) => [l.at, Object.fromEntries([...PHASES.map((p, i) => [p, (l.drawA[i] || 0) + (l.buildingA ? l.buildingA[i] || 0 : 0)]), ["limit", l.limitA]])];
  const fromHistory = (items) => items.map((x) => [x.at, { L1: x.currentA[0], L2: x.currentA[1], L3: x.currentA[2], limit: x.limitA }]);
  chart.reset([...fromHistory(history.items || []), sample(load)]);

  const reload = async () => {
    const [l, s] = await Promise.all([API.siteLoad(id), API.site(id)]);
    if (!alive()) return;
    load = norm(l);
    site = s;
    draw();
    chart.add([sample(load)]);
  };

  async function togglePriority(x, button) {
    button.disabled = true;
    const want = !x.priority;
    feedback(allocNote, "wait", want ? "Giving the session priority…" : "Taking the session's priority away…");
    try {
      const ses = await API.setPriority(x.sessionId, want);
      const now = !!(ses.smart && ses.smart.priority);
      pendingPriority.set(x.sessionId, { priority: now, until: Date.now() + 10000 });
      feedback(allocNote, "ok", now ? "Priority given: Joule serves this session first." : "Priority taken away.");
      draw();
    } catch (e) {
      button.disabled = false;
      feedback(allocNote, "bad", sentence(e.message));
    }
  }

  // Problems name the member (gridLimit.value, reserve, meter.chargerId):
  // its field is marked.
  const byMember = [["gridLimit.unit", f.limitUnit], ["gridLimit", f.limit], ["reserve.unit", f.reserveUnit], ["reserve", f.reserve],
    ["meter.chargerId", f.meterCharger], ["meter", f.source]];
  const invalid = (el, note, text) => {
    if (el) { el.setAttribute("aria-invalid", "true"); el.focus(); }
    feedback(note, "bad", text);
  };
  const amount = (el) => {
    const v = el.value.trim().replace(",", ".");
    return v === "" ? null : Number(v);
  };

  loadForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const g = amount(f.limit), r = amount(f.reserve);
    if (g != null && !(g >= 0)) { invalid(f.limit, loadNote, "The grid limit is a number, 0 or more."); return; }
    if (r != null && !(r >= 0)) { invalid(f.reserve, loadNote, "The reserve is a number, 0 or more."); return; }
    const source = f.source.value;
    const body = {
      gridLimit: g == null ? null : { value: g, unit: f.limitUnit.value },
      reserve: r == null ? null : { value: r, unit: f.reserveUnit.value },
      // A merge patch: chargerId is removed when the source is not a charger.
      meter: source ? { source, chargerId: source === "charger" ? f.meterCharger.value : null } : null,
    };
    loadSave.disabled = true;
    feedback(loadNote, "wait", "Saving…");
    try {
      site = await API.updateSite(id, body);
      dirty = false;
      fillForm();
      feedback(loadNote, "ok", site.gridLimit ? `Saved: ${limitText(site.gridLimit.value, site.gridLimit.unit)}.` : "Saved: no grid limit.");
      await reload();
    } catch (e) {
      const m = byMember.find(([k]) => e.message.startsWith(k));
      invalid(m && m[1], loadNote, sentence(e.message));
    } finally { loadSave.disabled = false; }
  });

  signalForm.addEventListener("input", (ev) => ev.target.removeAttribute("aria-invalid"));
  signalForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const limit = amount(sig.limit);
    if (limit == null || !(limit >= 0)) { invalid(sig.limit, signalNote, "Give the signal's limit, a number, 0 or more."); return; }
    let until;
    if (sig.until.value) {
      const d = new Date(sig.until.value);
      if (!(d > new Date())) { invalid(sig.until, signalNote, "Until must be in the future."); return; }
      until = d.toISOString();
    }
    signalSet.disabled = true;
    feedback(signalNote, "wait", "Setting the signal…");
    try {
      await API.setGridSignal(id, until ? { limit, unit: sig.unit.value, until } : { limit, unit: sig.unit.value });
      feedback(signalNote, "ok", `Signal set: ${limitText(limit, sig.unit.value)}${until ? ` until ${when(until)}` : ""}.`);
      sig.limit.value = sig.until.value = "";
      await reload();
    } catch (e) {
      const el = e.message.startsWith("until") ? sig.until : e.message.startsWith("unit") ? sig.unit : e.message.startsWith("limit") ? sig.limit : null;
      invalid(el, signalNote, sentence(e.message));
    } finally { signalSet.disabled = false; }
  });
  sig.until.min = localInput(new Date());

  endSignal.addEventListener("click", async () => {
    endSignal.disabled = true;
    feedback(signalNote, "wait", "Ending the signal…");
    try {
      await API.endGridSignal(id);
      feedback(signalNote, "ok", "Signal ended: the grid limit applies again.");
      await reload();
    } catch (e) {
      feedback(signalNote, "bad", sentence(e.message));
    } finally { endSignal.disabled = false; }
  });

  fillForm();
  draw();
  watch({}, (e) => {
    if (e.type === "site.load" && e.load && e.load.siteId === id) {
      // Loads can arrive out of order across nodes: never go back.
      if (new Date(e.load.at) < new Date(load.at)) return;
      load = norm(e.load);
      draw();
      chart.add([sample(load)]);
    } else if (e.type === "site.updated" && e.site && e.site.id === id) {
      site = e.site;
      fillForm();
      draw();
    } else if (e.charger && (e.charger.siteId === id || chargers.some((c) => c.id === e.charger.id))) {
      chargers = chargers.filter((c) => c.id !== e.charger.id);
      if (e.charger.siteId === id) chargers.push(e.charger);
      draw();
    }
  }, async () => {
    // Back after a drop: what was missed is loaded again, the chart too.
    const [l, s, cs, hist] = await Promise.all([API.siteLoad(id), API.site(id), API.listAll(`/api/v1/chargers?siteId=${encodeURIComponent(id)}`),
      API.siteLoadHistory(id, new Date(Date.now() - HOUR)).catch(() => ({ items: [] }))]);
    if (!alive()) return;
    load = norm(l); site = s; chargers = cs;
    chart.reset([...fromHistory(hist.items || []), sample(load)]);
    fillForm();
    draw();
  });
}
