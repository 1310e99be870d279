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

  // The bell's unread count, pushed live; reconnects with capped backoff and jitter.
  // Without WebSockets the count is still right on every page load.
  function watchBell() {
    var bell = document.getElementById("bell");
    if (!bell || !("WebSocket" in window)) return;
    var count = bell.querySelector(".bell-count");
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var attempt = 0;
    function connect() {
      var socket = new WebSocket(scheme + location.host + bell.dataset.ws);
      socket.onopen = function () { attempt = 0; bell.dataset.live = "true"; };
      socket.onmessage = function (event) {
        var data = JSON.parse(event.data);
        if (data.type !== "unread") return;
        count.textContent = data.unread;
        count.hidden = data.unread === 0;
        bell.setAttribute("aria-label", "Notifications, " + data.unread + " unread");
      };
      socket.onclose = function (event) {
        bell.dataset.live = "false";
        if (event.code === 4401) return;  // signed out: nothing to listen to
        attempt += 1;
        setTimeout(connect, Math.random() * Math.min(30000, 1000 * Math.pow(2, attempt)));
      };
    }
    connect();
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
  document.addEventListener("DOMContentLoaded", watchBell);
})();
