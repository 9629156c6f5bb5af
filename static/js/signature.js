// A signature pad: draw on the canvas with a finger, pen or mouse; the drawing is sent
// as a PNG data URL in the form's hidden "signature" field.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-signature]").forEach(function (box) {
      var canvas = box.querySelector("canvas");
      var field = box.querySelector("input[name=signature]");
      var context = canvas.getContext("2d");
      var drawing = false;
      var drawn = false;
      context.lineWidth = 3;
      context.lineCap = "round";
      context.strokeStyle = "#111";

      function point(event) {
        var rect = canvas.getBoundingClientRect();
        return {
          x: ((event.clientX - rect.left) * canvas.width) / rect.width,
          y: ((event.clientY - rect.top) * canvas.height) / rect.height,
        };
      }
      canvas.addEventListener("pointerdown", function (event) {
        drawing = true;
        canvas.setPointerCapture(event.pointerId);
        var at = point(event);
        context.beginPath();
        context.moveTo(at.x, at.y);
      });
      canvas.addEventListener("pointermove", function (event) {
        if (!drawing) return;
        var at = point(event);
        context.lineTo(at.x, at.y);
        context.stroke();
        drawn = true;
      });
      function finish() {
        if (!drawing) return;
        drawing = false;
        if (drawn) field.value = canvas.toDataURL("image/png");
      }
      canvas.addEventListener("pointerup", finish);
      canvas.addEventListener("pointercancel", finish);
      box.querySelector("[data-signature-clear]").addEventListener("click", function () {
        context.clearRect(0, 0, canvas.width, canvas.height);
        field.value = "";
        drawn = false;
      });
      // Tells tests (and styles) that the pad is ready to draw on.
      box.dataset.ready = "true";
    });
  });
})();
