/* 优才卡核验: scan the holder's QR code with the camera where the browser can
   (BarcodeDetector + getUserMedia); otherwise the button stays hidden and the token is pasted
   or typed by a scanner gun. No dependencies. */
(function () {
  "use strict";

  var form = document.getElementById("verify-form");
  var button = document.getElementById("verify-scan");
  var panel = document.getElementById("verify-camera");
  var video = document.getElementById("verify-video");
  var status = document.getElementById("verify-camera-status");
  var stopButton = document.getElementById("verify-stop");
  if (!form || !button) { return; }
  var textarea = form.querySelector("textarea[name=token]");

  var stream = null;
  var running = false;

  // The page's words (data-* on the status line, in the page's language); Chinese otherwise.
  function say(name, fallback) {
    return (status && status.getAttribute("data-" + name)) || fallback;
  }

  function stop() {
    running = false;
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.srcObject = null;
    panel.hidden = true;
    button.hidden = false;
  }

  function start(detector) {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        panel.hidden = false;
        button.hidden = true;
        status.textContent = say("aiming", "请将二维码对准摄像头…");
        running = true;
        return video.play();
      })
      .then(function () { scan(detector); })
      .catch(function () {
        stop();
        status.textContent = say("denied", "无法打开摄像头，请检查浏览器权限，或粘贴二维码内容。");
        panel.hidden = false;
        video.hidden = true;
      });
  }

  function scan(detector) {
    if (!running) { return; }
    detector.detect(video).then(function (codes) {
      if (!running) { return; }
      if (codes.length && codes[0].rawValue) {
        textarea.value = codes[0].rawValue;
        status.textContent = say("found", "已识别，正在核验…");
        stop();
        form.submit();
        return;
      }
      window.setTimeout(function () { scan(detector); }, 250);
    }).catch(function () {
      window.setTimeout(function () { scan(detector); }, 500);
    });
  }

  if (!("BarcodeDetector" in window) || !navigator.mediaDevices ||
      !navigator.mediaDevices.getUserMedia) {
    return; // unsupported: keep the button hidden
  }
  window.BarcodeDetector.getSupportedFormats().then(function (formats) {
    if (formats.indexOf("qr_code") === -1) { return; }
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    button.hidden = false;
    button.addEventListener("click", function () {
      video.hidden = false;
      start(detector);
    });
    stopButton.addEventListener("click", stop);
  }).catch(function () { /* unsupported: keep the button hidden */ });
})();
