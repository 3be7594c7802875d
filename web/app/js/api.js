// api.js: the one place the app talks to the Joule API. The browser signs
// requests in with the session cookie (HttpOnly, SameSite=Strict), which
// scripts never see; a 401 tells the shell the sign-in has ended.

// ApiError carries an RFC 9457 problem from the API.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "";
    this.problem = problem;
  }
}

// onUnauthorized(fn): fn(err) is called when a signed-in request answers
// 401 (the session expired, was revoked or signed out elsewhere). Sign-in
// calls themselves (/auth/...) and quiet requests do not call it.
let unauthorized = null;
export function onUnauthorized(fn) { unauthorized = fn; }

export async function api(path, { method = "GET", body, headers = {}, signal, quiet = false } = {}) {
  const h = { Accept: "application/json", ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal, credentials: "same-origin" });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, { code: "network", detail: "Joule cannot be reached. Check your connection." });
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { detail: text }; }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data || {});
    err.retryAfter = +res.headers.get("Retry-After") || 0;
    if (res.status === 401 && !quiet && !path.startsWith("/api/v1/auth/") && unauthorized) unauthorized(err);
    throw err;
  }
  return data;
}

// listAll follows nextCursor until the end or max items.
export async function listAll(path, max = 5000) {
  const items = [];
  let cursor = "";
  const sep = path.includes("?") ? "&" : "?";
  do {
    const p = await api(`${path}${sep}limit=1000${cursor ? "&cursor=" + encodeURIComponent(cursor) : ""}`);
    items.push(...p.items);
    cursor = p.nextCursor;
  } while (cursor && items.length < max);
  return items;
}

export const chargers = () => listAll("/api/v1/chargers");
export const charger = (id) => api(`/api/v1/chargers/${encodeURIComponent(id)}`);
// updateCharger sends a merge patch of the operator's side of a charger:
// {name, siteId, connectors: [{connectorId, evseId, connectorType, ...}]}
// (null clears). It answers the charger.
export const updateCharger = (id, patch) => api(`/api/v1/chargers/${encodeURIComponent(id)}`, { method: "PATCH", body: patch });

// Sites: places with chargers (a driver gets them without notes).
const sitePath = (id) => `/api/v1/sites/${encodeURIComponent(id)}`;
export const sites = () => listAll("/api/v1/sites");
export const site = (id) => api(sitePath(id));
export const createSite = (s) => api("/api/v1/sites", { method: "POST", body: s });
export const updateSite = (id, patch) => api(sitePath(id), { method: "PATCH", body: patch });
export const deleteSite = (id) => api(sitePath(id), { method: "DELETE" });
// Smart charging: a site's load now (limit, budget, draw and each
// session's allocation), its recorded load over time, and a grid
// operator's signal (PUT sets it, DELETE ends it; both answer the site).
export const siteLoad = (id) => api(`${sitePath(id)}/load`);
export const siteLoadHistory = (id, from, to) => {
  const q = new URLSearchParams({ from: from.toISOString() });
  if (to) q.set("to", to.toISOString());
  return api(`${sitePath(id)}/load/history?${q}`);
};
export const setGridSignal = (id, signal) => api(`${sitePath(id)}/grid-limit`, { method: "PUT", body: signal });
export const endGridSignal = (id) => api(`${sitePath(id)}/grid-limit`, { method: "DELETE" });
// setPriority sets the operator's priority flag of a session; it answers
// the session.
export const setPriority = (id, priority) => api(`/api/v1/sessions/${encodeURIComponent(id)}`, { method: "PATCH", body: { priority } });
export const session = (id) => api(`/api/v1/sessions/${encodeURIComponent(id)}`);
export const meterValues = (id) => listAll(`/api/v1/sessions/${encodeURIComponent(id)}/meter-values`, 20000);
// powerHistory answers the fleet's total charging power since a time, in
// buckets of stepS seconds: {since, until, stepSeconds, items: [{time, powerW}]}.
export const usageReport = (query) => api(`/api/v1/reports/usage?${query}`);
export const reportSummary = (tz) => api(`/api/v1/reports/summary?tz=${encodeURIComponent(tz)}`);
export const powerHistory = (since, stepS) =>
  api(`/api/v1/stats/power?since=${encodeURIComponent(since.toISOString())}&step=${stepS}`);

