/* The console's one script: charts, print and projector buttons, single-submit forms.
   No inline script anywhere (CSP script-src 'self'); behaviour hangs on data- attributes. */
(function () {
  "use strict";

  function renderChart(el) {
    if (!window.echarts || el.dataset.chartReady) { return; }
    el.dataset.chartReady = "1";
    fetch(el.dataset.chartUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (spec) {
        var chart = window.echarts.init(el, null, { renderer: "canvas" });
        var axisValue = spec.percent ? { type: "value", axisLabel: { formatter: "{value}%" } } : { type: "value" };
        var yAxes = [axisValue];
        if (spec.second_axis) { yAxes.push({ type: "value", name: spec.second_axis }); }
        chart.setOption({
          animation: false,
          tooltip: { trigger: "axis" },
          legend: { top: 0, type: "scroll" },
          grid: { left: 16, right: 16, top: 40, bottom: 8, containLabel: true },
          xAxis: { type: "category", data: spec.categories },
          yAxis: yAxes,
          series: spec.series
        });
        window.addEventListener("resize", function () { chart.resize(); });
        el.setAttribute("data-chart-drawn", "1");
      })
      .catch(function () { el.setAttribute("data-chart-failed", "1"); });
  }

  function init(root) {
    root.querySelectorAll("[data-chart-url]").forEach(renderChart);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-print],[data-back],[data-fullscreen]");
    if (!target) { return; }
    if (target.hasAttribute("data-print")) { event.preventDefault(); window.print(); }
    if (target.hasAttribute("data-back") && window.history.length > 1) {
      event.preventDefault(); window.history.back();
    }
    if (target.hasAttribute("data-fullscreen")) {
      event.preventDefault();
      document.body.classList.toggle("projector");
      var el = document.documentElement;
      if (document.body.classList.contains("projector") && el.requestFullscreen) {
        el.requestFullscreen().catch(function () {});
      } else if (document.fullscreenElement && document.exitFullscreen) {
        document.exitFullscreen();
      }
    }
  });

  // A form marked data-once submits once: a double click sends one request (the
  // server's idempotency key makes a second one harmless anyway).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
  }, true);

  // After an htmx form succeeds, empty it and put the cursor back (the next scan).
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-reset-on-success")) {
      form.reset();
      var first = form.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
