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
      b.dataset.label = b.textContent;
      b.disabled = true;
      b.textContent = form.getAttribute("data-progress");
    });
  });
  // A page restored by the Back button must not keep a form locked in
  // "Applying…": put the buttons and the progress bar back as they were.
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) return;
    document.querySelectorAll("form[data-progress]").forEach(function (form) {
      var bar = form.querySelector(".progress");
      if (bar) bar.hidden = true;
      form.querySelectorAll("button[type=submit]").forEach(function (b) {
        b.disabled = false;
        if (b.dataset.label) b.textContent = b.dataset.label;
      });
    });
  });
  // A notice belongs to the action that caused it: once htmx reloads the
  // list for new filters, the old notice goes (a full page load drops it too).
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var target = ev.detail.target;
    if (target && target.id === "results") {
      document.querySelectorAll(".flash").forEach(function (f) { f.remove(); });
    }
  });
  // Parts of a form shown only for one choice (`data-show-if="field=value"`):
  // the member's own permissions under "Custom", a role's action boxes when
  // its level is Custom. Without JavaScript they are always shown and the
  // server reads them only for that choice.
  function syncShowIf(root) {
    (root || document).querySelectorAll("[data-show-if]").forEach(function (el) {
      var rule = el.getAttribute("data-show-if").split("=");
      var form = el.closest("form");
      if (!form) return;
      var fields = form.querySelectorAll("[name='" + rule[0] + "']");
      var value = null;
      fields.forEach(function (f) {
        if (f.type === "radio" || f.type === "checkbox") { if (f.checked) value = f.value; }
        else value = f.value;
      });
      el.hidden = value !== rule[1];
    });
  }
  document.addEventListener("change", function (ev) {
    if (ev.target && ev.target.form) syncShowIf(ev.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () { syncShowIf(document); });
  // On a narrow screen the tab strip scrolls sideways: show the current tab.
  function showCurrentTab() {
    var nav = document.querySelector("nav.tabs");
    var tab = nav && nav.querySelector("[aria-current=page]");
    if (tab && nav.scrollWidth > nav.clientWidth) {
      nav.scrollLeft = tab.offsetLeft - nav.offsetLeft - (nav.clientWidth - tab.offsetWidth) / 2;
    }
  }
  document.addEventListener("DOMContentLoaded", showCurrentTab);
  document.addEventListener("htmx:afterSettle", function () { syncShowIf(document); });
  // The workspace's grid: a changed cell stands out, and the count of
  // changes shows beside "Review changes". The server compares with the
  // original state itself (hidden inputs), so this is only a hint.
  function markGrid(form) {
    var changed = 0;
    form.querySelectorAll("input[name=cell][type=checkbox]").forEach(function (box) {
      var is = box.checked !== box.defaultChecked;
      if (is) changed++;
      var cell = box.closest("td");
      if (cell) cell.classList.toggle("is-changed", is);
    });
    var count = form.querySelector("#changed-count");
    if (count) count.textContent = changed === 0 ? "" : changed === 1 ? "1 change" : changed + " changes";
  }
  document.addEventListener("change", function (ev) {
    var form = ev.target && ev.target.form;
    if (form && form.id === "grid-form") markGrid(form);
  });
  window.addEventListener("pageshow", function () {
    var form = document.getElementById("grid-form");
    if (form) markGrid(form);
  });
  // "Back to the grid" from a preview returns to the grid as it was left,
  // ticks included, when the previous page is that grid.
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[data-history-back]");
    if (!a || window.history.length < 2 || !document.referrer) return;
    var back = new URL(a.getAttribute("href"), window.location.href);
    var from = new URL(document.referrer);
    if (from.origin === back.origin && from.pathname === back.pathname) {
      ev.preventDefault();
      window.history.back();
    }
  });
  // The import's file input (`data-max-bytes`): a file larger than the
  // server reads is refused before it is sent, with the server's words;
  // the server refuses it too, while reading, when scripts are off.
  document.addEventListener("change", function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    var file = input.files && input.files[0];
    var tooLarge = !!file && file.size > Number(input.getAttribute("data-max-bytes"));
    input.setCustomValidity(tooLarge ? input.getAttribute("data-too-large") : "");
    if (tooLarge) input.reportValidity();
  });
  // htmx sends the CSRF token as a header on every request it makes.
  document.addEventListener("htmx:configRequest", function (ev) {
    var input = document.querySelector("input[name=csrf_token]");
    if (input) ev.detail.headers["X-CSRF-Token"] = input.value;
  });
  // "Copy" beside a value shown once (a new API token): the button appears
  // only with JavaScript; without it the read-only field is selectable.
  document.querySelectorAll("[data-copy]").forEach(function (btn) {
    var field = document.querySelector(btn.getAttribute("data-copy"));
    if (!field) return;
    btn.hidden = false;
    field.addEventListener("focus", function () { field.select(); });
    btn.addEventListener("click", function () {
      field.select();
      var done = function () { btn.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {
          if (document.execCommand("copy")) done();
        });
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  });
})();
