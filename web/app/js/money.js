// money.js: prices, costs, payments and tariffs in words, shared by the
// driver app and the operator view. Amounts come from the API as exact
// decimal strings ("1.91", already rounded to the currency's minor unit)
// and are shown as they come, never through a float: what a driver reads
// is what is charged.

import { h, kWh, duration, when } from "./ui.js";

// isZero: the decimal string is zero (or missing).
export const isZero = (a) => a == null || a === "" || /^[-+]?0*(\.0*)?$/.test(String(a));

// money shows an amount with its currency: "1.91 EUR".
export const money = (amount, currency) => (amount == null || amount === "" ? "–" : `${amount} ${currency || ""}`.trim());

// moneyList shows [{currency, amount}] as "12.40 EUR · 3.00 CHF" (or "–").
export const moneyList = (list) => ((list || []).filter((x) => x && x.amount != null).map((x) => money(x.amount, x.currency)).join(" · ") || "–");

// costRows is a cost's breakdown as [label, text, key]: what was priced
// (excluding VAT), the total without VAT, the VAT and the total.
export function costRows(c) {
  const rows = [];
  const part = (key, label, amount, used) => {
    if (!isZero(amount)) rows.push([used ? `${label} (${used})` : label, money(amount, c.currency), key]);
  };
  part("energy", "Energy", c.energy, c.energyWh ? `${kWh(c.energyWh)} kWh` : "");
  part("time", "Charging time", c.time, c.chargingTimeS ? duration(c.chargingTimeS * 1000) : "");
  part("idle", "Parking", c.idle, c.idleTimeS ? duration(c.idleTimeS * 1000) : "");
  part("flat", "Session fee", c.flat, "");
  rows.push(["Total excl. VAT", money(c.totalExclVat, c.currency), "excl"]);
  rows.push(["VAT", money(c.tax, c.currency), "tax"]);
  rows.push(["Total", money(c.total, c.currency), "total"]);
  return rows;
}

// costTable draws costRows as a definition list; the total stands out.
export function costTable(c, attrs = {}) {
  return h("dl", { class: "facts cost", ...attrs }, costRows(c).flatMap(([k, v, key]) => [
    h("dt", { class: key === "total" ? "strong" : undefined }, k),
    h("dd", { class: `num${key === "total" ? " strong" : ""}`, dataset: { cost: key } }, v)]));
}

// receiptURL is the printable receipt (the session cookie signs the link in).
export const receiptURL = (sessionId) => `/api/v1/sessions/${encodeURIComponent(sessionId)}/receipt.html`;

// hasReceipt: the session's payment was taken, so it has a receipt.
export const hasReceipt = (p) => !!p && (p.status === "captured" || p.status === "refunded");

// paymentDone: nothing more will happen to the payment by itself.
export const paymentSettled = (p) => !p || ["captured", "released", "refunded", "failed"].includes(p.status);

// paymentWords says where a session's payment is, for a driver (or, with
// staff, for an operator): {tone, text, label}.
export function paymentWords(p, { staff = false } = {}) {
  if (!p) return null;
  const how = p.provider === "wallet" ? "your wallet" : "your card";
  const whose = staff ? (p.provider === "wallet" ? "the driver's wallet" : "the driver's card") : how;
  switch (p.status) {
    case "authorized":
      return { tone: "wait", label: "Payment pending", text: `Payment pending: ${money(p.authorized, p.currency)} is held on ${whose} until the final price is known.` };
    case "captured":
      return { tone: "ok", label: "Paid", text: `Paid ${money(p.captured, p.currency)} with ${whose}${p.receiptNumber ? ` · receipt ${p.receiptNumber}` : ""}.` };
    case "unpaid": {
      const next = p.nextAttemptAt ? ` Next attempt ${when(p.nextAttemptAt)}.` : "";
      const why = p.lastError ? ` (${p.lastError})` : "";
      return { tone: "bad", label: "Payment failed", text: `Payment failed${why} — we will retry.${next}` };
    }
    case "released":
      return { tone: "ok", label: "Nothing charged", text: `Nothing was charged: the amount held on ${whose} was released.` };
    case "refunded":
      return { tone: "ok", label: "Refunded", text: `Refunded ${money(p.refunded, p.currency)} of ${money(p.captured, p.currency)} to ${whose}.` };
    case "failed":
      return { tone: "bad", label: "Payment refused", text: `The payment was refused${p.lastError ? `: ${p.lastError}` : ""}.` };
    default:
      return { tone: "", label: p.status, text: `Payment ${p.status}.` };
  }
}

// --- Tariffs in words -------------------------------------------------------

