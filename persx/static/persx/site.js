/* PersX client: the sessionStorage mirror of the visitor's profile, and restoring it
   when the cookie is gone but the tab still remembers. Everything else is server-rendered;
   the site works without this file.

   Re-prompt after the cookie is lost in a new session: localStorage keeps one flag,
   "persx.wasProfiled" = "1", set once the visitor chose a profile. It holds no profile and
   no identifier, never leaves the browser (localStorage is not sent with requests) and is
   removed by "Forget me". A visitor with the flag but no profile and no mirror is offered the
   start form once ("persx.reprompted"), in a quiet banner they can dismiss. */
(function () {
  "use strict";
  var KEY = "persx.profile";
  var WAS_PROFILED = "persx.wasProfiled";
  var REPROMPTED = "persx.reprompted";

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }
  function store() { try { return window.sessionStorage; } catch (e) { return null; } }
  function lasting() { try { return window.localStorage; } catch (e) { return null; } }

  function forgetLasting() {
    var l = lasting();
    if (l) { l.removeItem(WAS_PROFILED); l.removeItem(REPROMPTED); }
  }

  function offerStartAgain() {
    var l = lasting();
    var banner = document.querySelector("[data-testid=reprompt]");
    if (!l || !banner || l.getItem(WAS_PROFILED) !== "1" || l.getItem(REPROMPTED)) return;
    l.setItem(REPROMPTED, "1");  // once: a reload or the next page does not ask again
    banner.hidden = false;
    banner.querySelector("[data-action=dismiss-reprompt]").addEventListener("click", function () {
      banner.hidden = true;
    });
  }
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
    var l = lasting();
    var profile = readJSON("persx-profile");
    if (profile) {
      if (s) s.setItem(KEY, JSON.stringify(profile));
      if (l) { l.setItem(WAS_PROFILED, "1"); l.removeItem(REPROMPTED); }
      return;
    }
    var saved = null;
    if (s) {
      try { saved = JSON.parse(s.getItem(KEY) || "null"); } catch (e) { saved = null; }
    }
    var prompt = document.querySelector("[data-testid=restore-prompt]");
    if (!saved || !saved.industry || !prompt) { offerStartAgain(); return; }
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
    if (forget) forget.addEventListener("click", function () { s.removeItem(KEY); forgetLasting(); });
  }

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t && t.getAttribute && t.getAttribute("data-testid") === "forget-me") {
      var s = store(); if (s) s.removeItem(KEY);
      forgetLasting();
    }
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
