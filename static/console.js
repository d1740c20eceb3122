// berth: the console of a task's container. xterm.js (vendored, window.Terminal) draws the
// terminal; a WebSocket to berth (same origin, the session's CSRF token in the query) carries
// keystrokes as binary frames and a resize as JSON; output comes back as binary frames, and a
// JSON text frame says how it ended ({"exit": code} or {"error": "…"}). Without JavaScript the
// page's one-shot command form works on its own.
(function () {
  "use strict";

  function start(box) {
    var form = box.querySelector("[data-console-open]");
    var closeBtn = box.querySelector("[data-console-close]");
    var termEl = box.querySelector("[data-console-term]");
    var status = box.querySelector("[data-console-status]");
    if (!form || !termEl || typeof window.Terminal !== "function") return;
    form.hidden = false;
    var term = null, fit = null, ws = null, ended = "";
    var enc = new TextEncoder();
    var say = function (text) { status.textContent = text; };

    function sendSize() {
      if (ws && ws.readyState === 1 && term) {
        ws.send(JSON.stringify({ resize: [term.cols, term.rows] }));
      }
    }

    function ensureTerm() {
      if (term) return;
      termEl.hidden = false;
      term = new window.Terminal({ cursorBlink: true, scrollback: 5000, fontSize: 14 });
      if (window.FitAddon && window.FitAddon.FitAddon) {
        fit = new window.FitAddon.FitAddon();
        term.loadAddon(fit);
      }
      term.open(termEl);
      term.onData(function (d) { if (ws && ws.readyState === 1) ws.send(enc.encode(d)); });
      term.onResize(sendSize);
      window.addEventListener("resize", function () { if (fit) fit.fit(); });
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (ws) { ws.close(); ws = null; }
      ensureTerm();
      if (fit) fit.fit();
      term.reset();
      ended = "";
      var url = new URL(box.getAttribute("data-socket"), window.location.href);
      url.protocol = window.location.protocol === "https:" ? "wss:" : "ws:";
      url.searchParams.set("cmd", form.elements.cmd.value);
      url.searchParams.set("cols", String(term.cols));
      url.searchParams.set("rows", String(term.rows));
      say("Connecting…");
      var sock = new WebSocket(url.toString());
      sock.binaryType = "arraybuffer";
      ws = sock;
      sock.onopen = function () { say("Connected."); closeBtn.hidden = false; term.focus(); };
      sock.onmessage = function (e) {
        if (typeof e.data === "string") {
          var m = null;
          try { m = JSON.parse(e.data); } catch (err) { return; }
          if (m && typeof m.error === "string") ended = m.error;
          else if (m && "exit" in m) ended = m.exit === null ? "The command ended." : "The command ended with exit code " + m.exit + ".";
          return;
        }
        term.write(new Uint8Array(e.data));
      };
      sock.onclose = function () {
        if (ws === sock) ws = null;
        closeBtn.hidden = true;
        say(ended || "The console closed.");
      };
    });
    closeBtn.addEventListener("click", function () { if (ws) ws.close(); });
  }

  var boot = function () { document.querySelectorAll("[data-console]").forEach(start); };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
