// geo.js: where the driver is, and how far a place is from there.
//
// The app asks the browser for a position politely: only when the driver
// taps "Show nearest first", or by itself when they already allowed it
// for Joule. Nothing waits for it: the list is drawn by name first and
// sorted again when a position arrives. The last position is kept in
// memory (never stored) for a few minutes, so coming back to the list does
// not ask again.

const EARTH_M = 6371008.8; // mean radius, metres
const rad = (d) => (d * Math.PI) / 180;

// distanceM is the great-circle distance between two {latitude, longitude}
// points in metres (haversine).
export function distanceM(a, b) {
  const dLat = rad(b.latitude - a.latitude), dLon = rad(b.longitude - a.longitude);
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.latitude)) * Math.cos(rad(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

const formats = new Map();
function unit(v, u, digits) {
  const key = `${u}/${digits}`;
  if (!formats.has(key)) formats.set(key, new Intl.NumberFormat(undefined, { style: "unit", unit: u, unitDisplay: "short", maximumFractionDigits: digits }));
  return formats.get(key).format(v);
}

// distanceText says a distance as people do: "850 m", "4.2 km", "12 km".
export function distanceText(m) {
  if (m < 995) return unit(Math.max(10, Math.round(m / 10) * 10), "meter", 0);
  if (m < 9950) return unit(Math.round(m / 100) / 10, "kilometer", 1);
  return unit(Math.round(m / 1000), "kilometer", 0);
}

const KEEP_MS = 5 * 60 * 1000;
let last = null; // {latitude, longitude, at}

// recentPosition answers the position found in the last few minutes, or null.
export const recentPosition = () => (last && Date.now() - last.at < KEEP_MS ? last : null);

export const canLocate = () => "geolocation" in navigator;

// locate asks the browser for the position (which may ask the driver):
// it resolves to {latitude, longitude} or rejects with a reason in words.
export function locate() {
  return new Promise((resolve, reject) => {
    if (!canLocate()) { reject(new Error("this browser cannot tell where you are")); return; }
    navigator.geolocation.getCurrentPosition((p) => {
      last = { latitude: p.coords.latitude, longitude: p.coords.longitude, at: Date.now() };
      resolve(last);
    }, (e) => {
      reject(new Error(e.code === 1 ? "location is not allowed for Joule" : e.code === 3 ? "finding your location took too long" : "your location is not available"));
    }, { enableHighAccuracy: false, maximumAge: KEEP_MS, timeout: 20000 });
  });
}

// permission answers the geolocation permission's status object, whose
// state is granted, prompt or denied, or null where the browser cannot
// say (then asking is the way to know).
export async function permission() {
  try {
    return navigator.permissions ? await navigator.permissions.query({ name: "geolocation" }) : null;
  } catch {
    return null;
  }
}