// sessions lists sessions; a driver gets their own only (the API filters).
export function sessions(filter = {}, { limit = 50, cursor = "" } = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  q.set("limit", String(limit));
  if (cursor) q.set("cursor", cursor);
  return api(`/api/v1/sessions?${q}`);
}

// startSession starts charging; without an idTag the API uses the signed-in
// driver's app id tag. wish is the driver's departure, {departureTime
// (RFC 3339), energyWantedWh}, or nothing.
export function startSession(chargerId, connectorId, wish = {}) {
  return api(`/api/v1/chargers/${encodeURIComponent(chargerId)}/connectors/${connectorId}/start`, {
    method: "POST",
    body: { ...wish },
    // A retried tap (or a flaky network) must not start twice.
    headers: { "Idempotency-Key": crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random() },
  });
}

export const stopSession = (id) => api(`/api/v1/sessions/${encodeURIComponent(id)}/stop`, { method: "POST" });

export const command = (chargerId, action, payload) =>
  api(`/api/v1/chargers/${encodeURIComponent(chargerId)}/commands/${action}`, { method: "POST", body: payload });

// Typed station-management commands: the same for OCPP 1.6 and 2.0.1
// chargers (Joule translates them). Each answers {commandId, status}.
const chargerPath = (id) => `/api/v1/chargers/${encodeURIComponent(id)}`;
export const reset = (id, type) => api(`${chargerPath(id)}/reset`, { method: "POST", body: { type } });
export const unlock = (id, connectorId) => api(`${chargerPath(id)}/connectors/${connectorId}/unlock`, { method: "POST" });
export const changeAvailability = (id, connectorId, type) =>
  api(`${chargerPath(id)}/connectors/${connectorId}/availability`, { method: "POST", body: { type } });
export const changeConfiguration = (id, key, value) => api(`${chargerPath(id)}/configuration`, { method: "POST", body: { key, value } });
export const trigger = (id, requestedMessage, connectorId) =>
  api(`${chargerPath(id)}/trigger`, { method: "POST", body: connectorId ? { requestedMessage, connectorId } : { requestedMessage } });
// readConfiguration asks the charger (no keys: all of them) and answers
// the stored configuration {keys:[{key, value, readonly}], unknownKeys}.
export const readConfiguration = (id, keys) =>
  api(`${chargerPath(id)}/configuration/read`, { method: "POST", body: keys.length ? { keys } : {} });

// Charger security: registration policy, passwords, security profiles and
// security events. A password in an answer is shown once and never kept.
export const pendingChargers = () => listAll("/api/v1/chargers?admission=Pending");
export const acceptCharger = (id) => api(`${chargerPath(id)}/accept`, { method: "POST" });
export const rejectCharger = (id) => api(`${chargerPath(id)}/reject`, { method: "POST" });
export const deleteCharger = (id) => api(chargerPath(id), { method: "DELETE" });
export const issuePassword = (id) => api(`${chargerPath(id)}/password`, { method: "POST", body: {} });
export const setSecurityProfile = (id, securityProfile, allowDowngrade = false) =>
  api(chargerPath(id), { method: "PATCH", body: allowDowngrade ? { securityProfile, allowDowngrade } : { securityProfile } });
export const securityEvents = (id, limit = 50) => api(`${chargerPath(id)}/security-events?limit=${limit}`);

// People: sign-in, the signed-in user's account, and (admins) users and
// API keys. Sign-in answers hold a token too; the app never keeps it: the
// cookie that comes with the answer is what signs the browser in.
export const providers = () => api("/api/v1/auth/providers");
export const login = (email, password) => api("/api/v1/auth/login", { method: "POST", body: { email, password } });
export const signup = (name, email, password) => api("/api/v1/auth/signup", { method: "POST", body: { name, email, password } });
export const setup = (token, email, name, password) => api("/api/v1/auth/setup", { method: "POST", body: { token, email, name, password } });
export const logout = () => api("/api/v1/auth/logout", { method: "POST" });
export const me = (opts) => api("/api/v1/me", opts);
export const updateMe = (change) => api("/api/v1/me", { method: "PATCH", body: change });
export const linkCard = (idTag) => api("/api/v1/me/id-tags", { method: "POST", body: { idTag } });
export const unlinkCard = (idTag) => api(`/api/v1/me/id-tags/${encodeURIComponent(idTag)}`, { method: "DELETE" });