const UNIT = { ENERGY: "/kWh", TIME: "/h charging", PARKING_TIME: "/h parking", FLAT: " per session" };
const DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"];
const dayShort = (d) => d.charAt(0) + d.slice(1, 3).toLowerCase();

// componentText: "0.30 EUR/kWh + 19 % VAT".
export function componentText(pc, currency) {
  const vat = isZero(pc.vat) ? "" : ` + ${pc.vat} % VAT`;
  const step = pc.stepSize > 1 ? (pc.type === "ENERGY" ? `, billed per ${pc.stepSize} Wh` : pc.type === "FLAT" ? "" : `, billed per ${pc.stepSize} s`) : "";
  return `${money(pc.price, currency)}${UNIT[pc.type] || ` (${pc.type})`}${vat}${step}`;
}

// restrictionText: when an element applies, in words ("" for always).
export function restrictionText(r) {
  if (!r) return "";
  const out = [];
  if (r.dayOfWeek && r.dayOfWeek.length) {
    const idx = r.dayOfWeek.map((d) => DAYS.indexOf(d)).filter((i) => i >= 0).sort((a, b) => a - b);
    const run = idx.length > 2 && idx.every((d, i) => i === 0 || d === idx[i - 1] + 1);
    out.push(run ? `${dayShort(DAYS[idx[0]])}–${dayShort(DAYS[idx.at(-1)])}` : idx.map((i) => dayShort(DAYS[i])).join(", "));
  }
  if (r.startTime || r.endTime) out.push(`${r.startTime || "00:00"}–${r.endTime || "24:00"}`);
  if (r.startDate || r.endDate) out.push(`${r.startDate ? `from ${r.startDate}` : ""}${r.startDate && r.endDate ? " " : ""}${r.endDate ? `until ${r.endDate}` : ""}`);
  const range = (lo, hi, unit) => {
    if (lo != null && hi != null) out.push(`${lo}–${hi} ${unit}`);
    else if (lo != null) out.push(`from ${lo} ${unit}`);
    else if (hi != null) out.push(`below ${hi} ${unit}`);
  };
  range(r.minKwh, r.maxKwh, "kWh");
  range(r.minPower, r.maxPower, "kW");
  range(r.minCurrent, r.maxCurrent, "A");
  if (r.minDuration != null || r.maxDuration != null) {
    const m = (s) => `${Math.round(s / 60)} min`;
    if (r.minDuration != null && r.maxDuration != null) out.push(`after ${m(r.minDuration)}, before ${m(r.maxDuration)}`);
    else if (r.minDuration != null) out.push(`after ${m(r.minDuration)}`);
    else out.push(`first ${m(r.maxDuration)}`);
  }
  if (r.reservation) out.push(r.reservation === "RESERVATION" ? "while reserved" : "after a reservation expires");
  return out.join(", ");
}

// tariffLines is a tariff in words, one line per element:
// ["Mon–Fri, 08:00–22:00: 0.30 EUR/kWh + 19 % VAT", ...], then the
// minimum and maximum price.
// Each dimension is priced by the first element that has it and whose
// restrictions hold, so an element without restrictions after another
// with the same dimension is the "otherwise".
export function tariffLines(t) {
  const seen = new Set();
  const lines = (t.elements || []).map((e) => {
    const pcs = e.priceComponents || [];
    const when = restrictionText(e.restrictions);
    const what = pcs.map((pc) => componentText(pc, t.currency)).join(" · ") || "free";
    const otherwise = !when && pcs.some((pc) => seen.has(pc.type));
    pcs.forEach((pc) => seen.add(pc.type));
    return `${when ? `${when}: ` : otherwise ? "Otherwise: " : ""}${what}`;
  });
  if (t.minPrice) lines.push(`At least ${money(t.minPrice.exclVat, t.currency)} excl. VAT per session`);
  if (t.maxPrice) lines.push(`At most ${money(t.maxPrice.exclVat, t.currency)} excl. VAT per session`);
  return lines;
}

// sessionCost is a session's cost on one line for tables: "1.91 EUR",
// "1.23 EUR so far", with the payment's state when it is not simply paid;
// "Free" without a tariff.
export function sessionCost(s) {
  if (!s.cost) return s.tariffId ? "–" : h("span", { class: "muted", dataset: { cost: s.id } }, "Free");
  const pay = paymentWords(s.payment, { staff: true });
  const tone = pay && { wait: "info", ok: "ok", bad: "bad" }[pay.tone];
  return h("span", { class: "nowrap", dataset: { cost: s.id } }, money(s.cost.total, s.cost.currency), s.cost.final ? "" : h("span", { class: "small muted" }, " so far"),
    pay && s.payment.status !== "captured" ? h("div", {}, h("span", { class: `badge ${tone || "muted"}` }, pay.label)) : "");
}
