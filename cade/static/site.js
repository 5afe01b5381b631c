// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  // One click per submit button: a double click must not send a form twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    setTimeout(function () { form.dataset.sent = ""; }, 8000);
  }, true);
  // After a failed submission, read the list of problems first; each of its
  // links moves focus to its field and shows the field's label above it.
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    (target.closest(".field") || target).scrollIntoView();
    target.focus({preventScroll: true});
  });
  // Show <time data-local> in the reader's own time zone beside the call's.
  var fmt;
  try { fmt = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {dateStyle: "medium", timeStyle: "short"}); } catch (e) { fmt = null; }
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (!fmt || isNaN(when)) return;
    var out = document.getElementById(el.dataset.local);
    if (out) { out.textContent = fmt.format(when) + " (" + Intl.DateTimeFormat().resolvedOptions().timeZone + ")"; out.hidden = false; }
  });
  // Drafts save on their own: forms marked data-autosave post in the background.
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var status = form.querySelector(".autosave"), timer = null, dirty = false;
    function save() {
      if (!dirty || !window.fetch) return;
      dirty = false;
      var data = new FormData(form);
      data.set("action", "autosave");
      data.delete("file");
      fetch(form.dataset.autosave, {method: "POST", body: data, credentials: "same-origin", redirect: "manual", headers: {"X-Requested-With": "fetch"}})
        .then(function (r) { if (!r.ok) dirty = true; if (status) status.textContent = r.ok ? status.dataset.saved : status.dataset.failed; })
        .catch(function () { dirty = true; if (status) status.textContent = status.dataset.failed; });
    }
    form.addEventListener("input", function () { dirty = true; clearTimeout(timer); timer = setTimeout(save, 4000); });
  });
  // A run's page (templates/runs/run.html) follows its progress in place; once it ends, the page
  // is loaded once more to show the result. Without this, a <noscript> refresh reloads the page.
  document.querySelectorAll("[data-run-poll]").forEach(function (box) {
    if (!window.fetch) return;
    var bar = box.querySelector("[data-run-progress]"), percent = box.querySelector("[data-run-percent]"),
        status = box.querySelector("[data-run-status]"), every = (+box.dataset.runEvery || 3) * 1000;
    function poll() {
      fetch(box.dataset.runPoll, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (run) {
          if (!run) { setTimeout(poll, every * 2); return; }
          if (!run.active) { location.reload(); return; }
          if (bar) { bar.value = run.progress; bar.textContent = run.progress + "%"; }
          if (percent) percent.textContent = run.progress + "%";
          if (status) status.textContent = run.status_label;
          setTimeout(poll, every);
        })
        .catch(function () { setTimeout(poll, every * 2); });
    }
    setTimeout(poll, every);
  });
})();
