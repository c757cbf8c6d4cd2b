// The risk-lane overview's charts (Apache ECharts): each lane's share against its expected rate,
// lanes by day, hits by rule, seller and day. A click on a lane (or a lane's day) opens its lists.
(function () {
  var F = JSON.parse(document.getElementById("risk-figures").textContent);
  var drill = JSON.parse(document.getElementById("risk-drill").textContent);
  var COLORS = { red: "#c0392b", yellow: "#d4a017", blue: "#2f6fb5", green: "#27ae60" };
  function draw(id, option, onClick) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return;
    var c = echarts.init(el, null, { renderer: "svg" });
    c.setOption(option);
    if (onClick && drill) c.on("click", onClick);
    window.addEventListener("resize", function () { c.resize(); });
  }
  function pct(v) { return v === null ? null : Math.round(v * 10000) / 100; }
  var lanes = F.lanes.map(function (l) { return l.lane; });
  draw("chart-lanes", {
    tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 50, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "category", data: lanes }, yAxis: { type: "value", name: "%" },
    series: [
      { name: "实际 share", type: "bar", data: F.lanes.map(function (l) { return { value: pct(l.share), itemStyle: { color: COLORS[l.lane] } }; }) },
      { name: "预期 expected", type: "scatter", symbolSize: 14, data: F.lanes.map(function (l) { return pct(l.expected); }) },
      { name: "随机下限 floor", type: "scatter", symbol: "diamond", symbolSize: 12, data: F.lanes.map(function (l) { return pct(l.floor); }) }
    ]
  }, function (p) { window.location = "/risk/lanes?lane=" + lanes[p.dataIndex]; });
  var days = {};
  Object.keys(F.lanes_by_day).forEach(function (k) { F.lanes_by_day[k].forEach(function (d) { days[d.key] = true; }); });
  var dayList = Object.keys(days).sort();
  draw("chart-lane-days", {
    tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 50, right: 16, top: 16, bottom: 48 },
    xAxis: { type: "category", data: dayList }, yAxis: { type: "value" },
    series: ["red", "yellow", "blue"].map(function (lane) {
      var m = {}; (F.lanes_by_day[lane] || []).forEach(function (d) { m[d.key] = d.count; });
      return { name: lane, type: "bar", stack: "l", itemStyle: { color: COLORS[lane] }, data: dayList.map(function (d) { return m[d] || 0; }) };
    })
  }, function (p) { window.location = "/risk/lanes?lane=" + p.seriesName + "&day=" + dayList[p.dataIndex]; });
  function bars(id, rows) {
    draw(id, {
      tooltip: { trigger: "axis" }, grid: { left: 140, right: 16, top: 16, bottom: 24 },
      yAxis: { type: "category", data: rows.map(function (r) { return r.key; }) }, xAxis: { type: "value" },
      series: [{ type: "bar", data: rows.map(function (r) { return r.count; }) }]
    });
  }
  bars("chart-rules", F.hits_by_rule);
  bars("chart-sellers", F.hits_by_seller);
  draw("chart-hit-days", {
    tooltip: { trigger: "axis" }, grid: { left: 50, right: 16, top: 16, bottom: 32 },
    xAxis: { type: "category", data: F.hits_by_day.map(function (d) { return d.key; }) }, yAxis: { type: "value" },
    series: [{ type: "bar", data: F.hits_by_day.map(function (d) { return d.count; }) }]
  });
})();
