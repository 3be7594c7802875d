// tariffs.js: the operator's Tariffs page: what charging costs. Tariffs
// are OCPI's Tariff in camelCase, edited as JSON with a summary in words
// beside it; a tariff applies where it is assigned (a site, or a charger,
// which wins over its site).

import * as API from "./api.js";
import { canChange, ROLE_LABEL } from "./account.js";
import { confirmDialog } from "./security.js";
import { tariffLines } from "./money.js";
import { h, feedback, sentence, byName, chargerName, when } from "./ui.js";

// EXAMPLE is a new tariff's starting point: daytime and night energy
// prices, parking after charging and a session fee, VAT apart.
const EXAMPLE = {
  id: "standard",
  name: "Standard",
  currency: "EUR",
  elements: [
    {
      priceComponents: [{ type: "ENERGY", price: "0.35", vat: "19", stepSize: 1 }],
      restrictions: { startTime: "07:00", endTime: "22:00" },
    },
    { priceComponents: [{ type: "ENERGY", price: "0.28", vat: "19", stepSize: 1 }] },
    { priceComponents: [{ type: "PARKING_TIME", price: "1.68", vat: "19", stepSize: 60 }, { type: "FLAT", price: "0.84", vat: "19", stepSize: 1 }] },
  ],
};

// editable is a tariff as the operator edits it: without what the server keeps.
function editable(t) {
  const { createdAt, updatedAt, ...rest } = t;
  return rest;
}

const table = (head, body, attrs = {}) => h("div", { class: "table-wrap" },
  h("table", attrs, h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))), body));

const summary = (t, attrs = {}) => h("ul", { class: "tariff-lines", ...attrs }, tariffLines(t).map((l) => h("li", {}, l)));

