// opsession.js: one session in the operator view: what happened, what it
// cost, where its payment is, its receipt, and a refund.

import * as API from "./api.js";
import { watch } from "./live.js";
import { canChange } from "./account.js";
import { confirmDialog } from "./security.js";
import { costTable, money, paymentWords, hasReceipt, receiptURL, isZero } from "./money.js";
import { h, kW, kWh, duration, when, badge, feedback, sentence } from "./ui.js";

const STATUS_TONE = { active: "info", pending: "info", finished: "ok", failed: "bad" };
const PAY_TONE = { wait: "info", ok: "ok", bad: "bad" };

// refundable is what may still be given back, as a decimal string with
// the captured amount's decimals, computed exactly on integers.
function refundable(p) {
  if (!p || !p.captured) return "";
  const places = Math.max((p.captured.split(".")[1] || "").length, ((p.refunded || "").split(".")[1] || "").length);
  const units = (a) => {
    const [i, f = ""] = String(a || "0").split(".");
    return BigInt(i + f.padEnd(places, "0"));
  };
  const left = units(p.captured) - units(p.refunded);
  if (left <= 0n) return "";
  const s = left.toString().padStart(places + 1, "0");
  return places ? `${s.slice(0, -places)}.${s.slice(-places)}` : s;
}

export async function sessionScreen(main, { id }, { alive, user }) {
  let s;
  try {
    s = await API.session(id);
  } catch (e) {
    if (!(e instanceof API.ApiError) || e.status !== 404) throw e;
    if (alive()) main.append(h("h1", {}, "Session not found"), h("p", {}, h("a", { href: "/operator/sessions" }, "← Sessions")));
    return;
  }
  if (!alive()) return;
  const mayRefund = canChange(user);

  const title = h("h1", {});
  const state = h("span", {});
  const facts = h("dl", { class: "facts", id: "session-facts" });
  const cost = h("div", { class: "card", id: "session-cost" });
  const pay = h("div", { class: "card", id: "session-payment" });

  // Refund: an amount up to what was taken and not given back yet.
  const amount = h("input", { id: "refund-amount", type: "text", inputmode: "decimal", autocomplete: "off" });
  const reason = h("input", { id: "refund-reason", type: "text", maxlength: 255, autocomplete: "off", placeholder: "e.g. charger fault" });
  const refundButton = h("button", { type: "submit", class: "danger", id: "refund" }, "Refund");
  const refundNote = h("div", { class: "feedback", role: "status", id: "refund-status" });
  const refundHint = h("p", { class: "hint", id: "refund-amount-hint" });
  amount.setAttribute("aria-describedby", "refund-amount-hint");
  const refundForm = h("form", { class: "card", id: "refund-form", "aria-labelledby": "refund-h", novalidate: true },
    h("div", { class: "filters align-top" },
      h("div", {}, h("label", { for: "refund-amount" }, "Amount"), amount, refundHint),
      h("div", {}, h("label", { for: "refund-reason" }, "Reason"), reason),
      h("div", {}, refundButton)),
    refundNote);
  const refundSection = h("section", { "aria-labelledby": "refund-h", hidden: true }, h("h2", { id: "refund-h" }, "Refund"), refundForm);

  const draw = () => {
    title.textContent = `Session ${s.id}`;
    state.replaceChildren(badge(s.status, STATUS_TONE[s.status] || "muted"));
    const rows = [
      ["Charger", h("a", { href: `/operator/chargers/${encodeURIComponent(s.chargerId)}` }, s.chargerId), s.connectorId ? ` · connector ${s.connectorId}` : ""],
      ["Id tag", h("span", { class: "code" }, s.idTag || "–")],
      ["Started", when(s.startedAt || s.createdAt)],
      ["Stopped", s.stoppedAt ? when(s.stoppedAt) : "–"],
      ["Duration", s.startedAt ? duration((s.stoppedAt ? new Date(s.stoppedAt) : Date.now()) - new Date(s.startedAt)) : "–"],
      ["Energy", `${kWh(s.energyWh)} kWh`],
      ["Power", s.status === "active" ? `${kW(s.powerW)} kW` : "–"],
      ["Stop reason", s.stopReason || s.failureReason || "–"],
      ["Tariff", s.tariffId ? h("a", { href: "/operator/tariffs" }, s.tariffId) : "None (free)"],
    ];
    // Smart charging: what the site's balancer gives the session, and the
    // driver's departure wish.
    const sm = s.smart;
    if (sm && sm.allocation && s.status === "active") {
      const a = sm.allocation;
      rows.push(["Allocation", badge({ charging: "Charging", limited: "Limited", waiting: "Waiting" }[a.state] || a.state, { charging: "ok", limited: "warn", waiting: "info" }[a.state] || "muted"),
        ` ${a.limitA.toFixed(1)} A`, a.queuePosition ? ` · number ${a.queuePosition} in line` : "", sm.priority ? " · priority" : "",
        a.message ? h("div", { class: "small muted" }, a.message) : ""]);
    }
    if (sm && sm.departureTime) rows.push(["Ready by", when(sm.departureTime), sm.energyWantedWh ? ` · ${kWh(sm.energyWantedWh)} kWh wanted` : ""]);
    facts.replaceChildren(...rows.flatMap(([k, ...v]) => [h("dt", {}, k), h("dd", { dataset: { fact: k } }, ...v)]));

    const c = s.cost;
    cost.replaceChildren(...(c
      ? [h("div", { class: "row spread" }, h("h3", {}, c.final ? "Final cost" : "Running cost (estimate)"), h("strong", { class: "num", id: "cost-total" }, money(c.total, c.currency))),
        costTable(c, { id: "cost-breakdown" }),
        h("p", { class: "small muted" }, `Computed ${when(c.computedAt)} with tariff ${c.tariffId || s.tariffId || "–"}.`)]
      : [h("p", { class: "muted" }, s.tariffId ? "Not priced yet: the cost comes with the first meter values." : "No tariff applied: this session is free.")]));

    const p = s.payment;
    const words = paymentWords(p, { staff: true });
    pay.replaceChildren(...(p
      ? [h("p", { class: "row spread" }, h("span", { id: "payment-state" }, words.text), badge(words.label, PAY_TONE[words.tone] || "muted")),
        h("dl", { class: "facts" },
          h("dt", {}, "Provider"), h("dd", {}, p.provider === "wallet" ? "Wallet" : p.provider === "stripe" ? "Card (Stripe)" : p.provider),
          h("dt", {}, "Held"), h("dd", { class: "num" }, money(p.authorized, p.currency)),
          h("dt", {}, "Taken"), h("dd", { class: "num", dataset: { fact: "captured" } }, p.captured ? money(p.captured, p.currency) : "–"),
          h("dt", {}, "Refunded"), h("dd", { class: "num", dataset: { fact: "refunded" } }, p.refunded ? money(p.refunded, p.currency) : "–"),
          p.attempts ? [h("dt", {}, "Attempts"), h("dd", {}, String(p.attempts))] : "",
          p.lastError ? [h("dt", {}, "Last error"), h("dd", {}, p.lastError)] : "",
          p.nextAttemptAt ? [h("dt", {}, "Next attempt"), h("dd", {}, when(p.nextAttemptAt))] : "",
          p.receiptNumber ? [h("dt", {}, "Receipt"), h("dd", { class: "code" }, p.receiptNumber)] : ""),
        hasReceipt(p) ? h("p", {}, h("a", { class: "button", id: "receipt-link", href: receiptURL(s.id), target: "_blank", rel: "noopener" }, "Receipt")) : ""]
      : [h("p", { class: "muted" }, "Nothing was charged for this session.")]));

    const left = refundable(p);
    refundSection.hidden = !mayRefund || !hasReceipt(p) || !left;
    if (left) {
      refundHint.textContent = `Up to ${money(left, p.currency)}.`;
      if (!amount.value) amount.placeholder = left;
    }
  };

  refundForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const p = s.payment;
    const left = refundable(p);
    const value = (amount.value.trim() || left).replace(",", ".");
    if (!/^\d+(\.\d+)?$/.test(value) || isZero(value)) {
      amount.setAttribute("aria-invalid", "true");
      feedback(refundNote, "bad", "Enter an amount like 1.50.");
      amount.focus();
      return;
    }
    if (!(await confirmDialog({ title: `Refund ${money(value, p.currency)}?`, text: `${money(value, p.currency)} goes back to the driver's ${p.provider === "wallet" ? "wallet" : "card"}. This cannot be undone.`, confirm: "Refund", danger: true, fallback: amount }))) return;
    amount.removeAttribute("aria-invalid");
    refundButton.disabled = true;
    feedback(refundNote, "wait", "Refunding…");
    try {
      await API.refund(s.id, value, reason.value.trim());
      s = await API.session(s.id);
      amount.value = reason.value = "";
      draw();
      feedback(refundNote, "ok", `Refunded ${money(value, p.currency)}.`);
    } catch (e) {
      feedback(refundNote, "bad", sentence(e.message));
      if (e.code === "invalid") { amount.setAttribute("aria-invalid", "true"); amount.focus(); }
    } finally { refundButton.disabled = false; }
  });

  main.append(h("p", {}, h("a", { href: "/operator/sessions" }, "← Sessions")),
    h("div", { class: "row title" }, title, state),
    h("div", { class: "card" }, facts),
    h("h2", {}, "Cost"), cost,
    h("h2", {}, "Payment"), pay,
    refundSection);
  draw();
  watch({ sessionId: id }, (e) => { if (e.session && e.session.id === s.id) { s = e.session; draw(); } },
    async () => { s = await API.session(id); draw(); });
}
