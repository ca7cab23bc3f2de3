/* Side-by-side preview: fits the desktop panes, scrolls them to the cell's block, and
   switches the audience panes without reloading the page. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (element) {
    element.addEventListener("change", function () { element.form.submit(); });
  });
  var select = document.getElementById("px-audience");
  var at = document.querySelector('input[name="at"]');
  function fit() {
    document.querySelectorAll(".px-desktop").forEach(function (box) {
      var scale = box.clientWidth / 1280;
      box.style.setProperty("--px-scale", scale);
      box.style.height = Math.round(800 * scale) + "px";
    });
  }
  fit();
  var root = document.querySelector("[data-testid=studio-preview]");
  function focusBlock(frame) {
    if (!root.dataset.focusTestid) { return; }
    try {
      var doc = frame.contentDocument;
      var found = doc.querySelectorAll('[data-testid="' + root.dataset.focusTestid + '"]')[Number(root.dataset.focusIndex)];
      if (!found) { return; }
      found.style.outline = "3px solid #007d7e";
      found.style.outlineOffset = "-3px";
      frame.contentWindow.scrollTo(0, Math.max(0, found.getBoundingClientRect().top + frame.contentWindow.scrollY - 72));
    } catch (e) { /* a pane that is not same-origin stays at the top */ }
  }
  document.querySelectorAll(".persx-studio iframe").forEach(function (frame) {
    frame.addEventListener("load", function () { focusBlock(frame); });
    if (frame.contentDocument && frame.contentDocument.readyState === "complete") { focusBlock(frame); }
  });
  if (window.ResizeObserver) { new ResizeObserver(fit).observe(document.querySelector(".px-panes")); }
  select.addEventListener("change", function () {
    var query = new URLSearchParams({ audience: select.value });
    if (at) { query.set("at", at.value); }
    var src = select.dataset.renderBase + "?" + query.toString();
    document.querySelectorAll("[data-audience-pane]").forEach(function (frame) { frame.src = src; });
    var label = select.options[select.selectedIndex].text;
    var group = select.options[select.selectedIndex].parentNode.label;
    var text = select.value.indexOf("persona:") === 0 ? label + " (" + group + ")" : label;
    document.querySelector('[data-testid="audience-label"]').textContent = text;
    document.querySelector("[data-audience-heading]").textContent = text;
    document.querySelector("[data-audience-key]").textContent = select.value;
    document.querySelectorAll("[data-audience-input]").forEach(function (input) { input.value = select.value; });
    document.querySelectorAll("[data-cell-specific]").forEach(function (element) { element.hidden = true; });
    var stale = document.querySelector("[data-cell-stale]");
    var form = document.querySelector("[data-testid=preview-draft-form]");
    if (form) { form.hidden = false; }
    document.querySelectorAll("[data-audience-text]").forEach(function (element) { element.textContent = text; });
    var page = new URLSearchParams(window.location.search);
    page.set("audience", select.value);
    history.replaceState(null, "", "?" + page.toString());
    if (stale) {
      stale.hidden = false;
      stale.querySelector("[data-cell-reload]").href = "?" + page.toString();
      var next = form ? form.querySelector("input[name=next]") : null;
      if (next) { next.value = window.location.pathname + "?" + page.toString(); }
    }
  });
})();
