// Optional: every page works without it. It submits the language form as soon as a language is
// chosen, and hides that form's button, which is there for browsers without script.
document.querySelectorAll("select.autosubmit").forEach(function (s) {
  var button = s.form.querySelector("button");
  if (button) { button.hidden = true; }
  s.addEventListener("change", function () { s.form.submit(); });
});

// Tells the console the browser's time zone, so that times are shown in it with the caller's
// local time beside. Without script, times stay in the caller's zone, which is always named.
(function () {
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
  if (!/^[A-Za-z0-9_+\-\/]{1,64}$/.test(zone)) { return; }
  document.cookie = "onestop_tz=" + zone + "; path=/console; max-age=31536000; samesite=strict" +
    (location.protocol === "https:" ? "; secure" : "");
})();
