/* PersX client: the sessionStorage mirror of the visitor's profile, and restoring it
   when the cookie is gone but the tab still remembers. Everything else is server-rendered;
   the site works without this file. */
(function () {
  "use strict";
  var KEY = "persx.profile";

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }
  function store() { try { return window.sessionStorage; } catch (e) { return null; } }
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }

  function restore(mirror) {
    return fetch("/api/personalization", { credentials: "same-origin" })
      .then(function () {
        return fetch("/api/personalization", {
          method: "PUT",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
          body: JSON.stringify({
            industry: mirror.industry,
            goals: mirror.goals && mirror.goals.length ? mirror.goals : null,
            tools: mirror.tools || null,
            role: mirror.role || null
          })
        });
      })
      .then(function (response) {
        if (!response.ok) throw new Error("restore failed: " + response.status);
        window.location.reload();
      });
  }

  function init() {
    var s = store();
    var profile = readJSON("persx-profile");
    if (profile && s) {
      s.setItem(KEY, JSON.stringify(profile));
      return;
    }
    if (!s) return;
    var saved = null;
    try { saved = JSON.parse(s.getItem(KEY) || "null"); } catch (e) { saved = null; }
    var prompt = document.querySelector("[data-testid=restore-prompt]");
    if (!saved || !saved.industry || !prompt) return;
    var names = readJSON("persx-industries") || {};
    if (!names[saved.industry]) { s.removeItem(KEY); return; }
    prompt.querySelector("[data-restore-industry]").textContent = names[saved.industry];
    prompt.hidden = false;
    var button = prompt.querySelector("[data-action=restore-profile]");
    button.addEventListener("click", function () {
      // Not ev.currentTarget: it is null by the time the promise settles.
      button.disabled = true;
      restore(saved).catch(function () { button.disabled = false; });
    });
    var forget = document.querySelector("[data-testid=forget-me]");
    if (forget) forget.addEventListener("click", function () { s.removeItem(KEY); });
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.getAttribute && t.getAttribute("data-testid") === "forget-me") {
      var s = store(); if (s) s.removeItem(KEY);
    }
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
