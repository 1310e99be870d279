// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Live notice on a car page when someone else moves the car (WebSocket via Channels).
  function watchCar() {
    var notice = document.getElementById("live-notice");
    if (!notice || !("WebSocket" in window)) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + location.host + notice.dataset.ws);
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type !== "phase_changed") return;
      var current = document.querySelector("[data-testid=current-phase]");
      notice.textContent = data.by + " moved this car to " + data.to.replace("_", " ") + ". ";
      var reload = document.createElement("a");
      reload.href = location.pathname;
      reload.textContent = "Reload";
      notice.appendChild(reload);
      notice.hidden = false;
      if (current) current.setAttribute("data-stale", "true");
    };
  }

  // Upload progress for photos (htmx fires htmx:xhr:progress on multipart posts).
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest("form");
    var bar = form && form.querySelector(".upload-progress");
    if (!bar || !event.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });

  document.addEventListener("DOMContentLoaded", watchCar);
})();
