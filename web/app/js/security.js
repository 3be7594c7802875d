// security.js: charger security in the operator view: security profiles in
// words, the chargers waiting for approval, the dialog that shows a new
// password once, and a charger's security card and security events.
//
// A password Joule issues is shown in one dialog and nowhere else: it is
// not kept in a variable after the dialog closes, nor in storage or the URL.

import * as API from "./api.js";
import { h, badge, when, ago, onlineBadge, feedback } from "./ui.js";

// PROFILES are OCPP's security profiles 0..3 in plain words.
export const PROFILES = [
  { label: "none", about: "no authentication: anyone who knows the id can connect as this charger" },
  { label: "password", about: "a password (HTTP Basic), without TLS" },
  { label: "TLS + password", about: "TLS and a password (HTTP Basic)" },
  { label: "certificate", about: "TLS and a client certificate" },
];

const profileLabel = (p) => (PROFILES[p] ? `${p} · ${PROFILES[p].label}` : `profile ${p}`);

// profileBadge shows a profile; profile 0 stands out as a warning.
export function profileBadge(p) {
  const tone = p === 0 ? "warn fill" : p === 1 ? "info" : "ok";
  const el = badge(profileLabel(p), tone);
  if (PROFILES[p]) el.title = `Security profile ${p}: ${PROFILES[p].about}`;
  return el;
}

export function admissionBadge(a) {
  return badge(a || "–", { Accepted: "ok", Pending: "warn", Rejected: "bad" }[a] || "muted");
}

// --- Dialogs ---------------------------------------------------------------

// modal shows a native modal dialog (it keeps focus inside and closes on
// Escape). describedBy is the id of the text that explains it. On close it
// is removed, and focus goes back to returnTo (by default, where it was),
// or to fallback when that element is gone or hidden.
export function modal({ id, title, body, buttons, describedBy, returnTo, fallback, onClose }) {
  const heading = h("h2", { id: `${id}-title` }, title);
  const dlg = h("dialog", { class: "dialog", id, "aria-labelledby": heading.id, "aria-describedby": describedBy },
    heading, ...body, h("div", { class: "row actions" }, buttons));
  const opener = returnTo || document.activeElement;
  const usable = (e) => e && e !== document.body && e.isConnected && !e.disabled && e.getClientRects().length > 0;
  dlg.addEventListener("close", () => {
    dlg.remove();
    const to = usable(opener) ? opener : fallback;
    if (to && to.isConnected) to.focus();
    onClose();
  });
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

// confirmDialog asks before a consequential action; it resolves true when
// the operator confirms. Cancel has the focus, so Enter does no harm.
export function confirmDialog({ title, text, confirm, danger = false, fallback }) {
  return new Promise((resolve) => {
    let yes = false;
    const ok = h("button", { type: "button", class: danger ? "danger" : "primary", id: "confirm-ok" }, confirm);
    const cancel = h("button", { type: "button", id: "confirm-cancel", autofocus: true }, "Cancel");
    const dlg = modal({ id: "confirm-dialog", title, body: [h("p", { id: "confirm-text" }, text)], buttons: [cancel, ok],
      describedBy: "confirm-text", fallback, onClose: () => resolve(yes) });
    ok.addEventListener("click", () => { yes = true; dlg.close(); });
    cancel.addEventListener("click", () => dlg.close());
  });
}

// DELIVERY says in words what became of sending a password to the charger
// (its answer to ChangeConfiguration/SetVariables, or why it was not sent).
const DELIVERY = {
  Accepted: ["ok", "Sent to the charger, which accepted it. It connects with it from now on."],
  RebootRequired: ["ok", "Sent to the charger, which accepted it: it takes effect when the charger restarts."],
  Rejected: ["bad", "Sent to the charger, which refused it: enter it on the charger."],
  NotSupported: ["bad", "The charger cannot take a password from Joule: enter it on the charger."],
  offline: ["bad", "The charger is offline: enter it on the charger."],
  timeout: ["bad", "The charger did not answer in time: check whether it took it, or enter it on the charger."],
  failed: ["bad", "Sending it to the charger failed: enter it on the charger."],
  notSent: ["bad", "It was not sent to the charger: enter it on the charger."],
};

export const deliveryWords = (d) => DELIVERY[d] || ["bad", `The charger answered ${d || "nothing"}: enter the password on the charger.`];

// showPassword shows a password Joule issued, once. It resolves when the
// operator closes the dialog; the dialog, and the password with it, is
// then removed from the page.
export function showPassword({ chargerId, password, delivery, returnTo, fallback }) {
  return new Promise((resolve) => {
    const [tone, words] = deliveryWords(delivery);
    const secret = h("output", { class: "secret", id: "password-value", "aria-label": `Password for ${chargerId}` }, password);
    const copyNote = h("div", { class: "feedback", role: "status", id: "password-copied" });
    const copy = h("button", { type: "button", id: "password-copy", autofocus: true }, "Copy password");
    const close = h("button", { type: "button", class: "primary", id: "password-close" }, "Done, close");
    const body = [
      h("p", { class: "feedback warn", id: "password-once" }, "Joule shows this password only now and keeps only a hash of it. Store it in your charger records before you close this."),
      h("p", {}, `The charger logs in as user ${chargerId} with:`),
      secret,
      h("div", { class: "row" }, copy),
      copyNote,
      h("p", { class: `feedback ${tone}`, id: "password-delivery", role: "status" }, words),
      h("p", { class: "small muted" }, "Its previous password, if it had one, works until the charger connects with this one."),
    ];
    const dlg = modal({ id: "password-dialog", title: `New password for ${chargerId}`, body, buttons: [close],
      describedBy: "password-once", returnTo, fallback, onClose: resolve });
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(secret.textContent);
        feedback(copyNote, "ok", "Copied to the clipboard.");
      } catch {
        // No clipboard access (plain http on another host, or a denied
        // permission): select it for the operator to copy.
        const r = document.createRange();
        r.selectNodeContents(secret);
        const sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
        feedback(copyNote, "bad", "This browser does not let Joule copy here: the password is selected, press Ctrl+C (⌘C on a Mac).");
      }
    });
    close.addEventListener("click", () => dlg.close());
  });
}

