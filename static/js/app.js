// Site-wide behaviour. Loaded deferred after htmx; no inline scripts anywhere (strict CSP).
(function () {
  "use strict";
  if (window.htmx) {
    // 409 (stale version) and 422 (invalid input) carry the fragment that explains the refusal: swap them in.
    window.htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "409", swap: true, error: false },
      { code: "422", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];
    // Any other failed request: say so where a screen reader hears it, and that the change was not saved.
    var alertBox = null;
    function tell(text) {
      if (!alertBox) {
        alertBox = document.createElement("ul");
        alertBox.className = "messages request-error";
        alertBox.setAttribute("role", "alert");
        var main = document.getElementById("main");
        main.parentNode.insertBefore(alertBox, main);
      }
      alertBox.textContent = "";
      var item = document.createElement("li");
      item.className = "msg-error";
      item.textContent = text;
      alertBox.appendChild(item);
    }
    document.addEventListener("htmx:responseError", function (event) {
      var xhr = event.detail.xhr;
      var said = xhr && xhr.getResponseHeader("X-Desk-Error");
      tell(said || "The desk answered " + (xhr ? xhr.status : "an error") + ": this change was not saved. Try again.");
    });
    document.addEventListener("htmx:sendError", function () {
      tell("The desk could not be reached: this change was not saved. Check the connection and try again.");
    });
    document.addEventListener("htmx:afterRequest", function (event) {
      if (alertBox && event.detail.successful) {
        alertBox.textContent = "";
      }
    });
  }
})();
