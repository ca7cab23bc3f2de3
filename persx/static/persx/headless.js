/* PersX headless client: ask POST /api/decisions for the content a visitor sees.

   No build step, no dependencies; types in headless.d.ts (and JSDoc below).

   In a browser on the site (the visitor is the profile cookie):
       var persx = PersxHeadless.createClient();
       persx.decide({ page: "/contact/" }).then(function (answer) { ... });
   The CSRF token the API needs is read from the csrftoken cookie (fetched once from
   GET /api/decisions when the cookie is missing).

   In an app or an edge worker (the app states its visitor; never ship an app key in a
   public web page):
       var persx = PersxHeadless.createClient({ baseUrl: "https://www.example.com",
                                                appKey: "pxk_…" });
       persx.decide({ page: "/", visitor: { id: "…", industry: "saas" } });

   A refusal rejects with a PersxDecisionError (status, message naming the field, detail,
   retryAfter in seconds for 429/503). */
(function (root) {
  "use strict";

  /**
   * @param {number} status
   * @param {string} message
   * @param {Array<{loc: string[], msg: string}>} detail
   * @param {number|null} retryAfter
   */
  function PersxDecisionError(status, message, detail, retryAfter) {
    var error = new Error(message);
    error.name = "PersxDecisionError";
    /** @type {any} */ (error).status = status;
    /** @type {any} */ (error).detail = detail;
    /** @type {any} */ (error).retryAfter = retryAfter;
    return error;
  }

  function cookie(name) {
    if (typeof document === "undefined") return null;
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }

  /**
   * @param {{baseUrl?: string, appKey?: string, fetch?: typeof fetch}} [options]
   */
  function createClient(options) {
    options = options || {};
    var baseUrl = (options.baseUrl || "").replace(/\/$/, "");
    var appKey = options.appKey || null;
    var doFetch = options.fetch || (typeof fetch !== "undefined" ? fetch.bind(root) : null);
    if (!doFetch) throw new Error("PersxHeadless: no fetch available; pass options.fetch");

    function csrfToken() {
      var token = cookie("csrftoken");
      if (token) return Promise.resolve(token);
      return doFetch(baseUrl + "/api/decisions", { credentials: "same-origin" }).then(
        function () { return cookie("csrftoken") || ""; }
      );
    }

    /**
     * @param {{page?: string|number, blocks?: string[], visitor?: object, record?: boolean}} request
     */
    function decide(request) {
      var headers = { "Content-Type": "application/json", Accept: "application/json" };
      var ready = appKey
        ? Promise.resolve((headers["Authorization"] = "Bearer " + appKey))
        : csrfToken().then(function (token) { headers["X-CSRFToken"] = token; });
      return ready.then(function () {
        return doFetch(baseUrl + "/api/decisions", {
          method: "POST",
          headers: headers,
          credentials: appKey ? "omit" : "same-origin",
          body: JSON.stringify(request),
        });
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.ok) return body;
          var retry = response.headers.get("Retry-After");
          throw PersxDecisionError(
            response.status,
            body.message || "HTTP " + response.status,
            body.detail || [],
            retry ? Number(retry) : null
          );
        });
      });
    }

    /** The decided blocks of one page, keyed by block type (the first of each type). */
    function blocksByType(answer) {
      var found = {};
      (answer.blocks || []).forEach(function (block) {
        if (!(block.type in found)) found[block.type] = block;
      });
      return found;
    }

    return { decide: decide, blocksByType: blocksByType };
  }

  root.PersxHeadless = { createClient: createClient, PersxDecisionError: PersxDecisionError };
})(typeof self !== "undefined" ? self : this);
