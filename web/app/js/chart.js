// chart.js: a small SVG line chart of a value over time (power), redrawn
// as points arrive. No library: a path in a viewBox that stretches.

import { svg, h } from "./ui.js";

export class LineChart {
  // label describes the chart for screen readers; unit formats the max.
  // hold draws the last value on until now (a gauge sampled over time).
  constructor({ label, format = (v) => String(v), windowMs = 0, hold = false }) {
    this.points = []; // [t ms, value]
    this.hold = hold;
    this.format = format;
    this.windowMs = windowMs;
    this.path = svg("path", { class: "line" });
    this.area = svg("path", { class: "area" });
    const grid = [25, 50, 75].map((y) => svg("line", { class: "grid", x1: 0, x2: 1000, y1: y, y2: y }));
    this.el = svg("svg", { class: "chart", viewBox: "0 0 1000 100", preserveAspectRatio: "none", role: "img", "aria-label": label },
      ...grid, this.area, this.path);
    this.max = h("span", { class: "chart-max", "aria-hidden": "true" });
    this.wrap = h("div", { class: "chart-wrap" }, this.max, this.el);
  }

  add(t, v) {
    this.addAll([[t, v]]);
  }

  // addAll adds points [[t, value], ...] (t: a Date, ms or a time string).
  addAll(points) {
    for (let [t, v] of points) {
      t = +new Date(t);
      if (isFinite(t) && v != null) this.points.push([t, v]);
    }
    this.points.sort((a, b) => a[0] - b[0]);
    if (this.windowMs) {
      const from = Date.now() - this.windowMs;
      this.points = this.points.filter((p) => p[0] >= from);
    }
    if (this.points.length > 2000) this.points.splice(0, this.points.length - 2000);
    this.draw();
  }

  draw() {
    let ps = this.points;
    if (this.hold && ps.length) {
      ps = [...ps, [Math.max(Date.now(), ps[ps.length - 1][0]), ps[ps.length - 1][1]]];
    }
    if (!ps.length) { this.path.setAttribute("d", ""); this.area.setAttribute("d", ""); return; }
    const t0 = ps[0][0], t1 = Math.max(ps[ps.length - 1][0], t0 + 1);
    const top = Math.max(...ps.map((p) => p[1]), 1) * 1.1;
    const x = (t) => ((t - t0) / (t1 - t0)) * 1000;
    const y = (v) => 100 - (v / top) * 100;
    const line = ps.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(2)}`).join(" ");
    this.path.setAttribute("d", line);
    this.area.setAttribute("d", `${line} L${x(t1).toFixed(1)} 100 L0 100 Z`);
    this.max.textContent = this.format(top / 1.1);
  }
}

// SeriesChart draws several lines over one time axis, with a legend: a
// site's draw per phase against its limit. series: [{key, name, cls,
// step}], cls names the line's colour in app.css; a step series holds
// each value until the next one (a limit changes at an instant, it does
// not ramp).
export class SeriesChart {
  constructor({ label, series, format = (v) => String(v), windowMs = 0, id }) {
    this.series = series.map((s) => ({ ...s, points: [], path: svg("path", { class: `line ${s.cls || ""}`.trim() }) }));
    this.format = format;
    this.windowMs = windowMs;
    const grid = [25, 50, 75].map((y) => svg("line", { class: "grid", x1: 0, x2: 1000, y1: y, y2: y }));
    this.el = svg("svg", { class: "chart lines", viewBox: "0 0 1000 100", preserveAspectRatio: "none", role: "img", "aria-label": label },
      ...grid, ...this.series.map((s) => s.path));
    if (id) this.el.id = id;
    this.max = h("span", { class: "chart-max", "aria-hidden": "true" });
    this.legend = h("ul", { class: "legend" }, this.series.map((s) => h("li", { dataset: { series: s.key } },
      h("span", { class: `swatch ${s.cls || ""}`.trim(), "aria-hidden": "true" }), s.name)));
    this.empty = h("p", { class: "small muted chart-empty" }, "No measurements yet.");
    this.wrap = h("div", { class: "chart-wrap" }, this.max, this.el, this.legend, this.empty);
  }

  // reset replaces every series' points: rows are [t, {key: value}].
  reset(rows) {
    for (const s of this.series) s.points = [];
    this.add(rows);
  }

  // add appends rows [[t, {key: value}], ...] (t: a Date, ms or a time
  // string); a missing or null value leaves that series out at t.
  add(rows) {
    for (let [t, values] of rows) {
      t = +new Date(t);
      if (!isFinite(t)) continue;
      for (const s of this.series) {
        const v = values[s.key];
        if (v != null && isFinite(v)) s.points.push([t, v]);
      }
    }
    const from = this.windowMs ? Date.now() - this.windowMs : -Infinity;
    for (const s of this.series) {
      s.points.sort((a, b) => a[0] - b[0]);
      s.points = s.points.filter((p) => p[0] >= from);
      if (s.points.length > 5000) s.points.splice(0, s.points.length - 5000);
    }
    this.draw();
  }

  draw() {
    const all = this.series.flatMap((s) => s.points);
    this.empty.hidden = all.length > 0;
    if (!all.length) { for (const s of this.series) s.path.setAttribute("d", ""); this.max.textContent = ""; return; }
    const t0 = Math.min(...all.map((p) => p[0]));
    const t1 = Math.max(Math.max(...all.map((p) => p[0])), t0 + 1);
    const top = Math.max(...all.map((p) => p[1]), 1) * 1.1;
    const x = (t) => (((t - t0) / (t1 - t0)) * 1000).toFixed(1);
    const y = (v) => (100 - (v / top) * 100).toFixed(2);
    for (const s of this.series) {
      let d = "";
      s.points.forEach(([t, v], i) => {
        if (!i) d = `M${x(t)} ${y(v)}`;
        else d += s.step ? ` H${x(t)} V${y(v)}` : ` L${x(t)} ${y(v)}`;
      });
      // A step series holds its last value to the chart's end.
      if (s.step && s.points.length) d += ` H${x(t1)}`;
      s.path.setAttribute("d", d);
    }
    this.max.textContent = this.format(top / 1.1);
  }
}
