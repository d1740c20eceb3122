// berth: small progressive enhancements. Every action also works without JavaScript.
(function () {
  "use strict";

  // Copy buttons: <button class="copy" data-copy="ID"> copies the text of #ID.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-copy]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (!el) return;
    var text = el.textContent.trim();
    var done = function () {
      var label = btn.textContent;
      btn.textContent = "Copied";
      btn.classList.add("copied");
      setTimeout(function () { btn.textContent = label; btn.classList.remove("copied"); }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(el); });
    } else {
      selectText(el);
      try { if (document.execCommand("copy")) done(); } catch (e) { /* selection stays for manual copy */ }
    }
  });

  // ---- services: live logs viewer ------------------------------------------------------------
  // <div data-log-stream="URL"> gets the server-sent events of URL: `line` (JSON), `problem`,
  // `end`. Follow scrolls to new lines; Pause holds them (and shows how many wait); the
  // timestamps box shows or hides times at once. Lines are text, never HTML.
  var MAX_LINES = 20000;

  function startLogs(view) {
    if (!view || view.getAttribute("data-log-started")) return;
    view.setAttribute("data-log-started", "1");
    var out = view.querySelector("[data-log-lines]");
    var bar = view.querySelector(".logbar");
    var status = view.querySelector("[data-log-status]");
    var pauseBtn = view.querySelector("[data-log-pause]");
    var follow = view.querySelector("[data-log-follow]");
    var tsBox = document.querySelector("[data-log-timestamps]");
    if (bar) bar.hidden = false;
    var paused = false, held = [], count = 0, ended = false;

    function say(text) { if (status) status.textContent = text; }
    function render(d) {
      var row = document.createElement("div");
      row.className = d.err ? "ln ln-err" : "ln";
      if (d.t) {
        var ts = document.createElement("span");
        ts.className = "ts";
        ts.textContent = d.t.replace("T", " ").replace(/\.(\d{3})\d*Z$/, ".$1Z") + " ";
        row.appendChild(ts);
      }
      if (d.task) {
        var tk = document.createElement("span");
        tk.className = "tk";
        tk.textContent = d.task + (d.node ? "@" + d.node : "") + " ";
        row.appendChild(tk);
      }
      row.appendChild(document.createTextNode(d.x));
      return row;
    }
    function append(rows) {
      var frag = document.createDocumentFragment();
      rows.forEach(function (r) { frag.appendChild(r); });
      out.appendChild(frag);
      while (out.childNodes.length > MAX_LINES) out.removeChild(out.firstChild);
      if (follow && follow.checked) out.scrollTop = out.scrollHeight;
    }
    function state() {
      if (ended) return;
      say(paused ? "paused, " + held.length + " new line" + (held.length === 1 ? "" : "s") + " held" : "live · " + count + " line" + (count === 1 ? "" : "s"));
    }

    var es = new EventSource(view.getAttribute("data-log-stream"));
    view._berthSource = es;
    es.addEventListener("open", state);
    es.addEventListener("line", function (ev) {
      if (!document.body.contains(view)) { es.close(); return; }
      var d;
      try { d = JSON.parse(ev.data); } catch (e) { return; }
      count++;
      var row = render(d);
      if (paused) held.push(row); else append([row]);
      state();
    });
    es.addEventListener("problem", function (ev) {
      var row = render({ x: ev.data, err: true });
      row.classList.add("ln-problem");
      append([row]);
    });
    es.addEventListener("end", function () {
      ended = true;
      es.close();
      if (held.length) { append(held); held = []; }
      say("ended · " + count + " line" + (count === 1 ? "" : "s"));
    });
    es.addEventListener("error", function () {
      if (ended) return;
      say(es.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…");
    });
    if (pauseBtn) pauseBtn.addEventListener("click", function () {
      paused = !paused;
      pauseBtn.textContent = paused ? "Resume" : "Pause";
      if (!paused && held.length) { append(held); held = []; }
      state();
    });
    var clearBtn = view.querySelector("[data-log-clear]");
    if (clearBtn) clearBtn.addEventListener("click", function () { out.textContent = ""; held = []; state(); });
    if (follow) follow.addEventListener("change", function () { if (follow.checked) out.scrollTop = out.scrollHeight; });
    if (tsBox) tsBox.addEventListener("change", function () { view.classList.toggle("no-ts", !tsBox.checked); });
  }

  function initLogs(root) {
    var el = root && root.querySelector ? root.querySelector("[data-log-stream]") : null;
    if (!el && root && root.matches && root.matches("[data-log-stream]")) el = root;
    if (el) startLogs(el);
  }
  // a page left through hx-boost (the body is swapped): close its stream
  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (!ev.detail || ev.detail.target !== document.body) return;
    var el = document.querySelector("[data-log-stream]");
    if (el && el._berthSource) el._berthSource.close();
  });
  document.addEventListener("htmx:load", function (ev) { initLogs(ev.detail && ev.detail.elt); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initLogs(document); });
  } else {
    initLogs(document);
  }

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
})();
