// Filters of report.html's matrix; the page works without this script (everything shown).
(function () {
  "use strict";
  var state = { status: "", backend: "", method: "", python: "", text: "" };
  var matrix = document.getElementById("matrix");
  if (!matrix) { return; }

  function columnShown(th) {
    return (!state.backend || th.dataset.backend === state.backend) &&
      (!state.method || th.dataset.method === state.method) &&
      (!state.python || th.dataset.python === state.python);
  }

  function cellMatches(td) {
    if (!state.status) { return true; }
    if (state.status === "differs") { return td.dataset.differs === "1"; }
    return td.dataset.status === state.status;
  }

  function apply() {
    var visible = {};
    matrix.querySelectorAll("th[data-col]").forEach(function (th) {
      var shown = columnShown(th);
      th.hidden = !shown;
      if (shown) { visible[th.dataset.col] = true; }
    });
    matrix.querySelectorAll("td[data-col]").forEach(function (td) {
      td.hidden = !visible[td.dataset.col];
    });
    var count = 0;
    matrix.querySelectorAll("tr.feature-row").forEach(function (tr) {
      var ok = !state.text || tr.dataset.text.indexOf(state.text) >= 0;
      if (ok && state.status) {
        ok = Array.prototype.some.call(tr.querySelectorAll("td[data-col]"), function (td) {
          return !td.hidden && cellMatches(td);
        });
      }
      tr.hidden = !ok;
      if (ok) { count += 1; }
    });
    document.getElementById("shown-rows").textContent = String(count);
    matrix.querySelectorAll("button[data-status]").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.status === state.status ? "true" : "false");
    });
  }

  matrix.querySelectorAll("button[data-status]").forEach(function (b) {
    b.addEventListener("click", function () { state.status = b.dataset.status; apply(); });
  });
  ["backend", "method", "python"].forEach(function (key) {
    var select = document.getElementById("filter-" + key);
    if (select) {
      select.addEventListener("change", function () { state[key] = select.value; apply(); });
    }
  });
  var search = document.getElementById("filter-text");
  search.addEventListener("input", function () {
    state.text = search.value.trim().toLowerCase();
    apply();
  });
  // A heatmap cell shows its area, filtered to its column.
  document.querySelectorAll("#heatmap a[data-backend]").forEach(function (a) {
    a.addEventListener("click", function () {
      ["backend", "method", "python"].forEach(function (key) {
        state[key] = a.dataset[key];
        var select = document.getElementById("filter-" + key);
        if (select) { select.value = a.dataset[key]; }
      });
      var area = document.getElementById(a.getAttribute("href").slice(1));
      if (area) { area.open = true; }
      apply();
    });
  });
  apply();
}());
