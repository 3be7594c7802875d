// users.js: the administrator's Users page: people (create, change role,
// disable or enable, delete) and API keys for the operator's backends
// (create, shown once; delete).

import * as API from "./api.js";
import { ROLE_LABEL } from "./account.js";
import { confirmDialog, modal } from "./security.js";
import { h, badge, ago, when, feedback, sentence } from "./ui.js";

const ROLES = ["admin", "operator", "viewer", "driver"];
const STAFF_ROLES = ["admin", "operator", "viewer"];

const table = (head, body, attrs = {}) => h("div", { class: "table-wrap" },
  h("table", attrs, h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))), body));

function field(id, label, el, hint) {
  el.id = id;
  if (hint) el.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", {}, h("label", { for: id }, label), el, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : "");
}

const roleSelect = (roles, value, attrs = {}) => h("select", attrs, roles.map((r) => h("option", { value: r, selected: r === value }, ROLE_LABEL[r] || r)));

export async function usersScreen(main, _p, { alive, user }) {
  let [users, keys] = await Promise.all([API.users(), API.apiKeys()]);
  if (!alive()) return;

  // --- Users ---
  const note = h("div", { class: "feedback", role: "status", id: "users-status" });
  const body = h("tbody", {});
  const row = (u) => {
    const self = u.id === user.id;
    const role = roleSelect(ROLES, u.role, { "aria-label": `Role of ${u.email}`, dataset: { role: u.email }, disabled: self });
    role.addEventListener("change", () => setRole(u, role));
    const toggle = h("button", { type: "button", dataset: { action: u.disabled ? "enable" : "disable" }, "aria-label": `${u.disabled ? "Enable" : "Disable"} ${u.email}` }, u.disabled ? "Enable" : "Disable");
    toggle.addEventListener("click", () => setDisabled(u, !u.disabled, toggle));
    const del = h("button", { type: "button", class: "danger-quiet", dataset: { action: "delete" }, "aria-label": `Delete ${u.email}` }, "Delete");
    del.addEventListener("click", () => remove(u, del));
    return h("tr", { dataset: { user: u.email } },
      h("td", {}, h("div", { class: "strong" }, u.name, self ? h("span", { class: "small muted" }, " (you)") : ""), h("div", { class: "small muted" }, u.email)),
      h("td", {}, role),
      h("td", { dataset: { col: "status" } }, u.disabled ? badge("Disabled", "bad") : badge("Enabled", "ok")),
      h("td", { title: u.lastLoginAt || "" }, u.lastLoginAt ? ago(u.lastLoginAt) : "never"),
      h("td", {}, self ? h("span", { class: "small muted" }, "Change yourself on your Account page") : h("div", { class: "row" }, toggle, del)));
  };
  const draw = () => {
    users.sort((a, b) => a.email.localeCompare(b.email));
    body.replaceChildren(...users.map(row));
    if (!users.length) body.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, "No users.")));
  };
  const replace = (u) => { const i = users.findIndex((x) => x.id === u.id); if (i >= 0) users[i] = u; else users.push(u); };

  const setRole = async (u, select) => {
    select.disabled = true;
    feedback(note, "wait", `Changing ${u.email}'s role…`);
    try {
      const v = await API.updateUser(u.id, { role: select.value });
      replace(v);
      feedback(note, "ok", `${v.email} is now ${ROLE_LABEL[v.role] || v.role}. Their sign-ins have ended: they sign in again with the new role.`);
      draw();
    } catch (e) {
      select.value = u.role;
      select.disabled = false;
      feedback(note, "bad", `Could not change ${u.email}'s role: ${e.message}`);
    }
  };
  const setDisabled = async (u, disabled, button) => {
    button.disabled = true;
    feedback(note, "wait", `${disabled ? "Disabling" : "Enabling"} ${u.email}…`);
    try {
      const v = await API.updateUser(u.id, { disabled });
      replace(v);
      feedback(note, "ok", disabled ? `${v.email} is disabled: they are signed out and cannot sign in.` : `${v.email} is enabled: they can sign in again.`);
      draw();
      body.querySelector(`tr[data-user="${CSS.escape(v.email)}"] button[data-action]`)?.focus();
    } catch (e) {
      button.disabled = false;
      feedback(note, "bad", `Could not ${disabled ? "disable" : "enable"} ${u.email}: ${e.message}`);
    }
  };
  const remove = async (u, button) => {
    if (!(await confirmDialog({
      title: `Delete ${u.email}?`,
      text: `${u.name} can no longer sign in and their account is gone${u.role === "driver" ? "; their cards are blocked" : ""}. Their past sessions stay in the history. Disable the account instead to keep it.`,
      confirm: "Delete user", danger: true, fallback: heading,
    }))) return;
    button.disabled = true;
    feedback(note, "wait", `Deleting ${u.email}…`);
    try {
      await API.deleteUser(u.id);
      users = users.filter((x) => x.id !== u.id);
      feedback(note, "ok", `${u.email} deleted.`);
      draw();
      heading.focus();
    } catch (e) {
      button.disabled = false;
      feedback(note, "bad", `Could not delete ${u.email}: ${e.message}`);
    }
  };

  // Create a user.
  const nEmail = h("input", { type: "email", autocomplete: "off", required: true });
  const nName = h("input", { type: "text", autocomplete: "off", required: true, maxlength: 100 });
  const nRole = roleSelect(ROLES, "operator");
  const nPassword = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: 10 });
  const create = h("button", { type: "submit", class: "primary", id: "create-user" }, "Create user");
  const createNote = h("div", { class: "feedback", role: "status", id: "create-user-status" });
  const form = h("form", { class: "card", id: "new-user", "aria-labelledby": "new-user-h", novalidate: true },
    h("div", { class: "filters align-top" },
      field("new-user-email", "Email", nEmail), field("new-user-name", "Name", nName), field("new-user-role", "Role", nRole),
      field("new-user-password", "Initial password", nPassword, "At least 10 characters. They can change it on their Account page.")),
    createNote, create);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    create.disabled = true;
    feedback(createNote, "wait", "Creating…");
    try {
      const u = await API.createUser({ email: nEmail.value.trim(), name: nName.value, role: nRole.value, password: nPassword.value });
      replace(u);
      draw();
      form.reset();
      nRole.value = "operator";
      feedback(createNote, "ok", `Created ${u.email} (${ROLE_LABEL[u.role] || u.role}). Give them their password in a safe way; they sign in at ${u.role === "driver" ? "/signin" : "/operator/signin"}.`);
    } catch (e) {
      feedback(createNote, "bad", sentence(e.message));
    } finally { create.disabled = false; }
  });

  const heading = h("h1", { tabindex: "-1" }, "Users");
  main.append(heading,
    h("p", { class: "small muted" }, "Administrators manage everything; operators run the fleet; viewers look without changing anything; drivers charge with the app."),
    note, table(["User", "Role", "Status", "Last sign-in", ""], body, { id: "users" }),
    h("h2", { id: "new-user-h" }, "Add a user"), form);
  draw();

  // --- API keys ---
  const keyNote = h("div", { class: "feedback", role: "status", id: "api-keys-status" });
  const keyBody = h("tbody", {});
  const keyRow = (k) => {
    const del = h("button", { type: "button", class: "danger-quiet", dataset: { action: "delete-key" }, "aria-label": `Delete API key ${k.name}` }, "Delete");
    del.addEventListener("click", () => removeKey(k, del));
    return h("tr", { dataset: { key: k.id } },
      h("td", {}, h("div", { class: "strong" }, k.name), k.createdBy ? h("div", { class: "small muted" }, `by ${creator(k.createdBy)}`) : ""),
      h("td", {}, ROLE_LABEL[k.role] || k.role),
      h("td", {}, h("span", { class: "code" }, `jk_${k.prefix}…`)),
      h("td", { title: k.createdAt }, when(k.createdAt)),
      h("td", {}, k.lastUsedAt ? ago(k.lastUsedAt) : "never"),
      h("td", {}, del));
  };
  // creator names who made a key: "user:<email>", "apikey:<name>" or
  // "first run" (the admin-token key).
  const creator = (by) => {
    if (by.startsWith("user:")) return by.slice(5);
    if (by.startsWith("apikey:")) return `API key ${by.slice(7)}`;
    return by;
  };
  const drawKeys = () => {
    keyBody.replaceChildren(...keys.map(keyRow));
    if (!keys.length) keyBody.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No API keys.")));
  };
  const removeKey = async (k, button) => {
    if (!(await confirmDialog({
      title: `Delete the API key ${k.name}?`,
      text: `Whatever uses the key jk_${k.prefix}… is refused from now on.`,
      confirm: "Delete key", danger: true, fallback: keysHeading,
    }))) return;
    button.disabled = true;
    try {
      await API.deleteApiKey(k.id);
      keys = keys.filter((x) => x.id !== k.id);
      feedback(keyNote, "ok", `API key ${k.name} deleted.`);
      drawKeys();
      keysHeading.focus();
    } catch (e) {
      button.disabled = false;
      feedback(keyNote, "bad", `Could not delete ${k.name}: ${e.message}`);
    }
  };
  const kName = h("input", { type: "text", autocomplete: "off", required: true, maxlength: 100, placeholder: "Billing backend" });
  const kRole = roleSelect(STAFF_ROLES, "viewer");
  const kCreate = h("button", { type: "submit", class: "primary", id: "create-key" }, "Create API key");
  const kForm = h("form", { class: "card", id: "new-key", "aria-label": "Create an API key", novalidate: true },
    h("div", { class: "filters" }, field("new-key-name", "Name", kName), field("new-key-role", "Role", kRole)), kCreate);
  kForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    kCreate.disabled = true;
    feedback(keyNote, "wait", "Creating the key…");
    try {
      const k = await API.createApiKey(kName.value, kRole.value);
      const { key, ...kept } = k;
      keys.unshift(kept);
      drawKeys();
      kForm.reset();
      kRole.value = "viewer";
      feedback(keyNote, "ok", `API key ${k.name} created.`);
      await showKey({ name: k.name, key, returnTo: kCreate });
    } catch (e) {
      feedback(keyNote, "bad", sentence(e.message));
    } finally { kCreate.disabled = false; }
  });
  const keysHeading = h("h2", { id: "api-keys-h", tabindex: "-1" }, "API keys");
  main.append(keysHeading,
    h("p", { class: "small muted" }, "For the operator's own systems: they send the key as Authorization: Bearer. Joule keeps only a hash of each key and shows it once, when it is made."),
    keyNote, table(["Name", "Role", "Key", "Created", "Last used", ""], keyBody, { id: "api-keys" }), kForm);
  drawKeys();
}

