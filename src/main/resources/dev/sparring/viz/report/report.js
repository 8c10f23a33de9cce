/*
 * Sparring's run report: lays out the page from the JSON in #report-data and draws its charts with uPlot.
 * The data (written by dev.sparring.train.RunReport):
 *   compare      false: one run's page; true: several runs overlaid, their configurations side by side
 *   smoothing    the initial weight of the exponential moving average (TensorBoard's, debiased)
 *   differing    compare: the configuration keys whose values differ between the runs
 *   charts       [{id, title, y_label, y2_label, smooth, points, series: [{key, label, right}]}]: every chart, in order;
 *                the first `featured` are drawn full width
 *   runs         [{name, path, config, loss, summary, columns: [{step: [...], values: {key: [...]}}],
 *                  refs: {key: {label, value}}, samples: [{step, src}], samples_total, real, checkpoints, notes}]
 * A key's values are its column's steps' values (null: not finite); refs are dashed constant lines (the loss's values at
 * equilibrium) drawn in their key's colour.
 */
(function () {
  "use strict";
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var runs = data.runs, compare = data.compare;
  var main = document.getElementById("report");
  var charts = [];   // {spec, plot, div}
  var smoothing = data.smoothing;

  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k]; else if (k === "cls") e.className = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    for (var i = 2; i < arguments.length; i++) if (arguments[i] != null) e.appendChild(arguments[i]);
    return e;
  }

  function fmt(v) {
    if (v == null) return "—";
    if (typeof v !== "number") return typeof v === "string" ? v : JSON.stringify(v);
    if (Number.isInteger(v)) return String(v);
    var a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? Number(v.toPrecision(4)).toExponential() : String(Number(v.toPrecision(5)));
  }

  function runColour(r) { return PALETTE[r % PALETTE.length]; }

  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + a + ")";
  }

  function column(run, key) {
    for (var i = 0; i < run.columns.length; i++) {
      var c = run.columns[i];
      if (Object.prototype.hasOwnProperty.call(c.values, key)) return {x: c.step, y: c.values[key]};
    }
    return null;
  }

  /** TensorBoard's smoothing: an exponential moving average, debiased at the start; gaps stay gaps. */
  function smooth(y, w) {
    if (w <= 0) return y;
    var out = new Array(y.length), last = 0, n = 0;
    for (var i = 0; i < y.length; i++) {
      var v = y[i];
      if (v == null || !isFinite(v)) { out[i] = v; continue; }
      last = last * w + (1 - w) * v;
      n++;
      out[i] = last / (1 - Math.pow(w, n));
    }
    return out;
  }

  /** Lines on one x axis for uPlot: the union of their steps, null where a line has no value. */
  function align(lines) {
    var same = lines.every(function (l) { return l.x === lines[0].x; });
    if (same) return [lines[0].x].concat(lines.map(function (l) { return l.y; }));
    var seen = {}, xs = [];
    lines.forEach(function (l) { l.x.forEach(function (v) { if (!seen[v]) { seen[v] = true; xs.push(v); } }); });
    xs.sort(function (a, b) { return a - b; });
    var at = {};
    xs.forEach(function (v, i) { at[v] = i; });
    return [xs].concat(lines.map(function (l) {
      var a = new Array(xs.length).fill(null);
      l.x.forEach(function (v, i) { a[at[v]] = l.y[i]; });
      return a;
    }));
  }

  /** The lines of a chart: per run and series, the raw values (faint, when smoothed), the smoothed ones and the refs. */
  function chartLines(spec) {
    var lines = [];
    runs.forEach(function (run, r) {
      spec.series.forEach(function (s, k) {
        var c = column(run, s.key);
        if (!c) return;
        var colour = compare ? runColour(r) : PALETTE[k % PALETTE.length];
        var name = compare ? run.name + (spec.series.length > 1 ? " " + s.label : "") : s.label;
        var scale = s.right ? "y2" : "y";
        if (spec.smooth) lines.push({x: c.x, y: c.y, raw: true, opts: {label: name + " (raw)", stroke: alpha(colour, 0.3), width: 1, scale: scale}});
        lines.push({x: c.x, y: c.y, smooth: spec.smooth, opts: {label: name, stroke: colour, width: spec.smooth ? 1.6 : 1.4, scale: scale,
          points: {show: !!spec.points, size: 5, fill: colour}}});
        var ref = run.refs && run.refs[s.key];
        if (ref) lines.push({x: c.x, ref: ref.value, opts: {label: (compare ? run.name + " " : "") + ref.label, stroke: colour, width: 1, dash: [6, 4], scale: scale}});
      });
    });
    return lines;
  }

  function chartData(lines) {
    return align(lines.map(function (l) {
      if (l.ref != null) return {x: l.x, y: l.x.map(function () { return l.ref; })};
      return {x: l.x, y: l.smooth ? smooth(l.y, smoothing) : l.y};
    }));
  }

  function finiteCount(d) {
    var n = 0;
    for (var i = 1; i < d.length; i++) for (var j = 0; j < d[i].length; j++) if (d[i][j] != null && isFinite(d[i][j])) n++;
    return n;
  }

  function chartWidth(div) { return Math.max(300, div.clientWidth || 600); }

  function drawChart(spec, parent, featured) {
    var lines = chartLines(spec);
    if (!lines.length) { window.sparringReport.error("chart " + spec.id + " has no data in any run"); return; }
    var div = el("div", {cls: "chart", id: "chart-" + spec.id, "data-chart": spec.id});
    parent.appendChild(div);
    var right = lines.some(function (l) { return l.opts.scale === "y2"; });
    var ticks = function (u, splits) { return splits.map(fmt); };
    var axes = [{label: "generator step"}, {label: spec.y_label || "", scale: "y", values: ticks}];
    if (right) axes.push({label: spec.y2_label || "", scale: "y2", side: 1, grid: {show: false}, values: ticks});
    var series = [{label: "step"}].concat(lines.map(function (l) {
      var o = l.opts;
      o.spanGaps = true;
      o.value = function (u, v) { return fmt(v); };
      if (!o.points) o.points = {show: false};
      return o;
    }));
    var d = chartData(lines);
    var scales = {x: {time: false}, y: {auto: true}};
    if (right) scales.y2 = {auto: true};
    var opts = {
      title: spec.title, width: chartWidth(div), height: featured ? 320 : 240, scales: scales, axes: axes, series: series,
      legend: {live: true},
      hooks: {draw: [function (u) {
        var n = finiteCount(u.data);
        div.dataset.points = n;
        if (n === 0) { window.sparringReport.error("chart " + spec.id + " drew no finite value"); return; }
        div.dataset.drawn = "true";
        window.sparringReport.drawn(spec.id);
      }]}
    };
    var plot = new uPlot(opts, d, div);
    // the faint raw lines stay out of the legend: it lists what the eye follows, the smoothed lines and the references
    var rows = div.querySelectorAll(".u-legend .u-series");
    lines.forEach(function (l, i) { if (l.raw && rows[i + 1]) rows[i + 1].style.display = "none"; });
    charts.push({spec: spec, lines: lines, div: div, plot: plot});
  }

  function table(rows, head) {
    var t = el("table");
    if (head) {
      var tr = el("tr");
      head.forEach(function (h) { tr.appendChild(el("th", {text: h})); });
      t.appendChild(tr);
    }
    rows.forEach(function (r) { t.appendChild(r); });
    return t;
  }

  function summary() {
    var sec = el("section", {id: "summary"}, el("h2", {text: compare ? "Runs" : "Run"}));
    var head = ["run", "folder", "loss", "last step", "epoch", "time", "img/s", "FID", "modes", "checkpoints"];
    var rows = runs.map(function (run, r) {
      var s = run.summary, tr = el("tr");
      var name = el("td", {text: run.name});
      if (compare) name.style.color = runColour(r);
      tr.append(name, el("td", {text: run.path}), el("td", {text: run.loss}), el("td", {cls: "num", text: fmt(s.last_step)}),
        el("td", {cls: "num", text: fmt(s.epoch)}), el("td", {cls: "num", text: s.time_s == null ? "—" : fmt(Math.round(s.time_s)) + " s"}),
        el("td", {cls: "num", text: fmt(s.img_per_s)}),
        el("td", {cls: "num", text: s.fid == null ? "—" : fmt(s.fid) + " (step " + s.fid_step + ")"}),
        el("td", {text: s.coverage || "—"}), el("td", {cls: "num", text: String(run.checkpoints.length)}));
      return tr;
    });
    sec.appendChild(table(rows, head));
    runs.forEach(function (run) {
      run.notes.forEach(function (n) { sec.appendChild(el("p", {cls: "note", text: (compare ? run.name + ": " : "") + n})); });
    });
    main.appendChild(sec);
  }

  function config() {
    var sec = el("section", {id: "config"}, el("h2", {text: compare ? "Configuration (differing keys highlighted)" : "Configuration"}));
    var keys = [];
    runs.forEach(function (run) { Object.keys(run.config).forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); }); });
    var differing = data.differing || [];
    var rows = keys.map(function (k) {
      var tr = el("tr", {"data-key": k}, el("th", {text: k}));
      if (differing.indexOf(k) >= 0) tr.className = "differs";
      runs.forEach(function (run) { tr.appendChild(el("td", {text: k in run.config ? fmt(run.config[k]) : "(absent)"})); });
      return tr;
    });
    if (compare) {
      var box = el("input", {type: "checkbox", id: "show-equal"});
      box.checked = differing.length === 0;
      var showEqual = function () { rows.forEach(function (tr) { tr.hidden = !box.checked && tr.className !== "differs"; }); };
      box.addEventListener("change", showEqual);
      sec.appendChild(el("div", {cls: "controls"}, box, el("label", {"for": "show-equal",
        text: " show the " + (keys.length - differing.length) + " keys equal in every run too"})));
      showEqual();
    }
    if (compare) {
      sec.appendChild(table(rows, ["key"].concat(runs.map(function (r) { return r.name; }))));
    } else {   // one run: key and value pairs side by side, in as many columns as fit
      var grid = el("div", {cls: "config-grid"});
      keys.forEach(function (k) { grid.append(el("span", {cls: "key", text: k}), el("span", {text: fmt(runs[0].config[k])})); });
      sec.appendChild(grid);
    }
    main.appendChild(sec);
  }

  function chartSection() {
    var sec = el("section", {id: "charts"}, el("h2", {text: "Charts"}));
    var slider = el("input", {type: "range", id: "smoothing", min: "0", max: "0.99", step: "0.01", value: String(smoothing)});
    var shown = el("span", {text: smoothing.toFixed(2)});
    sec.appendChild(el("div", {cls: "controls"}, el("label", {"for": "smoothing", text: "smoothing "}), slider, el("span", {text: " "}), shown,
      el("span", {cls: "muted", text: "  (exponential moving average over the points shown; drag on a chart to zoom, double-click to reset)"})));
    main.appendChild(sec);
    var featured = el("div", {cls: "featured"}), grid = el("div", {cls: "grid"});
    sec.append(featured, grid);
    window.sparringReport.expect(data.charts.length);
    data.charts.forEach(function (spec, i) { drawChart(spec, i < data.featured ? featured : grid, i < data.featured); });
    slider.addEventListener("input", function () {
      smoothing = Number(slider.value);
      shown.textContent = smoothing.toFixed(2);
      charts.forEach(function (c) { if (c.spec.smooth) c.plot.setData(chartData(c.lines)); });
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.plot.setSize({width: chartWidth(c.div), height: c.plot.height}); });
    });
  }

  function figure(src, caption) {
    return el("figure", null, el("img", {src: src, alt: caption}), el("figcaption", {text: caption}));
  }

  function samples() {
    var sec = el("section", {id: "samples"}, el("h2", {text: compare ? "Last samples" : "Samples"}));
    var box = el("div", {cls: "samples"});
    if (compare) {
      runs.forEach(function (run) {
        var last = run.samples[run.samples.length - 1];
        box.appendChild(last ? figure(last.src, run.name + ", step " + last.step) : el("p", {cls: "muted", text: run.name + ": no samples yet"}));
      });
    } else {
      var run = runs[0];
      if (run.real) box.appendChild(figure(run.real, "real data"));
      run.samples.forEach(function (s) { box.appendChild(figure(s.src, "step " + s.step)); });
      if (run.samples_total > run.samples.length) {
        sec.appendChild(el("p", {cls: "muted", text: run.samples.length + " of the run's " + run.samples_total
          + " sample images, evenly spaced (all of them are in samples/)"}));
      }
      if (!run.real && !run.samples.length) box.appendChild(el("p", {cls: "muted", text: "no samples yet"}));
    }
    sec.appendChild(box);
    main.appendChild(sec);
  }

  function checkpoints() {
    var run = runs[0];
    var sec = el("section", {id: "checkpoints"}, el("h2", {text: "Checkpoints"}));
    if (!run.checkpoints.length) sec.appendChild(el("p", {cls: "muted", text: "none yet"}));
    else sec.appendChild(table(run.checkpoints.map(function (c) {
      return el("tr", null, el("td", {text: "checkpoints/" + c.name}), el("td", {cls: "num", text: fmt(c.step)}),
        el("td", {cls: "num", text: (c.bytes / 1048576).toFixed(2) + " MB"}), el("td", {text: c.modified}));
    }), ["file", "step", "size", "written"]));
    main.appendChild(sec);
  }

  summary();
  config();
  chartSection();
  samples();
  if (!compare) checkpoints();
})();
