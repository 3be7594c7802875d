// account.js: who is using the app. The sign-in lives in an HttpOnly
// cookie that scripts cannot read, so the app asks the API who it is
// (GET /api/v1/me) once and keeps the answer here; sign-in, sign-up and
// sign-out change it. Also the header's account menu and the Account page.

import * as API from "./api.js";
import { confirmDialog } from "./security.js";
import { h, feedback, sentence, when } from "./ui.js";
import { money, isZero } from "./money.js";

let me;          // undefined: not asked yet; null: signed out; else the user
let asking = null;
let providersP = null;
let notice = null; // {tone, text} for the next sign-in screen

export const ROLE_LABEL = { admin: "Administrator", operator: "Operator", viewer: "Viewer (read only)", driver: "Driver" };
export const isStaff = (u) => !!u && ["admin", "operator", "viewer"].includes(u.role);
// canChange: the role may change the fleet and send commands to chargers.
export const canChange = (u) => !!u && (u.role === "admin" || u.role === "operator");

// currentUser answers the signed-in user, or null.
export function currentUser() {
  if (me !== undefined) return Promise.resolve(me);
  asking = asking || API.me({ quiet: true }).then((u) => (me = u), (e) => {
    if (e instanceof API.ApiError && e.status === 401) return (me = null);
    throw e;
  }).finally(() => { asking = null; });
  return asking;
}

// forget drops what the app knows of the sign-in (it ended).
export function forget() { me = null; providersP = null; }

// providers: how one may sign in here ({password, signup, oidc, setupRequired}).
export function providers() {
  providersP = providersP || API.providers().catch((e) => { providersP = null; throw e; });
  return providersP;
}

// setNotice leaves a message for the next sign-in screen; takeNotice reads it once.
export function setNotice(tone, text) { notice = { tone, text }; }
export function takeNotice() { const n = notice; notice = null; return n; }

const signedIn = (ses) => { me = ses.user; providersP = null; return me; };
export const signIn = async (email, password) => signedIn(await API.login(email, password));
export const signUp = async (name, email, password) => signedIn(await API.signup(name, email, password));
export const setup = async (token, email, name, password) => signedIn(await API.setup(token, email, name, password));

export async function signOut() {
  await API.logout();
  forget();
}

export const signInPath = (mode, returnTo) => {
  const base = mode === "operator" ? "/operator/signin" : "/signin";
  return returnTo && returnTo !== homePath(mode) ? `${base}?returnTo=${encodeURIComponent(returnTo)}` : base;
};
export const homePath = (mode) => (mode === "operator" ? "/operator" : "/");
export const accountPath = (mode) => (mode === "operator" ? "/operator/account" : "/account");

// signOutTo signs out and shows the sign-in screen of the mode.
export async function signOutTo(mode, navigate) {
  try {
    await signOut();
  } catch (e) {
    if (!(e instanceof API.ApiError) || e.status !== 401) {
      showBanner(`Could not sign out: ${e.message}`);
      return;
    }
    forget();
  }
  setNotice("ok", "You are signed out.");
  navigate(signInPath(mode), { replace: true });
}

function showBanner(text) {
  const el = document.getElementById("banner");
  if (!el) return;
  el.hidden = false;
  el.className = "banner bad";
  el.textContent = text;
}

// renderAccount fills the header slot: a menu with the user's name, their
// account and Sign out; a Sign in link when nobody is signed in.
export function renderAccount(el, mode, u, { navigate }) {
  el.replaceChildren();
  if (!u) {
    if (!/\/(signin|signup)$/.test(location.pathname)) {
      el.append(h("a", { class: "signin-link", href: signInPath(mode, location.pathname + location.search) }, "Sign in"));
    }
    return;
  }
  const out = h("button", { type: "button", id: "sign-out" }, "Sign out");
  out.addEventListener("click", () => signOutTo(mode, navigate));
  const initials = u.name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("") || "?";
  const menu = h("details", { class: "menu", id: "account-menu" },
    h("summary", { "aria-label": `${u.name}: account menu` }, h("span", { class: "avatar", "aria-hidden": "true" }, initials), h("span", { class: "who", id: "who" }, u.name)),
    h("div", { class: "menu-panel" },
      h("div", {}, h("div", { class: "strong" }, u.name), h("div", { class: "small muted" }, u.email), h("div", { class: "small muted" }, ROLE_LABEL[u.role] || u.role)),
      h("a", { href: accountPath(mode), id: "account-link", class: "button" }, "Account"), out));
  menu.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
  });
  menu.addEventListener("click", (e) => { if (e.target.closest("a")) menu.open = false; });
  el.append(menu);
}

