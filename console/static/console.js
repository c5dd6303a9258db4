// Optional: every page works without it. It submits the language form as soon as a language is
// chosen, and hides that form's button, which is there for browsers without script.
document.querySelectorAll("select.autosubmit").forEach(function (s) {
  var button = s.form.querySelector("button");
  if (button) { button.hidden = true; }
  s.addEventListener("change", function () { s.form.submit(); });
});
