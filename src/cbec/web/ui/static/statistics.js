// The statistics page's charts (Apache ECharts): the world map of destinations (geometry from the
// npm package @surbowl/world-geo-json-zh, served from node_modules, features named by ISO alpha-2),
// the months' trend and the treemap of HS chapters. A click on a country or a chapter loads the
// lists behind it, as a click on a table row does.
(function () {
  var D = JSON.parse(document.getElementById("charts").textContent);
  var C = JSON.parse(document.getElementById("cbec-config").textContent);
  var zh = C.lang !== "en";
  function drill(query) {
    var base = "/statistics/lists?period=" + encodeURIComponent(D.period || "") + (D.mode ? "&mode=" + D.mode : "");
    if (window.htmx) htmx.ajax("GET", base + "&" + query, { target: "#drill", swap: "innerHTML" });
  }
  function chart(id) {
    var el = document.getElementById(id);
    return el && window.echarts ? echarts.init(el, null, { renderer: "svg" }) : null;
  }
  function empty(id) { var el = document.getElementById(id); if (el) el.innerHTML = '<p class="muted">' + C.none + "</p>"; }
  function money(v) { return Number(v).toLocaleString(zh ? "zh-CN" : "en", { maximumFractionDigits: 0 }); }

  function drawMap(geo) {
    var c = chart("chart-map");
    if (!c) return;
    echarts.registerMap("world", geo);
    var max = Math.max.apply(null, D.map.map(function (p) { return p.value; }).concat([1]));
    c.setOption({
      tooltip: { trigger: "item", formatter: function (p) {
        var d = p.data; return d ? (zh ? d.label : d.label_en) + "<br>" + money(d.value) + " CNY · " + d.lists + " " + C.lists : p.name; } },
      visualMap: { min: 0, max: max, left: 10, bottom: 10, calculable: true, inRange: { color: ["#e0ecff", "#1f6feb"] } },
      series: [{ type: "map", map: "world", nameProperty: "iso_a2", roam: true, data: D.map,
        emphasis: { label: { show: false } } }]
    });
    c.on("click", function (p) { if (p.data) drill("country=" + p.data.code); });
    document.getElementById("chart-map").setAttribute("data-ready", "map");
  }
  function drawBars() {  // no map geometry: destinations as bars, said so
    var c = chart("chart-map");
    if (!c) return;
    var rows = D.map.slice(0, 20);
    c.setOption({ title: { text: C.nomap, textStyle: { fontSize: 11, fontWeight: "normal" } },
      grid: { left: 120, right: 16, top: 30, bottom: 20 }, tooltip: {}, xAxis: { type: "value" },
      yAxis: { type: "category", data: rows.map(function (r) { return zh ? r.label : r.label_en; }) },
      series: [{ type: "bar", data: rows.map(function (r) { return r.value; }) }] });
    c.on("click", function (p) { drill("country=" + rows[p.dataIndex].code); });
    document.getElementById("chart-map").setAttribute("data-ready", "bars");
  }
  if (!D.map.length) empty("chart-map");
  else fetch("/vendor/worldmap/world.zh.json").then(function (r) { if (!r.ok) throw r; return r.json(); })
    .then(drawMap, drawBars);

  if (D.months.length) {
    var m = chart("chart-months");
    if (m) m.setOption({ tooltip: { trigger: "axis" }, legend: { bottom: 0 }, grid: { left: 60, right: 50, top: 16, bottom: 48 },
      xAxis: { type: "category", data: D.months.map(function (x) { return x.month; }) },
      yAxis: [{ type: "value", name: "CNY" }, { type: "value", name: C.lists, minInterval: 1 }],
      series: [{ name: C.value, type: "line", smooth: true, data: D.months.map(function (x) { return Number(x.value_cny); }) },
               { name: C.lists, type: "line", yAxisIndex: 1, data: D.months.map(function (x) { return x.lists; }) }] });
  } else empty("chart-months");

  if (D.chapters.length) {
    var t = chart("chart-chapters");
    if (t) {
      t.setOption({ tooltip: { formatter: function (p) { return p.name + "<br>" + money(p.value) + " CNY"; } },
        series: [{ type: "treemap", roam: false, nodeClick: false, breadcrumb: { show: false }, data: D.chapters }] });
      t.on("click", function (p) { if (p.data) drill("chapter=" + encodeURIComponent(p.data.code)); });
    }
  } else empty("chart-chapters");
})();
