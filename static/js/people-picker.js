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
    // The text the options on offer were found for. The server ranks the best match first
    // (lms/selectors.py person_search_rank); options found for an earlier, shorter text are not
    // offered meanwhile, so Enter never picks a stale first option ("Lee" -> Eileen Knight).
    var resultsFor = null;
    // Enter pressed before the results for the text arrived picks their first (best) one then.
    var enterPending = false;
    var picker = new TomSelect(select, {
      valueField: "value",
      labelField: "label",
      searchField: [],
      // the server has searched and ranked already: offer its results, in its order, for its text
      score: function (query) {
        var current = query === resultsFor;
        return function () { return current ? 1 : 0; };
      },
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
            resultsFor = query;
            callback(data.results);
            var text = self.inputValue();
            if (text !== query && text !== "") {
              // an answer for an earlier text came last: ask again for what is typed now
              self.clearPagination();
              self.load(text);
            } else if (enterPending) {
              enterPending = false;
              if (data.results.length) {
                self.addItem(data.results[0].value);
                self.setTextboxValue("");
                if (!multiple) {
                  self.close();
                }
              }
            }
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
    picker.control_input.addEventListener("input", function () { enterPending = false; });
    // Caught on the way down (capture), before Tom Select's own Enter could pick an option still
    // on screen from an earlier text.
    picker.wrapper.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.isComposing || event.target !== picker.control_input) {
        return;
      }
      var text = picker.inputValue();
      if (text !== "" && text !== resultsFor) {
        enterPending = true;
        event.preventDefault(); // nor is the form sent with the results still on their way
        event.stopPropagation();
      }
    }, true);
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
