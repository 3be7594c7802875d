// sites.js: sites, the places chargers are at (a car park, a depot): how
// the app words and groups them, and the operator's Sites page, which
// lists them and creates, changes and deletes them.

import * as API from "./api.js";
import { watch } from "./live.js";
import { canChange, ROLE_LABEL } from "./account.js";
import { confirmDialog, modal } from "./security.js";
import { locate } from "./geo.js";
import { h, feedback, sentence, byName, chargerName } from "./ui.js";

// addressLine is a site's address on one line: "Hafenstraße 1, 20457 Hamburg".
export function addressLine(s) {
  const a = (s && s.address) || {};
  return [a.street, [a.postalCode, a.city].filter(Boolean).join(" ")].filter(Boolean).join(", ");
}

// fullAddress adds the state and country an operator may have set.
function fullAddress(s) {
  const a = s.address || {};
  return [addressLine(s), a.state, a.country].filter(Boolean).join(", ");
}

export const hasCoordinates = (s) => !!(s && s.coordinates && Number.isFinite(s.coordinates.latitude) && Number.isFinite(s.coordinates.longitude));

// groupBySite puts chargers under their sites: [{site, chargers}], the
// sites by name, each one's chargers by name; chargers without a site (or
// at a site not known here) are the last group, whose site is null. Sites
// without chargers are left out.
export function groupBySite(chargers, sites) {
  const at = new Map();
  const none = [];
  for (const c of chargers) {
    const s = c.siteId && sites.get(c.siteId);
    if (!s) { none.push(c); continue; }
    if (!at.has(s.id)) at.set(s.id, { site: s, chargers: [] });
    at.get(s.id).chargers.push(c);
  }
  const groups = [...at.values()].sort((a, b) => byName(a.site.name, b.site.name) || a.site.id.localeCompare(b.site.id));
  if (none.length) groups.push({ site: null, chargers: none });
  for (const g of groups) g.chargers.sort((a, b) => byName(chargerName(a), chargerName(b)) || a.id.localeCompare(b.id));
  return groups;
}

// siteMap keeps sites by id, and follows the site events of a stream.
export function siteMap(list) {
  const m = new Map(list.map((s) => [s.id, s]));
  m.apply = (e) => {
    if (e.site && (e.type === "site.created" || e.type === "site.updated")) m.set(e.site.id, e.site);
    else if (e.type === "site.deleted") m.delete(e.siteId);
    else return false;
    return true;
  };
  m.reset = (next) => { m.clear(); for (const s of next) m.set(s.id, s); };
  return m;
}

// siteSelect is a select of the sites (by name) and "No site".
export function siteSelect(sites, value, attrs = {}) {
  const el = h("select", attrs);
  el.fill = (list, keep = el.value) => {
    const sorted = [...list].sort((a, b) => byName(a.name, b.name));
    el.replaceChildren(h("option", { value: "" }, "No site"),
      ...sorted.map((s) => h("option", { value: s.id }, s.address && s.address.city ? `${s.name} — ${s.address.city}` : s.name)));
    el.value = sorted.some((s) => s.id === keep) ? keep : "";
  };
  el.fill(sites, value || "");
  return el;
}

// --- The operator's Sites page ---------------------------------------------

const table = (head, body, attrs = {}) => h("div", { class: "table-wrap" },
  h("table", attrs, h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))), body));

function field(id, label, el, { hint, wide } = {}) {
  el.id = id;
  if (hint) el.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", { class: wide ? "wide" : undefined }, h("label", { for: id }, label), el, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : "");
}

// gridLimitText: "32 A per phase", "22 kW" (the site page has the rest).
const gridLimitText = (g) => (g.unit === "W" ? `${+(g.value / 1000).toFixed(1)} kW` : `${g.value} A per phase`);

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

