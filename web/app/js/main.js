// main.js: the shell. A tiny router maps paths to screens; each screen
// draws into <main> and may return a cleanup function. The driver app
// lives at /, the operator view at /operator; both share this shell.
// Every screen but the sign-in ones needs a signed-in user of the right
// role: the router shows the sign-in screen (and returns afterwards) or
// says the view is not for that role.

import * as driver from "./driver.js";
import * as operator from "./operator.js";
import * as signin from "./signin.js";
import * as account from "./account.js";
import { usersScreen } from "./users.js";
import { sitesScreen } from "./sites.js";
import { siteScreen } from "./siteload.js";
import { tariffsScreen } from "./tariffs.js";
import * as opsession from "./opsession.js";
import { reportsScreen } from "./reports.js";
import { onUnauthorized } from "./api.js";
import { close as closeLive } from "./live.js";
import { h } from "./ui.js";

// Access: public (anyone), user (anyone signed in), driver, staff, admin.
const routes = [
  ["/", driver.chargersScreen, "driver", "driver"],
  ["/chargers/:id", driver.chargerScreen, "driver", "driver"],
  ["/sessions/:id", driver.sessionScreen, "driver", "driver"],
  ["/history", driver.historyScreen, "driver", "driver"],
  ["/account", account.accountScreen, "driver", "user"],
  ["/signin", signin.driverSignIn, "driver", "public"],
  ["/signup", signin.driverSignUp, "driver", "public"],
  ["/operator", operator.dashboardScreen, "operator", "staff"],
  ["/operator/chargers", operator.chargersScreen, "operator", "staff"],
  ["/operator/chargers/:id", operator.chargerScreen, "operator", "staff"],
  ["/operator/sites", sitesScreen, "operator", "staff"],
  ["/operator/sites/:id", siteScreen, "operator", "staff"],
  ["/operator/sessions", operator.sessionsScreen, "operator", "staff"],
  ["/operator/sessions/:id", opsession.sessionScreen, "operator", "staff"],
  ["/operator/tariffs", tariffsScreen, "operator", "staff"],
  ["/operator/reports", reportsScreen, "operator", "staff"],
  ["/operator/users", usersScreen, "operator", "admin"],
  ["/operator/account", account.accountScreen, "operator", "user"],
  ["/operator/signin", signin.operatorSignIn, "operator", "public"],
];

const navs = {
  driver: [["/", "Chargers"], ["/history", "History"]],
  operator: [["/operator", "Dashboard"], ["/operator/chargers", "Chargers"], ["/operator/sites", "Sites"], ["/operator/sessions", "Sessions"], ["/operator/tariffs", "Tariffs"], ["/operator/reports", "Reports"], ["/operator/users", "Users", "admin"]],
};

function match(path) {
  const parts = path.replace(/\/+$/, "").split("/").slice(1);
  for (const [pattern, screen, mode, access] of routes) {
    const ps = pattern.replace(/\/+$/, "").split("/").slice(1);
    if (ps.length !== parts.length) continue;
    const params = {};
    if (ps.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = decodeURIComponent(parts[i])), true) : p === parts[i]))) {
      return { screen, params, mode, access };
    }
  }
  return null;
}

const modeOf = (path) => (path === "/operator" || path.startsWith("/operator/") ? "operator" : "driver");

let cleanup = null;
let renderSeq = 0;

async function render() {
  if (cleanup) { try { cleanup(); } catch {} cleanup = null; }
  closeLive();
  const seq = ++renderSeq;
  const path = location.pathname;
  const m = match(path);
  const mode = m ? m.mode : modeOf(path);
  document.body.dataset.mode = mode;
  const main = document.getElementById("main");
  let user;
  try {
    user = await account.currentUser();
  } catch (e) {
    if (seq !== renderSeq) return;
    drawNav(mode, path, null);
    main.replaceChildren(h("h1", {}, "Joule cannot be reached"), h("p", { class: "feedback bad", role: "alert" }, e.message || String(e)),
      h("p", {}, h("button", { type: "button", onclick: render }, "Try again")));
    return;
  }
  if (seq !== renderSeq) return;
  const ctx = { navigate, alive: () => seq === renderSeq, user, mode };
  drawNav(mode, path, user && (m?.access === "public" || allowed(m?.access, user)) ? user : null);
  account.renderAccount(document.getElementById("account"), mode, user, ctx);
  document.body.dataset.signedIn = user ? user.role : "";
  main.replaceChildren();
  if (!m) {
    main.append(h("h1", {}, "Page not found"), h("p", {}, h("a", { href: account.homePath(mode) }, "Go to the start page")));
    return;
  }
  if (m.access !== "public" && !user) {
    navigate(account.signInPath(mode, path + location.search), { replace: true, focus: false });
    return;
  }
  if (m.access !== "public" && !allowed(m.access, user)) {
    if (m.access === "driver") signin.driversOnly(main, user, ctx);
    else if (m.access === "staff") signin.staffOnly(main, user, ctx);
    else signin.adminOnly(main, user, ctx);
    return;
  }
  try {
    const c = await m.screen(main, m.params, ctx);
    if (seq === renderSeq) cleanup = c || null;
    else if (c) c();
  } catch (e) {
    if (seq !== renderSeq) return;
    main.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { class: "feedback bad", role: "alert" }, e.message || String(e)),
      h("p", {}, h("button", { type: "button", onclick: render }, "Try again")));
  }
}

function allowed(access, u) {
  switch (access) {
    case "public": return true;
    case "user": return !!u;
    case "driver": return u?.role === "driver";
    case "staff": return account.isStaff(u);
    case "admin": return u?.role === "admin";
  }
  return false;
}

// drawNav shows the mode's pages to a user who may open them.
function drawNav(mode, path, user) {
  const nav = document.getElementById("nav");
  const items = user ? navs[mode].filter(([, , role]) => !role || user.role === role) : [];
  nav.replaceChildren(...items.map(([href, label]) => {
    const current = href === path || (href !== "/" && href !== "/operator" && path.startsWith(href));
    return h("a", { href, "aria-current": current ? "page" : undefined }, label);
  }));
  document.querySelector(".brand").setAttribute("href", account.homePath(mode));
}

export function navigate(href, { replace = false, focus = true } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  return render().then(() => {
    if (!focus) return;
    // Move focus to the new page, for keyboards and screen readers; a
    // screen that focused a field itself keeps it.
    const main = document.getElementById("main");
    if (main.contains(document.activeElement) && document.activeElement.matches("input, select, textarea")) return;
    const h1 = main.querySelector("h1");
    (h1 || main).setAttribute("tabindex", "-1");
    (h1 || main).focus({ preventScroll: true });
    window.scrollTo(0, 0);
  });
}

// A 401 from the API: the sign-in expired, was revoked or ended elsewhere.
// Back to the sign-in screen of the mode, which returns here afterwards.
onUnauthorized(() => {
  account.forget();
  const m = match(location.pathname);
  if (m && m.access === "public") return;
  account.setNotice("warn", "Your sign-in has ended (it expired, or it was signed out or revoked). Sign in again to go on where you were.");
  navigate(account.signInPath(m ? m.mode : modeOf(location.pathname), location.pathname + location.search), { replace: true });
});

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[href]");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || a.hasAttribute("download") || a.target || url.pathname.startsWith("/api/")) return;
  e.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
});
window.addEventListener("popstate", render);

// Before sign-in, the app kept a made-up id tag on the device; a driver's
// tags are their account's now.
try { localStorage.removeItem("joule.idTag"); } catch {}

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

render();
