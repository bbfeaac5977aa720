/* The header's 菜单 button (templates/base.html). Below 768 px the site's menu folds behind it;
   the button says whether it is open (aria-expanded) and Escape closes it again. From 768 px
   the CSS shows the list and hides the button. Without this script the button stays hidden and
   the whole list shows, as before. */
(function () {
  "use strict";

  function setUp() {
    var button = document.querySelector(".site-header .menu-toggle");
    if (!button) { return; }
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    var nav = button.closest("nav");
    if (!menu || !nav) { return; }

    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("menu-open", open);
    }

    nav.classList.add("menu-ready");
    button.hidden = false;
    show(false);
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false);
        button.focus();
      }
    });
    /* A page shown again from the back-forward cache starts closed. */
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { show(false); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