export async function sitesScreen(main, _p, { alive, user }) {
  const readOnly = !canChange(user);
  let [list, chargers] = await Promise.all([API.sites(), API.chargers()]);
  if (!alive()) return;
  const sites = siteMap(list);

  const heading = h("h1", { tabindex: "-1" }, "Sites");
  const note = h("div", { class: "feedback", role: "status", id: "sites-status" });
  const body = h("tbody", {});
  const add = h("button", { type: "button", class: "primary", id: "add-site" }, "Add site");
  add.addEventListener("click", () => edit(null, add));
  main.append(heading,
    h("p", { class: "small muted" }, "A site is a place with chargers: a car park, a depot. Drivers see its name and address, and how far it is; notes are for staff only. Open a site for its load management: its grid limit, and what each session gets."),
    readOnly ? h("p", { class: "feedback warn", id: "read-only" }, `You are signed in as ${ROLE_LABEL[user.role] || user.role}: you can see the sites but not change them.`) : h("p", {}, add),
    note, table(["Site", "Address", "Location", "Time zone", "Chargers", ""], body, { id: "sites" }));

  const countAt = (id) => chargers.filter((c) => c.siteId === id).length;
  const row = (s) => {
    const n = countAt(s.id);
    const actions = [];
    if (!readOnly) {
      const ed = h("button", { type: "button", dataset: { action: "edit" }, "aria-label": `Edit ${s.name}` }, "Edit");
      ed.addEventListener("click", () => edit(s, ed));
      const del = h("button", { type: "button", class: "danger-quiet", dataset: { action: "delete" }, "aria-label": `Delete ${s.name}` }, "Delete");
      del.addEventListener("click", () => remove(s, del));
      actions.push(ed, del);
    }
    const c = s.coordinates;
    // data-label names a cell where a phone shows the rows as cards.
    return h("tr", { dataset: { site: s.id } },
      h("td", {}, h("a", { class: "strong", href: `/operator/sites/${encodeURIComponent(s.id)}`, dataset: { open: "site" } }, s.name),
        s.gridLimit ? h("div", { class: "small", dataset: { col: "grid-limit" } }, `Grid limit ${gridLimitText(s.gridLimit)}`) : "",
        s.notes ? h("div", { class: "small muted notes" }, s.notes) : ""),
      h("td", { dataset: { label: "Address" } }, fullAddress(s) || h("span", { class: "muted" }, "–")),
      h("td", { class: "num nowrap", dataset: { label: "Location" } }, hasCoordinates(s) ? `${c.latitude.toFixed(5)}, ${c.longitude.toFixed(5)}` : h("span", { class: "muted" }, "–")),
      h("td", { dataset: { label: "Time zone" } }, s.timeZone || h("span", { class: "muted" }, "–")),
      h("td", { class: "num", dataset: { col: "chargers", label: "Chargers" } }, n ? h("a", { href: `/operator/chargers?site=${encodeURIComponent(s.id)}` }, plural(n, "charger", "chargers")) : "none"),
      h("td", {}, actions.length ? h("div", { class: "row" }, actions) : ""));
  };
  const draw = () => {
    const sorted = [...sites.values()].sort((a, b) => byName(a.name, b.name) || a.id.localeCompare(b.id));
    body.replaceChildren(...sorted.map(row));
    if (!sorted.length) body.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, readOnly ? "No sites yet." : "No sites yet. Add one, then put chargers at it on each charger's page.")));
  };

  const edit = async (s, opener) => {
    const saved = await siteDialog(s, opener);
    if (!saved) return;
    sites.set(saved.id, saved);
    draw();
    feedback(note, "ok", s ? `Saved ${saved.name}.` : `Added ${saved.name}. Put chargers at it on each charger's page.`);
  };
  const remove = async (s, button) => {
    const n = countAt(s.id);
    if (!(await confirmDialog({
      title: `Delete ${s.name}?`,
      text: n ? `${plural(n, "charger is", "chargers are")} at this site: Joule keeps a site with chargers. Move them to another site, or take them off it, first.`
        : "Drivers no longer see it. Its chargers are not changed.",
      confirm: "Delete site", danger: true, fallback: heading,
    }))) return;
    button.disabled = true;
    feedback(note, "wait", `Deleting ${s.name}…`);
    try {
      await API.deleteSite(s.id);
      sites.delete(s.id);
      draw();
      feedback(note, "ok", `${s.name} deleted.`);
      heading.focus();
    } catch (e) {
      button.disabled = false;
      feedback(note, "bad", `Could not delete ${s.name}: ${sentence(e.message)}`);
    }
  };

  draw();
  watch({}, (e) => {
    if (sites.apply(e)) { draw(); return; }
    if (e.charger) {
      const i = chargers.findIndex((c) => c.id === e.charger.id);
      if (i >= 0) chargers[i] = e.charger; else chargers.push(e.charger);
    } else if (e.type === "charger.disconnected") {
      chargers = chargers.filter((c) => c.id !== e.chargerId); // deleted
    } else return;
    draw();
  }, async () => {
    let fresh;
    [fresh, chargers] = await Promise.all([API.sites(), API.chargers()]);
    sites.reset(fresh);
    draw();
  });
}

