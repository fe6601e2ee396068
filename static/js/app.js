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
  }
})();
