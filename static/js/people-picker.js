// People pickers (lms/widgets.py): a text box of email addresses becomes a Tom Select combobox
// that searches the server as one types, a page at a time. Without this script the text box works
// on its own. No inline script or style (Content-Security-Policy).
(function () {
  "use strict";

  function escape(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function enhance(input) {
    var multiple = input.getAttribute("data-person-picker") === "multiple";
    var url = input.getAttribute("data-search-url");
    var chosen = [];
    try {
      chosen = JSON.parse(input.getAttribute("data-chosen") || "[]");
    } catch (error) {
      return; // leave the text box as it is
    }
    // Tom Select needs a <select>: the same name, id and description, so the label and the
    // field's help and error text still belong to it.
    var select = document.createElement("select");
    select.name = input.name;
    select.id = input.id;
    select.multiple = multiple;
    ["aria-describedby", "aria-invalid", "required"].forEach(function (name) {
      if (input.hasAttribute(name)) {
        select.setAttribute(name, input.getAttribute(name));
      }
    });
    select.className = input.className.replace("form-control", "form-select");
    if (!multiple) {
      select.appendChild(new Option("", ""));
    }
    chosen.forEach(function (item) {
      select.appendChild(new Option(item.label, item.value, true, true));
    });
    input.parentNode.replaceChild(select, input);

    var noResults = input.getAttribute("data-no-results") || "No one found";
    var picker = new TomSelect(select, {
      valueField: "value",
      labelField: "label",
      searchField: [],
      score: function () { return function () { return 1; }; }, // the server has searched already
      options: chosen,
      items: chosen.map(function (item) { return item.value; }),
      maxItems: multiple ? null : 1,
      placeholder: input.getAttribute("data-placeholder") || "",
      create: false,
      preload: false,
      loadThrottle: 250,
      closeAfterSelect: !multiple,
      clearAfterSelect: true,
      hidePlaceholder: false,
      plugins: multiple ? ["remove_button", "virtual_scroll"] : ["virtual_scroll"],
      shouldLoad: function (query) { return query.trim().length > 0; },
      firstUrl: function (query) {
        return url + (url.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(query);
      },
      load: function (query, callback) {
        var self = this;
        var next = self.getUrl(query);
        fetch(next, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [], next: null }; })
          .then(function (data) {
            if (data.next) {
              self.setNextUrl(query, data.next);
            }
            callback(data.results);
          })
          .catch(function () { callback(); });
      },
      render: {
        option: function (item) { return "<div>" + escape(item.label) + "</div>"; },
        item: function (item) { return "<div>" + escape(item.label) + "</div>"; },
        no_results: function () { return '<div class="no-results">' + escape(noResults) + "</div>"; },
        loading_more: function () { return '<div class="loading-more-results py-2 d-flex align-items-center"><div class="spinner"></div></div>'; },
      },
    });
    // Tom Select points the label at its combobox; the visually hidden <select> it keeps for the
    // form keeps the label's name too, so no unnamed field is left for a screen reader (WCAG 4.1.2,
    // lms/tests/test_accessibility.py).
    var label = document.querySelector('label[for="' + (picker.focus_node && picker.focus_node.id) + '"]');
    if (label && label.id) {
      select.setAttribute("aria-labelledby", label.id);
    }
  }

  function init() {
    if (typeof TomSelect === "undefined") {
      return;
    }
    document.querySelectorAll("input[data-person-picker]").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