// siteDialog edits a site (s null: a new one) in a dialog. It resolves to
// the saved site, or null when the operator cancels.
function siteDialog(s, opener) {
  return new Promise((resolve) => {
    const a = (s && s.address) || {};
    const c = (s && s.coordinates) || null;
    const input = (value, attrs = {}) => h("input", { type: "text", autocomplete: "off", value: value || "", ...attrs });
    const f = {
      name: input(s?.name, { required: true, maxlength: 255 }),
      street: input(a.street, { maxlength: 45 }),
      postalCode: input(a.postalCode, { maxlength: 10 }),
      city: input(a.city, { maxlength: 45 }),
      state: input(a.state, { maxlength: 20 }),
      country: input(a.country, { maxlength: 3, autocapitalize: "characters", placeholder: "DEU" }),
      latitude: input(c ? c.latitude : "", { inputmode: "decimal", placeholder: "53.5413" }),
      longitude: input(c ? c.longitude : "", { inputmode: "decimal", placeholder: "9.9841" }),
      timeZone: input(s?.timeZone, { list: "time-zones", placeholder: Intl.DateTimeFormat().resolvedOptions().timeZone || "Europe/Berlin" }),
      notes: h("textarea", { maxlength: 4000, rows: 3 }, s?.notes || ""),
    };
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    const here = h("button", { type: "button", id: "site-here" }, "Use this device's location");
    const fb = h("div", { class: "feedback", role: "status", id: "site-form-status" });
    const form = h("form", { id: "site-form", class: "site-form", novalidate: true },
      h("div", { class: "filters align-top" },
        field("site-name", "Name", f.name, { wide: true, hint: "As drivers see it, e.g. Depot North or Car park P2." }),
        field("site-street", "Street and number", f.street, { wide: true }),
        field("site-postal-code", "Postal code", f.postalCode),
        field("site-city", "City", f.city),
        field("site-state", "State or region", f.state),
        field("site-country", "Country", f.country, { hint: "Three letters, ISO 3166 (DEU, NLD, FRA)." })),
      h("fieldset", { class: "coords" }, h("legend", {}, "Location"),
        h("div", { class: "filters align-top" },
          field("site-latitude", "Latitude", f.latitude),
          field("site-longitude", "Longitude", f.longitude)),
        h("p", { class: "hint" }, "In degrees (WGS 84), as a map shows them. Drivers see the nearest sites first. "), here),
      h("div", { class: "filters align-top" },
        field("site-time-zone", "Time zone", f.timeZone, { hint: "For opening hours, e.g. Europe/Berlin." }),
        field("site-notes", "Notes", f.notes, { wide: true, hint: "Only staff see notes: access codes, who to call." })),
      zones.length ? h("datalist", { id: "time-zones" }, zones.map((z) => h("option", { value: z }))) : "",
      fb);
    here.addEventListener("click", async () => {
      here.disabled = true;
      feedback(fb, "wait", "Finding this device's location…");
      try {
        const p = await locate();
        f.latitude.value = p.latitude.toFixed(6);
        f.longitude.value = p.longitude.toFixed(6);
        feedback(fb, "", "");
      } catch (e) {
        feedback(fb, "bad", sentence(e.message) + ".");
      } finally { here.disabled = false; }
    });

    let result = null;
    const save = h("button", { type: "submit", class: "primary", form: "site-form", id: "site-save" }, s ? "Save site" : "Add site");
    const cancel = h("button", { type: "button", id: "site-cancel" }, "Cancel");
    const dlg = modal({ id: "site-dialog", title: s ? `Edit ${s.name}` : "Add a site", body: [form], buttons: [cancel, save],
      returnTo: opener, onClose: () => resolve(result) });
    cancel.addEventListener("click", () => dlg.close());

    const invalid = (el, text) => {
      el.setAttribute("aria-invalid", "true");
      el.focus();
      feedback(fb, "bad", text);
    };
    // The API's problem names the member (address.country, timeZone ...):
    // its field is marked.
    const byMember = { "name": f.name, "address.street": f.street, "address.postalCode": f.postalCode, "address.city": f.city,
      "address.state": f.state, "address.country": f.country, "coordinates.latitude": f.latitude, "coordinates.longitude": f.longitude,
      "coordinates": f.latitude, "timeZone": f.timeZone, "notes": f.notes };
    form.addEventListener("input", (ev) => ev.target.removeAttribute("aria-invalid"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const v = {
        name: f.name.value.trim(), street: f.street.value.trim(), postalCode: f.postalCode.value.trim(), city: f.city.value.trim(),
        state: f.state.value.trim(), country: f.country.value.trim().toUpperCase(), timeZone: f.timeZone.value.trim(), notes: f.notes.value,
      };
      if (!v.name) { invalid(f.name, "A site needs a name."); return; }
      const lat = f.latitude.value.trim().replace(",", "."), lon = f.longitude.value.trim().replace(",", ".");
      if (!lat !== !lon) { invalid(lat ? f.longitude : f.latitude, "Give both latitude and longitude, or neither."); return; }
      if (lat && !Number.isFinite(+lat)) { invalid(f.latitude, "The latitude is a number of degrees, from -90 to 90."); return; }
      if (lon && !Number.isFinite(+lon)) { invalid(f.longitude, "The longitude is a number of degrees, from -180 to 180."); return; }
      const coords = lat ? { latitude: +lat, longitude: +lon } : null;
      const address = { street: v.street, postalCode: v.postalCode, city: v.city, state: v.state, country: v.country };
      let body;
      if (!s) {
        body = { name: v.name, address, coordinates: coords, timeZone: v.timeZone, notes: v.notes };
      } else {
        // A merge patch of what changed, so a change made meanwhile by
        // someone else to another member is kept.
        body = {};
        for (const k of ["name", "timeZone", "notes"]) if (v[k] !== (s[k] || "")) body[k] = v[k];
        const da = {};
        for (const k of Object.keys(address)) if (address[k] !== (a[k] || "")) da[k] = address[k];
        if (Object.keys(da).length) body.address = da;
        if (JSON.stringify(coords) !== JSON.stringify(c ? { latitude: c.latitude, longitude: c.longitude } : null)) body.coordinates = coords;
        if (!Object.keys(body).length) { result = null; dlg.close(); return; }
      }
      save.disabled = true;
      feedback(fb, "wait", "Saving…");
      try {
        result = s ? await API.updateSite(s.id, body) : await API.createSite(body);
        dlg.close();
      } catch (e) {
        save.disabled = false;
        const member = Object.keys(byMember).sort((x, y) => y.length - x.length).find((m) => e.message.startsWith(m + " ") || e.message.startsWith(m + ":"));
        if (member) invalid(byMember[member], sentence(e.message));
        else feedback(fb, "bad", sentence(e.message));
      }
    });
    f.name.focus();
  });
}
