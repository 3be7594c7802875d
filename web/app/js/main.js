// main.js: the shell. A tiny router maps paths to screens; each screen
// draws into <main> and may return a cleanup function. The driver app
// lives at /, the operator view at /operator; both share this shell.

import * as driver from "./driver.js";
import * as operator from "./operator.js";
import { close as closeLive } from "./live.js";
import { renderAccount } from "./account.js";
import { h } from "./ui.js";

const routes = [
  ["/", driver.chargersScreen, "driver"],
  ["/chargers/:id", driver.chargerScreen, "driver"],
  ["/sessions/:id", driver.sessionScreen, "driver"],
  ["/history", driver.historyScreen, "driver"],
  ["/operator", operator.dashboardScreen, "operator"],
  ["/operator/chargers", operator.chargersScreen, "operator"],
  ["/operator/chargers/:id", operator.chargerScreen, "operator"],
  ["/operator/sessions", operator.sessionsScreen, "operator"],
];

const navs = {
  driver: [["/", "Chargers"], ["/history", "History"]],
  operator: [["/operator", "Dashboard"], ["/operator/chargers", "Chargers"], ["/operator/sessions", "Sessions"]],
};

function match(path) {
  const parts = path.replace(/\/+$/, "").split("/").slice(1);
  for (const [pattern, screen, mode] of routes) {
    const ps = pattern.replace(/\/+$/, "").split("/").slice(1);
    if (ps.length !== parts.length) continue;
    const params = {};
    if (ps.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = decodeURIComponent(parts[i])), true) : p === parts[i]))) {
      return { screen, params, mode };
    }
  }
  return null;
}

let cleanup = null;
let renderSeq = 0;

async function render() {
  if (cleanup) { try { cleanup(); } catch {} cleanup = null; }
  closeLive();
  const seq = ++renderSeq;
  const path = location.pathname;
  const m = match(path);
  const mode = m ? m.mode : path.startsWith("/operator") ? "operator" : "driver";
  document.body.dataset.mode = mode;
  drawNav(mode, path);
  renderAccount(document.getElementById("account"), mode);
  const main = document.getElementById("main");
  main.replaceChildren();
  if (!m) {
    main.append(h("h1", {}, "Page not found"), h("p", {}, h("a", { href: mode === "operator" ? "/operator" : "/" }, "Go to the start page")));
    return;
  }
  try {
    const c = await m.screen(main, m.params, { navigate, alive: () => seq === renderSeq });
    if (seq === renderSeq) cleanup = c || null;
    else if (c) c();
  } catch (e) {
    if (seq !== renderSeq) return;
    main.replaceChildren(h("h1", {}, "Something went wrong"), h("p", { class: "feedback bad", role: "alert" }, e.message || String(e)),
      h("p", {}, h("button", { type: "button", onclick: render }, "Try again")));
  }
}

function drawNav(mode, path) {
  const nav = document.getElementById("nav");
  nav.replaceChildren(...navs[mode].map(([href, label]) => {
    const current = href === path || (href !== "/" && href !== "/operator" && path.startsWith(href));
    return h("a", { href, "aria-current": current ? "page" : undefined }, label);
  }));
  document.querySelector(".brand").setAttribute("href", mode === "operator" ? "/operator" : "/");
}

export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  render().then(() => {
    // Move focus to the new page, for keyboards and screen readers.
    const main = document.getElementById("main");
    const h1 = main.querySelector("h1");
    (h1 || main).setAttribute("tabindex", "-1");
    (h1 || main).focus({ preventScroll: true });
    window.scrollTo(0, 0);
  });
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a[href]");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || a.hasAttribute("download") || a.target || url.pathname.startsWith("/api/")) return;
  e.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
});
window.addEventListener("popstate", render);

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {});
}

render();
