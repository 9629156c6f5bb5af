// The public booking page's small enhancements; it works without them.
(function () {
  "use strict";

  // Times are the clinic's; say so in the visitor's terms only when their device
  // is set to another zone.
  function noteVisitorZone() {
    var note = document.getElementById("visitor-zone");
    if (!note) return;
    var mine;
    try {
      mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return;
    }
    var clinic = note.getAttribute("data-clinic-zone");
    if (!mine || !clinic || mine === clinic) return;
    var city = function (zone) {
      return zone.split("/").pop().replace(/_/g, " ");
    };
    note.textContent =
      "Your device is set to " + city(mine) + " time: the times here are " +
      (note.getAttribute("data-clinic-label") || city(clinic) + " time") + ".";
    note.hidden = false;
  }
  document.addEventListener("DOMContentLoaded", noteVisitorZone);

  // After htmx swaps the days and times, focus goes where the person was headed
  // (the day's times, or the new fortnight), not back to the top of the page.
  document.addEventListener("htmx:afterSettle", function (event) {
    var from = event.detail.requestConfig && event.detail.requestConfig.elt;
    var target = from && from.getAttribute && from.getAttribute("data-focus");
    if (!target) return;
    var heading = document.getElementById(target);
    if (heading) heading.focus();
  });
})();
