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

  // Cells carry no data of their own (a large report has thousands): the status is the
  // st-<status> class (none on a plain PASS), the column is the position after the feature
  // header.
  function cellMatches(td) {
    if (!state.status) { return true; }
    if (state.status === "differs") { return td.dataset.differs === "1"; }
    if (state.status === "accepted") { return td.classList.contains("accepted"); }
    if (state.status === "PASS" && !td.className) { return true; }
    return td.classList.contains("st-" + state.status.toLowerCase());
  }

  function apply() {
    var visible = {};
    matrix.querySelectorAll("th[data-col]").forEach(function (th) {
      var shown = columnShown(th);
      th.hidden = !shown;
      if (shown) { visible[th.dataset.col] = true; }
    });
    var count = 0;
    matrix.querySelectorAll("tr.feature-row").forEach(function (tr) {
      var cells = tr.querySelectorAll("td");
      Array.prototype.forEach.call(cells, function (td, i) { td.hidden = !visible[i]; });
      var text = tr.cells[0].textContent.toLowerCase();
      var ok = !state.text || text.indexOf(state.text) >= 0;
      if (ok && state.status) {
        ok = Array.prototype.some.call(cells, function (td) {
          return !td.hidden && cellMatches(td);
        });
      }
      tr.hidden = !ok;
      if (ok) { count += 1; }
    });
    // An area with no row left is hidden whole, not shown as an empty table.
    matrix.querySelectorAll("details.area").forEach(function (area) {
      area.hidden = !area.querySelector("tr.feature-row:not([hidden])");
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
  // A heatmap cell names its column by index; the matrix headers hold what that column is.
  document.querySelectorAll("#heatmap a[data-col]").forEach(function (a) {
    var th = matrix.querySelector('th[data-col="' + a.dataset.col + '"]');
    if (!th) { return; }
    a.addEventListener("click", function () {
      ["backend", "method", "python"].forEach(function (key) {
        state[key] = th.dataset[key];
        var select = document.getElementById("filter-" + key);
        if (select) { select.value = th.dataset[key]; }
      });
      var area = document.getElementById(a.getAttribute("href").slice(1));
      if (area) { area.open = true; }
      apply();
    });
  });
  apply();
}());
