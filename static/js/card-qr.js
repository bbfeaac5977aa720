/* 我的优才卡: fetch a single-use verification token, show it as a QR code with a countdown,
   and fetch the next one ~15 s before it expires. No dependencies. */
(function () {
  "use strict";

  var REFRESH_BEFORE = 15; // seconds before expiry
  var IDLE_LIMIT = 10 * 60 * 1000; // stop refreshing after 10 minutes on the page

  var root = document.getElementById("card-qr");
  if (!root) { return; }
  var image = document.getElementById("card-qr-image");
  var status = document.getElementById("card-qr-status");
  var errorBox = document.getElementById("card-qr-error");
  var button = document.getElementById("card-qr-refresh");
  var tokenInput = root.querySelector("input[name=csrfmiddlewaretoken]");

  var deadline = 0; // local time (ms) at which the current token expires
  var timer = null;
  var started = Date.now();
  var loading = false;

  // The page's words (data-* on the status line, in the page's language); Chinese otherwise.
  function say(name, fallback) {
    return status.getAttribute("data-" + name) || fallback;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.textContent = "";
    errorBox.hidden = true;
  }

  function expire() {
    image.hidden = true;
    status.textContent = say("expired", "二维码已失效，请点击“刷新二维码”。");
  }

  function tick() {
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) {
      window.clearInterval(timer);
      timer = null;
      expire();
      return;
    }
    status.textContent = say("countdown", "二维码 {seconds} 秒后失效，仅可使用一次。")
      .replace("{seconds}", left);
    if (left <= REFRESH_BEFORE && !loading && !document.hidden) {
      if (Date.now() - started < IDLE_LIMIT) {
        refresh();
      }
    }
  }

  function refresh() {
    loading = true;
    button.disabled = true;
    fetch(root.getAttribute("data-endpoint"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "", "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok) {
          throw new Error(body.detail || say("failed", "二维码获取失败，请稍后重试。"));
        }
        return body;
      });
    }).then(function (body) {
      clearError();
      image.src = body.svg;
      image.hidden = false;
      deadline = Date.now() + body.expires_in * 1000;
      if (!timer) { timer = window.setInterval(tick, 1000); }
      tick();
    }).catch(function (error) {
      var message = error && error.message && error.message !== "Failed to fetch"
        ? error.message : say("offline", "网络异常，二维码获取失败，请稍后重试。");
      showError(message);
      if (Date.now() >= deadline) { expire(); }
    }).then(function () {
      loading = false;
      button.disabled = false;
    });
  }

  button.addEventListener("click", function () {
    started = Date.now();
    refresh();
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && Date.now() >= deadline - REFRESH_BEFORE * 1000 && !loading) {
      started = Date.now();
      refresh();
    }
  });
  refresh();
})();
