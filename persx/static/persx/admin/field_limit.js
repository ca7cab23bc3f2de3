// The admin's field limit, checked in the editor before a form is sent
// (the server's own check: persx/http/field_limit.py). A save that would send more fields
// than DATA_UPLOAD_MAX_NUMBER_FIELDS is stopped here, with a message naming both numbers,
// and the form keeps everything the editor typed (the server would answer a 400 page).
(function () {
  "use strict";
  var script = document.currentScript;
  var limit = parseInt(script && script.getAttribute("data-max-fields"), 10);
  if (!limit) return;

  function fieldCount(form, submitter) {
    var data;
    try {
      data = submitter ? new FormData(form, submitter) : new FormData(form);
    } catch (e) {
      data = new FormData(form); // a browser without the submitter argument
    }
    var count = 0;
    data.forEach(function (value) {
      if (typeof value === "string") count += 1; // files do not count (as in Django)
    });
    return count;
  }

  function showMessage(form, count) {
    var box = form.querySelector("[data-persx-field-limit]");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("data-persx-field-limit", "");
      box.setAttribute("role", "alert");
      box.className = "help-block help-critical";
      form.insertBefore(box, form.firstChild);
    }
    box.textContent =
      "Not saved: this page would send " + count + " fields and the admin accepts at most " +
      limit + " in one save. Your changes are still here. Remove some variants (or save " +
      "them in two steps), or ask an administrator to raise DATA_UPLOAD_MAX_NUMBER_FIELDS.";
    box.scrollIntoView({ block: "center" });
  }

  function resetButtons() {
    // Wagtail's progress controller shows "Saving…" and disables the button on click;
    // the save did not happen, so the buttons are ready again.
    var busy = document.querySelectorAll('[data-w-progress-loading-value="true"]');
    for (var i = 0; i < busy.length; i += 1) {
      busy[i].setAttribute("data-w-progress-loading-value", "false");
    }
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post") {
        return;
      }
      var count = fieldCount(form, event.submitter);
      if (count <= limit) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      showMessage(form, count);
      window.setTimeout(resetButtons, 0);
    },
    true
  );
})();
