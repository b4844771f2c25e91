// Assignment pages: show only the fields that apply to the chosen target and due-date mode,
// and "select all" on the assignment list. Everything works without JavaScript too.
(function () {
  "use strict";
  function wrapper(name) { return document.getElementById("div_id_" + name); }
  function checked(form, name) {
    var input = form.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : "";
  }
  function toggle(name, show) {
    var el = wrapper(name);
    if (el) { el.hidden = !show; }
  }
  document.querySelectorAll("[data-assign-form]").forEach(function (form) {
    function update() {
      var target = checked(form, "target");
      if (form.querySelector("input[name='target']")) {
        toggle("learners", target === "learners");
        toggle("department", target === "department");
        toggle("include_subdepartments", target === "department");
      }
      var mode = checked(form, "due_mode");
      toggle("due_date", mode === "fixed");
      toggle("due_days", mode !== "fixed");
    }
    form.addEventListener("change", update);
    update();
  });
  // A bulk action that failed: its message opens the page, and focus is on it.
  var failed = document.querySelector("[data-focus-on-load]");
  if (failed) { failed.focus(); }
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var form = box.closest("form");
      form.querySelectorAll("input[name='ids']").forEach(function (item) { item.checked = box.checked; });
    });
  });
})();
