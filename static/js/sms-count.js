// The live character and segment count of a text message being edited in Set-up ->
// Messages. The same rules as messaging/segments.py (which the page shows without
// JavaScript): GSM-7 160 characters in one segment, 153 in each of several, a few
// characters take two places; anything outside GSM-7 makes it UCS-2, 70 and 67, and
// a character beyond the Basic Multilingual Plane (most emoji) takes two.
(function () {
  "use strict";
  var BASIC =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";

  function count(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (ch) {
      return BASIC.indexOf(ch) !== -1 || EXTENDED.indexOf(ch) !== -1;
    });
    var units = 0;
    chars.forEach(function (ch) {
      if (gsm) {
        units += EXTENDED.indexOf(ch) !== -1 ? 2 : 1;
      } else {
        units += ch.codePointAt(0) > 0xffff ? 2 : 1;
      }
    });
    var single = gsm ? 160 : 70;
    var multi = gsm ? 153 : 67;
    var segments = units <= single ? 1 : Math.ceil(units / multi);
    return {
      characters: chars.length,
      encoding: gsm ? "GSM-7" : "UCS-2",
      segments: segments,
    };
  }

  function filled(text, examples) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(examples, name)
        ? examples[name]
        : whole;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sms-count]").forEach(function (output) {
      var field = document.getElementById(output.dataset.smsCount);
      if (!field) {
        return;
      }
      var examples = JSON.parse(output.dataset.examples || "{}");
      var suffix = output.dataset.suffix || "";
      function update() {
        var result = count(filled(field.value, examples) + suffix);
        output.textContent =
          result.characters +
          " characters, " +
          result.segments +
          (result.segments === 1 ? " segment" : " segments") +
          " (" +
          result.encoding +
          ")";
      }
      field.addEventListener("input", update);
      update();
    });
  });
})();
