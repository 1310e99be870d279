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

  // Live auctions: the board and the lot page redraw the lots they show as updates
  // arrive; the status pill says whether the page is live or reconnecting.
  var STAGES = { prebid: "Pre-bidding", live: "Live", closed: "Closed" };
  var pounds = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP", maximumFractionDigits: 0 });

  function drawChart(svg, prices) {
    var line = svg.querySelector("polyline");
    var box = svg.viewBox.baseVal;
    if (!prices.length) return;
    var low = Math.min.apply(null, prices), high = Math.max.apply(null, prices), span = Math.max(high - low, 1);
    var step = box.width / Math.max(prices.length - 1, 1);
    line.setAttribute("points", prices.map(function (p, i) {
      return (i * step).toFixed(1) + "," + (box.height - 8 - ((p - low) / span) * (box.height - 16)).toFixed(1);
    }).join(" "));
  }

  var lastSeq = {};  // per lot: batches may arrive out of order; never draw an older price over a newer one
  function applyUpdate(u) {
    if (u.seq && lastSeq[u.lot] >= u.seq) return;
    if (u.seq) lastSeq[u.lot] = u.seq;
    document.querySelectorAll('[data-lot="' + u.lot + '"]').forEach(function (row) {
      var set = function (field, text) {
        var el = row.querySelector('[data-field="' + field + '"]');
        if (el && el.textContent !== text) {
          el.textContent = text;
          el.classList.remove("flash");
          void el.offsetWidth;  // restart the highlight
          el.classList.add("flash");
        }
      };
      set("current_bid", pounds.format(u.current_bid));
      set("bid_count", String(u.bid_count));
      set("stage", u.outcome ? u.outcome.replace("_", " ") : (STAGES[u.stage] || u.stage));
      if (row.querySelector('[data-field="reserve"]')) set("reserve", u.reserve_met ? "reserve met" : "reserve not met");
      row.className = row.className.replace(/stage-\w+/, "stage-" + u.stage);
      // The maximum bid does not move with the price, the verdict does: past the maximum
      // it is a pass, within 10% of it a caution (the page's own reasons are redrawn on reload).
      var advice = row.querySelector(".lot-advice[data-max-bid]") || (row.matches(".lot-advice[data-max-bid]") ? row : null);
      if (advice) {
        var max = Number(advice.dataset.maxBid), base = advice.dataset.verdict;
        var verdict = u.current_bid > max ? "pass" : (base === "buy" && u.current_bid >= 0.9 * max && u.current_bid > 0 ? "caution" : base);
        var badge = advice.querySelector('[data-field="verdict"]');
        if (badge && !badge.classList.contains("verdict-" + verdict)) {
          badge.className = badge.className.replace(/verdict-\w+/, "verdict-" + verdict);
          badge.textContent = verdict.charAt(0).toUpperCase() + verdict.slice(1);
        }
      }
    });
    var chart = document.getElementById("price-chart");
    if (chart && u.type === "bid" && document.querySelector('.kpis[data-lot="' + u.lot + '"]')) {
      var prices = chart.dataset.prices ? chart.dataset.prices.split(",").map(Number) : [];
      prices.push(u.current_bid);
      chart.dataset.prices = prices.join(",");
      drawChart(chart, prices.slice(-500));
    }
  }

  function watchAuctions() {
    var pill = document.getElementById("live-state");
    if (!pill || !("WebSocket" in window)) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var attempt = 0;
    function connect() {
      var socket = new WebSocket(scheme + location.host + pill.dataset.ws);
      socket.onopen = function () { attempt = 0; pill.textContent = "Live"; pill.dataset.state = "live"; };
      socket.onmessage = function (event) {
        var data = JSON.parse(event.data);
        if (data.type === "updates") data.updates.forEach(applyUpdate);
      };
      socket.onclose = function (event) {
        if (event.code === 4403) { pill.textContent = "Not allowed"; pill.dataset.state = "off"; return; }
        attempt += 1;
        pill.textContent = "Reconnecting…";
        pill.dataset.state = "reconnecting";
        setTimeout(connect, Math.random() * Math.min(30000, 1000 * Math.pow(2, attempt)));
      };
    }
    connect();
  }

  // The header's Menu is a <details>, so it opens and closes without this file; a tap
  // elsewhere on the page or Escape also closes it, as a menu on a phone is expected to.
  function enhanceNavMenu() {
    var menu = document.querySelector(".nav-menu");
    if (!menu) return;
    document.addEventListener("click", function (event) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !menu.open) return;
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  }

  // Upload progress for photos (htmx fires htmx:xhr:progress on multipart posts).
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest("form");
    var bar = form && form.querySelector(".upload-progress");
    if (!bar || !event.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  });

  // Behaviour declared in the markup instead of inline handlers, which the
  // Content-Security-Policy forbids: a <select data-autosubmit> submits its form when
  // changed; a <form data-confirm="..."> asks first.
  document.addEventListener("change", function (event) {
    var field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.requestSubmit();
  });
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  document.addEventListener("DOMContentLoaded", watchCar);
  document.addEventListener("DOMContentLoaded", watchBell);
  document.addEventListener("DOMContentLoaded", watchAuctions);
  document.addEventListener("DOMContentLoaded", enhanceNavMenu);
})();
