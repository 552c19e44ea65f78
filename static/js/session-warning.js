// Shows the "you will be logged out in 2 minutes" warning two minutes before the idle timeout.
// The number of seconds comes from the page (data-idle-seconds), so this file stays static and
// the Content-Security-Policy needs no inline script.
(function () {
  var warning = document.getElementById("session-warning");
  if (!warning) { return; }
  var delay = (parseInt(warning.getAttribute("data-idle-seconds"), 10) - 120) * 1000;
  if (delay > 0) { setTimeout(function () { warning.hidden = false; }, delay); }
})();
