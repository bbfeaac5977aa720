/* A form marked data-submit-once is sent once: on submit its buttons are disabled and read
   提交中… until the next page arrives. The server does not rely on it (each such form carries
   a one-time form_key, portal/idempotency.py); this only spares a double tap. A page shown
   again from the back-forward cache gets its buttons back. */
(function () {
  "use strict";

  // In the page's language: <html data-busy-text> (base.html); Chinese otherwise.
  var BUSY_TEXT = document.documentElement.getAttribute("data-busy-text") || "提交中…";

  function buttons(form) {
    return Array.prototype.slice.call(
      form.querySelectorAll('button[type="submit"], button:not([type]), input[type="submit"]')
    );
  }

  function label(button, text) {
    if (button.tagName === "INPUT") { button.value = text; } else { button.textContent = text; }
  }

  function busy(form) {
    form.setAttribute("aria-busy", "true");
    buttons(form).forEach(function (button) {
      if (!button.hasAttribute("data-idle-text")) {
        button.setAttribute(
          "data-idle-text", button.tagName === "INPUT" ? button.value : button.textContent
        );
      }
      label(button, BUSY_TEXT);
      button.disabled = true;
    });
  }

  function idle(form) {
    delete form.dataset.submitting;
    form.removeAttribute("aria-busy");
    buttons(form).forEach(function (button) {
      if (button.hasAttribute("data-idle-text")) {
        label(button, button.getAttribute("data-idle-text"));
        button.removeAttribute("data-idle-text");
      }
      button.disabled = false;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-submit-once")) { return; }
    if (event.defaultPrevented) { return; }  // e.g. a data-confirm question answered "cancel"
    if (form.dataset.submitting) {
      event.preventDefault();  // the second tap of a double tap
      return;
    }
    form.dataset.submitting = "1";
    // After this event's other listeners: one of them may still cancel the submission, and a
    // button disabled now would be left out of what the form sends.
    window.setTimeout(function () {
      if (event.defaultPrevented) { delete form.dataset.submitting; return; }
      busy(form);
    }, 0);
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submit-once]"), idle);
  });
})();
