/* Email preview: choosing another template or audience shows it at once. */
(function () {
  "use strict";
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (element) {
    element.addEventListener("change", function () { element.form.submit(); });
  });
})();
