// Wagtail's block-field controller (w-block) names the rendered root block by setting
// `rootBlock.element.id`. A StreamBlock root has `.element`; a ListBlock root (the experiment
// arm editor) only has `.container`, so connecting it threw "Cannot set properties of
// undefined (setting 'id')" in the console. Give ListBlock the same `element` as its
// container; loaded after Wagtail's telepath/blocks.js and before the controllers connect.
(function () {
  "use strict";
  var ListBlock = window.wagtailStreamField && window.wagtailStreamField.blocks
    && window.wagtailStreamField.blocks.ListBlock;
  if (!ListBlock || Object.prototype.hasOwnProperty.call(ListBlock.prototype, "element")) return;
  Object.defineProperty(ListBlock.prototype, "element", {
    configurable: true,
    get: function () { return this._persxElement || (this.container && this.container[0]); },
    set: function (value) { this._persxElement = value; },
  });
})();
