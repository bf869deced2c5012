// The preview's live reload: the server tells every open page, through Server-Sent
// Events, each page's digest and the student PDF's link; a page whose digest is not the
// one it was served with (a save since) reloads itself, where it was scrolled to.
(function () {
  "use strict";
  var script = document.currentScript;
  var page = script.getAttribute("data-page");
  var key = "sg-preview-scroll:" + page;
  var mine = script.getAttribute("data-digest");   // null on the error page
  window.addEventListener("load", function () {
    var y = sessionStorage.getItem(key);
    if (y !== null) { sessionStorage.removeItem(key); window.scrollTo(0, +y); }
  });
  var events = new EventSource("/_/events");
  events.onmessage = function (event) {
    var state = JSON.parse(event.data);
    var digest = page ? state.pages[page] : (state.errors.length ? "" : "ok");
    if (mine === null) { mine = digest; }
    if (digest !== mine) {
      sessionStorage.setItem(key, String(window.scrollY));
      events.close();
      window.location.href = page && digest !== undefined ? "/" + page : "/";
      return;
    }
    var link = document.querySelector(".sg-preview-pdf");
    if (link && state.pdf[page]) { link.setAttribute("href", state.pdf[page]); }
    var status = document.querySelector(".sg-preview-pdf-status");
    if (status) { status.textContent = "(" + state.pdf_status + ")"; }
  };
})();