// Close the account menu on a click elsewhere.
document.addEventListener("click", (e) => {
  const m = document.getElementById("account-menu");
  if (m && m.open && !m.contains(e.target)) m.open = false;
});

// --- Account page ------------------------------------------------------------

function field(id, label, input, hint) {
  input.id = id;
  if (hint) input.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : "");
}

// accountScreen: the signed-in user's name, email, role and password, and
// a driver's charging tags: the app's own and their RFID cards.
export async function accountScreen(main, _p, { alive, mode, navigate }) {
  let u = await API.me();
  if (!alive()) return;
  me = u;

  // Profile: the name can change; email and role are the administrator's.
  const name = h("input", { type: "text", autocomplete: "name", maxlength: 100, required: true, value: u.name });
  const saveName = h("button", { type: "submit", class: "primary", id: "save-name" }, "Save name");
  const profNote = h("div", { class: "feedback", role: "status", id: "profile-status" });
  const facts = h("dl", { class: "facts", id: "account-facts" });
  const drawFacts = () => facts.replaceChildren(
    h("dt", {}, "Email"), h("dd", { dataset: { fact: "email" } }, u.email),
    h("dt", {}, "Role"), h("dd", { dataset: { fact: "role" } }, ROLE_LABEL[u.role] || u.role),
    h("dt", {}, "Member since"), h("dd", {}, new Date(u.createdAt).toLocaleDateString([], { dateStyle: "medium" })));
  drawFacts();
  const profile = h("form", { class: "card stack", "aria-labelledby": "profile-h" },
    field("account-name", "Name", name), profNote, h("div", {}, saveName));
  profile.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    saveName.disabled = true;
    feedback(profNote, "wait", "Saving…");
    try {
      u = me = await API.updateMe({ name: name.value });
      feedback(profNote, "ok", "Name saved.");
      const who = document.getElementById("who");
      if (who) who.textContent = u.name;
    } catch (e) {
      feedback(profNote, "bad", sentence(e.message));
      name.focus();
    } finally { saveName.disabled = false; }
  });

  // Password: the current one proves it is the user; a new one ends every
  // other sign-in (this browser gets a fresh cookie from the answer).
  const current = h("input", { type: "password", autocomplete: "current-password" });
  const next = h("input", { type: "password", autocomplete: "new-password" });
  const change = h("button", { type: "submit", class: "primary", id: "change-password" }, "Change password");
  const pwNote = h("div", { class: "feedback", role: "status", id: "password-status" });
  const password = h("form", { class: "card stack", "aria-labelledby": "password-h" },
    field("current-password", "Current password", current),
    field("new-password", "New password", next, "At least 10 characters. Your other devices are signed out."),
    pwNote, h("div", {}, change));
  password.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (next.value.length < 10) { feedback(pwNote, "bad", "The new password needs at least 10 characters."); next.focus(); return; }
    change.disabled = true;
    feedback(pwNote, "wait", "Changing the password…");
    try {
      u = me = await API.updateMe({ password: next.value, currentPassword: current.value });
      current.value = next.value = "";
      feedback(pwNote, "ok", "Password changed. Your other sign-ins have ended.");
    } catch (e) {
      feedback(pwNote, "bad", e.code === "forbidden" ? "The current password is wrong." : sentence(e.message));
      (e.code === "forbidden" ? current : next).focus();
    } finally { change.disabled = false; }
  });

  main.append(h("h1", {}, "Your account"),
    h("h2", { id: "profile-h" }, "Profile"), h("div", { class: "card" }, facts), profile,
    h("h2", { id: "password-h" }, "Password"), password);

  if (u.role === "driver" || u.appIdTag) main.append(...cardsSection(() => u, (next) => { u = me = next; }));
  if (u.role === "driver") main.append(...walletSection(alive), ...paymentMethodsSection(alive));

  const out = h("button", { type: "button", id: "account-sign-out" }, "Sign out");
  out.addEventListener("click", () => signOutTo(mode, navigate));
  main.append(h("h2", {}, "Sign out"), h("p", { class: "small muted" }, "Signs this browser out. Your sessions and cards stay."), h("p", {}, out));
}

