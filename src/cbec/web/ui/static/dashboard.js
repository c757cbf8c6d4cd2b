// The dashboard's charts (Apache ECharts), drawn from the figures the page carries as JSON.
(function () {
  var F = JSON.parse(document.getElementById("figures").textContent);
  var L = JSON.parse(document.getElementById("labels").textContent);
  var C = JSON.parse(document.getElementById("cbec-config").textContent);
  var zh = C.lang !== "en";
  var charts = [];
  function label(s) { return L[s] || s; }
  // compact axis numbers: 12万 / 120k, so long amounts never overlap
  function compact(v) {
    var a = Math.abs(v);
    if (zh) return a >= 1e8 ? v / 1e8 + "亿" : a >= 1e4 ? v / 1e4 + "万" : String(v);
    return a >= 1e6 ? v / 1e6 + "M" : a >= 1e3 ? v / 1e3 + "k" : String(v);
  }
  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var c = echarts.init(el, null, { renderer: "svg" });
    c.setOption(option);
    charts.push(c);
  }
  function empty(id) { var el = document.getElementById(id); if (el) el.innerHTML = '<p class="muted">' + C.none + "</p>"; }
  function pie(id, counts) {
    var data = Object.keys(counts).map(function (k) { return { name: label(k), value: counts[k] }; });
    if (!data.length) return empty(id);
    draw(id, { tooltip: { trigger: "item" }, legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: ["40%", "68%"], data: data, label: { formatter: "{b}: {c}" } }] });
  }
  pie("chart-today", F.today_by_status);
  pie("chart-status", F.period_by_status);

  var days = F.daily.map(function (d) { return d.day.slice(5); });
  var statuses = {};
  F.daily.forEach(function (d) { Object.keys(d.by_status).forEach(function (s) { statuses[s] = 1; }); });
  draw("chart-trend", { tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 40, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "category", data: days }, yAxis: { type: "value", minInterval: 1 },
    series: Object.keys(statuses).map(function (s) {
      return { name: label(s), type: "bar", stack: "all", data: F.daily.map(function (d) { return d.by_status[s] || 0; }) };
    }).concat([{ name: C.lists, type: "line", smooth: true, data: F.daily.map(function (d) { return d.lists; }) }]) });

  var dest = F.by_destination.slice(0, 15).reverse();
  if (dest.length) {
    var currencies = {};
    dest.forEach(function (r) { Object.keys(r.value).forEach(function (c) { currencies[c] = 1; }); });
    draw("chart-destination", { tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, legend: { bottom: 0 },
      grid: { left: 110, right: 24, top: 8, bottom: 40 }, xAxis: { type: "value", axisLabel: { formatter: compact } },
      yAxis: { type: "category", data: dest.map(function (r) { return zh ? r.name_zh : r.name_en; }) },
      series: Object.keys(currencies).map(function (c) {
        return { name: C.value + " " + c, type: "bar", stack: "v", data: dest.map(function (r) { return Number(r.value[c] || 0).toFixed(2); }) };
      }) });
  } else empty("chart-destination");

  if (F.by_trade_mode.length) {
    draw("chart-mode", { tooltip: { trigger: "item" }, legend: { bottom: 0 },
      series: [{ type: "pie", radius: "65%", data: F.by_trade_mode.map(function (r) { return { name: r.trade_mode || "—", value: r.lists }; }) }] });
  } else empty("chart-mode");

  var rate = F.matching.rate;
  if (rate !== null) {
    draw("chart-match", { series: [{ type: "gauge", min: 0, max: 100, progress: { show: true, width: 14 }, axisLine: { lineStyle: { width: 14 } },
      detail: { formatter: "{value}%", fontSize: 22 }, data: [{ value: Math.round(rate * 1000) / 10 }] }] });
  } else empty("chart-match");

  var rej = F.top_rejections;
  if (rej.length) {
    draw("chart-rejections", { tooltip: { trigger: "axis" }, grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: rej.map(function (r) { return (r.return_status === null ? "" : r.return_status + " ") + r.info.slice(0, 24); }).reverse() },
      series: [{ type: "bar", data: rej.map(function (r) { return r.count; }).reverse(), itemStyle: { color: "#c62828" } }] });
  } else empty("chart-rejections");
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