// --- Waiting for approval --------------------------------------------------

// approvalPanel lists the chargers waiting for an operator (admission
// Pending) with Accept and Reject. It stays hidden until one is waiting.
// onEvent takes the screen's live events; onChange(charger) is told of a
// charger the panel changed, so the screen can redraw it at once.
// readOnly (a viewer) lists the chargers without Accept and Reject.
export function approvalPanel({ onChange, readOnly = false } = {}) {
  const pending = new Map();
  let shown = false;
  let loading = null;
  const heading = h("h2", { id: "approvals-h", tabindex: "-1" }, "Waiting for approval");
  const count = h("span", { class: "badge warn", id: "approvals-count" });
  const list = h("ul", { class: "pending", id: "pending" });
  const note = h("div", { class: "feedback", role: "status", id: "approvals-status" });
  const el = h("section", { class: "approvals", id: "approvals", "aria-labelledby": "approvals-h", hidden: true },
    h("div", { class: "row" }, heading, count),
    h("p", { class: "small muted" }, readOnly
      ? "These chargers connected with an id Joule does not know. They stay connected but cannot charge until an operator accepts them."
      : "These chargers connected with an id Joule does not know. They stay connected but cannot charge until you accept them. " +
        "A charger that connected without a password gets one when you accept it (security profile 1)."),
    note, list);

  const busy = new Set(); // ids with an action in flight
  const item = (c) => {
    const booted = c.vendor || c.model || c.serialNumber;
    const accept = h("button", { type: "button", class: "primary", dataset: { action: "accept" }, "aria-label": `Accept ${c.id}`, disabled: busy.has(c.id) }, "Accept");
    const reject = h("button", { type: "button", class: "danger-quiet", dataset: { action: "reject" }, "aria-label": `Reject ${c.id}`, disabled: busy.has(c.id) }, "Reject");
    accept.addEventListener("click", () => act(c, "accept"));
    reject.addEventListener("click", () => act(c, "reject"));
    return h("li", { class: "card", dataset: { pending: c.id } },
      h("div", { class: "grow" },
        h("div", { class: "row" }, h("a", { href: `/operator/chargers/${encodeURIComponent(c.id)}`, class: "strong" }, c.id), onlineBadge(c.online), profileBadge(c.securityProfile)),
        h("div", { class: "small" }, booted
          ? [[c.vendor, c.model].filter(Boolean).join(" ") || "Unknown model", c.serialNumber ? ` · serial ${c.serialNumber}` : "", c.ocppVersion ? ` · ${c.ocppVersion}` : ""]
          : h("span", { class: "muted" }, `Not booted yet${c.ocppVersion ? ` · ${c.ocppVersion}` : ""}`)),
        h("div", { class: "small muted" }, `First seen ${ago(c.createdAt)} · last seen ${ago(c.lastSeenAt)}`)),
      readOnly ? "" : h("div", { class: "row" }, accept, reject));
  };
  // Items are redrawn only when what they show changed, so that a button
  // is not replaced under the operator's finger by a live update.
  const drawn = new Map(); // id → {sig, li}
  const draw = () => {
    const cs = [...pending.values()].sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
    shown = shown || cs.length > 0;
    el.hidden = !shown;
    count.textContent = String(cs.length);
    const lis = cs.map((c) => {
      const li = item(c);
      const sig = li.outerHTML;
      const old = drawn.get(c.id);
      if (old && old.sig === sig) return old.li;
      drawn.set(c.id, { sig, li });
      return li;
    });
    for (const id of drawn.keys()) if (!pending.has(id)) drawn.delete(id);
    list.replaceChildren(...lis);
    if (!cs.length) list.append(h("li", { class: "muted" }, "No charger is waiting."));
  };

  const act = async (c, action) => {
    if (action === "reject" && !(await confirmDialog({
      title: `Reject ${c.id}?`,
      text: `Joule ends ${c.id}'s connection and refuses it from now on. You can still accept it later from its page, or delete it.`,
      confirm: "Reject charger", danger: true, fallback: heading,
    }))) return;
    busy.add(c.id);
    draw();
    feedback(note, "wait", action === "accept" ? `Accepting ${c.id}…` : `Rejecting ${c.id}…`);
    try {
      if (action === "accept") {
        const r = await API.acceptCharger(c.id);
        pending.delete(c.id);
        feedback(note, "ok", r.password ? `${c.id} accepted: it uses security profile 1 (password) from its next connection.` : `${c.id} accepted.`);
        if (onChange) onChange(r.charger);
        draw();
        if (r.password) await showPassword({ chargerId: c.id, password: r.password, delivery: r.delivery, fallback: heading });
      } else {
        const r = await API.rejectCharger(c.id);
        pending.delete(c.id);
        feedback(note, "ok", `${c.id} rejected.`);
        if (onChange) onChange(r.charger);
      }
    } catch (e) {
      feedback(note, "bad", `Could not ${action} ${c.id}: ${e.message}`);
    } finally {
      busy.delete(c.id);
    }
    draw();
    load().catch(() => {}); // the list may have changed meanwhile
  };

  // load replaces the list with the server's; concurrent calls share one request.
  const load = () => {
    loading = loading || API.pendingChargers().then((cs) => {
      pending.clear();
      for (const c of cs) pending.set(c.id, c);
      draw();
    }).finally(() => { loading = null; });
    return loading;
  };

  const onEvent = (e) => {
    if (!e.type.startsWith("charger.")) return;
    if (e.charger) {
      if (e.charger.admission === "Pending") pending.set(e.charger.id, e.charger);
      else pending.delete(e.charger.id);
    } else if (e.type === "charger.disconnected") {
      pending.delete(e.chargerId); // deleted
    } else return;
    draw();
  };
  return { el, load, onEvent };
}

