// account.js: who is using the app. Until sign-in exists, a driver is an id
// tag (the same token a charging card carries) kept on this device. A
// sign-in replaces the body of these functions; screens only call them.

const KEY = "joule.idTag";

export function currentDriver() {
  let tag = localStorage.getItem(KEY);
  if (!tag) {
    tag = "APP-" + Math.random().toString(36).slice(2, 8).toUpperCase();
    localStorage.setItem(KEY, tag);
  }
  return { idTag: tag, signedIn: false };
}

export function setIdTag(tag) {
  if (tag) localStorage.setItem(KEY, tag.trim().slice(0, 20)); // OCPP 1.6 idTag is CiString20
}

// authHeaders are added to every API request (none yet).
export function authHeaders() {
  return {};
}

// renderAccount fills the header slot.
export function renderAccount(el, mode) {
  el.textContent = "";
  if (mode === "operator") {
    el.textContent = "Operator";
    return;
  }
  const d = currentDriver();
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = d.idTag;
  b.setAttribute("aria-label", `Your charging tag is ${d.idTag}. Change it`);
  b.addEventListener("click", () => {
    const t = prompt("Your charging tag (id tag), up to 20 characters", d.idTag);
    if (t) { setIdTag(t); renderAccount(el, mode); }
  });
  el.append(b);
}
