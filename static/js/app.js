// Small behaviours on top of htmx; no inline scripts anywhere (a strict CSP holds).
(function () {
  "use strict";

  // A form loaded into the dialog opens it as a modal (focus moves in, Esc closes).
  // afterSettle, not afterSwap: htmx wires the new content's hx-* attributes while
  // settling, so a person (or a test) typing at once would otherwise be ignored.
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target.id !== "dialog-body") return;
    var dialog = document.getElementById("dialog");
    if (!dialog.open) dialog.showModal();
    // An error message first (screen readers hear why), else the first field.
    var first = dialog.querySelector(
      "[role=alert], [autofocus], input:not([type=hidden]), select"
    );
    if (first) first.focus();
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) closer.closest("dialog").close();
  });

  // Closing the dialog empties it, so a stale form is never submitted later.
  document.addEventListener(
    "close",
    function (event) {
      if (event.target.id === "dialog") {
        document.getElementById("dialog-body").replaceChildren();
      }
    },
    true
  );
})();