// cardsSection: the app's id tag and the driver's RFID cards, with a form
// to link a card and a button to remove one.
function cardsSection(getUser, setUser) {
  const list = h("ul", { class: "cards-list", id: "cards", "aria-live": "polite" });
  const note = h("div", { class: "feedback", role: "status", id: "cards-status" });
  const input = h("input", { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 20, inputmode: "text", placeholder: "e.g. 04A2B3C4D5E6F7" });
  const link = h("button", { type: "submit", class: "primary", id: "link-card" }, "Link card");
  const form = h("form", { class: "stack", "aria-label": "Link an RFID card" },
    field("card-id", "Card id", input, "The id of your RFID charging card (up to 20 characters), as printed on it or as the operator gave it to you."),
    h("div", {}, link));

  const draw = () => {
    const u = getUser();
    const cards = (u.idTags || []).filter((t) => t !== u.appIdTag);
    list.replaceChildren(
      h("li", { class: "card", dataset: { card: u.appIdTag || "" } },
        h("div", { class: "grow" }, h("span", { class: "code", id: "app-id-tag" }, u.appIdTag || "–"), " ", h("span", { class: "badge info" }, "App")),
        h("div", { class: "small muted" }, "The app starts charging with this tag. It cannot be removed.")),
      ...cards.map((t) => {
        const rm = h("button", { type: "button", class: "danger-quiet", dataset: { remove: t }, "aria-label": `Remove card ${t}` }, "Remove");
        rm.addEventListener("click", () => remove(t, rm));
        return h("li", { class: "card", dataset: { card: t } }, h("div", { class: "grow" }, h("span", { class: "code" }, t), " ", h("span", { class: "badge muted" }, "RFID card")), rm);
      }));
    if (!cards.length) list.append(h("li", { class: "muted small", id: "no-cards" }, "No RFID card linked yet."));
  };
  const reload = async () => { setUser(await API.me()); draw(); };

  const remove = async (t, button) => {
    if (!(await confirmDialog({ title: `Remove card ${t}?`, text: `The card ${t} stops starting sessions for you. Its past sessions stay in your history.`, confirm: "Remove card", danger: true, fallback: input }))) return;
    button.disabled = true;
    feedback(note, "wait", `Removing ${t}…`);
    try {
      await API.unlinkCard(t);
      await reload();
      feedback(note, "ok", `Card ${t} removed.`);
      input.focus();
    } catch (e) {
      feedback(note, "bad", sentence(e.message));
      button.disabled = false;
    }
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const t = input.value.trim();
    if (!t) { feedback(note, "bad", "Enter the card's id."); input.focus(); return; }
    link.disabled = true;
    feedback(note, "wait", `Linking ${t}…`);
    try {
      await API.linkCard(t);
      input.value = "";
      await reload();
      feedback(note, "ok", `Card ${t} linked: it starts sessions for you at any charger.`);
    } catch (e) {
      feedback(note, "bad", sentence(e.message));
      input.focus();
    } finally { link.disabled = false; }
  });
  draw();
  return [h("h2", { id: "cards-h" }, "Charging cards"), h("section", { "aria-labelledby": "cards-h" }, list, h("div", { class: "card" }, form, note))];
}

// --- Paying: the wallet and saved cards ---------------------------------------

// ENTRY_KIND words a wallet entry's kind. A hold and its release change
// what is available, not the balance.
const ENTRY_KIND = { topup: "Top-up", grant: "Credit from the operator", hold: "Held for a session", release: "Hold given back",
  debit: "Charging", refund: "Refund", adjustment: "Correction by the operator" };

// walletSection: the driver's wallet: what is available to start
// charging, what is held for sessions running, and its recent entries.
function walletSection(alive) {
  const facts = h("dl", { class: "facts", id: "wallet" }, h("dt", {}, "Available"), h("dd", {}, "…"));
  const entries = h("ul", { class: "entries", id: "wallet-entries", "aria-live": "polite" });
  const note = h("div", { class: "feedback", role: "status", id: "wallet-status" });
  const load = async () => {
    let w;
    try {
      w = await API.wallet();
    } catch (e) {
      // A server that wants the currency named: the usual one.
      if (!(e instanceof API.ApiError) || e.status !== 400) throw e;
      w = await API.wallet("EUR");
    }
    if (!alive()) return;
    facts.replaceChildren(
      h("dt", {}, "Available"), h("dd", { class: "num strong", dataset: { wallet: "available" } }, money(w.available, w.currency)),
      h("dt", {}, "Held"), h("dd", { class: "num", dataset: { wallet: "held" } }, money(w.held, w.currency),
        isZero(w.held) ? "" : h("span", { class: "small muted" }, " for sessions running: what they do not use comes back")),
      h("dt", {}, "Balance"), h("dd", { class: "num", dataset: { wallet: "balance" } }, money(w.balance, w.currency)));
    const list = API.itemsOf(await API.walletEntries(20));
    if (!alive()) return;
    entries.replaceChildren(...list.map((x) => h("li", { dataset: { entry: x.id } },
      h("div", { class: "grow" },
        h("div", {}, ENTRY_KIND[x.kind] || x.kind, x.sessionId ? [" · ", h("a", { href: `/sessions/${encodeURIComponent(x.sessionId)}` }, "session")] : ""),
        h("div", { class: "small muted" }, when(x.createdAt), x.note ? ` · ${x.note}` : "")),
      h("span", { class: `num strong${String(x.amount).startsWith("-") ? "" : " plus"}` }, money(x.amount, x.currency)))));
    if (!list.length) entries.append(h("li", { class: "muted small" }, "No entries yet."));
  };
  load().catch((e) => { if (alive()) feedback(note, "bad", `The wallet could not be read: ${sentence(e.message)}`); });
  return [h("h2", { id: "wallet-h" }, "Wallet"),
    h("section", { class: "card", "aria-labelledby": "wallet-h" }, facts, note,
      h("h3", { class: "sub" }, "Recent entries"), entries)];
}

