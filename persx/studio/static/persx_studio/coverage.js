/* Variant studio, coverage matrix: the industry filter submits on change, and a cell opens
   its action panel (preview, AI draft, review, retire, AI vs human). Without JavaScript a
   cell is a plain link to the side-by-side preview, which has the same actions. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  var table = document.querySelector("[data-testid=coverage-matrix]");
  var panel = document.querySelector("[data-testid=cell-panel]");
  if (!table || !panel) { return; }

  function part(name) { return panel.querySelector("[data-panel-" + name + "]"); }
  function show(element, visible) { element.hidden = !visible; }

  function open(cell, link) {
    var row = cell.closest("tr");
    var header = row.querySelector("th");
    var state = cell.dataset.state;
    var pageName = header ? header.querySelector(".px-row-page") : null;
    var blockName = header ? header.querySelector(".px-row-label") : null;
    part("row").textContent = [pageName, blockName]
      .filter(Boolean)
      .map(function (element) { return element.textContent.trim().replace(/\s+/g, " "); })
      .join(" · ");
    part("title").textContent = link.getAttribute("title") || "";
    var result = part("result");
    show(result, Boolean(cell.dataset.result));
    if (cell.dataset.result) {
      var resultLink = result.querySelector("a");
      resultLink.textContent = "PLI " + cell.dataset.result +
        (cell.dataset.resultBasis ? " — " + cell.dataset.resultBasis : "");
      resultLink.href = cell.dataset.resultUrl;
    }
    part("preview").href = link.getAttribute("href");
    var review = part("review");
    show(review, Boolean(cell.dataset.draft));
    if (cell.dataset.draft) {
      review.href = table.dataset.reviewUrl.replace(/0\/$/, cell.dataset.draft + "/");
    }
    panel.querySelectorAll("form[data-panel-form]").forEach(function (form) {
      form.elements.page.value = row.dataset.page;
      form.elements.block.value = row.dataset.block;
      form.elements.audience.value = cell.dataset.audience;
    });
    show(panel.querySelector("[data-panel-form=draft]"), !cell.dataset.draft);
    show(panel.querySelector("[data-panel-form=retire]"), state === "underperforming");
    show(panel.querySelector("[data-panel-form=duel]"), cell.dataset.duelEligible === "1");
    var duel = part("duel");
    show(duel, Boolean(cell.dataset.duelUrl));
    if (cell.dataset.duelUrl) { duel.querySelector("a").href = cell.dataset.duelUrl; }
    part("batch").href = table.dataset.batchUrl + "?page=" + encodeURIComponent(row.dataset.page);
    var reason = part("reason");
    if (reason && cell.dataset.result) { reason.value = "Underperforming: " + cell.dataset.result; }
    panel.hidden = false;
    openCell = cell;
    place(cell);
    panel.querySelector("[data-panel-preview]").focus({ preventScroll: true });
  }

  /* The panel sits next to its cell, and follows it when the page scrolls (a scroll that
     brought the cell into view may arrive just after the click). */
  var openCell = null;
  function place(cell) {
    var box = cell.getBoundingClientRect();
    var viewport = document.documentElement;
    var top = box.bottom + 6;
    if (top + panel.offsetHeight > viewport.clientHeight - 8) {
      top = Math.max(8, box.top - panel.offsetHeight - 6);
    }
    var left = Math.min(box.left, viewport.clientWidth - panel.offsetWidth - 16);
    panel.style.top = top + "px";
    panel.style.left = Math.max(8, left) + "px";
  }

  table.addEventListener("click", function (event) {
    var link = event.target.closest("a.px-state");
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    open(link.closest("td"), link);
  });
  panel.querySelector("[data-panel-close]").addEventListener("click", function () { panel.hidden = true; });
  window.addEventListener("scroll", function () {
    if (!panel.hidden && openCell) { place(openCell); }
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { panel.hidden = true; }
  });
})();