// showKey shows a new API key once, with a copy button; the dialog, and
// the key with it, leaves the page when it closes.
function showKey({ name, key, returnTo }) {
  return new Promise((resolve) => {
    const secret = h("output", { class: "secret", id: "key-value", "aria-label": `API key ${name}` }, key);
    const copyNote = h("div", { class: "feedback", role: "status", id: "key-copied" });
    const copy = h("button", { type: "button", id: "key-copy", autofocus: true }, "Copy key");
    const close = h("button", { type: "button", class: "primary", id: "key-close" }, "Done, close");
    const dlg = modal({
      id: "key-dialog", title: `API key ${name}`, describedBy: "key-once", returnTo, onClose: resolve, buttons: [close],
      body: [h("p", { class: "feedback warn", id: "key-once" }, "Joule shows this key only now. Store it where your system reads it before you close this."),
        secret, h("div", { class: "row" }, copy), copyNote],
    });
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(secret.textContent);
        feedback(copyNote, "ok", "Copied to the clipboard.");
      } catch {
        const r = document.createRange();
        r.selectNodeContents(secret);
        getSelection().removeAllRanges();
        getSelection().addRange(r);
        feedback(copyNote, "bad", "This browser does not let Joule copy here: the key is selected, press Ctrl+C (⌘C on a Mac).");
      }
    });
    close.addEventListener("click", () => dlg.close());
  });
}
