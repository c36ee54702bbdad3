/* 村声: the little the pages need beyond htmx. Everything works without it. */
(function () {
  "use strict";
  // 快速离开: replace the sensitive page in the history, so the browser's Back cannot bring it back.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a.exit") : null;
    if (!link || event.defaultPrevented || event.button !== 0) return;
    event.preventDefault();
    window.location.replace(link.href);
  });
})();
