// A car's photo gallery and its uploads. The page works without this file: the strip scrolls
// by touch (CSS scroll-snap), each photo links to its full-size file, and the upload form posts.
// With it: previous/next buttons and a count, a full-screen viewer (a <dialog>, swipe or arrow
// keys), and uploads one request per photo with its own progress bar and its own error.
// Everything is bound on the document, so galleries swapped in by htmx work as they come.
(function () {
  "use strict";

  function slides(gallery) { return gallery.querySelectorAll(".gallery-slide"); }

  function currentIndex(strip) {
    var width = strip.clientWidth || 1;
    return Math.round(strip.scrollLeft / width);
  }

  function goTo(strip, index) {
    strip.scrollTo({ left: index * strip.clientWidth, behavior: "smooth" });
  }

  function enhance(root) {
    root.querySelectorAll("[data-gallery]:not([data-ready])").forEach(function (gallery) {
      gallery.dataset.ready = "true";
      var strip = gallery.querySelector(".gallery-strip");
      var controls = gallery.querySelector(".gallery-controls");
      var count = gallery.querySelector("[data-count]");
      var total = slides(gallery).length;
      if (total > 1) controls.hidden = false;
      strip.addEventListener("scroll", function () {
        count.textContent = (currentIndex(strip) + 1) + " / " + total;
      }, { passive: true });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-prev], [data-next]");
    if (button) {
      var strip = button.closest("[data-gallery]").querySelector(".gallery-strip");
      goTo(strip, currentIndex(strip) + (button.hasAttribute("data-next") ? 1 : -1));
      return;
    }
    var open = event.target.closest("[data-full]");
    if (open) {
      var dialog = document.querySelector("[data-gallery-full]");
      if (!dialog || typeof dialog.showModal !== "function") return;  // the plain link then
      event.preventDefault();
      openFull(dialog, open.closest("[data-gallery]"), open.closest(".gallery-slide"));
      return;
    }
    if (event.target.closest("[data-close]")) event.target.closest("dialog").close();
  });

  function openFull(dialog, gallery, slide) {
    var strip = dialog.querySelector("[data-full-strip]");
    strip.textContent = "";
    var all = Array.prototype.slice.call(slides(gallery));
    all.forEach(function (item) {
      var picture = item.querySelector("picture");
      var frame = document.createElement("figure");
      frame.className = "gallery-full-slide";
      if (picture) {
        var copy = picture.cloneNode(true);
        copy.querySelectorAll("source, img").forEach(function (el) { el.setAttribute("sizes", "100vw"); });
        copy.querySelector("img").removeAttribute("loading");
        frame.appendChild(copy);
      }
      strip.appendChild(frame);
    });
    dialog.showModal();
    strip.scrollLeft = all.indexOf(slide) * strip.clientWidth;
  }

  document.addEventListener("keydown", function (event) {
    var dialog = document.querySelector("[data-gallery-full][open]");
    if (!dialog || (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) return;
    var strip = dialog.querySelector("[data-full-strip]");
    goTo(strip, currentIndex(strip) + (event.key === "ArrowRight" ? 1 : -1));
  });

  // --- Uploads: one request per photo, each with its progress and its own answer ----------
  function uploadOne(form, file, row) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("image", file);
      data.append("caption", form.querySelector("[name=caption]").value);
      var xhr = new XMLHttpRequest();
      var bar = row.querySelector("progress");
      var status = row.querySelector(".upload-status");
      xhr.open("POST", form.dataset.api);
      xhr.setRequestHeader("X-CSRFToken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) bar.value = Math.round((event.loaded / event.total) * 100);
      };
      xhr.onload = function () {
        var ok = xhr.status === 201;
        var message = "Added";
        if (!ok) {
          message = "Not added (" + xhr.status + ")";
          try {
            var body = JSON.parse(xhr.responseText);
            message = (body.image && body.image.join(" ")) || body.detail || message;
          } catch (e) { /* not JSON: keep the status */ }
        }
        bar.value = 100;
        row.dataset.state = ok ? "done" : "failed";
        status.textContent = message;
        resolve(ok);
      };
      xhr.onerror = function () {
        row.dataset.state = "failed";
        status.textContent = "The connection failed: try this photo again.";
        resolve(false);
      };
      xhr.send(data);
    });
  }

  // Capture phase on the document: before htmx's own submit handler on the form.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-photo-upload]");
    if (!form || !window.FormData || !window.Promise) return;
    var files = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.push.apply(files, input.files);
    });
    if (!files.length) return;  // the server says what is missing
    event.preventDefault();
    event.stopPropagation();
    var list = form.querySelector("[data-files]");
    list.textContent = "";
    var rows = files.map(function (file) {
      var row = document.createElement("li");
      row.className = "upload-file";
      var name = document.createElement("span");
      name.className = "upload-name";
      name.textContent = file.name;
      var bar = document.createElement("progress");
      bar.max = 100;
      bar.value = 0;
      var status = document.createElement("span");
      status.className = "upload-status";
      status.textContent = "Waiting";
      row.append(name, bar, status);
      list.appendChild(row);
      return row;
    });
    var chain = Promise.resolve();
    files.forEach(function (file, i) {
      chain = chain.then(function () { rows[i].querySelector(".upload-status").textContent = "Uploading"; return uploadOne(form, file, rows[i]); });
    });
    chain.then(function () {
      form.querySelectorAll("input[type=file]").forEach(function (input) { input.value = ""; });
      if (window.htmx && document.getElementById("photo-gallery")) {
        window.htmx.ajax("GET", form.dataset.galleryUrl, { target: "#photo-gallery", swap: "outerHTML" });
      }
    });
  }, true);

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSettle", function (event) { enhance(event.target.ownerDocument || document); });
})();
