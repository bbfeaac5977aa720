/* Background exports (issue 12 point 4). On the 督查看板 the export buttons start a job
   (POST /api/v1/exports/ with the session and its CSRF token) instead of leaving the page, and
   a <progress> bar follows it (GET /api/v1/exports/{id}/ every second) until the download
   link appears. On an export's own page (what the buttons lead to without JavaScript) the same
   bar is followed. The words match services/views/exports.py status_text. No dependencies. */
(function () {
  "use strict";

  var POLL_MS = 1000;
  var RETRY_MS = 5000;
  var GONE = "导出文件已过期删除（文件保留24小时），请重新导出。";

  function finished(job) {
    return job.status === "done" || job.status === "failed";
  }

  function words(job) {
    if (job.status === "queued") { return "排队中"; }
    if (job.status === "running") { return "导出中 " + job.progress + "%"; }
    if (job.status === "done") { return job.download_url ? "已完成，" : GONE; }
    return "导出失败：" + (job.error || "请稍后重试。");
  }

  function show(box, job) {
    var bar = box.querySelector("progress");
    var link = box.querySelector("[data-export-link]");
    box.hidden = false;
    if (job.status === "queued") {
      bar.removeAttribute("value");  // indeterminate until the worker starts
    } else {
      bar.value = job.status === "done" ? 100 : job.progress;
    }
    box.querySelector("[data-export-text]").textContent = words(job);
    if (job.status === "done" && job.download_url) {
      link.href = job.download_url;
      link.hidden = false;
    } else {
      link.hidden = true;
      link.removeAttribute("href");
    }
  }

  function say(box, text) {
    box.querySelector("[data-export-text]").textContent = text;
  }

  // Poll the job until it is done or failed; then call done(job).
  function follow(box, url, done) {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 403 || response.status === 404) {
          say(box, "无法查看该导出任务，请刷新页面后重新导出。");
          if (done) { done(null); }
          return null;
        }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json().then(function (job) {
          show(box, job);
          if (finished(job)) {
            if (done) { done(job); }
          } else {
            window.setTimeout(function () { follow(box, url, done); }, POLL_MS);
          }
        });
      })
      .catch(function () {
        say(box, "暂时无法获取进度，稍后自动重试…");
        window.setTimeout(function () { follow(box, url, done); }, RETRY_MS);
      });
  }

  // A 400 body maps each field to its messages; other errors carry a detail.
  function message(body) {
    if (body && typeof body.detail === "string") { return body.detail; }
    var parts = [];
    Object.keys(body || {}).forEach(function (key) {
      [].concat(body[key]).forEach(function (text) {
        if (typeof text === "string") { parts.push(text); }
      });
    });
    return parts.join(" ");
  }

  // --- the dashboard ---------------------------------------------------------------------
  var progress = document.getElementById("export-progress");
  var forms = document.querySelectorAll("form[data-export-job]");

  function busy(on) {
    Array.prototype.forEach.call(forms, function (form) {
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (button) {
        button.disabled = on;
      });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!progress || !(form instanceof HTMLFormElement) || !form.hasAttribute("data-export-job")) {
      return;
    }
    event.preventDefault();
    function field(name) {
      var input = form.elements.namedItem(name);
      return input ? input.value : "";
    }
    var api = form.getAttribute("data-api");
    busy(true);
    show(progress, { status: "queued", progress: 0 });
    fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": field("csrfmiddlewaretoken")
      },
      body: JSON.stringify({
        kind: field("kind"), format: field("format"), from: field("from"), to: field("to")
      })
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.status !== 202) { throw new Error(message(body) || "请稍后重试。"); }
        return body;
      });
    }).then(function (body) {
      follow(progress, api + body.id + "/", function () { busy(false); });
    }).catch(function (error) {
      busy(false);
      var text = error && error.message && error.message !== "Failed to fetch"
        ? error.message : "网络异常，请稍后重试。";
      show(progress, { status: "failed", error: text });
    });
  });

  // --- an export's own page --------------------------------------------------------------
  var page = document.querySelector("[data-export-status]");
  if (page && !page.hasAttribute("data-finished")) {
    follow(page, page.getAttribute("data-status-url"), function () {
      var refresh = document.querySelector("[data-export-refresh]");
      if (refresh) { refresh.hidden = true; }
    });
  }
})();
