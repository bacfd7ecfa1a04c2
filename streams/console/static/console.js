// Draws every [data-chart] element with uPlot; the spec comes from streams/console/charts.py.
(function () {
  function draw(el) {
    if (el.dataset.drawn) return;
    var spec = JSON.parse(el.dataset.chart);
    var width = Math.max(320, el.clientWidth || 640);
    var pair = spec.bars && spec.series.length === 2;
    var series = [{}].concat(spec.series.map(function (s, i) {
      var line = { label: s.label, stroke: s.color, width: 2, spanGaps: true };
      if (spec.bars) {
        line.fill = s.color + "99";
        // two series side by side, left and right of their x, instead of one over the other
        line.paths = uPlot.paths.bars({ size: [pair ? 0.4 : 0.6, 60], align: pair ? (i ? 1 : -1) : 0 });
        line.points = { show: false };
      }
      return line;
    }));
    var scales = { x: { time: spec.time } };
    if (spec.y_range) scales.y = { range: spec.y_range };
    var xAxis = {};
    if (spec.x_labels) {
      // categories: one bar group per label, the axis naming them
      scales.x = { time: false, range: [-0.5, spec.x.length - 0.5] };
      xAxis = { splits: function () { return spec.x; },
                values: function (u, splits) { return splits.map(function (i) { return spec.x_labels[i]; }); } };
    }
    var opts = {
      title: spec.title, width: width, height: 260, series: series, scales: scales,
      axes: [xAxis, { size: 50 }], legend: { live: true }
    };
    var data = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    el.dataset.drawn = "1";
    new uPlot(opts, data, el);
  }
  function drawAll() { document.querySelectorAll("[data-chart]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
})();

// The queue refreshes at most 300 ms after any change the event stream announces, however
// many arrive (htmx's own throttle would drop the last of a burst and leave the page stale),
// and waits while someone is typing a note in it.
(function () {
  var REFRESH_MS = 300;
  var pending = null;
  function refresh() {
    pending = null;
    var queue = document.getElementById("queue");
    if (!queue) return;
    var typing = document.activeElement && document.activeElement.closest("#queue form");
    if (typing) { pending = setTimeout(refresh, REFRESH_MS); return; }
    htmx.trigger(queue, "queue-changed");
  }
  // a reconnected stream has missed what happened meanwhile: refresh then too
  document.addEventListener("htmx:sseOpen", function () {
    if (pending === null) pending = setTimeout(refresh, REFRESH_MS);
  });
  document.addEventListener("sse:changed", function () {
    if (pending === null) pending = setTimeout(refresh, REFRESH_MS);
  });
})();

// A refused mark (an unknown alert, a note too long, a holdout contacted) says why, beside
// the form that sent it; htmx does not swap error answers in by itself.
document.addEventListener("htmx:responseError", function (event) {
  var form = event.detail.elt && event.detail.elt.closest("form");
  if (!form) return;
  var message = form.querySelector(".error") || document.createElement("p");
  message.className = "error";
  message.textContent = event.detail.xhr.responseText;
  form.appendChild(message);
});
