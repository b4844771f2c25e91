// The rich-text editor of module and cheat-sheet bodies: Quill 2 (static/vendor/quill) over a
// <textarea data-rich-text>. Progressive enhancement: without this script the textarea takes the
// same HTML. The server sanitises every body to the safe subset (lms/html.py), whatever is posted;
// the toolbar offers only formats inside that subset. No inline script or style (CSP).
(function () {
  "use strict";
  if (typeof window.Quill !== "function") {
    return;
  }
  var FORMATS = ["header", "bold", "italic", "underline", "list", "blockquote", "code-block", "link"];
  // HTML the editor would drop if it loaded it: such a body is edited as HTML instead.
  var UNSHOWN = "table, abbr, sub, sup, hr, img, h1, h2, h5, h6, caption";

  function label(textarea, name) {
    return textarea.getAttribute("data-label-" + name) || name;
  }

  function hasUnshownHtml(html) {
    var box = document.createElement("template");
    box.innerHTML = html;
    return box.content.querySelector(UNSHOWN) !== null;
  }

  function nameButtons(toolbar, textarea) {
    var names = {
      "ql-bold": "bold",
      "ql-italic": "italic",
      "ql-underline": "underline",
      "ql-blockquote": "blockquote",
      "ql-code-block": "code-block",
      "ql-link": "link",
      "ql-clean": "clean",
    };
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", label(textarea, "toolbar"));
    toolbar.querySelectorAll("button").forEach(function (button) {
      var name = null;
      Object.keys(names).forEach(function (cls) {
        if (button.classList.contains(cls)) {
          name = names[cls];
        }
      });
      if (button.classList.contains("ql-list")) {
        name = button.value === "ordered" ? "ordered" : "bullet";
      }
      if (name) {
        button.setAttribute("aria-label", label(textarea, name));
        button.setAttribute("title", label(textarea, name));
      }
    });
    toolbar.querySelectorAll(".ql-picker-label").forEach(function (picker) {
      picker.setAttribute("aria-label", label(textarea, "header"));
    });
    toolbar.querySelectorAll(".ql-picker-item").forEach(function (item) {
      var value = item.getAttribute("data-value");
      item.setAttribute("aria-label", label(textarea, value ? "h" + value : "normal"));
    });
  }

  function enhance(textarea) {
    var wrapper = document.createElement("div");
    wrapper.className = "rich-editor";
    var host = document.createElement("div");
    wrapper.appendChild(host);
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "btn btn-link btn-sm px-0 rich-editor-toggle";
    toggle.textContent = label(textarea, "source");
    textarea.parentNode.insertBefore(wrapper, textarea);
    wrapper.parentNode.insertBefore(toggle, wrapper.nextSibling);

    var quill = new window.Quill(host, {
      theme: "snow",
      formats: FORMATS,
      modules: {
        toolbar: [
          [{ header: [3, 4, false] }],
          ["bold", "italic", "underline"],
          [{ list: "ordered" }, { list: "bullet" }],
          ["blockquote", "code-block", "link"],
          ["clean"],
        ],
        keyboard: {
          // Tab leaves the editor (keyboard users must not be trapped in it); no tab characters.
          bindings: {
            tab: { key: "Tab", handler: function () { return true; } },
            indent: { key: "Tab", format: ["blockquote", "indent", "list"], handler: function () { return true; } },
            outdent: { key: "Tab", shiftKey: true, format: ["blockquote", "indent", "list"], handler: function () { return true; } },
            "indent code-block": { key: "Tab", format: ["code-block"], handler: function () { return true; } },
            "outdent code-block": { key: "Tab", shiftKey: true, format: ["code-block"], handler: function () { return true; } },
          },
        },
      },
    });
    var editor = host.querySelector(".ql-editor");
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.setAttribute("aria-label", label(textarea, "editor"));
    var labelled = textarea.id && document.querySelector("label[for='" + textarea.id + "']");
    if (labelled) {
      // The field's label moves focus into the editor, as it did into the textarea; the editor
      // keeps its own name ("Body editor") so that the label still names the HTML textarea alone.
      labelled.addEventListener("click", function (event) {
        if (!textarea.hidden) {
          return;
        }
        event.preventDefault();
        quill.focus();
      });
    }
    if (textarea.getAttribute("aria-describedby")) {
      editor.setAttribute("aria-describedby", textarea.getAttribute("aria-describedby"));
    }
    nameButtons(wrapper.querySelector(".ql-toolbar"), textarea);

    function showEditor() {
      quill.setContents(quill.clipboard.convert({ html: textarea.value }), "silent");
      wrapper.hidden = false;
      textarea.hidden = true;
      toggle.textContent = label(textarea, "source");
    }
    function showSource() {
      textarea.value = html();
      wrapper.hidden = true;
      textarea.hidden = false;
      toggle.textContent = label(textarea, "visual");
    }
    function html() {
      if (quill.getText().trim() === "") {
        return "";
      }
      return quill.getSemanticHTML().replace(/&nbsp;/g, " ");
    }

    if (hasUnshownHtml(textarea.value)) {
      wrapper.hidden = true;
      toggle.hidden = true;
      var note = document.createElement("p");
      note.className = "form-text";
      note.textContent = label(textarea, "kept-html");
      textarea.parentNode.insertBefore(note, textarea);
      return;
    }
    showEditor();
    toggle.addEventListener("click", function () {
      if (textarea.hidden) {
        showSource();
        textarea.focus();
      } else {
        showEditor();
        quill.focus();
      }
    });
    textarea.form.addEventListener("submit", function () {
      if (textarea.hidden) {
        textarea.value = html();
      }
    });
  }

  document.querySelectorAll("textarea[data-rich-text]").forEach(enhance);
})();
