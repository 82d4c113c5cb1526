/* The status mapping form: a counter beside every field with a partner's length limit, and the preview
   following the form as it is edited. The server refuses what is too long; this only shows it early. */
(function () {
  "use strict";
  function counter(input) {
    var limit = parseInt(input.dataset.limit, 10);
    var out = document.createElement("span");
    out.className = "hub-counter";
    out.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", out);
    function update() {
      var n = Array.from(input.value).length;
      out.textContent = n + " / " + limit;
      out.classList.toggle("hub-over", n > limit);
      input.setAttribute("aria-invalid", n > limit ? "true" : "false");
    }
    input.addEventListener("input", update);
    update();
  }
  function preview() {
    document.querySelectorAll("[data-preview]").forEach(function (node) {
      var input = document.getElementById("id_" + node.dataset.preview);
      if (!input) { return; }
      var update = function () { node.textContent = input.value || (node.tagName === "SMALL" ? "" : "—"); };
      input.addEventListener("input", update);
    });
    var timer = document.getElementById("id_choco_need_timer");
    if (timer) {
      timer.addEventListener("change", function () {
        document.querySelectorAll("[data-shown-by=choco_need_timer]").forEach(function (n) { n.hidden = !timer.checked; });
        document.querySelectorAll("[data-hidden-by=choco_need_timer]").forEach(function (n) { n.hidden = timer.checked; });
      });
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-limit], textarea[data-limit]").forEach(counter);
    preview();
  });
})();
