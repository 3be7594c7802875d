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
