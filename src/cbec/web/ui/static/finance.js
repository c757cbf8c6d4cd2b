// The 收汇对账 page's charts (Apache ECharts): declared against received by month, the bridge as a
// waterfall, the ageing of lists not fully received. Drawn from the figures the page carries.
(function () {
  var F = JSON.parse(document.getElementById("finance-figures").textContent);
  var L = JSON.parse(document.getElementById("cbec-config").textContent).labels;
  function label(k) { return L[k] || k; }
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var c = echarts.init(el, null, { renderer: "svg" });
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }
  var n = function (v) { return Number(v); };
  draw("chart-months", {
    tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 60, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "category", data: F.months.map(function (m) { return m.month; }) },
    yAxis: { type: "value", name: F.currency },
    series: [
      { name: label("fx_declared"), type: "bar", data: F.months.map(function (m) { return n(m.declared); }) },
      { name: label("fx_received"), type: "bar", data: F.months.map(function (m) { return n(m.received); }) }
    ]
  });
  // a waterfall: totals stand on the axis, steps float from the running total
  var base = [], up = [], names = [], running = 0;
  F.bridge.forEach(function (s) {
    var v = n(s.amount);
    names.push(label(s.key === "declared" || s.key === "received" || s.key === "net_settled" ? "fx_" + s.key : "cat_" + s.key));
    if (s.total) { base.push(0); up.push({ value: v, itemStyle: { color: "#2f6fb5" } }); running = v; return; }
    var low = v < 0 ? running + v : running;
    base.push(low);
    up.push({ value: Math.abs(v), itemStyle: { color: v < 0 ? "#c0392b" : "#27ae60" } });
    running += v;
  });
  draw("chart-bridge", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
      formatter: function (p) { var s = F.bridge[p[0].dataIndex]; return names[p[0].dataIndex] + ": " + s.amount + " " + F.currency; } },
    grid: { left: 60, right: 16, top: 16, bottom: 90 },
    xAxis: { type: "category", data: names, axisLabel: { rotate: 40 } }, yAxis: { type: "value", name: F.currency },
    series: [
      { type: "bar", stack: "w", data: base, itemStyle: { color: "transparent" }, silent: true },
      { type: "bar", stack: "w", data: up }
    ]
  });
  draw("chart-ageing", {
    tooltip: { trigger: "axis" }, grid: { left: 60, right: 16, top: 16, bottom: 32 },
    xAxis: { type: "category", data: F.ageing.map(function (a) { return a.bucket + " " + label("days"); }) },
    yAxis: { type: "value", name: F.currency },
    series: [{ name: label("fx_open"), type: "bar", data: F.ageing.map(function (a) { return n(a.value); }) }]
  });
})();
