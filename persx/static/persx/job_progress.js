/* The progress of a long job (a draft batch, an email send): polls the job's JSON status
   until it has finished, and shows it.

   Markup: a root [data-job-progress] with data-status-url and data-finished ("1" / "0");
   inside it, progress bars (role=progressbar, a .px-progress-bar child) name the status
   fields they show: data-percent-field (the bar's width), data-now-field / data-max-field
   (aria-valuenow / aria-valuemax); [data-field] elements show that status field as text;
   [data-job-message] is hidden while the status has no message. */
(function () {
  "use strict";
  var number = new Intl.NumberFormat("en-US");

  function render(root, status) {
    root.querySelectorAll("[data-percent-field]").forEach(function (progress) {
      progress.querySelector(".px-progress-bar").style.width =
        status[progress.dataset.percentField] + "%";
      if (progress.dataset.nowField) {
        progress.setAttribute("aria-valuenow", String(status[progress.dataset.nowField]));
      }
      if (progress.dataset.maxField) {
        progress.setAttribute("aria-valuemax", String(status[progress.dataset.maxField]));
      }
    });
    root.querySelectorAll("[data-field]").forEach(function (element) {
      var value = status[element.dataset.field];
      if (value === undefined) { return; }
      element.textContent = typeof value === "number" ? number.format(value) : String(value);
    });
    root.querySelectorAll("[data-job-message]").forEach(function (message) {
      message.hidden = !status.message;
    });
    root.dataset.finished = status.finished ? "1" : "0";
  }

  function poll(root) {
    fetch(root.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (status) {
        render(root, status);
        if (!status.finished) { window.setTimeout(function () { poll(root); }, 700); }
      })
      .catch(function () { window.setTimeout(function () { poll(root); }, 3000); });
  }

  document.querySelectorAll("[data-job-progress]").forEach(function (root) {
    if (root.dataset.finished !== "1") { poll(root); }
  });
})();
