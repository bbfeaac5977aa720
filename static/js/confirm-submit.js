/* Ask before a form marked data-confirm="…" is sent (withdrawing a request, rejecting one).
   Without JavaScript the form still works: the page already puts it behind a <details>. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
