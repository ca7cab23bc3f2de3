/* The consent banner and the privacy page's choice, progressively enhanced.

   Without JavaScript the forms post to /privacy/consent/ and the page reloads. With it, the
   choice is sent with fetch, the banner goes away without a reload, the tracker is told
   (<meta name="persx-measure"> + a "persx:consent" event) and a polite live region says
   what was saved; focus moves to the main content so keyboard users are not left on a
   removed button. No inline script or handler: the page's CSP forbids them. */
(function () {
  "use strict";
  if (!window.fetch || !window.FormData || !document.querySelectorAll) return;

  function announce(text) {
    var live = document.getElementById("persx-consent-status");
    if (live) live.textContent = text;
  }

  function applied(measured, text) {
    var meta = document.querySelector('meta[name="persx-measure"]');
    if (meta) meta.setAttribute("content", measured ? "yes" : "no");
    var event;
    try {
      event = new CustomEvent("persx:consent", { detail: { measured: measured } });
    } catch (e) {
      event = document.createEvent("CustomEvent");
      event.initCustomEvent("persx:consent", false, false, { measured: measured });
    }
    document.dispatchEvent(event);
    announce(text);
  }

  function onSubmit(ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form[data-consent-form]")) return;
    var button = ev.submitter || form.querySelector("button[name=choice]");
    if (!button) return;
    ev.preventDefault();
    var data = new FormData(form);
    data.set("choice", button.value);
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("consent not saved: " + response.status);
      return response.json();
    }).then(function (result) {
      var text = result.measured
        ? "Thanks: analytics accepted. You can change this under Privacy choices."
        : "Analytics declined: nothing about your visit is measured.";
      applied(result.measured, text);
      var banner = document.getElementById("persx-consent-banner");
      if (banner && form.closest("#persx-consent-banner")) {
        banner.hidden = true;
        var main = document.getElementById("main");
        if (main) {
          main.setAttribute("tabindex", "-1");
          main.focus();
        }
      }
      var state = document.querySelector("[data-consent-state]");
      if (state) state.textContent = result.measured ? "accepted" : "declined";
    }).catch(function () {
      var choice = document.createElement("input"); // the plain form still works
      choice.type = "hidden";
      choice.name = "choice";
      choice.value = button.value;
      form.appendChild(choice);
      form.submit();
    });
  }

  document.addEventListener("submit", onSubmit);
})();
