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

  // A location select (data-location-filter) offers, in the selects of its form,
  // only the options of that location (data-locations); a choice elsewhere is
  // cleared. The server checks again: this only keeps impossible choices away.
  function filterByLocation(select) {
    var chosen = select.value;
    select.form
      .querySelectorAll("option[data-locations]")
      .forEach(function (option) {
        var here = !chosen || option.dataset.locations.split(" ").indexOf(chosen) >= 0;
        option.hidden = !here;
        option.disabled = !here;
        if (!here && option.selected) option.parentElement.value = "";
      });
  }
  function filterAll(root) {
    root.querySelectorAll("select[data-location-filter]").forEach(filterByLocation);
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-location-filter]")) {
      filterByLocation(event.target);
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    filterAll(event.detail.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    filterAll(document);
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
