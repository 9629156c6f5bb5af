// The head diagram on the session record: tapping a zone steps its density through the
// select beside it (the select stays the source of truth, for keyboards and readers).
(function () {
  "use strict";

  function paint(select) {
    var zone = document.querySelector('[data-zone="' + select.dataset.zoneSelect + '"]');
    if (!zone) return;
    zone.setAttribute("class", "zone zone-" + (select.value || "none"));
    var title = zone.querySelector("title");
    var label = select.options[select.selectedIndex].text;
    title.textContent = title.textContent.split(":")[0] + ": " + label.toLowerCase();
    var text = document.querySelector('[data-label="' + select.dataset.zoneSelect + '"]');
    if (text) {
      text.textContent =
        text.dataset.short + (select.value ? " (" + label.charAt(0) + ")" : "");
    }
  }

  document.addEventListener("click", function (event) {
    var zone = event.target.closest("[data-zone]");
    if (!zone) return;
    var select = document.querySelector('[data-zone-select="' + zone.dataset.zone + '"]');
    if (!select) return;
    select.selectedIndex = (select.selectedIndex + 1) % select.options.length;
    select.dispatchEvent(new Event("change", { bubbles: true }));
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-zone-select]")) paint(event.target);
  });
})();
