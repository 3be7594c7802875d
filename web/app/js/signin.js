// signin.js: signing in. The driver app's sign-in and sign-up, the
// operator view's sign-in (with single sign-on and the first-run setup
// with the admin token), and the pages shown to someone signed in with a
// role a view is not for.

import * as account from "./account.js";
import { h, feedback, sentence } from "./ui.js";

// returnTo is where to go after signing in: a path of this app in the
// mode, never another site (an open redirect) or a sign-in page.
function returnTo(mode) {
  const r = new URLSearchParams(location.search).get("returnTo") || "";
  const ok = r.startsWith("/") && !r.startsWith("//") && !r.includes("\\") && !/^\/(operator\/)?sign(in|up)\b/.test(r) &&
    (mode === "operator") === (r === "/operator" || r.startsWith("/operator/"));
  return ok ? r : account.homePath(mode);
}

function field(id, label, attrs, hint) {
  const input = h("input", { id, name: id, ...attrs, "aria-describedby": hint ? `${id}-hint` : undefined });
  return {
    input,
    el: h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : ""),
  };
}

// submitting runs a form's request with its button disabled and shows
// the API's message when it fails; on a 401 the credential fields
// (refused) are marked invalid.
function submitting(form, button, busyText, note, credentials, fn) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const label = button.textContent;
    button.disabled = true;
    button.textContent = busyText;
    feedback(note, "", "");
    for (const i of form.querySelectorAll("input")) i.removeAttribute("aria-invalid");
    try {
      await fn();
    } catch (e) {
      feedback(note, "bad", message(e));
      if (e.status === 401) for (const i of credentials) i.setAttribute("aria-invalid", "true");
      button.disabled = false;
      button.textContent = label;
    }
  });
}

// message is the API's own words (wrong password, rate limit with when
// to retry, a disabled account, a closed sign-up, the password policy).
const message = (e) => sentence(e.message);

function noticeEl() {
  const n = account.takeNotice();
  return h("div", { class: `feedback ${n ? n.tone : ""}`, role: "status", id: "signin-notice" }, n ? n.text : "");
}

// tabs links sign-in and sign-up (sign-up only when it is open).
function tabs(current, signup) {
  const q = location.search;
  const tab = (href, label, key) => h("a", { href: href + q, id: `tab-${key}`, "aria-current": current === key ? "page" : undefined }, label);
  return h("nav", { class: "tabs", "aria-label": "Sign in or create an account" },
    tab("/signin", "Sign in", "signin"), signup ? tab("/signup", "Create account", "signup") : "");
}

// --- Driver app ------------------------------------------------------------