// brand names a card's brand as printed on it (Stripe answers "visa").
const BRANDS = { visa: "Visa", mastercard: "Mastercard", amex: "American Express", discover: "Discover", diners: "Diners Club", jcb: "JCB", unionpay: "UnionPay" };
const brand = (b) => BRANDS[b] || (b ? b.charAt(0).toUpperCase() + b.slice(1) : "Card");

// paymentMethodsSection: the driver's saved cards, with a form to add one
// by its payment method id and a button to remove one.
function paymentMethodsSection(alive) {
  const list = h("ul", { class: "cards-list", id: "payment-methods", "aria-live": "polite" });
  const note = h("div", { class: "feedback", role: "status", id: "payment-methods-status" });
  const input = h("input", { type: "text", autocomplete: "off", spellcheck: "false", maxlength: 255, placeholder: "pm_card_visa" });
  const add = h("button", { type: "submit", class: "primary", id: "add-payment-method" }, "Add card");
  const form = h("form", { class: "stack", "aria-label": "Add a card" },
    field("payment-method-id", "Payment method id", input,
      "A real deployment takes the card in Stripe's own form here. This form takes a payment method id, such as a Stripe test id like pm_card_visa."),
    h("div", {}, add));

  const draw = (methods) => {
    list.replaceChildren(...methods.map((m) => {
      const name = `${brand(m.brand)} ending ${m.last4 || "····"}`;
      const rm = h("button", { type: "button", class: "danger-quiet", dataset: { remove: m.id }, "aria-label": `Remove ${name}` }, "Remove");
      rm.addEventListener("click", () => remove(m, name, rm));
      return h("li", { class: "card", dataset: { method: m.id } },
        h("div", { class: "grow" }, h("strong", {}, name),
          m.expMonth ? h("div", { class: "small muted" }, `Expires ${String(m.expMonth).padStart(2, "0")}/${m.expYear}`) : ""), rm);
    }));
    if (!methods.length) list.append(h("li", { class: "muted small", id: "no-payment-methods" }, "No card saved. Charging is paid from your wallet."));
  };
  const reload = async () => {
    const methods = API.itemsOf(await API.paymentMethods());
    if (alive()) draw(methods);
  };
  const remove = async (m, name, button) => {
    if (!(await confirmDialog({ title: `Remove ${name}?`, text: `${name} is no longer used to pay for charging. Sessions already paid stay paid.`, confirm: "Remove card", danger: true, fallback: input }))) return;
    button.disabled = true;
    feedback(note, "wait", `Removing ${name}…`);
    try {
      await API.removePaymentMethod(m.id);
      await reload();
      feedback(note, "ok", `${name} removed.`);
      input.focus();
    } catch (e) {
      feedback(note, "bad", sentence(e.message));
      button.disabled = false;
    }
  };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = input.value.trim();
    if (!id) { feedback(note, "bad", "Enter the payment method id."); input.focus(); return; }
    add.disabled = true;
    feedback(note, "wait", "Adding the card…");
    try {
      const m = await API.addPaymentMethod(id);
      input.value = "";
      await reload();
      feedback(note, "ok", m && m.last4 ? `${brand(m.brand)} ending ${m.last4} added.` : "Card added.");
    } catch (e) {
      feedback(note, "bad", sentence(e.message));
      input.focus();
    } finally { add.disabled = false; }
  });
  reload().catch((e) => { if (alive()) { list.replaceChildren(); feedback(note, "bad", `Your cards could not be read: ${sentence(e.message)}`); } });
  return [h("h2", { id: "payment-methods-h" }, "Payment cards"), h("section", { "aria-labelledby": "payment-methods-h" }, list, h("div", { class: "card" }, form, note))];
}
