// °C or °F on pages other than the dashboard (records, a shared view): the same remembered choice.
(function () {
  "use strict";
  var unit = localStorage.getItem("temperatureUnit") === "F" ? "F" : "C";
  function paint() {
    document.querySelectorAll("[data-c]").forEach(function (el) {
      var c = +el.dataset.c;
      el.textContent = (unit === "F" ? c * 9 / 5 + 32 : c).toFixed(1) + "°" + unit;
    });
    document.querySelectorAll("[data-unit]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.unit === unit));
    });
  }
  document.querySelectorAll("[data-unit]").forEach(function (b) {
    b.addEventListener("click", function () { unit = b.dataset.unit; localStorage.setItem("temperatureUnit", unit); paint(); });
  });
  paint();
})();