export async function driverSignIn(main, _p, { navigate, alive, user }) {
  if (user) { navigate(returnTo("driver"), { replace: true }); return; }
  const prov = await account.providers();
  if (!alive()) return;
  const email = field("signin-email", "Email", { type: "email", autocomplete: "username", required: true, inputmode: "email" });
  const password = field("signin-password", "Password", { type: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit", class: "primary big", id: "signin-submit" }, "Sign in");
  const note = h("div", { class: "feedback", role: "alert", id: "signin-error" });
  const form = h("form", { class: "card stack", id: "signin-form", "aria-labelledby": "signin-h", novalidate: true }, email.el, password.el, note, button);
  submitting(form, button, "Signing in…", note, [email.input, password.input], async () => {
    await account.signIn(email.input.value, password.input.value);
    navigate(returnTo("driver"), { replace: true });
  });
  main.append(h("div", { class: "auth", id: "signin" },
    tabs("signin", prov.signup),
    h("h1", { id: "signin-h" }, "Sign in"),
    h("p", { class: "muted" }, "Sign in to find a charger, charge and follow your sessions."),
    noticeEl(), form,
    prov.signup
      ? h("p", {}, "New to Joule? ", h("a", { href: "/signup" + location.search, id: "to-signup" }, "Create an account"))
      : h("p", { class: "small muted", id: "signup-closed" }, "To get an account, ask the charging network's operator."),
    h("p", { class: "small muted" }, "Staff: ", h("a", { href: "/operator/signin" }, "sign in to the operator view"), ".")));
  email.input.focus();
}

export async function driverSignUp(main, _p, { navigate, alive, user }) {
  if (user) { navigate(returnTo("driver"), { replace: true }); return; }
  const prov = await account.providers();
  if (!alive()) return;
  if (!prov.signup) {
    main.append(h("div", { class: "auth", id: "signup" }, tabs("signup", false),
      h("h1", {}, "Sign-up is closed"),
      h("p", { class: "feedback warn", id: "signup-closed" }, "This charging network does not take new accounts here: ask its operator for one."),
      h("p", {}, h("a", { href: "/signin" + location.search }, "Sign in"), " with an account you have.")));
    return;
  }
  const name = field("signup-name", "Name", { type: "text", autocomplete: "name", required: true, maxlength: 100 });
  const email = field("signup-email", "Email", { type: "email", autocomplete: "email", required: true, inputmode: "email" });
  const password = field("signup-password", "Password", { type: "password", autocomplete: "new-password", required: true, minlength: 10 }, "At least 10 characters.");
  const button = h("button", { type: "submit", class: "primary big", id: "signup-submit" }, "Create account");
  const note = h("div", { class: "feedback", role: "alert", id: "signup-error" });
  const form = h("form", { class: "card stack", id: "signup-form", "aria-labelledby": "signup-h", novalidate: true }, name.el, email.el, password.el, note, button);
  submitting(form, button, "Creating your account…", note, [], async () => {
    if (password.input.value.length < 10) {
      password.input.setAttribute("aria-invalid", "true");
      password.input.focus();
      throw new Error("Choose a password of at least 10 characters.");
    }
    await account.signUp(name.input.value, email.input.value, password.input.value);
    navigate(returnTo("driver"), { replace: true });
  });
  main.append(h("div", { class: "auth", id: "signup" },
    tabs("signup", true),
    h("h1", { id: "signup-h" }, "Create an account"),
    h("p", { class: "muted" }, "Your account gets a charging tag for this app; you can link your RFID cards to it later."),
    form,
    h("p", {}, "Have an account? ", h("a", { href: "/signin" + location.search, id: "to-signin" }, "Sign in"))));
  name.input.focus();
}

// --- Operator view ---------------------------------------------------------

export async function operatorSignIn(main, _p, { navigate, alive, user }) {
  if (user) { navigate(returnTo("operator"), { replace: true }); return; }
  const prov = await account.providers();
  if (!alive()) return;
  const wrap = h("div", { class: "auth", id: "signin" },
    h("h1", { id: "signin-h" }, "Operator sign-in"),
    h("p", { class: "muted" }, "For the charging network's staff. Drivers: ", h("a", { href: "/signin" }, "sign in to the app"), "."),
    noticeEl());

  if (prov.setupRequired) {
    const token = field("setup-token", "Admin token", { type: "password", autocomplete: "off", spellcheck: "false", required: true },
      "The jk_… token in the admin-token file of Joule's data directory.");
    const email = field("setup-email", "Your email", { type: "email", autocomplete: "username", required: true });
    const name = field("setup-name", "Your name", { type: "text", autocomplete: "name", required: true, maxlength: 100 });
    const password = field("setup-password", "New password", { type: "password", autocomplete: "new-password", required: true, minlength: 10 }, "At least 10 characters.");
    const button = h("button", { type: "submit", class: "primary", id: "setup-submit" }, "Set up and sign in");
    const note = h("div", { class: "feedback", role: "alert", id: "setup-error" });
    const form = h("form", { class: "card stack setup", id: "setup-form", "aria-labelledby": "setup-h", novalidate: true },
      h("h2", { id: "setup-h" }, "First sign-in"),
      h("p", { class: "small" }, "Joule has an administrator without a password yet. Prove you run this Joule with the admin token, " +
        "then choose the administrator's email, name and password. This works once."),
      token.el, email.el, name.el, password.el, note, h("div", {}, button));
    submitting(form, button, "Setting up…", note, [token.input], async () => {
      await account.setup(token.input.value.trim(), email.input.value, name.input.value, password.input.value);
      navigate(returnTo("operator"), { replace: true });
    });
    wrap.append(form);
  }

  const email = field("signin-email", "Email", { type: "email", autocomplete: "username", required: true });
  const password = field("signin-password", "Password", { type: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit", class: "primary", id: "signin-submit" }, "Sign in");
  const note = h("div", { class: "feedback", role: "alert", id: "signin-error" });
  const form = h("form", { class: "card stack", id: "signin-form", "aria-labelledby": prov.setupRequired ? "signin-form-h" : "signin-h", novalidate: true },
    prov.setupRequired ? h("h2", { id: "signin-form-h" }, "Sign in") : "",
    email.el, password.el, note, h("div", {}, button));
  submitting(form, button, "Signing in…", note, [email.input, password.input], async () => {
    await account.signIn(email.input.value, password.input.value);
    navigate(returnTo("operator"), { replace: true });
  });
  if (prov.oidc) {
    const sso = h("a", { class: "button primary big", id: "sso", href: `/api/v1/auth/oidc/login?returnTo=${encodeURIComponent(returnTo("operator"))}` }, "Sign in with single sign-on");
    wrap.append(h("div", { class: "card stack" }, sso, h("p", { class: "small muted" }, "With your organisation's account.")),
      h("p", { class: "divider" }, "or with email and password"));
  }
  wrap.append(form);
  main.append(wrap);
  (prov.setupRequired ? wrap.querySelector("#setup-token") : email.input).focus();
}

// --- The wrong view for the role ---------------------------------------------

function signOutButton(mode, navigate) {
  const b = h("button", { type: "button", id: "notice-sign-out" }, "Sign out");
  b.addEventListener("click", () => account.signOutTo(mode, navigate));
  return b;
}

// staffOnly: a driver in the operator view.
export function staffOnly(main, u, { navigate }) {
  main.append(h("div", { class: "auth", id: "staff-only" },
    h("h1", {}, "This view is for staff"),
    h("p", { class: "feedback warn", role: "status" }, `You are signed in as ${u.name} (${u.email}), a driver. The operator view is for the charging network's staff.`),
    h("div", { class: "row" }, h("a", { class: "button primary", href: "/" }, "Open the driver app"), signOutButton("operator", navigate))));
}

// driversOnly: staff in the driver app, which charges with a driver's tags.
export function driversOnly(main, u, { navigate }) {
  main.append(h("div", { class: "auth", id: "drivers-only" },
    h("h1", {}, "The app is for drivers"),
    h("p", { class: "feedback warn", role: "status" }, `You are signed in as ${u.name} (${u.email}), ${account.ROLE_LABEL[u.role] || u.role}. ` +
      "The app charges with a driver's own tags; staff use the operator view."),
    h("div", { class: "row" }, h("a", { class: "button primary", href: "/operator" }, "Open the operator view"), signOutButton("driver", navigate))));
}

// adminOnly: a page for administrators, opened by other staff.
export function adminOnly(main, u) {
  main.append(h("h1", {}, "For administrators"),
    h("p", { class: "feedback warn", role: "status", id: "admin-only" }, `Only administrators manage users and API keys; you are signed in as ${account.ROLE_LABEL[u.role] || u.role}.`),
    h("p", {}, h("a", { href: "/operator" }, "Back to the dashboard")));
}
