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
  // a page left through hx-boost (the body is swapped): close its streams, log and job ones,
  // so that a job ending later does not reload the page the user moved to
  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (!ev.detail || ev.detail.target !== document.body) return;
    document.querySelectorAll("[data-log-stream], ol.joblog[data-sse]").forEach(function (el) {
      if (el._berthSource) { el._berthSource.close(); el._berthSource = null; }
    });
  });
  document.addEventListener("htmx:load", function (ev) { initLogs(ev.detail && ev.detail.elt); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { initLogs(document); });
  } else {
    initLogs(document);
  }

  // ---- live parts over server-sent events ----------------------------------------------------
  // A live part inside [sse-connect] carries sse-swap: berth pushes it when what it shows
  // changes. Its hx-trigger polling is the fallback (SSE blocked, refused or reconnecting) and
  // is held back while the stream is open. htmx's sse extension closes the stream when the
  // element leaves the page (navigation).
  function sseState(ev, open) {
    var el = ev.target;
    if (el && el.setAttribute) {
      if (open) el.setAttribute("data-sse-open", "1"); else el.removeAttribute("data-sse-open");
    }
  }
  document.addEventListener("htmx:sseOpen", function (ev) { sseState(ev, true); });
  document.addEventListener("htmx:sseError", function (ev) { sseState(ev, false); });
  document.addEventListener("htmx:sseClose", function (ev) { sseState(ev, false); });
  document.addEventListener("htmx:beforeRequest", function (ev) {
    var elt = ev.detail && ev.detail.elt;
    if (!elt || !elt.hasAttribute || !elt.hasAttribute("sse-swap")) return;
    var source = elt.closest("[sse-connect]");
    if (source && source.hasAttribute("data-sse-open")) ev.preventDefault();
  });

  // ---- stacks: compose editor ----------------------------------------------------------------
  // <textarea data-editor="yaml" data-ace-base="/static/vendor/ace-builds-X"> becomes an Ace
  // editor (YAML highlighting, line numbers, search); the textarea stays the form field. The
  // form is checked on the server as you type (POST data-validate-url, JSON) and problems are
  // marked on their lines. Without JavaScript the textarea and the Check button do the same.
  var aceLoading = null;

  function loadAce(base) {
    if (window.ace) return Promise.resolve(window.ace);
    if (aceLoading) return aceLoading;
    ["css/ace.css", "css/theme/github.css", "css/theme/github_dark.css"].forEach(function (f) {
      var l = document.createElement("link");
      l.rel = "stylesheet";
      l.href = base + "/" + f;
      document.head.appendChild(l);
    });
    aceLoading = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = base + "/src-min-noconflict/ace.js";
      s.onload = function () { resolve(window.ace); };
      s.onerror = reject;
      document.head.appendChild(s);
    });
    return aceLoading;
  }

  function darkScheme() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  }

  function initEditors(root) {
    root.querySelectorAll("textarea[data-editor=yaml]").forEach(function (ta) {
      if (ta.dataset.upgraded) return;
      ta.dataset.upgraded = "1";
      var base = ta.getAttribute("data-ace-base");
      loadAce(base).then(function (ace) {
        ace.config.set("useStrictCSP", true);
        ace.config.set("basePath", base + "/src-min-noconflict");
        var host = document.createElement("div");
        host.className = "ace-host";
        ta.parentNode.insertBefore(host, ta);
        ta.classList.add("upgraded");
        var editor = ace.edit(host, {
          mode: "ace/mode/yaml",
          theme: darkScheme() ? "ace/theme/github_dark" : "ace/theme/github",
          value: ta.value,
          tabSize: 2,
          useSoftTabs: true,
          showPrintMargin: false,
          fontSize: "13px",
          minLines: 24,
          maxLines: 60
        });
        editor.session.setUseWorker(false); // the server's check is the authority
        editor.clearSelection();
        ta.aceEditor = editor;
        editor.session.on("change", function () {
          ta.value = editor.getValue();
          scheduleCheck(ta.form);
        });
        markProblems(ta.form);
      }, function () { /* no Ace: the textarea keeps working */ });
    });
    root.querySelectorAll("form[data-validate-url]").forEach(function (form) {
      if (form.dataset.validating) return;
      form.dataset.validating = "1";
      form.addEventListener("input", function (ev) {
        if (ev.target.name === "env" || ev.target.name === "name") scheduleCheck(form);
      });
      var button = form.querySelector("[data-validate-button]");
      if (button) {
        button.addEventListener("click", function (ev) {
          ev.preventDefault();
          check(form);
        });
      }
    });
  }

  function scheduleCheck(form) {
    if (!form) return;
    clearTimeout(form.checkTimer);
    form.checkTimer = setTimeout(function () { check(form); }, 600);
  }

  function check(form) {
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-validate-url"), {
      method: "POST",
      headers: { "Accept": "application/json" },
      body: body,
      credentials: "same-origin"
    }).then(function (r) { return r.json(); }).then(function (v) {
      showValidation(form, v);
    }, function () { /* offline: keep the last result */ });
  }

  function showValidation(form, v) {
    var box = form.querySelector("#validation");
    if (!box) return;
    box.textContent = "";
    var div = document.createElement("div");
    if (v.ok) {
      div.className = "alert alert-ok";
      div.setAttribute("data-testid", "validation-ok");
      div.textContent = "Valid: " + v.services.length + " service" + (v.services.length === 1 ? "" : "s") +
        " (" + v.services.join(", ") + ").";
    } else {
      div.className = "alert alert-error";
      div.setAttribute("data-testid", "validation-errors");
      var strong = document.createElement("strong");
      strong.textContent = "Not deployable yet.";
      div.appendChild(strong);
      var ul = document.createElement("ul");
      ul.className = "problems";
      v.problems.forEach(function (p) {
        var li = document.createElement("li");
        li.setAttribute("data-field", p.field);
        if (p.line) li.setAttribute("data-line", p.line);
        if (p.column) li.setAttribute("data-column", p.column);
        var where = document.createElement("span");
        where.className = "where";
        where.textContent = (p.field === "env" ? "variables" : p.field) + (p.line ? " line " + p.line + (p.column ? ":" + p.column : "") : "");
        li.appendChild(where);
        li.appendChild(document.createTextNode(" " + p.message));
        ul.appendChild(li);
      });
      div.appendChild(ul);
    }
    box.appendChild(div);
    (v.warnings || []).forEach(function (w) {
      var info = document.createElement("div");
      info.className = "alert alert-info";
      info.textContent = w;
      box.appendChild(info);
    });
    markProblems(form);
  }

  // Puts the listed compose problems on their lines in Ace; a click on one jumps there.
  function markProblems(form) {
    if (!form) return;
    var ta = form.querySelector("textarea[data-editor=yaml]");
    var editor = ta && ta.aceEditor;
    if (!editor) return;
    var notes = [];
    form.querySelectorAll("#validation li[data-field=compose][data-line]").forEach(function (li) {
      var row = parseInt(li.getAttribute("data-line"), 10) - 1;
      var col = parseInt(li.getAttribute("data-column") || "1", 10) - 1;
      notes.push({ row: row, column: col, type: "error", text: li.textContent.trim() });
      li.classList.add("jump");
      li.addEventListener("click", function () {
        editor.gotoLine(row + 1, col, true);
        editor.focus();
      });
    });
    editor.session.setAnnotations(notes);
  }

  document.addEventListener("DOMContentLoaded", function () { initEditors(document); });
  document.addEventListener("htmx:load", function (ev) { initEditors(ev.detail.elt || document); });

  // ---- stacks: live progress of deploys and removals ------------------------------------------
  // <ol class="joblog" data-sse="URL"> follows the job's server-sent events: `line` appends a
  // line (lines already on the page are skipped by their seq), `end` reloads the page, which
  // then shows the outcome as the server renders it. Without JavaScript the page reloads itself.
  function followJobs(root) {
    root.querySelectorAll("ol.joblog[data-sse]").forEach(function (ol) {
      if (ol.dataset.following || !window.EventSource) return;
      ol.dataset.following = "1";
      var last = -1;
      ol.querySelectorAll("li[data-seq]").forEach(function (li) {
        last = Math.max(last, parseInt(li.getAttribute("data-seq"), 10));
      });
      var pending = ol.querySelector("li.log-pending");
      var es = new EventSource(ol.getAttribute("data-sse"));
      ol._berthSource = es;
      // true while this log is still on the page (it leaves when the user navigates away)
      var here = function () {
        if (document.body.contains(ol)) return true;
        es.close();
        return false;
      };
      es.addEventListener("line", function (ev) {
        if (!here()) return;
        var l = JSON.parse(ev.data);
        if (l.seq <= last) return;
        last = l.seq;
        var li = document.createElement("li");
        li.className = "log-" + l.level;
        li.setAttribute("data-seq", l.seq);
        li.textContent = l.text;
        ol.insertBefore(li, pending);
      });
      es.addEventListener("end", function () {
        es.close();
        if (here()) window.location.reload();
      });
      es.onerror = function () {
        // the server went away (restart): the page shows the stored state after a reload
        if (es.readyState === EventSource.CLOSED) setTimeout(function () { if (here()) window.location.reload(); }, 2000);
      };
    });
  }

  document.addEventListener("DOMContentLoaded", function () { followJobs(document); });
  document.addEventListener("htmx:load", function (ev) { followJobs(ev.detail.elt || document); });

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
})();
