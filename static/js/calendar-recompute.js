/* The recomputation of open deadlines after a calendar change (issue 12 point 7). On the
   工作日历 page each bar marked data-recompute-follow is followed: its JSON endpoint
   (GET /manage/calendar/recomputes/{id}/, data-recompute-url) is read every two seconds and
   the bar, its words ("正在重新计算 N 件在办申请的期限… 42%") and the line under it are
   updated until the recomputation is finished. The words come from the server
   (services/recompute.py recompute_text). Without JavaScript, reloading the page shows the
   progress. No dependencies. */
(function () {
  "use strict";

  var POLL_MS = 2000;
  var RETRY_MS = 10000;

  function show(box, state) {
    var bar = box.querySelector("progress");
    if (state.status === "queued") {
      bar.removeAttribute("value");  // indeterminate until a worker starts it
    } else {
      bar.value = state.percent;
    }
    bar.textContent = state.percent + "%";
    box.querySelector("[data-recompute-text]").textContent = state.text;
    box.querySelector("[data-recompute-detail]").textContent = state.detail;
    box.classList.toggle("done", state.status === "done");
    box.classList.toggle("failed", state.status === "failed");
  }

  function follow(box) {
    var url = box.getAttribute("data-recompute-url");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        show(box, state);
        if (state.finished) {
          box.removeAttribute("data-recompute-follow");
        } else {
          window.setTimeout(function () { follow(box); }, POLL_MS);
        }
      })
      .catch(function () {
        window.setTimeout(function () { follow(box); }, RETRY_MS);
      });
  }

  function start() {
    Array.prototype.forEach.call(
      document.querySelectorAll("[data-recompute-follow]"),
      function (box) {
        var reload = box.querySelector(".recompute-reload");
        if (reload) { reload.hidden = true; }  // the bar follows by itself
        window.setTimeout(function () { follow(box); }, POLL_MS);
      }
    );
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