export const users = () => listAll("/api/v1/users");
export const createUser = (u) => api("/api/v1/users", { method: "POST", body: u });
export const updateUser = (id, change) => api(`/api/v1/users/${encodeURIComponent(id)}`, { method: "PATCH", body: change });
export const deleteUser = (id) => api(`/api/v1/users/${encodeURIComponent(id)}`, { method: "DELETE" });
export const apiKeys = () => listAll("/api/v1/api-keys");
export const createApiKey = (name, role) => api("/api/v1/api-keys", { method: "POST", body: { name, role } });
export const deleteApiKey = (id) => api(`/api/v1/api-keys/${encodeURIComponent(id)}`, { method: "DELETE" });

// Money: prices before starting, costs, receipts, totals, the wallet and
// saved cards (a driver's own), tariffs and refunds (staff).
const sessionPath = (id) => `/api/v1/sessions/${encodeURIComponent(id)}`;
// connectorTariff answers {tariff, level, driverGroup, quote} for the
// signed-in user; tariff and quote are null when charging there is free.
export const connectorTariff = (chargerId, connectorId) => api(`${chargerPath(chargerId)}/connectors/${connectorId}/tariff`);
export const receipt = (id) => api(`${sessionPath(id)}/receipt`);
// sessionTotals: {sessions, energyWh, costs, paid, unpaid} (amounts per currency).
export function sessionTotals({ from, to } = {}) {
  const q = new URLSearchParams();
  if (from) q.set("from", from.toISOString());
  if (to) q.set("to", to.toISOString());
  return api(`/api/v1/stats/sessions${q.toString() ? "?" + q : ""}`);
}
export const refund = (id, amount, reason) => api(`${sessionPath(id)}/refund`, { method: "POST", body: reason ? { amount, reason } : { amount } });
// wallet answers {userId, currency, balance, held, available}.
export const wallet = (currency) => api(`/api/v1/me/wallet${currency ? "?currency=" + encodeURIComponent(currency) : ""}`);
export const walletEntries = (limit = 20) => api(`/api/v1/me/wallet/entries?limit=${limit}`);
export const paymentMethods = () => api("/api/v1/me/payment-methods");
export const addPaymentMethod = (paymentMethodId) => api("/api/v1/me/payment-methods", { method: "POST", body: { paymentMethodId } });
export const removePaymentMethod = (id) => api(`/api/v1/me/payment-methods/${encodeURIComponent(id)}`, { method: "DELETE" });
const tariffPath = (id) => `/api/v1/tariffs/${encodeURIComponent(id)}`;
// tariffs lists every tariff (a paged list, or a plain one).
export async function tariffs() {
  const first = await api("/api/v1/tariffs?limit=1000");
  if (Array.isArray(first) || !first.nextCursor) return itemsOf(first);
  return listAll("/api/v1/tariffs");
}
export const tariff = (id) => api(tariffPath(id));
export const createTariff = (t) => api("/api/v1/tariffs", { method: "POST", body: t });
export const updateTariff = (id, t) => api(tariffPath(id), { method: "PUT", body: t });
export const deleteTariff = (id) => api(tariffPath(id), { method: "DELETE" });
// itemsOf: a list answer as an array, whether paged ({items}) or not.
export const itemsOf = (x) => (Array.isArray(x) ? x : (x && x.items) || []);

// explain turns an API error from a start or stop into words for a driver.
export function explain(err, verb = "start") {
  if (!(err instanceof ApiError)) return `Could not ${verb}: ${err.message}`;
  switch (err.code) {
    case "unavailable": return "The charger is offline. Try another charger, or try again later.";
    case "conflict": return `The connector is busy or out of service, so charging could not ${verb}. ${err.message}`;
    case "rejected": return `The charger refused to ${verb}. ${err.message}`;
    case "timeout": return `No answer from the charger. It may be out of reach; try again in a moment.`;
    case "not_found": return "This charger or session no longer exists.";
    case "network": return err.message;
    case "payment_required": return `Payment needed: ${err.message}.`.replace(/\.\.$/, ".");
    default: return `Could not ${verb}: ${err.message}`;
  }
}
