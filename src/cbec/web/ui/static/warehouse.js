// The warehouse stock page's chart (Apache ECharts): units on hand per warehouse, stacked by
// ageing bucket, oldest on top in the warmest colour. Drawn from the figures the page carries.
(function () {
  var S = JSON.parse(document.getElementById("warehouse-figures").textContent);
  var L = JSON.parse(document.getElementById("cbec-config").textContent).labels;
  var el = document.getElementById("chart-ageing");
  if (!el || !window.echarts) return;
  var buckets = Object.keys(S.buckets);
  var colours = ["#27ae60", "#8bc34a", "#f1c40f", "#e67e22", "#c0392b"];
  var names = S.warehouses.map(function (w) { return w.name ? w.warehouse + " " + w.name : w.warehouse; });
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { bottom: 0 },
    grid: { left: 60, right: 16, top: 36, bottom: 48 },
    xAxis: { type: "category", data: names },
    yAxis: { type: "value", name: L.wh_on_hand || "" },
    series: buckets.map(function (b, i) {
      return { name: L[b] || b, type: "bar", stack: "age", itemStyle: { color: colours[i] },
        data: S.warehouses.map(function (w) { return w.buckets[b]; }) };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