export async function tariffsScreen(main, _p, { alive, user }) {
  const readOnly = !canChange(user);
  let [list, sites, chargers] = await Promise.all([API.tariffs(), API.sites().catch(() => []), API.chargers().catch(() => [])]);
  if (!alive()) return;

  const body = h("tbody", {});
  const note = h("div", { class: "feedback", role: "status", id: "tariffs-status" });

  // Where each tariff applies (sites and chargers that name it).
  const usedBy = (id) => [
    ...sites.filter((s) => s.tariffId === id).map((s) => `site ${s.name}`),
    ...chargers.filter((c) => c.tariffId === id).map((c) => `charger ${chargerName(c)}`),
  ];
  const draw = () => {
    list.sort((a, b) => byName(a.name || a.id, b.name || b.id));
    body.replaceChildren(...list.map((t) => {
      const edit = h("button", { type: "button", class: "quiet", dataset: { edit: t.id } }, "Edit");
      const del = h("button", { type: "button", class: "danger-quiet", dataset: { delete: t.id } }, "Delete");
      edit.addEventListener("click", () => openForm(t));
      del.addEventListener("click", () => remove(t, del));
      const used = usedBy(t.id);
      return h("tr", { dataset: { tariff: t.id } },
        h("td", { "data-label": "Tariff" }, h("strong", {}, t.name || t.id), h("div", { class: "small muted code" }, t.id)),
        h("td", { "data-label": "Prices" }, summary(t), h("div", { class: "small muted" }, `${t.currency} · prices excl. VAT`)),
        h("td", { "data-label": "Applies at" }, used.length ? used.join(", ") : h("span", { class: "muted" }, "Not assigned")),
        h("td", { "data-label": "Updated", class: "nowrap" }, when(t.updatedAt)),
        h("td", {}, readOnly ? "" : h("div", { class: "row" }, edit, del)));
    }));
    if (!list.length) body.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No tariffs yet: charging is free everywhere.")));
    fillAssign();
  };
  const reload = async () => {
    [list, sites, chargers] = await Promise.all([API.tariffs(), API.sites().catch(() => sites), API.chargers().catch(() => chargers)]);
    if (alive()) draw();
  };

  const remove = async (t, button) => {
    if (!(await confirmDialog({ title: `Delete tariff ${t.name || t.id}?`, text: "Sessions already priced keep their cost. A tariff still assigned to a site or charger cannot be deleted.", confirm: "Delete tariff", danger: true, fallback: newButton }))) return;
    button.disabled = true;
    feedback(note, "wait", `Deleting ${t.id}…`);
    try {
      await API.deleteTariff(t.id);
      await reload();
      feedback(note, "ok", `Tariff ${t.id} deleted.`);
    } catch (e) {
      // 409: still assigned; the API says where.
      feedback(note, "bad", `${t.id} was not deleted: ${e.message}`);
      button.disabled = false;
    }
  };

  // The form: JSON on one side, the same tariff in words on the other.
  const heading = h("h2", { id: "tariff-form-h" }, "New tariff");
  const text = h("textarea", { id: "tariff-json", rows: 18, spellcheck: "false", class: "code", "aria-describedby": "tariff-json-hint" });
  const preview = h("div", { id: "tariff-preview", "aria-live": "polite" });
  const formNote = h("div", { class: "feedback", role: "status", id: "tariff-form-status" });
  const save = h("button", { type: "submit", class: "primary", id: "save-tariff" }, "Create tariff");
  const cancel = h("button", { type: "button", id: "cancel-tariff" }, "Cancel");
  const form = h("form", { class: "card", id: "tariff-form", "aria-labelledby": "tariff-form-h", hidden: true, novalidate: true },
    heading,
    h("div", { class: "tariff-edit" },
      h("div", {}, h("label", { for: "tariff-json" }, "Tariff (JSON)"), text,
        h("p", { class: "hint", id: "tariff-json-hint" },
          "OCPI 2.2.1 Tariff in camelCase. Prices exclude VAT; vat is a percentage. Types: ENERGY (per kWh), TIME (per hour charging), ",
          "PARKING_TIME (per hour plugged in, not charging), FLAT (per session). stepSize is in Wh or seconds. ",
          "The first element whose restrictions (startTime, endTime, dayOfWeek, minKwh, maxPower…) hold sets each price.")),
      h("div", {}, h("div", { class: "label-like" }, "In words"), preview)),
    formNote, h("div", { class: "row" }, save, cancel));
  let editing = null; // the tariff being changed; null: a new one

  const parse = () => {
    try { return { t: JSON.parse(text.value) }; } catch (e) { return { err: e.message }; }
  };
  const showPreview = () => {
    const { t, err } = parse();
    if (err) preview.replaceChildren(h("p", { class: "feedback bad" }, `Not valid JSON yet: ${err}`));
    else if (!t || typeof t !== "object" || !Array.isArray(t.elements)) preview.replaceChildren(h("p", { class: "muted" }, "A tariff needs an elements list."));
    else preview.replaceChildren(h("p", { class: "strong" }, `${t.name || t.id || "Unnamed"} (${t.currency || "no currency"})`), summary(t));
  };
  text.addEventListener("input", () => { text.removeAttribute("aria-invalid"); showPreview(); });

  const openForm = (t) => {
    editing = t || null;
    heading.textContent = t ? `Edit tariff ${t.name || t.id}` : "New tariff";
    save.textContent = t ? "Save tariff" : "Create tariff";
    text.value = JSON.stringify(t ? editable(t) : { ...EXAMPLE, id: list.some((x) => x.id === EXAMPLE.id) ? `standard-${list.length + 1}` : EXAMPLE.id }, null, 2);
    feedback(formNote, "", "");
    form.hidden = false;
    showPreview();
    text.focus();
    text.setSelectionRange(0, 0);
    text.scrollTop = 0;
    form.scrollIntoView({ block: "nearest" });
  };
  cancel.addEventListener("click", () => { form.hidden = true; editing = null; newButton.focus(); });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const { t, err } = parse();
    if (err) { text.setAttribute("aria-invalid", "true"); feedback(formNote, "bad", `The JSON is not valid: ${err}`); text.focus(); return; }
    save.disabled = true;
    feedback(formNote, "wait", "Saving…");
    try {
      const saved = editing ? await API.updateTariff(editing.id, { ...t, id: editing.id }) : await API.createTariff(t);
      form.hidden = true;
      editing = null;
      await reload();
      feedback(note, "ok", `Tariff ${saved.id} saved.`);
      newButton.focus();
    } catch (e) {
      text.setAttribute("aria-invalid", "true");
      feedback(formNote, "bad", sentence(e.message));
      text.focus();
    } finally { save.disabled = false; }
  });

  const newButton = h("button", { type: "button", class: "primary", id: "new-tariff" }, "New tariff");
  newButton.addEventListener("click", () => openForm(null));

  // Assigning: a site's tariff applies at its chargers; a charger's own
  // tariff wins over its site's.
  const target = h("select", { id: "assign-target" });
  const choice = h("select", { id: "assign-tariff" });
  const assignNote = h("div", { class: "feedback", role: "status", id: "assign-status" });
  const assignButton = h("button", { type: "submit", class: "primary", id: "assign" }, "Assign");
  const assign = h("form", { class: "card", id: "assign-form", "aria-labelledby": "assign-h" },
    h("div", { class: "filters" },
      h("div", {}, h("label", { for: "assign-target" }, "Site or charger"), target),
      h("div", {}, h("label", { for: "assign-tariff" }, "Tariff"), choice),
      h("div", {}, assignButton)),
    h("p", { class: "hint" }, "A charger's own tariff wins over its site's. Sessions already running keep the tariff they started with."),
    assignNote);
  function fillAssign() {
    const keepT = target.value, keepC = choice.value;
    target.replaceChildren(
      h("optgroup", { label: "Sites" }, [...sites].sort((a, b) => byName(a.name, b.name)).map((s) =>
        h("option", { value: `site:${s.id}` }, `${s.name}${s.tariffId ? ` (${s.tariffId})` : ""}`))),
      h("optgroup", { label: "Chargers" }, [...chargers].sort((a, b) => byName(chargerName(a), chargerName(b))).map((c) =>
        h("option", { value: `charger:${c.id}` }, `${chargerName(c)}${c.tariffId ? ` (${c.tariffId})` : ""}`))));
    choice.replaceChildren(h("option", { value: "" }, "None (free, or the site's)"), ...list.map((t) => h("option", { value: t.id }, t.name ? `${t.name} (${t.id})` : t.id)));
    if (keepT) target.value = keepT;
    choice.value = keepT ? keepC : current();
  }
  // Choosing a site or charger shows the tariff it has now.
  const current = () => {
    const [kind, id] = target.value.split(/:(.*)/s);
    const x = kind === "site" ? sites.find((y) => y.id === id) : chargers.find((y) => y.id === id);
    return (x && x.tariffId) || "";
  };
  target.addEventListener("change", () => { choice.value = current(); });
  assign.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const [kind, id] = target.value.split(/:(.*)/s);
    if (!id) { feedback(assignNote, "bad", "Choose a site or a charger."); target.focus(); return; }
    const patch = { tariffId: choice.value || null };
    assignButton.disabled = true;
    feedback(assignNote, "wait", "Assigning…");
    try {
      if (kind === "site") await API.updateSite(id, patch);
      else await API.updateCharger(id, patch);
      await reload();
      feedback(assignNote, "ok", choice.value ? `${choice.value} now applies at ${kind} ${id}.` : `The ${kind} ${id} has no tariff of its own now.`);
    } catch (e) {
      feedback(assignNote, "bad", sentence(e.message));
    } finally { assignButton.disabled = false; }
  });

  main.append(
    h("div", { class: "row spread title" }, h("h1", {}, "Tariffs"), readOnly ? "" : newButton),
    h("p", { class: "small muted" }, "What charging costs. Drivers see the price (VAT included) before they start; a session keeps the tariff it started with."),
    readOnly ? h("p", { class: "feedback warn", id: "read-only" }, `You are signed in as ${ROLE_LABEL[user.role] || user.role}: you can see tariffs but not change them.`) : "",
    note, form,
    table(["Tariff", "Prices", "Applies at", "Updated", ""], body, { id: "tariffs" }),
    ...(readOnly ? [] : [h("h2", { id: "assign-h" }, "Assign a tariff"), assign]));
  draw();
}