// --- One charger -----------------------------------------------------------

const SOURCE_TONE = { joule: "info", charger: "muted" };

// securityCard is a charger's security: profile, admission, password, the
// actions on them, and its security events (newest first). update(c)
// redraws it for a new charger state; refresh() reloads the events.
// onChange(charger) is told of a change made here. readOnly (a viewer)
// shows the facts and events without the actions.
export function securityCard(c, { navigate, onChange, readOnly = false }) {
  const facts = h("dl", { class: "facts", id: "security-facts" });
  const note = h("div", { class: "feedback", role: "status", id: "security-status" });
  const heading = h("h2", { id: "security-h", tabindex: "-1" }, "Security");

  const accept = h("button", { type: "button", class: "primary", id: "security-accept" }, "Accept charger");
  const reject = h("button", { type: "button", class: "danger-quiet", id: "security-reject" }, "Reject charger");
  const issue = h("button", { type: "button", id: "issue-password" }, "Issue new password");
  const issueNote = h("p", { class: "small muted", id: "issue-note" });
  const profile = h("select", { id: "security-profile" }, PROFILES.map((x, i) => h("option", { value: i }, `${i} — ${x.label}`)));
  const change = h("button", { type: "submit" }, "Change profile");
  const profileForm = h("form", { class: "row end", "aria-label": "Change security profile", hidden: readOnly },
    h("div", { class: "grow" }, h("label", { for: "security-profile" }, "Security profile"), profile), change);
  const del = h("button", { type: "button", class: "danger", id: "delete-charger" }, "Delete charger");

  const events = h("tbody", {});
  const more = h("button", { type: "button", hidden: true, id: "security-events-more" }, "Load older events");
  let cursor = "";

  const el = h("section", { id: "security", "aria-labelledby": "security-h" }, heading,
    h("div", { class: "card security" }, facts, note,
      readOnly ? h("p", { class: "small muted", id: "security-read-only" }, "Your role can see the charger's security but not change it.")
        : [h("div", { class: "row" }, accept, issue, reject), issueNote],
      profileForm,
      readOnly ? "" : h("div", { class: "row danger-zone" }, del)),
    h("h3", { id: "security-events-h" }, "Security events"),
    h("p", { class: "small muted" }, "What Joule noticed (refused connections, passwords, certificates) and what the charger reported (SecurityEventNotification), newest first."),
    h("div", { class: "table-wrap" }, h("table", { id: "security-events", "aria-labelledby": "security-events-h" },
      h("thead", {}, h("tr", {}, ["Time", "Source", "Event", "Details"].map((x) => h("th", { scope: "col" }, x)))), events)),
    h("p", {}, more));

  let shownProfile = null;
  const update = (next) => {
    c = next;
    const pw = c.passwordSetAt
      ? [`set ${when(c.passwordSetAt)} `, c.passwordPending ? h("span", { class: "badge warn", id: "password-pending" }, "not used by the charger yet") : ""]
      : c.securityProfile === 3 ? "none (a client certificate instead)" : "none";
    const rows = [
      ["Profile", [profileBadge(c.securityProfile), " ", PROFILES[c.securityProfile] ? PROFILES[c.securityProfile].about : ""]],
      ["Minimum profile", [String(c.minSecurityProfile), h("span", { class: "small muted" }, " — the highest it has used; Joule refuses weaker connections from it")]],
      ["Admission", admissionBadge(c.admission)],
      ["Password", pw],
    ];
    facts.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { dataset: { fact: k } }, v)]));
    accept.hidden = c.admission === "Accepted";
    reject.hidden = c.admission === "Rejected";
    const mtls = c.securityProfile === 3;
    issue.disabled = mtls;
    issueNote.textContent = mtls ? "This charger uses a client certificate (profile 3), not a password."
      : "Joule generates a password and sends it to the charger; the old one works until the charger connects with the new one.";
    if (shownProfile !== c.securityProfile) { profile.value = String(c.securityProfile); shownProfile = c.securityProfile; }
  };

  const changed = (next) => { update(next); if (onChange) onChange(next); };
  // run does an action with its button disabled, and answers its result
  // (undefined when it failed: the error is shown).
  const run = async (button, waitText, f) => {
    button.disabled = true;
    feedback(note, "wait", waitText);
    try { return await f(); } catch (e) { feedback(note, "bad", e.message); } finally { button.disabled = false; update(c); refresh(); }
  };

  accept.addEventListener("click", async () => {
    const r = await run(accept, `Accepting ${c.id}…`, async () => {
      const r = await API.acceptCharger(c.id);
      changed(r.charger);
      feedback(note, "ok", r.password ? `Accepted: ${c.id} uses security profile 1 (password) from its next connection.` : "Accepted.");
      return r;
    });
    if (r && r.password) await showPassword({ chargerId: c.id, password: r.password, delivery: r.delivery, returnTo: accept, fallback: heading });
  });
  reject.addEventListener("click", async () => {
    if (!(await confirmDialog({ title: `Reject ${c.id}?`, text: `Joule ends ${c.id}'s connection and refuses it from now on, until you accept it again.`, confirm: "Reject charger", danger: true, fallback: heading }))) return;
    run(reject, `Rejecting ${c.id}…`, async () => { changed((await API.rejectCharger(c.id)).charger); feedback(note, "ok", "Rejected."); });
  });
  issue.addEventListener("click", async () => {
    const r = await run(issue, `Issuing a password and sending it to ${c.id}…`, async () => {
      const r = await API.issuePassword(c.id);
      feedback(note, "ok", "A new password was issued.");
      return r;
    });
    if (!r) return;
    API.charger(c.id).then(changed).catch(() => {}); // passwordSetAt, passwordPending
    await showPassword({ chargerId: c.id, password: r.password, delivery: r.delivery, returnTo: issue, fallback: heading });
  });
  profileForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const p = +profile.value;
    if (p === c.securityProfile) { feedback(note, "ok", `${c.id} already uses profile ${profileLabel(p)}.`); return; }
    const downgrade = p < c.minSecurityProfile;
    if (downgrade && !(await confirmDialog({
      title: `Lower ${c.id} to profile ${p}?`,
      text: `${c.id} has connected with security profile ${profileLabel(c.minSecurityProfile)}, so Joule refuses weaker connections from it: ` +
        `that keeps an attacker from connecting as it with less. Allow profile ${profileLabel(p)} (${PROFILES[p].about}) anyway?`,
      confirm: "Allow the downgrade", danger: true, fallback: heading,
    }))) { profile.value = String(c.securityProfile); return; }
    run(change, "Saving…", async () => {
      changed(await API.setSecurityProfile(c.id, p, downgrade));
      feedback(note, "ok", `Security profile set to ${profileLabel(p)}. It applies from the charger's next connection.`);
    });
  });
  del.addEventListener("click", async () => {
    if (!(await confirmDialog({
      title: `Delete ${c.id}?`,
      text: `Joule ends its connection and forgets ${c.id}: its connectors, password, configuration and certificates. Its sessions stay. ` +
        "If it connects again, it is an unknown charger.",
      confirm: "Delete charger", danger: true, fallback: heading,
    }))) return;
    del.disabled = true;
    feedback(note, "wait", `Deleting ${c.id}…`);
    try {
      await API.deleteCharger(c.id);
      navigate("/operator/chargers");
    } catch (e) {
      feedback(note, "bad", `Could not delete ${c.id}: ${e.message}`);
      del.disabled = false;
    }
  });

  const row = (e) => h("tr", { dataset: { securityEvent: e.id, type: e.type } },
    h("td", { class: "nowrap" }, h("time", { datetime: e.timestamp, title: e.receivedAt ? `received ${when(e.receivedAt)}` : undefined }, when(e.timestamp))),
    h("td", {}, badge(e.source, SOURCE_TONE[e.source] || "muted")),
    h("td", {}, h("span", { class: "code" }, e.type), e.count > 1 ? [" ", badge(`×${e.count}`, "warn")] : ""),
    h("td", {}, e.techInfo || "", e.remote ? h("div", { class: "small muted" }, `from ${e.remote}`) : ""));
  const empty = () => { if (!events.children.length) events.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, "No security events."))); };

  // refresh reloads the newest page (coalesced: events come in bursts).
  let timer = 0;
  const load = async () => {
    const p = await API.securityEvents(c.id);
    events.replaceChildren(...p.items.map(row));
    empty();
    cursor = p.nextCursor;
    more.hidden = !cursor;
  };
  const refresh = () => { clearTimeout(timer); timer = setTimeout(() => load().catch(() => {}), 250); };
  more.addEventListener("click", async () => {
    more.disabled = true;
    try {
      const p = await API.api(`/api/v1/chargers/${encodeURIComponent(c.id)}/security-events?limit=50&cursor=${encodeURIComponent(cursor)}`);
      events.querySelector("td[colspan]")?.parentElement.remove();
      events.append(...p.items.map(row));
      empty();
      cursor = p.nextCursor;
      more.hidden = !cursor;
    } catch (e) { feedback(note, "bad", `Could not load older events: ${e.message}`); } finally { more.disabled = false; }
  });

  update(c);
  return { el, update, load, refresh, stop: () => clearTimeout(timer) };
}
