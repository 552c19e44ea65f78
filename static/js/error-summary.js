// Moves focus to the error summary when a page with form errors loads, so screen reader and
// keyboard users land on the list of what to correct (GOV.UK error summary pattern). Without
// JavaScript the summary is still the first thing in the main content.
(function () {
  var summary = document.querySelector("[data-focus-on-load]");
  if (summary) { summary.focus(); }
})();
