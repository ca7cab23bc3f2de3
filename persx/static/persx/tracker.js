/* PersX event tracker: first-party, no third-party code, no cookies of its own.

   Page views and exposures are recorded by the server when it renders a page (so visitors
   without JavaScript count too); this file adds what only the browser sees:
     cta_click        click on an element with data-track="cta_click"
     test_idea_click  click on an element with data-track="test_idea_click"
     blog_read        scrolled through >= 60% of the element with data-track-read
     form_start       first focus or input in a <form data-track-form="name">, once per
                      form per page load (the denominator of the form completion rate)
     engagement       seconds the page was visible (sent when it is hidden or left)
     web_vital        LCP, CLS and INP of this page load (PerformanceObserver), once each,
                      when the page is first hidden; properties.variant is the page's first
                      personalized block variant, or "generic"
   Who the visitor is comes from the server-side profile cookie, never from here.

   Delivery: events wait in localStorage (capped) until the server acknowledged them. They
   are sent with fetch (keepalive) while the page is open and with navigator.sendBeacon when
   it is hidden; a beacon has no answer, so what it carried stays queued and is sent again
   from the next page with the same event ids: the server stores each id once. */
(function () {
  "use strict";
  var ENDPOINT = "/api/events";
  var KEY = "persx.events.v1";
  var MAX_QUEUE = 300; // oldest events are dropped beyond this
  var CHUNK = 100; // events per request: keepalive/beacon bodies must stay under 64 KB
  var MAX_AGE_MS = 6 * 24 * 3600 * 1000; // the server refuses events older than 7 days
  var SEND_DELAY_MS = 1500;
  var TYPES = {
    cta_click: 1, test_idea_click: 1, blog_read: 1, engagement: 1, email_signup: 1, web_vital: 1,
    form_start: 1
  };

  if (!window.JSON || !document.addEventListener) return;

  // Analytics consent (persx/privacy): the page says whether this visitor is measured
  // (<meta name="persx-measure" content="yes|no">); consent.js updates it and fires
  // "persx:consent" when the visitor decides. Not measured: nothing is queued or sent, and
  // what was queued is dropped.
  function measured() {
    var meta = document.querySelector('meta[name="persx-measure"]');
    return !!meta && meta.getAttribute("content") === "yes";
  }

  var memoryQueue = [];
  var storage = null;
  try {
    storage = window.localStorage;
    storage.setItem(KEY + ".probe", "1");
    storage.removeItem(KEY + ".probe");
  } catch (e) {
    storage = null;
  }

  function load() {
    if (!storage) return memoryQueue.slice();
    try {
      var q = JSON.parse(storage.getItem(KEY) || "[]");
      return Array.isArray(q) ? q : [];
    } catch (e) {
      return [];
    }
  }
  function save(queue) {
    var kept = queue.slice(-MAX_QUEUE);
    if (!storage) { memoryQueue = kept; return; }
    try { storage.setItem(KEY, JSON.stringify(kept)); } catch (e) { memoryQueue = kept; }
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = [];
    for (var j = 0; j < 16; j++) h.push((b[j] + 0x100).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" +
      h.slice(6, 8).join("") + "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  var pageView = uuid(); // groups this page load's events (properties.view)

  function track(type, value, properties) {
    if (!TYPES[type] || !measured()) return;
    var event = {
      event_id: uuid(),
      type: type,
      occurred_at: new Date().toISOString(),
      page: (window.location.pathname || "/").slice(0, 300)
    };
    if (typeof value === "number" && isFinite(value) && value >= 0) event.value = value;
    var props = { view: pageView };
    for (var k in properties || {}) {
      var v = properties[k];
      if (v !== undefined && v !== null && v !== "") props[k] = String(v).slice(0, 200);
    }
    event.properties = props;
    var queue = load();
    queue.push(event);
    save(queue);
    schedule();
  }

  function fresh(queue) {
    var oldest = Date.now() - MAX_AGE_MS;
    return queue.filter(function (e) {
      return e && e.event_id && Date.parse(e.occurred_at) > oldest;
    });
  }

  function forget(ids) {
    var gone = {};
    ids.forEach(function (id) { gone[id] = 1; });
    save(load().filter(function (e) { return !gone[e.event_id]; }));
  }

  var timer = null;
  var backoffMs = 0;
  var inFlight = false;

  function schedule() {
    if (timer) return;
    timer = window.setTimeout(function () { timer = null; sendWithFetch(); }, SEND_DELAY_MS + backoffMs);
  }

  // While the page is open: fetch, and drop what the server acknowledged (or refused).
  function sendWithFetch() {
    if (inFlight || !window.fetch) return;
    var queue = measured() ? fresh(load()) : [];
    save(queue);
    if (!queue.length) return;
    var chunk = queue.slice(0, CHUNK);
    var ids = chunk.map(function (e) { return e.event_id; });
    inFlight = true;
    fetch(ENDPOINT, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ events: chunk })
    }).then(function (response) {
      inFlight = false;
      var s = response.status;
      if (response.ok || (s >= 400 && s < 500 && s !== 408 && s !== 429)) {
        // stored, or refused for good (a bad event must not block the queue forever)
        forget(ids);
        backoffMs = 0;
        if (queue.length > chunk.length) schedule();
      } else {
        retryLater(response.headers.get("Retry-After"));
      }
    }, function () {
      inFlight = false;
      retryLater(null);
    });
  }

  function retryLater(retryAfter) {
    var seconds = parseInt(retryAfter || "", 10);
    backoffMs = seconds > 0 ? seconds * 1000 : Math.min(60000, (backoffMs || 1000) * 2);
    schedule();
  }

  // Page hidden or left: hand everything to the browser. Kept until acknowledged later.
  var lastExitBatch = "";
  function sendOnExit() {
    var queue = measured() ? fresh(load()) : [];
    save(queue);
    var signature = queue.map(function (e) { return e.event_id; }).join(",");
    if (!queue.length || signature === lastExitBatch) return; // hidden, then pagehide
    lastExitBatch = signature;
    for (var i = 0; i < queue.length; i += CHUNK) {
      var body = JSON.stringify({ events: queue.slice(i, i + CHUNK) });
      var queued = false;
      if (navigator.sendBeacon) {
        try { queued = navigator.sendBeacon(ENDPOINT, body); } catch (e) { queued = false; }
      }
      if (!queued && window.fetch) {
        try {
          fetch(ENDPOINT, {
            method: "POST", credentials: "same-origin", keepalive: true,
            headers: { "Content-Type": "text/plain;charset=UTF-8" }, body: body
          }).catch(function () {});
        } catch (e) { /* nothing more to try; the next page sends it */ }
      }
    }
  }

  // --- clicks -------------------------------------------------------------------------
  document.addEventListener("click", function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest("[data-track]") : null;
    if (!el) return;
    var type = el.getAttribute("data-track");
    var block = el.closest("[data-variant]");
    var href = el.getAttribute("href") || "";
    track(type, null, {
      id: el.getAttribute("data-track-id"),
      block: block ? block.getAttribute("data-testid") : "",
      variant: block ? block.getAttribute("data-variant") : "",
      target: href.charAt(0) === "/" ? href.split("#")[0] : ""
    });
  }, true);

  // --- form_start: the first interaction with a tracked form, once per page load -------
  var startedForms = {};
  function onFormInteraction(ev) {
    var form = ev.target && ev.target.closest ? ev.target.closest("form[data-track-form]") : null;
    if (!form) return;
    var name = form.getAttribute("data-track-form") || "form";
    if (startedForms[name]) return;
    startedForms[name] = 1;
    var block = form.closest("[data-variant]");
    track("form_start", null, {
      form: name,
      block: block ? block.getAttribute("data-testid") : "",
      variant: block ? block.getAttribute("data-variant") : ""
    });
  }
  document.addEventListener("focusin", onFormInteraction, true);
  document.addEventListener("input", onFormInteraction, true);

  // --- blog_read: 60% of the article scrolled into view, once per page load -------------
  var article = document.querySelector("[data-track-read]");
  if (article) {
    var read = false;
    var pending = false;
    var check = function () {
      pending = false;
      if (read) return;
      var box = article.getBoundingClientRect();
      var seen = (window.innerHeight - box.top) / Math.max(1, box.height);
      if (seen >= 0.6) {
        read = true;
        window.removeEventListener("scroll", onScroll);
        track(article.getAttribute("data-track-read") || "blog_read", Math.min(1, seen), {});
      }
    };
    var onScroll = function () {
      if (!pending) { pending = true; window.requestAnimationFrame(check); }
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    check();
  }

  // --- engagement: visible seconds, reported each time the page is hidden ---------------
  var visibleSince = document.visibilityState === "visible" ? Date.now() : null;
  var visibleMs = 0;
  function reportEngagement() {
    if (visibleSince !== null) { visibleMs += Date.now() - visibleSince; visibleSince = null; }
    if (visibleMs >= 1000) {
      track("engagement", Math.round(visibleMs / 100) / 10, {});
      visibleMs = 0;
    }
  }
  // --- Web Vitals: LCP, CLS (layout shifts without recent input), INP (slowest interaction)
  var vitals = { LCP: null, CLS: 0, INP: null };
  var vitalsSent = false;
  var observers = [];
  function observe(type, onEntries, extra) {
    try {
      var options = { type: type, buffered: true };
      for (var k in extra || {}) options[k] = extra[k];
      var observer = new PerformanceObserver(function (list) { onEntries(list.getEntries()); });
      observer.observe(options);
      observers.push({ observer: observer, onEntries: onEntries });
      return true;
    } catch (e) { return false; } // entry type not supported by this browser
  }
  // Entries the browser recorded but has not yet handed to the callbacks (they are delivered
  // asynchronously): a visitor who leaves right after the first paint still reports LCP.
  function takePendingEntries() {
    observers.forEach(function (o) {
      try {
        var pending = o.observer.takeRecords();
        if (pending.length) o.onEntries(pending);
      } catch (e) { /* takeRecords not supported: what was delivered is what we have */ }
    });
  }
  var hasLcp = observe("largest-contentful-paint", function (entries) {
    var last = entries[entries.length - 1];
    if (last) vitals.LCP = Math.round(last.startTime);
  });
  var hasCls = observe("layout-shift", function (entries) {
    entries.forEach(function (e) { if (!e.hadRecentInput) vitals.CLS += e.value; });
  });
  observe("event", function (entries) {
    entries.forEach(function (e) {
      if (e.interactionId && (vitals.INP === null || e.duration > vitals.INP)) vitals.INP = e.duration;
    });
  }, { durationThreshold: 16 });
  function pageVariant() {
    var blocks = document.querySelectorAll("[data-variant]");
    for (var i = 0; i < blocks.length; i++) {
      var v = blocks[i].getAttribute("data-variant");
      if (v && v !== "generic") return v;
    }
    return "generic";
  }
  function reportVitals() {
    if (vitalsSent) return;
    vitalsSent = true;
    takePendingEntries();
    var variant = pageVariant();
    if (hasLcp && vitals.LCP !== null) track("web_vital", vitals.LCP, { metric: "LCP", variant: variant });
    if (hasCls) track("web_vital", Math.round(vitals.CLS * 10000) / 10000, { metric: "CLS", variant: variant });
    if (vitals.INP !== null) track("web_vital", Math.round(vitals.INP), { metric: "INP", variant: variant });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      reportVitals();
      reportEngagement();
      sendOnExit();
    } else if (visibleSince === null) {
      visibleSince = Date.now();
    }
  });
  window.addEventListener("pagehide", function () {
    reportVitals();
    reportEngagement();
    sendOnExit();
  });

  document.addEventListener("persx:consent", function () {
    if (!measured()) save([]); // declined: what waits is dropped, never sent
  });

  // Leftovers of earlier pages (beacons are never acknowledged): send them again (or drop
  // them when this visitor is not measured).
  if (!measured()) save([]);
  else if (load().length) schedule();

  window.persxTrack = track; // for page scripts (e.g. an email signup form)
})();
