/* The /headless-demo/ page: the page's blocks rendered in the browser from
   POST /api/decisions (through headless.js), as a single-page app would. Text only goes in
   through textContent (the content is editors' text, never HTML). */
(function () {
  "use strict";
  var root = document.getElementById("headless-blocks");
  var table = document.getElementById("headless-decisions");
  var status = document.getElementById("headless-status");
  var picker = document.getElementById("headless-page");
  if (!root || !window.PersxHeadless) return;
  var persx = window.PersxHeadless.createClient();

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function link(label, href, className) {
    var a = el("a", className, label);
    // Only site paths and http(s) URLs: content is trusted text, but never a javascript: URL.
    a.href = /^(\/|https?:\/\/)/.test(href || "") ? href : "#";
    return a;
  }

  var RENDER = {
    hero: function (c, inner) {
      if (c.eyebrow) inner.appendChild(el("p", "eyebrow", c.eyebrow));
      inner.appendChild(el("h1", "", c.headline));
      if (c.subheadline) inner.appendChild(el("p", "lead", c.subheadline));
      if (c.cta_label && c.cta_url) {
        var p = el("p");
        p.appendChild(link(c.cta_label, c.cta_url, "button"));
        inner.appendChild(p);
      }
    },
    feature_grid: function (c, inner) {
      inner.appendChild(el("h2", "", c.headline));
      if (c.intro) inner.appendChild(el("p", "section-intro", c.intro));
      var grid = el("div", "grid grid-3");
      (c.features || []).forEach(function (f) {
        var card = el("article", "card");
        card.appendChild(el("h3", "", f.title));
        card.appendChild(el("p", "", f.text));
        grid.appendChild(card);
      });
      inner.appendChild(grid);
    },
    contact_form: function (c, inner) {
      inner.appendChild(el("h2", "", c.headline));
      if (c.intro) inner.appendChild(el("p", "section-intro", c.intro));
      var list = el("ul", "reasons");
      (c.reasons || []).forEach(function (r) { list.appendChild(el("li", "", r)); });
      inner.appendChild(list);
      var p = el("p");
      p.appendChild(link(c.submit_label || "Contact us", "/contact/", "button"));
      inner.appendChild(p);
    },
    testimonial: function (c, inner) {
      var figure = el("figure", "testimonial");
      figure.appendChild(el("blockquote", "", "\u201c" + c.quote + "\u201d"));
      var caption = el("figcaption");
      caption.appendChild(el("strong", "", c.name));
      caption.appendChild(document.createTextNode(
        (c.title ? ", " + c.title : "") + (c.company ? " \u00b7 " + c.company : "")));
      figure.appendChild(caption);
      inner.appendChild(figure);
    },
    cta: function (c, inner) {
      var panel = el("div", "cta-panel");
      var copy = el("div");
      copy.appendChild(el("h2", "", c.headline));
      if (c.text) copy.appendChild(el("p", "", c.text));
      panel.appendChild(copy);
      panel.appendChild(link(c.button_label, c.button_url, "button button-light"));
      inner.appendChild(panel);
    },
    related: function (c, inner) {
      inner.appendChild(el("h2", "", c.headline));
      if (c.intro) inner.appendChild(el("p", "section-intro", c.intro));
    },
    newsletter_signup: function (c, inner) {
      inner.appendChild(el("h2", "", c.heading));
      if (c.text) inner.appendChild(el("p", "section-intro", c.text));
      var p = el("p");
      p.appendChild(link(c.button_label || "Subscribe", "/#newsletter", "button"));
      inner.appendChild(p);
      if (c.privacy_note) inner.appendChild(el("p", "muted", c.privacy_note));
    },
  };

  function render(answer) {
    root.textContent = "";
    table.textContent = "";
    answer.blocks.forEach(function (block) {
      var section = el("section", block.type === "hero" ? "hero" : "section");
      section.setAttribute("data-testid", "headless-" + block.type.replace("_", "-"));
      section.setAttribute("data-variant", block.variant);
      section.setAttribute("data-reason", block.reason);
      if (block.arm) section.setAttribute("data-arm", block.arm);
      var inner = el("div", block.type === "hero" ? "container hero-inner" : "container");
      (RENDER[block.type] || RENDER.related)(block.content, inner);
      section.appendChild(inner);
      root.appendChild(section);
      var row = el("tr");
      row.setAttribute("data-testid", "headless-decision");
      [block.type, block.variant, block.reason, block.experiment ? block.experiment + " \u00b7 " + block.arm : "\u2014"]
        .forEach(function (text) { row.appendChild(el("td", "", text)); });
      table.appendChild(row);
    });
    var who = answer.visitor.industry
      ? "Decided for " + answer.visitor.industry + (answer.visitor.persona ? " \u00b7 " + answer.visitor.persona : "")
      : "No profile: every block is generic";
    status.textContent = who + (answer.recorded ? " (exposures recorded)." : " (nothing recorded).");
    status.setAttribute("data-state", "ready");
  }

  function load() {
    status.setAttribute("data-state", "loading");
    status.textContent = "Asking /api/decisions\u2026";
    persx.decide({ page: picker.value }).then(render, function (error) {
      status.setAttribute("data-state", "error");
      status.textContent = "Refused: " + error.message;
    });
  }

  picker.addEventListener("change", load);
  load();
})();
