/* Email send progress: polls the send's JSON status until it has finished. */
(function () {
  "use strict";
  var root = document.querySelector("[data-testid=email-send]");
  if (!root) { return; }
  var progress = root.querySelector("[data-testid=send-progress]");
  var bar = progress.querySelector(".px-progress-bar");
  var number = new Intl.NumberFormat("en-US");

  function render(status) {
    progress.setAttribute("aria-valuenow", String(status.done));
    progress.setAttribute("aria-valuemax", String(status.total));
    bar.style.width = status.percent + "%";
    root.querySelectorAll("[data-field]").forEach(function (element) {
      var value = status[element.dataset.field];
      if (value === undefined) { return; }
      element.textContent = typeof value === "number" ? number.format(value) : String(value);
    });
    root.querySelector("[data-testid=send-message]").hidden = !status.message;
    root.dataset.finished = status.finished ? "1" : "0";
  }

  function poll() {
    fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (status) {
        render(status);
        if (!status.finished) { window.setTimeout(poll, 700); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }

  if (root.dataset.finished !== "1") { poll(); }
})();
