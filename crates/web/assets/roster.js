// Small enhancements on top of pages that work without JavaScript.
(function () {
  "use strict";
  // Long-running forms (bulk changes) show progress and cannot be sent twice.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches || !form.matches("form[data-progress]")) return;
    var bar = form.querySelector(".progress");
    if (bar) bar.hidden = false;
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      b.disabled = true;
      b.textContent = form.getAttribute("data-progress");
    });
  });
  // htmx sends the CSRF token as a header on every request it makes.
  document.addEventListener("htmx:configRequest", function (ev) {
    var input = document.querySelector("input[name=csrf_token]");
    if (input) ev.detail.headers["X-CSRF-Token"] = input.value;
  });
})();
