// Behaviour wired by data attributes: no inline scripts (Content-Security-Policy).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // A table too wide for the screen (a phone) scrolls sideways inside its .table-responsive box:
  // that box takes keyboard focus, so the arrow keys scroll it, and is named after its table's
  // caption or section heading (WCAG 2.1.1; axe's scrollable-region-focusable,
  // lms/tests/test_accessibility.py). A box that fits again gives the focus stop back.
  function nameOf(box) {
    var table = box.querySelector("table");
    if (table && table.caption && table.caption.textContent.trim()) {
      return { text: table.caption.textContent.trim() };
    }
    if (table && table.getAttribute("aria-label")) {
      return { text: table.getAttribute("aria-label") };
    }
    var section = box.closest("section[aria-labelledby]");
    if (section) {
      return { id: section.getAttribute("aria-labelledby") };
    }
    var heading = document.querySelector("main h1");
    return { text: heading ? heading.textContent.trim() : document.title };
  }

  function scrollableTables() {
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      var marked = box.hasAttribute("data-scroll-focus");
      if (scrolls && !marked && !box.hasAttribute("tabindex")) {
        var name = nameOf(box);
        box.setAttribute("data-scroll-focus", "");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        if (name.id) {
          box.setAttribute("aria-labelledby", name.id);
        } else {
          box.setAttribute("aria-label", name.text);
        }
      } else if (!scrolls && marked) {
        ["data-scroll-focus", "tabindex", "role", "aria-label", "aria-labelledby"].forEach(function (attribute) {
          box.removeAttribute(attribute);
        });
      }
    });
  }

  var pending = null;
  function soon() {
    window.clearTimeout(pending);
    pending = window.setTimeout(scrollableTables, 100);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scrollableTables);
  } else {
    scrollableTables();
  }
  window.addEventListener("resize", soon);
})();
